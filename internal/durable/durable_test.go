package durable

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileContentModeAndDirSync(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	var synced []string
	w := Writer{SyncDir: func(d string) error { synced = append(synced, d); return SyncDir(d) }}
	if err := w.WriteFile(path, []byte("uno"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "uno" {
		t.Fatalf("content %q, %v", got, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if len(synced) != 1 || synced[0] != dir {
		t.Fatalf("dir sync %v", synced)
	}
	if err := WriteFile(path, []byte("dos"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	st, _ = os.Stat(path)
	if string(got) != "dos" || st.Mode().Perm() != 0o644 {
		t.Fatalf("overwrite: %q %v", got, st.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("leftover files: %v", ents)
	}
}

func TestWriteFileFailureLeavesOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Renaming a file over a non-empty directory fails after the temp is written.
	target := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("new"), 0o600); err == nil {
		t.Fatal("rename over a directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Fatalf("temp file left behind: %v", ents)
	}
	boom := errors.New("boom")
	err := Writer{SyncDir: func(string) error { return boom }}.WriteFile(path, []byte("new"), 0o600)
	if !errors.Is(err, boom) {
		t.Fatalf("dir sync error not returned: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestCreateNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := Create(path, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Create(path, []byte("b"), 0o600); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second create: %v", err)
	}
	got, _ := os.ReadFile(path)
	ents, _ := os.ReadDir(dir)
	if string(got) != "a" || len(ents) != 1 {
		t.Fatalf("content %q, files %v", got, ents)
	}
}

func TestWriteFuncFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	boom := errors.New("boom")
	err := WriteFunc(path, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("partial file visible: %v", ents)
	}
}
