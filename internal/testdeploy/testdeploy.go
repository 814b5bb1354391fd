// Package testdeploy builds real deployments for tests: a data directory with
// a SQLite database and a log key, created by deployment.Init exactly as
// `custodia init` does, optionally with the Metastasis case file imported.
// It holds no state between calls; every deployment lives in t.TempDir().
package testdeploy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
)

// Root returns the module's root directory (the one holding go.mod), so that
// tests in any package find the shared testdata.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testdeploy: no go.mod above the working directory")
		}
		dir = parent
	}
}

// MetastasisPath is the acceptance case file, testdata/metastasis.jsonl.
func MetastasisPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(Root(t), "testdata", "metastasis.jsonl")
}

// Clock is a clock for tests that advances by one second on every reading,
// so that recorded times are deterministic and strictly increasing.
func Clock(start time.Time) func() time.Time {
	ch := make(chan time.Time, 1)
	ch <- start
	return func() time.Time {
		t := <-ch
		ch <- t.Add(time.Second)
		return t
	}
}

// New creates an empty deployment in a fresh temporary directory and opens
// it; it is closed when the test ends. now may be nil (time.Now).
func New(t testing.TB, now func() time.Time) *deployment.Deployment {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := deployment.Init(context.Background(), dir, "custodia.test/log"); err != nil {
		t.Fatalf("deployment.Init: %v", err)
	}
	return Open(t, dir, now)
}

// Open opens an existing deployment; it is closed when the test ends.
func Open(t testing.TB, dir string, now func() time.Time) *deployment.Deployment {
	t.Helper()
	d, err := deployment.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatalf("deployment.Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Import imports a case file's bytes into d and fails the test if it is
// rejected.
func Import(t testing.TB, d *deployment.Deployment, data []byte) {
	t.Helper()
	if _, err := d.Ledger.Import(context.Background(), bytes.NewReader(data), custody.FileSHA256(data), nil); err != nil {
		t.Fatalf("import: %v", err)
	}
}

// Metastasis returns a deployment with the Metastasis case file imported, and
// the file's bytes.
func Metastasis(t testing.TB, now func() time.Time) (*deployment.Deployment, []byte) {
	t.Helper()
	data, err := os.ReadFile(MetastasisPath(t))
	if err != nil {
		t.Fatal(err)
	}
	d := New(t, now)
	Import(t, d, data)
	return d, data
}
