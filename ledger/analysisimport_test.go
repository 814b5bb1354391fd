package ledger_test

import (
	"context"
	"errors"
	"fmt"
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

// TestAnalysisDecisionEvents: merges and splits are events of the log,
// checked by the domain: by a member of the case, in a case with an
// analysis, the same decision never twice nor its opposite while it is
// in force, a revert names a decision in force; the state keeps the
// decisions in force, a reopening (replay) gives the same, and the log
// audits clean.
func TestAnalysisDecisionEvents(t *testing.T) {
	d, _ := testdeploy.Metastasis(t, testdeploy.Clock(time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	const sha = "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02"
	by := custody.Recorded{At: "2024-02-01T12:00:00Z", Account: "system:analysis"}
	// As every door does, the record is validated on its own first
	// (ledger.Append checks it against the state).
	appendOne := func(op string, rec any) (int64, error) {
		t.Helper()
		if ce := domain.ValidateSystem(rec); ce != nil {
			return 0, ce
		}
		res, _, err := d.Ledger.Append(ctx, []ledger.Record{{Op: op, Rec: rec, Recorded: by}})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil {
			return 0, res[0].Err
		}
		return res[0].Event.Seq, nil
	}
	must := func(op string, rec any) int64 {
		t.Helper()
		seq, err := appendOne(op, rec)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return seq
	}
	code := func(err error) string {
		var ce *custody.Error
		if errors.As(err, &ce) {
			return ce.Code + ":" + ce.Field
		}
		return fmt.Sprint(err)
	}
	must(domain.OpAccountCreate, &domain.AccountCreate{Account: "ana", Name: "Analista", Role: "auditor"})
	must(domain.OpAccountCreate, &domain.AccountCreate{Account: "otro", Name: "Otro", Role: "auditor"})
	must(domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "ana"})
	merge := &domain.AnalysisMerge{Case: "METASTASIS", A: "name:juan perez", B: "phone:+593991112233", By: "ana", Note: "tarjeta de contacto"}
	if _, err := appendOne(domain.OpAnalysisMerge, merge); code(err) != "rule:case" {
		t.Errorf("a decision before any import: %v", err)
	}
	must(domain.OpAnalysisImport, &domain.AnalysisImport{Item: "E-CHI-03-01-IMG", SHA256: sha, Format: "whatsapp", Records: 10})
	mseq := must(domain.OpAnalysisMerge, merge)
	for _, c := range []struct {
		name, op string
		rec      any
		want     string
	}{
		{"the same merge again", domain.OpAnalysisMerge, &domain.AnalysisMerge{Case: "METASTASIS", A: merge.B, B: merge.A, By: "ana"}, "duplicate:b"},
		{"the opposite while in force", domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: merge.A, B: merge.B, By: "ana"}, "conflict:b"},
		{"by a non-member", domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: "phone:+593991112233", B: "phone:+593992223344", By: "otro"}, "rule:by"},
		{"by no account", domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: "phone:+593991112233", B: "phone:+593992223344", By: "nadie"}, "unknown_reference:by"},
		{"in no case", domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "NINGUNO", A: "phone:+593991112233", B: "phone:+593992223344", By: "ana"}, "unknown_reference:case"},
		{"a key of no kind", domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: "+593991112233", B: "phone:+593992223344", By: "ana"}, "invalid:a"},
		{"a key against itself", domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: "phone:1", B: "phone:1", By: "ana"}, "invalid:b"},
		{"a revert of no decision", domain.OpAnalysisRevert, &domain.AnalysisRevert{Case: "METASTASIS", Decision: mseq + 100, By: "ana"}, "unknown_reference:decision"},
	} {
		if _, err := appendOne(c.op, c.rec); code(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	split := must(domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: "phone:+593991112233", B: "phone:+593992223344", By: "ana"})
	must(domain.OpAnalysisRevert, &domain.AnalysisRevert{Case: "METASTASIS", Decision: mseq, By: "ana", Note: "era otra persona"})
	if _, err := appendOne(domain.OpAnalysisRevert, &domain.AnalysisRevert{Case: "METASTASIS", Decision: mseq, By: "ana"}); code(err) != "unknown_reference:decision" {
		t.Errorf("a second revert of the same decision: %v", err)
	}
	// Reverted, the merge may now be split.
	last := must(domain.OpAnalysisSplit, &domain.AnalysisSplit{Case: "METASTASIS", A: merge.A, B: merge.B, By: "ana"})
	inForce := func(l *ledger.Ledger) (out []int64, version int64) {
		l.View(func(st *domain.State) error {
			for _, x := range st.AnalysisDecisions("METASTASIS") {
				out = append(out, x.Seq)
			}
			version = st.AnalysisOf("METASTASIS").Version
			return nil
		})
		return out, version
	}
	got, v := inForce(d.Ledger)
	if fmt.Sprint(got) != fmt.Sprint([]int64{split, last}) || v != last {
		t.Errorf("decisions in force %v at version %d, want %v at %d", got, v, []int64{split, last}, last)
	}
	dir := d.Dir
	d.Close()
	d2 := testdeploy.Open(t, dir, nil)
	if got2, v2 := inForce(d2.Ledger); fmt.Sprint(got2) != fmt.Sprint(got) || v2 != v {
		t.Errorf("after replay: %v at %d, want %v at %d", got2, v2, got, v)
	}
	rep, err := ledger.Audit(ctx, d2.Store, d2.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}
