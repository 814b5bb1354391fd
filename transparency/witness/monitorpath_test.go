package witness

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestMonitorRetrievalPath: c2sp.org/tlog-witness, "Monitor Retrieval
// Mechanism": GET <prefix>/<origin hash>/checkpoint, the origin hash being
// the SHA-256 of the origin in lowercase hex, serves the latest cosigned
// checkpoint with the log's signature and the witness's cosignature, and
// answers 404 for a log never cosigned.
func TestMonitorRetrievalPath(t *testing.T) {
	l := newLog(t, "example.test/monitored", 3)
	idle := newLog(t, "example.test/idle", 1)
	w := newTestWitness(t, "witness.test/mon", l, idle)
	wv, err := NewVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	path := func(origin string) string {
		h := sha256.Sum256([]byte(origin))
		return w.http.URL + "/" + hex.EncodeToString(h[:]) + "/checkpoint"
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(path(l.Origin())); code != 404 {
		t.Fatalf("before any cosignature: %d, want 404", code)
	}
	if got := post(t, w, body(0, nil, mustCheckpoint(t, l))); got.status != 200 {
		t.Fatalf("add-checkpoint: %d %q", got.status, got.body)
	}
	code, served := get(path(l.Origin()))
	if code != 200 {
		t.Fatalf("GET %s: %d %q, want 200", path(l.Origin()), code, served)
	}
	n, err := note.Open([]byte(served), note.VerifierList(l.Verifier(), wv))
	if err != nil || len(n.Sigs) != 2 || !strings.HasPrefix(n.Text, l.Origin()+"\n3\n") {
		t.Fatalf("served checkpoint: err %v\n%s", err, served)
	}
	h := sha256.Sum256([]byte(l.Origin()))
	for _, url := range []string{
		path(idle.Origin()),          // known log, never cosigned
		path("example.test/unknown"), // unknown log
		w.http.URL + "/" + strings.ToUpper(hex.EncodeToString(h[:])) + "/checkpoint", // not lowercase
	} {
		if code, _ := get(url); code != 404 {
			t.Errorf("GET %s: %d, want 404", url, code)
		}
	}
}
