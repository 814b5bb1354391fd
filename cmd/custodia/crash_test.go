package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/loadgen"
)

// buildBinary builds this command into dir, for tests that need a real
// process to kill.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "custodia")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// TestCrash is the short version of bench/crashtest.sh: under concurrent
// load, the server is killed with SIGKILL at random moments; after each
// restart every acknowledged transfer is in the log, and audit exits 0.
func TestCrash(t *testing.T) {
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n, err := loadgen.Crash(ctx, loadgen.CrashConfig{
		Binary: bin, Data: filepath.Join(t.TempDir(), "data"), Rounds: 6, Clients: 16,
		MinRun: 300 * time.Millisecond, MaxRun: 1500 * time.Millisecond, Log: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Errorf("only %d transfers were acknowledged: the load did not run", n)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }
