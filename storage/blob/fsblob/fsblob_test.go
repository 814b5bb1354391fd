package fsblob_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/blob/blobtest"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
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
		if e.Name() != key {
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
	os.WriteFile(filepath.Join(filepath.Dir(s.Path(key)), "."+key+".tmp-123"), []byte("x"), 0o644)
	other := blob.KeyOf([]byte("other"))
	os.WriteFile(filepath.Join(dir, "sha256", "ba", other), []byte("other"), 0o644)
	var got []string
	s.List(t.Context(), func(k string, _ int64) error { got = append(got, k); return nil })
	if len(got) != 1 || got[0] != key {
		t.Errorf("List = %v, want only %s", got, key)
	}
}

// TestBlockEdges puts blobs of sizes around the write block and the
// direct-I/O alignment, declared and undeclared, and reads each back: the
// aligned blocks, the short last block and its unaligned tail must all land
// at their offsets.
func TestBlockEdges(t *testing.T) {
	s, err := fsblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const block, align = 4 << 20, 4096
	for i, n := range []int{0, 1, align - 1, align, align + 1, block - 1, block, block + 1, 2*block + align, 3*block + 5000} {
		b := blobtest.Random(uint64(100+i), n)
		key := blob.KeyOf(b)
		size := int64(n)
		if i%2 == 1 {
			size = -1
		}
		if err := s.Put(t.Context(), key, iotest.OneByteReader(bytes.NewReader(b[:min(n, 1)])), 0); n > 0 && err == nil {
			t.Errorf("%d bytes: Put of 1 byte under the key of %d accepted", n, n)
		}
		if err := s.Put(t.Context(), key, bytes.NewReader(b), size); err != nil {
			t.Fatalf("Put of %d bytes (size %d): %v", n, size, err)
		}
		got, err := os.ReadFile(s.Path(key))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Errorf("%d bytes: stored %d bytes that differ from what was put", n, len(got))
		}
	}
}

// TestSlowReader: a reader that returns a few bytes at a time still fills
// whole blocks before each write.
func TestSlowReader(t *testing.T) {
	s, _ := fsblob.Open(t.TempDir())
	b := blobtest.Random(7, 9<<20+123)
	key := blob.KeyOf(b)
	r := iotest.HalfReader(bytes.NewReader(b))
	if err := s.Put(t.Context(), key, r, int64(len(b))); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(s.Path(key))
	if !bytes.Equal(got, b) {
		t.Errorf("stored %d bytes that differ from the %d put", len(got), len(b))
	}
}
