package casegen

import (
	"bytes"
	"testing"
)

func TestGenerateValid(t *testing.T) {
	for seed := range int64(100) {
		file := Generate(seed, Options{})
		if err := Validate(file); err != nil {
			lines := bytes.Split(file, []byte("\n"))
			le := err.(*LineError)
			t.Fatalf("seed %d: %v\n%s", seed, err, lines[le.Line-1])
		}
	}
}
