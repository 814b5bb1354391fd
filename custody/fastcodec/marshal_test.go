package fastcodec

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// viaJSON is custody's MarshalCanonical, which marshalFlat must equal.
func viaJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return custody.Canonical(b)
}

// fillRecord sets every field of the struct v points to from the values,
// cycling through them by field so that each field sees each value.
func fillRecord(v any, strs []string, ints []int64, shift int) {
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if !f.CanSet() {
			continue
		}
		k := i + shift
		kind, ok := kindOf(f.Type())
		if !ok {
			continue
		}
		switch kind {
		case kString:
			f.SetString(strs[k%len(strs)])
		case kIntPtr:
			if k%3 != 0 {
				n := ints[k%len(ints)]
				f.Set(reflect.ValueOf(&n))
			}
		case kBoolPtr:
			if k%3 != 0 {
				b := k%2 == 0
				f.Set(reflect.ValueOf(&b))
			}
		case kStrings:
			switch k % 3 {
			case 1:
				f.Set(reflect.ValueOf([]string{}))
			case 2:
				f.Set(reflect.ValueOf(strs[:1+k%len(strs)]))
			}
		}
	}
}

// flatCases are the awkward values: empty, HTML characters (which
// encoding/json escapes), U+2028, control characters, non-ASCII, invalid
// UTF-8, and integers at and past the bounds.
var (
	flatStrings = []string{"", "E-1", "<a & b>", "l\u2028s\u2029", "\x00\x01\b\f\n\r\t\x1f\x7f\"\\/", "Terán 😀 €", "2023-12-14T01:00:00-05:00", "\xff\xfe"}
	flatInts    = []int64{0, -1, 1, custody.MaxSafeInteger, -custody.MaxSafeInteger, custody.MaxSafeInteger + 1, -custody.MaxSafeInteger - 1}
)

// TestMarshalFlatMatchesJSON holds the direct writer of records equal, byte
// for byte, to canonicalising encoding/json's output, for every record type
// of this package and every awkward value.
func TestMarshalFlatMatchesJSON(t *testing.T) {
	types := []any{&custody.Seize{}, &custody.Transfer{}, &custody.Open{}, &custody.Seal{}, &custody.Derive{}, &custody.Attach{}, &custody.Present{}, &custody.Dispose{}, &flatAll{}, &flatAll2{}}
	for _, proto := range types {
		typ := reflect.TypeOf(proto).Elem()
		if !planFor(typ).ok {
			t.Fatalf("%s: not written directly", typ)
		}
		direct := 0
		valid := flatStrings[:len(flatStrings)-1] // without the invalid UTF-8
		for shift := 0; shift < 6*len(flatStrings)*len(flatInts); shift++ {
			strs := flatStrings
			if shift%2 == 1 {
				strs = valid
			}
			v := reflect.New(typ).Interface()
			fillRecord(v, strs, flatInts, shift/2)
			want, werr := viaJSON(v)
			got, ok := marshalFlat(v)
			if !ok {
				continue
			}
			direct++
			if werr != nil {
				t.Fatalf("%s %+v: direct gave %s, general path failed: %v", typ, v, got, werr)
			}
			if string(got) != string(want) {
				t.Fatalf("%s %+v:\n direct %s\n   json %s", typ, v, got, want)
			}
			mc, err := MarshalCanonical(v)
			if err != nil || string(mc) != string(want) {
				t.Fatalf("MarshalCanonical = %s, %v; want %s", mc, err, want)
			}
		}
		if direct == 0 {
			t.Errorf("%s: never written directly", typ)
		}
	}
}

// flatAll has every field kind, with and without omitempty, plus fields
// encoding/json ignores, and non-ASCII-sorting names.
type flatAll struct {
	S     string   `json:"s"`
	SO    string   `json:"so,omitempty"`
	I     *int64   `json:"i"`
	IO    *int64   `json:"io,omitempty"`
	B     *bool    `json:"b"`
	BO    *bool    `json:"bo,omitempty"`
	L     []string `json:"l"`
	LO    []string `json:"lo,omitempty"`
	Skip  string   `json:"-"`
	Upper string   `json:"Z_upper-1"`
	//lint:ignore U1000 an unexported field, which encoding/json ignores
	priv string
}

type flatAll2 struct {
	A string `json:"a_b"`
	B string `json:"a-b"`
	C string `json:"aB"`
	D string `json:"a"`
}

// TestMarshalFlatFallsBack: types encoding/json writes otherwise go the
// general way.
func TestMarshalFlatFallsBack(t *testing.T) {
	type untagged struct{ A string }
	type named string
	type namedField struct {
		A named `json:"a"`
	}
	type opts struct {
		A string `json:"a,string"`
	}
	// Two fields named "a" (built at run time: vet rightly flags it in source).
	dup := reflect.New(reflect.StructOf([]reflect.StructField{
		{Name: "A", Type: reflect.TypeFor[string](), Tag: `json:"a"`}, {Name: "B", Type: reflect.TypeFor[string](), Tag: `json:"a"`}})).Interface()
	type odd struct {
		A string `json:"a b"`
	}
	type embedded struct {
		custody.Transfer
	}
	type intField struct {
		A int64 `json:"a"`
	}
	for _, v := range []any{&untagged{"x"}, &namedField{"x"}, &opts{"x"}, dup, &odd{"x"}, &embedded{}, &intField{1},
		&custody.Event{}, &custody.Recorded{}, custody.Transfer{}, (*custody.Transfer)(nil), map[string]string{"a": "b"}, "s", nil, &textRec{}} {
		if b, ok := marshalFlat(v); ok {
			t.Errorf("marshalFlat(%T) = %s, want the general path", v, b)
		}
	}
	for _, s := range []string{"\xff", "a\xc3"} {
		if b, ok := marshalFlat(&custody.Transfer{Item: s}); ok {
			t.Errorf("marshalFlat with invalid UTF-8 = %s, want the general path", b)
		}
	}
	big := int64(custody.MaxSafeInteger + 1)
	if b, ok := marshalFlat(&custody.Derive{Size: &big}); ok {
		t.Errorf("marshalFlat with 2^53 = %s, want the general path", b)
	}
	if _, err := MarshalCanonical(&custody.Derive{Size: &big}); err == nil || !strings.Contains(err.Error(), "2^53") {
		t.Errorf("MarshalCanonical with 2^53: %v, want the range error", err)
	}
}

type textRec struct {
	A string `json:"a"`
}

func (textRec) MarshalText() ([]byte, error) { return []byte("t"), nil }

// FuzzMarshalFlat: for any values, the direct writer equals the general path.
func FuzzMarshalFlat(f *testing.F) {
	f.Add("E-1", "a", "<b>", int64(3), true, 0)
	f.Add("", "\u2028", "\xff", int64(custody.MaxSafeInteger+1), false, 5)
	f.Add("é😀", "\x1f\"", "", int64(-custody.MaxSafeInteger), true, 11)
	f.Fuzz(func(t *testing.T, a, b, c string, n int64, flag bool, shift int) {
		if shift < 0 {
			shift = -shift
		}
		if shift < 0 { // math.MinInt
			shift = 0
		}
		strs := []string{a, b, c, ""}
		if flag {
			strs = strs[:3]
		}
		for _, proto := range []any{&custody.Seize{}, &custody.Transfer{}, &custody.Derive{}, &custody.Attach{}, &flatAll{}} {
			v := reflect.New(reflect.TypeOf(proto).Elem()).Interface()
			fillRecord(v, strs, []int64{n, -n}, shift)
			want, werr := viaJSON(v)
			var got []byte
			var ok bool
			terminates.Within(t, v, func() { got, ok = marshalFlat(v) })
			if !ok {
				continue
			}
			if werr != nil || string(got) != string(want) {
				t.Fatalf("%T %+v:\n direct %s\n   json %s (%v)", v, v, got, want, werr)
			}
		}
	})
}

// strictSeeds are records well formed and not: the fast path must fill what
// the general path fills, and leave every refusal to it.
var strictSeeds = []string{
	`{"item":"E-1","from":"a","to":"b","at":"2023-12-14T01:00:00-05:00","purpose":"storage","seal_condition":"intact"}`,
	` { "op" : "x", "item" : "E\u00e9\n", "seal":"" } `,
	`{"op":"x","op":"y"}`, `{"item":"a","item":"b"}`, `{"item":null}`, `{"item":1}`, `{"colour":"x"}`,
	`{"s":"x","i":-12,"b":true,"bo":false,"l":[],"lo":["a","\u00e9"],"io":9007199254740991}`,
	`{"i":9007199254740992}`, `{"i":1.5}`, `{"b":tru}`, `{"l":[1]}`, `{"l":["a",]}`, `{"l":"a"}`, `{"s":"a"} x`,
	`{"s":"\ud800"}`, "{\"s\":\"\xff\"}", `{}`, ` {} `, `[]`, `{"op":{"a":[1,{"b":null}]},"s":"x"}`, `{"s":"x",}`, `{"s" "x"}`,
}

// FuzzDecodeStrictFast: DecodeStrict (fast path first) and custody's plain
// DecodeStrict agree on every input: the same error, or the same record.
func FuzzDecodeStrictFast(f *testing.F) {
	for _, s := range strictSeeds {
		f.Add([]byte(s))
		for _, v := range terminates.Variants([]byte(s)) {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, proto := range []any{&custody.Transfer{}, &custody.Seize{}, &flatAll{}} {
			typ := reflect.TypeOf(proto).Elem()
			a, b := reflect.New(typ).Interface(), reflect.New(typ).Interface()
			var errA, errB *custody.Error
			terminates.Within(t, data, func() {
				errA = DecodeStrict(data, a, "op")
				errB = custody.DecodeStrict(data, b, "op")
			})
			if !reflect.DeepEqual(errA, errB) {
				t.Fatalf("%s %q: DecodeStrict = %v, custody = %v", typ, data, errA, errB)
			}
			if errA == nil && !reflect.DeepEqual(a, b) {
				t.Fatalf("%s %q:\n DecodeStrict %+v\n custody %+v", typ, data, a, b)
			}
		}
	})
}

// TestDecodeStrictFastTaken: the fast path does fill a well-formed record
// of every field kind, and leaves a repeated member to the general path.
func TestDecodeStrictFastTaken(t *testing.T) {
	fast := func(data string, v any) bool {
		rv := reflect.ValueOf(v).Elem()
		return decodeStrictFast([]byte(data), rv, strictFields(rv.Type()), nil)
	}
	var tr custody.Transfer
	if !fast(strictSeeds[0], &tr) || tr.Item != "E-1" || tr.SealCondition != "intact" {
		t.Fatalf("fast path not taken or wrong: %+v", tr)
	}
	var a flatAll
	if !fast(strictSeeds[7], &a) || a.L == nil || len(a.LO) != 2 || *a.IO != custody.MaxSafeInteger || *a.B != true {
		t.Fatalf("fast path on every kind: %+v", a)
	}
	var bad custody.Transfer
	if fast(`{"item":"a","item":"b"}`, &bad) {
		t.Fatalf("fast path on a repeated member: %+v", bad)
	}
}
