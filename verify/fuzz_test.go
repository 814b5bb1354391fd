package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

var update = flag.Bool("update", false, "rewrite the bundles and golden files in testdata/")

// testdataCase is a committed bundle and what it is verified with.
type testdataCase struct {
	bundle, old, policy string // file names in testdata/; "" when absent
}

var testdataCases = []testdataCase{
	{bundle: "bundle-valid.json"},
	{bundle: "bundle-consistency.json", old: "checkpoint-old.txt"},
	{bundle: "bundle-cosigned.json", policy: "policy.txt"},
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	if name == "" {
		return nil
	}
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeTestdata regenerates the committed bundles: go test -run TestTestdata -update
func writeTestdata(t *testing.T) {
	l := newSignedLog(t)
	history(l)
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join("testdata", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bundle-valid.json", marshal(t, l.bundle("E-CHI-03-01")))
	write("log.vkey", []byte(l.vkey+"\n"))
	write("checkpoint-old.txt", []byte(l.checkpoint(9)))
	b := l.bundle("E-CHI-03-01")
	b.Consistency = []ConsistencyProof{l.consistency(9)}
	write("bundle-consistency.json", marshal(t, b))
	b = l.bundle("E-CHI-03-01")
	policy := "# Judicatura, Defensoría y Contraloría: dos de tres\nlog " + l.vkey + "\n"
	cp := b.Checkpoint
	for i, name := range []string{"judicatura.test/w", "defensoria.test/w", "contraloria.test/w"} {
		w := newWitness(t, name)
		policy += fmt.Sprintf("witness W%d %s\n", i+1, w.vkey)
		if i != 1 {
			b.Checkpoint += w.cosign(t, cp, time.Date(2023, 9, 21, 12, 30, 0, 0, time.UTC))
		}
	}
	write("policy.txt", []byte(policy+"group dos-de-tres 2 W1 W2 W3\nquorum dos-de-tres\n"))
	write("bundle-cosigned.json", marshal(t, b))
	// seizure.tlog-proof is the first event's: go test ./verify/tlogproof -update.
}

// TestTestdata verifies the committed bundles (package report compares
// the verdict text of the valid one with the golden files).
func TestTestdata(t *testing.T) {
	if *update {
		writeTestdata(t)
	}
	for _, tc := range testdataCases {
		if _, err := Verify(readTestdata(t, tc.bundle), Options{TrustedKey: string(bytes.TrimSpace(readTestdata(t, "log.vkey"))),
			OldCheckpoint: readTestdata(t, tc.old), Policy: readTestdata(t, tc.policy)}); err != nil {
			t.Fatalf("%s: %v", tc.bundle, err)
		}
	}
}

// checkError fails unless err is an *Error with its messages.
func checkError(t *testing.T, err error) {
	var e *Error
	if !errors.As(err, &e) || e.Message == "" || e.MessageEN == "" || e.Check == "" || e.Code == "" {
		t.Fatalf("error without messages: %#v", err)
	}
}

func FuzzVerify(f *testing.F) {
	for _, tc := range testdataCases {
		f.Add(readTestdata(f, tc.bundle), readTestdata(f, tc.old), readTestdata(f, tc.policy))
	}
	f.Add(readTestdata(f, hangBundleFile), []byte(nil), []byte(nil))
	for _, v := range terminates.Variants(readTestdata(f, "bundle-valid.json")) {
		f.Add(v, []byte(nil), []byte(nil))
	}
	for _, v := range terminates.Variants(readTestdata(f, "checkpoint-old.txt")) {
		f.Add(readTestdata(f, "bundle-consistency.json"), v, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, bundle, old, policy []byte) {
		if len(old) == 0 {
			old = nil
		}
		if len(policy) == 0 {
			policy = nil
		}
		var res *Result
		var err error
		terminates.Within(t, bundle, func() { res, err = Verify(bundle, Options{OldCheckpoint: old, Policy: policy}) })
		if err != nil {
			checkError(t, err)
			return
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	for _, tc := range testdataCases {
		var b Bundle
		json.Unmarshal(readTestdata(f, tc.bundle), &b)
		f.Add(b.Checkpoint)
		f.Add(string(bytes.SplitN([]byte(b.Checkpoint), []byte("\n\n"), 2)[0]) + "\n")
	}
	f.Add("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n")
	for _, v := range terminates.Variants(readTestdata(f, "checkpoint-old.txt")) {
		f.Add(string(v))
	}
	f.Fuzz(func(t *testing.T, text string) {
		var c *Checkpoint
		var err error
		terminates.Within(t, text, func() { c, err = ParseCheckpoint(text) })
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if c.String() != text {
			t.Fatalf("ParseCheckpoint(%q).String() = %q", text, c.String())
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(readTestdata(f, "policy.txt"))
	f.Add([]byte("quorum none\n"))
	for _, v := range terminates.Variants(readTestdata(f, "policy.txt")) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p *Policy
		var err error
		terminates.Within(t, data, func() { p, err = ParsePolicy(data) })
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var all []string
		for _, w := range p.Witnesses {
			all = append(all, w.Name)
		}
		if p.Quorum != "none" && p.Satisfied(nil) {
			t.Fatalf("quorum %q met with no cosignatures", p.Quorum)
		}
		if !p.Satisfied(all) {
			t.Fatalf("quorum %q not met with every witness", p.Quorum)
		}
	})
}

// bundle1000 builds a bundle of 1,000 events (one item handed back and
// forth) in a log of about 100,000 events.
func bundle1000(b *testing.B) *Bundle {
	l := newTestLog(b)
	filler := make([]byte, 64)
	at := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	l.add(custody.OpSeize, &custody.Seize{ID: "E-1", Case: "C-1", Type: "phone", Description: "d", SeizedAt: at.Format(time.RFC3339), SeizedBy: "P-0"})
	for i := 1; i < 1000; i++ {
		for j := 0; j < 99; j++ {
			filler[0], filler[1], filler[2] = byte(i), byte(i>>8), byte(j)
			l.appendBytes(append([]byte{}, filler...))
		}
		l.add(custody.OpTransfer, &custody.Transfer{Item: "E-1", From: fmt.Sprintf("P-%d", (i-1)%2), To: fmt.Sprintf("P-%d", i%2),
			At: at.Add(time.Duration(i) * time.Hour).Format(time.RFC3339), Purpose: "storage", SealCondition: "none"})
	}
	return l.bundle("E-1")
}

// BenchmarkVerify1000 is the whole verification of a 1,000-event bundle.
func BenchmarkVerify1000(b *testing.B) {
	data := marshal(b, bundle1000(b))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := Verify(data, Options{})
		if err != nil || res.EventCount != 1000 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkDecodeEvents1000 is the baseline: only custody.DecodeEvent of the
// same 1,000 events, the canonical-form check every verifier must do.
func BenchmarkDecodeEvents1000(b *testing.B) {
	bundle := bundle1000(b)
	for b.Loop() {
		for _, e := range bundle.Events {
			if _, err := custody.DecodeEvent([]byte(e.Event)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// FuzzParseBundleQuick: ParseBundle's quick path decodes exactly what
// encoding/json decodes from the whole file, or leaves the file to it; it
// never takes a file that the whole decode refuses.
func FuzzParseBundleQuick(f *testing.F) {
	good := readTestdata(f, "bundle-valid.json")
	f.Add(good)
	for _, v := range terminates.Variants(good) {
		f.Add(v)
	}
	head := `{"format":"custodia-bundle/v1","item":"E","public_key":"","checkpoint":""`
	ev := `{"index":0,"event":"{\"events\":[1]}","proof":[]}`
	for _, s := range []string{
		head + `,"events":[` + ev + `]}`,
		head + `,"events":[` + ev + `,` + ev + `]}`,
		head + `,"events":[` + ev + ` ` + ev + `]}`,  // no comma
		head + `,"events":[` + ev + `,]}`,            // trailing comma
		head + `,"events":[]}`,                       //
		head + `,"events" : [ ` + ev + ` ] }`,        // spaces
		head + `,"Events":[` + ev + `],"events":[]}`, // two spellings: the last one counts
		head + `,"events":[],"Events":[` + ev + `]}`,
		head + `,"events":[` + ev + `],"events":[]}`, // twice
		head + `,"ev\u0065nts":[` + ev + `]}`,
		head + `,"events":[` + ev + `],"extra\"events":[1]}`,
		head + `,"keys":[{"index":0,"event":"","proof":[],"events":[]}],"events":[` + ev + `]}`,
		head + `,"events":[` + ev + `]} {}`,
		head + `,"events":[{"index":0,"event":"\\","proof":[]}]}`,
		head + `,"events":["x"]}`, head + `,"events":[1]}`, head + `,"events":[}]}`, head + `,"events":[{]}`,
		head + `,"events":{"a":1}}`, head + `,"events":[` + ev, `"events":[` + ev + `]`,
		head + `,"events":[` + strings.Repeat(ev+`,`, 6) + ev + `]}`,                        // a run of several on each core
		head + `,"events":[` + ev + `,{"index":1,"event":"","proof":[],"x":1},` + ev + `]}`, // unknown member
		head + `,"events":[null,` + ev + `,{}]}`,
		head + `,"events":[ {"index" : 0 , "event":"" , "proof":[ ] } ,` + ev + `]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var quick *Bundle
		var err error
		terminates.Within(t, data, func() { quick, err = parseQuick(data) })
		if err != nil {
			return
		}
		var whole Bundle
		if err := decodeJSON(data, &whole); err != nil {
			t.Fatalf("the quick path took what encoding/json refuses (%v): %q", err, data)
		}
		if !reflect.DeepEqual(quick, &whole) {
			t.Fatalf("the quick path read\n%+v\nwhere encoding/json reads\n%+v\nfrom %q", quick, &whole, data)
		}
	})
}

// TestParseBundleQuick: an exported bundle goes by the quick path, and a
// bundle it leaves aside is still read, or refused, by the whole decode.
func TestParseBundleQuick(t *testing.T) {
	for _, tc := range testdataCases {
		if _, err := parseQuick(readTestdata(t, tc.bundle)); err != nil {
			t.Errorf("%s: the quick path refused an exported bundle: %v", tc.bundle, err)
		}
	}
	good := readTestdata(t, "bundle-valid.json")
	var indented bytes.Buffer // as custodia export bundle writes it
	if err := json.Indent(&indented, good, "", "  "); err != nil {
		t.Fatal(err)
	}
	if _, err := parseQuick(indented.Bytes()); err != nil {
		t.Errorf("the quick path refused an indented bundle: %v", err)
	}
	spaced := bytes.Replace(good, []byte(`"events":`), []byte(`"events" :`), 1)
	upper := bytes.Replace(good, []byte(`"events":`), []byte(`"EVENTS":`), 1) // encoding/json matches names regardless of case
	for name, data := range map[string][]byte{"spaced": spaced, "upper": upper} {
		b, err := ParseBundle(data)
		if err != nil || len(b.Events) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := parseQuick(upper); err == nil {
		t.Error("the quick path took a member it does not look for")
	}
}
