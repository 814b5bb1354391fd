package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/ledger"
)

// openStream opens the live board of OP-METASTASIS with a bearer token or
// a browser client's session, and returns the data lines it receives and a
// channel closed when the server ends the stream.
func openStream(t *testing.T, e *testEnv, token string, c *client) (<-chan string, <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/operations/OP-METASTASIS/events", nil)
	hc := http.DefaultClient
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else {
		hc = c.c
	}
	before := e.s.Broker.Subscribers()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	data := make(chan string, 16)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer close(data)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				data <- d
			}
		}
	}()
	for e.s.Broker.Subscribers() <= before {
		time.Sleep(5 * time.Millisecond)
	}
	return data, ended
}

// TestStreamEndsWhenAccessEnds: a live board stream stays open only while
// its caller may read the operation. For each way access ends, the stream
// is closed by the server and a seizure recorded afterwards never reaches
// it (issue: a stream kept delivering after the membership was revoked).
func TestStreamEndsWhenAccessEnds(t *testing.T) {
	for i, tc := range []struct {
		name string
		// session: the stream is opened by a signed-in browser, not a token.
		session bool
		end     func(e *testEnv, admin *client, victim *client, victimToken string)
	}{
		{"membership revoked", false, func(e *testEnv, admin, _ *client, _ string) {
			if st, b := admin.do("DELETE", "/api/v1/cases/METASTASIS/members/fiscal", "", true); st != 200 && st != 204 {
				t.Fatalf("revoke: %d %s", st, b)
			}
		}},
		{"account disabled", false, func(e *testEnv, admin, _ *client, _ string) {
			if st, b := admin.do("POST", "/api/v1/accounts/fiscal/disable", "", true); st != 200 {
				t.Fatalf("disable: %d %s", st, b)
			}
		}},
		{"password changed", true, func(e *testEnv, _ *client, victim *client, _ string) {
			// The password is changed from another session of the same
			// account: the stream's session ends.
			other := e.browser()
			if st := other.login("fiscal", victimPassword, totpAt(victimTOTP, 1)); st != 200 {
				t.Fatalf("second session: %d", st)
			}
			if st, b := other.do("POST", "/api/v1/me/password", fmt.Sprintf(`{"old":%q,"new":"una contraseña nueva y larga"}`, victimPassword), true); st != 204 {
				t.Fatalf("password change: %d %s", st, b)
			}
		}},
		{"token revoked", false, func(e *testEnv, admin, _ *client, tok string) {
			id := ""
			toks, _ := e.d.Store.Credentials().Tokens(context.Background(), "fiscal")
			for _, t := range toks {
				if !t.Revoked {
					id = t.ID
				}
			}
			if st, b := admin.do("DELETE", "/api/v1/tokens/"+id, "", true); st != 204 {
				t.Fatalf("revoke token: %d %s", st, b)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			admin := e.account("root", "admin", "")
			pros := e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
			victimPassword, victimTOTP = pros.Password, pros.TOTPSecret
			e.account("agente2", "agent", "pn.s-pic-02.lead", "METASTASIS")
			writer := e.token("agente2", "write")
			// A site still open: the case file's are all concluded, and a
			// concluded site takes no more seizures.
			e.append(ledger.Record{Op: casefile.OpSite, Rec: &casefile.Site{ID: "S-PIC-97", Operation: "OP-METASTASIS", Province: "Pichincha", City: "Quito", Kind: "office", Lead: "pn.s-pic-02.lead"}})
			a := e.browser()
			if st := a.login("root", admin.Password, totpAt(admin.TOTPSecret, 0)); st != 200 {
				t.Fatalf("admin login: %d", st)
			}
			var v *client
			var data <-chan string
			var ended <-chan struct{}
			tok := e.token("fiscal", "read")
			if tc.session {
				v = e.browser()
				if st := v.login("fiscal", pros.Password, totpAt(pros.TOTPSecret, 0)); st != 200 {
					t.Fatalf("login: %d", st)
				}
				data, ended = openStream(t, e, "", v)
			} else {
				data, ended = openStream(t, e, tok, nil)
			}
			tc.end(e, a, v, tok)
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("the stream is still open after access ended")
			}
			// A seizure recorded now is not delivered (the stream is gone;
			// drain what came before the end, none of which is it).
			id := fmt.Sprintf("AFTER-%d", i)
			body := fmt.Sprintf(`{"op":"evidence.seize","id":%q,"case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:10:00-05:00","seized_by":"pn.s-pic-02.lead","site":"S-PIC-97"}`, id)
			if st, b := e.do("POST", "/api/v1/records", writer, body); st != 201 {
				t.Fatalf("seizure after: %d %s", st, b)
			}
			for d := range data {
				if strings.Contains(d, id) {
					t.Errorf("delivered after access ended: %s", d)
				}
			}
		})
	}
}

var victimPassword, victimTOTP string

// TestParallelWrongLoginsCheckAtMostTheLimit: 60 parallel wrong sign-ins
// to one account from one client get at most LoginFailures password checks
// (the count is reserved before the check, under one lock); the others are
// refused with 429 without touching the credential.
func TestParallelWrongLoginsCheckAtMostTheLimit(t *testing.T) {
	e := newEnv(t)
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	var checks atomic.Int64
	counting := &countingStore{Store: e.d.Store.Credentials(), n: &checks}
	svc, err := app.New(app.Config{Ledger: e.d.Ledger, Credentials: counting, Now: e.s.Now, LoginFailures: 5})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 60 {
		wg.Go(func() {
			_, _, err := svc.Login(context.Background(), "203.0.113.9", app.LoginRequest{Account: "fiscal", Password: "wrong", TOTP: "000000"})
			if ce, st := gateway.ErrorOf(err); st == 429 && ce != nil {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if got := checks.Load(); got > 5 {
		t.Errorf("%d password checks from 60 parallel attempts, want at most 5", got)
	}
	if refused.Load() < 55 {
		t.Errorf("%d refused with 429, want at least 55", refused.Load())
	}
}

// TestSignInSprayFromOneAddressIsBounded is the security test's attack:
// parallel POST /api/v1/login from one address, each naming a new account
// (so that no account's lockout applies) after the address's failures
// have made each attempt wait. The waiting attempts used to be released
// together, each then hashing against the dummy hash (19 MiB apiece):
// now at most LoginsPerClient are under way from the address, waits
// included, and the others are refused at once with 429, without a hash.
func TestSignInSprayFromOneAddressIsBounded(t *testing.T) {
	e := newEnvWith(t, func(c *app.Config) { c.LoginFailures = 1; c.LoginsPerClient = 3 })
	attempt := func(i int) (int, []byte) {
		return e.do("POST", "/api/v1/login", "", fmt.Sprintf(`{"account":"nadie-%d","password":"x"}`, i))
	}
	// Three failures from the address: each attempt after them waits 1 s.
	for i := range 3 {
		if st, b := attempt(i); st != 401 {
			t.Fatalf("failure %d: %d %s", i, st, b)
		}
	}
	const n = 12
	var wg sync.WaitGroup
	var wrong, refused atomic.Int64
	for i := range n {
		wg.Go(func() {
			st, b := attempt(100 + i)
			switch {
			case st == 401:
				wrong.Add(1)
			case st == 429 && strings.Contains(string(b), "intentos de ingreso en curso"):
				refused.Add(1)
			default:
				t.Errorf("attempt %d: %d %s", i, st, b)
			}
		})
	}
	wg.Wait()
	if wrong.Load() != 3 || refused.Load() != n-3 {
		t.Errorf("%d parallel attempts from one address: %d checked, %d refused at once; want 3 checked (LoginsPerClient) and %d refused", n, wrong.Load(), refused.Load(), n-3)
	}
}

// TestAttackerDoesNotLockOutTheUser: failures from one address lock that
// address out of the account, not the account: its owner, from elsewhere,
// still signs in, and so does everyone else behind the attacker's proxy
// with their own account.
func TestAttackerDoesNotLockOutTheUser(t *testing.T) {
	e := newEnv(t)
	pros := e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	agent := e.account("agente", "agent", "pn.s-pic-01.lead", "METASTASIS")
	ctx := context.Background()
	for range 5 {
		e.s.Login(ctx, "198.51.100.7", app.LoginRequest{Account: "fiscal", Password: "wrong"})
	}
	if _, _, err := e.s.Login(ctx, "198.51.100.7", app.LoginRequest{Account: "fiscal", Password: pros.Password, TOTP: totpAt(pros.TOTPSecret, 0)}); err == nil {
		t.Error("the attacker's address still gets password checks after 5 failures")
	}
	if _, _, err := e.s.Login(ctx, "192.0.2.44", app.LoginRequest{Account: "fiscal", Password: pros.Password, TOTP: totpAt(pros.TOTPSecret, 0)}); err != nil {
		t.Errorf("the owner, from another address, is locked out: %v", err)
	}
	if _, _, err := e.s.Login(ctx, "198.51.100.7", app.LoginRequest{Account: "agente", Password: agent.Password, TOTP: totpAt(agent.TOTPSecret, 0)}); err != nil {
		t.Errorf("another account behind the same address is locked out: %v", err)
	}
}

// TestPasswordChangeEndsOtherSessionsAndTokens: after a password change,
// the account's other sessions and its API tokens stop working; the session
// that made the change goes on.
func TestPasswordChangeEndsOtherSessionsAndTokens(t *testing.T) {
	e := newEnv(t)
	pros := e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	tok := e.token("fiscal", "read")
	a, b := e.browser(), e.browser()
	if st := a.login("fiscal", pros.Password, totpAt(pros.TOTPSecret, 0)); st != 200 {
		t.Fatal(st)
	}
	if st := b.login("fiscal", pros.Password, totpAt(pros.TOTPSecret, 1)); st != 200 {
		t.Fatal(st)
	}
	if st, body := a.do("POST", "/api/v1/me/password", fmt.Sprintf(`{"old":%q,"new":"una contraseña nueva y larga"}`, pros.Password), true); st != 204 {
		t.Fatalf("change: %d %s", st, body)
	}
	if st, _ := a.do("GET", "/api/v1/me", "", false); st != 200 {
		t.Errorf("the session that changed the password: %d, want 200", st)
	}
	if st, _ := b.do("GET", "/api/v1/me", "", false); st != 401 {
		t.Errorf("another session after the change: %d, want 401", st)
	}
	if st, _ := e.do("GET", "/api/v1/me", tok, ""); st != 401 {
		t.Errorf("a token after the change: %d, want 401", st)
	}
}

// TestOneOfficerOneAccount: a second active account for an officer already
// in use is refused, through the API as through the account service the
// CLI uses; once the first is disabled, a replacement is allowed.
func TestOneOfficerOneAccount(t *testing.T) {
	e := newEnv(t)
	admin := e.account("root", "admin", "")
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	a := e.browser()
	if st := a.login("root", admin.Password, totpAt(admin.TOTPSecret, 0)); st != 200 {
		t.Fatal(st)
	}
	st, b := a.do("POST", "/api/v1/accounts", `{"account":"fiscal2","name":"Otro","role":"prosecutor","officer":"fge.salazar"}`, true)
	if st != 409 || !strings.Contains(string(b), `"field":"officer"`) {
		t.Errorf("API: second account for one officer: %d %s, want 409 on officer", st, b)
	}
	if _, err := app.CreateAccount(context.Background(), e.app, e.d.Store.Credentials(), e.s.Now, domainAccount("fiscal3", "prosecutor", "fge.salazar")); err == nil {
		t.Error("account service: second account for one officer accepted")
	}
	if st, b := a.do("POST", "/api/v1/accounts/fiscal/disable", "", true); st != 200 {
		t.Fatalf("disable: %d %s", st, b)
	}
	if st, b := a.do("POST", "/api/v1/accounts", `{"account":"fiscal4","name":"Reemplazo","role":"prosecutor","officer":"fge.salazar"}`, true); st != 201 {
		t.Errorf("replacement after disabling: %d %s", st, b)
	}
}

// countingStore counts credential reads: each password check reads one.
type countingStore struct {
	accounts.Store
	n *atomic.Int64
}

func (c *countingStore) Credential(ctx context.Context, account string) (accounts.Credential, error) {
	c.n.Add(1)
	return c.Store.Credential(ctx, account)
}

func domainAccount(id, role, officer string) domain.AccountCreate {
	return domain.AccountCreate{Account: id, Name: id, Role: role, Officer: officer}
}

// TestUnknownRoutesAnswerJSON: an unknown path or a wrong method under
// /api/ is answered like any API error, in JSON and the caller's language,
// not with net/http's plain-text English.
func TestUnknownRoutesAnswerJSON(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path, lang string
		status             int
		code, word, allow  string
	}{
		{"GET", "/api/v1/nope", "es", 404, "not_found", "no existe la ruta", ""},
		{"GET", "/api/v1/nope", "en", 404, "not_found", "there is no API route", ""},
		{"DELETE", "/api/v1/cases", "es", 405, "method_not_allowed", "no admite DELETE", "GET"},
		{"PUT", "/api/v1/records", "en", 405, "method_not_allowed", "does not take PUT", "POST"},
	} {
		req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, nil)
		req.Header.Set("Accept-Language", tc.lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body gateway.ErrorBody
		if resp.StatusCode != tc.status || json.Unmarshal(b, &body) != nil || body.Code != tc.code || !strings.Contains(body.Message, tc.word) ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s (%s): %d %s %q Allow=%q", tc.method, tc.path, tc.lang, resp.StatusCode, resp.Header.Get("Content-Type"), b, resp.Header.Get("Allow"))
		}
	}
}
