package witness

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type testWitness struct {
	srv    *Server
	http   *httptest.Server
	dbPath string
	vkey   string
}

func newTestWitness(t *testing.T, name string, logs ...*witnesstest.Log) *testWitness {
	t.Helper()
	skey, vkey, err := GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	cos, err := NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var cfgLogs []Log
	for _, l := range logs {
		pl, err := ParseLog(l.VKey())
		if err != nil {
			t.Fatal(err)
		}
		cfgLogs = append(cfgLogs, pl)
	}
	dbPath := filepath.Join(t.TempDir(), "witness.db")
	srv, err := NewServer(context.Background(), dbPath, Config{Cosigner: cos, Logs: cfgLogs})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &testWitness{srv: srv, http: hs, dbPath: dbPath, vkey: vkey}
}

func newLog(t *testing.T, origin string, n int) *witnesstest.Log {
	t.Helper()
	l, err := witnesstest.NewLog(origin)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendN(n); err != nil {
		t.Fatal(err)
	}
	return l
}

func mustCheckpoint(t *testing.T, l *witnesstest.Log) []byte {
	t.Helper()
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func mustProof(t *testing.T, l *witnesstest.Log, old, new int64) tlog.TreeProof {
	t.Helper()
	p, err := l.ConsistencyProof(context.Background(), old, new)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type answer struct {
	status int
	ctype  string
	body   string
}

func post(t *testing.T, w *testWitness, body []byte) answer {
	t.Helper()
	resp, err := http.Post(w.http.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

func body(old int64, proof tlog.TreeProof, cp []byte) []byte {
	return (&AddCheckpointRequest{OldSize: old, Proof: proof, Checkpoint: cp}).Marshal()
}

// TestAddCheckpointAnswers walks one witness through every answer that
// c2sp.org/tlog-witness prescribes.
func TestAddCheckpointAnswers(t *testing.T) {
	l := newLog(t, "example.test/custody", 5)
	w := newTestWitness(t, "witness.test/w1", l)
	wv, err := NewVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	cp5 := mustCheckpoint(t, l)

	// First contact: old 0, no proof.
	got := post(t, w, body(0, nil, cp5))
	if got.status != 200 {
		t.Fatalf("first checkpoint: status %d %q, want 200", got.status, got.body)
	}
	if _, err := note.Open(append(bytes.Clone(cp5), got.body...), note.VerifierList(wv)); err != nil {
		t.Fatalf("cosignature does not verify: %v\n%s", err, got.body)
	}

	if err := l.AppendN(3); err != nil {
		t.Fatal(err)
	}
	cp8 := mustCheckpoint(t, l)

	other := newLog(t, "other.test/log", 3)
	impostor := newLog(t, "example.test/custody", 8) // same origin, another key

	tooBig := append([]byte("old 0\n\n"), bytes.Repeat([]byte("x"), MaxRequestSize)...)
	badHash := mustProof(t, l, 5, 8)
	badHash[0][0] ^= 1
	tests := []struct {
		name   string
		body   []byte
		status int
		size   string // the 409 body
	}{
		{"unknown origin", body(0, nil, mustCheckpoint(t, other)), 404, ""},
		{"signature by another key", body(5, mustProof(t, l, 5, 8), mustCheckpoint(t, impostor)), 403, ""},
		{"unsigned note", body(5, nil, []byte("example.test/custody\n8\n"+tlog.Hash{}.String()+"\n")), 400, ""},
		{"old size above checkpoint size", body(9, nil, cp8), 400, ""},
		{"old size 0 with a proof", body(0, mustProof(t, l, 5, 8), cp8), 422, ""},
		{"wrong old size", body(3, mustProof(t, l, 3, 8), cp8), 409, "5\n"},
		{"old size 0 after cosigning", body(0, nil, cp8), 409, "5\n"},
		{"bad proof", body(5, badHash, cp8), 422, ""},
		{"proof for other sizes", body(5, mustProof(t, l, 4, 8), cp8), 422, ""},
		{"garbage", []byte("hello\n"), 400, ""},
		{"no blank line", []byte("old 5\n"), 400, ""},
		{"empty body", nil, 400, ""},
		{"leading zero", append([]byte("old 05\n\n"), cp8...), 400, ""},
		{"too large", tooBig, 413, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := post(t, w, tc.body)
			if got.status != tc.status {
				t.Fatalf("status %d (%q), want %d", got.status, got.body, tc.status)
			}
			if tc.status == 409 {
				if got.ctype != "text/x.tlog.size" || got.body != tc.size {
					t.Fatalf("409 answer %q %q, want text/x.tlog.size %q", got.ctype, got.body, tc.size)
				}
				return
			}
			// Any other refusal says why once in Spanish, then once in English.
			lines := strings.Split(got.body, "\n")
			if len(lines) != 3 || lines[2] != "" || lines[0] == "" || lines[1] == "" {
				t.Fatalf("refusal %q: want two lines, Spanish then English", got.body)
			}
			es, en := lines[0], lines[1]
			if es == en || strings.Contains(es, en) || strings.Contains(en, es) || strings.Contains(es, " / ") || strings.Contains(en, " / ") {
				t.Errorf("refusal %q says the same thing more than once", got.body)
			}
		})
	}

	// The refusals left the state alone: the right request still works.
	got = post(t, w, body(5, mustProof(t, l, 5, 8), cp8))
	if got.status != 200 {
		t.Fatalf("good update after refusals: %d %q", got.status, got.body)
	}
	// Same size, same root: cosigned again.
	if got := post(t, w, body(8, nil, cp8)); got.status != 200 {
		t.Fatalf("same checkpoint again: %d %q", got.status, got.body)
	}
	// Same size, different root: 422 (c2sp.org/tlog-witness), kept as evidence.
	fork, err := l.Fork(6)
	if err != nil {
		t.Fatal(err)
	}
	if err := fork.Append([]byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	fork8 := mustCheckpoint(t, fork)
	if got := post(t, w, body(8, nil, fork8)); got.status != 422 {
		t.Fatalf("same size other root: %d %q, want 422", got.status, got.body)
	}
	refs, err := w.srv.Refusals(context.Background(), l.Origin())
	if err != nil {
		t.Fatal(err)
	}
	var kept bool
	for _, r := range refs {
		kept = kept || bytes.Contains(r.Request, fork8)
	}
	if !kept {
		t.Fatalf("the forked checkpoint was not kept as evidence: %+v", refs)
	}

	// The latest cosigned checkpoint is served, with both signatures.
	resp, err := http.Get(w.http.URL + "/checkpoint/" + url.PathEscape(l.Origin()))
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET checkpoint: %d %s", resp.StatusCode, served)
	}
	n, err := note.Open(served, note.VerifierList(l.Verifier(), wv))
	if err != nil || len(n.Sigs) != 2 || !strings.HasPrefix(n.Text, l.Origin()+"\n8\n") {
		t.Fatalf("served checkpoint: err %v, %d sigs\n%s", err, len(n.Sigs), served)
	}
	resp, err = http.Get(w.http.URL + "/checkpoint/" + url.PathEscape("nope.test/log"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("GET unknown checkpoint: %d, want 404", resp.StatusCode)
	}
}

// TestStateStoredBeforeAnswer reads the witness's SQLite file, through
// another connection, right after a 200: the new size must be there.
func TestStateStoredBeforeAnswer(t *testing.T) {
	l := newLog(t, "example.test/custody", 1)
	w := newTestWitness(t, "witness.test/w1", l)
	db, err := sql.Open("sqlite", w.dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := int64(0)
	for i := 0; i < 20; i++ {
		cp := mustCheckpoint(t, l)
		var proof tlog.TreeProof
		if old > 0 {
			proof = mustProof(t, l, old, l.Size())
		}
		if got := post(t, w, body(old, proof, cp)); got.status != 200 {
			t.Fatalf("step %d: %d %q", i, got.status, got.body)
		}
		var size int64
		var root []byte
		if err := db.QueryRow("SELECT size, root FROM checkpoints WHERE origin = ?", l.Origin()).Scan(&size, &root); err != nil {
			t.Fatal(err)
		}
		tree, _ := l.Tree(l.Size())
		if size != l.Size() || !bytes.Equal(root, tree.Hash[:]) {
			t.Fatalf("step %d: stored size %d root %x, want %d %x", i, size, root, l.Size(), tree.Hash[:])
		}
		var mode string
		var syncMode int
		db.QueryRow("PRAGMA journal_mode").Scan(&mode)
		w.srv.st.db.QueryRow("PRAGMA synchronous").Scan(&syncMode)
		if mode != "wal" || syncMode != 2 {
			t.Fatalf("journal_mode %q synchronous %d, want wal and 2 (FULL)", mode, syncMode)
		}
		old = l.Size()
		if err := l.AppendN(i + 1); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentUpdatesNeverRollBack races many requests from the same old
// size: exactly one may win, and the stored size is the winner's.
func TestConcurrentUpdatesNeverRollBack(t *testing.T) {
	l := newLog(t, "example.test/custody", 4)
	w := newTestWitness(t, "witness.test/w1", l)
	if got := post(t, w, body(0, nil, mustCheckpoint(t, l))); got.status != 200 {
		t.Fatal(got)
	}
	var bodies [][]byte
	var sizes []int64
	for i := 0; i < 12; i++ {
		if err := l.AppendN(1); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, body(4, mustProof(t, l, 4, l.Size()), mustCheckpoint(t, l)))
		sizes = append(sizes, l.Size())
	}
	var mu sync.Mutex
	var won []int64
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := post(t, w, bodies[i])
			switch got.status {
			case 200:
				mu.Lock()
				won = append(won, sizes[i])
				mu.Unlock()
			case 409:
			default:
				t.Errorf("request %d: %d %q", i, got.status, got.body)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("%d requests won from the same old size, want exactly 1", len(won))
	}
	st, err := getState(context.Background(), w.srv.st.db, l.Origin())
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != won[0] {
		t.Fatalf("stored size %d, the winner was %d", st.Size, won[0])
	}
}

func TestCosignerKeys(t *testing.T) {
	skey, vkey, err := GenerateKey(rand.Reader, "witness.test/k")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	if c.VerifierKey() != vkey {
		t.Fatalf("VerifierKey %q, want %q", c.VerifierKey(), vkey)
	}
	text := []byte("example.test/custody\n1\n" + tlog.Hash{}.String() + "\n")
	now := time.Unix(1700000000, 0)
	line, err := c.Cosign(text, now)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(vkey)
	n, err := note.Open(append(append(bytes.Clone(text), '\n'), line...), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := CosignatureTime(n.Sigs[0]); err != nil || !ts.Equal(now) {
		t.Fatalf("timestamp %v %v, want %v", ts, err, now)
	}
	// A plain note key (type 0x01) of the same seed cosigns with the same
	// cosignature/v1 key ID.
	plain, _, err := note.GenerateKey(rand.Reader, "witness.test/plain")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewCosigner(plain); err != nil {
		t.Fatalf("plain Ed25519 note key: %v", err)
	}
	for _, bad := range []string{"", "PRIVATE+KEY+x", skey[:len(skey)-4] + "AAAA", strings.Replace(skey, "+KEY+", "+KYE+", 1)} {
		if _, err := NewCosigner(bad); err == nil {
			t.Errorf("NewCosigner(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "x+1+2", vkey + "A", strings.Replace(vkey, "+", "+0", 1)} {
		if _, err := NewVerifier(bad); err == nil {
			t.Errorf("NewVerifier(%q) accepted", bad)
		}
	}
}

func TestParseLog(t *testing.T) {
	l := newLog(t, "example.test/a=b", 0)
	for _, s := range []string{l.VKey(), l.Origin() + "=" + l.VKey(), "  " + l.VKey() + " "} {
		got, err := ParseLog(s)
		if err != nil || got.Origin != l.Origin() {
			t.Errorf("ParseLog(%q) = %v, %v", s, got.Origin, err)
		}
	}
	for _, s := range []string{"", "other=" + l.VKey(), "example.test/a=b=nonsense"} {
		if _, err := ParseLog(s); err == nil {
			t.Errorf("ParseLog(%q) accepted", s)
		}
	}
}

func TestRequestErrorIsCustodyError(t *testing.T) {
	l := newLog(t, "example.test/custody", 1)
	w := newTestWitness(t, "witness.test/w1", l)
	_, err := w.srv.AddCheckpoint(context.Background(), []byte("nonsense"))
	var re *RequestError
	if !errors.As(err, &re) || re.Status != 400 || re.Err.Message == "" || re.Err.MessageEN == "" {
		t.Fatalf("err = %#v", err)
	}
}
