package verify

import (
	"context"
	"syscall"

	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/sigbound"
	"github.com/custodia-ec/custodia/internal/testkeys"
)

// handovers builds a log of one seizure and n-1 handovers between two
// officers, signed (giver and receiver) or imported, and returns its bundle
// and how many signatures it holds.
func handovers(b testing.TB, n int, signed, passkey bool) ([]byte, int) {
	l := newTestLog(b)
	l.signed = signed
	if passkey {
		l.register(testkeys.Passkey("P-B", "custodia.example", false))
	}
	l.add(custody.OpSeize, &custody.Seize{ID: "E-1", Case: "C-1", Type: "phone", Description: "x", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-A"})
	from, to := "P-A", "P-B"
	for i := 1; i < n; i++ {
		l.add(custody.OpTransfer, &custody.Transfer{Item: "E-1", From: from, To: to, At: fmt.Sprintf("2023-09-12T%02d:%02d:%02d-05:00", 6+i/3600, i/60%60, i%60), Purpose: "storage", SealCondition: "none"})
		from, to = to, from
	}
	sigs := 0
	if signed {
		sigs = 1 + 2*(n-1)
	}
	return marshal(b, l.bundle("E-1")), sigs
}

// BenchmarkVerifySignatures verifies a 1,000-act bundle three ways in one
// run: imported (no signatures), signed with Ed25519 software keys, and
// with one party's P-256 passkey; it reports the signature checks per
// second the signed runs add over the unsigned one.
func BenchmarkVerifySignatures(b *testing.B) {
	base, _ := handovers(b, 1000, false, false)
	var unsigned, unsignedCPU float64
	for _, tc := range []struct {
		name            string
		signed, passkey bool
	}{{"unsigned", false, false}, {"ed25519", true, false}, {"ed25519+es256", true, true}} {
		data, sigs := base, 0
		if tc.signed {
			data, sigs = handovers(b, 1000, true, tc.passkey)
		}
		b.Run(tc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := Verify(data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			perCPU := float64(cpuTime()-cpu0) / float64(b.N)
			if !tc.signed {
				unsigned, unsignedCPU = per, perCPU
				return
			}
			if unsigned > 0 && per > unsigned {
				b.ReportMetric(float64(sigs)/((per-unsigned)/1e9), "sigchecks/s")
			}
			// The processor time each signature adds, on whichever cores:
			// against the bound's ns/op it says how much of the work is the
			// cryptography itself, whatever else the machine is running.
			if unsignedCPU > 0 && perCPU > unsignedCPU {
				b.ReportMetric((perCPU-unsignedCPU)/float64(sigs), "cpu-ns/sig")
			}
		})
	}
}

// BenchmarkCheckSignatures is the verifier's check phase alone (checkAll
// on a parsed 1,000-act bundle: each event's inclusion proof, form and
// record, and its signatures, on every core), for the imported bundle and
// the signed ones: the time the signatures add to it, held against the
// machine's bound, without the parsing and replay that every bundle needs
// signed or not. A signed case reports the checks per second over the
// time it takes beyond the unsigned one.
func BenchmarkCheckSignatures(b *testing.B) {
	var unsigned float64
	for _, tc := range []struct {
		name            string
		signed, passkey bool
	}{{"unsigned", false, false}, {"ed25519", true, false}, {"ed25519+es256", true, true}} {
		data, sigs := handovers(b, 1000, tc.signed, tc.passkey)
		bd, err := ParseBundle(data)
		if err != nil {
			b.Fatal(err)
		}
		logKey, err := note.NewVerifier(bd.PublicKey)
		if err != nil {
			b.Fatal(err)
		}
		_, cp, err := openCheckpoint([]byte(bd.Checkpoint), logKey, note.VerifierList(logKey), "")
		if err != nil {
			b.Fatal(err)
		}
		keys, err := readKeys(bd.Keys, cp)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				evs, wait, _, err := checkAll(context.Background(), bd.Events, cp, keys)
				if err != nil || len(evs) != 1000 {
					b.Fatal(err)
				}
				for i := range evs {
					wait(i)
				}
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if !tc.signed {
				unsigned = per
				return
			}
			if unsigned > 0 && per > unsigned {
				b.ReportMetric(float64(sigs)/((per-unsigned)/1e9), "sigchecks/s")
			}
		})
	}
}

// BenchmarkSignatureBound is the machine's bound for one core: the
// standard library's Ed25519 and P-256 verification rates (the verifier
// and audit can do no better per core).
func BenchmarkSignatureBound(b *testing.B) {
	msg := sha256.Sum256([]byte("custodia"))
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sig := ed25519.Sign(priv, msg[:])
	b.Run("ed25519", func(b *testing.B) {
		for b.Loop() {
			if !ed25519.Verify(pub, msg[:], sig) {
				b.Fatal("bad")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
	})
	// The same on every core at once: the bound as this machine gives it
	// now, which a shared, loaded machine leaves below cores × one core.
	b.Run("ed25519-all-cores", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !ed25519.Verify(pub, msg[:], sig) {
					b.Error("bad")
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
	})
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	esig, _ := ecdsa.SignASN1(rand.Reader, k, msg[:])
	b.Run("p256", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(&k.PublicKey, msg[:], esig) {
				b.Fatal("bad")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
	})
}

// cpuTime is the processor time this process has used, user and system,
// in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkSignaturesAgainstBound holds the verifier's signature rate (the
// 1,000-act bundle signed, beyond the same bundle imported) against the
// machine's bound measured moments apart (package sigbound): with Ed25519
// keys, and with the receiver's P-256 passkey (999 of the 1,999
// signatures), against the bound of the same mix.
func BenchmarkSignaturesAgainstBound(b *testing.B) {
	unsigned, _ := handovers(b, 1000, false, false)
	verify := func(data []byte) func() {
		return func() {
			if _, err := Verify(data, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("ed25519", func(b *testing.B) {
		signed, sigs := handovers(b, 1000, true, false)
		sigbound.Run(b, sigs, 0, verify(unsigned), verify(signed))
	})
	b.Run("ed25519+es256", func(b *testing.B) {
		signed, sigs := handovers(b, 1000, true, true)
		sigbound.Run(b, sigs-999, 999, verify(unsigned), verify(signed))
	})
}
