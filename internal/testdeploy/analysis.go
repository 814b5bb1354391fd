package testdeploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/analysisgen"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/analysisdb"
)

// SyntheticItem is the seized phone Synthetic records; its extractions
// are SyntheticItem-0, -1, ..., one per file of the data set.
const SyntheticItem = "E-SYN"

// Synthetic records, in case c of d, a phone seized by officer (a forensic
// analyst of the deployment) at `at` and one extraction per file of
// issue 16's synthetic data set (the files of analysis/testdata/synthetic),
// each with the file's SHA-256, and
// imports every file into the analysis database at d.Dir/analysis.db as
// `custodia analyze import` does: the records stored, an analysis.import
// event per file, the store's transaction committed with its number. It
// returns the manifest (the planted path and broker) and the open
// database.
func Synthetic(t testing.TB, d *deployment.Deployment, c, officer string, at time.Time) (*analysisgen.Manifest, *analysisdb.DB) {
	t.Helper()
	ctx := context.Background()
	// The committed files (analysis's TestSyntheticDataIsCurrent holds
	// them to what analysisgen writes with seed 16).
	set := filepath.Join(Root(t), "analysis", "testdata", "synthetic")
	mb, err := os.ReadFile(filepath.Join(set, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := new(analysisgen.Manifest)
	if err := json.Unmarshal(mb, m); err != nil {
		t.Fatalf("%s: %v", filepath.Join(set, "manifest.json"), err)
	}
	db, err := analysisdb.Open(ctx, filepath.Join(d.Dir, analysisdb.File))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	by := custody.Recorded{At: at.UTC().Format(time.RFC3339Nano), Account: "system:test"}
	seize := &custody.Seize{ID: SyntheticItem, Case: c, Type: "phone", Description: "Teléfonos del caso sintético", SeizedAt: at.Format(time.RFC3339), SeizedBy: officer}
	res, _, err := d.Ledger.Append(ctx, []ledger.Record{{Op: custody.OpSeize, Rec: seize, Recorded: by}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		t.Fatalf("seizure of %s: %v", SyntheticItem, err)
	}
	for i, f := range m.Files {
		data, err := os.ReadFile(filepath.Join(set, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		var opts analysis.ImportOptions
		if f.Mapping != "" {
			b, err := os.ReadFile(filepath.Join(set, f.Mapping))
			if err != nil {
				t.Fatal(err)
			}
			if opts.Mapping, err = analysis.ParseMapping(b); err != nil {
				t.Fatal(err)
			}
		}
		ImportFile(t, d, db, SyntheticItem, SyntheticItemOf(i), officer, at, f.Format, data, opts)
	}
	return m, db
}

// SyntheticItemOf is the extraction item of the data set's i-th file.
func SyntheticItemOf(i int) string { return fmt.Sprintf("%s-%02d", SyntheticItem, i) }

// ImportFile records, under the item parent (held by officer), a derived
// item holding data and imports data into db as `custodia analyze import`
// does: the records stored, the analysis.import event, the store's
// transaction committed with its number.
func ImportFile(t testing.TB, d *deployment.Deployment, db *analysisdb.DB, parent, item, officer string, at time.Time, format string, data []byte, opts analysis.ImportOptions) {
	t.Helper()
	ctx := context.Background()
	by := custody.Recorded{At: at.UTC().Format(time.RFC3339Nano), Account: "system:test"}
	add := func(op string, rec any) int64 {
		t.Helper()
		res, _, err := d.Ledger.Append(ctx, []ledger.Record{{Op: op, Rec: rec, Recorded: by}})
		if err == nil {
			err = res[0].Err
		}
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return res[0].Event.Seq
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	size := int64(len(data))
	var c string
	d.Ledger.View(func(st *domain.State) error {
		if it := st.Items[parent]; it != nil {
			c = it.Case
		}
		return nil
	})
	add(custody.OpDerive, &custody.Derive{ID: item, Parent: parent, Type: "extraction", Description: "Extracción " + item, At: at.Format(time.RFC3339), By: officer, SHA256: sha, Size: &size})
	tx, err := db.Begin(ctx, analysisdb.Import{Case: c, Item: item, SHA256: sha, Format: format, At: at})
	if err != nil {
		t.Fatal(err)
	}
	s, err := analysis.Import(format, bytes.NewReader(data), analysis.Source{Item: item, SHA256: sha}, opts, tx)
	if err != nil {
		tx.Rollback()
		t.Fatalf("%s: %v", item, err)
	}
	seq := add(domain.OpAnalysisImport, &domain.AnalysisImport{Item: item, SHA256: sha, Format: format, Records: int64(s.Records), Rejects: int64(s.Rejects)})
	if err := tx.Commit(seq); err != nil {
		t.Fatal(err)
	}
}
