package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// admitNow is the server's clock in the admission tests.
var admitNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func TestAdmit(t *testing.T) {
	transfer := `{"op":"custody.transfer","item":"E1","from":"o1","to":"o2","at":"%s","purpose":"storage","seal_condition":"none"}`
	cases := []struct {
		name, line  string
		skew        int64
		code, field string
		msg         string // a part of the Spanish message, when set
	}{
		{name: "the issue's transfer at 9999-12-31", line: strings.Replace(transfer, "%s", "9999-12-31T00:00:00Z", 1), code: custody.EInvalid, field: "at"},
		{name: "a year ahead", line: strings.Replace(transfer, "%s", "2025-06-01T12:00:00Z", 1), code: custody.ERule, field: "at", msg: "(2024-06-01 12:00:00 +00:00)"},
		{name: "six minutes ahead", line: strings.Replace(transfer, "%s", "2024-06-01T07:06:00-05:00", 1), code: custody.ERule, field: "at", msg: "hora del servidor (2024-06-01 07:00:00 -05:00)"},
		{name: "five minutes ahead (the default skew)", line: strings.Replace(transfer, "%s", "2024-06-01T07:05:00-05:00", 1)},
		{name: "six minutes ahead with a skew of 10", skew: 10, line: strings.Replace(transfer, "%s", "2024-06-01T07:06:00-05:00", 1)},
		{name: "eleven minutes ahead with a skew of 10", skew: 10, line: strings.Replace(transfer, "%s", "2024-06-01T12:11:00Z", 1), code: custody.ERule, field: "at"},
		{name: "in the past", line: strings.Replace(transfer, "%s", "2023-12-14T06:30:00-05:00", 1)},
		{name: "offset +24:00", line: strings.Replace(transfer, "%s", "2023-12-14T06:30:00+24:00", 1), code: custody.EInvalid, field: "at", msg: "±14:00"},
		{name: "offset -14:01", line: strings.Replace(transfer, "%s", "2023-12-14T06:30:00-14:01", 1), code: custody.EInvalid, field: "at"},
		{name: "offset +14:00", line: strings.Replace(transfer, "%s", "2023-12-14T06:30:00+14:00", 1)},
		{name: "year 1899", line: strings.Replace(transfer, "%s", "1899-12-31T23:59:59Z", 1), code: custody.EInvalid, field: "at", msg: "1899"},
		{name: "year 1900", line: strings.Replace(transfer, "%s", "1900-01-01T00:00:00Z", 1)},
		{name: "detention arrested in the future", line: `{"op":"detention.record","id":"D1","case":"C1","person":"P1","basis":"warrant","arrested_at":"2030-01-01T00:00:00Z","arrested_by":"o1"}`, code: custody.ERule, field: "arrested_at"},
		{name: "rights read in the future", line: `{"op":"detention.record","id":"D1","case":"C1","person":"P1","basis":"warrant","arrested_at":"2024-01-01T00:00:00Z","arrested_by":"o1","rights_notified_at":"2030-01-01T00:00:00Z"}`, code: custody.ERule, field: "rights_notified_at"},
		{name: "judge seen in the future (update)", line: `{"op":"detention.update","detention":"D1","at":"2024-01-01T00:00:00Z","by":"o1","hearing_at":"2030-01-01T00:00:00Z"}`, code: custody.ERule, field: "hearing_at"},
		{name: "released in the future (update)", line: `{"op":"detention.update","detention":"D1","at":"2024-01-01T00:00:00Z","by":"o1","released_at":"2030-01-01T00:00:00Z"}`, code: custody.ERule, field: "released_at"},
		{name: "site status in the future", line: `{"op":"site.status","site":"S1","status":"entered","at":"2030-01-01T00:00:00Z","by":"o1"}`, code: custody.ERule, field: "at"},
		{name: "seizure in the future", line: `{"op":"evidence.seize","id":"E1","case":"C1","type":"phone","description":"x","seized_at":"2030-01-01T00:00:00Z","seized_by":"o1"}`, code: custody.ERule, field: "seized_at"},
		{name: "case opened in the future", line: `{"op":"case.open","id":"C1","title":"x","at":"2030-01-01T00:00:00Z","by":"o1"}`, code: custody.ERule, field: "at"},
		{name: "statement in the future", line: `{"op":"statement.add","id":"ST1","case":"C1","at":"2030-01-01T00:00:00Z","source":"x","text":"y"}`, code: custody.ERule, field: "at"},
		{name: "link in the future", line: `{"op":"link.add","id":"L1","case":"C1","from":"P1","to":"P2","kind":"paid","at":"2030-01-01T00:00:00Z"}`, code: custody.ERule, field: "at"},
		{name: "operation planned in the future", line: `{"op":"operation.plan","id":"OP","case":"C1","name":"x","h_hour":"2024-06-02T05:00:00Z","personnel":1,"agencies":[],"at":"2030-01-01T00:00:00Z","by":"o1"}`, code: custody.ERule, field: "at"},
		{name: "an h_hour ahead is a plan", line: `{"op":"operation.plan","id":"OP","case":"C1","name":"x","h_hour":"2024-06-02T05:00:00Z","personnel":1,"agencies":[],"at":"2024-06-01T10:00:00Z","by":"o1"}`},
		{name: "an h_hour in year 2201", line: `{"op":"operation.plan","id":"OP","case":"C1","name":"x","h_hour":"2201-01-01T05:00:00Z","personnel":1,"agencies":[],"at":"2024-06-01T10:00:00Z","by":"o1"}`, code: custody.EInvalid, field: "h_hour"},
		{name: "open, seal, derive, attach, present, dispose in the future", line: `{"op":"custody.open","item":"E1","at":"2030-01-01T00:00:00Z","by":"o1","reason":"x"}`, code: custody.ERule, field: "at"},
		{name: "seal in the future", line: `{"op":"custody.seal","item":"E1","seal":"S","at":"2030-01-01T00:00:00Z","by":"o1"}`, code: custody.ERule, field: "at"},
		{name: "derive in the future", line: `{"op":"evidence.derive","id":"E2","parent":"E1","type":"copy","description":"x","at":"2030-01-01T00:00:00Z","by":"o1"}`, code: custody.ERule, field: "at"},
		{name: "attach in the future", line: `{"op":"evidence.attach","item":"E1","name":"a.jpg","sha256":"` + strings.Repeat("a", 64) + `","size":1,"at":"2030-01-01T00:00:00Z","by":"o1"}`, code: custody.ERule, field: "at"},
		{name: "present in the future", line: `{"op":"court.present","item":"E1","at":"2030-01-01T00:00:00Z","by":"o1","hearing":"h"}`, code: custody.ERule, field: "at"},
		{name: "dispose in the future", line: `{"op":"evidence.dispose","item":"E1","at":"2030-01-01T00:00:00Z","by":"o1","method":"destroyed"}`, code: custody.ERule, field: "at"},

		{name: "a future act's times read in its own offset", line: `{"op":"custody.seal","item":"E1","seal":"S","at":"2030-01-01T10:00:00-05:00","by":"o1"}`, code: custody.ERule, field: "at",
			msg: "2030-01-01 10:00:00 -05:00 es posterior a la hora del servidor (2024-06-01 07:00:00 -05:00)"},
		{name: "NUL in a name", line: "{\"op\":\"person.add\",\"id\":\"P1\",\"case\":\"C1\",\"name\":\"Ana\\u0000B\",\"roles\":[\"other\"]}", code: custody.EInvalid, field: "name", msg: "U+0000"},
		{name: "right-to-left override in a description", line: "{\"op\":\"evidence.seize\",\"id\":\"E1\",\"case\":\"C1\",\"type\":\"phone\",\"description\":\"foto \u202egpj.exe\",\"seized_at\":\"2024-01-01T00:00:00Z\",\"seized_by\":\"o1\"}", code: custody.EInvalid, field: "description", msg: "U+202E"},
		{name: "isolate in an officer's name", line: "{\"op\":\"officer.add\",\"id\":\"o9\",\"name\":\"A\u2066B\",\"agency\":\"a\",\"role\":\"agent\"}", code: custody.EInvalid, field: "name", msg: "U+2066"},
		{name: "newline in a one-line name", line: `{"op":"agency.add","id":"a9","name":"A\nB","kind":"police"}`, code: custody.EInvalid, field: "name"},
		{name: "newline and tab in a description", line: `{"op":"evidence.seize","id":"E1","case":"C1","type":"phone","description":"line 1\n\tline 2","seized_at":"2024-01-01T00:00:00Z","seized_by":"o1"}`},
		{name: "carriage return in a description", line: `{"op":"evidence.seize","id":"E1","case":"C1","type":"phone","description":"a\rb","seized_at":"2024-01-01T00:00:00Z","seized_by":"o1"}`, code: custody.EInvalid, field: "description"},
		{name: "escape in a note", line: `{"op":"site.status","site":"S1","status":"entered","at":"2024-01-01T00:00:00Z","by":"o1","note":"\u001b[2J"}`, code: custody.EInvalid, field: "note"},
		{name: "C1 control in a seal", line: "{\"op\":\"custody.seal\",\"item\":\"E1\",\"seal\":\"S\u0085\",\"at\":\"2024-01-01T00:00:00Z\",\"by\":\"o1\"}", code: custody.EInvalid, field: "seal"},
		{name: "Spanish text", line: `{"op":"person.add","id":"P1","case":"C1","name":"José Núñez – «Ñandú»","roles":["other"]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, rec, cerr := casefile.Decode([]byte(c.line))
			if cerr != nil {
				t.Fatalf("decode %s: %v", c.line, cerr)
			}
			err := domain.Config{ClockSkewMinutes: c.skew}.Admit(rec, admitNow)
			if c.code == "" {
				if err != nil {
					t.Fatalf("%s: got %v, want accepted", op, err)
				}
				return
			}
			if err == nil || err.Code != c.code || err.Field != c.field {
				t.Fatalf("%s: got %v, want %s on %q", op, err, c.code, c.field)
			}
			if !strings.Contains(err.Message, c.msg) || err.MessageEN == "" || err.MessageEN == err.Message {
				t.Errorf("messages %q / %q: want Spanish with %q and an English one", err.Message, err.MessageEN, c.msg)
			}
		})
	}
}

// TestAdmitCoversEveryField fills every string field of every record type
// with a control character, and wants Admit to refuse each one: a field
// that Admit does not look at would let a future time or a hidden
// character through. Ids and enums are Validate's (they admit no control
// character at all).
func TestAdmitCoversEveryField(t *testing.T) {
	recs := []any{&casefile.Agency{}, &casefile.Officer{}, &casefile.Case{}, &casefile.Person{}, &casefile.Organization{}, &casefile.Link{},
		&casefile.Operation{}, &casefile.Site{}, &casefile.SiteStatus{}, &casefile.Detention{}, &casefile.DetentionUpdate{}, &casefile.Statement{},
		&custody.Seize{}, &custody.Transfer{}, &custody.Open{}, &custody.Seal{}, &custody.Derive{}, &custody.Attach{}, &custody.Present{}, &custody.Dispose{},
		&domain.AccountCreate{}, &domain.OperationRelease{}}
	ids := map[string]bool{"id": true, "case": true, "agency": true, "by": true, "from": true, "to": true, "operation": true, "lead": true, "site": true,
		"person": true, "detention": true, "item": true, "parent": true, "seized_by": true, "arrested_by": true, "officer": true, "account": true,
		"kind": true, "role": true, "type": true, "status": true, "basis": true, "purpose": true, "seal_condition": true, "method": true, "sha256": true}
	texts := map[string]bool{"kind": true} // link.add's kind is free text; its source is an id
	for _, rec := range recs {
		v := reflect.ValueOf(rec).Elem()
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			isLink := v.Type() == reflect.TypeOf(casefile.Link{})
			if f.Type.Kind() != reflect.String || ids[name] && !(texts[name] && isLink) || isLink && name == "source" {
				continue
			}
			isTime := name == "at" || name == "h_hour" || strings.HasSuffix(name, "_at")
			t.Run(v.Type().Name()+"."+name, func(t *testing.T) {
				c := reflect.New(v.Type())
				val := "x\x00"
				if isTime {
					val = "9999-12-31T00:00:00+24:00"
				}
				c.Elem().Field(i).SetString(val)
				err := domain.DefaultConfig.Admit(c.Interface(), admitNow)
				if err == nil || err.Field != name {
					t.Errorf("%s = %q: got %v, want refused on %s", name, val, err, name)
				}
			})
		}
	}
}
