package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/domain"
)

// TestItemActions: the custodian holding an item opens it, seals it,
// presents it and disposes of it, the last only with a court order
// reference; each error names its field; nothing happens after disposal.
func TestItemActions(t *testing.T) {
	e := newEnvAt(t, afterFile) // its acts follow the items' last ones, up to 2023-12-19
	var item string
	e.d.Ledger.View(func(st *domain.State) error {
		for id, it := range st.Items {
			if it.Holder == "cust.chi" && !it.Disposed && it.Seal != "" && (item == "" || id < item) {
				item = id
			}
		}
		return nil
	})
	if item == "" {
		t.Fatal("no sealed item held by cust.chi in the case file")
	}
	c := e.client()
	c.login("custodio")
	st, page, _ := c.do("GET", "/evidencias/"+item, nil, nil)
	for _, want := range []string{`id="form-open"`, `id="form-seal"`, `id="form-present"`, `id="form-dispose"`, `id="form-handover"`} {
		if st != 200 || !strings.Contains(page, want) {
			t.Errorf("the holder's item page lacks %s (%d)", want, st)
		}
	}
	// The item's last act is days after the night, so each act gives its
	// time, as a datetime-local field does, before the clock (afterFile).
	minute := 0
	post := func(action string, form url.Values) (int, fetchResult) {
		t.Helper()
		form.Set("csrf_token", c.csrf)
		minute++
		form.Set("at", fmt.Sprintf("2023-12-20T10:%02d", minute))
		st, body, _ := c.do("POST", "/evidencias/"+item+"/"+action, form, map[string]string{"X-Requested-With": "fetch"})
		var res fetchResult
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatalf("%s: %d %s", action, st, body)
		}
		return st, res
	}
	if st, res := post("abrir", url.Values{}); st != 400 || res.Error == nil || res.Error.Field != "reason" {
		t.Errorf("open without a reason: %d %+v", st, res.Error)
	}
	if st, res := post("abrir", url.Values{"reason": {"Inventario"}}); st != 200 || res.Redirect != "/evidencias/"+item {
		t.Errorf("open: %d %+v", st, res)
	}
	if st, res := post("sellar", url.Values{"seal": {"PN-900001"}}); st != 200 {
		t.Errorf("seal: %d %+v", st, res.Error)
	}
	if st, res := post("presentar", url.Values{"hearing": {"Audiencia preparatoria de juicio"}}); st != 200 {
		t.Errorf("present: %d %+v", st, res.Error)
	}
	if st, res := post("disponer", url.Values{"method": {"destroyed"}}); st != 400 || res.Error == nil || res.Error.Field != "order" {
		t.Errorf("dispose without an order: %d %+v", st, res.Error)
	}
	if st, res := post("disponer", url.Values{"method": {"destroyed"}, "order": {"Orden 2024-0001"}}); st != 200 {
		t.Errorf("dispose: %d %+v", st, res.Error)
	}
	if st, res := post("sellar", url.Values{"seal": {"PN-900002"}}); st != 422 || res.Error == nil {
		t.Errorf("a seal after disposal: %d %+v", st, res.Error)
	}
	if st, _ := post("volar", url.Values{}); st != 404 {
		t.Errorf("unknown action: %d", st)
	}
	_, page, _ = c.do("GET", "/evidencias/"+item, nil, nil)
	for _, want := range []string{"apertura", "sellado", "presentación en audiencia", "disposición final", "PN-900001"} {
		if !strings.Contains(page, want) {
			t.Errorf("the timeline lacks %q", want)
		}
	}
	if strings.Contains(page, `id="form-seal"`) {
		t.Error("a disposed item still offers acts")
	}
	// An agent who does not hold it sees no custody forms.
	a := e.client()
	a.login("agente")
	if _, page, _ := a.do("GET", "/evidencias/"+item, nil, nil); strings.Contains(page, `id="form-handover"`) {
		t.Error("a non-holder is offered the handover")
	}
}

// TestDeadlineClock: a detention whose rights were not read within the
// limit is marked as a violation, its clock red, on the board and on the
// detentions page, in the deployment's zone.
func TestDeadlineClock(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("agente")
	arrested := e.now().Add(-2 * time.Hour).In(time.FixedZone("-05", -5*3600)).Format("2006-01-02T15:04")
	st, body, _ := c.do("POST", "/sitios/S-CHI-03/detencion", url.Values{"csrf_token": {c.csrf}, "id": {"D-CHI-03-01"}, "person": {"P-30"},
		"basis": {"flagrante"}, "arrested_at": {arrested}}, map[string]string{"X-Requested-With": "fetch"})
	if st != 200 {
		t.Fatalf("detention: %d %s", st, body)
	}
	for _, p := range []string{"/casos/METASTASIS/detenciones", "/operativos/OP-METASTASIS/tablero"} {
		_, page, _ := c.do("GET", p, nil, nil)
		i := strings.Index(page, `id="det-D-CHI-03-01"`)
		if i < 0 {
			t.Fatalf("%s lacks the detention", p)
		}
		row := page[i:]
		row = row[:strings.Index(row, "</tr>")]
		for _, want := range []string{`class="violation"`, "sin lectura de derechos", `class="clock late"`} {
			if !strings.Contains(row, want) {
				t.Errorf("%s: the row lacks %s:\n%s", p, want, row)
			}
		}
	}
}

// TestDerive: the custodian hands an item to the lab (confirmed by the
// analyst), the analyst derives a forensic image, and the parent's page
// links the derived item, whose page names its parent.
func TestDerive(t *testing.T) {
	e := newEnvAt(t, afterFile) // its acts follow the items' last ones, up to 2023-12-19
	var item string
	e.d.Ledger.View(func(st *domain.State) error {
		for id, it := range st.Items {
			if it.Holder == "cust.chi" && !it.Disposed && it.Type == "phone" && (item == "" || id < item) {
				item = id
			}
		}
		return nil
	})
	if item == "" {
		t.Fatal("no phone held by cust.chi")
	}
	c := e.client()
	c.login("custodio")
	// Both sign with their passkeys on the custodian's device; without
	// the receiver's signature the handover is refused.
	keys := e.enrol("cust.chi", labOfficer(e, "perito"))
	handover := func() url.Values {
		return url.Values{"csrf_token": {c.csrf}, "at": {"2023-12-21T09:00"}, "purpose": {"analysis"}, "seal_condition": {"intact"}, "receiver": {"perito"}}
	}
	if st, body := c.signedPost("/evidencias/"+item+"/entrega", handover(), keys, true); st != 403 || !strings.Contains(body, "firma de quien recibe") {
		t.Fatalf("a handover signed by the giver alone: %d %s", st, body)
	}
	st, body := c.signedPost("/evidencias/"+item+"/entrega", handover(), keys, false)
	if st != 200 {
		t.Fatalf("handover to the lab: %d %s", st, body)
	}
	lab := e.client()
	lab.login("perito")
	st, body = lab.signedPost("/evidencias/"+item+"/derivar", url.Values{"csrf_token": {lab.csrf}, "at": {"2023-12-21T11:00"}, "id": {item + "-IMG2"},
		"type": {"forensic_image"}, "description": {"Imagen forense"}, "sha256": {strings.Repeat("ab", 32)}, "size": {"1024"}, "tool": {"dd"}}, keys, false)
	if st != 200 || !strings.Contains(body, "/evidencias/"+item+"-IMG2") {
		t.Fatalf("derive: %d %s", st, body)
	}
	if _, page, _ := lab.do("GET", "/evidencias/"+item, nil, nil); !strings.Contains(page, `href="/evidencias/`+item+`-IMG2"`) {
		t.Error("the parent does not link the derived item")
	}
	if _, page, _ := lab.do("GET", "/evidencias/"+item+"-IMG2", nil, nil); !strings.Contains(page, "imagen forense") || !strings.Contains(page, `href="/evidencias/`+item+`"`) {
		t.Error("the derived item does not show its type and parent")
	}
}

// TestAssets: asset URLs carry their content's hash and are cached
// forever; an unknown asset is not found.
func TestAssets(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	_, page, _ := c.do("GET", "/entrar", nil, nil)
	for _, name := range []string{"app.css", "app.js"} {
		u := e.w.urls[name]
		if !strings.Contains(page, u) || !regexp.MustCompile(`^/static/app\.[0-9a-f]{12}\.(css|js)$`).MatchString(u) {
			t.Errorf("%s: URL %q not hashed or not on the page", name, u)
		}
		st, body, h := c.do("GET", u, nil, nil)
		if st != 200 || !strings.Contains(h.Get("Cache-Control"), "immutable") || len(body) < 100 {
			t.Errorf("%s: %d %q", u, st, h.Get("Cache-Control"))
		}
	}
	if st, _, _ := c.do("GET", "/static/app.css", nil, nil); st != 404 {
		t.Errorf("an unhashed asset URL: %d", st)
	}
}

// TestDetentionUpdate: the detentions page records a rights notice, and the
// violation it ends disappears; an unknown detention is not found.
func TestDetentionUpdate(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("agente")
	zone := time.FixedZone("-05", -5*3600)
	arrested := e.now().Add(-2 * time.Hour).In(zone)
	fetch := map[string]string{"X-Requested-With": "fetch"}
	if st, body, _ := c.do("POST", "/sitios/S-CHI-03/detencion", url.Values{"csrf_token": {c.csrf}, "id": {"D-CHI-03-01"}, "person": {"P-30"},
		"basis": {"flagrante"}, "arrested_at": {arrested.Format("2006-01-02T15:04")}}, fetch); st != 200 {
		t.Fatalf("detention: %d %s", st, body)
	}
	_, page, _ := c.do("GET", "/casos/METASTASIS/detenciones", nil, nil)
	if !strings.Contains(page, `id="form-detupd"`) || !strings.Contains(page, `<option value="D-CHI-03-01">`) {
		t.Fatal("the detentions page offers no update form for D-CHI-03-01")
	}
	if st, body, _ := c.do("POST", "/detenciones", url.Values{"csrf_token": {c.csrf}, "detention": {"D-NADA"}, "what": {"hearing_at"}}, fetch); st != 404 {
		t.Errorf("unknown detention: %d %s", st, body)
	}
	if st, body, _ := c.do("POST", "/detenciones", url.Values{"csrf_token": {c.csrf}, "detention": {"D-CHI-03-01"}, "what": {"nada"}}, fetch); st != 400 || !strings.Contains(body, `"field":"what"`) {
		t.Errorf("nothing chosen: %d %s", st, body)
	}
	rights := arrested.Add(10 * time.Minute).Format("2006-01-02T15:04")
	if st, body, _ := c.do("POST", "/detenciones", url.Values{"csrf_token": {c.csrf}, "detention": {"D-CHI-03-01"}, "what": {"rights_notified_at"}, "at": {rights}}, fetch); st != 200 {
		t.Fatalf("rights notice: %d %s", st, body)
	}
	_, page, _ = c.do("GET", "/casos/METASTASIS/detenciones", nil, nil)
	i := strings.Index(page, `id="det-D-CHI-03-01"`)
	row := page[i:]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, `class="violation"`) || !strings.Contains(row, arrested.Add(10*time.Minute).Format("2006-01-02 15:04")) {
		t.Errorf("after the rights notice:\n%s", row)
	}
}

// labOfficer is the officer of a test account.
func labOfficer(e *testEnv, account string) string {
	var o string
	e.d.Ledger.View(func(st *domain.State) error { o = st.Accounts[account].Officer; return nil })
	return o
}
