package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// TestVerifyHangBundle: the self-signed bundle of issue 12 through the
// command, bounded: refused, not a hang.
func TestVerifyHangBundle(t *testing.T) {
	file := filepath.Join("..", "..", "verify", "testdata", "bundle-hang.json")
	var code int
	var out, errb bytes.Buffer
	terminates.Within(t, file, func() { code = run(context.Background(), []string{"verify", file}, &out, &errb) })
	if code != 1 || !strings.Contains(errb.String(), "no está bien formado") || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and the malformed event named", code, out.String(), errb.String())
	}
}

// TestVerifyStopsWhenCancelled: main cancels the command's context on
// Ctrl-C or SIGTERM; verify then stops without a verdict and exits 1.
func TestVerifyStopsWhenCancelled(t *testing.T) {
	file := filepath.Join("..", "..", "verify", "testdata", "bundle-valid.json")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"verify", file}, &out, &errb); code != 0 {
		t.Fatalf("valid bundle: exit %d, %s", code, errb.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out.Reset()
	errb.Reset()
	var code int
	terminates.Within(t, file, func() { code = run(ctx, []string{"verify", file}, &out, &errb) })
	if code != 1 || !strings.Contains(errb.String(), "interrump") || out.Len() != 0 {
		t.Fatalf("cancelled: exit %d, stdout %q, stderr %q; want 1 and no verdict", code, out.String(), errb.String())
	}
}
