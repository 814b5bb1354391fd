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

func TestDeterminism(t *testing.T) {
	opts := Options{Cases: 2, Sites: 4}
	for seed := range int64(10) {
		a, b := Generate(seed, opts), Generate(seed, opts)
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: two files differ", seed)
		}
		if bytes.Equal(a, Generate(seed+1, opts)) {
			t.Fatalf("seeds %d and %d give the same file", seed, seed+1)
		}
		f1, l1, o1, r1 := GenerateBad(seed, opts)
		f2, l2, o2, r2 := GenerateBad(seed, opts)
		if !bytes.Equal(f1, f2) || l1 != l2 || o1 != o2 || r1 != r2 {
			t.Fatalf("seed %d: GenerateBad differs between two calls", seed)
		}
	}
}

func TestOptions(t *testing.T) {
	file := Generate(4, Options{Cases: 1, Operations: 3, Sites: 7, ItemsPerSite: 1, EventsPerItem: 2, Detentions: 2,
		PAbort: -1, PDerive: -1, PDispose: -1, PBroken: -1, PMismatch: -1})
	if err := Validate(file); err != nil {
		t.Fatal(err)
	}
	ops, _ := Operations(file)
	if len(ops) != 3 {
		t.Errorf("%d operations, want 3", len(ops))
	}
	for _, op := range []string{"OP-1", "OP-2", "OP-3"} {
		if n := bytes.Count(file, []byte(`"operation": "`+op+`", "province"`)); n != 7 {
			t.Errorf("%s has %d sites, want 7", op, n)
		}
	}
	if n := bytes.Count(file, []byte(`"op": "case.open"`)); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
	// With PDerive never, only the scripted showcase chain derives: two items.
	if n := bytes.Count(file, []byte(`"op": "evidence.derive"`)); n != 2 {
		t.Errorf("%d derivations with PDerive < 0, want the showcase's 2", n)
	}
}
