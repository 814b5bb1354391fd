package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestSitePageTargetConcludedAndTeamDetentions is issue 15, point 9,
// through the pages and the API: the lead sees his own site's target once
// his team sets out (not only after an operation.release); a concluded
// site offers no seizure or detention form and refuses both; a detention
// made by a site's lead without naming the site is listed on the site.
func TestSitePageTargetConcludedAndTeamDetentions(t *testing.T) {
	e := newEnv(t)
	ag := e.client()
	ag.login("agente") // lead of S-CHI-03, planned in the test deployment
	const address = "Inmueble allanado en Riobamba"
	page := func() string {
		t.Helper()
		st, body, _ := ag.do("GET", "/sitios/S-CHI-03", nil, nil)
		if st != 200 {
			t.Fatalf("site page: %d %s", st, body)
		}
		return body
	}
	api := func() string {
		t.Helper()
		_, body, _ := ag.do("GET", "/api/v1/sites/S-CHI-03", nil, nil)
		return body
	}
	if b := page(); strings.Contains(b, address) || !strings.Contains(b, "reservado") {
		t.Errorf("the target is shown before the team sets out")
	}
	if b := api(); strings.Contains(b, address) || !strings.Contains(b, `"target_redacted":true`) {
		t.Errorf("the API shows the target before the team sets out: %s", b)
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf_token", ag.csrf)
		st, body, _ := ag.do("POST", path, form, map[string]string{"X-Requested-With": "fetch"})
		return st, body
	}
	if st, b := post("/sitios/S-CHI-03/estado", url.Values{"status": {"en_route"}}); st != 200 {
		t.Fatalf("en route: %d %s", st, b)
	}
	b := page()
	if !strings.Contains(b, address) || strings.Contains(b, "reservado") {
		t.Errorf("the lead does not see his site's target once his team set out")
	}
	if !strings.Contains(b, `id="form-seize"`) || !strings.Contains(b, `id="form-detention"`) {
		t.Errorf("an open site offers no seizure or detention form")
	}
	if b := api(); !strings.Contains(b, address) {
		t.Errorf("the API does not agree with the page: %s", b)
	}

	if st, b := post("/sitios/S-CHI-03/estado", url.Values{"status": {"completed"}}); st != 200 {
		t.Fatalf("completed: %d %s", st, b)
	}
	b = page()
	if strings.Contains(b, `id="form-seize"`) || strings.Contains(b, `id="form-detention"`) || !strings.Contains(b, `id="site-concluded"`) {
		t.Errorf("a concluded site still offers the seizure or detention form, or does not say why")
	}
	if st, b := post("/sitios/S-CHI-03/secuestro", url.Values{"id": {"E-CHI-03-91"}, "type": {"phone"}, "description": {"Teléfono"}}); st != 422 ||
		!strings.Contains(b, `"field":"site"`) || !strings.Contains(b, "S-CHI-03 concluyó") {
		t.Errorf("a seizure at a concluded site: %d %s", st, b)
	}
	if st, b := post("/sitios/S-CHI-03/detencion", url.Values{"id": {"D-CHI-03-91"}, "person": {"P-30"}, "basis": {"flagrante"}}); st != 422 ||
		!strings.Contains(b, `"field":"site"`) || !strings.Contains(b, "S-CHI-03 concluyó") {
		t.Errorf("a detention at a concluded site: %d %s", st, b)
	}

	// D-01 was made by S-PIC-01's lead in the operation, at "Quito", with
	// no site named: S-PIC-01's page lists it among its team's detentions.
	f := e.client()
	f.login("fiscal")
	st, body, _ := f.do("GET", "/sitios/S-PIC-01", nil, nil)
	if st != 200 {
		t.Fatalf("S-PIC-01: %d", st)
	}
	_, team, ok := strings.Cut(body, `id="team-detentions"`)
	if !ok || !strings.Contains(team, `id="det-D-01"`) {
		t.Errorf("S-PIC-01 does not list the detention its lead made (D-01)")
	}
	// Another site's detention is not listed there.
	if strings.Contains(body, `id="det-D-03"`) {
		t.Errorf("S-PIC-01 lists S-CHI-04's detention D-03")
	}
}
