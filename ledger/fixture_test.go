package ledger_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/sqlite"
)

// fixture is a closed deployment with the Metastasis case file and
// testdata/second.jsonl imported: two checkpoints, and rows in every
// projection table (anomalies and attachments included).
type fixture struct {
	dir      string // the data directory
	verifier note.Verifier
	sizes    []int64 // checkpoint sizes
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d, _ := testdeploy.Metastasis(t, testdeploy.Clock(time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)))
	second, err := os.ReadFile(filepath.Join("testdata", "second.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	testdeploy.Import(t, d, second)
	ctx := context.Background()
	cps, err := d.Store.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: d.Dir, verifier: d.Ledger.Verifier()}
	for _, c := range cps {
		f.sizes = append(f.sizes, c.Size)
	}
	if len(f.sizes) != 2 {
		t.Fatalf("%d checkpoints, want 2", len(f.sizes))
	}
	// Fold the WAL into the database file, so that copying one file copies
	// the deployment.
	if _, err := d.Store.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

// copyDB copies the fixture's database into a fresh directory and opens it.
func (f *fixture) copyDB(t testing.TB) *sqlite.Store {
	t.Helper()
	dst := filepath.Join(t.TempDir(), deployment.DBFile)
	copyFile(t, filepath.Join(f.dir, deployment.DBFile), dst)
	st, err := sqlite.Open(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// signer returns the deployment's log key, for tests that play an insider
// who also holds the key.
func (f *fixture) signer(t testing.TB) note.Signer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, deployment.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(string(trimNL(b)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func audit(t testing.TB, f *fixture, st *sqlite.Store) *ledger.AuditReport {
	t.Helper()
	rep, err := ledger.Audit(context.Background(), st, f.verifier, deployment.Config{RightsNoticeMinutes: 60, HearingMinutes: 1440}.Rules())
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	return rep
}
