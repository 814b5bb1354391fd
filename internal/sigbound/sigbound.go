// Package sigbound holds a checker of personal signatures against the
// machine's bound, for benchmarks (issue 14): the standard library's
// Ed25519 and P-256 verification rates on one core times the cores, and
// the rate all cores give at once, each measured moments before or after
// the checker, so that a shared machine's changing speed moves both alike.
package sigbound

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// Run measures, in each round of b.Loop and in an order that rotates from
// round to round: the bound's verifications (ed Ed25519 and p256 P-256
// signatures, as many as the signed checker's) on one core, the same
// spread over every core, unsigned() and signed(). A round's rate is the
// signatures over the time signed() takes beyond unsigned(). Run reports
// the medians over the rounds of that rate as a percentage of cores × the
// one-core rate ("%-of-cores×one", the bound) and of the
// all-cores rate ("%-of-all-cores"), and the median rate ("sigchecks/s").
func Run(b *testing.B, ed, p256 int, unsigned, signed func()) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	msg := sha256.Sum256([]byte("custodia"))
	sig := ed25519.Sign(priv, msg[:])
	esig, err := ecdsa.SignASN1(rand.Reader, ec, msg[:])
	if err != nil {
		b.Fatal(err)
	}
	sigs := ed + p256
	verify := func(of int) { // one of so many equal shares of the verifications
		for range ed / of {
			if !ed25519.Verify(pub, msg[:], sig) {
				panic("sigbound: a valid signature did not verify")
			}
		}
		for range p256 / of {
			if !ecdsa.VerifyASN1(&ec.PublicKey, msg[:], esig) {
				panic("sigbound: a valid signature did not verify")
			}
		}
	}
	cores := runtime.GOMAXPROCS(0)
	timed := func(f func()) time.Duration { t := time.Now(); f(); return time.Since(t) }
	steps := []func(){
		func() { verify(1) },
		func() {
			var wg sync.WaitGroup
			for range cores {
				wg.Go(func() { verify(cores) })
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
		ofAll = append(ofAll, 100*rate/(float64(ed/cores*cores+p256/cores*cores)/d[1].Seconds()))
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
