// Package ledger is Custodia's one write path and its verifiable log.
//
// Every change goes the same way: a record is decoded and validated
// (package casefile), checked against the current state by pure domain code
// (package domain), turned into one event (package custody), and appended to
// the Merkle log together with its tree hashes, the rows it changes and a
// signed checkpoint, in one storage transaction. There is no other door to
// the tables, so they are a function of the log, and Audit can replay the log
// and find any row changed behind the system's back.
package ledger

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
)

// Ledger owns a deployment's log and its in-memory state. It is safe for
// concurrent use; writers are serialised.
type Ledger struct {
	store    Store
	signer   note.Signer
	verifier note.Verifier
	origin   string
	cfg      domain.Config
	now      func() time.Time

	hashes hashCache

	mu       sync.RWMutex
	state    *domain.State
	front    *frontier
	caseLast caseChains
	// spare holds the data buffers of events already stored, for the
	// next events' encodings: an import's million encodings were a fifth
	// of the bytes it allocated, all of them garbage once stored.
	spare chan []byte
	salts *saltSource

	shared sharedState // a store that other ledgers write too (shared.go)
}

// Config is what Open needs besides the store.
type Config struct {
	Signer   note.Signer   // the log key; its name is the log's origin
	Verifier note.Verifier // the matching public key
	Rules    domain.Config
	Now      func() time.Time // the clock; time.Now when nil
}

// Open loads a ledger from its store, replaying the log into memory.
func Open(ctx context.Context, store Store, cfg Config) (*Ledger, error) {
	if cfg.Signer == nil || cfg.Verifier == nil {
		return nil, errors.New("ledger: a signer and a verifier are required")
	}
	if cfg.Signer.Name() != cfg.Verifier.Name() || cfg.Signer.KeyHash() != cfg.Verifier.KeyHash() {
		return nil, errors.New("ledger: the log key and its public key do not match")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Ledger{store: store, signer: cfg.Signer, verifier: cfg.Verifier, origin: cfg.Signer.Name(), cfg: cfg.Rules, now: cfg.Now, salts: &saltSource{},
		spare: make(chan []byte, spareBuffers)}
	if err := l.reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Origin is the log's name, the first line of its checkpoints.
func (l *Ledger) Origin() string { return l.origin }

// Verifier is the log's public key.
func (l *Ledger) Verifier() note.Verifier { return l.verifier }

// reload rebuilds the state and frontier from the store. It is used at
// start-up and after a failed transaction, whose in-memory changes it drops.
// When it fails, the in-memory state may hold such changes: the ledger is
// marked stale, and reloads before it writes or refreshes again.
func (l *Ledger) reload(ctx context.Context) error {
	if err := l.load(ctx); err != nil {
		l.shared.stale = true
		return err
	}
	l.shared.stale = false
	return nil
}

func (l *Ledger) load(ctx context.Context) error {
	st := domain.NewState(l.cfg)
	f := &frontier{hashes: map[int64]tlog.Hash{}}
	caseLast := caseChains{}
	var tip []byte
	ends := &txEnds{}
	err := l.store.ScanEvents(ctx, 0, func(se StoredEvent) error {
		ev, rec, err := decodeStored(se)
		if err != nil {
			return err
		}
		a, err := st.Apply(ev.Op, rec, ev.Seq)
		if err != nil {
			return fmt.Errorf("ledger: event %d no longer applies: %w (run custodia audit)", se.Seq, err)
		}
		caseLast.link(a.Case, se.Seq)
		if ev.Recorded.Commit == se.Seq && se.Seq > 0 {
			ends.add(se.Seq)
		}
		tip = se.Hashes
		f.size = se.Seq
		hs := splitHashes(se.Hashes)
		first := tlog.StoredHashIndex(0, se.Seq)
		for i, h := range hs {
			f.hashes[first+int64(i)] = h
		}
		f.size = se.Seq + 1
		if len(f.hashes) > 200 {
			keep := edge(f.size)
			next := make(map[int64]tlog.Hash, len(keep))
			for _, x := range keep {
				next[x] = f.hashes[x]
			}
			f.hashes = next
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.state, l.front, l.caseLast = st, f, caseLast
	l.shared.tip = bytes.Clone(tip)
	return l.signLoaded(ctx, ends)
}

func splitHashes(b []byte) []tlog.Hash {
	out := make([]tlog.Hash, len(b)/32)
	for i := range out {
		copy(out[i][:], b[32*i:])
	}
	return out
}

// decodeStored decodes a stored event and its record.
func decodeStored(se StoredEvent) (*custody.Event, any, error) {
	ev, err := fastcodec.DecodeEvent(se.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("event %d: %w", se.Seq, err)
	}
	if ev.Seq != se.Seq {
		return nil, nil, fmt.Errorf("event stored at %d says it is event %d", se.Seq, ev.Seq)
	}
	rec, err := decodeRecord(ev.Op, ev.Record)
	if err != nil {
		return nil, nil, fmt.Errorf("event %d: record: %w", se.Seq, err)
	}
	if cerr := validateRecord(ev.Op, rec); cerr != nil {
		return nil, nil, fmt.Errorf("event %d: record: %w", se.Seq, cerr)
	}
	return ev, rec, nil
}

// caseChains holds each case's latest event, from which the next event of
// the case links back (StoredEvent.CasePrev).
type caseChains map[string]int64

// link records seq as case c's latest event and returns the one before it,
// -1 for a case's first event and for events of no case.
func (cc caseChains) link(c string, seq int64) int64 {
	if c == "" {
		return -1
	}
	prev, ok := cc[c]
	cc[c] = seq
	if !ok {
		return -1
	}
	return prev
}

// itemPrev is the prev link of an event for its Item column, or -1: what
// the store keeps beside the event so that item histories can follow the
// links without an index by item (StoredEvent.Prev).
func itemPrev(a *domain.Applied) int64 {
	if p, ok := a.Prev[a.Item]; ok && a.Item != "" {
		return p
	}
	return -1
}

// saltSource hands out 16-byte salts from a buffer filled by crypto/rand.
type saltSource struct {
	buf []byte
}

func (s *saltSource) next() (string, error) {
	if len(s.buf) < 16 {
		s.buf = make([]byte, 16*1024)
		if _, err := rand.Read(s.buf); err != nil {
			return "", err
		}
	}
	salt := hex.EncodeToString(s.buf[:16])
	s.buf = s.buf[16:]
	return salt, nil
}

// Record is one record to append, with how it reached the system.
type Record struct {
	Op       string
	Rec      any // a validated record of casefile (see casefile.Decode)
	Recorded custody.Recorded
	// Body is the canonical encoding of Rec, when the caller computed it
	// already (the import does, off the main loop); nil otherwise.
	Body []byte
	// Sigs are the personal signatures of the act over its digest
	// (custody.ActDigest of Op and Body); see domain.CheckSigs.
	Sigs []custody.Sig
	// SigsVerified says that the caller verified every signature of Sigs
	// against Body and the public key its key id names (app does, on the
	// request's goroutine): the ledger then checks the keys and roles
	// against the state, but not the cryptography again. A key's id is the
	// hash of its public key, so the answer cannot change.
	SigsVerified bool
}

// writer appends events within one transaction, keeping the rows to write.
type writer struct {
	l         *Ledger
	tx        Tx
	pending   []StoredEvent
	dirty     map[domain.Key]struct{}
	order     []domain.Key
	appendq   chan []StoredEvent
	appendErr chan error
	start     int64     // seq of the transaction's first event
	now       time.Time // the clock's one reading for the transaction
}

func (l *Ledger) begin(ctx context.Context) (*writer, error) {
	tx, err := l.store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if stx, ok := tx.(SharedTx); ok {
		if err := l.syncShared(ctx, stx); err != nil {
			return nil, errors.Join(err, tx.Rollback())
		}
	}
	return &writer{l: l, tx: tx, dirty: map[domain.Key]struct{}{}, start: l.front.size, now: l.now()}, nil
}

// add checks a record against the state and appends it as the next event.
// On a rejected record it returns the domain's error and changes nothing.
func (w *writer) add(ctx context.Context, r Record) (*custody.Event, error) {
	l := w.l
	seq := l.front.size
	// A new record meets the admission rules (plausible times against the
	// clock, free text that cannot mislead); replay does not re-check them.
	if cerr := l.state.Config().Admit(r.Rec, w.now); cerr != nil {
		return nil, cerr
	}
	body := r.Body
	if body == nil {
		var err error
		if body, err = fastcodec.MarshalCanonical(r.Rec); err != nil {
			return nil, err
		}
	}
	sigs := slices.Clone(r.Sigs)
	slices.SortFunc(sigs, func(a, b custody.Sig) int { return strings.Compare(a.Role, b.Role) })
	checks, cerr := l.state.CheckSigsDeferred(r.Op, r.Rec, body, sigs, r.Recorded.Import == nil, seq)
	if cerr != nil {
		return nil, cerr
	}
	if !r.SigsVerified || r.Body == nil {
		for _, c := range checks {
			if cerr := c.Check(); cerr != nil {
				return nil, cerr
			}
		}
	}
	applied, err := l.state.Apply(r.Op, r.Rec, seq)
	if err != nil {
		return nil, err
	}
	salt, err := l.salts.next()
	if err != nil {
		return nil, err
	}
	recorded := r.Recorded
	recorded.Commit = w.start
	ev := &custody.Event{V: custody.EventVersion, Seq: seq, Salt: salt, Op: r.Op, Record: body, Prev: applied.Prev, Recorded: recorded, Sigs: sigs}
	var buf []byte
	select {
	case buf = <-l.spare:
	default:
	}
	data, err := ev.EncodeTo(buf)
	if err != nil {
		return nil, err
	}
	hashes, err := l.front.append(data)
	if err != nil {
		return nil, err
	}
	w.pending = append(w.pending, StoredEvent{Seq: seq, Item: applied.Item, Prev: itemPrev(applied), Case: applied.Case, CasePrev: l.caseLast.link(applied.Case, seq), Data: data, Hashes: hashes})
	l.shared.tip = hashes
	for _, k := range applied.Touched {
		if _, ok := w.dirty[k]; !ok {
			w.dirty[k] = struct{}{}
			w.order = append(w.order, k)
		}
	}
	if len(w.pending) >= 2048 {
		if err := w.flush(ctx); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// flush hands the pending events to the store: directly, or to the
// background appender when one runs (see startAppender).
func (w *writer) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	if w.appendq != nil {
		select {
		case w.appendq <- w.pending:
		case err := <-w.appendErr:
			return err
		}
		w.pending = make([]StoredEvent, 0, cap(w.pending))
		return nil
	}
	err := w.tx.AppendEvents(ctx, w.pending)
	w.l.recycle(w.pending)
	w.pending = w.pending[:0]
	return err
}

// spareBuffers bounds the event buffers kept for reuse: an import's
// pipeline holds a few batches of 2,048 in flight.
const spareBuffers = 16384

// recycle keeps the data buffers of stored events for reuse. The store
// has copied what it needed (AppendEvents' contract: it keeps no reference
// to the events' bytes once it returns), and nothing else holds them: the
// results of an append carry the decoded events, not their bytes.
func (l *Ledger) recycle(events []StoredEvent) {
	for i := range events {
		select {
		case l.spare <- events[i].Data:
		default:
			return
		}
		events[i].Data = nil
	}
}

// startAppender moves the store's inserts to their own goroutine, so that a
// long import checks and hashes on one core while SQLite writes on another.
func (w *writer) startAppender(ctx context.Context) {
	q := make(chan []StoredEvent, 4)
	errc := make(chan error, 1)
	w.appendq, w.appendErr = q, errc
	tx := w.tx
	go func() {
		var err error
		for batch := range q {
			if err != nil {
				continue // drain; the error was reported
			}
			if err = tx.AppendEvents(ctx, batch); err != nil {
				errc <- err
			}
			w.l.recycle(batch)
		}
		close(errc)
	}()
}

// finishImport writes what is pending and stops the appender, leaving the
// transaction ready for commit.
func (w *writer) finishImport(ctx context.Context) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	if err := w.stopAppender(); err != nil {
		return err
	}
	// The pipeline's garbage goes back to the system before the projection
	// rows are built and SQLite commits, so that the two do not add up in
	// the import's peak memory.
	debug.FreeOSMemory()
	return nil
}

// stopAppender waits for the background appender and returns its error.
func (w *writer) stopAppender() error {
	if w.appendq == nil {
		return nil
	}
	close(w.appendq)
	w.appendq = nil
	return <-w.appendErr
}

// commit writes the pending events and rows, signs a checkpoint of the new
// tree and commits, all in the one transaction.
func (w *writer) commit(ctx context.Context) (*Checkpoint, error) {
	l := w.l
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	if err := w.stopAppender(); err != nil {
		return nil, err
	}
	if err := w.putRows(ctx); err != nil {
		return nil, err
	}
	root, err := l.front.root()
	if err != nil {
		return nil, err
	}
	if _, ok := l.store.(SharedStore); ok {
		// Signed only once the transaction has committed (see
		// SharedStore).
		if err := w.tx.Commit(); err != nil {
			return nil, err
		}
		return l.checkpointCommitted(ctx, l.front.size, root)
	}
	signed, err := signCheckpoint(l.signer, l.origin, l.front.size, root)
	if err != nil {
		return nil, err
	}
	cp := Checkpoint{Size: l.front.size, Root: root, Note: signed}
	if err := w.tx.AddCheckpoint(ctx, cp); err != nil {
		return nil, err
	}
	if err := w.tx.Commit(); err != nil {
		return nil, err
	}
	return &cp, nil
}

// rowChunk is how many touched keys one step of putRows turns into rows.
const rowChunk = 4096

// putRows writes the rows of every key the transaction touched. A large
// transaction (an import) builds them in chunks on another goroutine while
// SQLite writes the chunk before, so that the two take one core each
// instead of one after the other, and the rows of only a few chunks are in
// memory at once. The state is not changed meanwhile: the ledger's lock is
// held, and the goroutine has ended when putRows returns.
func (w *writer) putRows(ctx context.Context) error {
	put := func(rows map[string][]domain.Row) error {
		for _, t := range domain.Tables {
			if len(rows[t.Name]) > 0 {
				if err := w.tx.PutRows(ctx, t, rows[t.Name]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if len(w.order) <= rowChunk {
		return put(w.l.state.RowsFor(w.order))
	}
	chunks := make(chan map[string][]domain.Row, 1)
	stop := make(chan struct{})
	go func() {
		defer close(chunks)
		for i := 0; i < len(w.order); i += rowChunk {
			select {
			case chunks <- w.l.state.RowsFor(w.order[i:min(i+rowChunk, len(w.order))]):
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for range chunks {
		}
	}()
	for rows := range chunks {
		if err := put(rows); err != nil {
			return err
		}
	}
	return nil
}

// abort rolls back and drops the in-memory changes of the transaction.
func (w *writer) abort(ctx context.Context) error {
	w.stopAppender()
	rerr := w.tx.Rollback()
	if err := w.l.reload(ctx); err != nil {
		return errors.Join(rerr, err)
	}
	return rerr
}

// ImportResult says what an import added.
type ImportResult struct {
	Events int
	Size   int64 // log size after the import
	// Checkpoint is the signed checkpoint of the import's tree; nil when
	// a shared store could not store it after the commit (see Append).
	Checkpoint []byte
}

// Import appends a case file, all or nothing: a rejected line (returned as a
// *casefile.LineError) leaves the store and the state as they were. fileSHA
// is the file's SHA-256, recorded in every event it adds; progress, when not
// nil, is called every few thousand lines.
func (l *Ledger) Import(ctx context.Context, r io.Reader, fileSHA string, progress func(lines int)) (*ImportResult, error) {
	defer l.deliver() // after the unlock: the observer may read the ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	w, err := l.begin(ctx)
	if err != nil {
		return nil, err
	}
	at := w.now.UTC().Format(time.RFC3339Nano)
	w.startAppender(ctx)
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := decodeLines(dctx, r)
	n := 0
	for batch := range lines {
		for _, d := range batch {
			err := d.err
			if err == nil {
				_, err = w.add(ctx, Record{Op: d.op, Rec: d.rec, Body: d.body, Recorded: custody.Recorded{At: at, Import: &custody.Import{SHA256: fileSHA, Line: d.line}}})
				var ce *custody.Error
				if errors.As(err, &ce) {
					err = &casefile.LineError{Line: d.line, Op: d.op, Err: ce}
				}
			}
			if err == nil {
				err = ctx.Err()
			}
			if err != nil {
				cancel()
				for range lines {
				}
				return nil, errors.Join(err, w.abort(ctx))
			}
			n++
			if progress != nil && n%4096 == 0 {
				progress(d.line)
			}
		}
	}
	if n == 0 {
		return nil, errors.Join(custody.Errorf(custody.EInvalid, "", "el archivo no tiene registros", "the file has no records"), w.abort(ctx))
	}
	if err := w.finishImport(ctx); err != nil {
		return nil, errors.Join(err, w.abort(ctx))
	}
	cp, err := w.commit(ctx)
	if err != nil {
		return nil, errors.Join(err, w.abort(ctx))
	}
	res := &ImportResult{Events: n, Size: l.front.size}
	if cp != nil {
		res.Checkpoint = cp.Note
	}
	return res, nil
}

// decodedLine is a case-file line decoded and canonicalised ahead of the
// main loop.
type decodedLine struct {
	line int
	op   string
	rec  any
	body []byte
	err  error
}

// decodeLines reads, decodes, validates and canonicalises lines on its own
// goroutine, in batches; a bad line ends the stream after it.
func decodeLines(ctx context.Context, r io.Reader) <-chan []decodedLine {
	out := make(chan []decodedLine, 8)
	go func() {
		defer close(out)
		rd := casefile.NewReader(bufio.NewReaderSize(r, 1<<20))
		batch := make([]decodedLine, 0, 256)
		send := func() bool {
			select {
			case out <- batch:
				batch = make([]decodedLine, 0, 256)
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			line, op, rec, err := rd.Next()
			if err == io.EOF {
				break
			}
			d := decodedLine{line: line, op: op, rec: rec, err: err}
			if err == nil {
				d.body, d.err = fastcodec.MarshalCanonical(rec)
			}
			batch = append(batch, d)
			if d.err != nil {
				break
			}
			if len(batch) == cap(batch) && !send() {
				return
			}
		}
		if len(batch) > 0 {
			send()
		}
	}()
	return out
}

// Result is the outcome of one record of an Append: its event, or why it was
// rejected.
type Result struct {
	Event *custody.Event
	Err   error
}

// Append appends records in one transaction, each accepted or rejected on its
// own (a rejected record changes nothing), and returns once the accepted
// ones are durable. When the transaction itself fails, every record fails.
// On a shared store the checkpoint is signed and stored after the commit;
// when storing it fails (the database went away just then), the records
// are still durable: Append returns their results and a nil checkpoint,
// and the ledger stores the checkpoint at its next write or Refresh.
func (l *Ledger) Append(ctx context.Context, recs []Record) ([]Result, *Checkpoint, error) {
	defer l.deliver() // after the unlock: the observer may read the ledger
	l.mu.Lock()
	defer l.mu.Unlock()
	w, err := l.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Result, len(recs))
	accepted := 0
	for i, r := range recs {
		ev, err := w.add(ctx, r)
		var ce *custody.Error
		if err != nil && !errors.As(err, &ce) {
			return nil, nil, errors.Join(err, w.abort(ctx))
		}
		out[i] = Result{Event: ev, Err: err}
		if err == nil {
			accepted++
		}
	}
	if accepted == 0 {
		return out, nil, w.tx.Rollback()
	}
	cp, err := w.commit(ctx)
	if err != nil {
		return nil, nil, errors.Join(err, w.abort(ctx))
	}
	return out, cp, nil
}

// Admit checks a new record against the admission rules (domain
// Config.Admit) with the clock's reading now, for a caller that wants the
// answer before it spends something on the record (the web handover spends
// the receiver's sign-in); the write path checks again when it appends.
func (l *Ledger) Admit(rec any) *custody.Error {
	var e *custody.Error
	l.View(func(st *domain.State) error { e = st.Config().Admit(rec, l.now()); return nil })
	return e
}

// View calls fn with the current state under a read lock. fn must not keep
// references to the state after it returns.
func (l *Ledger) View(fn func(s *domain.State) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return fn(l.state)
}

// Size is the number of events in the log.
func (l *Ledger) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.front.size
}
