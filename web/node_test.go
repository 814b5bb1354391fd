package web

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// runNode runs script under node with the absolute path of lib (a file of
// the pages, relative to web/) and then args, feeding it stdin, and returns
// what it printed. The test fails when node is missing, when the script
// fails, or when it runs past a minute: the scripts drive parsers and
// hashes that must terminate.
func runNode(t *testing.T, what, script, lib string, stdin io.Reader, args ...string) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run %s: %v", what, err)
	}
	runner := filepath.Join(t.TempDir(), "run.js")
	if err := os.WriteFile(runner, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	libPath, err := filepath.Abs(lib)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, append([]string{runner, libPath}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	return out.Bytes()
}
