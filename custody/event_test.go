package custody

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// genericDecode is the slow, obviously right definition DecodeEvent must
// match: the bytes are their own RFC 8785 form, and encoding/json decodes
// them into an Event with no unknown member.
func genericDecode(data []byte) (*Event, bool) {
	canon, err := Canonical(data)
	if err != nil || !bytes.Equal(canon, data) {
		return nil, false
	}
	var e Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, false
	}
	// encoding/json matches names without regard to case; canonical
	// re-encoding of the decoded event must give the bytes back.
	again, err := marshalCanonical(&e)
	if err != nil || !bytes.Equal(again, data) {
		return nil, false
	}
	return &e, true
}

func sampleEvents(t *testing.T) [][]byte {
	rec, err := marshalCanonical(&Transfer{Item: "E-1", From: "a", To: "b", At: "2023-12-14T01:00:00-05:00", Purpose: "storage", SealCondition: "intact", Location: "Bodega \"Ñ\"\n"})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range []Event{
		{V: 1, Seq: 7, Salt: strings.Repeat("ab", 16), Op: OpTransfer, Record: rec, Prev: map[string]int64{"E-1": 3}, Recorded: Recorded{At: "2026-01-01T00:00:00Z", Account: "fiscal.uno"}},
		{V: 1, Seq: 12, Salt: strings.Repeat("0f", 16), Op: OpSeize, Record: rec, Recorded: Recorded{At: "2026-01-01T00:00:00Z", Import: &Import{SHA256: strings.Repeat("c", 64), Line: 12}}},
		{V: 1, Seq: 9, Salt: strings.Repeat("0f", 16), Op: OpDerive, Record: rec, Prev: map[string]int64{"b": 1, "a": 2}, Recorded: Recorded{At: "2026-01-01T00:00:00Z", Account: "x"}},
	} {
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestDecodeEventMatchesGeneric(t *testing.T) {
	for _, good := range sampleEvents(t) {
		e, err := DecodeEvent(good)
		if err != nil {
			t.Fatalf("DecodeEvent(%s): %v", good, err)
		}
		g, ok := genericDecode(good)
		if !ok || !reflect.DeepEqual(e, g) {
			t.Fatalf("fast and generic decoding differ on %s:\n%+v\n%+v", good, e, g)
		}
		// Every single-byte change: DecodeEvent accepts exactly what the
		// generic definition accepts with well-formed fields, and then the
		// same event.
		for i := range good {
			for _, c := range []byte{' ', '"', '0', '9', 'A', 'a', '\\', '{', '}', ',', 0xc3} {
				if c == good[i] {
					continue
				}
				bad := bytes.Clone(good)
				bad[i] = c
				e, err := DecodeEvent(bad)
				g, ok := genericDecode(bad)
				if ok && g.Check() == nil && err != nil {
					t.Errorf("byte %d -> %q: generic accepts, DecodeEvent says %v\n%s", i, c, err, bad)
				}
				if err == nil && (!ok || !reflect.DeepEqual(e, g)) {
					t.Errorf("byte %d -> %q: DecodeEvent accepts what is not canonical:\n%s", i, c, bad)
				}
			}
		}
	}
}

// TestFormatChecksMatchRegexps: Check's tests of the salt, op and file
// hash accept exactly what the regular expressions they stand for do.
func TestFormatChecksMatchRegexps(t *testing.T) {
	saltRE := regexp.MustCompile(`^[0-9a-f]{32}$`)
	opRE := regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	in := []string{"", ".", "a.", ".a", "a.b", "a..b", "a.b.c", "_._", "custody.transfer", "Custody.transfer", "a-b.c", "a.b\n", "a.b ", "é.a",
		strings.Repeat("0", 32), strings.Repeat("f", 32), strings.Repeat("F", 32), strings.Repeat("0", 31), strings.Repeat("0", 33),
		strings.Repeat("ab", 32), strings.Repeat("ab", 31) + "g0", strings.Repeat("a", 63) + "\n", strings.Repeat("9", 64)}
	for _, s := range in {
		for i := range s {
			for _, c := range []byte{'.', '_', 'a', 'z', 'f', 'g', '0', '9', 'A', '/', ':', '`', '{', 0xc3} {
				b := []byte(s)
				b[i] = c
				in = append(in, string(b))
			}
		}
	}
	for _, s := range in {
		if got, want := isLowerHex(s, 32), saltRE.MatchString(s); got != want {
			t.Errorf("isLowerHex(%q, 32) = %v, regexp %v", s, got, want)
		}
		if got, want := isLowerHex(s, 64), hexRE.MatchString(s); got != want {
			t.Errorf("isLowerHex(%q, 64) = %v, regexp %v", s, got, want)
		}
		if got, want := isOpName(s), opRE.MatchString(s); got != want {
			t.Errorf("isOpName(%q) = %v, regexp %v", s, got, want)
		}
	}
}

// TestEncodeManyPrev: an event whose prev has more keys than the insertion
// sort handles is still written in RFC 8785 order.
func TestEncodeManyPrev(t *testing.T) {
	prev := map[string]int64{}
	for i, k := range []string{"b", "a", "é", "Z", "€", "😀", "E-10", "E-9", "E-1", "x", "y", "z", "q", "w", "e", "r", "t", "ü", "A", "0"} {
		prev[k] = int64(i)
	}
	for _, n := range []int{1, 3, len(prev)} {
		p := map[string]int64{}
		for k, v := range prev {
			if len(p) < n {
				p[k] = v
			}
		}
		e := Event{V: 1, Seq: 50, Salt: strings.Repeat("0f", 16), Op: OpDerive, Record: []byte(`{"a":"\u0001"}`), Prev: p,
			Recorded: Recorded{At: "2026-01-01T00:00:00Z", Account: "x"}}
		got, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshalCanonical(&e)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%d keys:\n Encode %s\n   json %s (%v)", n, got, want, err)
		}
	}
}
