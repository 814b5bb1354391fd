package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/zone"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLeakTracing reproduces the Metástasis leak: the operation leaked about
// 13 hours before H-hour. Users view the operation's sites before H-hour;
// `custodia access` names them, with times.
func TestLeakTracing(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := deployment.Init(ctx, dir, "custodia.test/leak"); err != nil {
		t.Fatal(err)
	}
	hHour := time.Date(2023, 12, 14, 1, 0, 0, 0, time.FixedZone("-05", -5*3600))
	var clock atomic.Int64
	clock.Store(hHour.Add(-14 * time.Hour).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	d, err := deployment.Open(ctx, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "metastasis.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// The case file holds the days after H-hour too, and a record dated
	// after the clock is refused: it is imported on a clock past them, and
	// the clock is then set back to before H-hour for the views.
	clock.Store(time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC).UnixNano())
	if _, err := d.Ledger.Import(ctx, bytes.NewReader(data), custody.FileSHA256(data), nil); err != nil {
		t.Fatal(err)
	}
	clock.Store(hHour.Add(-14 * time.Hour).UnixNano())
	s, err := newStack(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ts := httptest.NewServer(s.Handler())
	defer func() { s.CloseStreams(); ts.Close(); s.Close() }()

	appendRecs := app.LedgerAppender(d.Ledger, "system:test", now)
	tokens := map[string]string{}
	for _, a := range []struct{ id, role, officer string }{
		{"fiscal", "prosecutor", "fge.salazar"}, {"topo", "agent", "pn.s-pic-05.1"}, {"jefe", "agent", "pn.s-pic-01.lead"}, {"ajeno", "agent", "pn.s-gua-01.lead"},
	} {
		if _, err := app.CreateAccount(ctx, appendRecs, d.Store.Credentials(), now, domainAccount(a.id, a.role, a.officer)); err != nil {
			t.Fatal(err)
		}
		if a.id != "ajeno" {
			grant(t, appendRecs, a.id)
		}
		tok, err := app.IssueToken(ctx, appendRecs, d.Store.Credentials(), now, a.id, app.TokenRequest{Scope: "write"})
		if err != nil {
			t.Fatal(err)
		}
		tokens[a.id] = tok.Token
	}
	get := func(who, path string) int {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[who])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	since := now()
	// 14 h before H-hour the prosecutor reviews the targets (legitimately).
	if st := get("fiscal", "/api/v1/operations/OP-METASTASIS/sites"); st != 200 {
		t.Fatalf("fiscal: %d", st)
	}
	// 13 h before, an agent of another team looks at every site: the leak.
	clock.Add(int64(time.Hour))
	moleAt := now()
	if st := get("topo", "/api/v1/operations/OP-METASTASIS/sites"); st != 200 {
		t.Fatalf("topo: %d", st)
	}
	if st := get("topo", "/api/v1/sites/S-PIC-01"); st != 200 {
		t.Fatalf("topo site: %d", st)
	}
	// A non-member learns nothing, and leaves no read of the case.
	if st := get("ajeno", "/api/v1/operations/OP-METASTASIS/sites"); st != 404 {
		t.Fatalf("ajeno: %d, want 404", st)
	}
	// After H-hour, the team lead reads its site: outside the window.
	clock.Store(hHour.Add(time.Hour).UnixNano())
	get("jefe", "/api/v1/sites/S-PIC-01")

	code, out, errOut := runCLI(t, "access", "METASTASIS", "--data", dir, "--since", since.Format(time.RFC3339), "--json")
	if code != 0 {
		t.Fatalf("custodia access: %d %s", code, errOut)
	}
	var log []struct {
		At, Account, Kind, ID string
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	before := map[string][]string{}
	for _, a := range log {
		at, err := custody.ParseTime(a.At)
		if err != nil {
			t.Fatalf("bad time %q", a.At)
		}
		if at.Before(hHour) {
			before[a.Account] = append(before[a.Account], a.Kind+":"+a.ID)
		}
		if a.Account == "topo" && !at.Equal(moleAt) {
			t.Errorf("the mole's read is recorded at %s, want %s", a.At, moleAt.Format(time.RFC3339))
		}
	}
	if _, ok := before["ajeno"]; ok {
		t.Error("a non-member's refused read is in the access log")
	}
	if _, ok := before["jefe"]; ok {
		t.Error("a read after H-hour is counted before it")
	}
	if !strings.Contains(strings.Join(before["topo"], " "), "sites:OP-METASTASIS") {
		t.Errorf("the mole's view of the sites is not named: %v", before)
	}
	if !strings.Contains(strings.Join(before["fiscal"], " "), "site_target:S-PIC-01") {
		t.Errorf("the prosecutor's view of the targets is not named: %v", before)
	}
	// The text form names them too, with the time in the deployment's
	// zone, and what was read in the reader's words, not the code.
	for lang, word := range map[string]string{"es": "sitios", "en": "sites"} {
		code, text, _ := runCLI(t, "access", "METASTASIS", "--data", dir, "--lang", lang)
		if code != 0 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(zone.Show(moleAt, zone.Default()))+`\s+topo\s+`+word+`\s+OP-METASTASIS`).MatchString(text) {
			t.Errorf("custodia access --lang %s does not name the mole with the time and %q:\n%s", lang, word, text)
		}
		if lang == "es" && strings.Contains(text, "site_target") {
			t.Errorf("custodia access shows a read's code in Spanish:\n%s", text)
		}
	}
}

// TestServeDemo runs `custodia serve --demo` in-process, signs in with a
// printed demo password, and shuts it down gracefully.
func TestServeDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addr, out, errb, stop := serveOnce(t, "--demo", "--data", dir)
	m := regexp.MustCompile(`(?m)^\s+demo-auditor\s+(\S+)\s+demo\.auditor\s+auditor$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no demo auditor password printed:\n%s", out.String())
	}
	// Roles are named in the reader's words, not as codes.
	if !regexp.MustCompile(`(?m)^\s+demo-forensic\s+\S+\s+\S+\s+\S+\s+perito forense$`).MatchString(out.String()) || strings.Contains(out.String(), "forensic_analyst") {
		t.Errorf("the demo accounts' roles are not in Spanish words:\n%s", out.String())
	}
	// Output is not a terminal: the admin password went to a private file.
	if b, err := os.ReadFile(filepath.Join(dir, AdminPasswordFile)); err != nil || !strings.HasPrefix(string(b), "admin ") {
		t.Errorf("no administrator password file: %v %q", err, b)
	} else if pw := strings.TrimSpace(strings.TrimPrefix(string(b), "admin ")); strings.Contains(out.String()+errb.String(), pw) {
		t.Error("the administrator password reached the output")
	}
	if fi, err := os.Stat(filepath.Join(dir, AdminPasswordFile)); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %v", fi.Mode().Perm())
	}
	resp, err := http.Post("http://"+addr+"/api/v1/login", "application/json", strings.NewReader(fmt.Sprintf(`{"account":"demo-auditor","password":%q}`, m[1])))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("demo login: %d", resp.StatusCode)
	}
	if strings.Contains(errb.String(), m[1]) {
		t.Error("a password reached the log (stderr)")
	}
	stop()
	// The log is flushed at shutdown: the login's request line is in it,
	// and still no password.
	if !strings.Contains(errb.String(), "route=\"POST /api/v1/login\"") {
		t.Errorf("the login request is not in the log:\n%s", errb.String())
	}
	if strings.Contains(errb.String(), m[1]) {
		t.Error("a password reached the log (stderr)")
	}
	// The deployment audits clean, with the demo's accounts and reads.
	if code, _, e := runCLI(t, "audit", "--data", dir); code != 0 {
		t.Errorf("audit after serve: %d %s", code, e)
	}
}

// TestUserCommands covers user add|list|token|disable.
func TestUserCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, e := runCLI(t, "init", "--data", dir); code != 0 {
		t.Fatal(e)
	}
	data := filepath.Join("..", "..", "testdata", "metastasis.jsonl")
	if code, _, e := runCLI(t, "import", data, "--data", dir); code != 0 {
		t.Fatal(e)
	}
	code, out, e := runCLI(t, "user", "add", "perito", "--role", "forensic_analyst", "--officer", "lab.1", "--case", "METASTASIS", "--data", dir)
	if code != 0 || !strings.Contains(out, "TOTP") {
		t.Fatalf("user add: %d %s %s", code, out, e)
	}
	if code, _, _ := runCLI(t, "user", "add", "perito", "--role", "auditor", "--data", dir); code != 1 {
		t.Errorf("duplicate user add: %d, want 1", code)
	}
	if code, _, _ := runCLI(t, "user", "add", "x", "--role", "agent", "--data", dir); code != 1 {
		t.Errorf("agent without officer: %d, want 1", code)
	}
	code, out, _ = runCLI(t, "user", "token", "perito", "--scope", "write", "--data", dir)
	if code != 0 || !strings.HasPrefix(out, accounts.TokenPrefix) {
		t.Fatalf("user token: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "user", "list", "--json", "--data", dir)
	var views []app.AccountView
	if code != 0 || json.Unmarshal([]byte(out), &views) != nil || len(views) != 1 || views[0].Cases[0] != "METASTASIS" {
		t.Fatalf("user list: %d %s", code, out)
	}
	if code, _, e := runCLI(t, "user", "disable", "perito", "--data", dir); code != 0 {
		t.Fatal(e)
	}
	_, out, _ = runCLI(t, "user", "list", "--data", dir)
	if !strings.Contains(out, "deshabilitada") {
		t.Errorf("user list after disable:\n%s", out)
	}
	if code, out, e := runCLI(t, "audit", "--data", dir); code != 0 {
		t.Errorf("audit: %s\n%s", e, out)
	}
}
