package custody_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/internal/terminates"
)

func metastasisLines(tb testing.TB) [][]byte {
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

var canonicalSeeds = []string{
	`{"b":1,"a":[true,false,null],"c":{"z":"\u00e9","y":"\ud83d\ude00"}}`,
	`{"\u20ac":1,"\ud83d\ude00":2,"a":3,"\u0080":4}`,
	`"\u0000\u001f\"\\/\b\f\n\r\t"`,
	`[1,-1,9007199254740991,-9007199254740991]`,
	`9007199254740992`,
	`-0`,
	`1.0`,
	`1e2`,
	`{"a":1,"a":2}`,
	`{"a":1} x`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	"\"\xff\"",
	`"\ud800"`,
	` { "a" : [ 1 , 2 ] } `,
	``,
}

// FuzzCanonical: Canonical never panics, its output is valid JSON with the
// same meaning, and it is idempotent.
func FuzzCanonical(f *testing.F) {
	for _, l := range metastasisLines(f)[:200] {
		f.Add(l)
	}
	for _, s := range canonicalSeeds {
		f.Add([]byte(s))
		for _, v := range terminates.Variants([]byte(s)) {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c []byte
		var err error
		terminates.Within(t, data, func() { c, err = custody.Canonical(data) })
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		c2, err := custody.Canonical(c)
		if err != nil {
			t.Fatalf("Canonical(Canonical(%q)) failed: %v", data, err)
		}
		if !bytes.Equal(c, c2) {
			t.Fatalf("not idempotent:\n%q\n%q", c, c2)
		}
		if !json.Valid(c) {
			t.Fatalf("output is not JSON: %q", c)
		}
		var a, b any
		da := json.NewDecoder(bytes.NewReader(data))
		da.UseNumber()
		db := json.NewDecoder(bytes.NewReader(c))
		db.UseNumber()
		if da.Decode(&a) != nil || db.Decode(&b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("meaning changed:\n%q\n%q", data, c)
		}
	})
}

func seedEvents(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for i, l := range metastasisLines(tb)[:120] {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			tb.Fatal(err)
		}
		op := m["op"].(string)
		delete(m, "op")
		rec, err := fastcodec.MarshalCanonical(m)
		if err != nil {
			tb.Fatal(err)
		}
		e := &custody.Event{V: custody.EventVersion, Seq: int64(i), Salt: "000102030405060708090a0b0c0d0e0f", Op: op, Record: rec,
			Recorded: custody.Recorded{At: "2024-01-01T00:00:00Z", Import: &custody.Import{SHA256: custody.FileSHA256(nil), Line: i + 1}}}
		if i%3 == 0 {
			e.Recorded = custody.Recorded{At: "2024-01-01T00:00:00.123456789Z", Account: "ana"}
		}
		if i > 5 && i%7 == 0 {
			e.Prev = map[string]int64{"E-1": int64(i - 1), "E-2": 0}
		}
		b, err := e.Encode()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecodeEvent: events come from outside in bundles. DecodeEvent never
// panics, and what it accepts is exactly the canonical encoding of the event
// it returns.
func FuzzDecodeEvent(f *testing.F) {
	for i, e := range seedEvents(f) {
		f.Add(e)
		if i%10 == 0 { // every kind of event, cut short and with brackets mismatched
			for _, v := range terminates.Variants(e) {
				f.Add(v)
			}
		}
	}
	for _, s := range []string{
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":2}`,
		`{"op":"a.b","prev":{"x":5},"record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":3,"v":1}`,
		`{"op":"a.b","record":[],"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		`{"op":"a.b","record":{},"recorded":{"at":"2024-01-01T00:00:00"},"salt":"00","seq":-1,"v":1}`,
		`{"v":1}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e *custody.Event
		var err error
		terminates.Within(t, data, func() { e, err = custody.DecodeEvent(data) })
		if err != nil {
			if e != nil || err.Error() == "" {
				t.Fatalf("DecodeEvent: event %v with error %q", e, err)
			}
			return
		}
		again, err := e.Encode()
		if err != nil {
			t.Fatalf("accepted event does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("accepted %q, which encodes as %q", data, again)
		}
		// DecodeEvent reads with encoding/json and checks only the record
		// with Canonical: the round trip through Encode must refuse
		// everything else that is not canonical. (A record may nest
		// MaxDepth deep, and the event around it is one level more.)
		canon, err := custody.Canonical(data)
		if err == nil && !bytes.Equal(canon, data) || err != nil && !strings.Contains(err.Error(), "nesting deeper than") {
			t.Fatalf("accepted %q, which is not its canonical form %q (%v)", data, canon, err)
		}
		if _, err := custody.ParseTime(e.Recorded.At); err != nil {
			t.Fatalf("accepted recorded.at %q", e.Recorded.At)
		}
	})
}

// TestDecodeEventExact: DecodeEvent accepts only the canonical encoding of
// the event it returns. encoding/json alone matches names case-insensitively
// and fills a missing seq with 0.
func TestDecodeEventExact(t *testing.T) {
	good := `{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`
	if _, err := custody.DecodeEvent([]byte(good)); err != nil {
		t.Fatalf("canonical event refused: %v", err)
	}
	for name, bad := range map[string]string{
		"seq missing":      `{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","v":1}`,
		"Record":           `{"Record":{},"op":"a.b","recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"recorded.Account": `{"op":"a.b","record":{},"recorded":{"Account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"empty prev":       `{"op":"a.b","prev":{},"record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"empty sigs":       `{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"sigs":[],"v":1}`,
		"prev null":        `{"op":"a.b","prev":null,"record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"unknown member":   `{"extra":1,"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
	} {
		if _, err := custody.DecodeEvent([]byte(bad)); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
	}
	// What the round trip through Encode refuses, Canonical not being run
	// on the whole event: each is valid JSON, or nearly, but not canonical.
	for name, bad := range map[string]string{
		"op twice":         `{"op":"a.b","op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"white space":      `{"op":"a.b", "record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"trailing space":   good + " ",
		"escaped letter":   `{"op":"a.b","record":{},"recorded":{"account":"\u0078","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"escaped slash":    `{"op":"a.b","record":{},"recorded":{"account":"\/","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"not UTF-8":        "{\"op\":\"a.b\",\"record\":{},\"recorded\":{\"account\":\"\xff\",\"at\":\"2024-01-01T00:00:00Z\",\"commit\":0},\"salt\":\"000102030405060708090a0b0c0d0e0f\",\"seq\":0,\"v\":1}",
		"lone surrogate":   `{"op":"a.b","record":{},"recorded":{"account":"\ud800","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"seq -0":           `{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":-0,"v":1}`,
		"seq 1.0":          `{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":1.0,"v":1}`,
		"seq above 2^53":   `{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":9007199254740993,"v":1}`,
		"line above 2^53":  `{"op":"a.b","record":{},"recorded":{"at":"2024-01-01T00:00:00Z","commit":0,"import":{"line":9007199254740993,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"record unsorted":  `{"op":"a.b","record":{"b":1,"a":2},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"record key twice": `{"op":"a.b","record":{"a":1,"a":1},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		"record 1.5":       `{"op":"a.b","record":{"a":1.5},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
	} {
		if _, err := custody.DecodeEvent([]byte(bad)); err == nil {
			t.Errorf("%s: accepted %s", name, bad)
		}
		if canon, err := custody.Canonical([]byte(bad)); err == nil && string(canon) == bad {
			t.Errorf("%s: the case is canonical, so it tests nothing here: %s", name, bad)
		}
	}
}

// TestDecodeEventEnds: the event of issue 12, whose record has the wrong
// closer, once made skip spin in place for ever. Now it and every input of
// the kind (a byte that begins no value where a value should be) are
// refused, each within the bound.
func TestDecodeEventEnds(t *testing.T) {
	for _, in := range []string{
		`{"op":"","record":{]}`,
		`{"op":"","record":{]`,
		`{"op":"","record":[}`,
		`{"op":"","record":{"a":]}`,
		`{"op":"","record":{"a":[1,}]}`,
		`{"op":"","record":{:}`,
		`{"op":"","record":{,}`,
		`{"op":"a.b","record":{"a":{"b":]}},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
	} {
		var err error
		terminates.Within(t, in, func() { _, err = custody.DecodeEvent([]byte(in)) })
		if err == nil {
			t.Errorf("DecodeEvent(%s) accepted", in)
		}
	}
}
