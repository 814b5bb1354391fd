package fastcodec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// sampleEvents are events as the ledger writes them, one per line of the
// test case file (every op), recorded by an account or by an import, some
// with prev links, and some with strings that need escapes.
func sampleEvents(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var out [][]byte
	for i, l := range metastasisLines(tb)[:n] {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			tb.Fatal(err)
		}
		op := m["op"].(string)
		delete(m, "op")
		if i%5 == 0 {
			m["note"] = "línea \"citada\"\n\u2028\x01"
		}
		rec, err := MarshalCanonical(m)
		if err != nil {
			tb.Fatal(err)
		}
		e := &custody.Event{V: custody.EventVersion, Seq: int64(i), Salt: "000102030405060708090a0b0c0d0e0f", Op: op, Record: rec,
			Recorded: custody.Recorded{At: "2024-01-01T00:00:00Z", Import: &custody.Import{SHA256: custody.FileSHA256(nil), Line: i + 1}, Commit: int64(i / 2)}}
		if i%3 == 0 {
			e.Recorded = custody.Recorded{At: "2024-01-01T00:00:00.123456789-05:00", Account: "ana\t\"b\"", Commit: int64(i)}
		}
		if i > 5 && i%7 == 0 {
			e.Prev = map[string]int64{"E-1": int64(i - 1), "E-2": 0, "É\n": 1}
		}
		// Live acts carry personal signatures: a software key's, or a
		// passkey's with its two members, one or two per act.
		if i%4 == 1 {
			e.Recorded = custody.Recorded{At: "2024-01-01T00:00:00Z", Account: "agente", Commit: int64(i)}
			e.Sigs = []custody.Sig{{Key: strings.Repeat("ab", 32), Role: custody.RoleBy, Sig: "c2lnbmF0dXJl_-"}}
			if i%8 == 1 {
				e.Sigs = []custody.Sig{
					{Key: strings.Repeat("0f", 32), Role: custody.RoleFrom, Sig: "AAEC"},
					{AuthenticatorData: "SZ\"YN5Yg\u2028O", ClientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0", Key: strings.Repeat("9a", 32), Role: custody.RoleTo, Sig: "MEUCIQ"},
				}
			}
		}
		b, err := e.Encode()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// sameEvent checks that the fast and the plain path give the same result
// for data: the same event, or errors with the same text.
func sameEvent(t *testing.T, data []byte) (accepted bool) {
	t.Helper()
	var fe, pe *custody.Event
	var ferr, perr error
	terminates.Within(t, data, func() {
		fe, ferr = DecodeEvent(data)
		pe, perr = custody.DecodeEvent(data)
	})
	switch {
	case (ferr == nil) != (perr == nil):
		t.Fatalf("%q: fast path says %v, custody says %v", data, ferr, perr)
	case ferr != nil && ferr.Error() != perr.Error():
		t.Fatalf("%q: fast path error %q, custody %q", data, ferr, perr)
	case ferr == nil && !reflect.DeepEqual(fe, pe):
		t.Fatalf("%q:\n fast path %+v\n custody   %+v", data, fe, pe)
	}
	return ferr == nil
}

// TestDecodeEventRecordDepth: a record may nest custody.MaxDepth levels
// below itself, as Canonical allows any value, on both paths (the event
// around it is one level more); one level deeper is refused by both.
func TestDecodeEventRecordDepth(t *testing.T) {
	for depth, want := range map[int]bool{custody.MaxDepth: true, custody.MaxDepth + 1: false} {
		rec := `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		ev := `{"op":"a.b","record":` + rec + `,"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`
		if got := sameEvent(t, []byte(ev)); got != want {
			t.Errorf("a record %d deep: accepted %v, want %v", depth, got, want)
		}
	}
}

// TestDecodeEventMatches: on the sample events and every single-byte
// change of them, the fast DecodeEvent and custody's agree; and the fast
// reader does read the well-formed ones itself.
func TestDecodeEventMatches(t *testing.T) {
	events := sampleEvents(t, 40)
	for _, good := range events {
		if _, ok := readEvent(good); !ok {
			t.Fatalf("the fast reader gives up on a well-formed event: %s", good)
		}
		if !sameEvent(t, good) {
			t.Fatalf("well-formed event refused: %s", good)
		}
	}
	for _, good := range events[:8] {
		for i := range good {
			for _, c := range []byte{' ', '"', '0', '9', '-', 'A', 'a', 'V', '\\', '{', '}', '[', ',', ':', 0x01, 0xc3} {
				if c != good[i] {
					bad := bytes.Clone(good)
					bad[i] = c
					sameEvent(t, bad)
				}
			}
			sameEvent(t, good[:i])
		}
	}
}

// FuzzDecodeEventMatches: on any input, the fast DecodeEvent and custody's
// give the same event or the same error.
func FuzzDecodeEventMatches(f *testing.F) {
	for i, e := range sampleEvents(f, 120) {
		f.Add(e)
		if i%10 == 0 {
			for _, v := range terminates.Variants(e) {
				f.Add(v)
			}
		}
	}
	for _, s := range []string{
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":2}`,
		`{"op":"a.b","prev":{},"record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		`{"Op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"v":1}`,
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","v":1}`,
		`{"op":"","record":{]}`,
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"sigs":[],"v":1}`,
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"sigs":[{"authenticator_data":"","key":"k","role":"by","sig":"s"}],"v":1}`,
		`{"op":"a.b","record":{},"recorded":{"account":"x","at":"2024-01-01T00:00:00Z","commit":0},"salt":"000102030405060708090a0b0c0d0e0f","seq":0,"sigs":[{"role":"by","key":"k","sig":"s"}],"v":1}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		terminates.Within(t, data, func() { readEvent(data) })
		sameEvent(t, data)
	})
}

// metastasisLines are the non-blank lines of the test case file.
func metastasisLines(tb testing.TB) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "metastasis.jsonl"))
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
