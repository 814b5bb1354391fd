package monitor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := ParseInput("fuzz", data)
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
