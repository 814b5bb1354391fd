package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
)

func openDSN(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ev(seq int64) ledger.StoredEvent {
	return ledger.StoredEvent{Seq: seq, Prev: -1, CasePrev: -1, Data: fmt.Appendf(nil, `{"seq":%d}`, seq), Hashes: make([]byte, 32)}
}

// Writers of two Stores on one database (two servers) append at once, each
// taking the next seq from the size its transaction saw under the log's
// lock: every committed event is there once, with consecutive seqs.
func TestTwoStoresSerialise(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	stores := []*Store{openDSN(t, dsn), openDSN(t, dsn)}
	const writers, each = 6, 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := map[string]int64{}
	errs := make(chan error, writers*each)
	for w := range writers {
		s := stores[w%2]
		wg.Go(func() {
			for i := range each {
				tx, err := s.Begin(ctx)
				if err != nil {
					errs <- err
					return
				}
				seq := tx.(*Tx).LogSize()
				e := ev(seq)
				e.Item = fmt.Sprintf("w%d.%d", w, i)
				if err := tx.AppendEvents(ctx, []ledger.StoredEvent{e}); err != nil {
					errs <- errors.Join(err, tx.Rollback())
					return
				}
				// Hold the lock a moment, so that the others queue on it.
				time.Sleep(time.Millisecond)
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				committed[e.Item] = seq
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := stores[1].Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != writers*each || len(committed) != writers*each {
		t.Fatalf("size %d, %d commits; want %d of each", n, len(committed), writers*each)
	}
	seen := map[string]bool{}
	var next int64
	err = stores[0].ScanEvents(ctx, 0, func(e ledger.StoredEvent) error {
		if e.Seq != next {
			return fmt.Errorf("event %d where %d belongs", e.Seq, next)
		}
		next++
		if seen[e.Item] || committed[e.Item] != e.Seq {
			return fmt.Errorf("event %d is %s, committed at %d (seen before: %v)", e.Seq, e.Item, committed[e.Item], seen[e.Item])
		}
		seen[e.Item] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A writer that computed its seq before another server committed (a stale
// size) fails cleanly: its append is refused, nothing of it is stored, and
// the log has no gap and no duplicate.
func TestStaleWriterFailsCleanly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	stale, err := a.Size(ctx) // 0
	if err != nil {
		t.Fatal(err)
	}
	tx, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.AppendEvents(ctx, []ledger.StoredEvent{ev(0)}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, err = a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Rolled back on every path: an open transaction would keep the
	// pool's Close, in the cleanup, waiting for its connection.
	defer tx.Rollback()
	if got := tx.(*Tx).LogSize(); got != 1 {
		t.Fatalf("LogSize %d after another server committed one event, want 1", got)
	}
	if err := tx.AppendEvents(ctx, []ledger.StoredEvent{ev(stale)}); err == nil {
		t.Fatal("an append of seq 0 after another server committed seq 0 was accepted")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	n, err := a.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("size %d, want 1", n)
	}
	evs, err := a.ReadEvents(ctx, []int64{0})
	if err != nil {
		t.Fatal(err)
	}
	if string(evs[0].Data) != `{"seq":0}` {
		t.Fatalf("event 0 is %q, want the other server's", evs[0].Data)
	}
}

// A second transaction's Begin waits for the first to end, whichever Store
// begins it, and then sees the first one's events.
func TestBeginWaitsForTheLock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	first, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback() // after Commit, a no-op
	if err := first.AppendEvents(ctx, []ledger.StoredEvent{ev(0), ev(1)}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if tx, err := b.Begin(short); err == nil {
		tx.Rollback()
		t.Fatal("a second transaction began while the first held the log's lock")
	}
	got := make(chan ledger.Tx, 1)
	go func() {
		tx, err := b.Begin(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- tx
	}()
	select {
	case tx := <-got:
		if tx != nil {
			tx.Rollback()
		}
		t.Fatal("Begin returned while the first transaction was open")
	case <-time.After(200 * time.Millisecond):
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	second := <-got
	if second == nil {
		t.FailNow()
	}
	defer second.Rollback()
	if n := second.(*Tx).LogSize(); n != 2 {
		t.Fatalf("the second transaction saw %d events, want the first one's 2", n)
	}
}

// A store whose lock row was deleted refuses to write: nothing would keep
// two servers apart.
func TestMissingLockRow(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, pgtest.NewDatabase(t))
	if _, err := s.pool.Exec(ctx, `DELETE FROM log_lock`); err != nil {
		t.Fatal(err)
	}
	if tx, err := s.Begin(ctx); !errors.Is(err, errLockRow) {
		if tx != nil {
			tx.Rollback()
		}
		t.Fatalf("Begin without the lock row: %v, want errLockRow", err)
	}
}

// Servers starting together on a new database migrate it once; opening it
// again applies nothing.
func TestMigrateConcurrentlyOnce(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := openDSN(t, dsn)
	var got []int
	rows, err := s.pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	want, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("schema_migrations = %v, want each migration once: %v", got, want)
	}
}

// Rows come back in byte order of their keys, as audit compares them
// (domain.CompareKeys), whatever the database's collation; keys repeated in
// one call keep the last row.
func TestRowsByteOrder(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, pgtest.NewDatabase(t))
	tab, _ := domain.TableByName(domain.TAgencies)
	keys := []string{"b", "B", "a", "Á", "A", "_", "z", "ñ", "10", "9"}
	var rows []domain.Row
	for _, k := range keys {
		rows = append(rows, domain.Row{k, "first " + k, nil, int64(0)})
	}
	rows = append(rows, domain.Row{"a", "second a", "police", int64(1)})
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.PutRows(ctx, tab, rows); err != nil {
		t.Fatal(errors.Join(err, tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var got []domain.Row
	if err := s.ScanRows(ctx, tab, func(r domain.Row) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("%d rows, want %d", len(got), len(keys))
	}
	for i := 1; i < len(got); i++ {
		if domain.CompareKeys(got[i-1], got[i], 1) >= 0 {
			t.Fatalf("row %q comes before %q: not byte order", got[i-1][0], got[i][0])
		}
	}
	for _, r := range got {
		if r[0] == "a" && !reflect.DeepEqual(r, domain.Row{"a", "second a", "police", int64(1)}) {
			t.Fatalf("row a = %v, want the later of the two", r)
		}
	}
}

// A value of the wrong type for its column is an error naming the column,
// not a converted value.
func TestPutRowsTypes(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, pgtest.NewDatabase(t))
	tab, _ := domain.TableByName(domain.TAgencies)
	for _, r := range []domain.Row{{"A", "x", "y", "0"}, {int64(1), "x", "y", int64(0)}, {"A", "x"}} {
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.PutRows(ctx, tab, []domain.Row{r}); err == nil {
			t.Errorf("row %v was accepted", r)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := s.ScanRows(ctx, tab, func(domain.Row) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows stored after only refused writes", n)
	}
}

// ScanEvents reads the log a page at a time: across page boundaries every
// event comes once and in order, from any start, and a gap (which only a
// tampered database has) is handed on as it is, without events repeated.
func TestScanEventsAcrossPages(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, pgtest.NewDatabase(t))
	const n = 2*scanPage + 5
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]ledger.StoredEvent, n)
	for i := range evs {
		evs[i] = ev(int64(i))
	}
	if err := tx.AppendEvents(ctx, evs); err != nil {
		t.Fatal(errors.Join(err, tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	scan := func(from int64) []int64 {
		t.Helper()
		var got []int64
		if err := s.ScanEvents(ctx, from, func(e ledger.StoredEvent) error { got = append(got, e.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, from := range []int64{0, scanPage - 1, scanPage, n - 1, n, n + 7} {
		got := scan(from)
		if want := max(0, n-from); int64(len(got)) != want {
			t.Fatalf("ScanEvents(%d) gave %d events, want %d", from, len(got), want)
		}
		for i, seq := range got {
			if seq != from+int64(i) {
				t.Fatalf("ScanEvents(%d): event %d at position %d", from, seq, i)
			}
		}
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.ScanEvents(ctx, 0, func(ledger.StoredEvent) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("a scan whose fn fails: %v after %d calls", err, calls)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM events WHERE seq = $1`, scanPage+3); err != nil {
		t.Fatal(err)
	}
	got := scan(0)
	if len(got) != n-1 || got[scanPage+3] != scanPage+4 || got[scanPage+2] != scanPage+2 {
		t.Fatalf("with event %d deleted: %d events, around it %v", scanPage+3, len(got), got[scanPage+1:scanPage+5])
	}
}
