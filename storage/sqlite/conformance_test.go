package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/ledger/storetest"
)

func openIn(t *testing.T, dir string) ledger.Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(dir, "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The SQLite store keeps ledger.Store's contract.
func TestConformance(t *testing.T) { storetest.Run(t, openIn) }

// A failed write or commit of the SQLite store leaves no trace.
func TestFaults(t *testing.T) { storetest.RunFaults(t, openIn) }
