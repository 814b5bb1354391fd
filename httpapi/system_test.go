package httpapi

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// TestSystemOpsStayOutOfCaseFiles: import refuses system ops, and export
// of a case with grants, disclosures, releases and reads writes none.
func TestSystemOpsStayOutOfCaseFiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, line := range []string{
		`{"op":"account.create","account":"x","name":"X","role":"admin"}`,
		`{"op":"grant.add","case":"METASTASIS","account":"x"}`,
		`{"op":"access.read","account":"x","case":"METASTASIS","kind":"case","id":"METASTASIS"}`,
		`{"op":"operation.release","operation":"OP-METASTASIS","at":"2023-12-13T20:00:00-05:00"}`,
	} {
		before := e.d.Ledger.Size()
		_, err := e.d.Ledger.Import(ctx, strings.NewReader(line+"\n"), custody.FileSHA256([]byte(line)), nil)
		var le *casefile.LineError
		if !errors.As(err, &le) || le.Err.Field != "op" {
			t.Errorf("import of %s: %v, want a line error on op", line, err)
		}
		if e.d.Ledger.Size() != before {
			t.Errorf("import of %s changed the log", line)
		}
	}
	e.account("p", "prosecutor", "fge.salazar", "METASTASIS")
	tok := e.token("p", "write")
	for _, rq := range []struct{ method, path, body string }{
		{"GET", "/api/v1/cases/METASTASIS", ""},
		{"POST", "/api/v1/operations/OP-METASTASIS/release", `{"at":"2023-12-13T20:00:00-05:00"}`},
	} {
		if st, b := e.do(rq.method, rq.path, tok, rq.body); st >= 300 {
			t.Fatalf("%s %s: %d %s", rq.method, rq.path, st, b)
		}
	}
	var out bytes.Buffer
	if _, err := e.d.Ledger.ExportCase(ctx, "METASTASIS", &out); err != nil {
		t.Fatal(err)
	}
	rd := casefile.NewReader(&out)
	n := 0
	for {
		_, op, _, err := rd.Next()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("exported case file does not read back: %v", err)
			}
			break
		}
		if domain.IsSystemOp(op) {
			t.Errorf("export wrote system op %s", op)
		}
		n++
	}
	if n < 1000 {
		t.Errorf("export wrote %d records", n)
	}
}

// TestAuditCoversSystemTables: a grant row changed behind the log's back is
// found by audit, as any projection row.
func TestAuditCoversSystemTables(t *testing.T) {
	e := newEnv(t)
	e.account("a", "auditor", "", "METASTASIS")
	ctx := context.Background()
	rep, err := ledger.Audit(ctx, e.d.Store, e.d.Ledger.Verifier(), e.d.Config.Rules())
	if err != nil || !rep.OK {
		t.Fatalf("clean audit: %v %+v", err, rep)
	}
	// An insider makes themselves a member without an event.
	if _, err := e.d.Store.(*sqlite.Store).DB().Exec(`INSERT INTO grants(case_id, account, active, seq) VALUES ('METASTASIS', 'mole', 1, 5)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.Store.(*sqlite.Store).DB().Exec(`UPDATE accounts SET role = 'admin' WHERE id = 'a'`); err != nil {
		t.Fatal(err)
	}
	rep, err = ledger.Audit(ctx, e.d.Store, e.d.Ledger.Verifier(), e.d.Config.Rules())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, p := range rep.Problems {
		kinds[p.Table+"/"+p.Kind] = true
	}
	if rep.OK || !kinds["grants/row_inserted"] || !kinds["accounts/row_modified"] {
		t.Errorf("audit did not find the tampered rows: %+v", rep.Problems)
	}
}

// TestSystemRules checks the domain rules of the system ops.
func TestSystemRules(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		op   string
		rec  any
		code string
	}{
		{"custody role needs an officer", domain.OpAccountCreate, &domain.AccountCreate{Account: "x", Name: "X", Role: "agent"}, custody.ERule},
		{"officer must exist", domain.OpAccountCreate, &domain.AccountCreate{Account: "x", Name: "X", Role: "agent", Officer: "nobody"}, custody.EReference},
		{"role must match the officer", domain.OpAccountCreate, &domain.AccountCreate{Account: "x", Name: "X", Role: "prosecutor", Officer: "lab.1"}, custody.ERule},
		{"grant needs an account", domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "nobody"}, custody.EReference},
		{"revoke needs a grant", domain.OpGrantRevoke, &domain.GrantRevoke{Case: "METASTASIS", Account: "nobody"}, custody.ERule},
		{"disclosure needs an item", domain.OpItemDisclose, &domain.ItemDisclose{Item: "nope", Account: "nobody"}, custody.EReference},
		{"release needs an operation", domain.OpOperationRelease, &domain.OperationRelease{Operation: "nope", At: "2023-12-13T20:00:00-05:00"}, custody.EReference},
		{"read needs a case", domain.OpAccessRead, &domain.AccessRead{Account: "nobody", Case: "METASTASIS", Kind: "case", ID: "X"}, custody.EReference},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _, err := e.d.Ledger.Append(context.Background(), []ledger.Record{{Op: tc.op, Rec: tc.rec, Recorded: custody.Recorded{At: "2024-01-01T00:00:00Z", Account: "t"}}})
			if err != nil {
				t.Fatal(err)
			}
			var ce *custody.Error
			if !errors.As(res[0].Err, &ce) || ce.Code != tc.code {
				t.Errorf("got %v, want code %s", res[0].Err, tc.code)
			}
		})
	}
	e.account("def", "auditor", "", "METASTASIS")
	res, _, err := e.d.Ledger.Append(context.Background(), []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: "def"}, Recorded: custody.Recorded{At: "2024-01-01T00:00:00Z", Account: "t"}}})
	if err != nil || res[0].Err == nil {
		t.Errorf("a second grant of the same membership: %v %v", err, res)
	}
}
