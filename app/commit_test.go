package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// A committer commits a lone request at once when batches have been small,
// and, after large batches, waits (up to its delay) for a small batch to
// fill: both requests below go in one transaction. A wait that ends with a
// small batch resets the average.
func TestCommitterFillsSmallBatchesUnderLoad(t *testing.T) {
	testNow := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	d, _ := testdeploy.Metastasis(t, testdeploy.Clock(testNow))
	const delay = 2 * time.Second
	m := NewMetrics()
	c := NewCommitter(d.Ledger, delay, m, slog.New(slog.DiscardHandler), nil)
	go c.Run()
	defer c.Close()
	ctx := context.Background()
	seize := func(id string) []ledger.Record {
		return []ledger.Record{{Op: custody.OpSeize, Recorded: custody.Recorded{At: testNow.Format(time.RFC3339), Account: "system:test"},
			Rec: &custody.Seize{ID: id, Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: "pn.s-pic-01.1"}}}
	}
	submit := func(id string) *custody.Event {
		res, err := c.Submit(ctx, seize(id))
		if err := firstError(res, err); err != nil {
			t.Errorf("%s: %v", id, err)
			return nil
		}
		return res[0].Event
	}

	start := time.Now()
	submit("CT-0")
	if d := time.Since(start); d > delay/2 {
		t.Fatalf("a lone request took %v with no load: it waited for a batch", d)
	}

	c.recent = 16 * 32 // as after steady batches of 32 records
	got := make(chan *custody.Event, 1)
	go func() { got <- submit("CT-1") }()
	time.Sleep(200 * time.Millisecond)
	second := submit("CT-2")
	first := <-got
	if first == nil || second == nil {
		t.FailNow()
	}
	if first.Recorded.Commit != second.Recorded.Commit {
		t.Errorf("requests 200 ms apart went in transactions %d and %d, want one", first.Recorded.Commit, second.Recorded.Commit)
	}
	_, _, records, batches := m.BatchSizes()
	if batches != 2 || records != 3 {
		t.Errorf("%d batches of %v records, want 2 of 3", batches, records)
	}

	// That batch waited the whole delay and stayed small: the load has
	// dropped, and the next lone request is committed at once again.
	start = time.Now()
	submit("CT-3")
	if d := time.Since(start); d > delay/2 {
		t.Errorf("a lone request after the load dropped took %v: it waited for a batch", d)
	}
}
