package app

import (
	"context"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// TestReadOnlyAppendsNothingButItsReads: the write path itself refuses a
// read-only principal's records, whichever method builds them and whatever
// that method checked first: here records are handed to Append directly,
// with no policy check in front. The one record it does append is the
// audit of its own read.
func TestReadOnlyAppendsNothingButItsReads(t *testing.T) {
	e := newFieldEnv(t)
	ctx := context.Background()
	ro := e.s.principal("agente", "read")
	at := fieldNow.Add(-time.Hour).Format(time.RFC3339)
	k := e.keys["pn.s-pic-01.lead"]
	for _, rec := range []ledger.Record{
		{Op: custody.OpKeyRevoke, Rec: &domain.KeyRevoke{Key: k.ID(), Reason: "x", At: at}},
		{Op: domain.OpHandoverWithdraw, Rec: &domain.HandoverWithdraw{ID: "H-0", Reason: "x"}},
		{Op: domain.OpGrantRevoke, Rec: &domain.GrantRevoke{Case: "METASTASIS", Account: "otro"}},
		// One audit record does not carry a change through with it.
		{Op: domain.OpAccessRead, Rec: &domain.AccessRead{Case: "METASTASIS", Kind: "case", ID: "METASTASIS", Account: "agente"}},
	} {
		recs := []ledger.Record{rec}
		if rec.Op == domain.OpAccessRead {
			recs = append(recs, ledger.Record{Op: custody.OpKeyRevoke, Rec: &domain.KeyRevoke{Key: k.ID(), Reason: "x", At: at}})
		}
		before := e.size()
		_, err := e.s.Append(ctx, ro, recs...)
		if ce, ok := err.(*custody.Error); !ok || ce.Code != custody.EForbidden || ce.Message != ErrReadOnly().Message {
			t.Errorf("%s with a read-only token: %v, want forbidden read-only", rec.Op, err)
		}
		if e.size() != before {
			t.Errorf("%s with a read-only token: the log grew from %d to %d", rec.Op, before, e.size())
		}
	}
	var active bool
	e.s.View(func(st *domain.State) error { active = st.Keys[k.ID()].ActiveAt(e.size()); return nil })
	if !active {
		t.Error("the key was revoked by a read-only token")
	}
	before := e.size()
	if err := e.s.AuditedRead(ctx, ro, domain.AccessRead{Case: "METASTASIS", Kind: "case", ID: "METASTASIS"}); err != nil {
		t.Fatalf("audited read with a read-only token: %v", err)
	}
	if e.size() != before+1 {
		t.Errorf("audited read: the log grew by %d, want 1", e.size()-before)
	}
	// The same write with a write token goes through: what refused it
	// above was the scope, not the record.
	if _, err := e.s.Append(ctx, e.p, ledger.Record{Op: custody.OpKeyRevoke, Rec: &domain.KeyRevoke{Key: k.ID(), Reason: "x", At: at}}); err != nil {
		t.Errorf("the key's revocation with a write token: %v", err)
	}
}
