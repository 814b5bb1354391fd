package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// testEnv is a real deployment (SQLite in a temporary directory) with the
// Metástasis case file imported, served by a real Server over HTTP.
type testEnv struct {
	t    testing.TB
	dir  string
	d    *deployment.Deployment
	s    *Server
	ts   *httptest.Server
	logs *syncBuffer
	app  app.Appender
	now  time.Time
	// clock moves the server's clock ahead of testNow (setNow).
	clock *atomic.Int64
}

// setNow sets the server's clock (never before testNow).
func setNow(e *testEnv, t time.Time) { e.clock.Store(int64(t.Sub(testNow))) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testNow is the server's clock in tests: after the operation's H-hour.
var testNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := deployment.Init(ctx, dir, "custodia.test/server"); err != nil {
		t.Fatal(err)
	}
	clock := &atomic.Int64{}
	now := func() time.Time { return testNow.Add(time.Duration(clock.Load())) }
	d, err := deployment.Open(ctx, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	data, err := os.ReadFile(filepath.Join("..", "testdata", "metastasis.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ledger.Import(ctx, bytes.NewReader(data), custody.FileSHA256(data), nil); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	s, err := newServer(app.Config{
		Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicKey: d.PublicKey, Now: now,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Audit: func(ctx context.Context) (*ledger.AuditReport, error) {
			return ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), d.Config.Rules())
		},
		MaxBody: 64 << 10,
		Blobs:   d.Blobs,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.CloseStreams()
		ts.Close()
		s.Close()
	})
	return &testEnv{t: t, dir: dir, d: d, s: s, ts: ts, logs: logs, app: app.LedgerAppender(d.Ledger, "system:test", now), now: testNow, clock: clock}
}

// append appends records recorded by the test, failing on any rejection.
func (e *testEnv) append(recs ...ledger.Record) {
	e.t.Helper()
	if err := e.app(context.Background(), recs); err != nil {
		e.t.Fatal(err)
	}
}

// enrol registers and approves keys, as an administrator would.
func (e *testEnv) enrol(keys ...*testkeys.Key) {
	e.t.Helper()
	at := e.now.Add(-time.Hour)
	for _, k := range keys {
		e.append(ledger.Record{Op: custody.OpKeyRequest, Rec: k.Request(at)}, ledger.Record{Op: custody.OpKeyApprove, Rec: k.Approve(at)})
	}
}

// signed is a JSON body of a transfer with the giver's and the receiver's
// signatures (each key nil to leave its signature out).
func signedTransfer(t *custody.Transfer, giver, receiver *testkeys.Key) string {
	var sigs []custody.Sig
	if giver != nil {
		sigs = append(sigs, giver.SignAct(custody.RoleFrom, custody.OpTransfer, t))
	}
	if receiver != nil {
		sigs = append(sigs, receiver.SignAct(custody.RoleTo, custody.OpTransfer, t))
	}
	body := map[string]any{"from": t.From, "to": t.To, "at": t.At, "purpose": t.Purpose, "seal_condition": t.SealCondition}
	if t.Seal != "" {
		body["seal"] = t.Seal
	}
	if t.Location != "" {
		body["location"] = t.Location
	}
	if sigs != nil {
		body["sigs"] = sigs
	}
	b, _ := json.Marshal(body)
	return string(b)
}

// officer adds an agency if needed and an officer.
func (e *testEnv) officer(id, role string) {
	e.t.Helper()
	var hasAgency bool
	e.d.Ledger.View(func(st *domain.State) error { _, hasAgency = st.Agencies["TEST"]; return nil })
	if !hasAgency {
		e.append(ledger.Record{Op: casefile.OpAgency, Rec: &casefile.Agency{ID: "TEST", Name: "Test", Kind: "other"}})
	}
	e.append(ledger.Record{Op: casefile.OpOfficer, Rec: &casefile.Officer{ID: id, Name: id, Agency: "TEST", Role: role}})
}

// account creates an account (optionally a member of cases) and returns its
// secrets.
func (e *testEnv) account(id, role, officer string, cases ...string) *app.NewAccount {
	e.t.Helper()
	na, err := app.CreateAccount(context.Background(), e.app, e.d.Store.Credentials(), func() time.Time { return e.now }, domain.AccountCreate{Account: id, Name: id, Role: role, Officer: officer})
	if err != nil {
		e.t.Fatalf("account %s: %v", id, err)
	}
	// The generated password must be changed at first sign-in: the test
	// accounts have "chosen" theirs (password_test.go keeps a generated one).
	if err := app.SetPassword(context.Background(), e.app, e.d.Store.Credentials(), func() time.Time { return e.now }, id, na.Password); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cases {
		e.append(ledger.Record{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: c, Account: id}})
	}
	return na
}

// token issues an API token.
func (e *testEnv) token(account, scope string, cases ...string) string {
	e.t.Helper()
	tok, err := app.IssueToken(context.Background(), e.app, e.d.Store.Credentials(), func() time.Time { return e.now }, account, app.TokenRequest{Scope: scope, Cases: cases})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.Token
}

// do sends a request with an optional bearer token and returns the status
// and body.
func (e *testEnv) do(method, path, token, body string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func decodeErr(t testing.TB, b []byte) gateway.ErrorBody {
	t.Helper()
	var eb gateway.ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return eb
}

func newRequest(method, url, lang string) (*http.Request, error) {
	r, err := http.NewRequest(method, url, nil)
	if err == nil && lang != "" {
		r.Header.Set("Accept-Language", lang)
	}
	return r, err
}

func readAll(resp *http.Response) []byte {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func mustRead(tb testing.TB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// newServer builds the application, its gateway and the API on it, as
// `custodia serve` does (without the pages).
func newServer(cfg app.Config) (*Server, error) {
	svc, err := app.New(cfg)
	if err != nil {
		return nil, err
	}
	return New(gateway.New(svc)), nil
}

// totpAt is the TOTP code of secret at the test clock plus steps periods of
// 30 s: a code signs in once, so a second sign-in of one account in a test
// uses the next step (accepted within the clock-drift window).
func totpAt(secret string, steps int) string {
	code, err := accounts.TOTP(secret, testNow.Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		panic(err)
	}
	return code
}
