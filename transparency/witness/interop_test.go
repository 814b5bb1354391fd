package witness_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness"
	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestInteropIndependentLogAndVerifier: the witness accepts checkpoints and
// proofs of a log built only with golang.org/x/mod/sumdb/tlog and note (no
// Custodia code), across tile boundaries; its cosignatures verify with
// transparency-dev/formats' independent cosignature/v1 verifier; and
// cosignatures made by transparency-dev/formats' signer verify with ours.
func TestInteropIndependentLogAndVerifier(t *testing.T) {
	l := newLog(t, "interop.test/tlog", 0)
	w := startWitness(t, "witness.test/interop", l)
	theirs, err := tdnote.NewVerifierForCosignatureV1(w.vkey)
	if err != nil {
		t.Fatalf("transparency-dev/formats cannot read our vkey: %v", err)
	}
	ours, err := witness.NewVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	if theirs.KeyHash() != ours.KeyHash() || theirs.Name() != ours.Name() {
		t.Fatalf("key ID: theirs %s %08x, ours %s %08x", theirs.Name(), theirs.KeyHash(), ours.Name(), ours.KeyHash())
	}

	c := &witness.Client{}
	rng := rand.New(rand.NewPCG(1, 2))
	old := int64(0)
	for i := 0; i < 25; i++ {
		if err := l.AppendN(1 + rng.IntN(60)); err != nil {
			t.Fatal(err)
		}
		cp := checkpoint(t, l)
		var proof tlog.TreeProof
		if old > 0 {
			proof, err = l.ConsistencyProof(context.Background(), old, l.Size())
			if err != nil {
				t.Fatal(err)
			}
		}
		sigs, err := c.AddCheckpoint(context.Background(), w.http.URL, old, proof, cp)
		if err != nil {
			t.Fatalf("size %d→%d: %v", old, l.Size(), err)
		}
		msg := bytes.Clone(cp)
		for _, s := range sigs {
			msg = append(msg, "— "+s.Name+" "+s.Base64+"\n"...)
		}
		n, err := note.Open(msg, note.VerifierList(theirs))
		if err != nil || len(n.Sigs) != 1 {
			t.Fatalf("size %d: transparency-dev/formats rejects our cosignature: %v", l.Size(), err)
		}
		ts, err := tdnote.CoSigV1Timestamp(n.Sigs[0])
		if err != nil || time.Since(ts) > time.Minute || time.Until(ts) > time.Minute {
			t.Fatalf("cosignature timestamp %v, %v: not now", ts, err)
		}
		old = l.Size()
	}
	if old < 256 {
		t.Fatalf("the log reached only %d entries; the test must cross a tile boundary", old)
	}

	// The other direction: their signer, our verifier, same key.
	signer, err := tdnote.NewSignerForCosignatureV1(w.skey)
	if err != nil {
		t.Fatalf("transparency-dev/formats cannot read our skey: %v", err)
	}
	text, _, _ := bytes.Cut(checkpoint(t, l), []byte("\n\n"))
	signed, err := note.Sign(&note.Note{Text: string(text) + "\n"}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(ours)); err != nil {
		t.Fatalf("our verifier rejects transparency-dev/formats' cosignature: %v", err)
	}
}
