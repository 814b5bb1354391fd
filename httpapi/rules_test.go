package httpapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// TestFutureActsRefused is issue 12, point 2, through the JSON API: a
// transfer dated 9999-12-31 was recorded and then blocked every real later
// act of its item. Every claimed time is checked against the server's clock
// (testNow) plus the default skew of 5 minutes; the message gives the
// server's time.
func TestFutureActsRefused(t *testing.T) {
	e := newEnv(t)
	e.officer("cust.x", "custodian")
	fiscal := e.token(e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS").Account, "write", "METASTASIS")
	seize := `{"op":"evidence.seize","id":"E-FUT-1","case":"METASTASIS","type":"phone","description":"%s","seized_at":"%s","seized_by":"fge.salazar"}`
	post := func(body string) (int, gateway.ErrorBody) {
		t.Helper()
		st, b := e.do("POST", "/api/v1/records", fiscal, body)
		if st == 201 {
			return st, gateway.ErrorBody{}
		}
		return st, decodeErr(t, b)
	}
	for _, c := range []struct {
		name, desc, at string
		status         int
		code, field    string
		msg            string
	}{
		{"year 9999", "x", "9999-12-31T00:00:00Z", 400, custody.EInvalid, "seized_at", "9999"},
		{"an hour ahead of the server", "x", "2024-06-01T13:00:00Z", 422, custody.ERule, "seized_at", "(2024-06-01 12:00:00 +00:00)"},
		{"offset +24:00", "x", "2024-06-01T10:00:00+24:00", 400, custody.EInvalid, "seized_at", "±14:00"},
		{"NUL in the description", `a\u0000b`, "2024-06-01T10:00:00Z", 400, custody.EInvalid, "description", "U+0000"},
		{"right-to-left override in the description", `foto \u202egpj.exe`, "2024-06-01T10:00:00Z", 400, custody.EInvalid, "description", "U+202E"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, eb := post(strings.Replace(strings.Replace(seize, "%s", c.desc, 1), "%s", c.at, 1))
			if st != c.status || eb.Code != c.code || eb.Field != c.field || !strings.Contains(eb.Message, c.msg) {
				t.Errorf("got %d %+v, want %d %s on %s with %q", st, eb, c.status, c.code, c.field, c.msg)
			}
		})
	}
	if e.d.Ledger.View(func(st *domain.State) error {
		if _, ok := st.Items["E-FUT-1"]; ok {
			t.Error("a refused seizure was recorded")
		}
		return nil
	}); t.Failed() {
		return
	}
	// Within the skew is accepted; then the exact request of the issue,
	// through the REST route, is refused and a real later act still goes.
	if st, eb := post(strings.Replace(strings.Replace(seize, "%s", "x", 1), "%s", "2024-06-01T07:04:00-05:00", 1)); st != 201 {
		t.Fatalf("seizure 4 minutes ahead: %d %+v", st, eb)
	}
	st, b := e.do("POST", "/api/v1/items/E-FUT-1/transfers", fiscal, `{"from":"fge.salazar","to":"cust.x","at":"9999-12-31T23:59:59Z","purpose":"storage","seal_condition":"none"}`)
	if eb := decodeErr(t, b); st != 400 || eb.Field != "at" {
		t.Errorf("transfer at 9999-12-31: got %d %s, want 400 on at", st, b)
	}
	st, b = e.do("POST", "/api/v1/items/E-FUT-1/transfers", fiscal, `{"from":"fge.salazar","to":"cust.x","at":"2024-06-01T12:30:00Z","purpose":"storage","seal_condition":"none"}`)
	if eb := decodeErr(t, b); st != 422 || eb.Code != custody.ERule || !strings.Contains(eb.Message, "(2024-06-01 12:00:00 +00:00)") {
		t.Errorf("transfer half an hour ahead: got %d %s, want 422 naming the server's time", st, b)
	}
	giver, taker := testkeys.Ed25519("fge.salazar"), testkeys.Ed25519("cust.x")
	e.enrol(giver, taker)
	real := &custody.Transfer{Item: "E-FUT-1", From: "fge.salazar", To: "cust.x", At: "2024-06-01T12:04:30Z", Purpose: "storage", SealCondition: "none"}
	if st, b := e.do("POST", "/api/v1/items/E-FUT-1/transfers", fiscal, signedTransfer(real, giver, taker)); st != 201 {
		t.Errorf("a real transfer after the refused ones: %d %s", st, b)
	}
	// Site status and detention times, through their doors.
	if st, b := e.do("POST", "/api/v1/sites/S-PIC-01/status", fiscal, `{"status":"aborted","at":"2030-01-01T00:00:00Z","by":"fge.salazar"}`); st != 422 || decodeErr(t, b).Field != "at" {
		t.Errorf("site status in 2030: %d %s", st, b)
	}
	if st, b := post(`{"op":"detention.record","id":"D-FUT","case":"METASTASIS","person":"P-NORERO","basis":"warrant","arrested_at":"2024-06-01T10:00:00Z","arrested_by":"fge.salazar","hearing_at":"2024-06-02T10:00:00Z"}`); st != 422 || b.Field != "hearing_at" {
		t.Errorf("judge seen tomorrow: %d %+v", st, b)
	}
}

// sameBut compares two error answers byte for byte once each one's own id
// is replaced by ID.
func sameBut(t *testing.T, what string, st1 int, b1 []byte, id1 string, st2 int, b2 []byte, id2 string) {
	t.Helper()
	n1 := bytes.ReplaceAll(b1, []byte(id1), []byte("ID"))
	n2 := bytes.ReplaceAll(b2, []byte(id2), []byte("ID"))
	if st1 != st2 || !bytes.Equal(n1, n2) {
		t.Errorf("%s: the two answers differ:\n%d %s\n%d %s", what, st1, b1, st2, b2)
	}
	if st1 < 400 {
		t.Errorf("%s: accepted (%d %s)", what, st1, b1)
	}
}

// TestHiddenAnsweredAsUnknown is issue 12, point 4: a reference outside
// what the caller may see is answered exactly as an unknown one, and a
// duplicate id tells nothing of the case holding it.
func TestHiddenAnsweredAsUnknown(t *testing.T) {
	e := newEnv(t)
	// Another case, with an operation, a site, a person and an item, that
	// the prosecutor of METASTASIS may not see.
	e.officer("fge.otro", "prosecutor")
	e.officer("def.1", "defense")
	for _, line := range []string{
		`{"op":"case.open","id":"OTRO","title":"Otro","at":"2024-01-01T00:00:00Z","by":"fge.otro"}`,
		`{"op":"operation.plan","id":"OP-OTRO","case":"OTRO","name":"x","h_hour":"2024-01-02T00:00:00Z","personnel":1,"agencies":[],"at":"2024-01-01T00:00:00Z","by":"fge.otro"}`,
		`{"op":"site.add","id":"S-OTRO-1","operation":"OP-OTRO","province":"P","city":"C","kind":"residence","lead":"fge.otro"}`,
		`{"op":"person.add","id":"P-OTRO-1","case":"OTRO","name":"X","roles":["other"]}`,
		`{"op":"evidence.seize","id":"E-OTRO-1","case":"OTRO","type":"phone","description":"x","seized_at":"2024-01-03T00:00:00Z","seized_by":"fge.otro"}`,
	} {
		op, rec, cerr := casefile.Decode([]byte(line))
		if cerr != nil {
			t.Fatal(cerr)
		}
		e.append(ledger.Record{Op: op, Rec: rec})
	}
	fiscal := e.token(e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS").Account, "write")
	post := func(tok, body string) (int, []byte) { return e.do("POST", "/api/v1/records", tok, body) }

	t.Run("a site of another case cited in a seizure", func(t *testing.T) {
		body := `{"op":"evidence.seize","id":"E-NEW-1","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-06-01T10:00:00Z","seized_by":"fge.salazar","site":"%s"}`
		st1, b1 := post(fiscal, strings.Replace(body, "%s", "S-OTRO-1", 1))
		st2, b2 := post(fiscal, strings.Replace(body, "%s", "S-NADA-1", 1))
		sameBut(t, "site elsewhere / unknown site", st1, b1, "S-OTRO-1", st2, b2, "S-NADA-1")
		if eb := decodeErr(t, b1); eb.Code != custody.EReference || strings.Contains(eb.Message, "pertenece") {
			t.Errorf("got %s, want unknown_reference", b1)
		}
	})
	t.Run("a person and an operation of another case cited in a detention", func(t *testing.T) {
		body := `{"op":"detention.record","id":"D-NEW","case":"METASTASIS","person":"%s","basis":"warrant","arrested_at":"2024-06-01T10:00:00Z","arrested_by":"fge.salazar"}`
		st1, b1 := post(fiscal, strings.Replace(body, "%s", "P-OTRO-1", 1))
		st2, b2 := post(fiscal, strings.Replace(body, "%s", "P-NADA-1", 1))
		sameBut(t, "person elsewhere / unknown person", st1, b1, "P-OTRO-1", st2, b2, "P-NADA-1")
		body = `{"op":"detention.record","id":"D-NEW","case":"METASTASIS","person":"P-NORERO","operation":"%s","basis":"warrant","arrested_at":"2024-06-01T10:00:00Z","arrested_by":"fge.salazar"}`
		st1, b1 = post(fiscal, strings.Replace(body, "%s", "OP-OTRO", 1))
		st2, b2 = post(fiscal, strings.Replace(body, "%s", "OP-NADA", 1))
		sameBut(t, "operation elsewhere / unknown operation", st1, b1, "OP-OTRO", st2, b2, "OP-NADA")
	})
	t.Run("a site status of another case's site", func(t *testing.T) {
		body := `{"op":"site.status","site":"%s","status":"entered","at":"2024-06-01T10:00:00Z","by":"fge.salazar"}`
		st1, b1 := post(fiscal, strings.Replace(body, "%s", "S-OTRO-1", 1))
		st2, b2 := post(fiscal, strings.Replace(body, "%s", "S-NADA-1", 1))
		sameBut(t, "status of a site elsewhere / of an unknown site", st1, b1, "S-OTRO-1", st2, b2, "S-NADA-1")
	})
	// Ids are global (the spec): a taken id is refused, with the same
	// answer whether the record holding it is in a case the caller sees or
	// not, so it cannot confirm another case.
	t.Run("case.open with the id of a case the caller is not a member of", func(t *testing.T) {
		body := `{"op":"case.open","id":"%s","title":"t","at":"2024-06-01T10:00:00Z","by":"fge.salazar"}`
		st1, b1 := post(fiscal, strings.Replace(body, "%s", "OTRO", 1))
		st2, b2 := post(fiscal, strings.Replace(body, "%s", "METASTASIS", 1))
		sameBut(t, "case id elsewhere / case id of the caller's case", st1, b1, "OTRO", st2, b2, "METASTASIS")
		if strings.Contains(string(b1), "OTRO\" ") || bytes.Contains(b1, []byte("fge.otro")) {
			t.Errorf("the answer tells about the other case: %s", b1)
		}
	})
	t.Run("person.add with the id of a person of another case", func(t *testing.T) {
		body := `{"op":"person.add","id":"%s","case":"METASTASIS","name":"X","roles":["other"]}`
		st1, b1 := post(fiscal, strings.Replace(body, "%s", "P-OTRO-1", 1))
		st2, b2 := post(fiscal, strings.Replace(body, "%s", "P-NORERO", 1))
		sameBut(t, "person id elsewhere / in the caller's case", st1, b1, "P-OTRO-1", st2, b2, "P-NORERO")
	})
	t.Run("evidence.seize with the id of an item of another case", func(t *testing.T) {
		body := `{"op":"evidence.seize","id":"%s","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-06-01T10:00:00Z","seized_by":"fge.salazar"}`
		st1, b1 := post(fiscal, strings.Replace(body, "%s", "E-OTRO-1", 1))
		st2, b2 := post(fiscal, strings.Replace(body, "%s", "E-CHI-03-01", 1))
		sameBut(t, "item id elsewhere / in the caller's case", st1, b1, "E-OTRO-1", st2, b2, "E-CHI-03-01")
	})
	t.Run("defence naming an undisclosed item", func(t *testing.T) {
		def := e.token(e.account("defensa", "defense", "def.1", "METASTASIS").Account, "write")
		e.append(ledger.Record{Op: domain.OpItemDisclose, Rec: &domain.ItemDisclose{Item: "E-CHI-03-02", Account: "defensa"}})
		body := `{"op":"custody.transfer","item":"%s","from":"fge.salazar","to":"def.1","at":"2024-06-01T10:00:00Z","purpose":"other","seal_condition":"none"}`
		st1, b1 := post(def, strings.Replace(body, "%s", "E-CHI-03-01", 1))
		st2, b2 := post(def, strings.Replace(body, "%s", "E-NADA-1", 1))
		sameBut(t, "undisclosed item / unknown item", st1, b1, "E-CHI-03-01", st2, b2, "E-NADA-1")
		if st1 != 422 || decodeErr(t, b1).Code != custody.EReference {
			t.Errorf("got %d %s, want 422 unknown_reference", st1, b1)
		}
		// A disclosed item is the defence's to know: the answer is the
		// policy's not_found for what the role may not do in the case (the
		// authorization matrix), not that the item is unknown.
		if st, b := post(def, strings.Replace(body, "%s", "E-CHI-03-02", 1)); st != 404 {
			t.Errorf("disclosed item: got %d %s, want 404", st, b)
		}
	})
}

// TestBackdatedActFlagged: an act may be recorded after the fact (the
// record typed at the station after a raid), but one recorded more than a
// day after the time it claims reads as such in its history, through the
// API (and the pages and the command line, which show the same history);
// one recorded the same day, and imported history, are not flagged.
func TestBackdatedActFlagged(t *testing.T) {
	e := newEnv(t)
	fiscal := e.token(e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS").Account, "write", "METASTASIS")
	for _, c := range []struct{ id, at string }{{"E-LATE-1", "2024-05-29T12:00:00Z"}, {"E-LATE-2", "2024-06-01T09:00:00Z"}} {
		body := `{"op":"evidence.seize","id":"` + c.id + `","case":"METASTASIS","type":"phone","description":"x","seized_at":"` + c.at + `","seized_by":"fge.salazar"}`
		if st, b := e.do("POST", "/api/v1/records", fiscal, body); st != 201 {
			t.Fatalf("seizure %s at %s: %d %s", c.id, c.at, st, b)
		}
	}
	late := func(item string) int64 {
		t.Helper()
		st, b := e.do("GET", "/api/v1/items/"+item+"/history", fiscal, "")
		if st != 200 {
			t.Fatalf("history of %s: %d %s", item, st, b)
		}
		var h []domain.HistoryEntry
		if err := json.Unmarshal([]byte(b), &h); err != nil || len(h) == 0 {
			t.Fatalf("history of %s: %v %s", item, err, b)
		}
		return h[0].RecordedLateHours
	}
	if got := late("E-LATE-1"); got != 72 {
		t.Errorf("a seizure recorded three days after its time: recorded_late_hours %d, want 72", got)
	}
	if got := late("E-LATE-2"); got != 0 {
		t.Errorf("a seizure recorded three hours after its time is flagged: %d", got)
	}
	if got := late("E-PIC-01-01"); got != 0 {
		t.Errorf("imported history is flagged: %d", got)
	}
}
