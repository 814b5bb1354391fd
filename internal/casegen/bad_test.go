package casegen

import (
	"errors"
	"testing"
)

// TestGenerateBad checks, with this package's own validator, that the line
// GenerateBad reports is the first one a replay rejects, and that every kind
// of bad line occurs over a range of seeds.
func TestGenerateBad(t *testing.T) {
	seen := map[string]int{}
	for seed := range int64(badSeeds) {
		b := generateBad(seed, Options{})
		seen[b.Kind]++
		checkBad(t, seed, b)
	}
	for _, k := range BadKinds() {
		if seen[k] == 0 {
			t.Errorf("kind %s never produced over %d seeds", k, badSeeds)
		}
	}
	t.Logf("kinds: %v", seen)
}

// badSeeds is how many seeds TestGenerateBad tries; every kind occurs in them.
const badSeeds = 300

func checkBad(t *testing.T, seed int64, b BadLine) {
	t.Helper()
	err := Validate(b.File)
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatalf("seed %d kind %s: Validate = %v, want a rejection at line %d", seed, b.Kind, err, b.Line)
	}
	if le.Line != b.Line || le.Op != b.Op {
		t.Fatalf("seed %d kind %s (%s): rejected at line %d op %q (%s), want line %d op %q",
			seed, b.Kind, b.Reason, le.Line, le.Op, le.Reason, b.Line, b.Op)
	}
}

func TestMakeBadEveryKind(t *testing.T) {
	for _, k := range BadKinds() {
		t.Run(k, func(t *testing.T) {
			made := 0
			for seed := int64(0); seed < 40 && made < 3; seed++ {
				b, err := MakeBad(seed, Options{Cases: 2}, k)
				if err != nil {
					continue
				}
				made++
				if b.Kind != k {
					t.Fatalf("kind %s, want %s", b.Kind, k)
				}
				checkBad(t, seed, b)
			}
			if made == 0 {
				t.Fatalf("kind %s applied to no seed", k)
			}
		})
	}
	if _, err := MakeBad(1, Options{}, "no_such_kind"); err == nil {
		t.Error("MakeBad accepted an unknown kind")
	}
}
