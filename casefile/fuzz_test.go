package casefile_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// seedLines returns every line of the acceptance case file.
func seedLines(tb testing.TB) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "metastasis.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

var badSeeds = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`{"op": "agency.add"}`,
	`{"op": "nope.add", "id": "x"}`,
	`{"op": "agency.add", "id": "AG", "name": "n", "kind": "police", "x": 1}`,
	`{"op": "agency.add", "id": "AG", "name": "n", "kind": "police"} trailing`,
	`{"op": "agency.add", "id": "AG", "id": "AG2", "name": "n", "kind": "police"}`,
	`{"op":"operation.plan","id":"O","case":"C","name":"n","h_hour":"2023-12-14T06:00:00-05:00","personnel":1e3,"agencies":["A"],"at":"2023-12-14T06:00:00-05:00","by":"o"}`,
	`{"op":"operation.plan","id":"O","case":"C","name":"n","h_hour":"2023-12-14T06:00:00-05:00","personnel":99999999999999999999,"agencies":["A"],"at":"2023-12-14T06:00:00-05:00","by":"o"}`,
	`{"op":"evidence.seize","id":"E","case":"C","type":"phone","description":"d","seized_at":"2023-12-14T06:00:00","seized_by":"o"}`,
	`{"op":"evidence.seize","id":"E","case":"C","type":"phone","description":"d","seized_at":"2023-12-14T06:00:00-05:00","seized_by":"o","quantity":0}`,
	`{"op":"person.add","id":"P","case":"C","name":"n","roles":[]}`,
	`{"op":"detention.update","detention":"D","at":"2023-12-14T06:00:00-05:00","by":"o"}`,
	`{"op":"evidence.attach","item":"E","name":"n","sha256":"ABC","size":-1,"at":"2023-12-14T06:00:00-05:00","by":"o"}`,
	"{\"op\":\"agency.add\",\"id\":\"AG\",\"name\":\"\xff\",\"kind\":\"police\"}",
	`{"op":"agency.add","id":"AG","name":"\u0000","kind":"police"}`,
	`{"op" : "agency.add" , "id":"A\"G","name":"n","kind":"police"}`,
	`{"op":"agency.add\\","id":"AG","name":"n","kind":"police"}`,
	`   {"op":"agency.add","id":"AG","name":"n","kind":"police"}`,
}

// FuzzDecode: case files come from outside. Decode never panics; a rejected
// line gives a *custody.Error with a code and messages in both languages; an
// accepted record encodes back to a line that decodes to the same record.
func FuzzDecode(f *testing.F) {
	for _, l := range seedLines(f) {
		f.Add(l)
	}
	for _, s := range badSeeds {
		f.Add([]byte(s))
	}
	for i, l := range seedLines(f) {
		if i%25 == 0 { // a sample of the ops, cut short and mismatched
			for _, v := range terminates.Variants(l) {
				f.Add(v)
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var op string
		var rec any
		var err *custody.Error
		terminates.Within(t, line, func() { op, rec, err = casefile.Decode(line) })
		if err != nil {
			if rec != nil {
				t.Fatalf("Decode returned a record and an error %v", err)
			}
			if err.Code == "" || err.Message == "" || err.MessageEN == "" {
				t.Fatalf("error without code or message: %#v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error message spans lines: %q", err.Error())
			}
			return
		}
		if op == "" || rec == nil {
			t.Fatalf("accepted %q with op %q, record %v", line, op, rec)
		}
		if cerr := casefile.Validate(op, rec); cerr != nil {
			t.Fatalf("accepted record does not validate: %v", cerr)
		}
		enc, e := casefile.Encode(op, rec)
		if e != nil {
			t.Fatalf("Encode: %v", e)
		}
		op2, rec2, err2 := casefile.Decode(enc)
		if err2 != nil {
			t.Fatalf("re-encoded line %s does not decode: %v", enc, err2)
		}
		// Equal as records: an empty list and no list encode alike.
		j1, _ := json.Marshal(rec)
		j2, _ := json.Marshal(rec2)
		if op2 != op || reflect.TypeOf(rec) != reflect.TypeOf(rec2) || !bytes.Equal(j1, j2) {
			t.Fatalf("round trip changed the record:\n%s\n%#v\n%#v", enc, rec, rec2)
		}
		// Every field of the line was read under its exact name: a key that
		// the re-encoded record lacks must have held nothing.
		var in, out map[string]any
		if json.Unmarshal(line, &in) != nil || json.Unmarshal(enc, &out) != nil {
			t.Fatalf("accepted line is not a JSON object: %q", line)
		}
		for k, v := range in {
			if _, ok := out[k]; !ok && !isEmpty(v) {
				t.Fatalf("accepted field %q (value %v), which is not a field of %s: a misspelt name passed silently", k, v, op)
			}
		}
		// An accepted line has one meaning: no duplicate keys (Canonical
		// refuses them, as two readers could pick different values).
		if _, err := custody.Canonical(bytes.TrimSpace(line)); err != nil {
			t.Fatalf("accepted a line that is not canonicalisable: %v", err)
		}
		// The stored form (the record without op) decodes to the same record.
		body := append([]byte("{"), enc[bytes.IndexByte(enc, ',')+1:]...)
		if bytes.IndexByte(enc, ',') < 0 {
			body = []byte("{}")
		}
		rec3, e := casefile.DecodeRecord(op, body)
		j3, _ := json.Marshal(rec3)
		if e != nil || reflect.TypeOf(rec) != reflect.TypeOf(rec3) || !bytes.Equal(j1, j3) {
			t.Fatalf("DecodeRecord(%s) = %#v, %v", body, rec3, e)
		}
	})
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case bool:
		return !x
	}
	return false
}

// TestFieldNamesExact: field names are matched exactly. encoding/json alone
// matches them case-insensitively and lets a repeated key overwrite the
// first, which would let "Seal" or a second "to" pass silently.
func TestFieldNamesExact(t *testing.T) {
	for _, line := range []string{
		`{"op":"agency.add","ID":"AG","name":"n","kind":"police"}`,
		`{"op":"agency.add","id":"AG","Name":"n","kind":"police"}`,
		`{"op":"site.add","id":"S","operAtion":"O","province":"p","city":"c","kind":"residence","lead":"o"}`,
		`{"op":"custody.transfer","item":"E","from":"a","to":"b","at":"2023-12-14T06:00:00-05:00","purpose":"storage","seal_condition":"intact","Seal":"X"}`,
		`{"op":"agency.add","id":"AG","id":"AG2","name":"n","kind":"police"}`,
		`{"op":"custody.transfer","item":"E","from":"a","to":"b","to":"c","at":"2023-12-14T06:00:00-05:00","purpose":"storage","seal_condition":"intact"}`,
	} {
		if _, _, err := casefile.Decode([]byte(line)); err == nil {
			t.Errorf("accepted %s", line)
		}
	}
}

// TestReaderLineNumbers checks that blank lines count and a long line is
// refused with its number.
func TestReaderLineNumbers(t *testing.T) {
	long := `{"op":"statement.add","id":"S","case":"C","at":"2023-12-14T06:00:00-05:00","source":"s","text":"` + strings.Repeat("x", casefile.MaxLineBytes) + `"}`
	file := "\n" + `{"op":"agency.add","id":"AG","name":"n","kind":"police"}` + "\n\n  \n" + long + "\n"
	rd := casefile.NewReader(strings.NewReader(file))
	line, op, _, err := rd.Next()
	if err != nil || line != 2 || op != "agency.add" {
		t.Fatalf("first record: line %d op %q err %v", line, op, err)
	}
	line, _, _, err = rd.Next()
	le, ok := err.(*casefile.LineError)
	if !ok || le.Line != 5 || line != 5 || le.Err.Code != "too_large" {
		t.Fatalf("long line: line %d err %v", line, err)
	}
}

// TestSyntaxErrorsInSpanish: a damaged line is told in Spanish, with the
// byte where it broke, and in English in the English message; and a file
// that an editor saved with a byte order mark imports (the mark is not
// data), while the same mark on a later line is still an error.
func TestSyntaxErrorsInSpanish(t *testing.T) {
	for _, c := range []struct{ line, es, en string }{
		{`{"op":"site.add","id":"S`, "texto sin comillas de cierre", "unterminated string"},
		{`{"op":"site.add","id":"S","name":`, "la línea termina antes de cerrar", "unexpected end"},
		{`esto no es json`, "carácter inesperado 'e'", "invalid character 'e'"},
		{`{"op":"agency.add","id":"AG","name":"n","kind":"police"} x`, "hay texto después del objeto JSON", "data after the JSON object"},
		{`{"op":"agency.add","id":"AG","id":"n","kind":"police"}`, "campo repetido", "repeated field"},
		{`{"op":"agency.add","id":"AG","name":"n\q","kind":"police"}`, "secuencia de escape no válida", "invalid escape"},
	} {
		_, _, _, err := casefile.NewReader(strings.NewReader(c.line + "\n")).Next()
		le, ok := err.(*casefile.LineError)
		if !ok || le.Line != 1 {
			t.Fatalf("%s: %v, want an error on line 1", c.line, err)
		}
		if !strings.Contains(le.Err.Message, c.es) || !strings.Contains(le.Err.MessageEN, c.en) || strings.Contains(le.Err.Message, c.en) {
			t.Errorf("%s:\n es: %s\n en: %s\nwant %q in Spanish and %q in English", c.line, le.Err.Message, le.Err.MessageEN, c.es, c.en)
		}
	}
	agency := `{"op":"agency.add","id":"AG","name":"n","kind":"police"}`
	rd := casefile.NewReader(strings.NewReader("\uFEFF" + agency + "\n\uFEFF" + agency + "\n"))
	if _, op, _, err := rd.Next(); err != nil || op != "agency.add" {
		t.Fatalf("a file beginning with a byte order mark: %q %v", op, err)
	}
	if _, _, _, err := rd.Next(); err == nil {
		t.Fatal("a byte order mark in the middle of the file was accepted")
	}
}
