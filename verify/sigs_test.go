package verify

import (
	"encoding/json"
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
