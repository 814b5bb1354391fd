package durable

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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

// TestWriteStreamsIntoTheFile: fn gets the temporary *os.File itself, in
// path's directory, so that it can write at offsets (the blob store's
// parallel and direct writes); nothing is at path until fn returns.
func TestWriteStreamsIntoTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "blob")
	var synced []string
	w := Writer{SyncDir: func(d string) error { synced = append(synced, d); return SyncDir(d) }}
	err := w.Write(path, 0o444, Keep, func(f *os.File) error {
		if filepath.Dir(f.Name()) != dir || !strings.HasPrefix(filepath.Base(f.Name()), ".blob.tmp-") {
			t.Errorf("temp file %s, want .blob.tmp-* in %s", f.Name(), dir)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("path exists before fn returned: %v", err)
		}
		if _, err := f.WriteAt([]byte("mundo"), 5); err != nil {
			return err
		}
		_, err := f.WriteAt([]byte("hola "), 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	ents, _ := os.ReadDir(dir)
	if string(got) != "hola mundo" || st.Mode().Perm() != 0o444 || len(ents) != 1 || len(synced) != 1 || synced[0] != dir {
		t.Fatalf("content %q, mode %v, files %v, dir syncs %v", got, st.Mode().Perm(), ents, synced)
	}
}

// TestWriteModes: Replace replaces, Exclusive refuses an existing path,
// Keep keeps it and succeeds (and still syncs the directory, so that the
// other writer's link is durable when this one returns). No mode leaves a
// temporary file.
func TestWriteModes(t *testing.T) {
	for _, tc := range []struct {
		mode    Mode
		wantErr error
		want    string
	}{
		{Replace, nil, "new"},
		{Exclusive, fs.ErrExist, "old"},
		{Keep, nil, "old"},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		syncs := 0
		w := Writer{SyncDir: func(d string) error { syncs++; return SyncDir(d) }}
		err := w.Write(path, 0o600, tc.mode, func(f *os.File) error { _, err := f.Write([]byte("new")); return err })
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("mode %d: error %v, want %v", tc.mode, err, tc.wantErr)
		}
		got, _ := os.ReadFile(path)
		ents, _ := os.ReadDir(dir)
		if string(got) != tc.want || len(ents) != 1 {
			t.Errorf("mode %d: content %q, files %v; want %q and no temp file", tc.mode, got, ents, tc.want)
		}
		if wantSyncs := map[bool]int{true: 1, false: 0}[err == nil]; syncs != wantSyncs {
			t.Errorf("mode %d: %d directory syncs, want %d", tc.mode, syncs, wantSyncs)
		}
	}
	if err := Write(filepath.Join(t.TempDir(), "f"), 0o600, Mode(9), func(*os.File) error { return nil }); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

// TestWriteReturnsFnErrorAsIs: a content check that fails (a blob whose hash
// does not match) reaches the caller unchanged, with nothing left on disk,
// in every mode.
func TestWriteReturnsFnErrorAsIs(t *testing.T) {
	boom := errors.New("el hash no coincide / the hash does not match")
	for _, mode := range []Mode{Replace, Exclusive, Keep} {
		dir := t.TempDir()
		err := Write(filepath.Join(dir, "f"), 0o444, mode, func(f *os.File) error {
			_, _ = f.Write([]byte("half"))
			return boom
		})
		if err != boom {
			t.Errorf("mode %d: error %v, want the fn's error itself", mode, err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("mode %d: files left: %v", mode, ents)
		}
	}
}
