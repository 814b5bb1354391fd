// Package sigbound holds a checker of personal signatures against the
// machine's bound, for benchmarks (issue 14): the standard library's
// Ed25519 verification rate on one core times the cores, and the rate
// all cores give at once, each measured moments before or after the
// checker, so that a shared machine's changing speed moves both alike.
package sigbound

import (
	"crypto/ed25519"
	"crypto/sha256"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// Run measures, in each round of b.Loop and in an order that rotates from
// round to round: sigs ed25519.Verify calls on one core, the same number
// spread over every core, unsigned() and signed(). A round's rate is sigs
// over the time signed() takes beyond unsigned(). Run reports the medians
// over the rounds of that rate as a percentage of cores × the one-core
// rate ("%-of-cores×one", the bound) and of the all-cores rate
// ("%-of-all-cores"), and the median rate ("sigchecks/s").
func Run(b *testing.B, sigs int, unsigned, signed func()) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := sha256.Sum256([]byte("custodia"))
	sig := ed25519.Sign(priv, msg[:])
	verify := func(n int) {
		for range n {
			if !ed25519.Verify(pub, msg[:], sig) {
				panic("sigbound: a valid signature did not verify")
			}
		}
	}
	cores := runtime.GOMAXPROCS(0)
	timed := func(f func()) time.Duration { t := time.Now(); f(); return time.Since(t) }
	steps := []func(){
		func() { verify(sigs) },
		func() {
			var wg sync.WaitGroup
			for range cores {
				wg.Go(func() { verify(sigs / cores) })
			}
			wg.Wait()
		},
		unsigned,
		signed,
	}
	var rates, ofBound, ofAll []float64
	for round := 0; b.Loop(); round++ {
		var d [4]time.Duration
		for k := range steps {
			i := (k + round) % len(steps)
			d[i] = timed(steps[i])
		}
		if d[3] <= d[2] {
			continue // the machine stalled the unsigned run: no rate this round
		}
		rate := float64(sigs) / (d[3] - d[2]).Seconds()
		rates = append(rates, rate)
		ofBound = append(ofBound, 100*rate/(float64(cores)*float64(sigs)/d[0].Seconds()))
		ofAll = append(ofAll, 100*rate/(float64(sigs/cores*cores)/d[1].Seconds()))
	}
	b.ReportMetric(median(rates), "sigchecks/s")
	b.ReportMetric(median(ofBound), "%-of-cores×one")
	b.ReportMetric(median(ofAll), "%-of-all-cores")
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
