package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/ledger"
)

// TestBadInput sends malformed, mistyped, unknown, oversized and
// ill-referenced records: each gets the right 4xx naming the field, and the
// log does not grow.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.account("agent", "agent", "pn.s-pic-01.lead", "METASTASIS")
	tok := e.token("agent", "write")
	e.append(ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "BX", Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: "pn.s-pic-01.lead"}})
	good := `"from":"pn.s-pic-02.lead","to":"pn.s-pic-01.lead","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"`
	_ = good
	big := `{"op":"statement.add","id":"ST-BIG","case":"METASTASIS","at":"2024-05-02T10:00:00-05:00","source":"x","text":"` + strings.Repeat("a", 70<<10) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"malformed JSON", "POST", "/api/v1/records", `{"op":"evidence.seize",`, 400, custody.EInvalid, ""},
		{"not an object", "POST", "/api/v1/records", `[1,2]`, 400, custody.EInvalid, ""},
		{"empty body", "POST", "/api/v1/records", ``, 400, custody.EInvalid, ""},
		{"unknown op", "POST", "/api/v1/records", `{"op":"evidence.steal","id":"X"}`, 400, custody.EInvalid, "op"},
		{"system op in records", "POST", "/api/v1/records", `{"op":"grant.add","case":"METASTASIS","account":"agent"}`, 400, custody.EInvalid, "op"},
		{"unknown field", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"B1","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead","colour":"red"}`, 400, custody.EInvalid, "colour"},
		{"wrong type", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"B1","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead","quantity":"two"}`, 400, custody.EInvalid, "quantity"},
		{"time without offset", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"B1","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00","seized_by":"pn.s-pic-01.lead"}`, 400, custody.EInvalid, "seized_at"},
		{"bad id", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"-B1","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead"}`, 400, custody.EInvalid, "id"},
		{"unknown case", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"B1","case":"NOPE","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead"}`, 422, custody.EReference, "case"},
		{"unknown officer", "POST", "/api/v1/records", `{"op":"custody.transfer","item":"BX","from":"pn.s-pic-01.lead","to":"nobody","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, 422, custody.EReference, "to"},
		{"unknown item", "POST", "/api/v1/records", `{"op":"custody.transfer","item":"NOPE","from":"x","to":"pn.s-pic-01.lead","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, 422, custody.EReference, "item"},
		{"not the account's officer", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"B1","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-02.lead"}`, 422, custody.ERule, "seized_by"},
		{"custody rule", "POST", "/api/v1/items/BX/transfers", `{"from":"pn.s-pic-02.lead","to":"pn.s-pic-01.lead","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, 422, custody.ERule, "from"},
		{"path field in body", "POST", "/api/v1/items/BX/transfers", `{"item":"BX","from":"pn.s-pic-01.lead","to":"pn.s-pic-02.lead","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, 400, custody.EInvalid, "item"},
		{"op in REST body", "POST", "/api/v1/items/BX/transfers", `{"op":"custody.transfer","from":"pn.s-pic-01.lead"}`, 400, custody.EInvalid, "op"},
		{"earlier than last event", "POST", "/api/v1/items/BX/transfers", `{"from":"pn.s-pic-01.lead","to":"pn.s-pic-02.lead","at":"2020-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, 422, custody.ERule, "at"},
		{"unknown path item", "POST", "/api/v1/items/NOPE/transfers", `{}`, 404, custody.ENotFound, ""},
		{"oversized body", "POST", "/api/v1/records", big, 413, custody.ETooLarge, ""},
		{"duplicate id", "POST", "/api/v1/records", `{"op":"evidence.seize","id":"BX","case":"METASTASIS","type":"phone","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":"pn.s-pic-01.lead"}`, 409, custody.EDuplicate, "id"},
		{"bad as_of", "GET", "/api/v1/cases/METASTASIS/detentions?as_of=yesterday", "", 400, custody.EInvalid, "as_of"},
		{"bad proof index", "GET", "/log/proof/inclusion?index=x&size=3", "", 400, custody.EInvalid, "index"},
		{"proof beyond the log", "GET", "/log/proof/inclusion?index=1&size=99999999", "", 400, custody.EInvalid, "size"},
		{"bad token body", "POST", "/api/v1/accounts/agent/tokens", `{"scope":"everything"}`, 400, custody.EInvalid, "scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.d.Ledger.Size()
			st, body := e.do(tc.method, tc.path, tok, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, body)
			}
			eb := decodeErr(t, body)
			if eb.Code != tc.code || eb.Field != tc.field || eb.Message == "" {
				t.Errorf("error %+v, want code %s field %q", eb, tc.code, tc.field)
			}
			if after := e.d.Ledger.Size(); after != before {
				t.Errorf("log grew from %d to %d on a rejected request", before, after)
			}
		})
	}
}

// TestErrorLanguage checks that messages follow Accept-Language.
func TestErrorLanguage(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ lang, want string }{{"", "inicie sesión"}, {"es-EC", "inicie sesión"}, {"en-US,en;q=0.9", "sign in"}, {"fr, en;q=0.5", "sign in"}} {
		req := e.ts.URL + "/api/v1/me"
		r, _ := newRequest("GET", req, tc.lang)
		resp, err := e.ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b := readAll(resp)
		if resp.StatusCode != 401 || !strings.Contains(string(b), tc.want) {
			t.Errorf("Accept-Language %q: %d %s, want 401 with %q", tc.lang, resp.StatusCode, b, tc.want)
		}
	}
}

// FuzzDecodeRecord feeds the request decoder arbitrary bodies: it must
// return a record or an error with a code, never panic, and what it accepts
// must pass casefile.Validate.
func FuzzDecodeRecord(f *testing.F) {
	for _, line := range strings.Split(string(mustRead(f, "../testdata/metastasis.jsonl")), "\n")[:60] {
		f.Add(line, "")
	}
	f.Add(`{"from":"a","to":"b","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, "X1")
	f.Add(`{}`, "X1")
	f.Add(`{"item":"X"}`, "X1")
	f.Add(`{ }`, "")
	for _, v := range terminates.StringVariants(`{"from":"a","to":"b","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none","note":{"x":[1,"]}"]}}`) {
		f.Add(v, "X1")
	}
	f.Fuzz(func(t *testing.T, body, item string) {
		var path map[string]string
		op := ""
		if item != "" {
			op, path = custody.OpTransfer, map[string]string{"item": item}
		}
		var gotOp string
		var rec any
		var err error
		terminates.Within(t, body, func() { gotOp, rec, err = DecodeRecord(op, []byte(body), path) })
		if err != nil {
			ce, ok := gateway.AsError(err)
			if !ok || ce.Code == "" || gateway.StatusOf(ce.Code) >= 500 {
				t.Fatalf("decode error %v is not a client error", err)
			}
			return
		}
		if verr := casefile.Validate(gotOp, rec); verr != nil {
			t.Fatalf("accepted a record that does not validate: %v", verr)
		}
		if tr, ok := rec.(*custody.Transfer); ok && item != "" && tr.Item != item {
			t.Fatalf("path item %q became %q", item, tr.Item)
		}
	})
}

// FuzzDecodeRecordPaths: DecodeRecord's reading of the top-level keys
// (topKeys) gives exactly what the general path gives, on any body: the same
// op and record, or the same error. A body that hid a path field from it
// could act on another item than the one the route authorized.
func FuzzDecodeRecordPaths(f *testing.F) {
	f.Add(`{"from":"a","to":"b","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, "X1")
	f.Add(`{"from":"a","to":"b","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none","item":"Y"}`, "X1")
	f.Add(`{"from":"a","to":"b","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none","\u0069tem":"Y"}`, "X1")
	f.Add(`{"from":"a","note":{"item":"Y","x":[1,"]}"]},"to":"b","at":"2024-05-02T10:00:00-05:00","purpose":"storage","seal_condition":"none"}`, "X1")
	f.Add(`{"op":"custody.transfer","from":"a"}`, "X1")
	f.Add(`{"from":tru,"item":"Y"}`, "X1")
	f.Add(` { } `, "X1")
	f.Add(`{"a":1}{"item":"Y"}`, "X1")
	for _, v := range terminates.StringVariants(`{"from":"a","note":{"item":"Y","x":[1,"]}"]},"to":"b","item":"Y"}`) {
		f.Add(v, "X1")
	}
	f.Fuzz(func(t *testing.T, body, item string) {
		path := map[string]string{"item": item}
		var op1, op2 string
		var rec1, rec2 any
		var err1, err2 error
		terminates.Within(t, body, func() {
			op1, rec1, err1 = DecodeRecord(custody.OpTransfer, []byte(body), path)
			op2, rec2, err2 = decodeRecordGeneral(custody.OpTransfer, bytes.TrimSpace([]byte(body)), path)
		})
		if len(bytes.TrimSpace([]byte(body))) < 2 || bytes.TrimSpace([]byte(body))[0] != '{' {
			if err1 == nil {
				t.Fatalf("accepted a body that is not an object: %q", body)
			}
			return
		}
		if op1 != op2 || !reflect.DeepEqual(rec1, rec2) || fmt.Sprint(err1) != fmt.Sprint(err2) {
			t.Fatalf("body %q item %q:\n fast    %q %+v %v\n general %q %+v %v", body, item, op1, rec1, err1, op2, rec2, err2)
		}
	})
}

// FuzzDecodeStrict fuzzes the decoder of the small JSON bodies.
func FuzzDecodeStrict(f *testing.F) {
	f.Add(`{"account":"a","password":"b","totp":"123456"}`)
	f.Add(`{"scope":"read","cases":["A"],"ttl_hours":3}`)
	f.Add(`{"account":1}`)
	for _, v := range terminates.StringVariants(`{"scope":"read","cases":["A"],"ttl_hours":3}`) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var a app.LoginRequest
		var err error
		terminates.Within(t, body, func() { err = DecodeStrict([]byte(body), &a) })
		if err != nil {
			if ce, ok := gateway.AsError(err); !ok || ce.Code != custody.EInvalid {
				t.Fatalf("error %v is not invalid", err)
			}
		}
		var tr app.TokenRequest
		terminates.Within(t, body, func() { DecodeStrict([]byte(body), &tr) })
	})
}

// TestRecordResultJSON: the answer to a write, written by hand, is byte for
// byte what WriteJSON writes, with the same status and headers.
func TestRecordResultJSON(t *testing.T) {
	for _, r := range []app.RecordResult{
		{Seq: 0, Op: custody.OpTransfer, RecordedAt: "2026-11-27T05:00:00.123456789Z"},
		{Seq: 1234567, Op: "evidence.seize", RecordedAt: "2026-11-27T05:00:00Z",
			Anomalies: []custody.Anomaly{{Item: "E-1", Kind: "seal_broken", At: "2024-01-01T00:00:00-05:00"}}},
		{Seq: 9, Op: `a"b\c`, RecordedAt: "<&>\u2028\x01ñ\x7f\xff"},
	} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		gateway.WriteJSON(want, http.StatusCreated, &r)
		writeRecordResult(got, &r)
		if got.Code != want.Code || got.Body.String() != want.Body.String() || !reflect.DeepEqual(got.Header(), want.Header()) {
			t.Errorf("%+v:\n got %d %v %q\nwant %d %v %q", r, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
	for _, s := range []string{"", "plain", `"quoted"`, "tab\t", "<html>", "é", "\u2028"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		if got := string(appendJSONString(nil, s)) + "\n"; got != want.String() {
			t.Errorf("appendJSONString(%q) = %q, want %q", s, got, want.String())
		}
	}
}
