package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/evidence/forensic"
)

// runHash runs `custodia hash ARGS...` and returns its exit status, stdout
// and stderr.
func runHash(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"hash"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeRandom writes a file of n random bytes in dir.
func writeRandom(t *testing.T, dir, name string, n int64) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for left := n; left > 0; {
		k := min(left, int64(len(buf)))
		rand.Read(buf[:k])
		if _, err := f.Write(buf[:k]); err != nil {
			t.Fatal(err)
		}
		left -= k
	}
	return path
}

func TestHashText(t *testing.T) {
	dir := t.TempDir()
	abc := filepath.Join(dir, "abc.txt")
	odd := filepath.Join(dir, "a\\b")
	for _, p := range []string{abc, odd} {
		if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runHash(t, abc, "--algo", "sha256,md5", odd)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "MD5 (" + abc + ") = 900150983cd24fb0d6963f7d28e17f72\n" +
		"SHA256 (" + abc + ") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n" +
		`\MD5 (` + strings.ReplaceAll(odd, `\`, `\\`) + ") = 900150983cd24fb0d6963f7d28e17f72\n" +
		`\SHA256 (` + strings.ReplaceAll(odd, `\`, `\\`) + ") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestHashJSON(t *testing.T) {
	dir := t.TempDir()
	abc := filepath.Join(dir, "abc")
	empty := filepath.Join(dir, "empty")
	os.WriteFile(abc, []byte("abc"), 0o644)
	os.WriteFile(empty, nil, 0o644)

	code, out, errOut := runHash(t, "--json", abc, empty)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got []forensic.Result
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := []forensic.Result{
		{File: abc, Size: 3, MD5: "900150983cd24fb0d6963f7d28e17f72", SHA1: "a9993e364706816aba3e25717850c26c9cd0d89d", SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{File: empty, Size: 0, MD5: "d41d8cd98f00b204e9800998ecf8427e", SHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("result %d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	// One algorithm: the others are absent, not empty strings.
	_, out, _ = runHash(t, "--json", "--algo", "sha256", abc)
	if strings.Contains(out, "md5") || strings.Contains(out, "sha1") || !strings.Contains(out, `"sha256": "ba7816bf`) {
		t.Errorf("--algo sha256 --json gave %s", out)
	}
}

// TestHashErrors: every bad invocation fails with one line on stderr that
// says why, Spanish first: status 2 for a usage error, 1 for a file that
// could not be read (after hashing the others).
func TestHashErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("abc"), 0o644)
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string // in the one stderr line
		wantOut string // substring of stdout, "" for none
	}{
		{"no file", nil, 2, "falta ARCHIVO / missing FILE", ""},
		{"only flags", []string{"--json"}, 2, "falta ARCHIVO", ""},
		{"unknown flag", []string{"--bogus", good}, 2, "opción desconocida --bogus / unknown flag --bogus (custodia hash --help)", ""},
		{"algo without value", []string{good, "--algo"}, 2, "a la opción --algo le falta su valor", ""},
		{"unknown algo", []string{"--algo", "sha512", good}, 2, `--algo: algoritmo desconocido "sha512"`, ""},
		{"empty algo", []string{"--algo=", good}, 2, "--algo: lista de algoritmos vacía", ""},
		{"bad bool", []string{"--json=quizá", good}, 2, `valor no válido "quizá" para --json`, ""},
		{"missing file", []string{missing}, 1, `"` + missing + `": no existe / does not exist`, ""},
		{"directory", []string{dir}, 1, "es un directorio / " + `"` + dir + `" is a directory`, ""},
		{"missing among good", []string{"--algo", "sha256", missing, good}, 1, "no existe", "SHA256 (" + good + ") = ba7816bf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runHash(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.HasPrefix(errOut, "custodia hash: ") || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q, want %q", errOut, tt.wantErr)
			}
			if n := strings.Count(errOut, "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", n, errOut)
			}
			if tt.wantOut == "" && out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q, want %q in it", out, tt.wantOut)
			}
		})
	}
}

func TestHashFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "--json")
	os.WriteFile(name, []byte("abc"), 0o644)
	// "--" ends the flags: a file may be called --json.
	code, out, errOut := runHash(t, "--algo", "md5", "--", name)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "MD5 (" + name + ") = 900150983cd24fb0d6963f7d28e17f72\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}

	code, out, _ = runHash(t, "--help", "--lang", "es")
	if code != 0 || !strings.Contains(out, "uso: custodia hash") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
}

func TestHashQuietOffTerminal(t *testing.T) {
	// A pipe (or a file) is not a terminal: no progress bar on stderr.
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	path := writeRandom(t, t.TempDir(), "data", 9<<20)
	var out bytes.Buffer
	if code := run(context.Background(), []string{"hash", path}, &out, f); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		b, _ := os.ReadFile(f.Name())
		t.Errorf("stderr not quiet off a terminal: %q", b)
	}
}
