package witness

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestAddCheckpointSixteenMLDSASignatures: c2sp.org/signed-note says a
// verifier MUST accept at least 16 signatures on a note, "remember that
// post-quantum signatures can be up to nearly 5kB", and c2sp.org/tlog-witness
// says witnesses SHOULD cosign with ML-DSA-44 and that a submitted checkpoint
// MAY carry several signatures. A checkpoint carrying the log's signature and
// 15 ML-DSA-44 cosignatures (2420-byte signatures plus an 8-byte timestamp)
// of other witnesses, unknown to this one and so ignored, must be cosigned.
func TestAddCheckpointSixteenMLDSASignatures(t *testing.T) {
	l := newLog(t, "example.test/pq", 4)
	w := newTestWitness(t, "witness.test/pq", l)
	wv, err := NewVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	cp := mustCheckpoint(t, l)
	var b bytes.Buffer
	b.Write(cp)
	for i := 0; i < 15; i++ {
		sig := make([]byte, 4+8+2420)
		rand.Read(sig)
		b.WriteString("— witness" + string(rune('a'+i)) + ".example/mldsa44-cosigner " + base64.StdEncoding.EncodeToString(sig) + "\n")
	}
	got := post(t, w, body(0, nil, b.Bytes()))
	if got.status != 200 {
		t.Fatalf("checkpoint of %d bytes with 16 signatures: %d %q, want 200", b.Len(), got.status, got.body)
	}
	if _, err := note.Open(append(bytes.Clone(cp), got.body...), note.VerifierList(wv)); err != nil {
		t.Fatalf("cosignature does not verify: %v", err)
	}
}
