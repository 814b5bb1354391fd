package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestHandoverOfferOnlyToWhoSeesTheItem is the pages' door to the rule
// that a handover is offered only to someone who may see the item: the
// holder offering one to an account outside the item's case is refused,
// naming the receiver's officer, nothing is logged, and the outsider's
// handovers page shows nothing of the item.
func TestHandoverOfferOnlyToWhoSeesTheItem(t *testing.T) {
	e := newEnvAt(t, afterFile)
	item := e.firstHeldBy("cust.chi")
	keys := e.enrol("cust.chi", "pn.s-gua-01.lead")
	c := e.client()
	c.login("custodio")
	before := e.d.Ledger.Size()
	form := url.Values{"csrf_token": {c.csrf}, "at": {"2023-12-21T09:00"}, "purpose": {"analysis"}, "seal_condition": {"intact"}, "receiver": {"ajeno"}, "offer": {"1"}}
	st, body := c.signedPost("/evidencias/"+item+"/entrega", form, keys, true)
	if st != 422 || !strings.Contains(body, "quien recibe (pn.s-gua-01.lead) no tiene una cuenta con acceso") {
		t.Errorf("an offer to an account outside the case: %d %.400s", st, body)
	}
	if after := e.d.Ledger.Size(); after != before {
		t.Errorf("the refused offer was logged (%d events, %d before)", after, before)
	}
	out := e.client()
	out.login("ajeno")
	if st, page, _ := out.do("GET", "/entregas", nil, nil); st != 200 || strings.Contains(page, item) {
		t.Errorf("the outsider's handovers page (%d) shows %s", st, item)
	}
}
