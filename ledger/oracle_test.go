package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/casegen"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// newLedger opens a ledger on a fresh SQLite database in a temp dir.
func newLedger(t testing.TB) (*ledger.Ledger, *sqlite.Store, note.Verifier) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	skey, vkey, err := note.GenerateKey(nil, "custodia.test/oracle")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	l, err := ledger.Open(ctx, st, ledger.Config{Signer: signer, Verifier: verifier, Rules: domain.DefaultConfig})
	if err != nil {
		t.Fatal(err)
	}
	return l, st, verifier
}

// TestReportsMatchOracle imports seeded random case files and compares every
// operation's report, at several as-of times, with casegen.Oracle, an
// independent computation written from the spec alone.
func TestReportsMatchOracle(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			file := casegen.Generate(seed, casegen.Options{})
			l, st, v := newLedger(t)
			if _, err := l.Import(context.Background(), bytes.NewReader(file), custody.FileSHA256(file), nil); err != nil {
				t.Fatalf("import of a valid generated file: %v", err)
			}
			report := func(_ []byte, op string, asOf time.Time) ([]byte, error) {
				r, err := l.OperationReport(op, asOf)
				if err != nil {
					return nil, err
				}
				return json.Marshal(r)
			}
			for _, asOf := range []string{"2023-12-14T02:00:00-05:00", "2023-12-15T12:00:00Z", "2024-06-01T00:00:00-05:00"} {
				at, _ := custody.ParseTime(asOf)
				casegen.CheckAgainstOracle(t, file, at, report)
			}
			rep, err := ledger.Audit(context.Background(), st, v, domain.DefaultConfig)
			if err != nil || !rep.OK {
				t.Fatalf("audit after import: %v %+v", err, rep)
			}
		})
	}
}

// TestBadFilesRejected imports generated files with one bad line: each is
// rejected naming its line and op, and leaves the log unchanged.
func TestBadFilesRejected(t *testing.T) {
	seeds := 120
	if testing.Short() {
		seeds = 30
	}
	l, st, _ := newLedger(t)
	ctx := context.Background()
	for seed := int64(1); seed <= int64(seeds); seed++ {
		before, _ := st.Size(ctx)
		casegen.CheckBadRejected(t, seed, func(file []byte) error {
			_, err := l.Import(ctx, bytes.NewReader(file), custody.FileSHA256(file), nil)
			return err
		})
		if after, _ := st.Size(ctx); after != before {
			t.Fatalf("seed %d: a rejected import changed the log size from %d to %d", seed, before, after)
		}
	}
}
