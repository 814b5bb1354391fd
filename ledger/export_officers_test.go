package ledger_test

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// TestExportKeepsAccountOfficers: the demo's accounts stand for officers
// that no event names (lab.1, the forensic account's, is in the case file
// but acts nowhere in it; demo.judge is added beside it). A case export
// keeps every officer an account granted the case names, with its agency,
// so that after a re-import the accounts can be made again and act.
func TestExportKeepsAccountOfficers(t *testing.T) {
	ctx := context.Background()
	a, _ := testdeploy.Metastasis(t, nil)
	rec := func(op string, r any) ledger.Record {
		return ledger.Record{Op: op, Rec: r, Recorded: custody.Recorded{At: time.Now().UTC().Format(time.RFC3339Nano), Account: "system:test"}}
	}
	appendAll := func(l *ledger.Ledger, recs ...ledger.Record) {
		t.Helper()
		res, _, err := l.Append(ctx, recs)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("record %d (%s): %v", i, recs[i].Op, r.Err)
			}
		}
	}
	appendAll(a.Ledger,
		rec(casefile.OpAgency, &casefile.Agency{ID: "DEMO-CJ", Name: "Judicatura (demostración)", Kind: "judiciary"}),
		rec(casefile.OpOfficer, &casefile.Officer{ID: "demo.judge", Name: "Juez", Agency: "DEMO-CJ", Role: "judge"}),
		rec(casefile.OpOfficer, &casefile.Officer{ID: "other.judge", Name: "Otro juez", Agency: "DEMO-CJ", Role: "judge"}),
		rec(domain.OpAccountCreate, &domain.AccountCreate{Account: "demo-forensic", Name: "Perito", Role: "forensic_analyst", Officer: "lab.1"}),
		rec(domain.OpAccountCreate, &domain.AccountCreate{Account: "demo-judge", Name: "Juez", Role: "judge", Officer: "demo.judge"}),
		rec(domain.OpAccountCreate, &domain.AccountCreate{Account: "outsider", Name: "Otro", Role: "judge", Officer: "other.judge"}),
		rec(domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "demo-forensic"}),
		rec(domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "demo-judge"}),
		// A former member's officer is kept too.
		rec(domain.OpGrantRevoke, &domain.GrantRevoke{Case: "METASTASIS", Account: "demo-judge"}),
	)
	var buf bytes.Buffer
	if _, err := a.Ledger.ExportCase(ctx, "METASTASIS", &buf); err != nil {
		t.Fatal(err)
	}
	b := testdeploy.New(t, nil)
	testdeploy.Import(t, b, buf.Bytes())

	// Every officer an account or grant of the case names is there.
	var named []string
	a.Ledger.View(func(st *domain.State) error {
		for acc := range st.Grants["METASTASIS"] {
			if o := st.Accounts[acc].Officer; o != "" {
				named = append(named, o)
			}
		}
		return nil
	})
	sort.Strings(named)
	if len(named) != 2 {
		t.Fatalf("officers named by the case's accounts: %v, want lab.1 and demo.judge", named)
	}
	b.Ledger.View(func(st *domain.State) error {
		for _, o := range named {
			if _, ok := st.Officers[o]; !ok {
				t.Errorf("officer %s was dropped by export and re-import", o)
			}
		}
		if _, ok := st.Agencies["DEMO-CJ"]; !ok {
			t.Error("the agency of demo.judge was dropped")
		}
		if _, ok := st.Officers["other.judge"]; ok {
			t.Error("other.judge, whose account is no member of the case, was exported")
		}
		return nil
	})

	// The forensic account can be made again and act: an item handed to
	// its officer.
	var item, holder string
	b.Ledger.View(func(st *domain.State) error {
		ids := make([]string, 0, len(st.Items))
		for id, it := range st.Items {
			if !it.Disposed && it.Holder != "" && it.Holder != "lab.1" {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		item, holder = ids[0], st.Items[ids[0]].Holder
		return nil
	})
	appendAll(b.Ledger,
		rec(domain.OpAccountCreate, &domain.AccountCreate{Account: "demo-forensic", Name: "Perito", Role: "forensic_analyst", Officer: "lab.1"}),
		rec(domain.OpGrantAdd, &domain.GrantAdd{Case: "METASTASIS", Account: "demo-forensic"}),
	)
	// A handover is signed by both parties, with keys registered in the log.
	giver, taker := testkeys.Ed25519(holder), testkeys.Ed25519("lab.1")
	now := time.Now().Add(-2 * time.Minute)
	appendAll(b.Ledger,
		rec(custody.OpKeyRequest, giver.Request(now)), rec(custody.OpKeyApprove, giver.Approve(now)),
		rec(custody.OpKeyRequest, taker.Request(now)), rec(custody.OpKeyApprove, taker.Approve(now)))
	tr := &custody.Transfer{Item: item, From: holder, To: "lab.1", At: time.Now().Add(-time.Minute).Format(time.RFC3339), Purpose: "analysis", SealCondition: "intact"}
	signed := rec(custody.OpTransfer, tr)
	signed.Sigs = []custody.Sig{taker.SignAct(custody.RoleTo, custody.OpTransfer, tr), giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr)}
	appendAll(b.Ledger, signed)
	b.Ledger.View(func(st *domain.State) error {
		if got := st.Items[item].Holder; got != "lab.1" {
			t.Errorf("%s is held by %s after the transfer, want lab.1", item, got)
		}
		return nil
	})
}
