package postgres

import (
	"context"
	"sync"
	"testing"

	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/ledger/storetest"
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
)

// opener returns a storetest.Open that gives each directory the suite
// hands it a database of its own, new the first time and the same when the
// suite reopens the directory.
func opener() storetest.Open {
	var mu sync.Mutex
	dbs := map[string]string{}
	return func(t *testing.T, dir string) ledger.Store {
		t.Helper()
		mu.Lock()
		dsn, ok := dbs[dir]
		mu.Unlock()
		if !ok {
			// Not under mu: NewDatabase may skip or fail the test,
			// which ends its goroutine.
			dsn = pgtest.NewDatabase(t)
			mu.Lock()
			dbs[dir] = dsn
			mu.Unlock()
		}
		s, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// The PostgreSQL store keeps ledger.Store's contract.
func TestConformance(t *testing.T) { storetest.Run(t, opener()) }

// A failed write or commit of the PostgreSQL store leaves no trace.
func TestFaults(t *testing.T) { storetest.RunFaults(t, opener()) }
