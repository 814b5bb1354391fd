package ledger_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// fixture is a closed deployment with the Metastasis case file and
// testdata/second.jsonl imported, and system records appended: three
// checkpoints, and rows in every projection table (anomalies, attachments,
// accounts, grants, disclosures and releases included).
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
	// A third transaction through the server's door: accounts, grants,
	// disclosures, releases and an audited read, so that the system tables
	// have rows too.
	by := custody.Recorded{At: "2024-02-01T12:00:00Z", Account: "fixture"}
	var recs []ledger.Record
	add := func(op string, rec any) { recs = append(recs, ledger.Record{Op: op, Rec: rec, Recorded: by}) }
	add(casefile.OpOfficer, &casefile.Officer{ID: "def.1", Name: "Defensor Uno", Agency: "FGE", Role: "defense"})
	add(casefile.OpOfficer, &casefile.Officer{ID: "def.2", Name: "Defensora Dos", Agency: "FGE", Role: "defense"})
	add(domain.OpAccountCreate, &domain.AccountCreate{Account: "fiscal1", Name: "Diana Salazar", Role: "prosecutor", Officer: "fge.salazar"})
	add(domain.OpAccountCreate, &domain.AccountCreate{Account: "fiscal2", Name: "Fiscal de turno", Role: "prosecutor", Officer: "fge.pic"})
	add(domain.OpAccountCreate, &domain.AccountCreate{Account: "def1", Name: "Defensor Uno", Role: "defense", Officer: "def.1"})
	add(domain.OpAccountCreate, &domain.AccountCreate{Account: "def2", Name: "Defensora Dos", Role: "defense", Officer: "def.2"})
	add(domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "fiscal1"})
	add(domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "fiscal2"})
	add(domain.OpItemDisclose, &domain.ItemDisclose{Item: "E-CHI-03-01", Account: "def1"})
	add(domain.OpItemDisclose, &domain.ItemDisclose{Item: "E-CHI-03-02", Account: "def2"})
	add(domain.OpOperationRelease, &domain.OperationRelease{Operation: "OP-METASTASIS", At: "2023-12-13T20:00:00-05:00"})
	add(domain.OpOperationRelease, &domain.OperationRelease{Operation: "OP-AUD", At: "2024-01-20T08:00:00-05:00"})
	add(domain.OpAccessRead, &domain.AccessRead{Account: "fiscal1", Case: "METASTASIS", Kind: "case", ID: "METASTASIS"})
	add(domain.OpBlobCheck, &domain.BlobCheck{Item: "E-CHI-03-01-IMG", SHA256: "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", Result: domain.BlobOK})
	add(domain.OpBlobCheck, &domain.BlobCheck{Item: "E-CHI-03-02-IMG", SHA256: "44366f12f30bba039072073202df7e2e136e80a76518a9e05b6fed4a3f935b3c", Result: domain.BlobMissing})
	res, _, err := d.Ledger.Append(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("system record %d (%s): %v", i, recs[i].Op, r.Err)
		}
	}
	cps, err := d.Store.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: d.Dir, verifier: d.Ledger.Verifier()}
	for _, c := range cps {
		f.sizes = append(f.sizes, c.Size)
	}
	if len(f.sizes) != 3 {
		t.Fatalf("%d checkpoints, want 3", len(f.sizes))
	}
	// Fold the WAL into the database file, so that copying one file copies
	// the deployment.
	if _, err := d.Store.(*sqlite.Store).DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
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

func TestAuditClean(t *testing.T) {
	f := newFixture(t)
	start := time.Now()
	rep := audit(t, f, f.copyDB(t))
	t.Logf("audit of %d events took %v", rep.Events, time.Since(start))
	if !rep.OK || len(rep.Problems) != 0 {
		t.Fatalf("clean database: OK %v, problems %+v", rep.OK, rep.Problems)
	}
	if rep.Events != f.sizes[len(f.sizes)-1] || rep.Checkpoints != len(f.sizes) || rep.Rows == 0 {
		t.Errorf("report: %d events, %d checkpoints, %d rows", rep.Events, rep.Checkpoints, rep.Rows)
	}
}
