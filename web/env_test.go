package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/httpapi"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/analysisdb"
)

// startAt is the test clock's start: the Metástasis night, just after
// S-CHI-03's team left (the case file's own S-CHI-03 events, its firearm
// detention and its seizures are left out, for the tests to record).
var startAt = time.Date(2023, 12, 14, 0, 35, 0, 0, time.FixedZone("-05", -5*3600))

// fileEnd is after the last time the Metástasis case file claims.
var fileEnd = time.Date(2023, 12, 20, 0, 0, 0, 0, time.UTC)

// afterFile is a test clock's start after the days the case file covers
// and the acts the item tests date on 2023-12-20 and 21.
var afterFile = time.Date(2023, 12, 22, 9, 0, 0, 0, time.FixedZone("-05", -5*3600))

// testEnv is the real thing: a deployment in a temporary directory
// (SQLite), the Metástasis case file, the server with the pages mounted,
// listening on 127.0.0.1.
type testEnv struct {
	t     testing.TB
	d     *deployment.Deployment
	s     *httpapi.Server
	w     *Web
	url   string
	now   func() time.Time
	users map[string]*app.NewAccount
	// intercept, when set, sees each request first and may answer it
	// (true) instead of the server: tests cut connections with it.
	intercept atomic.Pointer[func(http.ResponseWriter, *http.Request, http.Handler) bool]
}

// withoutSCHI03 drops the case file's records of S-CHI-03's night: its
// statuses, detention D-30 and items E-CHI-03-*.
func withoutSCHI03(data []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.Contains(l, `"D-30"`) || strings.Contains(l, "E-CHI-03") ||
			strings.Contains(l, `"op": "site.status", "site": "S-CHI-03"`) {
			continue
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	return newEnvAtConfig(t, startAt, Config{})
}

// newEnvConfig is newEnv with the pages' configuration cfg.
func newEnvConfig(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	return newEnvAtConfig(t, startAt, cfg)
}

// newEnvAt is newEnv with the clock starting at start: a test that acts on
// items after their last act in the case file (the days after the night)
// needs a clock past them, since a record dated after the server's clock
// is refused.
func newEnvAt(t testing.TB, start time.Time) *testEnv {
	t.Helper()
	return newEnvAtConfig(t, start, Config{})
}

func newEnvAtConfig(t testing.TB, start time.Time, cfg Config) *testEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := deployment.Init(ctx, dir, "custodia.test/web"); err != nil {
		t.Fatal(err)
	}
	// The case file holds the days after that night too, and a record
	// dated after the server's clock is refused: it is imported by the
	// deployment opened at the file's end, then reopened on the test clock.
	imp, err := deployment.Open(ctx, dir, func() time.Time { return fileEnd })
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "testdata", "metastasis.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	data = withoutSCHI03(data)
	if _, err := imp.Ledger.Import(ctx, bytes.NewReader(data), custody.FileSHA256(data), nil); err != nil {
		t.Fatal(err)
	}
	imp.Close()
	real := time.Now()
	now := func() time.Time { return start.Add(time.Since(real)).UTC() }
	d, err := deployment.Open(ctx, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	// The investigation analysis's database, empty until a test imports
	// into it (testdeploy.Synthetic).
	adb, err := analysisdb.Open(ctx, filepath.Join(dir, analysisdb.File))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adb.Close() })
	s, err := newStack(app.Config{Analysis: adb, Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicKey: d.PublicKey, Now: now, Blobs: d.Blobs,
		BoardInterval: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Audit: func(ctx context.Context) (*ledger.AuditReport, error) {
			return ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), d.Config.Rules())
		}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := Mount(s.Gateway(), cfg, now)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, d: d, s: s, w: w, now: now, users: map[string]*app.NewAccount{}}
	appendRecs := app.LedgerAppender(d.Ledger, "system:test", now)
	for _, a := range []struct {
		id, role, officer string
		member            bool
	}{
		{"fiscal", "prosecutor", "fge.salazar", true},
		{"agente", "agent", "pn.s-chi-03.lead", true},
		{"custodio", "custodian", "cust.chi", true},
		{"auditora", "auditor", "", true},
		{"perito", "forensic_analyst", "lab.1", true},
		{"ajeno", "agent", "pn.s-gua-01.lead", false},
		{"jefe", "admin", "", false},
	} {
		na, err := app.CreateAccount(ctx, appendRecs, d.Store.Credentials(), now, domain.AccountCreate{Account: a.id, Name: a.id, Role: a.role, Officer: a.officer})
		if err != nil {
			t.Fatalf("account %s: %v", a.id, err)
		}
		// The generated password must be changed at first sign-in; the
		// test users have "chosen" theirs (account_test.go signs in with
		// a generated one).
		if err := app.SetPassword(ctx, appendRecs, d.Store.Credentials(), now, a.id, na.Password); err != nil {
			t.Fatal(err)
		}
		if a.member {
			if err := appendRecs(ctx, []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: a.id}}}); err != nil {
				t.Fatal(err)
			}
		}
		e.users[a.id] = na
	}
	s.Start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	hs := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if f := e.intercept.Load(); f != nil && (*f)(rw, r, h) {
			return
		}
		h.ServeHTTP(rw, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		s.CloseStreams()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		s.Close()
	})
	e.url = "http://" + ln.Addr().String()
	return e
}

// totp is the current code of a test account.
func (e *testEnv) totp(account string) string { return e.totpAt(account, 0) }

// totpAt is the code of a test account at now+d.
func (e *testEnv) totpAt(account string, d time.Duration) string {
	e.t.Helper()
	code, err := accounts.TOTP(e.users[account].TOTPSecret, e.now().Add(d))
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// client is a browser-like HTTP client (cookies, no redirects followed).
type client struct {
	e    *testEnv
	c    *http.Client
	csrf string
}

func (e *testEnv) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (c *client) do(method, path string, form url.Values, hdr map[string]string) (int, string, http.Header) {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.url+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp.StatusCode, string(b), resp.Header
}

var pendingRE = regexp.MustCompile(`name="pending" value="([^"]+)"`)

// login signs in through the pages (both steps when TOTP is needed).
func (c *client) login(account string) { c.e.t.Helper(); c.loginAt(account, 0) }

// loginAt signs in with the TOTP code of now+d.
func (c *client) loginAt(account string, d time.Duration) {
	c.e.t.Helper()
	pw := c.e.users[account].Password
	st, body, _ := c.do("POST", "/entrar", url.Values{"account": {account}, "password": {pw}, "next": {"/casos"}}, nil)
	if st == 200 && strings.Contains(body, `name="step" value="totp"`) {
		if strings.Contains(body, pw) {
			c.e.t.Fatalf("the TOTP page of %s holds the password", account)
		}
		m := pendingRE.FindStringSubmatch(body)
		if m == nil {
			c.e.t.Fatalf("the TOTP page of %s has no pending sign-in", account)
		}
		st, body, _ = c.do("POST", "/entrar", url.Values{"pending": {m[1]}, "step": {"totp"}, "totp": {c.e.totpAt(account, d)}, "next": {"/casos"}}, nil)
	}
	if st != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: %d %s", account, st, body)
	}
	c.do("GET", "/casos", nil, nil) // picks up the CSRF token
}

// newStack builds the application, its gateway and the JSON API on it, as
// `custodia serve` does; the pages mount on s.Gateway().
func newStack(cfg app.Config) (*httpapi.Server, error) {
	svc, err := app.New(cfg)
	if err != nil {
		return nil, err
	}
	return httpapi.New(gateway.New(svc)), nil
}

// enrol registers and approves an emulated passkey for each officer, as an
// administrator would, and returns them by officer.
func (e *testEnv) enrol(officers ...string) map[string]*testkeys.Key {
	e.t.Helper()
	keys := map[string]*testkeys.Key{}
	at := e.now().Add(-time.Hour)
	var recs []ledger.Record
	for _, o := range officers {
		k := testkeys.Passkey(o, "127.0.0.1", false)
		keys[o] = k
		recs = append(recs, ledger.Record{Op: custody.OpKeyRequest, Rec: k.Request(at)}, ledger.Record{Op: custody.OpKeyApprove, Rec: k.Approve(at)})
	}
	if err := app.LedgerAppender(e.d.Ledger, "system:test", e.now)(context.Background(), recs); err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// signedPost posts a form as app.js does with passkeys: a _prepare request
// that writes nothing, the people's signatures over each act's digest
// (with keys, by officer; the receiver's left out when skipTo), then the
// form with them.
func (c *client) signedPost(path string, form url.Values, keys map[string]*testkeys.Key, skipTo bool) (int, string) {
	fetch := map[string]string{"X-Requested-With": "fetch"}
	prep := url.Values{}
	for k, v := range form {
		prep[k] = v
	}
	prep.Set("_prepare", "1")
	st, body, _ := c.do("POST", path, prep, fetch)
	var res fetchResult
	if json.Unmarshal([]byte(body), &res) != nil || res.Sign == nil {
		return st, body
	}
	for i, a := range res.Sign.Acts {
		if i == 0 {
			for _, f := range []string{"_at", "_seized_at", "_arrested_at"} {
				form.Set(f, a.At)
			}
		}
		raw, _ := b64u.DecodeString(a.Challenge)
		var d [32]byte
		copy(d[:], raw)
		for _, s := range a.Signers {
			k := keys[s.Officer]
			if k == nil || (skipTo && s.Role == custody.RoleTo) {
				continue
			}
			sig, _ := json.Marshal(k.Sign(s.Role, d))
			form.Set(fmt.Sprintf("sig_%d_%s", i, s.Role), string(sig))
		}
	}
	st, body, _ = c.do("POST", path, form, fetch)
	return st, body
}

// firstHeldBy is the first item, by id, that officer holds and that is not
// disposed of; the test fails when there is none.
func (e *testEnv) firstHeldBy(officer string) string {
	e.t.Helper()
	var item string
	e.d.Ledger.View(func(st *domain.State) error {
		for id, it := range st.Items {
			if it.Holder == officer && !it.Disposed && (item == "" || id < item) {
				item = id
			}
		}
		return nil
	})
	if item == "" {
		e.t.Fatalf("no item held by %s", officer)
	}
	return item
}
