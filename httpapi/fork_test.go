package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

func addAgency(t *testing.T, d *deployment.Deployment, id string) {
	t.Helper()
	res, _, err := d.Ledger.Append(context.Background(), []ledger.Record{{Op: casefile.OpAgency,
		Rec:      &casefile.Agency{ID: id, Name: "Agencia " + id, Kind: "police"},
		Recorded: custody.Recorded{At: testNow.Format(time.RFC3339), Account: "system:test"}}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRestoredDatabaseRefusesWrites: a database restored from a backup
// over a running log (a rollback), and then written to (a fork), no longer
// matches the checkpoint held beside it. The server starts, says so on
// /readyz and in its log, and refuses every write with 503 and the reason;
// the held checkpoint is not replaced by the forked log's.
func TestRestoredDatabaseRefusesWrites(t *testing.T) {
	ctx := context.Background()
	clock := testdeploy.Clock(testNow)
	d := testdeploy.New(t, clock)
	dir := d.Dir
	addAgency(t, d, "A1")
	d.Close() // holds the checkpoint of size 1
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyFile(t, filepath.Join(dir, deployment.DBFile), backup)

	d = testdeploy.Open(t, dir, clock)
	addAgency(t, d, "A2")
	addAgency(t, d, "A3")
	d.Close() // holds size 3
	held, _ := os.ReadFile(filepath.Join(dir, deployment.HeldFile))

	copyFile(t, backup, filepath.Join(dir, deployment.DBFile)) // the restore
	d = testdeploy.Open(t, dir, clock)
	var ce *custody.Error
	if err := d.CheckHeld(ctx); !errors.As(err, &ce) || ce.Code != custody.ETampered || !strings.Contains(ce.MessageEN, "rollback") {
		t.Fatalf("rollback: %v", err)
	}
	// Written to after the restore, past the held size: a fork.
	addAgency(t, d, "B2")
	addAgency(t, d, "B3")
	addAgency(t, d, "B4")
	if err := d.CheckHeld(ctx); !errors.As(err, &ce) || ce.Code != custody.ETampered || !strings.Contains(ce.MessageEN, "forked") {
		t.Fatalf("fork: %v", err)
	}
	if err := d.Hold(ctx); err == nil {
		t.Error("the forked log replaced the held checkpoint")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, deployment.HeldFile)); string(now) != string(held) {
		t.Error("the held checkpoint changed")
	}

	logs := &syncBuffer{}
	s, err := newServer(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), Now: clock, Held: d,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ts := httptest.NewServer(s.Handler())
	defer func() { s.CloseStreams(); ts.Close(); s.Close() }()
	resp, err := ts.Client().Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "forked") {
		t.Errorf("readyz: %d %s, want 503 naming the fork", resp.StatusCode, b)
	}
	e := &testEnv{t: t, d: d, s: s, ts: ts, app: app.LedgerAppender(d.Ledger, "system:test", clock), now: testNow}
	e.officer("fge.x", "prosecutor")
	e.account("p", "prosecutor", "fge.x")
	tok := e.token("p", "write")
	st, body := e.do("POST", "/api/v1/records", tok, `{"op":"case.open","id":"C-9","title":"Caso","at":"2024-05-02T10:00:00-05:00","by":"fge.x"}`)
	if st != 503 || !strings.Contains(string(body), "no acepta escrituras") {
		t.Errorf("a write on a forked log: %d %s, want 503 saying why", st, body)
	}
	if !strings.Contains(logs.String(), "refusing writes") {
		t.Errorf("the server's log does not say it refuses writes:\n%s", logs.String())
	}
}
