package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// client is a browser-like client: a cookie jar and the CSRF token.
type client struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func (e *testEnv) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, base: e.ts.URL, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (c *client) do(method, path, body string, csrf bool) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if csrf {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, readAll(resp)
}

func (c *client) login(account, password, totp string) int {
	st, b := c.do("POST", "/api/v1/login", fmt.Sprintf(`{"account":%q,"password":%q,"totp":%q}`, account, password, totp), false)
	var lr app.LoginResult
	json.Unmarshal(b, &lr)
	c.csrf = lr.CSRF
	return st
}

// TestSessionFlowAndSecretsNotLogged runs a full flow (accounts, sign-in
// with TOTP, CSRF, tokens, reads of reserved identities and site targets,
// lockout) and then checks that no secret and no reserved identity appears
// in the server's logs.
func TestSessionFlowAndSecretsNotLogged(t *testing.T) {
	e := newEnv(t)
	admin := e.account("root", "admin", "")
	pros := e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	agent := e.account("agente", "agent", "pn.s-pic-01.lead", "METASTASIS")

	// Admin signs in (with TOTP, like every role that can grant access)
	// and creates an account over HTTP.
	a := e.browser()
	if st := a.login("root", admin.Password, ""); st != 401 {
		t.Errorf("admin without TOTP: %d, want 401", st)
	}
	if st := a.login("root", admin.Password, totpAt(admin.TOTPSecret, 0)); st != 200 {
		t.Fatalf("admin login: %d", st)
	}
	st, b := a.do("POST", "/api/v1/accounts", `{"account":"perito","name":"Perito","role":"forensic_analyst","officer":"lab.1"}`, false)
	if st != 403 || !strings.Contains(string(b), "csrf_token") {
		t.Errorf("a session write without CSRF token: %d %s, want 403 naming csrf_token", st, b)
	}
	st, b = a.do("POST", "/api/v1/accounts", `{"account":"perito","name":"Perito","role":"forensic_analyst","officer":"lab.1"}`, true)
	if st != 201 {
		t.Fatalf("create account: %d %s", st, b)
	}
	var perito app.NewAccount
	json.Unmarshal(b, &perito)
	if perito.Password == "" || perito.TOTPSecret == "" {
		t.Fatalf("new forensic account must get a password and a TOTP secret: %+v", perito)
	}
	st, b = a.do("POST", "/api/v1/accounts/root/tokens", `{"scope":"read","cases":["METASTASIS"]}`, true)
	if st != 201 {
		t.Fatalf("token: %d %s", st, b)
	}
	var tok app.IssuedToken
	json.Unmarshal(b, &tok)

	// The prosecutor needs the TOTP code.
	p := e.browser()
	if st := p.login("fiscal", pros.Password, ""); st != 401 {
		t.Errorf("prosecutor without TOTP: %d, want 401", st)
	}
	code, _ := accounts.TOTP(pros.TOTPSecret, testNow)
	if st := p.login("fiscal", pros.Password, code); st != 200 {
		t.Fatalf("prosecutor with TOTP: %d", st)
	}
	if st := e.browser().login("fiscal", pros.Password, code); st != 401 {
		t.Errorf("a TOTP code replayed: %d, want 401", st)
	}
	for _, path := range []string{"/api/v1/cases/METASTASIS/persons", "/api/v1/persons/P-03", "/api/v1/operations/OP-METASTASIS/sites"} {
		if st, b := p.do("GET", path, "", false); st != 200 {
			t.Errorf("%s: %d %s", path, st, b)
		}
	}
	_, b = p.do("GET", "/api/v1/persons/P-03", "", false)
	var pv app.PersonView
	json.Unmarshal(b, &pv)
	if pv.Redacted || pv.Name == app.RedactedName {
		t.Errorf("the prosecutor sees a redacted identity: %+v", pv)
	}
	reservedName := pv.Name
	_, b = p.do("GET", "/api/v1/sites/S-PIC-01", "", false)
	var sv app.SiteView
	json.Unmarshal(b, &sv)
	if sv.Address == "" {
		t.Fatalf("the prosecutor does not see the site's address: %s", b)
	}
	address := sv.Address

	// The agent (S-PIC-01's lead) sees the target of a site his team has
	// not moved on yet (S-PIC-99, planned) only after the release; he sees
	// S-PIC-01's, where his team went that night, already (issue 15, 9).
	// Agents see no reserved identity.
	e.append(ledger.Record{Op: casefile.OpSite, Rec: &casefile.Site{ID: "S-PIC-99", Operation: "OP-METASTASIS", Province: "Pichincha", City: "Quito",
		Kind: "office", Lead: "pn.s-pic-01.lead", Address: "Dirección nueva reservada", Warrant: "Orden S-PIC-99"}})
	g := e.browser()
	gcode, _ := accounts.TOTP(agent.TOTPSecret, testNow)
	if st := g.login("agente", agent.Password, gcode); st != 200 {
		t.Fatalf("agent login: %d", st)
	}
	_, b = g.do("GET", "/api/v1/sites/S-PIC-99", "", false)
	if strings.Contains(string(b), "Dirección nueva") || !strings.Contains(string(b), `"target_redacted":true`) {
		t.Errorf("agent sees a planned site's target before release: %s", b)
	}
	_, b = g.do("GET", "/api/v1/sites/S-PIC-01", "", false)
	if !strings.Contains(string(b), address) {
		t.Errorf("the lead does not see the target of the site his team searched: %s", b)
	}
	_, b = g.do("GET", "/api/v1/persons/P-03", "", false)
	if strings.Contains(string(b), reservedName) {
		t.Errorf("agent sees a reserved identity: %s", b)
	}
	if st, b := p.do("POST", "/api/v1/operations/OP-METASTASIS/release", `{"at":"2023-12-13T20:00:00-05:00"}`, true); st != 201 {
		t.Fatalf("release: %d %s", st, b)
	}
	_, b = g.do("GET", "/api/v1/sites/S-PIC-99", "", false)
	if !strings.Contains(string(b), "Dirección nueva reservada") {
		t.Errorf("the team lead does not see the target after release: %s", b)
	}
	_, b = g.do("GET", "/api/v1/sites/S-PIC-02", "", false)
	if strings.Contains(string(b), "Dirección") {
		t.Errorf("the lead of S-PIC-01 sees S-PIC-02's target: %s", b)
	}
	// S-PIC-01 is concluded: a seizure or a detention there is refused,
	// saying why (issue 15, 9); the same act without the site is not.
	for _, body := range []string{
		`{"op":"evidence.seize","id":"E-PIC-01-90","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead","site":"S-PIC-01"}`,
		`{"op":"detention.record","id":"D-PIC-01-90","case":"METASTASIS","person":"P-03","basis":"flagrante","arrested_at":"2024-05-02T10:00:00-05:00","arrested_by":"pn.s-pic-01.lead","site":"S-PIC-01"}`,
	} {
		st, b := g.do("POST", "/api/v1/records", body, true)
		if st != 422 || !strings.Contains(string(b), `"field":"site"`) || !strings.Contains(string(b), "S-PIC-01 concluyó") {
			t.Errorf("an act at a concluded site: %d %s", st, b)
		}
		if st, b := g.do("POST", "/api/v1/records", strings.Replace(body, `,"site":"S-PIC-01"`, "", 1), true); st != 201 {
			t.Errorf("the same act without the site: %d %s", st, b)
		}
	}
	// A record in the agent's name, through the session (CSRF).
	e.append(ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "FX", Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: "pn.s-pic-02.lead"}})
	// Both parties sign the handover with their registered keys.
	giver, taker := testkeys.Ed25519("pn.s-pic-02.lead"), testkeys.Ed25519("pn.s-pic-01.lead")
	e.enrol(giver, taker)
	fx := &custody.Transfer{Item: "FX", From: "pn.s-pic-02.lead", To: "pn.s-pic-01.lead", At: "2024-05-02T10:00:00-05:00", Purpose: "storage", SealCondition: "none"}
	if st, b := g.do("POST", "/api/v1/items/FX/transfers", signedTransfer(fx, giver, taker), true); st != 201 {
		t.Fatalf("agent transfer: %d %s", st, b)
	}

	// Password change: the old password is required; the new one works.
	if st, b := a.do("POST", "/api/v1/me/password", `{"old":"wrong","new":"a much longer password"}`, true); st != 400 || !strings.Contains(string(b), `"field":"old"`) {
		t.Errorf("password change with a wrong old password: %d %s", st, b)
	}
	newPassword := "otra contraseña larga y nueva"
	if st, b := a.do("POST", "/api/v1/me/password", fmt.Sprintf(`{"old":%q,"new":%q}`, admin.Password, newPassword), true); st != 204 {
		t.Fatalf("password change: %d %s", st, b)
	}
	if st := e.browser().login("root", admin.Password, totpAt(admin.TOTPSecret, 1)); st != 401 {
		t.Errorf("the old password still works: %d", st)
	}
	if st := e.browser().login("root", newPassword, totpAt(admin.TOTPSecret, 1)); st != 200 {
		t.Errorf("the new password does not work: %d", st)
	}
	// The change ended the account's tokens; a new one is issued.
	if st, _ := e.do("GET", "/api/v1/me", tok.Token, ""); st != 401 {
		t.Errorf("a token issued before the password change: %d, want 401", st)
	}
	st, b = a.do("POST", "/api/v1/accounts/root/tokens", `{"scope":"read","cases":["METASTASIS"]}`, true)
	if st != 201 {
		t.Fatalf("token: %d %s", st, b)
	}
	json.Unmarshal(b, &tok)

	// Read-only and revoked tokens.
	if st, _ := e.do("POST", "/api/v1/records", tok.Token, `{"op":"statement.add","id":"S1","case":"METASTASIS","at":"2024-05-02T10:00:00-05:00","source":"x","text":"y"}`); st != 403 {
		t.Errorf("read-only token write: %d, want 403", st)
	}
	if st, b := a.do("DELETE", "/api/v1/tokens/"+tok.ID, "", true); st != 204 {
		t.Errorf("revoke: %d %s", st, b)
	}
	if st, _ := e.do("GET", "/api/v1/me", tok.Token, ""); st != 401 {
		t.Errorf("revoked token: %d, want 401", st)
	}

	// Lockout: five failures, then even the right password is refused.
	x := e.browser()
	for range 5 {
		if st := x.login("perito", "wrong", "000000"); st != 401 {
			t.Fatalf("wrong password: %d", st)
		}
	}
	pcode, _ := accounts.TOTP(perito.TOTPSecret, testNow)
	if st := x.login("perito", perito.Password, pcode); st != 429 {
		t.Errorf("after 5 failures: %d, want 429", st)
	}
	// Disabling an account ends its sessions.
	if st, b := a.do("POST", "/api/v1/accounts/agente/disable", "", true); st != 200 {
		t.Fatalf("disable: %d %s", st, b)
	}
	if st, _ := g.do("GET", "/api/v1/me", "", false); st != 401 {
		t.Errorf("disabled account's session: %d, want 401", st)
	}
	if st, _ := p.do("POST", "/api/v1/logout", "", true); st != 204 {
		t.Errorf("logout: %d", st)
	}
	if st, _ := p.do("GET", "/api/v1/me", "", false); st != 401 {
		t.Errorf("after logout: %d, want 401", st)
	}

	logs := e.logs.String()
	if !strings.Contains(logs, "route=") {
		t.Fatal("no request was logged")
	}
	for name, secret := range map[string]string{
		"admin password": admin.Password, "prosecutor password": pros.Password, "agent password": agent.Password,
		"new password": perito.Password, "TOTP secret": pros.TOTPSecret, "new TOTP secret": perito.TOTPSecret,
		"TOTP code": code, "token": tok.Token, "token body": strings.TrimPrefix(tok.Token, accounts.TokenPrefix),
		"reserved identity": reservedName, "changed password": newPassword, "site address": address, "CSRF token": p.csrf,
	} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
	// Secrets are not in the log either, but the credential changes are.
	var creds int
	e.d.Ledger.View(func(st *domain.State) error { return nil })
	err := e.d.Store.ScanEvents(context.Background(), 0, func(se ledger.StoredEvent) error {
		for _, secret := range []string{admin.Password, pros.TOTPSecret, tok.Token, perito.Password} {
			if strings.Contains(string(se.Data), secret) {
				t.Errorf("event %d contains a secret", se.Seq)
			}
		}
		ev, err := custody.DecodeEvent(se.Data)
		if err != nil {
			return err
		}
		if ev.Op == domain.OpAccountCredential {
			creds++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if creds < 6 {
		t.Errorf("%d account.credential events, want at least 6", creds)
	}
	rep, err := ledger.Audit(context.Background(), e.d.Store, e.d.Ledger.Verifier(), e.d.Config.Rules())
	if err != nil || !rep.OK {
		t.Errorf("audit after the flow: %v %+v", err, rep)
	}
}

// TestSecurityHeaders checks the headers every response carries.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/api/v1/me", "/log/checkpoint", "/nope"} {
		resp, err := http.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		readAll(resp)
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: missing security headers: %v", path, h)
		}
	}
}

// TestLiveBoard opens a stream, records a site status, a detention and a
// seizure, and receives all three; a stream of another operation's case
// member receives nothing of it.
func TestLiveBoard(t *testing.T) {
	e := newEnv(t)
	e.account("p", "prosecutor", "fge.salazar", "METASTASIS")
	tok := e.token("p", "write")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/operations/OP-METASTASIS/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got := boardEvents(resp.Body, 10)
	for e.s.Broker.Subscribers() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	e.append(ledger.Record{Op: casefile.OpSite, Rec: &casefile.Site{ID: "S-NEW", Operation: "OP-METASTASIS", Province: "Loja", City: "Loja", Kind: "other", Lead: "fge.salazar", Address: "Secreta 1"}})
	for _, body := range []string{
		`{"op":"site.status","site":"S-NEW","status":"entered","at":"2024-05-02T10:00:00-05:00","by":"fge.salazar"}`,
		`{"op":"detention.record","id":"D-NEW","case":"METASTASIS","person":"P-03","basis":"warrant","arrested_at":"2024-05-02T10:05:00-05:00","arrested_by":"fge.salazar","site":"S-NEW","note":"private"}`,
		`{"op":"evidence.seize","id":"I-NEW","case":"METASTASIS","type":"cash","description":"x","seized_at":"2024-05-02T10:10:00-05:00","seized_by":"fge.salazar","site":"S-NEW"}`,
	} {
		if st, b := e.do("POST", "/api/v1/records", tok, body); st != 201 {
			t.Fatalf("%s: %d %s", body, st, b)
		}
	}
	var ops []string
	for len(ops) < 3 {
		select {
		case be := <-got:
			ops = append(ops, be.Op)
			if strings.Contains(string(be.Record), "Secreta") || strings.Contains(string(be.Record), "private") {
				t.Errorf("board event leaks free text: %s", be.Record)
			}
		case <-ctx.Done():
			t.Fatalf("received %v before the timeout", ops)
		}
	}
	if strings.Join(ops, ",") != "site.status,detention.record,evidence.seize" {
		t.Errorf("board events %v", ops)
	}
}

// TestSlowStreamDropped checks that a subscriber that does not read is
// dropped and never blocks publishing.
func TestSlowStreamDropped(t *testing.T) {
	b := app.NewBroker(4, 0)
	slow := b.Subscribe("op")
	fast := b.Subscribe("op")
	var wg sync.WaitGroup
	wg.Add(1)
	n := 0
	go func() {
		defer wg.Done()
		for range fast.C {
			n++
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100; i++ {
			b.Publish("op", []byte("x"))
			time.Sleep(100 * time.Microsecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	closed := false
	for !closed {
		select {
		case _, ok := <-slow.C:
			closed = !ok
		case <-time.After(5 * time.Second):
			t.Fatal("the slow subscriber was not dropped")
		}
	}
	if b.Dropped() < 1 {
		t.Errorf("dropped %d", b.Dropped())
	}
	b.Unsubscribe(fast)
	wg.Wait()
	if n < 50 {
		t.Errorf("the fast subscriber got %d of 100", n)
	}
}

// TestStreamOutlivesTimeouts: a live board stays open past the HTTP
// server's read and write timeouts.
func TestStreamOutlivesTimeouts(t *testing.T) {
	e := newEnv(t)
	e.account("p", "prosecutor", "fge.salazar", "METASTASIS")
	tok := e.token("p", "write")
	ts := httptest.NewUnstartedServer(e.s.Handler())
	ts.Config.ReadTimeout, ts.Config.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond
	ts.Start()
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/v1/operations/OP-METASTASIS/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				got <- sc.Text()
				return
			}
		}
		got <- "closed: " + fmt.Sprint(sc.Err())
	}()
	time.Sleep(1500 * time.Millisecond)
	e.append(ledger.Record{Op: casefile.OpSite, Rec: &casefile.Site{ID: "S-T", Operation: "OP-METASTASIS", Province: "Loja", City: "Loja", Kind: "other", Lead: "fge.salazar"}})
	if st, b := e.do("POST", "/api/v1/records", tok, `{"op":"site.status","site":"S-T","status":"entered","at":"2024-05-02T10:00:00-05:00","by":"fge.salazar"}`); st != 201 {
		t.Fatalf("%d %s", st, b)
	}
	select {
	case line := <-got:
		if !strings.Contains(line, "S-T") {
			t.Errorf("after the timeouts the stream gave %q", line)
		}
	case <-ctx.Done():
		t.Fatal("no event")
	}
}

// TestMetricsAndHealth checks /metrics (request latency, batch sizes, commit
// time, log size), /healthz and /readyz, which fails once the server is
// closing.
func TestMetricsAndHealth(t *testing.T) {
	e := newEnv(t)
	e.account("p", "prosecutor", "fge.salazar", "METASTASIS")
	tok := e.token("p", "write")
	if st, _ := e.do("GET", "/api/v1/cases/METASTASIS", tok, ""); st != 200 {
		t.Fatal(st)
	}
	// Metrics show what is under way: not to anyone, not to a prosecutor.
	if st, _ := e.do("GET", "/metrics", "", ""); st != 401 {
		t.Errorf("metrics without an account: %d, want 401", st)
	}
	if st, _ := e.do("GET", "/metrics", tok, ""); st != 403 {
		t.Errorf("metrics for a prosecutor: %d, want 403", st)
	}
	e.account("aud", "auditor", "")
	_, b := e.do("GET", "/metrics", e.token("aud", "read"), "")
	m := string(b)
	for _, want := range []string{
		`custodia_http_request_duration_seconds_bucket{route="GET /api/v1/cases/{case}",le="+Inf"} 1`,
		`custodia_http_requests_total{route="GET /api/v1/cases/{case}",status="200"} 1`,
		"custodia_commit_batch_records_count ", "custodia_commit_duration_seconds_sum ",
		fmt.Sprintf("custodia_log_size %d", e.d.Ledger.Size()),
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	if st, _ := e.do("GET", "/healthz", "", ""); st != 200 {
		t.Errorf("healthz %d", st)
	}
	if st, _ := e.do("GET", "/readyz", "", ""); st != 200 {
		t.Errorf("readyz %d", st)
	}
	e.s.CloseStreams()
	if st, _ := e.do("GET", "/readyz", "", ""); st != 503 {
		t.Errorf("readyz while closing: %d, want 503", st)
	}
}
