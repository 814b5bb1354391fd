package ledger

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"runtime"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// Problem kinds found by Audit.
const (
	PEventMissing       = "event_missing"        // a gap in the log's seqs
	PEventRewritten     = "event_rewritten"      // bytes that do not decode, or whose seq lies
	PEventRejected      = "event_rejected"       // an event the rules no longer accept
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
	rep := &AuditReport{Problems: []Problem{}}
	cps, err := store.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	rep.Checkpoints = len(cps)
	roots := map[int64]tlog.Hash{}
	stored := map[int64]bool{} // sizes with a checkpoint row, valid or not
	for _, cp := range cps {
		stored[cp.Size] = true
		n, err := note.Open(cp.Note, note.VerifierList(verifier))
		if err != nil {
			rep.add(Problem{Kind: PCheckpointSig, Key: fmt.Sprint(cp.Size),
				Message:   fmt.Sprintf("el punto de control de tamaño %d no tiene una firma válida de la clave del registro: %v", cp.Size, err),
				MessageEN: fmt.Sprintf("checkpoint of size %d has no valid signature by the log key: %v", cp.Size, err)})
			continue
		}
		origin, size, root, err := ParseCheckpoint(n.Text)
		if err != nil || origin != verifier.Name() || size != cp.Size || root != cp.Root {
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
			texts[cp.Size] = string(t)
		}
	}
	cos, err := store.Cosigned(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cos {
		n, err := note.Open(c.Note, note.VerifierList(verifier))
		if err != nil || texts[c.Size] != n.Text {
			rep.add(Problem{Kind: PCosigned, Key: fmt.Sprint(c.Size),
				Message:   fmt.Sprintf("el punto de control cosignado de tamaño %d no es el que firmó el registro", c.Size),
				MessageEN: fmt.Sprintf("the cosigned checkpoint of size %d is not the one the log signed", c.Size)})
		}
	}

	st := domain.NewState(rules)
	f := &frontier{hashes: map[int64]tlog.Hash{}}
	ch := make(chan []decoded, 4)
	errc := make(chan error, 1)
	go func() { errc <- decodeAll(ctx, store, ch) }()
	defer func() {
		for range ch { // let decodeAll finish if the loop below returns early
		}
	}()
	expect := int64(0)
	broken := false // once an event fails, the replayed state is unreliable
	commit := int64(-1)
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
			hashes, herr := f.appendLeaf(d.leaf)
			if herr != nil {
				return nil, herr
			}
			if !bytes.Equal(hashes, se.Hashes) {
				rep.add(Problem{Kind: PHashes, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("los hashes del árbol guardados con el evento %d no corresponden a los eventos", se.Seq),
					MessageEN: fmt.Sprintf("the tree hashes stored with event %d do not match the events", se.Seq)})
			}
			if root, ok := roots[f.size]; ok {
				got, err := f.root()
				if err != nil {
					return nil, err
				}
				if got != root {
					rep.add(Problem{Kind: PCheckpointRoot, Key: fmt.Sprint(f.size), Seq: seqp(se.Seq),
						Message:   fmt.Sprintf("los primeros %d eventos no dan la raíz firmada en el punto de control: un evento fue reescrito, insertado, borrado o reordenado", f.size),
						MessageEN: fmt.Sprintf("the first %d events do not hash to the signed checkpoint root: an event was rewritten, inserted, deleted or reordered", f.size)})
				}
			}
			if d.err != nil {
				rep.add(Problem{Kind: PEventRewritten, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d no es válido: %v", se.Seq, d.err),
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
			a, err := st.Apply(d.ev.Op, d.rec, se.Seq)
			if err != nil {
				rep.add(Problem{Kind: PEventRejected, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d ya no cumple las reglas: %v", se.Seq, err),
					MessageEN: fmt.Sprintf("event %d no longer passes the rules: %v", se.Seq, err)})
				broken = true
				continue
			}
			if !maps.Equal(a.Prev, d.ev.Prev) || a.Item != se.Item || a.Case != se.Case || d.ev.Op != se.Op {
				rep.add(Problem{Kind: PEventColumns, Seq: seqp(se.Seq),
					Message:   fmt.Sprintf("el evento %d no coincide con sus columnas de índice o con sus enlaces prev", se.Seq),
					MessageEN: fmt.Sprintf("event %d does not match its index columns or its prev links", se.Seq)})
			}
		}
	}
	if err := <-errc; err != nil {
		return nil, err
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
	return rep, nil
}

// decodeAll reads the events and decodes them on every core, in order.
func decodeAll(ctx context.Context, store Store, out chan<- []decoded) error {
	defer close(out)
	workers := runtime.GOMAXPROCS(0)
	type job struct {
		batch []decoded
		done  chan struct{}
	}
	jobs := make(chan job, workers*2)
	order := make(chan job, workers*2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for i := range j.batch {
					d := &j.batch[i]
					d.leaf = tlog.RecordHash(d.se.Data)
					d.ev, d.rec, d.err = decodeStored(d.se)
				}
				close(j.done)
			}
		}()
	}
	ordered := make(chan struct{})
	go func() {
		defer close(ordered)
		for j := range order {
			<-j.done
			out <- j.batch
		}
	}()
	var batch []decoded
	send := func() {
		j := job{batch: batch, done: make(chan struct{})}
		order <- j
		jobs <- j
		batch = nil
	}
	err := store.ScanEvents(ctx, 0, func(se StoredEvent) error {
		batch = append(batch, decoded{se: se})
		if len(batch) == 1024 {
			send()
		}
		return nil
	})
	if len(batch) > 0 {
		send()
	}
	close(jobs)
	wg.Wait()
	close(order)
	<-ordered
	return err
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
	want := st.AllRows(t.Name)
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
	err := store.ScanRows(ctx, t, func(got domain.Row) error {
		rep.Rows++
		for i < len(want) && domain.CompareKeys(want[i], got, t.Keys) < 0 {
			missing(want[i])
			i++
		}
		if i >= len(want) || domain.CompareKeys(want[i], got, t.Keys) > 0 {
			extra(got)
			return nil
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
		return nil
	})
	if err != nil {
		return err
	}
	for ; i < len(want); i++ {
		missing(want[i])
	}
	return nil
}
