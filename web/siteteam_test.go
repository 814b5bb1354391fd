package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// An agent of another team (pn.s-gua-01.lead, made a member of the case)
// was offered S-CHI-03's status form and could abort that site from the
// page. The page offers the form to the site's own team only, and the
// form's post is refused (403, in Spanish) for anyone else.
func TestSiteStatusFormIsForItsTeam(t *testing.T) {
	e := newEnv(t)
	grant := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	if err := grant(context.Background(), []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: "ajeno"}}}); err != nil {
		t.Fatal(err)
	}
	other := e.client()
	other.login("ajeno")
	st, body, _ := other.do("GET", "/sitios/S-CHI-03", nil, nil)
	if st != 200 {
		t.Fatalf("S-CHI-03 for another team's agent: %d", st)
	}
	if strings.Contains(body, `id="form-status"`) {
		t.Error("S-CHI-03's status form is offered to another team's agent")
	}
	st, body, _ = other.do("POST", "/sitios/S-CHI-03/estado", url.Values{"csrf_token": {other.csrf}, "status": {"aborted"}}, map[string]string{"X-Requested-With": "fetch"})
	if st != 403 || !strings.Contains(body, "solo el equipo del sitio S-CHI-03") {
		t.Errorf("another team's agent aborting S-CHI-03: %d %s, want 403", st, body)
	}
	ag := e.client()
	ag.login("agente")
	if _, body, _ := ag.do("GET", "/sitios/S-CHI-03", nil, nil); !strings.Contains(body, `id="form-status"`) {
		t.Error("S-CHI-03's own lead is not offered its status form")
	}
}
