package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// TestReadOnlyTokenChangesNothingThroughThePages: the pages take API tokens
// too (Authorization: Bearer, no CSRF), and a read-only one is refused 403
// on every form that writes, as through the API: revoking or approving a
// key, withdrawing a handover, acting on an item. The log does not grow,
// the key stays in force, the offer stays pending.
func TestReadOnlyTokenChangesNothingThroughThePages(t *testing.T) {
	e := newEnvAt(t, afterFile)
	ctx := context.Background()
	sys := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	token := func(account string) string {
		tok, err := app.IssueToken(ctx, sys, e.d.Store.Credentials(), e.now, account, app.TokenRequest{Scope: "read"})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	keys := e.enrol("cust.chi")
	mine := keys["cust.chi"]
	requested := testkeys.Ed25519Of("cust.chi", "requested")
	item := e.firstHeldBy("cust.chi")
	tr := custody.Transfer{Item: item, From: "cust.chi", To: "lab.1", At: "2023-12-20T10:00:00-05:00", Purpose: "analysis", SealCondition: "intact"}
	g := mine.SignAct(custody.RoleFrom, custody.OpTransfer, &tr)
	offer := &domain.HandoverOffer{ID: "H-readonly", Transfer: tr, Expires: e.now().Add(time.Hour).UTC().Format(time.RFC3339), Key: g.Key, Sig: g.Sig,
		AuthenticatorData: g.AuthenticatorData, ClientDataJSON: g.ClientDataJSON}
	if err := sys(ctx, []ledger.Record{{Op: domain.OpHandoverOffer, Rec: offer}, {Op: custody.OpKeyRequest, Rec: requested.Request(e.now().Add(-time.Hour))}}); err != nil {
		t.Fatal(err)
	}
	custodian, admin := token("custodio"), token("jefe")
	c := e.client()
	for _, tc := range []struct {
		name, token, path string
		form              url.Values
	}{
		{"revoke one's own key", custodian, "/cuenta/llaves/" + mine.ID() + "/revocar", url.Values{"reason": {"prueba"}}},
		{"approve a key", admin, "/cuenta/llaves/" + requested.ID() + "/aprobar", url.Values{}},
		{"withdraw one's own offer", custodian, "/entregas/H-readonly/retirar", url.Values{"reason": {"ya no"}}},
		{"open the item one holds", custodian, "/evidencias/" + item + "/abrir", url.Values{"reason": {"inventario"}, "at": {"2023-12-20T10:05"}}},
	} {
		before := e.d.Ledger.Size()
		st, body, _ := c.do("POST", tc.path, tc.form, map[string]string{"Authorization": "Bearer " + tc.token})
		if st != 403 || !strings.Contains(body, "solo lectura") {
			t.Errorf("%s with a read-only token: %d, want 403 read-only\n%.300s", tc.name, st, body)
		}
		if after := e.d.Ledger.Size(); after != before {
			t.Errorf("%s with a read-only token: the log grew from %d to %d", tc.name, before, after)
		}
	}
	e.d.Ledger.View(func(st *domain.State) error {
		next := e.d.Ledger.Size()
		if !st.Keys[mine.ID()].ActiveAt(next) {
			t.Error("the custodian's key is no longer in force")
		}
		if st.Keys[requested.ID()].ActiveAt(next) {
			t.Error("the requested key was approved")
		}
		if o := st.Offers["H-readonly"]; o == nil || o.Closed != "" {
			t.Errorf("the offer is not pending: %+v", o)
		}
		return nil
	})
}
