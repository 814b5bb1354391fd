package casegen

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// FuzzValidate feeds arbitrary case files to the validator and the oracle:
// they must never panic, and a rejection must name a line of the file.
func FuzzValidate(f *testing.F) {
	meta, err := os.ReadFile("../../testdata/metastasis.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(meta[:bytes.IndexByte(meta[20000:], '\n')+20001])
	asof, err := os.ReadFile("testdata/asof.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(asof)
	f.Add(Generate(1, Options{Sites: 2, ItemsPerSite: 1, Detentions: 2}))
	for seed := range int64(8) {
		b := generateBad(seed, Options{Sites: 2, ItemsPerSite: 1, Detentions: 2})
		f.Add(b.File)
	}
	var buf bytes.Buffer
	if err := WriteCustodyLoad(&buf, 1, 40); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, v := range terminates.Variants(asof) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		var err error
		terminates.Within(t, file, func() { err = Validate(file) })
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("rejection is not a *LineError: %v", err)
			}
			if n := bytes.Count(file, []byte("\n")) + 1; le.Line < 1 || le.Line > n {
				t.Fatalf("rejection names line %d of a %d-line file", le.Line, n)
			}
			return
		}
		ops, err := Operations(file)
		if err != nil {
			t.Fatalf("valid file, but Operations fails: %v", err)
		}
		for _, op := range ops {
			if _, err := Oracle(file, op, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
				t.Fatalf("valid file, but Oracle(%s) fails: %v", op, err)
			}
		}
	})
}
