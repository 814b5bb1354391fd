package custody

import (
	"bytes"
	"encoding/json"
	"reflect"
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
	again, err := MarshalCanonical(&e)
	if err != nil || !bytes.Equal(again, data) {
		return nil, false
	}
	return &e, true
}

func sampleEvents(t *testing.T) [][]byte {
	rec, err := MarshalCanonical(&Transfer{Item: "E-1", From: "a", To: "b", At: "2023-12-14T01:00:00-05:00", Purpose: "storage", SealCondition: "intact", Location: "Bodega \"Ñ\"\n"})
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
		// Every single-byte change: the fast reader of the canonical layout
		// accepts exactly what the generic definition accepts (and then the
		// same event); DecodeEvent's field checks come after both.
		for i := range good {
			for _, c := range []byte{' ', '"', '0', '9', 'A', 'a', '\\', '{', '}', ',', 0xc3} {
				if c == good[i] {
					continue
				}
				bad := bytes.Clone(good)
				bad[i] = c
				e, err := decodeEnvelope(bad)
				g, ok := genericDecode(bad)
				if ok && err != nil {
					t.Errorf("byte %d -> %q: generic accepts, DecodeEvent says %v\n%s", i, c, err, bad)
				}
				if err == nil && (!ok || !reflect.DeepEqual(e, g)) {
					t.Errorf("byte %d -> %q: DecodeEvent accepts what is not canonical:\n%s", i, c, bad)
				}
			}
		}
	}
}
