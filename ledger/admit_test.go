package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// TestImportAdmission: an imported file is checked against the import's
// clock (a line dated after it is refused with its line, all or nothing),
// while the log is never re-checked on replay: a record admitted on a
// later clock still opens and audits clean on an earlier one.
func TestImportAdmission(t *testing.T) {
	ctx := context.Background()
	file := []byte(`{"op":"agency.add","id":"AG","name":"A","kind":"police"}
{"op":"officer.add","id":"o1","name":"O","agency":"AG","role":"prosecutor"}
{"op":"case.open","id":"C1","title":"T","at":"2029-01-01T00:00:00Z","by":"o1"}
`)
	d := testdeploy.New(t, func() time.Time { return time.Date(2028, 12, 31, 23, 0, 0, 0, time.UTC) })
	_, err := d.Ledger.Import(ctx, bytes.NewReader(file), custody.FileSHA256(file), nil)
	var le *casefile.LineError
	if !errors.As(err, &le) || le.Line != 3 || le.Err.Field != "at" || le.Err.Code != custody.ERule {
		t.Fatalf("import of a case opened an hour after the clock: %v, want line 3 refused on at", err)
	}
	if d.Ledger.Size() != 0 {
		t.Fatalf("a refused import left %d events", d.Ledger.Size())
	}
	dir := d.Dir
	d.Close()
	later := testdeploy.Open(t, dir, func() time.Time { return time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC) })
	testdeploy.Import(t, later, file)
	later.Close()
	earlier := testdeploy.Open(t, dir, func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) })
	if earlier.Ledger.Size() != 3 {
		t.Fatalf("reopened log has %d events, want 3", earlier.Ledger.Size())
	}
	rep, err := ledger.Audit(ctx, earlier.Store, earlier.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}
