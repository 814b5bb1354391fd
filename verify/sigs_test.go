package verify

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// TestSignaturesVerified: every act of a signed history is signed by
// everyone it names, and the verdict says so act by act; an imported
// history reads as imported, and --require-signatures refuses it.
func TestSignaturesVerified(t *testing.T) {
	l := newSignedLog(t)
	history(l)
	res, err := Verify(marshal(t, l.bundle("E-CHI-03-01")), Options{RequireSignatures: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Items {
		for _, s := range h.Events {
			want := 1
			if s.Op == custody.OpTransfer {
				want = 2
			}
			if s.Signature != SignedAll || len(s.Signers) != want {
				t.Errorf("event %d (%s): %s with %d signatures, want complete with %d", s.Index, s.Op, s.Signature, len(s.Signers), want)
			}
		}
	}

	imp := newTestLog(t)
	history(imp)
	res, err = Verify(marshal(t, imp.bundle("E-CHI-03-01")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Items[0].Events[0]; s.Signature != SignedImported {
		t.Errorf("an imported act: %s, want imported", s.Signature)
	}
	e := mustFail(t, marshal(t, imp.bundle("E-CHI-03-01")), Options{RequireSignatures: true})
	wantCheck(t, e, CheckSignature, 2, "sigs", "signatures are required")
}

// TestForgedHandover is the forger's attack of issue 14 at the verifier:
// someone with the database and the log key appends a handover that the
// receiver never signed, and re-signs the checkpoint. The log's proofs all
// hold; the verifier fails, naming the act and the missing signature.
func TestForgedHandover(t *testing.T) {
	l := newSignedLog(t)
	history(l)
	// The custodian "hands" the item to the prosecutor: only the giver's
	// signature, or none at all.
	tr := &custody.Transfer{Item: "E-CHI-03-01", From: "P-FISCAL", To: "P-CUSTODIO", At: "2023-09-21T09:00:00-05:00", Purpose: "storage", SealCondition: "broken"}
	raw, _ := fastcodec.MarshalCanonical(tr)
	giver := l.key("P-FISCAL").Sign(custody.RoleFrom, custody.ActDigest(custody.OpTransfer, raw))
	forged := l.record(custody.OpTransfer, tr, []custody.Sig{giver})
	e := mustFail(t, marshal(t, l.bundle("E-CHI-03-01")), Options{TrustedKey: l.vkey})
	wantCheck(t, e, CheckSignature, forged, "sigs", "without both the giver's and the receiver's signatures (P-FISCAL -> P-CUSTODIO)")

	// The receiver's signature taken from another act.
	l2 := newSignedLog(t)
	history(l2)
	other := *tr
	other.At = "2023-09-21T08:00:00-05:00"
	rawOther, _ := fastcodec.MarshalCanonical(&other)
	taker := l2.key("P-CUSTODIO").Sign(custody.RoleTo, custody.ActDigest(custody.OpTransfer, rawOther))
	giver2 := l2.key("P-FISCAL").Sign(custody.RoleFrom, custody.ActDigest(custody.OpTransfer, raw))
	bad := l2.record(custody.OpTransfer, tr, []custody.Sig{giver2, taker})
	e = mustFail(t, marshal(t, l2.bundle("E-CHI-03-01")), Options{})
	wantCheck(t, e, CheckSignature, bad, "sigs", "P-CUSTODIO's signature is not valid for this act")

	// The key register left out of the bundle.
	l3 := newSignedLog(t)
	history(l3)
	b := l3.bundle("E-CHI-03-01")
	b.Keys = nil
	wantCheck(t, mustFail(t, marshal(t, b), Options{}), CheckSignature, 6, "sigs", "not by a key the bundle registers")
}

// TestRevokedKey: a key signs nothing valid after its revocation.
func TestRevokedKey(t *testing.T) {
	l := newSignedLog(t)
	history(l)
	k := l.key("P-FISCAL")
	l.keyIdx = append(l.keyIdx, l.record(custody.OpKeyRevoke, map[string]string{"key": k.ID(), "reason": "teléfono perdido", "at": l.clock.Format(time.RFC3339)}, nil))
	late := l.add(custody.OpPresent, &custody.Present{Item: "E-CHI-03-01", At: "2023-09-21T10:00:00-05:00", By: "P-FISCAL", Hearing: "H-2023-119"})
	e := mustFail(t, marshal(t, l.bundle("E-CHI-03-01")), Options{})
	wantCheck(t, e, CheckSignature, late, "sigs", "not in force")
}

// TestParallelFirstFailure: parallel calls every index below the first one
// at which f fails, whichever core takes which, so checkAll's error is the
// first event's in bundle order; and it calls each index at most once.
func TestParallelFirstFailure(t *testing.T) {
	for round := range 200 {
		n, fail := 1000, 1+round*997%999
		calls := make([]atomic.Int32, n)
		parallel(n, func(i int) bool {
			calls[i].Add(1)
			if i%7 == 0 { // let the other core get ahead now and then
				runtime.Gosched()
			}
			return i != fail && i != fail+1
		})
		for i := range n {
			if c := calls[i].Load(); c > 1 || (i <= fail && c != 1) {
				t.Fatalf("round %d (failing at %d): index %d called %d times", round, fail, i, c)
			}
		}
	}
}

// TestFirstFailureInOrder: with two altered events far apart in a large
// bundle, the verdict names the earlier one every time, however the cores
// share the events out.
func TestFirstFailureInOrder(t *testing.T) {
	data, _ := handovers(t, 300, true, false)
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{250, 40} {
		b.Events[k].Proof[0] = b.Events[k-1].Proof[0] // a proof of another event
	}
	bad := marshal(t, &b)
	for range 30 {
		if e := mustFail(t, bad, Options{}); e.Index != b.Events[40].Index {
			t.Fatalf("the verdict names event %d, not the first altered (%d): %v", e.Index, b.Events[40].Index, e)
		}
	}
}

// TestSignatureAndRuleInOrder: the signatures are checked on every core
// while the replay applies the custody rules, and the verdict still names
// whichever failure comes first in the bundle: a signature taken from
// another act before a broken rule, or a broken rule before it.
func TestSignatureAndRuleInOrder(t *testing.T) {
	build := func(badSigAt, badRuleAt int) ([]byte, int64, int64) {
		l := newSignedLog(t)
		l.add(custody.OpSeize, &custody.Seize{ID: "E-1", Case: "C-1", Type: "phone", Description: "x", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-A"})
		from, to := "P-A", "P-B"
		var sigAt, ruleAt int64
		for i := 1; i < 300; i++ {
			tr := &custody.Transfer{Item: "E-1", From: from, To: to, At: fmt.Sprintf("2023-09-12T%02d:%02d:%02d-05:00", 6+i/3600, i/60%60, i%60), Purpose: "storage", SealCondition: "none"}
			switch i {
			case badSigAt: // the receiver's signature of the act one second earlier
				raw, _ := fastcodec.MarshalCanonical(tr)
				earlier := *tr
				earlier.At = fmt.Sprintf("2023-09-12T%02d:%02d:%02d-05:00", 6+(i-1)/3600, (i-1)/60%60, (i-1)%60)
				rawEarlier, _ := fastcodec.MarshalCanonical(&earlier)
				sigAt = l.record(custody.OpTransfer, tr, []custody.Sig{
					l.key(from).Sign(custody.RoleFrom, custody.ActDigest(custody.OpTransfer, raw)),
					l.key(to).Sign(custody.RoleTo, custody.ActDigest(custody.OpTransfer, rawEarlier))})
			case badRuleAt: // handed over by the one who does not hold it, both signing
				tr.From, tr.To = to, from
				ruleAt = l.add(custody.OpTransfer, tr)
				continue
			default:
				l.add(custody.OpTransfer, tr)
			}
			from, to = to, from
		}
		return marshal(t, l.bundle("E-1")), sigAt, ruleAt
	}
	data, sigAt, _ := build(40, 250)
	for range 20 {
		e := mustFail(t, data, Options{})
		wantCheck(t, e, CheckSignature, sigAt, "sigs", "P-A's signature is not valid for this act") // the receiver at 40
		if want := "la firma de P-A no vale para este acto: la firma no se verifica con la clave"; e.Message != want {
			t.Fatalf("the verdict in Spanish reads %q, want %q", e.Message, want)
		}
	}
	data, _, ruleAt := build(250, 40)
	for range 20 {
		e := mustFail(t, data, Options{})
		if e.Check != CheckCustody || e.Index != ruleAt {
			t.Fatalf("the verdict names %s at %d, not the broken rule at %d: %v", e.Check, e.Index, ruleAt, e)
		}
	}
}
