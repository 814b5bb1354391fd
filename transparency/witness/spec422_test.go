package witness

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestAddCheckpointUnprocessable checks the answers that c2sp.org/tlog-witness
// (since "clarify size zero and size match handling", July 2026) makes 422
// Unprocessable Entity: a size-zero checkpoint whose root is not the empty
// tree's, a proof sent with old size zero, and a checkpoint of the size the
// witness holds but with another root. None of them is a 409: a 409 tells the
// client to retry from the size in its body, and these cannot be retried.
func TestAddCheckpointUnprocessable(t *testing.T) {
	const origin = "example.test/raw"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := ParseLog(vkey)
	if err != nil {
		t.Fatal(err)
	}
	wskey, _, err := GenerateKey(rand.Reader, "witness.test/w422")
	if err != nil {
		t.Fatal(err)
	}
	cos, err := NewCosigner(wskey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(context.Background(), filepath.Join(t.TempDir(), "w.db"), Config{Cosigner: cos, Logs: []Log{lg}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	w := &testWitness{srv: srv, http: hs}

	signed := func(size int64, root tlog.Hash) []byte {
		t.Helper()
		msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	empty := tlog.Hash(sha256.Sum256(nil))
	notEmpty := tlog.Hash(sha256.Sum256([]byte("not empty")))
	var other tlog.Hash
	other[0] = 1

	if got := post(t, w, body(0, nil, signed(0, notEmpty))); got.status != 422 {
		t.Errorf("size 0, root not the empty tree's: %d %q, want 422", got.status, got.body)
	}
	if got := post(t, w, body(0, tlog.TreeProof{other}, signed(4, notEmpty))); got.status != 422 {
		t.Errorf("old size 0 with a proof: %d %q, want 422", got.status, got.body)
	}
	if got := post(t, w, body(0, nil, signed(0, empty))); got.status != 200 {
		t.Fatalf("size 0, empty root: %d %q, want 200", got.status, got.body)
	}
	if got := post(t, w, body(0, nil, signed(4, notEmpty))); got.status != 200 {
		t.Fatalf("size 4: %d %q, want 200", got.status, got.body)
	}
	if got := post(t, w, body(4, nil, signed(4, other))); got.status != 422 {
		t.Errorf("same size, other root: %d %q, want 422", got.status, got.body)
	}
	// The fork attempt is kept as evidence, and the state is unchanged.
	refs, err := srv.Refusals(context.Background(), origin)
	if err != nil || len(refs) == 0 {
		t.Errorf("refusals kept: %d, %v; want the fork attempt", len(refs), err)
	}
	if got := post(t, w, body(4, nil, signed(4, notEmpty))); got.status != 200 {
		t.Errorf("same checkpoint again: %d %q, want 200", got.status, got.body)
	}
}
