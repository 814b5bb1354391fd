package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/httpapi"
	"github.com/custodia-ec/custodia/internal/testkeys"
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
