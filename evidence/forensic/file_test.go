package forensic

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hashBSD hashes path with every algorithm and returns its BSD lines.
func hashBSD(t *testing.T, path string) string {
	t.Helper()
	res, err := HashFile(context.Background(), path, FileOptions{Algos: All})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteBSD(&out, res, All); err != nil {
		t.Fatal(err)
	}
	return out.String()
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

// TestAgainstCoreutils hashes random files of edge sizes with HashFile and with
// the system's md5sum, sha1sum and sha256sum (--tag, the same BSD format),
// and wants identical lines.
func TestAgainstCoreutils(t *testing.T) {
	tools := map[Algos]string{MD5: "md5sum", SHA1: "sha1sum", SHA256: "sha256sum"}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not on PATH (Debian package coreutils): %v", tool, err)
		}
	}
	dir := t.TempDir()
	sizes := map[string]int64{"empty": 0, "one": 1, "big": 64<<20 + 1}
	for name, size := range sizes {
		t.Run(name, func(t *testing.T) {
			path := writeRandom(t, dir, name, size)
			out := hashBSD(t, path)
			var want strings.Builder
			for _, a := range algoList {
				cmd := exec.Command(tools[a], "--tag", path)
				line, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s: %v", tools[a], err)
				}
				want.Write(line)
			}
			if out != want.String() {
				t.Errorf("custodia hash:\n%s\ncoreutils:\n%s", out, want.String())
			}

			// And the output checks with coreutils' own -c.
			sumfile := filepath.Join(dir, name+".sha256")
			line := strings.Split(out, "\n")[2] + "\n"
			if err := os.WriteFile(sumfile, []byte(line), 0o644); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command("sha256sum", "-c", sumfile).CombinedOutput(); err != nil {
				t.Errorf("sha256sum -c rejects %q: %v %s", line, err, msg)
			}
		})
	}
}

// TestStdin: "-" reads the given standard input, and without one it is an
// error that names it, not a read of the process's own.
func TestStdin(t *testing.T) {
	res, err := HashFile(context.Background(), "-", FileOptions{Algos: SHA256, Stdin: strings.NewReader("abc")})
	if err != nil || res.SHA256 != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || res.Size != 3 || res.MD5 != "" {
		t.Fatalf("stdin: %v %+v", err, res)
	}
	if _, err := HashFile(context.Background(), "-", FileOptions{Algos: SHA256}); err == nil || !strings.Contains(err.Error(), `"-"`) {
		t.Fatalf("no stdin: %v", err)
	}
}
