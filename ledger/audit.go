package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/verify"
)

// Problem kinds found by Audit.
const (
	PEventMissing       = "event_missing"        // a gap in the log's seqs
	PEventRewritten     = "event_rewritten"      // bytes that do not decode, or whose seq lies
	PEventRejected      = "event_rejected"       // an event the rules no longer accept
	PSignature          = "signature_invalid"    // an act's personal signatures do not hold (issue 14)
	PEventColumns       = "event_columns"        // an index column that does not match the event
	PHashes             = "hashes_modified"      // stored tree hashes that do not match the events
	PCheckpointSig      = "checkpoint_signature" // a checkpoint whose signature or text is wrong
	PCheckpointRoot     = "checkpoint_root"      // the events do not hash to a signed root
	PCheckpointCoverage = "checkpoint_coverage"  // events beyond the last checkpoint, or missing below it
	PCosigned           = "cosigned_checkpoint"  // a cosigned checkpoint that is not the log's own
	PRowModified        = "row_modified"
	PRowDeleted         = "row_deleted"
	PRowInserted        = "row_inserted"
)

// Problem is one discrepancy between what is stored and what the log proves.
type Problem struct {
	Kind      string `json:"kind"`
	Table     string `json:"table,omitempty"`
	Key       string `json:"key,omitempty"`
	Column    string `json:"column,omitempty"`
	Seq       *int64 `json:"seq,omitempty"`
	Message   string `json:"message"`    // Spanish
	MessageEN string `json:"message_en"` // English
}

// AuditReport is the result of an audit. OK is true when nothing was found.
type AuditReport struct {
	OK          bool      `json:"ok"`
	Events      int64     `json:"events"`
	Checkpoints int       `json:"checkpoints"`
	Rows        int64     `json:"rows"`
	Problems    []Problem `json:"problems"`
	// SignaturesFrom is the first event whose signatures' cryptography was
	// verified (0: all; see AuditSince); SignaturesChecked how many were.
	SignaturesFrom    int64 `json:"signatures_from"`
	SignaturesChecked int64 `json:"signatures_checked"`
	// State is the state replayed from the log, when OK: what the store
	// was just shown to hold, so that a caller needs no second replay.
	State *domain.State `json:"-"`
}

func (r *AuditReport) add(p Problem) {
	if len(r.Problems) < 10000 {
		r.Problems = append(r.Problems, p)
	}
}

func seqp(s int64) *int64 { return &s }

// decoded is an event decoded off the main loop, in parallel.
type decoded struct {
	se   StoredEvent
	ev   *custody.Event
	rec  any
	err  error
	leaf tlog.Hash
}

// Audit recomputes everything the store holds from the events alone: the
// Merkle tree (against every stored hash and every signed checkpoint), the
// events' index columns, and every row of every projection table, by
// replaying the events through the domain rules into a fresh state. Any
// change made to the database outside Custodia shows as a Problem. It reads
// the store directly and does not trust the ledger's in-memory state.
func Audit(ctx context.Context, store Store, verifier note.Verifier, rules domain.Config) (*AuditReport, error) {
	return audit(ctx, store, verifier, rules, auditChunk, 0)
}

// AuditSince is Audit for a log already audited up to a signed checkpoint
// of size since: everything is checked as by Audit, but the signatures'
// cryptography only for the events from since on, so that a daily audit
// does not re-verify years of signatures. It is sound because the audit
// still recomputes every event's hash against every signed checkpoint:
// the older events are byte for byte those the earlier audit verified,
// and a signature over the same bytes verifies the same way; their keys
// and roles are still checked against the replayed register.
func AuditSince(ctx context.Context, store Store, verifier note.Verifier, rules domain.Config, since int64) (*AuditReport, error) {
	return audit(ctx, store, verifier, rules, auditChunk, since)
}

// audit is Audit reading the log in chunks of chunk events (see decodeAll);
// tests cut small chunks to show the result does not depend on them.
func audit(ctx context.Context, store Store, verifier note.Verifier, rules domain.Config, chunk, sigsFrom int64) (*AuditReport, error) {
	rep := &AuditReport{Problems: []Problem{}, SignaturesFrom: sigsFrom}
	cps, err := store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rep.Checkpoints = len(cps)
	roots := map[int64]tlog.Hash{}
	stored := map[int64]bool{} // sizes with a checkpoint row, valid or not
	for _, cp := range cps {
		stored[cp.Size] = true
		_, c, err := verify.OpenNote(cp.Note, note.VerifierList(verifier))
		var bad *verify.Error
		if errors.As(err, &bad) {
			rep.add(Problem{Kind: PCheckpointSig, Key: fmt.Sprint(cp.Size),
				Message:   fmt.Sprintf("el punto de control de tamaño %d está mal formado: %s", cp.Size, bad.Message),
				MessageEN: fmt.Sprintf("checkpoint of size %d is malformed: %s", cp.Size, bad.MessageEN)})
			continue
		}
		if err != nil {
			rep.add(Problem{Kind: PCheckpointSig, Key: fmt.Sprint(cp.Size),
				Message:   fmt.Sprintf("el punto de control de tamaño %d no tiene una firma válida de la clave del registro", cp.Size),
				MessageEN: fmt.Sprintf("checkpoint of size %d has no valid signature by the log key: %v", cp.Size, err)})
			continue
		}
		size, root := c.Size, c.Root
		if c.Origin != verifier.Name() || size != cp.Size || root != cp.Root {
			rep.add(Problem{Kind: PCheckpointSig, Key: fmt.Sprint(cp.Size),
				Message:   fmt.Sprintf("el texto firmado del punto de control %d no coincide con sus columnas", cp.Size),
				MessageEN: fmt.Sprintf("the signed text of checkpoint %d does not match its columns", cp.Size)})
			continue
		}
		roots[size] = root
	}

	texts := map[int64]string{}
	for _, cp := range cps {
		if t, ok := noteText(cp.Note); ok {
			texts[cp.Size] = t
		}
	}
	cos, err := store.Cosigned(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cos {
		n, _, err := verify.OpenNote(c.Note, note.VerifierList(verifier))
		if err != nil || texts[c.Size] != n.Text {
			rep.add(Problem{Kind: PCosigned, Key: fmt.Sprint(c.Size),
				Message:   fmt.Sprintf("el punto de control cosignado de tamaño %d no es el que firmó el registro", c.Size),
				MessageEN: fmt.Sprintf("the cosigned checkpoint of size %d is not the one the log signed", c.Size)})
		}
	}

	st := domain.NewState(rules)
	f := &auditTree{}
	ch := make(chan []decoded, 4)
	errc := make(chan error, 1)
	var size int64
	for n := range roots {
		size = max(size, n)
	}
	go func() { errc <- decodeAll(ctx, store, size, chunk, ch) }()
	defer func() {
		for range ch { // let decodeAll finish if the loop below returns early
		}
	}()
	// The signatures' cryptography runs beside the replay, on every core:
	// the replay checks each signature's key and role against the state
	// (domain.CheckSigsDeferred), the workers verify the signatures.
	type sigJob struct {
		seq int64
		op  string
		c   domain.SigCheck
	}
	sigJobs := make(chan sigJob, 1024)
	var sigMu sync.Mutex
	var sigProblems []Problem
	var sigWG sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		sigWG.Go(func() {
			for j := range sigJobs {
				if e := j.c.Check(); e != nil {
					sigMu.Lock()
					sigProblems = append(sigProblems, Problem{Kind: PSignature, Seq: seqp(j.seq),
						Message:   fmt.Sprintf("el evento %d (%s): %s", j.seq, j.op, e.Localized("es")),
						MessageEN: fmt.Sprintf("event %d (%s): %s", j.seq, j.op, e.Localized("en"))})
					sigMu.Unlock()
				}
			}
		})
	}
	sigsDone := false
	finishSigs := func() {
		if !sigsDone {
			sigsDone = true
			close(sigJobs)
			sigWG.Wait()
		}
	}
	defer finishSigs()
	expect := int64(0)
	broken := false // once an event fails, the replayed state is unreliable
	commit := int64(-1)
	cases := caseChains{}
	// ends checks that a transaction ended at size n: every transaction ends
	// in a signed checkpoint, so one must be stored there.
	ends := func(n int64) {
		if n > 0 && !stored[n] {
			rep.add(Problem{Kind: PCheckpointCoverage, Key: fmt.Sprint(n),
				Message:   fmt.Sprintf("falta el punto de control firmado de tamaño %d, con el que terminó una transacción: fue borrado", n),
				MessageEN: fmt.Sprintf("the signed checkpoint of size %d, which ended a transaction, is missing: it was deleted", n)})
		}
	}
	for batch := range ch {
		for _, d := range batch {
			se := d.se
			if se.Seq != expect {
				rep.add(Problem{Kind: PEventMissing, Seq: seqp(expect),
					Message:   fmt.Sprintf("faltan eventos: se esperaba el %d y sigue el %d", expect, se.Seq),
					MessageEN: fmt.Sprintf("events missing: expected %d, found %d next", expect, se.Seq)})
				broken = true
				// Hash what is there as if it continued; the roots will not match.
			}
			expect = se.Seq + 1
			if !bytes.Equal(f.append(d.leaf), se.Hashes) {
				rep.add(Problem{Kind: PHashes, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("los hashes del árbol guardados con el evento %d no corresponden a los eventos", se.Seq),
					MessageEN: fmt.Sprintf("the tree hashes stored with event %d do not match the events", se.Seq)})
			}
			if root, ok := roots[f.size]; ok {
				if f.root() != root {
					rep.add(Problem{Kind: PCheckpointRoot, Key: fmt.Sprint(f.size), Seq: seqp(se.Seq),
						Message:   fmt.Sprintf("los primeros %d eventos no dan la raíz firmada en el punto de control: un evento fue reescrito, insertado, borrado o reordenado", f.size),
						MessageEN: fmt.Sprintf("the first %d events do not hash to the signed checkpoint root: an event was rewritten, inserted, deleted or reordered", f.size)})
				}
			}
			if d.err != nil {
				// The event's own form is checked in English only (package
				// custody speaks to programs); its record's rules speak both.
				es := "sus bytes no son un evento en forma canónica"
				if ce := (*custody.Error)(nil); errors.As(d.err, &ce) {
					es = ce.Localized("es")
				}
				rep.add(Problem{Kind: PEventRewritten, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d no es válido: %s", se.Seq, es),
					MessageEN: fmt.Sprintf("event %d is not valid: %v", se.Seq, d.err)})
				broken = true
				continue
			}
			if c := d.ev.Recorded.Commit; c != commit {
				if c != se.Seq {
					rep.add(Problem{Kind: PEventRewritten, Seq: seqp(se.Seq),
						Message:   fmt.Sprintf("el evento %d dice que su transacción empezó en %d", se.Seq, c),
						MessageEN: fmt.Sprintf("event %d says its transaction began at %d", se.Seq, c)})
				}
				ends(se.Seq)
				commit = c
			}
			if broken {
				continue
			}
			// Personal signatures, checked as the write path checked them:
			// a handover forged with the database and the log key shows
			// here, whatever the Merkle tree says.
			checks, cerr := st.CheckSigsDeferred(d.ev.Op, d.rec, d.ev.Record, d.ev.Sigs, d.ev.Recorded.Import == nil, se.Seq)
			if cerr != nil {
				rep.add(Problem{Kind: PSignature, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d (%s): %s", se.Seq, d.ev.Op, cerr.Localized("es")),
					MessageEN: fmt.Sprintf("event %d (%s): %s", se.Seq, d.ev.Op, cerr.Localized("en"))})
			}
			if se.Seq >= sigsFrom {
				for _, c := range checks {
					sigJobs <- sigJob{se.Seq, d.ev.Op, c}
				}
				rep.SignaturesChecked += int64(len(checks))
			}
			a, err := st.Apply(d.ev.Op, d.rec, se.Seq)
			if err != nil {
				rep.add(Problem{Kind: PEventRejected, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d ya no cumple las reglas: %s", se.Seq, inWords(err, "es")),
					MessageEN: fmt.Sprintf("event %d no longer passes the rules: %s", se.Seq, inWords(err, "en"))})
				broken = true
				continue
			}
			casePrev := cases.link(a.Case, se.Seq)
			if !maps.Equal(a.Prev, d.ev.Prev) || a.Item != se.Item || itemPrev(a) != se.Prev || a.Case != se.Case || casePrev != se.CasePrev {
				rep.add(Problem{Kind: PEventColumns, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d no coincide con sus columnas de índice o con sus enlaces prev", se.Seq),
					MessageEN: fmt.Sprintf("event %d does not match its index columns or its prev links", se.Seq)})
			}
		}
	}
	if err := <-errc; err != nil {
		return nil, err
	}
	finishSigs()
	sort.Slice(sigProblems, func(i, j int) bool { return *sigProblems[i].Seq < *sigProblems[j].Seq })
	for _, p := range sigProblems {
		rep.add(p)
	}
	rep.Events = expect
	if !broken {
		ends(expect)
	}
	var last int64
	if len(cps) > 0 {
		last = cps[len(cps)-1].Size
	}
	if last != expect {
		rep.add(Problem{Kind: PCheckpointCoverage,
			Message:   fmt.Sprintf("el registro tiene %d eventos pero el último punto de control firmado cubre %d", expect, last),
			MessageEN: fmt.Sprintf("the log holds %d events but the last signed checkpoint covers %d", expect, last)})
	}
	if broken {
		rep.OK = false
		return rep, nil
	}
	for _, t := range domain.Tables {
		if err := compareTable(ctx, store, st, t, rep); err != nil {
			return nil, err
		}
	}
	rep.OK = len(rep.Problems) == 0
	if rep.OK {
		rep.State = st
	}
	return rep, nil
}

// auditTree recomputes the log's Merkle tree (RFC 6962) from its leaves,
// keeping only the right edge: edge[l] is the root of the complete subtree
// of 2^l leaves there, for each bit l set in size. It gives the same hashes
// as tlog.StoredHashesForRecordHash and tlog.TreeHash (TestAuditTree)
// without their map of hashes and allocations.
type auditTree struct {
	size int64
	edge [64]tlog.Hash
	buf  []byte
}

// append adds a leaf hash as record size and returns the stored hashes that
// produces, concatenated, in a buffer valid until the next append.
func (t *auditTree) append(leaf tlog.Hash) []byte {
	t.buf = append(t.buf[:0], leaf[:]...)
	h, l := leaf, 0
	for n := t.size; n&1 == 1; n >>= 1 {
		h = tlog.NodeHash(t.edge[l], h)
		t.buf = append(t.buf, h[:]...)
		l++
	}
	t.edge[l] = h
	t.size++
	return t.buf
}

// root is the tree hash of the leaves so far.
func (t *auditTree) root() tlog.Hash {
	var h tlog.Hash
	first := true
	for l := 0; l < 64; l++ {
		if t.size&(1<<l) == 0 {
			continue
		}
		if first {
			h, first = t.edge[l], false
		} else {
			h = tlog.NodeHash(t.edge[l], h)
		}
	}
	return h
}

// Audit's read stage: the log is read in chunks of consecutive seqs, each
// scanned and decoded by one of several workers, and handed on in seq
// order. Reading (SQLite's own work) is as heavy as decoding, so one
// reader alone would bound the whole audit.
const (
	auditBatch = 1024      // events handed on at a time
	auditChunk = 16 * 1024 // events per chunk
)

// errChunkEnd stops a chunk's scan at the next chunk's first seq.
var errChunkEnd = errors.New("ledger: end of audit chunk")

// chunk is one worker's part of the log: its batches in order, then
// whether the log ended within it, and any error reading it.
type chunk struct {
	batches chan []decoded
	last    bool
	err     error
}

// decodeAll reads the events in seq order (exactly as one
// store.ScanEvents(ctx, 0, ...) would give them), decodes them and computes
// their leaf hashes on every core, and sends them to out in order.
//
// size is how many events the log is expected to hold (the largest validly
// signed checkpoint): it only says where to cut chunks. Seqs from 0 up to
// size are read in chunks of chunkLen, and everything from there on in one
// last chunk, so that no stored seq, however large, makes more chunks.
func decodeAll(ctx context.Context, store Store, size, chunkLen int64, out chan<- []decoded) error {
	defer close(out)
	workers := runtime.GOMAXPROCS(0)
	lastChunk := size / chunkLen // the open-ended one
	quit := make(chan struct{})
	defer close(quit)
	// Worker w reads chunks w, w+workers, w+2*workers, ... and announces
	// each on chunks[w] before filling it; the chunk's buffer holds all of
	// it, so a worker runs a chunk ahead of the one being handed on.
	chunks := make([]chan *chunk, workers)
	var wg sync.WaitGroup
	for w := range workers {
		chunks[w] = make(chan *chunk, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(chunks[w])
			for k := int64(w); k <= lastChunk; k += int64(workers) {
				c := &chunk{batches: make(chan []decoded, chunkLen/auditBatch+1)}
				select {
				case chunks[w] <- c:
				case <-quit:
					return
				}
				to := (k + 1) * chunkLen
				if k == lastChunk {
					to = -1
				}
				c.last, c.err = readChunk(ctx, store, k*chunkLen, to, c.batches, quit)
				close(c.batches)
				if c.last || c.err != nil {
					return
				}
			}
		}()
	}
	defer wg.Wait() // after quit is closed
	for k := 0; ; k++ {
		c, ok := <-chunks[k%workers]
		if !ok {
			return errors.New("ledger: audit: a reader stopped early") // cannot happen: the last chunk is last
		}
		for b := range c.batches {
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if c.err != nil {
			return c.err
		}
		if c.last {
			return nil
		}
	}
}

// readChunk reads and decodes the events with from <= seq < to (or all
// from on, when to is -1) into batches. last says the log ended before to.
func readChunk(ctx context.Context, store Store, from, to int64, batches chan<- []decoded, quit <-chan struct{}) (last bool, err error) {
	batch := make([]decoded, 0, auditBatch)
	send := func() error {
		for i := range batch {
			d := &batch[i]
			d.leaf = tlog.RecordHash(d.se.Data)
			d.ev, d.rec, d.err = decodeStored(d.se)
		}
		select {
		case batches <- batch:
		case <-quit:
			return errChunkEnd
		}
		batch = make([]decoded, 0, auditBatch)
		return nil
	}
	err = store.ScanEvents(ctx, from, func(se StoredEvent) error {
		if to >= 0 && se.Seq >= to {
			return errChunkEnd
		}
		batch = append(batch, decoded{se: se})
		if len(batch) == auditBatch {
			return send()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errChunkEnd) {
		return false, err
	}
	last = err == nil
	if len(batch) > 0 {
		if serr := send(); serr != nil {
			return last, nil // quitting: the batch is not wanted
		}
	}
	return last, nil
}

func formatKey(r domain.Row, n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('/')
		}
		fmt.Fprint(&b, r[i])
	}
	return b.String()
}

// compareTable compares a stored table with the replayed state, row by row.
func compareTable(ctx context.Context, store Store, st *domain.State, t domain.Table, rep *AuditReport) error {
	// The replayed rows are built and sorted while the stored ones are read.
	wantc := make(chan []domain.Row, 1)
	go func() { wantc <- st.AllRows(t.Name) }()
	var stored []domain.Row
	err := store.ScanRows(ctx, t, func(got domain.Row) error {
		stored = append(stored, got)
		return nil
	})
	want := <-wantc
	if err != nil {
		return err
	}
	i := 0
	extra := func(r domain.Row) {
		rep.add(Problem{Kind: PRowInserted, Table: t.Name, Key: formatKey(r, t.Keys),
			Message:   fmt.Sprintf("%s: fila %s insertada fuera del registro (ningún evento la produce)", t.Name, formatKey(r, t.Keys)),
			MessageEN: fmt.Sprintf("%s: row %s inserted outside the log (no event produces it)", t.Name, formatKey(r, t.Keys))})
	}
	missing := func(r domain.Row) {
		rep.add(Problem{Kind: PRowDeleted, Table: t.Name, Key: formatKey(r, t.Keys),
			Message:   fmt.Sprintf("%s: falta la fila %s, que el registro produce", t.Name, formatKey(r, t.Keys)),
			MessageEN: fmt.Sprintf("%s: row %s is missing, though the log produces it", t.Name, formatKey(r, t.Keys))})
	}
	for _, got := range stored {
		rep.Rows++
		for i < len(want) && domain.CompareKeys(want[i], got, t.Keys) < 0 {
			missing(want[i])
			i++
		}
		if i >= len(want) || domain.CompareKeys(want[i], got, t.Keys) > 0 {
			extra(got)
			continue
		}
		w := want[i]
		i++
		for c := t.Keys; c < len(t.Columns); c++ {
			if domain.CompareValues(w[c], got[c]) != 0 {
				rep.add(Problem{Kind: PRowModified, Table: t.Name, Key: formatKey(got, t.Keys), Column: t.Columns[c],
					Message:   fmt.Sprintf("%s: fila %s, columna %s: guardado %v, el registro dice %v", t.Name, formatKey(got, t.Keys), t.Columns[c], got[c], w[c]),
					MessageEN: fmt.Sprintf("%s: row %s, column %s: stored %v, the log says %v", t.Name, formatKey(got, t.Keys), t.Columns[c], got[c], w[c])})
			}
		}
	}
	for ; i < len(want); i++ {
		missing(want[i])
	}
	return nil
}

// inWords is err in lang: a custody.Error's own words (State.Apply's
// errors are), or else err's text.
func inWords(err error, lang string) string {
	if ce := (*custody.Error)(nil); errors.As(err, &ce) {
		return ce.Localized(lang)
	}
	return err.Error()
}
