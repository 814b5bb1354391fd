package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/casegen"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// BenchmarkAppend64 measures what the server's committer does per batch: one
// ledger.Append of 64 custody transfers (one per item, as 64 clients send
// them), durable with its signed checkpoint. The log already holds 10,000
// events.
func BenchmarkAppend64(b *testing.B) { benchAppend(b, 64) }

// BenchmarkAppendBatch is BenchmarkAppend64 with other batch sizes: the CPU
// per event of small batches shows what one commit costs whatever it holds
// (the fsync, the signed checkpoint, shared pages), which is why the
// server's committer waits for a batch to fill under load.
func BenchmarkAppendBatch(b *testing.B) {
	for _, n := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprint("records=", n), func(b *testing.B) { benchAppend(b, n) })
	}
}

func benchAppend(b *testing.B, batch int) {
	var file bytes.Buffer
	if err := casegen.WriteCustodyLoad(&file, 1, 10000); err != nil {
		b.Fatal(err)
	}
	d := testdeploy.New(b, nil)
	testdeploy.Import(b, d, file.Bytes())
	type held struct{ id, holder string }
	var items []held
	d.Ledger.View(func(s *domain.State) error {
		for id, it := range s.Items {
			items = append(items, held{id, it.Holder})
		}
		return nil
	})
	sort.Slice(items, func(i, j int) bool { return items[i].id < items[j].id })
	items = items[:batch]
	officers := []string{"ofc.0001", "ofc.0002"}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	by := custody.Recorded{At: "2025-01-01T00:00:00Z", Account: "bench"}
	ctx := context.Background()
	cpu0 := cpuTime()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		recs := make([]ledger.Record, len(items))
		at = at.Add(time.Minute)
		for i := range items {
			to := officers[0]
			if items[i].holder == to {
				to = officers[1]
			}
			t := &custody.Transfer{Item: items[i].id, From: items[i].holder, To: to, At: at.Format(time.RFC3339), Purpose: "traslado", SealCondition: "intact"}
			body, err := fastcodec.MarshalCanonical(t)
			if err != nil {
				b.Fatal(err)
			}
			recs[i] = ledger.Record{Op: "custody.transfer", Rec: t, Body: body, Recorded: by}
			items[i].holder = to
		}
		res, _, err := d.Ledger.Append(ctx, recs)
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil {
				b.Fatal(fmt.Errorf("record %d: %w", i, r.Err))
			}
		}
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "events/s")
	// CPU time is what the machine's load distorts least.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*len(items)), "cpu-µs/event")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
