package ledger_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// TestAnalysisImportEvent: analysis.import is accepted only for a file the
// log recorded for the item (here the forensic image a derived item
// names), refused for another hash, another item or a bad record, survives
// a reopening (replay) and an audit, and belongs to the item's case.
func TestAnalysisImportEvent(t *testing.T) {
	d, _ := testdeploy.Metastasis(t, testdeploy.Clock(time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	const sha = "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02"
	by := custody.Recorded{At: "2024-02-01T12:00:00Z", Account: "system:analysis"}
	rec := func(r domain.AnalysisImport) ledger.Record {
		return ledger.Record{Op: domain.OpAnalysisImport, Rec: &r, Recorded: by}
	}
	good := domain.AnalysisImport{Item: "E-CHI-03-01-IMG", SHA256: sha, Format: "whatsapp", Records: 10, Rejects: 1}
	other := good
	other.SHA256 = strings.Repeat("ab", 32)
	noItem := good
	noItem.Item = "E-NONE"
	res, _, err := d.Ledger.Append(ctx, []ledger.Record{rec(good), rec(other), rec(noItem)})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("analysis.import of the item's own file: %v", res[0].Err)
	}
	var ce *custody.Error
	if !errors.As(res[1].Err, &ce) || ce.Field != "sha256" {
		t.Errorf("another file's hash: %v", res[1].Err)
	}
	if res[2].Err == nil {
		t.Errorf("an unknown item was accepted")
	}
	if v := domain.ValidateSystem(&domain.AnalysisImport{Item: "E-1", SHA256: sha, Format: "pdf"}); v == nil || v.Field != "format" {
		t.Errorf("format pdf: %v", v)
	}
	seq := res[0].Event.Seq
	dir := d.Dir
	d.Close()
	d2 := testdeploy.Open(t, dir, nil)
	if got := d2.Ledger.Size(); got != seq+1 {
		t.Fatalf("size after reopening %d, want %d", got, seq+1)
	}
	rep, err := ledger.Audit(ctx, d2.Store, d2.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}
