package monitor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
)

func FuzzParseInput(f *testing.F) {
	for _, dir := range []string{"../witness/testdata/checkpoint", "../witness/testdata/add-checkpoint", "testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"checkpoint": {"note": "x"}}`))
	for _, v := range terminates.Variants([]byte(`{"checkpoint": {"note": "x"}}`)) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in Input
		var err error
		terminates.Within(t, data, func() { in, err = ParseInput("fuzz", data) })
		if err != nil {
			return
		}
		// Whatever parses goes through Check without a panic.
		rep, err := Check(context.Background(), Config{}, []Input{in, in})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Forked() {
			t.Fatalf("one checkpoint twice reported as a fork: %+v", rep.Findings)
		}
	})
}
