package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// A token limited to one case opened another case, granted an account
// access to a case outside its list, created accounts and officers and
// revoked other accounts' tokens: changes whose effect reaches beyond the
// cases that limit it. Each is refused (403) and nothing is logged; the
// same token still reads its case, and an unscoped token of the same
// account still does all of it.
func TestCaseScopedTokenStaysInItsCases(t *testing.T) {
	e := newEnv(t)
	e.account("root", "admin", "", "METASTASIS")
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	e.account("otro", "auditor", "")
	e.account("aud", "auditor", "", "METASTASIS")
	e.append(ledger.Record{Op: casefile.OpCase, Rec: &casefile.Case{ID: "OTRO", Title: "Otro", At: "2024-01-02T10:00:00-05:00", By: "fge.salazar"}})
	other, err := app.IssueToken(context.Background(), e.app, e.d.Store.Credentials(), func() time.Time { return e.now }, "otro", app.TokenRequest{Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	otherTok, otherID := other.Token, other.ID
	k := testkeys.Ed25519("fge.salazar")
	e.append(ledger.Record{Op: custody.OpKeyRequest, Rec: k.Request(e.now.Add(-time.Hour))})
	adminScoped := e.token("root", "write", "METASTASIS")
	audScoped := e.token("aud", "read", "METASTASIS")
	prosScoped := e.token("fiscal", "write", "METASTASIS")
	size := e.d.Ledger.Size

	refused := []struct{ name, method, path, token, body string }{
		{"open a case", "POST", "/api/v1/records", prosScoped, `{"op":"case.open","id":"NUEVO","title":"x","at":"2024-06-01T06:00:00-05:00","by":"fge.salazar"}`},
		{"grant another case", "POST", "/api/v1/cases/OTRO/members", adminScoped, `{"account":"otro"}`},
		{"create an account", "POST", "/api/v1/accounts", adminScoped, `{"account":"nueva","name":"Nueva","role":"auditor"}`},
		{"add an officer", "POST", "/api/v1/records", adminScoped, `{"op":"officer.add","id":"pn.nuevo","name":"Nuevo","agency":"PN","role":"agent"}`},
		{"revoke another's token", "DELETE", "/api/v1/tokens/" + otherID, adminScoped, ""},
		{"approve a key", "POST", "/api/v1/keys/" + k.ID() + "/approve", adminScoped, ""},
		{"revoke another's key", "POST", "/api/v1/keys/" + k.ID() + "/revoke", adminScoped, `{"reason":"x"}`},
		{"list accounts", "GET", "/api/v1/accounts", adminScoped, ""},
		{"audit the deployment", "GET", "/api/v1/audit", audScoped, ""},
		{"read the metrics", "GET", "/metrics", audScoped, ""},
	}
	for _, c := range refused {
		before := size()
		st, b := e.do(c.method, c.path, c.token, c.body)
		if st != 403 {
			t.Errorf("%s with a case-scoped token: %d %s, want 403", c.name, st, b)
			continue
		}
		if eb := decodeErr(t, b); eb.Code != "forbidden" {
			t.Errorf("%s: code %q, want forbidden", c.name, eb.Code)
		}
		if after := size(); after != before {
			t.Errorf("%s: the log grew from %d to %d", c.name, before, after)
		}
	}
	if st, _ := e.do("GET", "/api/v1/me", otherTok, ""); st != 200 {
		t.Errorf("otro's token after the refused revocation: %d, want 200", st)
	}
	if st, b := e.do("GET", "/api/v1/audit", e.token("aud", "read"), ""); st != 200 {
		t.Errorf("audit with an unscoped token: %d %s", st, b)
	}
	if st, b := e.do("GET", "/api/v1/cases/METASTASIS", adminScoped, ""); st != 200 {
		t.Errorf("the scoped token reading its own case: %d %s", st, b)
	}

	// The same account, unscoped, may.
	admin := e.token("root", "write")
	if st, b := e.do("POST", "/api/v1/cases/OTRO/members", admin, `{"account":"otro"}`); st != 201 {
		t.Errorf("grant with an unscoped token: %d %s", st, b)
	}
	if st, b := e.do("POST", "/api/v1/records", e.token("fiscal", "write"), `{"op":"case.open","id":"NUEVO","title":"x","at":"2024-06-01T06:00:00-05:00","by":"fge.salazar"}`); st != 201 {
		t.Errorf("open a case with an unscoped token: %d %s", st, b)
	}
	// A token limited to a case not yet opened opens that one.
	if st, b := e.do("POST", "/api/v1/records", e.token("fiscal", "write", "TERCERO"), `{"op":"case.open","id":"TERCERO","title":"x","at":"2024-06-01T06:00:00-05:00","by":"fge.salazar"}`); st != 201 {
		t.Errorf("open the token's own case: %d %s", st, b)
	}
}
