// Package storetest is the conformance suite of ledger.Store: every store
// (SQLite today, PostgreSQL next) runs it against the real database it
// adapts, so that the contract written in ledger.Store's doc comments is the
// one each store actually keeps. It also holds Faulty, a store that fails
// a chosen call, and RunFaults, which shows that a failed append leaves no
// trace and that the next append and the audit are clean.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Open opens the store kept in dir, creating it when dir holds none. The
// suite calls it again with the same dir after closing the store, to check
// that everything survives; it closes every store it opens.
type Open func(t *testing.T, dir string) ledger.Store

// Run runs the conformance suite. Each subtest gets a new empty directory.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open, dir string)
	}{
		{"Empty", testEmpty},
		{"RoundTrip", testRoundTrip},
		{"NoGaps", testNoGaps},
		{"ReadPastEnd", testReadPastEnd},
		{"Checkpoints", testCheckpoints},
		{"Cosigned", testCosigned},
		{"Rollback", testRollback},
		{"ItemAndCaseChains", testChains},
		{"Rows", testRows},
		{"Reopen", testReopen},
		{"LedgerHashesMatchTlog", testLedgerHashes},
		{"ConcurrentAppenders", testConcurrent},
		{"ScanKeep", testScanKeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open, t.TempDir())
		})
	}
}

func opened(t *testing.T, open Open, dir string) ledger.Store {
	t.Helper()
	s := open(t, dir)
	t.Cleanup(func() { s.Close() })
	return s
}

// raw is event seq of a store-level test: arbitrary bytes (the store does
// not decode events) and hashes of the right length.
func raw(seq int64, item string, prev int64, c string, casePrev int64) ledger.StoredEvent {
	h := make([]byte, 32*(1+bitsTrailingOnes(seq)))
	for i := range h {
		h[i] = byte(seq) + byte(i)
	}
	return ledger.StoredEvent{Seq: seq, Item: item, Prev: prev, Case: c, CasePrev: casePrev,
		Data: fmt.Appendf(nil, `{"seq":%d}`, seq), Hashes: h}
}

// bitsTrailingOnes is the number of subtrees event seq completes.
func bitsTrailingOnes(seq int64) int {
	n := 0
	for ; seq&1 == 1; seq >>= 1 {
		n++
	}
	return n
}

// write runs one transaction and commits it, or rolls it back and returns
// the error.
func write(ctx context.Context, s ledger.Store, fn func(tx ledger.Tx) error) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func mustWrite(t *testing.T, s ledger.Store, fn func(tx ledger.Tx) error) {
	t.Helper()
	if err := write(context.Background(), s, fn); err != nil {
		t.Fatal(err)
	}
}

func appendRaw(evs ...ledger.StoredEvent) func(tx ledger.Tx) error {
	return func(tx ledger.Tx) error { return tx.AppendEvents(context.Background(), evs) }
}

func scanAll(t *testing.T, s ledger.Store, from int64) []ledger.StoredEvent {
	t.Helper()
	var out []ledger.StoredEvent
	err := s.ScanEvents(context.Background(), from, func(e ledger.StoredEvent) error {
		e.Data, e.Hashes = bytes.Clone(e.Data), bytes.Clone(e.Hashes)
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func size(t *testing.T, s ledger.Store) int64 {
	t.Helper()
	n, err := s.Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testEmpty(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	if n := size(t, s); n != 0 {
		t.Fatalf("a new store has %d events", n)
	}
	if evs := scanAll(t, s, 0); len(evs) != 0 {
		t.Fatalf("a new store scans %d events", len(evs))
	}
	cps, err := s.Checkpoints(ctx)
	if err != nil || len(cps) != 0 {
		t.Fatalf("Checkpoints = %v, %v; want none", cps, err)
	}
	if _, err := s.ReadEvents(ctx, []int64{0}); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("ReadEvents(0) of an empty store: %v, want ErrNotFound", err)
	}
}

func testRoundTrip(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	want := []ledger.StoredEvent{raw(0, "A", -1, "C", -1), raw(1, "", -1, "", -1), raw(2, "A", 0, "C", 0)}
	// The store keeps no reference to Data or Hashes: the ledger reuses
	// their memory once AppendEvents returns.
	in := make([]ledger.StoredEvent, len(want))
	for i, e := range want {
		e.Data, e.Hashes = bytes.Clone(e.Data), bytes.Clone(e.Hashes)
		in[i] = e
	}
	mustWrite(t, s, func(tx ledger.Tx) error {
		err := tx.AppendEvents(ctx, in)
		for _, e := range in {
			clear(e.Data)
			clear(e.Hashes)
		}
		return err
	})
	if n := size(t, s); n != 3 {
		t.Fatalf("Size = %d, want 3", n)
	}
	if got := scanAll(t, s, 0); !reflect.DeepEqual(got, want) {
		t.Fatalf("ScanEvents(0) = %v\nwant %v", got, want)
	}
	if got := scanAll(t, s, 1); !reflect.DeepEqual(got, want[1:]) {
		t.Fatalf("ScanEvents(1) = %v\nwant %v", got, want[1:])
	}
	got, err := s.ReadEvents(ctx, []int64{2, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []ledger.StoredEvent{want[2], want[0]}) {
		t.Fatalf("ReadEvents(2, 0) = %v", got)
	}
	hs, err := s.EventHashes(ctx, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hs[0], want[1].Hashes) || !bytes.Equal(hs[1], want[2].Hashes) {
		t.Fatalf("EventHashes(1, 2) = %x", hs)
	}
	// ScanEvents stops at fn's error and returns it.
	stop := errors.New("stop")
	calls := 0
	if err := s.ScanEvents(ctx, 0, func(ledger.StoredEvent) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ScanEvents with fn failing: %v after %d calls, want stop after 1", err, calls)
	}
}

func testNoGaps(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	if err := write(ctx, s, appendRaw(raw(1, "", -1, "", -1))); err == nil {
		t.Fatal("an empty log accepted seq 1")
	}
	mustWrite(t, s, appendRaw(raw(0, "", -1, "", -1), raw(1, "", -1, "", -1)))
	for _, bad := range [][]ledger.StoredEvent{
		{raw(3, "", -1, "", -1)},                         // a gap
		{raw(1, "", -1, "", -1)},                         // a seq already there
		{raw(2, "", -1, "", -1), raw(4, "", -1, "", -1)}, // a gap inside the batch
	} {
		if err := write(ctx, s, appendRaw(bad...)); err == nil {
			t.Fatalf("events %d.. after 2 events were accepted", bad[0].Seq)
		}
		if n := size(t, s); n != 2 {
			t.Fatalf("after a refused append Size = %d, want 2", n)
		}
	}
	// Two appends in one transaction continue each other.
	mustWrite(t, s, func(tx ledger.Tx) error {
		if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(2, "", -1, "", -1)}); err != nil {
			return err
		}
		return tx.AppendEvents(ctx, []ledger.StoredEvent{raw(3, "", -1, "", -1)})
	})
	for i, e := range scanAll(t, s, 0) {
		if e.Seq != int64(i) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
}

func testReadPastEnd(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	mustWrite(t, s, appendRaw(raw(0, "", -1, "", -1), raw(1, "", -1, "", -1)))
	if evs := scanAll(t, s, 2); len(evs) != 0 {
		t.Fatalf("ScanEvents(2) of 2 events: %d events", len(evs))
	}
	if evs := scanAll(t, s, 100); len(evs) != 0 {
		t.Fatalf("ScanEvents(100) of 2 events: %d events", len(evs))
	}
	for _, seqs := range [][]int64{{2}, {0, 2}, {-1}} {
		if _, err := s.ReadEvents(ctx, seqs); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("ReadEvents(%v): %v, want ErrNotFound", seqs, err)
		}
		if _, err := s.EventHashes(ctx, seqs); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("EventHashes(%v): %v, want ErrNotFound", seqs, err)
		}
	}
}

func testCheckpoints(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	cp := func(size int64, b byte) ledger.Checkpoint {
		return ledger.Checkpoint{Size: size, Root: [32]byte{b}, Note: []byte{b, 'n'}}
	}
	mustWrite(t, s, func(tx ledger.Tx) error {
		if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(0, "", -1, "", -1)}); err != nil {
			return err
		}
		return tx.AddCheckpoint(ctx, cp(1, 1))
	})
	mustWrite(t, s, func(tx ledger.Tx) error {
		if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(1, "", -1, "", -1), raw(2, "", -1, "", -1)}); err != nil {
			return err
		}
		return tx.AddCheckpoint(ctx, cp(3, 3))
	})
	// A second root for size 3 fails, and takes its transaction's events
	// with it when rolled back.
	err := write(ctx, s, func(tx ledger.Tx) error {
		if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(3, "", -1, "", -1)}); err != nil {
			return err
		}
		return tx.AddCheckpoint(ctx, cp(3, 9))
	})
	if err == nil {
		t.Fatal("a second checkpoint for size 3 was accepted")
	}
	if n := size(t, s); n != 3 {
		t.Fatalf("Size = %d after the refused transaction, want 3", n)
	}
	got, err := s.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ledger.Checkpoint{cp(1, 1), cp(3, 3)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Checkpoints = %v, want %v", got, want)
	}
}

func testCosigned(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	if err := s.PutCosigned(ctx, 5, []byte("five")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCosigned(ctx, 2, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCosigned(ctx, 5, []byte("five, more cosigned")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Cosigned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Size != 2 || string(got[0].Note) != "two" || got[1].Size != 5 || string(got[1].Note) != "five, more cosigned" {
		t.Fatalf("Cosigned = %v, want sizes 2 and 5, the later note for 5", got)
	}
}

func testRollback(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	tab, _ := domain.TableByName(domain.TAgencies)
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(0, "", -1, "", -1)}); err != nil {
		t.Fatal(err)
	}
	if err := tx.PutRows(ctx, tab, []domain.Row{{"A", "Uno", "police", int64(0)}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.AddCheckpoint(ctx, ledger.Checkpoint{Size: 1, Note: []byte("n")}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, s)
	if err := tx.Rollback(); err != nil {
		t.Fatalf("a second Rollback: %v, want nil", err)
	}
	// Rollback after Commit is nil too: the ledger rolls back after any
	// failure, a failed Commit included.
	tx, err = s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("Rollback after Commit: %v, want nil", err)
	}
	// The store takes the same writes again after the rollback.
	mustWrite(t, s, appendRaw(raw(0, "", -1, "", -1)))
	if n := size(t, s); n != 1 {
		t.Fatalf("Size = %d, want 1", n)
	}
}

// assertEmpty checks that s holds no event, checkpoint or row.
func assertEmpty(t *testing.T, s ledger.Store) {
	t.Helper()
	ctx := context.Background()
	if n := size(t, s); n != 0 {
		t.Fatalf("Size = %d, want 0", n)
	}
	if cps, _ := s.Checkpoints(ctx); len(cps) != 0 {
		t.Fatalf("%d checkpoints, want none", len(cps))
	}
	for _, tab := range domain.Tables {
		if rows := rowsOf(t, s, tab); len(rows) != 0 {
			t.Fatalf("%d rows in %s, want none", len(rows), tab.Name)
		}
	}
}

func rowsOf(t *testing.T, s ledger.Store, tab domain.Table) []domain.Row {
	t.Helper()
	var out []domain.Row
	if err := s.ScanRows(context.Background(), tab, func(r domain.Row) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func testChains(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	// Item A is seized (0) and moved (2, 4); B is derived from A at 3,
	// whose Item column is the parent A, and B's own next event 5 links to
	// the derivation (Prev 3). Case C links 0, 2, 5; case D has 1.
	mustWrite(t, s, appendRaw(
		raw(0, "A", -1, "C", -1),
		raw(1, "X", -1, "D", -1),
		raw(2, "A", 0, "C", 0),
		raw(3, "A", 2, "", -1),
		raw(4, "A", 3, "", -1),
		raw(5, "B", 3, "C", 2),
	))
	for _, c := range []struct {
		item string
		last int64
		want []int64
	}{
		{"A", 4, []int64{0, 2, 3, 4}},
		{"A", 2, []int64{0, 2}},
		{"X", 1, []int64{1}},
		{"B", 5, []int64{3, 5}}, // the chain stops after the derivation, whose Item is A
	} {
		got, err := s.ItemEvents(ctx, c.item, c.last)
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqual(got, c.want) {
			t.Fatalf("ItemEvents(%s, %d) = %v, want %v", c.item, c.last, got, c.want)
		}
	}
	for _, c := range []struct {
		c    string
		last int64
		want []int64
	}{
		{"C", 5, []int64{0, 2, 5}},
		{"C", 2, []int64{0, 2}},
		{"D", 1, []int64{1}},
	} {
		got, err := s.CaseEvents(ctx, c.c, c.last)
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqual(got, c.want) {
			t.Fatalf("CaseEvents(%s, %d) = %v, want %v", c.c, c.last, got, c.want)
		}
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testRows(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	tab, _ := domain.TableByName(domain.TAgencies)
	mustWrite(t, s, func(tx ledger.Tx) error {
		if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(0, "", -1, "", -1)}); err != nil {
			return err
		}
		return tx.PutRows(ctx, tab, []domain.Row{{"B", "Dos", "police", int64(0)}, {"A", "Uno", "police", int64(0)}})
	})
	mustWrite(t, s, func(tx ledger.Tx) error {
		if err := tx.AppendEvents(ctx, []ledger.StoredEvent{raw(1, "", -1, "", -1)}); err != nil {
			return err
		}
		// A row is replaced whole, nil included.
		return tx.PutRows(ctx, tab, []domain.Row{{"A", "Uno bis", nil, int64(1)}})
	})
	got := rowsOf(t, s, tab)
	want := []domain.Row{{"A", "Uno bis", nil, int64(1)}, {"B", "Dos", "police", int64(0)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %v, want %v (by key, replaced whole)", got, want)
	}
}

// newKey returns a fresh log key.
func newKey(t *testing.T) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "storetest.example/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, verifier
}

func openLedger(t *testing.T, s ledger.Store, signer note.Signer, verifier note.Verifier) *ledger.Ledger {
	t.Helper()
	l, err := ledger.Open(context.Background(), s, ledger.Config{Signer: signer, Verifier: verifier, Rules: domain.DefaultConfig})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func agency(id string) ledger.Record {
	return ledger.Record{Op: casefile.OpAgency, Rec: &casefile.Agency{ID: id, Name: "Agencia " + id, Kind: "other"},
		Recorded: custody.Recorded{At: "2024-02-01T12:00:00Z", Account: "storetest"}}
}

// appendOK appends recs and fails the test unless every one is accepted.
func appendOK(t *testing.T, l *ledger.Ledger, recs ...ledger.Record) *ledger.Checkpoint {
	t.Helper()
	res, cp, err := l.Append(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
	}
	return cp
}

func auditOK(t *testing.T, s ledger.Store, v note.Verifier) *ledger.AuditReport {
	t.Helper()
	rep, err := ledger.Audit(context.Background(), s, v, domain.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("audit found problems: %+v", rep.Problems)
	}
	return rep
}

func testReopen(t *testing.T, open Open, dir string) {
	signer, verifier := newKey(t)
	s := open(t, dir)
	l := openLedger(t, s, signer, verifier)
	first := appendOK(t, l, agency("A"), agency("B"))
	appendOK(t, l, agency("C"))
	if err := s.PutCosigned(context.Background(), 2, first.Note); err != nil {
		t.Fatal(err)
	}
	evs := scanAll(t, s, 0)
	cps, _ := s.Checkpoints(context.Background())
	tab, _ := domain.TableByName(domain.TAgencies)
	rows := rowsOf(t, s, tab)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = opened(t, open, dir)
	if got := scanAll(t, s, 0); !reflect.DeepEqual(got, evs) || len(got) != 3 {
		t.Fatalf("after reopening: %d events, want the same 3", len(got))
	}
	if got, _ := s.Checkpoints(context.Background()); !reflect.DeepEqual(got, cps) || len(got) != 2 {
		t.Fatalf("after reopening: checkpoints %v, want %v", got, cps)
	}
	if got := rowsOf(t, s, tab); !reflect.DeepEqual(got, rows) || len(got) != 3 {
		t.Fatalf("after reopening: rows %v, want %v", got, rows)
	}
	if got, _ := s.Cosigned(context.Background()); len(got) != 1 || !bytes.Equal(got[0].Note, first.Note) {
		t.Fatalf("after reopening: cosigned %v", got)
	}
	l = openLedger(t, s, signer, verifier)
	appendOK(t, l, agency("D"))
	if rep := auditOK(t, s, verifier); rep.Events != 4 {
		t.Fatalf("audit read %d events, want 4", rep.Events)
	}
}

// testLedgerHashes appends through the ledger and checks every stored hash
// against tlog, and every checkpoint's root against the tree of its size.
func testLedgerHashes(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	signer, verifier := newKey(t)
	s := opened(t, open, dir)
	l := openLedger(t, s, signer, verifier)
	for i := range 9 {
		recs := make([]ledger.Record, i%3+1)
		for j := range recs {
			recs[j] = agency(fmt.Sprintf("A%d.%d", i, j))
		}
		appendOK(t, l, recs...)
	}
	evs := scanAll(t, s, 0)
	var all []tlog.Hash
	hashAt := func(_ context.Context, idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = all[x]
		}
		return out, nil
	}
	for i, e := range evs {
		want, err := tlog.StoredHashesForRecordHash(int64(i), tlog.RecordHash(e.Data), tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return hashAt(ctx, idx) }))
		if err != nil {
			t.Fatal(err)
		}
		var wb []byte
		for _, h := range want {
			wb = append(wb, h[:]...)
		}
		if !bytes.Equal(e.Hashes, wb) {
			t.Fatalf("event %d: stored hashes differ from tlog's", i)
		}
		all = append(all, want...)
	}
	cps, err := s.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 9 {
		t.Fatalf("%d checkpoints, want one per append (9)", len(cps))
	}
	for _, c := range cps {
		root, err := tlog.TreeHash(c.Size, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return hashAt(ctx, idx) }))
		if err != nil {
			t.Fatal(err)
		}
		if root != tlog.Hash(c.Root) {
			t.Fatalf("checkpoint %d: root differs from tlog's", c.Size)
		}
	}
	auditOK(t, s, verifier)
}

// testConcurrent appends from several goroutines through one ledger: the
// store sees serialised transactions, and the log has no gap and no
// duplicate.
func testConcurrent(t *testing.T, open Open, dir string) {
	signer, verifier := newKey(t)
	s := opened(t, open, dir)
	l := openLedger(t, s, signer, verifier)
	const writers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				res, _, err := l.Append(context.Background(), []ledger.Record{agency(fmt.Sprintf("W%d.%d", w, i))})
				if err == nil {
					err = res[0].Err
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := size(t, s); n != writers*each {
		t.Fatalf("Size = %d, want %d", n, writers*each)
	}
	if rep := auditOK(t, s, verifier); rep.Events != writers*each || rep.Checkpoints != writers*each {
		t.Fatalf("audit: %d events, %d checkpoints; want %d each", rep.Events, rep.Checkpoints, writers*each)
	}
}

// testScanKeep: fn may keep the events ScanEvents hands it (audit does, in
// batches, while the scan goes on), so the bytes of one event are never
// reused for the next. Events of a few kilobytes each, enough to make a
// driver refill its read buffer, show a store that hands out views of it.
func testScanKeep(t *testing.T, open Open, dir string) {
	ctx := context.Background()
	s := opened(t, open, dir)
	var want []ledger.StoredEvent
	for seq := range int64(300) {
		e := raw(seq, "", -1, "", -1)
		e.Data = append(e.Data, bytes.Repeat([]byte{' ', byte('a' + seq%26)}, 2048)...)
		want = append(want, e)
	}
	mustWrite(t, s, func(tx ledger.Tx) error { return tx.AppendEvents(ctx, want) })
	var kept []ledger.StoredEvent
	if err := s.ScanEvents(ctx, 0, func(e ledger.StoredEvent) error { kept = append(kept, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(kept) != len(want) {
		t.Fatalf("ScanEvents gave %d events, want %d", len(kept), len(want))
	}
	for i := range want {
		if !bytes.Equal(kept[i].Data, want[i].Data) || !bytes.Equal(kept[i].Hashes, want[i].Hashes) {
			t.Fatalf("event %d, kept after ScanEvents returned, is not the one stored: the store reused its memory for a later event", i)
		}
	}
}
