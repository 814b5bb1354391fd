package httpapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// TestPasswordChangeRequiredAPI: a session of an account whose password
// was generated (and never changed) gets 403 password_change_required for
// everything but who-am-I, sign-out and the change; the change follows the
// same policy as the pages, ends the account's other sessions, revokes its
// tokens, is logged without the mark, and opens the API.
func TestPasswordChangeRequiredAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := func() time.Time { return e.now }
	na, err := app.CreateAccount(ctx, e.app, e.d.Store.Credentials(), now, domain.AccountCreate{Account: "nuevo", Name: "Nuevo", Role: "auditor"})
	if err != nil {
		t.Fatal(err)
	}
	e.append(ledger.Record{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: "nuevo"}})
	tok := e.token("nuevo", "read")

	c, other := e.browser(), e.browser()
	st, b := c.do("POST", "/api/v1/login", `{"account":"nuevo","password":"`+na.Password+`"}`, false)
	var lr app.LoginResult
	json.Unmarshal(b, &lr)
	c.csrf = lr.CSRF
	if st != 200 || !lr.PasswordChangeRequired {
		t.Fatalf("login: %d %s, want 200 saying the change is required", st, b)
	}
	if st := other.login("nuevo", na.Password, ""); st != 200 {
		t.Fatalf("second login: %d", st)
	}
	for _, path := range []string{"/api/v1/cases", "/api/v1/cases/METASTASIS", "/api/v1/audit", "/api/v1/accounts"} {
		st, b := c.do("GET", path, "", false)
		var eb struct{ Code, Message string }
		json.Unmarshal(b, &eb)
		if st != 403 || eb.Code != app.EPasswordChange || !strings.Contains(eb.Message, "contraseña") {
			t.Errorf("GET %s before the change: %d %s, want 403 %s", path, st, b, app.EPasswordChange)
		}
	}
	if st, b := c.do("POST", "/api/v1/accounts/nuevo/tokens", `{"scope":"read"}`, true); st != 403 || !strings.Contains(string(b), app.EPasswordChange) {
		t.Errorf("a token minted before the change: %d %s", st, b)
	}
	if st, b := c.do("GET", "/api/v1/me", "", false); st != 200 || !strings.Contains(string(b), `"password_change_required":true`) {
		t.Errorf("GET /api/v1/me: %d %s", st, b)
	}
	good := "una frase bastante larga 7"
	for _, tc := range []struct{ name, body, field string }{
		{"wrong current", `{"old":"no-es-esta","new":"` + good + `"}`, "old"},
		{"too short", `{"old":"` + na.Password + `","new":"corta"}`, "new"},
		{"one letter twelve times", `{"old":"` + na.Password + `","new":"aaaaaaaaaaaa"}`, "new"},
		{"same as old", `{"old":"` + na.Password + `","new":"` + na.Password + `"}`, "new"},
		{"copies differ", `{"old":"` + na.Password + `","new":"` + good + `","confirm":"otra cosa distinta"}`, "confirm"},
	} {
		st, b := c.do("POST", "/api/v1/me/password", tc.body, true)
		var eb struct{ Code, Field string }
		json.Unmarshal(b, &eb)
		if st != 400 || eb.Field != tc.field {
			t.Errorf("%s: %d %s, want 400 on %s", tc.name, st, b, tc.field)
		}
	}
	if st, _ := c.do("POST", "/api/v1/me/password", `{"old":"`+na.Password+`","new":"`+good+`"}`, false); st != 403 {
		t.Errorf("change without CSRF token: %d, want 403", st)
	}
	if st, b := c.do("POST", "/api/v1/me/password", `{"old":"`+na.Password+`","new":"`+good+`","confirm":"`+good+`"}`, true); st != 204 {
		t.Fatalf("change: %d %s", st, b)
	}
	if st, b := c.do("GET", "/api/v1/cases", "", false); st != 200 {
		t.Errorf("after the change: %d %s", st, b)
	}
	if st, _ := other.do("GET", "/api/v1/me", "", false); st != 401 {
		t.Errorf("the other session after the change: %d, want 401", st)
	}
	if st, _ := e.do("GET", "/api/v1/cases", tok, ""); st != 401 {
		t.Errorf("the account's token after the change: %d, want 401", st)
	}
	// The log holds the change, without the mark.
	e.d.Ledger.View(func(st *domain.State) error {
		if st.Accounts["nuevo"].MustChangePassword {
			t.Error("the log still marks the password to change")
		}
		return nil
	})
}
