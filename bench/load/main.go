// Command load runs custody transfers through the HTTP API of a real
// `custodia serve` with concurrent clients and reports durable events per
// second, latency percentiles and the group-commit batch sizes the server
// saw.
//
//	go build -o /tmp/custodia ./cmd/custodia
//	go run ./bench/load -bin /tmp/custodia -clients 64 -duration 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/internal/loadgen"
)

func main() {
	bin := flag.String("bin", "./custodia", "custodia binary")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long to run")
	warmup := flag.Duration("warmup", 2*time.Second, "load before measuring")
	flag.Parse()
	if err := run(*bin, *clients, *duration, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(bin string, clients int, duration, warmup time.Duration) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custodia-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	d, err := loadgen.Prepare(ctx, bin, dir+"/data", clients)
	if err != nil {
		return err
	}
	addr, err := loadgen.FreeAddr()
	if err != nil {
		return err
	}
	s, err := d.Start(ctx, addr)
	if err != nil {
		return err
	}
	defer s.Stop()
	if warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, warmup)
		loadgen.Run(wctx, addr, d.Token, clients)
		cancel()
	}
	before, _ := loadgen.Metric(addr, "custodia_commit_")
	rctx, cancel := context.WithTimeout(ctx, duration)
	st := loadgen.Run(rctx, addr, d.Token, clients)
	cancel()
	after, err := loadgen.Metric(addr, "custodia_commit_")
	if err != nil {
		return err
	}

	fmt.Printf("clients %d, %v: %d transfers acknowledged durable, %d failed\n", clients, st.Elapsed.Round(time.Millisecond), st.OK, st.Failed)
	fmt.Printf("throughput: %.0f durable events/s (each transfer is one event; plus a few audited reads at start)\n", float64(st.OK)/st.Elapsed.Seconds())
	fmt.Printf("latency: p50 %v  p90 %v  p99 %v  max %v\n", st.Percentile(50).Round(10*time.Microsecond), st.Percentile(90).Round(10*time.Microsecond),
		st.Percentile(99).Round(10*time.Microsecond), st.Percentile(100).Round(10*time.Microsecond))
	fmt.Println("group commit during the measured run: records per transaction and seconds per transaction (cumulative buckets):")
	fmt.Print(diff(before, after))
	return nil
}

// diff subtracts two scrapes of the batch histogram, line by line.
func diff(before, after []string) string {
	prev := map[string]float64{}
	for _, l := range before {
		k, v, _ := strings.Cut(l, " ")
		var f float64
		fmt.Sscan(v, &f)
		prev[k] = f
	}
	var b strings.Builder
	for _, l := range after {
		k, v, _ := strings.Cut(l, " ")
		var f float64
		fmt.Sscan(v, &f)
		fmt.Fprintf(&b, "  %s %.0f\n", k, f-prev[k])
	}
	return b.String()
}
