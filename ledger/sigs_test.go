package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/sigbound"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// signed is a deployment with the Metastasis case, an item and its holder,
// and a second officer to hand it to.
type signed struct {
	d            *deployment.Deployment
	item, holder string
	to           string
	at           time.Time
}

func newSigned(t testing.TB) *signed {
	t.Helper()
	now := time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)
	d, _ := testdeploy.Metastasis(t, testdeploy.Clock(now))
	s := &signed{d: d, at: now.Add(-time.Hour)}
	d.Ledger.View(func(st *domain.State) error {
		var ids []string
		for id, it := range st.Items {
			if !it.Disposed && it.Holder != "" {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		s.item, s.holder = ids[0], st.Items[ids[0]].Holder
		for id := range st.Officers {
			if id != s.holder && (s.to == "" || id < s.to) {
				s.to = id
			}
		}
		return nil
	})
	return s
}

// live appends records through a live door (an account), one transaction.
func (s *signed) live(recs ...ledger.Record) error {
	for i := range recs {
		recs[i].Recorded = custody.Recorded{At: "2024-02-01T11:59:00Z", Account: "admin"}
	}
	res, _, err := s.d.Ledger.Append(context.Background(), recs)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func (s *signed) enrol(t testing.TB, keys ...*testkeys.Key) {
	t.Helper()
	for _, k := range keys {
		if err := s.live(ledger.Record{Op: custody.OpKeyRequest, Rec: k.Request(s.at)}, ledger.Record{Op: custody.OpKeyApprove, Rec: k.Approve(s.at)}); err != nil {
			t.Fatalf("enrolling %s's key: %v", k.Officer, err)
		}
	}
}

func (s *signed) transfer(min int) *custody.Transfer {
	return &custody.Transfer{Item: s.item, From: s.holder, To: s.to, At: s.at.Add(time.Duration(min) * time.Minute).Format(time.RFC3339),
		Purpose: "analysis", SealCondition: "intact"}
}

func wantRefused(t *testing.T, err error, code, text string) {
	t.Helper()
	var ce *custody.Error
	if !errors.As(err, &ce) || ce.Code != code || !strings.Contains(ce.Error(), text) {
		t.Fatalf("got %v, want a %s error saying %q", err, code, text)
	}
}

// TestHandoverNeedsBothSignatures: a transfer through a live door is
// recorded only with the giver's and the receiver's signatures, each by a
// registered key of the officer its role names, over this very act.
func TestHandoverNeedsBothSignatures(t *testing.T) {
	s := newSigned(t)
	giver, taker := testkeys.Ed25519(s.holder), testkeys.Passkey(s.to, "custodia.example", false)

	tr := s.transfer(1)
	wantRefused(t, s.live(ledger.Record{Op: custody.OpTransfer, Rec: tr}), custody.EForbidden, "giver's signature")

	s.enrol(t, giver, taker)
	// The giver alone: refused, naming the receiver.
	one := ledger.Record{Op: custody.OpTransfer, Rec: tr, Sigs: []custody.Sig{giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr)}}
	wantRefused(t, s.live(one), custody.EForbidden, "receiver's signature ("+s.to+")")

	// The receiver's signature of another act (a different time) replayed.
	other := s.transfer(2)
	replayed := ledger.Record{Op: custody.OpTransfer, Rec: tr, Sigs: []custody.Sig{
		giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr), taker.SignAct(custody.RoleTo, custody.OpTransfer, other)}}
	wantRefused(t, s.live(replayed), custody.EInvalid, "not for this act")

	// The giver's key signing as receiver.
	swapped := ledger.Record{Op: custody.OpTransfer, Rec: tr, Sigs: []custody.Sig{
		giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr), giver.SignAct(custody.RoleTo, custody.OpTransfer, tr)}}
	wantRefused(t, s.live(swapped), custody.EForbidden, "belongs to "+s.holder)

	both := ledger.Record{Op: custody.OpTransfer, Rec: tr, Sigs: []custody.Sig{
		taker.SignAct(custody.RoleTo, custody.OpTransfer, tr), giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr)}}
	if err := s.live(both); err != nil {
		t.Fatalf("a handover signed by both: %v", err)
	}
	hist, err := s.d.Ledger.ItemHistory(context.Background(), s.item)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Op != custody.OpTransfer || len(last.Sigs) != 2 || last.Sigs[0].Role != custody.RoleFrom || last.Sigs[1].Role != custody.RoleTo {
		t.Fatalf("the logged event carries %+v, want the from and to signatures in role order", last.Sigs)
	}

	// The receiver now holds it; once their key is revoked, it signs
	// nothing more.
	if err := s.live(ledger.Record{Op: custody.OpKeyRevoke, Rec: &domain.KeyRevoke{Key: taker.ID(), Reason: "teléfono perdido", At: s.at.Format(time.RFC3339)}}); err != nil {
		t.Fatal(err)
	}
	back := &custody.Transfer{Item: s.item, From: s.to, To: s.holder, At: s.at.Add(3 * time.Minute).Format(time.RFC3339), Purpose: "storage", SealCondition: "intact"}
	wantRefused(t, s.live(ledger.Record{Op: custody.OpTransfer, Rec: back, Sigs: []custody.Sig{
		taker.SignAct(custody.RoleFrom, custody.OpTransfer, back), giver.SignAct(custody.RoleTo, custody.OpTransfer, back)}}), custody.EForbidden, "not in force (revoked)")
}

// TestKeyRegister: a request must prove possession; a signer with an
// active key must sign every act they record; imports carry no signature.
func TestKeyRegister(t *testing.T) {
	s := newSigned(t)
	k := testkeys.Passkey(s.holder, "custodia.example", true)
	bad := k.Request(s.at)
	bad.Proof = testkeys.Ed25519("x").Sign(custody.RoleBy, custody.KeyDigest(s.holder, bad.Key)).Sig
	wantRefused(t, s.live(ledger.Record{Op: custody.OpKeyRequest, Rec: bad}), custody.EInvalid, "proof of possession")

	wrongID := k.Request(s.at)
	wrongID.Key = testkeys.Ed25519("x").ID()
	wantRefused(t, s.live(ledger.Record{Op: custody.OpKeyRequest, Rec: wrongID}), custody.EInvalid, "not the SHA-256")

	// Requested but not approved: it does not sign yet.
	if err := s.live(ledger.Record{Op: custody.OpKeyRequest, Rec: k.Request(s.at)}); err != nil {
		t.Fatal(err)
	}
	open := &custody.Open{Item: s.item, By: s.holder, At: s.at.Add(time.Minute).Format(time.RFC3339), Reason: "inventario"}
	wantRefused(t, s.live(ledger.Record{Op: custody.OpOpen, Rec: open, Sigs: []custody.Sig{k.SignAct(custody.RoleBy, custody.OpOpen, open)}}), custody.EForbidden, "requested")
	if err := s.live(ledger.Record{Op: custody.OpKeyApprove, Rec: k.Approve(s.at)}); err != nil {
		t.Fatal(err)
	}
	// Now every act of this officer needs the signature.
	wantRefused(t, s.live(ledger.Record{Op: custody.OpOpen, Rec: open}), custody.EForbidden, "must carry their signature")
	if err := s.live(ledger.Record{Op: custody.OpOpen, Rec: open, Sigs: []custody.Sig{k.SignAct(custody.RoleBy, custody.OpOpen, open)}}); err != nil {
		t.Fatalf("an open signed with an EdDSA passkey: %v", err)
	}

	// The key register survives a reopen: it is rebuilt from the log.
	dir := s.d.Dir
	s.d.Close()
	d2 := testdeploy.Open(t, dir, testdeploy.Clock(time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)))
	d2.Ledger.View(func(st *domain.State) error {
		got := st.Keys[k.ID()]
		if got == nil || got.Status() != "active" || got.Officer != s.holder {
			t.Errorf("after reopening, key %s is %+v, want active for %s", k.ID(), got, s.holder)
		}
		return nil
	})
}

// TestForgerWithDatabaseAndLogKey is issue 14's attack: an insider with the
// database and the log's signing key appends a handover in the receiver's
// name that the receiver never signed, keeps every hash in order and signs
// a new checkpoint with the real key. The Merkle proofs all hold; the
// offline verifier fails on the act, naming the missing signature, and the
// audit flags it.
func TestForgerWithDatabaseAndLogKey(t *testing.T) {
	s := newSigned(t)
	giver, taker := testkeys.Ed25519(s.holder), testkeys.Ed25519(s.to)
	s.enrol(t, giver, taker)
	tr := s.transfer(1)
	if err := s.live(ledger.Record{Op: custody.OpTransfer, Rec: tr, Sigs: []custody.Sig{giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr), taker.SignAct(custody.RoleTo, custody.OpTransfer, tr)}}); err != nil {
		t.Fatal(err)
	}
	dir := s.d.Dir
	vkey := s.d.PublicKey
	var lastOfItem int64
	s.d.Ledger.View(func(st *domain.State) error { lastOfItem = st.Items[s.item].LastSeq; return nil })
	s.d.Close()

	// The forger: the receiver "hands it back" and then it is destroyed,
	// signed by no one but the forger's wish. Written straight to the store.
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, deployment.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	st.ScanEvents(ctx, 0, func(e ledger.StoredEvent) error { all = append(all, append([]byte(nil), e.Data...)); return nil })
	size := int64(len(all))
	back := &custody.Transfer{Item: s.item, From: s.to, To: s.holder, At: s.at.Add(5 * time.Minute).Format(time.RFC3339), Purpose: "storage", SealCondition: "intact"}
	body, _ := fastcodec.MarshalCanonical(back)
	ev := &custody.Event{V: custody.EventVersion, Seq: size, Salt: strings.Repeat("ab", 16), Op: custody.OpTransfer, Record: body,
		Prev: map[string]int64{s.item: lastOfItem}, Recorded: custody.Recorded{At: "2024-02-01T11:59:30Z", Account: "admin", Commit: size},
		Sigs: []custody.Sig{giver.SignAct(custody.RoleTo, custody.OpTransfer, back)}} // only the "receiver" signs: the giver never did
	data, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, data)
	hashes, per := storedHashes(t, all)
	root, err := tlog.TreeHash(size+1, hashes)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir}
	msg, err := note.Sign(&note.Note{Text: (&verify.Checkpoint{Origin: strings.SplitN(vkey, "+", 2)[0], Size: size + 1, Root: root}).String()}, f.signer(t))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var flat []byte
	for _, h := range per[size] {
		flat = append(flat, h[:]...)
	}
	if err := tx.AppendEvents(ctx, []ledger.StoredEvent{{Seq: size, Item: s.item, Prev: lastOfItem, Data: data, Hashes: flat, CasePrev: -1}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.AddCheckpoint(ctx, ledger.Checkpoint{Size: size + 1, Root: root, Note: msg}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// The audit flags the act.
	d := testdeploy.Open(t, dir, testdeploy.Clock(time.Date(2024, 2, 1, 12, 0, 0, 0, time.UTC)))
	rep, err := ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), d.Config.Rules())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Problems {
		found = found || (p.Kind == ledger.PSignature && p.Seq != nil && *p.Seq == size)
	}
	if rep.OK || !found {
		t.Fatalf("audit of the forged handover: ok=%v, problems %+v; want a signature problem at %d", rep.OK, rep.Problems, size)
	}
	// The offline verifier, with the log's real key, fails on the act.
	b, err := d.Ledger.ExportBundle(ctx, s.item, vkey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(b)
	_, verr := verify.Verify(raw, verify.Options{TrustedKey: vkey})
	var ve *verify.Error
	if !errors.As(verr, &ve) || ve.Check != verify.CheckSignature || ve.Index != size || !strings.Contains(ve.MessageEN, "without both the giver's and the receiver's signatures") {
		t.Fatalf("verify of the forged bundle: %v; want a signature failure at event %d", verr, size)
	}
}

// seizures is a deployment whose log holds n live seizures, signed by
// their officer's Ed25519 key or not.
func seizures(b *testing.B, n int, sign bool) *signed {
	s := newSigned(b)
	k := testkeys.Ed25519(s.holder)
	if sign {
		s.enrol(b, k)
	}
	var recs []ledger.Record
	for i := range n {
		sz := &custody.Seize{ID: fmt.Sprintf("BA-%d", i), Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: s.at.Format(time.RFC3339), SeizedBy: s.holder}
		r := ledger.Record{Op: custody.OpSeize, Rec: sz}
		if sign {
			r.Sigs = []custody.Sig{k.SignAct(custody.RoleBy, custody.OpSeize, sz)}
		}
		recs = append(recs, r)
	}
	if err := s.live(recs...); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAuditSignatures audits a deployment of 2,000 live seizures by an
// officer without a key (unsigned) and one of 2,000 signed by an officer
// with one, in one run, and reports the signature checks per second the
// signed audit adds.
func BenchmarkAuditSignatures(b *testing.B) {
	const n = 2000
	var unsigned, unsignedCPU float64
	for _, signed := range []bool{false, true} {
		s := seizures(b, n, signed)
		name := map[bool]string{false: "unsigned", true: "ed25519"}[signed]
		b.Run(name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				rep, err := ledger.Audit(context.Background(), s.d.Store, s.d.Ledger.Verifier(), s.d.Config.Rules())
				if err != nil || !rep.OK {
					b.Fatalf("audit: %v %+v", err, rep)
				}
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			perCPU := float64((cpuTime() - cpu0).Nanoseconds()) / float64(b.N)
			if !signed {
				unsigned, unsignedCPU = per, perCPU
				return
			}
			if unsigned > 0 && per > unsigned {
				b.ReportMetric(n/((per-unsigned)/1e9), "sigchecks/s")
			}
			// The processor time each signature adds (see the verifier's
			// benchmark): against one Ed25519 verification's.
			if unsignedCPU > 0 && perCPU > unsignedCPU {
				b.ReportMetric((perCPU-unsignedCPU)/n, "cpu-ns/sig")
			}
		})
		if signed {
			// The daily audit: the signatures of the last tenth only.
			b.Run("ed25519-incremental", func(b *testing.B) {
				since := s.d.Ledger.Size() - n/10
				for b.Loop() {
					rep, err := ledger.AuditSince(context.Background(), s.d.Store, s.d.Ledger.Verifier(), s.d.Config.Rules(), since)
					if err != nil || !rep.OK || rep.SignaturesChecked != n/10 {
						b.Fatalf("audit since %d: %v %+v", since, err, rep)
					}
				}
			})
		}
	}
}

// BenchmarkAuditAgainstBound holds audit's signature rate (2,000 signed
// seizures beyond 2,000 unsigned ones) against the machine's bound
// measured moments apart (package sigbound).
func BenchmarkAuditAgainstBound(b *testing.B) {
	const n = 2000
	audit := func(s *signed) func() {
		return func() {
			rep, err := ledger.Audit(context.Background(), s.d.Store, s.d.Ledger.Verifier(), s.d.Config.Rules())
			if err != nil || !rep.OK {
				b.Fatalf("audit: %v %+v", err, rep)
			}
		}
	}
	sigbound.Run(b, n, 0, audit(seizures(b, n, false)), audit(seizures(b, n, true)))
}

// TestAuditSince: an audit from an earlier clean audit's size verifies the
// signatures of the newer events only, and checks everything else in full.
func TestAuditSince(t *testing.T) {
	s := newSigned(t)
	k := testkeys.Ed25519(s.holder)
	s.enrol(t, k)
	seize := func(from, to int) {
		var recs []ledger.Record
		for i := from; i < to; i++ {
			sz := &custody.Seize{ID: fmt.Sprintf("AS-%d", i), Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: s.at.Format(time.RFC3339), SeizedBy: s.holder}
			recs = append(recs, ledger.Record{Op: custody.OpSeize, Rec: sz, Sigs: []custody.Sig{k.SignAct(custody.RoleBy, custody.OpSeize, sz)}})
		}
		if err := s.live(recs...); err != nil {
			t.Fatal(err)
		}
	}
	seize(0, 5)
	ctx := context.Background()
	rep, err := ledger.Audit(ctx, s.d.Store, s.d.Ledger.Verifier(), s.d.Config.Rules())
	if err != nil || !rep.OK || rep.SignaturesChecked != 5 || rep.SignaturesFrom != 0 {
		t.Fatalf("full audit: %v ok=%v checked=%d", err, rep.OK, rep.SignaturesChecked)
	}
	since := rep.Events
	seize(5, 8)
	rep, err = ledger.AuditSince(ctx, s.d.Store, s.d.Ledger.Verifier(), s.d.Config.Rules(), since)
	if err != nil || !rep.OK || rep.SignaturesChecked != 3 || rep.SignaturesFrom != since || rep.Events != since+3 {
		t.Fatalf("audit since %d: %v ok=%v checked=%d events=%d", since, err, rep.OK, rep.SignaturesChecked, rep.Events)
	}
}
