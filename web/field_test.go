package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/httpapi"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// syncJSON posts a field device's batch to the API with the client's
// session, as the field app does, and returns the status and body.
func (c *client) syncJSON(body any) (int, string) {
	c.e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.e.url+"/api/v1/field/sync", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// fieldEntry is one signed entry for httpapi.FieldSyncBody.
func fieldEntry(t *testing.T, k *testkeys.Key, dev string, seq int64, clock time.Time, op string, rec any) httpapi.FieldEntryBody {
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return httpapi.FieldEntryBody{Device: dev, Seq: seq, DeviceClock: clock.Format(time.RFC3339), Op: op, Record: raw,
		Sigs: []custody.Sig{k.SignAct(custody.RoleBy, op, rec)}}
}

// TestLateSyncShown: acts a field device recorded two hours before they
// arrived show as "sincronizado tarde" / "synced late" on the board, in
// the item's timeline and in the detentions, with the device's time and
// the arrival; one device's clock three hours behind is named.
func TestLateSyncShown(t *testing.T) {
	e := newEnv(t)
	keys := e.enrol("pn.s-chi-03.lead")
	k := keys["pn.s-chi-03.lead"]
	now := e.now()
	act := now.Add(-2 * time.Hour).In(startAt.Location()).Truncate(time.Second)
	at := act.Format(time.RFC3339)
	c := e.client()
	c.login("agente")
	sz := &custody.Seize{ID: "E-CHI-03-F1", Case: "METASTASIS", Type: "phone", Description: "Teléfono celular", SeizedAt: at, SeizedBy: "pn.s-chi-03.lead", Site: "S-CHI-03", Seal: "PN-700001"}
	det := &casefile.Detention{ID: "D-CHI-03-F1", Case: "METASTASIS", Person: "P-30", Basis: "flagrante", ArrestedAt: at, ArrestedBy: "pn.s-chi-03.lead", Site: "S-CHI-03"}
	st, body := c.syncJSON(httpapi.FieldSyncBody{SentAt: now.Add(-3 * time.Hour).Format(time.RFC3339), Entries: []httpapi.FieldEntryBody{
		fieldEntry(t, k, "PWA-T", 1, act, custody.OpSeize, sz),
		fieldEntry(t, k, "PWA-T", 2, act, casefile.OpDetention, det),
	}})
	if st != 200 || strings.Count(body, `"status":"recorded"`) != 2 {
		t.Fatalf("sync: %d %s", st, body)
	}
	for _, lang := range []string{"es", "en"} {
		cookie := map[string]string{"Cookie": LangCookie + "=" + lang}
		late, behind := "sincronizado tarde", "reloj del dispositivo atrasado 3 h 0 min"
		board := "Sincronizado tarde (2)"
		if lang == "en" {
			late, behind, board = "synced late", "device clock 3 h 0 min behind", "Synced late (2)"
		}
		_, page, _ := c.do("GET", "/casos/METASTASIS", nil, cookie)
		for _, want := range []string{board, `data-late-event=`, "E-CHI-03-F1", "PWA-T #1", "PWA-T #2", "2 h 0 min", behind} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the board lacks %q", lang, want)
			}
		}
		_, page, _ = c.do("GET", "/evidencias/E-CHI-03-F1", nil, cookie)
		if !strings.Contains(page, late) || !strings.Contains(page, `data-late-sync="1"`) || !strings.Contains(page, "PWA-T") {
			t.Errorf("%s: the item's timeline does not show the late sync", lang)
		}
		_, page, _ = c.do("GET", "/casos/METASTASIS/detenciones", nil, cookie)
		if i := strings.Index(page, `id="det-D-CHI-03-F1"`); i < 0 || !strings.Contains(page[i:], late) {
			t.Errorf("%s: the detentions do not show D-CHI-03-F1 as synced late", lang)
		}
	}
}

// TestFieldAppFiles: the field app's page, files and data. The page is
// the same for everyone and holds every text in both languages; the
// service worker and the page name one version; the data of an agent is
// their team's site, with the target only once the operation's briefing
// is released, and their passkeys.
func TestFieldAppFiles(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	st, page, hdr := c.do("GET", "/campo/", nil, nil)
	if st != 200 || !strings.Contains(page, `id="campo-texts"`) || !strings.Contains(page, "Sincronizar ahora") || !strings.Contains(page, "Sync now") || hdr.Get("Cache-Control") != "no-cache" {
		t.Fatalf("the shell: %d %.300s", st, page)
	}
	v := e.w.field.version
	for _, f := range []string{"field.js", "canon.js", "sw.js", "field.css", "manifest.webmanifest", "icon.svg", "icon-192.png", "icon-512.png"} {
		st, b, h := c.do("GET", "/campo/"+f+"?v="+v, nil, nil)
		if st != 200 || len(b) == 0 || h.Get("Content-Type") == "" {
			t.Errorf("%s: %d %s", f, st, h.Get("Content-Type"))
		}
		if f == "sw.js" && (!strings.Contains(b, `"`+v+`"`) || strings.Contains(b, "__VERSION__")) {
			t.Errorf("the service worker does not carry the version %s", v)
		}
		if f != "sw.js" && !strings.Contains(page, "/campo/"+f+"?v="+v) && f != "icon-512.png" {
			t.Errorf("the shell does not name %s at version %s", f, v)
		}
	}
	var m struct {
		StartURL string `json:"start_url"`
		Scope    string `json:"scope"`
		Icons    []struct{ Src, Sizes string }
	}
	_, mb, _ := c.do("GET", "/campo/manifest.webmanifest", nil, nil)
	if err := json.Unmarshal([]byte(mb), &m); err != nil || m.StartURL != "/campo/" || m.Scope != "/campo/" || len(m.Icons) != 3 {
		t.Errorf("the manifest: %v %s", err, mb)
	}
	if st, _, _ := c.do("GET", "/campo/datos", nil, map[string]string{"X-Requested-With": "fetch"}); st != 401 {
		t.Errorf("data without a session: %d", st)
	}

	keys := e.enrol("pn.s-chi-03.lead")
	c.login("agente")
	data := func() fieldData {
		var d fieldData
		_, b, _ := c.do("GET", "/campo/datos", nil, nil)
		if err := json.Unmarshal([]byte(b), &d); err != nil {
			t.Fatalf("data: %v %.200s", err, b)
		}
		return d
	}
	d := data()
	if d.Officer != "pn.s-chi-03.lead" || len(d.Sites) != 1 || d.Sites[0].ID != "S-CHI-03" || d.CSRF == "" || d.RPID != "127.0.0.1" {
		t.Fatalf("the agent's data: %+v", d)
	}
	if len(d.Creds) != 0 || d.Creds == nil {
		t.Errorf("an emulated key with no credential id is not a passkey the browser can ask: %+v (keys %d)", d.Creds, len(keys))
	}
	if d.Sites[0].Address != "" || !d.Sites[0].Redacted || d.Sites[0].ReleaseAt != "" {
		t.Errorf("the target before the briefing: %+v", d.Sites[0])
	}
	found := false
	for _, p := range d.Persons {
		found = found || p.ID == "P-30" && p.Redacted
	}
	if !found {
		t.Error("the persons lack P-30, redacted for an agent")
	}
	// The briefing released an hour ago: the target is the team's.
	rel := &domain.OperationRelease{Operation: "OP-METASTASIS", At: e.now().Add(-time.Hour).Format(time.RFC3339)}
	if err := app.LedgerAppender(e.d.Ledger, "system:test", e.now)(t.Context(), []ledger.Record{{Op: domain.OpOperationRelease, Rec: rel}}); err != nil {
		t.Fatal(err)
	}
	if d = data(); d.Sites[0].Address == "" || d.Sites[0].ReleaseAt != rel.At {
		t.Errorf("the target after the briefing: %+v", d.Sites[0])
	}
	// Someone of another team sees no site.
	o := e.client()
	o.login("ajeno")
	var od fieldData
	_, ob, _ := o.do("GET", "/campo/datos", nil, nil)
	json.Unmarshal([]byte(ob), &od)
	if len(od.Sites) != 0 || len(od.Persons) != 0 {
		t.Errorf("a non-member's data: %s", ob)
	}
}
