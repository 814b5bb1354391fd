package fsblob_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/blob"
	"github.com/custodia-ec/custodia/blob/blobtest"
	"github.com/custodia-ec/custodia/blob/fsblob"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := fsblob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestLayout pins the on-disk layout that case exports and operators rely
// on, and the read-only mode of a stored blob.
func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := fsblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte("abc")
	key := blob.KeyOf(b)
	if err := s.Put(t.Context(), key, bytes.NewReader(b), 3); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "sha256", "ba", "78", key)
	if s.Path(key) != want {
		t.Errorf("Path = %s, want %s", s.Path(key), want)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o444 {
		t.Errorf("mode %v, want 0444", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(want))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestListSkipsStrays: files that are not blobs in their place (a leftover
// temporary file, a blob-named file in the wrong directory) are not listed.
func TestListSkipsStrays(t *testing.T) {
	dir := t.TempDir()
	s, _ := fsblob.Open(dir)
	key := blob.KeyOf([]byte("abc"))
	s.Put(t.Context(), key, bytes.NewReader([]byte("abc")), 3)
	os.WriteFile(filepath.Join(filepath.Dir(s.Path(key)), ".tmp-123"), []byte("x"), 0o644)
	other := blob.KeyOf([]byte("other"))
	os.WriteFile(filepath.Join(dir, "sha256", "ba", other), []byte("other"), 0o644)
	var got []string
	s.List(t.Context(), func(k string, _ int64) error { got = append(got, k); return nil })
	if len(got) != 1 || got[0] != key {
		t.Errorf("List = %v, want only %s", got, key)
	}
}
