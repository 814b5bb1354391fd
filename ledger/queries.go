package ledger

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
)

// OperationReport is the spec's report of an operation as of a time.
func (l *Ledger) OperationReport(op string, asOf time.Time) (*domain.OperationReport, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.state.OperationReport(op, asOf)
}

// notFound says that a record of a kind ("Spanish/English") does not exist.
func notFound(kind, id string) error {
	es, en, _ := strings.Cut(kind, "/")
	return &custody.Error{Code: custody.ENotFound, Message: fmt.Sprintf("%s %q no existe", es, id), MessageEN: fmt.Sprintf("%s %q does not exist", en, id)}
}

// itemSeqs returns the seqs of an item's events in log order: its creation
// and every event that acted on it.
func (l *Ledger) itemSeqs(ctx context.Context, id string) ([]int64, error) {
	l.mu.RLock()
	it, ok := l.state.Items[id]
	var origin, last int64
	if ok {
		origin, last = it.OriginSeq, it.LastSeq
	}
	l.mu.RUnlock()
	if !ok {
		return nil, notFound("la evidencia/item", id)
	}
	seqs, err := l.store.ItemEvents(ctx, id, last)
	if err != nil {
		return nil, err
	}
	if len(seqs) == 0 || seqs[0] != origin {
		seqs = append([]int64{origin}, seqs...)
	}
	return seqs, nil
}

// caseSeqs returns the seqs of a case's events in log order.
func (l *Ledger) caseSeqs(ctx context.Context, caseID string) ([]int64, error) {
	l.mu.RLock()
	_, ok := l.state.Cases[caseID]
	last, has := l.caseLast[caseID]
	l.mu.RUnlock()
	if !ok {
		return nil, notFound("el caso/case", caseID)
	}
	if !has {
		return nil, nil
	}
	return l.store.CaseEvents(ctx, caseID, last)
}

func (l *Ledger) readEvents(ctx context.Context, seqs []int64) ([]*custody.Event, []StoredEvent, error) {
	stored, err := l.store.ReadEvents(ctx, seqs)
	if err != nil {
		return nil, nil, err
	}
	evs := make([]*custody.Event, len(stored))
	for i, se := range stored {
		ev, err := fastcodec.DecodeEvent(se.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("event %d: %w (run custodia audit)", se.Seq, err)
		}
		evs[i] = ev
	}
	return evs, stored, nil
}

// ItemHistory returns every event of an item with the custody state after it.
func (l *Ledger) ItemHistory(ctx context.Context, id string) ([]domain.HistoryEntry, error) {
	seqs, err := l.itemSeqs(ctx, id)
	if err != nil {
		return nil, err
	}
	evs, _, err := l.readEvents(ctx, seqs)
	if err != nil {
		return nil, err
	}
	return domain.ItemHistory(id, evs)
}

// LatestCheckpoint returns the newest signed checkpoint.
func (l *Ledger) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	cps, err := l.store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, custody.Errorf(custody.ENotFound, "", "el registro aún no tiene puntos de control (está vacío)", "the log has no checkpoint yet (it is empty)")
	}
	return &cps[len(cps)-1], nil
}

// HashReader reads the log's stored hashes, for proofs.
func (l *Ledger) HashReader(ctx context.Context) tlog.HashReader {
	return storeHashReader{ctx: ctx, read: func(ctx context.Context, idx []int64) ([]byte, error) {
		return l.readStoredHashes(ctx, idx)
	}}
}

// refreshFor reads what other servers committed when asked about a tree
// larger than the ledger holds: a client may have its checkpoint from
// another server. A failure leaves the ledger as it was, and the caller's
// bound check answers.
func (l *Ledger) refreshFor(ctx context.Context, size int64) {
	if size > l.Size() {
		l.Refresh(ctx)
	}
}

// InclusionProof proves event seq in the tree of the given size. A size
// beyond the log, or an index outside the tree, is EInvalid naming the
// field that is wrong.
func (l *Ledger) InclusionProof(ctx context.Context, size, seq int64) (tlog.RecordProof, error) {
	l.refreshFor(ctx, size)
	if err := l.checkProofSize(size); err != nil {
		return nil, err
	}
	if seq < 0 || seq >= size {
		return nil, custody.Errorf(custody.EInvalid, "index", "el evento %d no está en un árbol de tamaño %d", "event %d is not in a tree of size %d", seq, size)
	}
	return tlog.ProveRecord(size, seq, l.HashReader(ctx))
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree
// of size size. There is none from the empty tree (RFC 9162, 2.1.4: every
// tree extends it, and the algorithm is defined for 0 < old ≤ size), so
// old = 0 is EInvalid on "old", as is old > size.
func (l *Ledger) ConsistencyProof(ctx context.Context, old, size int64) (tlog.TreeProof, error) {
	l.refreshFor(ctx, size)
	if err := l.checkProofSize(size); err != nil {
		return nil, err
	}
	switch {
	case old <= 0:
		return nil, custody.Errorf(custody.EInvalid, "old", "no hay prueba de consistencia desde el árbol vacío: todo árbol lo extiende (RFC 9162, 2.1.4); old debe ser ≥ 1", "there is no consistency proof from the empty tree: every tree extends it (RFC 9162, 2.1.4); old must be ≥ 1")
	case old > size:
		return nil, custody.Errorf(custody.EInvalid, "old", "el tamaño anterior %d es mayor que el tamaño %d", "the old size %d is larger than the size %d", old, size)
	}
	return tlog.ProveTree(size, old, l.HashReader(ctx))
}

// checkProofSize refuses a tree size larger than the log's.
func (l *Ledger) checkProofSize(size int64) error {
	if n := l.Size(); size > n {
		return custody.Errorf(custody.EInvalid, "size", "el tamaño del árbol %d es mayor que el del registro (%d)", "the tree size %d is larger than the log's (%d)", size, n)
	}
	return nil
}

// ExportCase writes a case as a case file: the agencies and officers its
// records and its accounts (every account granted the case) name, then the case's records in log order. Importing it into an
// empty deployment gives the same reports and item histories.
func (l *Ledger) ExportCase(ctx context.Context, caseID string, w io.Writer) (int, error) {
	seqs, err := l.caseSeqs(ctx, caseID)
	if err != nil {
		return 0, err
	}
	all, _, err := l.readEvents(ctx, seqs)
	if err != nil {
		return 0, err
	}
	// Grants, disclosures, releases and audited reads are the deployment's,
	// not the case file's: a case file holds the spec's vocabulary only.
	evs := all[:0:0]
	for _, ev := range all {
		if !domain.IsSystemOp(ev.Op) {
			evs = append(evs, ev)
		}
	}
	officers := map[string]bool{}
	agencies := map[string]bool{}
	for _, ev := range evs {
		rec, err := casefile.DecodeRecord(ev.Op, ev.Record)
		if err != nil {
			return 0, err
		}
		for _, o := range officerRefs(rec) {
			officers[o] = true
		}
		if op, ok := rec.(*casefile.Operation); ok {
			for _, a := range op.Agencies {
				agencies[a] = true
			}
		}
	}
	bw := bufio.NewWriter(w)
	n := 0
	writeLine := func(op string, body []byte) {
		bw.Write(casefile.EncodeRaw(op, body))
		bw.WriteByte('\n')
		n++
	}
	l.mu.RLock()
	// The officers the case's accounts stand for, members now or before:
	// named by no event yet, they are still who may act in the case, and an
	// account cannot be recreated for an officer the file lacks.
	for acc := range l.state.Grants[caseID] {
		if a, ok := l.state.Accounts[acc]; ok && a.Officer != "" {
			officers[a.Officer] = true
		}
	}
	for o := range officers {
		if off, ok := l.state.Officers[o]; ok {
			agencies[off.Agency] = true
		}
	}
	type global struct {
		seq  int64
		op   string
		body any
	}
	var globals []global
	for a := range agencies {
		if ag, ok := l.state.Agencies[a]; ok {
			globals = append(globals, global{ag.Seq, casefile.OpAgency, ag.Agency})
		}
	}
	for o := range officers {
		if off, ok := l.state.Officers[o]; ok {
			globals = append(globals, global{off.Seq, casefile.OpOfficer, off.Officer})
		}
	}
	l.mu.RUnlock()
	sort.Slice(globals, func(i, j int) bool { return globals[i].seq < globals[j].seq })
	for _, g := range globals {
		body, err := json.Marshal(g.body)
		if err != nil {
			return 0, err
		}
		writeLine(g.op, body)
	}
	for _, ev := range evs {
		writeLine(ev.Op, ev.Record)
	}
	return n, bw.Flush()
}

// officerRefs lists the officers a record names.
func officerRefs(rec any) []string {
	switch r := rec.(type) {
	case *casefile.Case:
		return []string{r.By}
	case *casefile.Operation:
		return []string{r.By}
	case *casefile.Site:
		return append([]string{r.Lead}, r.Team...)
	case *casefile.SiteStatus:
		return []string{r.By}
	case *casefile.Detention:
		return []string{r.ArrestedBy}
	case *casefile.DetentionUpdate:
		return []string{r.By}
	case *custody.Seize:
		return []string{r.SeizedBy}
	case *custody.Transfer:
		return []string{r.From, r.To}
	}
	if _, by := domain.Claimed(rec); by != "" {
		return []string{by}
	}
	return nil
}
