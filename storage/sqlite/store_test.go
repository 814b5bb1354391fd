package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rowsOf(t *testing.T, s *Store, tab domain.Table) []domain.Row {
	t.Helper()
	var out []domain.Row
	if err := s.ScanRows(context.Background(), tab, func(r domain.Row) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// The write path's statements are prepared once and reused by every
// transaction, after commits and rollbacks alike; a row is replaced whole;
// the log's rules (no gap, one checkpoint per size) still hold.
func TestWriteTransactions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	tab, _ := domain.TableByName(domain.TAgencies)
	anom, _ := domain.TableByName(domain.TAnomalies)
	put := func(seq int64, rows ...domain.Row) error {
		tx, err := s.Begin(ctx)
		if err != nil {
			return err
		}
		err = tx.AppendEvents(ctx, []ledger.StoredEvent{{Seq: seq, Data: []byte("{}"), Hashes: make([]byte, 32)}})
		if err == nil {
			err = tx.PutRows(ctx, tab, rows)
		}
		if err == nil {
			err = tx.PutRows(ctx, anom, []domain.Row{{seq, "k", "i", "t"}, {seq, "k", "i", "t"}})
		}
		if err == nil {
			err = tx.AddCheckpoint(ctx, ledger.Checkpoint{Size: seq + 1, Note: []byte("n")})
		}
		if err != nil {
			return errors.Join(err, tx.Rollback())
		}
		return tx.Commit()
	}
	if err := put(0, domain.Row{"A", "Uno", "police", int64(0)}, domain.Row{"B", "Dos", "police", int64(0)}); err != nil {
		t.Fatal(err)
	}
	if err := put(2, domain.Row{"A", "x", "x", int64(9)}); err == nil {
		t.Fatal("an event that leaves a gap was accepted")
	}
	if err := put(1, domain.Row{"A", "Uno bis", nil, int64(1)}); err != nil {
		t.Fatal(err)
	}
	got := rowsOf(t, s, tab)
	want := []domain.Row{{"A", "Uno bis", nil, int64(1)}, {"B", "Dos", "police", int64(0)}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	if n := len(rowsOf(t, s, anom)); n != 2 {
		t.Fatalf("%d anomalies, want 2 (a key written twice is one row)", n)
	}
	// A second checkpoint for size 2 fails: the log never signs two roots
	// for one size.
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.AddCheckpoint(ctx, ledger.Checkpoint{Size: 2, Note: []byte("other")}); err == nil {
		t.Fatal("a second checkpoint for size 2 was accepted")
	}
	tx.Rollback()
	if n := s.DB().Stats().OpenConnections; n < 1 {
		t.Fatalf("%d open connections", n)
	}
	if got := len(s.stmts.m); got != 5 {
		t.Fatalf("%d statements cached, want 5 (insert event, max seq, 2 tables, checkpoint)", got)
	}
}

func TestReplaceSQL(t *testing.T) {
	tab, _ := domain.TableByName(domain.TAgencies)
	got := replaceSQL(tab)
	want := `INSERT OR REPLACE INTO agencies (id, name, kind, seq) VALUES (?, ?, ?, ?)`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
