package tlogproof

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/verify"
)

var update = flag.Bool("update", false, "rewrite ../testdata/seizure.tlog-proof")

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bundle(t testing.TB, name string) *verify.Bundle {
	t.Helper()
	var b verify.Bundle
	if err := json.Unmarshal(testdata(t, name), &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestRoundTrip writes the proof of every event of verify's valid test
// bundle, reads it back and checks it with the log's key; another event or
// another key fails.
func TestRoundTrip(t *testing.T) {
	b := bundle(t, "bundle-valid.json")
	key := string(bytes.TrimSpace(testdata(t, "log.vkey")))
	other := string(bytes.TrimSpace(testdata(t, "log.vkey")))
	other = strings.Replace(other, "custodia.test/log", "otro.test/log", 1)
	for i := range b.Events {
		text, err := Write(b, i)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(text, "c2sp.org/tlog-proof@v1\nextra ") {
			t.Fatalf("proof starts %q", text[:40])
		}
		p, err := Parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != text || p.Index != b.Events[i].Index || string(p.Extra) != b.Events[i].Event {
			t.Fatalf("round trip of proof %d differs", i)
		}
		if _, err := Check(p, nil, key); err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
		if _, err := Check(p, []byte(b.Events[(i+1)%len(b.Events)].Event), key); err == nil {
			t.Fatalf("proof %d checks another event", i)
		}
		if _, err := Check(p, nil, other); err == nil {
			t.Fatalf("proof %d checks with another key", i)
		}
	}
	if _, err := Write(b, len(b.Events)); err == nil {
		t.Error("Write past the end passed")
	}
	for _, bad := range []string{"", "c2sp.org/tlog-proof@v1\nindex 0\n", "c2sp.org/tlog-proof@v2\nindex 0\n\nx",
		"c2sp.org/tlog-proof@v1\nindex 01\n\nx", "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\nx", "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nx"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) passed", bad)
		}
	}
}

// TestTestdata checks the committed proof of the cosigned bundle's first
// event (go test -update rewrites it).
func TestTestdata(t *testing.T) {
	if *update {
		text, err := Write(bundle(t, "bundle-cosigned.json"), 0)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join("..", "testdata", "seizure.tlog-proof"), []byte(text), 0o644)
	}
	p, err := Parse(testdata(t, "seizure.tlog-proof"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(p, nil, string(bytes.TrimSpace(testdata(t, "log.vkey")))); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(testdata(f, "seizure.tlog-proof"))
	for _, v := range terminates.Variants(testdata(f, "seizure.tlog-proof")) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p *InclusionProof
		var err error
		terminates.Within(t, data, func() { p, err = Parse(data) })
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if p.String() != string(data) {
			t.Fatalf("round trip differs:\n%q\n%q", data, p.String())
		}
	})
}
