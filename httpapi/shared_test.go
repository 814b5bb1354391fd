package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
	"github.com/custodia-ec/custodia/verify"
)

// newSharedEnvs starts n servers of one deployment on one PostgreSQL
// database, each with its own data directory (copies of the first one's
// key, public key and config.json) and each following the others' commits
// as `custodia serve` does (deployment.Follow). The Metástasis case file is
// imported through the first.
func newSharedEnvs(t *testing.T, n int) []*testEnv {
	t.Helper()
	ctx := context.Background()
	db, err := deployment.PostgresConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	first := t.TempDir()
	if _, err := deployment.InitWith(ctx, first, deployment.InitOptions{Origin: "custodia.test/shared", Database: db}); err != nil {
		t.Fatal(err)
	}
	clock := &atomic.Int64{}
	now := func() time.Time { return testNow.Add(time.Duration(clock.Load())) }
	var envs []*testEnv
	for i := range n {
		dir := first
		if i > 0 {
			dir = t.TempDir()
			for _, f := range []string{deployment.KeyFile, deployment.PubFile, deployment.ConfigFile} {
				b, err := os.ReadFile(filepath.Join(first, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		d, err := deployment.Open(ctx, dir, now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if i == 0 {
			data := mustRead(t, filepath.Join("..", "testdata", "metastasis.jsonl"))
			if _, err := d.Ledger.Import(ctx, bytes.NewReader(data), custody.FileSHA256(data), nil); err != nil {
				t.Fatal(err)
			}
		}
		logs := &syncBuffer{}
		s, err := newServer(app.Config{
			Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicKey: d.PublicKey, Now: now,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Blobs:  d.Blobs,
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		fctx, stop := context.WithCancel(ctx)
		followed := make(chan struct{})
		go func() {
			defer close(followed)
			d.Follow(fctx, 0, func(err error) { t.Errorf("server %d: %v", i, err) })
		}()
		ts := httptest.NewServer(s.Handler())
		t.Cleanup(func() {
			stop()
			<-followed
			s.CloseStreams()
			ts.Close()
			s.Close()
		})
		envs = append(envs, &testEnv{t: t, dir: dir, d: d, s: s, ts: ts, logs: logs, app: app.LedgerAppender(d.Ledger, "system:test", now), now: testNow, clock: clock})
	}
	return envs
}

// caughtUp waits until every server holds the log the first one holds.
func caughtUp(t *testing.T, envs []*testEnv) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, e := range envs {
		for e.d.Ledger.Size() < envs[0].d.Ledger.Size() {
			if time.Now().After(deadline) {
				t.Fatalf("a server holds %d events of %d", e.d.Ledger.Size(), envs[0].d.Ledger.Size())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// boardStream opens an operation's live stream and returns its board events.
func boardStream(t *testing.T, ctx context.Context, e *testEnv, tok string) <-chan app.BoardEvent {
	t.Helper()
	before := e.s.Broker.Subscribers()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/operations/OP-METASTASIS/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d %s", resp.StatusCode, readAll(resp))
	}
	got := boardEvents(resp.Body, 16)
	for e.s.Broker.Subscribers() == before {
		time.Sleep(5 * time.Millisecond)
	}
	return got
}

// TestLiveBoardAcrossServers: two servers on one database, a live board
// open on each; a write received by either shows on both boards (the
// database announces the commit and the other server reads it), in log
// order. A token issued through one server works on the other.
func TestLiveBoardAcrossServers(t *testing.T) {
	envs := newSharedEnvs(t, 2)
	a, b := envs[0], envs[1]
	a.account("p", "prosecutor", "fge.salazar", "METASTASIS")
	tok := a.token("p", "write")
	caughtUp(t, envs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	onA, onB := boardStream(t, ctx, a, tok), boardStream(t, ctx, b, tok)
	if st, body := b.do("POST", "/api/v1/records", tok, `{"op":"site.add","id":"S-NEW","operation":"OP-METASTASIS","province":"Loja","city":"Loja","kind":"other","lead":"fge.salazar","address":"Secreta 1"}`); st != 201 {
		t.Fatalf("site.add through server B: %d %s", st, body)
	}
	writes := []struct {
		via  *testEnv
		body string
	}{
		{a, `{"op":"site.status","site":"S-NEW","status":"entered","at":"2024-05-02T10:00:00-05:00","by":"fge.salazar"}`},
		{b, `{"op":"detention.record","id":"D-NEW","case":"METASTASIS","person":"P-03","basis":"warrant","arrested_at":"2024-05-02T10:05:00-05:00","arrested_by":"fge.salazar","site":"S-NEW"}`},
		{a, `{"op":"evidence.seize","id":"I-NEW","case":"METASTASIS","type":"cash","description":"x","seized_at":"2024-05-02T10:10:00-05:00","seized_by":"fge.salazar","site":"S-NEW"}`},
	}
	var seqs []int64
	for _, w := range writes {
		st, body := w.via.do("POST", "/api/v1/records", tok, w.body)
		if st != 201 {
			t.Fatalf("%s: %d %s", w.body, st, body)
		}
		var r struct {
			Seq int64 `json:"seq"`
		}
		json.Unmarshal(body, &r)
		seqs = append(seqs, r.Seq)
	}
	for name, stream := range map[string]<-chan app.BoardEvent{"A": onA, "B": onB} {
		var ops []string
		var got []int64
		for len(ops) < 3 {
			select {
			case be := <-stream:
				ops = append(ops, be.Op)
				got = append(got, be.Seq)
			case <-ctx.Done():
				t.Fatalf("server %s's board received %v before the timeout", name, ops)
			}
		}
		if strings.Join(ops, ",") != "site.status,detention.record,evidence.seize" || fmt.Sprint(got) != fmt.Sprint(seqs) {
			t.Errorf("server %s's board: %v at %v, want the three writes at %v", name, ops, got, seqs)
		}
	}
}

// TestProofsFromAnyServer: a client takes the checkpoint from one server
// and the proofs and tiles from another, which answers for the tree the
// first signed even before it was told of its last commit; both serve the
// same tiles, and the proofs verify against the signed checkpoint.
func TestProofsFromAnyServer(t *testing.T) {
	envs := newSharedEnvs(t, 2)
	a, b := envs[0], envs[1]
	caughtUp(t, envs)
	a.account("p", "prosecutor", "fge.salazar", "METASTASIS")
	get := func(e *testEnv, path string) []byte {
		t.Helper()
		resp, err := http.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		return body
	}
	v, err := note.NewVerifier(a.d.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, cp, err := verify.OpenNote(get(a, "/log/checkpoint"), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != a.d.Ledger.Size() {
		t.Fatalf("checkpoint of size %d, the log holds %d", cp.Size, a.d.Ledger.Size())
	}
	seq := cp.Size - 1 // the account's last event, just written through A
	var incl InclusionProof
	if err := json.Unmarshal(get(b, fmt.Sprintf("/log/proof/inclusion?index=%d&size=%d", seq, cp.Size)), &incl); err != nil {
		t.Fatal(err)
	}
	evs, err := b.d.Store.ReadEvents(context.Background(), []int64{seq})
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.RecordProof
	for _, h := range incl.Proof {
		var x tlog.Hash
		raw, _ := base64.StdEncoding.DecodeString(h)
		copy(x[:], raw)
		proof = append(proof, x)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, seq, tlog.RecordHash(evs[0].Data)); err != nil {
		t.Fatalf("server B's inclusion proof of event %d in server A's checkpoint: %v", seq, err)
	}
	var cons ConsistencyProof
	if err := json.Unmarshal(get(b, fmt.Sprintf("/log/proof/consistency?old=10&size=%d", cp.Size)), &cons); err != nil {
		t.Fatal(err)
	}
	if len(cons.Proof) == 0 {
		t.Fatal("an empty consistency proof")
	}
	for _, path := range []string{"/log/tile/0/000", "/log/tile/0/000.p/" + fmt.Sprint(cp.Size%256)} {
		if x, y := get(a, path), get(b, path); !bytes.Equal(x, y) {
			t.Errorf("%s differs between the servers", path)
		}
	}
}

// boardEvents reads a live board's stream: each "data:" line, decoded, on
// the channel (buffered n), until the stream ends.
func boardEvents(body io.Reader, n int) <-chan app.BoardEvent {
	got := make(chan app.BoardEvent, n)
	go func() {
		sc := bufio.NewScanner(body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var be app.BoardEvent
				json.Unmarshal([]byte(data), &be)
				got <- be
			}
		}
	}()
	return got
}
