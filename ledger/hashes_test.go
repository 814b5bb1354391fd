package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/ledger"
)

// memHashes is an in-memory tlog.HashReader: stored hash i at index i. It is
// the test's independent computation of the tree, from the events alone.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("hash %d not computed (have %d)", x, len(m))
		}
		out[i] = m[x]
	}
	return out, nil
}

// storedHashes computes every stored hash of a log of the given events, and
// the hashes each event's append produced.
func storedHashes(t testing.TB, data [][]byte) (memHashes, [][]tlog.Hash) {
	t.Helper()
	var all memHashes
	per := make([][]tlog.Hash, len(data))
	for i, d := range data {
		if got := tlog.StoredHashIndex(0, int64(i)); got != int64(len(all)) {
			t.Fatalf("stored hash index of leaf %d is %d, want %d", i, got, len(all))
		}
		hs, err := tlog.StoredHashes(int64(i), d, all)
		if err != nil {
			t.Fatal(err)
		}
		per[i] = hs
		all = append(all, hs...)
	}
	return all, per
}

// allEvents reads every stored event in seq order.
func allEvents(t testing.TB, st ledger.Store) []ledger.StoredEvent {
	t.Helper()
	var out []ledger.StoredEvent
	if err := st.ScanEvents(context.Background(), 0, func(e ledger.StoredEvent) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func concat(hs []tlog.Hash) []byte {
	var b []byte
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}
