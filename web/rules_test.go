package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/ledger"
)

// TestFormRules is issue 12 through the web forms: an act dated after the
// server's clock (plus 5 minutes) is refused with the server's time, so is
// free text with control or text-direction characters, naming the field;
// and a person of another case is answered as an unknown one.
func TestFormRules(t *testing.T) {
	e := newEnv(t)
	ag := e.client()
	ag.login("agente")
	post := func(path string, form url.Values) (int, string, *fieldErr) {
		t.Helper()
		form.Set("csrf_token", ag.csrf)
		st, body, _ := ag.do("POST", path, form, map[string]string{"X-Requested-With": "fetch"})
		var res fetchResult
		json.Unmarshal([]byte(body), &res)
		return st, body, res.Error
	}
	// The server's time in the act's offset (the deployment's zone, in
	// which the form's time was read), as a person reads it.
	day := e.now().In(time.FixedZone("", -5*3600)).Format("2006-01-02 ")
	if st, body, fe := post("/sitios/S-CHI-03/estado", url.Values{"status": {"en_route"}, "at": {"2099-01-01T00:00"}}); st != 422 || fe == nil || fe.Field != "at" || !strings.Contains(fe.Message, "hora del servidor ("+day) {
		t.Errorf("a status in 2099: %d %s", st, body)
	}
	if st, body, fe := post("/sitios/S-CHI-03/estado", url.Values{"status": {"en_route"}, "at": {"9999-12-31T00:00"}}); st != 400 || fe == nil || fe.Field != "at" {
		t.Errorf("a status in 9999: %d %s", st, body)
	}
	if st, body, fe := post("/sitios/S-CHI-03/estado", url.Values{"status": {"en_route"}, "note": {"ok\u202e"}}); st != 400 || fe == nil || fe.Field != "note" || !strings.Contains(fe.Message, "U+202E") {
		t.Errorf("a right-to-left override in a note: %d %s", st, body)
	}
	// The refused ones block nothing: a status now is accepted.
	if st, body, _ := post("/sitios/S-CHI-03/estado", url.Values{"status": {"en_route"}}); st != 200 {
		t.Errorf("a status now: %d %s", st, body)
	}
	seize := url.Values{"id": {"E-CHI-03-90"}, "type": {"phone"}, "description": {"Teléfono\x00"}}
	if st, body, fe := post("/sitios/S-CHI-03/secuestro", seize); st != 400 || fe == nil || fe.Field != "description" || !strings.Contains(fe.Message, "U+0000") {
		t.Errorf("a NUL in a description: %d %s", st, body)
	}
	seize.Set("description", "Teléfono\nde la cocina") // multi-line: allowed
	seize.Set("seized_at", "2024-01-01T00:00")
	if st, body, fe := post("/sitios/S-CHI-03/secuestro", seize); st != 422 || fe == nil || fe.Field != "seized_at" {
		t.Errorf("a seizure next month: %d %s", st, body)
	}
	seize.Del("seized_at")
	if st, body, _ := post("/sitios/S-CHI-03/secuestro", seize); st != 200 {
		t.Errorf("a seizure now: %d %s", st, body)
	}
	// A handover dated ahead is refused before the receiver's password is
	// checked: a refused record spends no sign-in attempt.
	if st, body, fe := post("/evidencias/E-CHI-03-90/entrega", url.Values{"at": {"2099-01-01T00:00"}, "purpose": {"storage"}, "seal_condition": {"none"},
		"receiver": {"custodio"}, "receiver_password": {"wrong"}}); st != 422 || fe == nil || fe.Field != "at" {
		t.Errorf("a handover in 2099: %d %s", st, body)
	}

	// A person of another case, cited in a detention, is answered as an
	// unknown person, byte for byte but for the id.
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	for _, line := range []string{
		`{"op":"case.open","id":"OTRO","title":"Otro","at":"2023-01-01T00:00:00Z","by":"fge.salazar"}`,
		`{"op":"person.add","id":"P-OTRO-1","case":"OTRO","name":"X","roles":["other"]}`,
	} {
		op, rec, cerr := casefile.Decode([]byte(line))
		if cerr != nil {
			t.Fatal(cerr)
		}
		if err := appendRecs(context.Background(), []ledger.Record{{Op: op, Rec: rec}}); err != nil {
			t.Fatal(err)
		}
	}
	det := func(person string) (int, string) {
		st, body, _ := post("/sitios/S-CHI-03/detencion", url.Values{"id": {"D-CHI-03-90"}, "person": {person}, "basis": {"flagrante"}})
		return st, strings.ReplaceAll(body, person, "ID")
	}
	st1, b1 := det("P-OTRO-1")
	st2, b2 := det("P-NADA-1")
	if st1 != 422 || st1 != st2 || b1 != b2 {
		t.Errorf("person of another case / unknown person:\n%d %s\n%d %s", st1, b1, st2, b2)
	}
}
