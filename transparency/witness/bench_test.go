package witness_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
	"golang.org/x/mod/sumdb/tlog"
)

// startBenchWitnesses starts n witness processes for log l.
func startBenchWitnesses(b *testing.B, l *witnesstest.Log, n int) ([]*proc, []witness.Witness, []string) {
	b.Helper()
	bin := buildWitnessMain(b)
	var procs []*proc
	var ws []witness.Witness
	var names []string
	for i := 0; i < n; i++ {
		name := "w" + string(rune('1'+i)) + ".bench.test/w"
		p := startProc(b, bin, filepath.Join(b.TempDir(), "data"), name, "127.0.0.1:0", l.VKey())
		w, err := witness.NewWitness(name, p.url(), p.vkey)
		if err != nil {
			b.Fatal(err)
		}
		procs, ws, names = append(procs, p), append(ws, w), append(names, name)
	}
	return procs, ws, names
}

// BenchmarkCosignedCheckpointLatency measures what witnessing adds to each
// checkpoint: from the log's signed checkpoint to the cosigned one, with
// three witness processes on this machine (each fsyncs its SQLite state
// before answering). Reports p50 and p99 in milliseconds.
func BenchmarkCosignedCheckpointLatency(b *testing.B) {
	l, err := witnesstest.NewLog("custodia.bench/fiscalia")
	if err != nil {
		b.Fatal(err)
	}
	l.AppendN(1000)
	_, ws, names := startBenchWitnesses(b, l, 3)
	g, err := witness.NewGatherer(witness.GathererConfig{Witnesses: ws, Quorum: witness.Threshold{K: 3, Names: names}, Proofs: l})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := g.Gather(ctx, checkpoint(b, l)); err != nil { // first contact, outside the measure
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		l.AppendN(1 + i%16)
		cp := checkpoint(b, l)
		b.StartTimer()
		start := time.Now()
		res, err := g.Gather(ctx, cp)
		lat = append(lat, time.Since(start))
		if err != nil || !res.QuorumMet {
			b.Fatalf("%v %+v", err, res.Statuses)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWitnessThroughput measures one witness process: sequential
// add-checkpoint requests for one log, each a new checkpoint with its
// consistency proof, over one keep-alive connection.
func BenchmarkWitnessThroughput(b *testing.B) {
	l, err := witnesstest.NewLog("custodia.bench/fiscalia")
	if err != nil {
		b.Fatal(err)
	}
	l.AppendN(1000)
	procs, _, _ := startBenchWitnesses(b, l, 1)
	c := &witness.Client{HTTP: &http.Client{Timeout: 10 * time.Second}}
	ctx := context.Background()
	if _, err := c.AddCheckpoint(ctx, procs[0].url(), 0, nil, checkpoint(b, l)); err != nil {
		b.Fatal(err)
	}
	type step struct {
		old   int64
		proof tlog.TreeProof
		cp    []byte
	}
	steps := make([]step, b.N)
	for i := range steps {
		old := l.Size()
		l.AppendN(1)
		p, err := l.ConsistencyProof(ctx, old, l.Size())
		if err != nil {
			b.Fatal(err)
		}
		steps[i] = step{old, p, bytes.Clone(checkpoint(b, l))}
	}
	b.ResetTimer()
	start := time.Now()
	for _, s := range steps {
		if _, err := c.AddCheckpoint(ctx, procs[0].url(), s.old, s.proof, s.cp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checkpoints/s")
}
