package fastcodec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// allKinds has a field of every kind DecodeStrict fills.
type allKinds struct {
	S    string   `json:"s"`
	T    string   `json:"t,omitempty"`
	I    *int64   `json:"i,omitempty"`
	B    *bool    `json:"b,omitempty"`
	L    []string `json:"l,omitempty"`
	Skip string   `json:"-"`
}

var fastSeeds = []string{
	`{}`, `[]`, `{"a":{}}`, `{"a":[]}`, `""`, `"x"`, `0`, `-1`, `-0`, `00`, `01`, `1.5`, `1e3`, `1E3`, `-`,
	`9007199254740991`, `-9007199254740991`, `9007199254740992`, `12345678901234567`, `true`, `false`, `null`, `nul`,
	`{"a":1,"b":2}`, `{"b":1,"a":2}`, `{"a":1,"a":1}`, `{"a":1,}`, `{"a" :1}`, `{ "a":1}`, `{"a":1} `, `[1,2,]`, `[1 ,2]`,
	`{"é":1,"z":2}`, `{"z":1,"é":2}`, `{"\u00e9":1}`, `{"a\"b":1}`, `"a\/b"`, `"\u0041"`, "\"\x01\"", "\"\xff\"", "\"\xc3\xa9\"",
	`{"€":1,"😀":2}`, `{"😀":1,"€":2}`, `{"a":"b"`, `{"a"`, `{"a":`, `{`, `[`, `"`, `{"a":[1,{"b":[true,false,null]}]}`,
	`{"s":"x","i":5,"b":true,"l":["a","b"]}`, `{"s":"x","i":5,"b":true,"l":[]}`, `{"l":["a",1]}`, `{"l":[null]}`, `{"i":null}`,
	`{"s":1}`, `{"i":"1"}`, `{"b":"true"}`, `{"b":tru}`, `{"s":"x","s":"y"}`, `{"S":"x"}`, `{"op":"a","s":"b"}`, `{"op":1}`,
	`{"op":"a","op":"b"}`, `{"skip":"x"}`, `{"-":"x"}`, `{"s":"a\nb"}`, `{"s":"a\u0000"}`, ` {"s" : "x" , "i" : -3 } `,
	`{"i":1.0}`, `{"i":9007199254740992}`, `{"i":-0}`, `{"s":"x"}x`, `{"l":["a" ,"b" ]}`, `{"l":["a"}`, `{"t":"\ud800"}`,
}

// fastInputs is the seeds, then the case file's seizure and transfer
// lines as they are (with "op") and as canonical records (without it).
func fastInputs(tb testing.TB) [][]byte {
	var in [][]byte
	for _, s := range fastSeeds {
		in = append(in, []byte(s))
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "metastasis.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(l, &m) != nil || m["op"] != custody.OpSeize && m["op"] != custody.OpTransfer {
			continue
		}
		delete(m, "op")
		rec, err := MarshalCanonical(m)
		if err != nil {
			tb.Fatal(err)
		}
		in = append(in, l, rec)
	}
	return in
}

// checkFast checks one input against custody's plain code: isCanonical
// only says yes where Canonical gives the input back, and the DecodeStrict
// fast path only succeeds where custody.DecodeStrict does, with the same
// result, and leaves its target untouched when it gives up.
func checkFast(t *testing.T, data []byte) (canonical, strict bool) {
	t.Helper()
	if isCanonical(data) {
		c, err := custody.Canonical(data)
		if err != nil || !bytes.Equal(c, data) {
			t.Fatalf("isCanonical(%q) but Canonical gives %q, %v", data, c, err)
		}
		canonical = true
	}
	for _, target := range []func() any{
		func() any { return new(allKinds) },
		func() any { return &allKinds{S: "before", I: new(int64)} },
		func() any { return new(custody.Seize) },
		func() any { return new(custody.Transfer) },
	} {
		for _, extra := range [][]string{nil, {"op"}} {
			fast, gen, whole := target(), target(), target()
			before := target()
			rv := reflect.ValueOf(fast).Elem()
			ok := decodeStrictFast(data, rv, strictFields(rv.Type()), extra)
			gerr := custody.DecodeStrict(data, gen, extra...)
			if ok {
				strict = true
				if gerr != nil {
					t.Fatalf("%q into %T (extra %q): fast path accepts, general says %v", data, fast, extra, gerr)
				}
				if !reflect.DeepEqual(fast, gen) {
					t.Fatalf("%q into %T (extra %q): fast %+v, general %+v", data, fast, extra, fast, gen)
				}
			} else if !reflect.DeepEqual(fast, before) {
				t.Fatalf("%q into %T: fast path gave up but changed its target to %+v", data, fast, fast)
			}
			// And DecodeStrict as a whole is custody.DecodeStrict: the same
			// error, or the same record.
			werr := DecodeStrict(data, whole, extra...)
			if (werr == nil) != (gerr == nil) || werr != nil && *werr != *gerr {
				t.Fatalf("%q into %T: DecodeStrict says %v, general %v", data, whole, werr, gerr)
			}
			if gerr == nil && !reflect.DeepEqual(whole, gen) {
				t.Fatalf("%q into %T: DecodeStrict gives %+v, general %+v", data, whole, whole, gen)
			}
		}
	}
	return canonical, strict
}

// TestFastPathsMatch runs checkFast over the seeds, the case file's lines
// and their canonical forms, and every single-byte change of those.
func TestFastPathsMatch(t *testing.T) {
	nCanon, nStrict := 0, 0
	for n, in := range fastInputs(t) {
		c, s := checkFast(t, in)
		if c {
			nCanon++
		}
		if s {
			nStrict++
		}
		if n >= len(fastSeeds)+6 {
			continue
		}
		for i := range in {
			for _, b := range []byte{' ', '"', '0', '-', '.', 'a', '\\', '{', '}', ']', ',', ':', 0x01, 0xc3} {
				if b == in[i] {
					continue
				}
				bad := bytes.Clone(in)
				bad[i] = b
				checkFast(t, bad)
			}
		}
	}
	// The fast paths must actually be taken on ordinary input.
	if nCanon < 150 || nStrict < 300 {
		t.Fatalf("fast paths taken too rarely: canonical %d, strict %d", nCanon, nStrict)
	}
}

// FuzzFastPaths: on any input, the fast paths agree with custody's plain code.
func FuzzFastPaths(f *testing.F) {
	for _, in := range fastInputs(f) {
		f.Add(in)
	}
	for _, s := range fastSeeds {
		for _, v := range terminates.Variants([]byte(s)) {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Each scanner, once, with a bound; then the comparison.
		terminates.Within(t, data, func() {
			isCanonical(data)
			_, _ = custody.Canonical(data)
			for _, extra := range [][]string{nil, {"op"}} {
				rv := reflect.ValueOf(new(allKinds)).Elem()
				decodeStrictFast(data, rv, strictFields(rv.Type()), extra)
				custody.DecodeStrict(data, new(allKinds), extra...)
			}
		})
		checkFast(t, data)
	})
}
