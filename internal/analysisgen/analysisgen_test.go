package analysisgen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateIsReproducible: the same seed writes the same bytes.
func TestGenerateIsReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ma, err := Generate(a, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(b, 16); err != nil {
		t.Fatal(err)
	}
	for _, f := range append(ma.Files, File{Path: "manifest.json"}, File{Path: "banco-mapeo.json"}) {
		x, err1 := os.ReadFile(filepath.Join(a, f.Path))
		y, err2 := os.ReadFile(filepath.Join(b, f.Path))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs (%v %v)", f.Path, err1, err2)
		}
	}
	if ma.Messages < 2000 || ma.Calls < 500 || ma.Payments < 20 {
		t.Errorf("a small data set: %d messages, %d calls, %d payments", ma.Messages, ma.Calls, ma.Payments)
	}
}

func TestCedulas(t *testing.T) {
	m, err := Generate(t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.People {
		if len(p.Cedula) != 10 || len(p.Phone) != 13 {
			t.Errorf("%+v", p)
		}
	}
}
