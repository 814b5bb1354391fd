package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// newcomer creates an account with a generated password that was never
// changed, as `serve --demo`, the bootstrap, a reset or an administrator
// leave it, a member of METASTASIS.
func (e *testEnv) newcomer(id, role, officer string) *app.NewAccount {
	e.t.Helper()
	ctx := context.Background()
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	na, err := app.CreateAccount(ctx, appendRecs, e.d.Store.Credentials(), e.now, domain.AccountCreate{Account: id, Name: id, Role: role, Officer: officer})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := appendRecs(ctx, []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: id}}}); err != nil {
		e.t.Fatal(err)
	}
	e.users[id] = na
	return na
}

// TestPasswordChangeForced: an account with a generated password is sent
// to the change form from every page until it changes it; the form checks
// CSRF, the current password and the policy, in the user's language; the
// change ends the account's other sessions and opens the pages.
func TestPasswordChangeForced(t *testing.T) {
	e := newEnv(t)
	na := e.newcomer("nueva", "auditor", "")
	c := e.client()
	other := e.client()
	c.login("nueva")
	other.login("nueva")
	for _, path := range []string{"/casos", "/casos/METASTASIS", "/auditoria", "/evidencias/E-PIC-01-01"} {
		if st, _, h := c.do("GET", path, nil, nil); st != http.StatusSeeOther || h.Get("Location") != passwordPath {
			t.Errorf("GET %s before the change: %d %q, want 303 to %s", path, st, h.Get("Location"), passwordPath)
		}
	}
	st, body, _ := c.do("GET", passwordPath, nil, nil)
	if st != 200 || !strings.Contains(body, `id="password-required"`) || !strings.Contains(body, e.w.cat.T("es", "account.required")) {
		t.Fatalf("change form: %d, no notice that the change is required\n%.400s", st, body)
	}
	if st, _, h := c.do("POST", "/auditoria", url.Values{"csrf_token": {c.csrf}}, nil); st != http.StatusSeeOther || h.Get("Location") != passwordPath {
		t.Errorf("POST /auditoria before the change: %d %q", st, h.Get("Location"))
	}
	good := "una frase bastante larga 7"
	form := func(old, new, confirm string) url.Values {
		return url.Values{"csrf_token": {c.csrf}, "old": {old}, "new": {new}, "confirm": {confirm}}
	}
	// Without the CSRF token: refused, nothing changed.
	noCSRF := form(na.Password, good, good)
	noCSRF.Del("csrf_token")
	if st, _, _ := c.do("POST", passwordPath, noCSRF, nil); st != http.StatusForbidden {
		t.Errorf("change without CSRF token: %d, want 403", st)
	}
	for _, tc := range []struct {
		name              string
		old, new, confirm string
		status            int
		es, en            string
	}{
		{"wrong current", "no-es-esta-clave", good, good, 400, "la contraseña actual no es correcta", "the current password is wrong"},
		{"too short", na.Password, "corta", "corta", 400, "entre 12 y 1024 bytes", "12 to 1024 bytes"},
		{"same as old", na.Password, na.Password, na.Password, 400, "distinta de la actual", "must differ from the current one"},
		{"copies differ", na.Password, good, good + "x", 400, "no coinciden", "differ"},
	} {
		st, body, _ := c.do("POST", passwordPath, form(tc.old, tc.new, tc.confirm), nil)
		if st != tc.status || !strings.Contains(body, tc.es) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s (es): %d, want %d with %q", tc.name, st, tc.status, tc.es)
		}
		if strings.Contains(body, tc.new) || strings.Contains(body, na.Password) {
			t.Errorf("%s: the page echoes a password", tc.name)
		}
		en := url.Values{"lang": {"en"}, "next": {passwordPath}, "csrf_token": {c.csrf}}
		c.do("POST", "/idioma", en, nil)
		if st, body, _ := c.do("POST", passwordPath, form(tc.old, tc.new, tc.confirm), nil); st != tc.status || !strings.Contains(body, tc.en) {
			t.Errorf("%s (en): %d, want %d with %q", tc.name, st, tc.status, tc.en)
		}
		c.do("POST", "/idioma", url.Values{"lang": {"es"}, "next": {passwordPath}, "csrf_token": {c.csrf}}, nil)
	}
	// Still forced after the refusals.
	if st, _, h := c.do("GET", "/casos", nil, nil); st != http.StatusSeeOther || h.Get("Location") != passwordPath {
		t.Fatalf("after refused changes: %d %q", st, h.Get("Location"))
	}
	if st, _, h := c.do("POST", passwordPath, form(na.Password, good, good), nil); st != http.StatusSeeOther || h.Get("Location") != "/casos" {
		t.Fatalf("change: %d %q, want 303 to /casos", st, h.Get("Location"))
	}
	if st, body, _ := c.do("GET", "/casos", nil, nil); st != 200 || !strings.Contains(body, "METASTASIS") || !strings.Contains(body, `id="password-link"`) {
		t.Errorf("case list after the change: %d", st)
	}
	// The other session ended with the change.
	if st, _, h := other.do("GET", "/casos", nil, nil); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/entrar") {
		t.Errorf("the other session after the change: %d %q, want a sign-in redirect", st, h.Get("Location"))
	}
	// The new password signs in, straight to the pages; the old one no more.
	e.users["nueva"] = &app.NewAccount{Account: "nueva", Password: good}
	fresh := e.client()
	fresh.login("nueva")
	if st, _, _ := fresh.do("GET", "/casos/METASTASIS", nil, nil); st != 200 {
		t.Errorf("signed in with the new password: case page %d", st)
	}
	if st, _, _ := e.client().do("POST", "/entrar", url.Values{"account": {"nueva"}, "password": {na.Password}}, nil); st != http.StatusUnauthorized {
		t.Errorf("the generated password after the change: %d, want 401", st)
	}
}

// TestPasswordChangeVoluntary: a user whose password is their own reaches
// the form from the header and changes it; wrong current passwords are
// limited like sign-ins.
func TestPasswordChangeVoluntary(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("auditora")
	st, body, _ := c.do("GET", "/casos", nil, nil)
	if st != 200 || !strings.Contains(body, `href="/cuenta/clave"`) {
		t.Fatalf("no link to the password form in the header: %d", st)
	}
	if st, body, _ := c.do("GET", passwordPath, nil, nil); st != 200 || strings.Contains(body, `id="password-required"`) {
		t.Errorf("voluntary change form: %d (or says the change is required)", st)
	}
	limited := false
	for i := 0; i < 8 && !limited; i++ {
		st, _, _ := c.do("POST", passwordPath, url.Values{"csrf_token": {c.csrf}, "old": {"wrong password " + string(rune('a'+i))}, "new": {"otra frase muy larga"}, "confirm": {"otra frase muy larga"}}, nil)
		limited = st == http.StatusTooManyRequests
	}
	if !limited {
		t.Error("wrong current passwords are never rate limited")
	}
	// Even the right one is refused while limited.
	if st, _, _ := c.do("POST", passwordPath, url.Values{"csrf_token": {c.csrf}, "old": {e.users["auditora"].Password}, "new": {"otra frase muy larga"}, "confirm": {"otra frase muy larga"}}, nil); st != http.StatusTooManyRequests {
		t.Errorf("the right password while limited: %d, want 429", st)
	}
}
