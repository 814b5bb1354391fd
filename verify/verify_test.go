package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"golang.org/x/mod/sumdb/note"
)

// mustFail runs Verify and returns its *Error, failing the test if Verify
// passed or returned another kind of error, or an error without messages.
func mustFail(t *testing.T, data []byte, opts Options) *Error {
	t.Helper()
	res, err := Verify(data, opts)
	if err == nil {
		t.Fatalf("Verify passed (%d events); want failure", res.EventCount)
	}
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("Verify error %T %v; want *Error", err, err)
	}
	if ve.Message == "" || ve.MessageEN == "" || ve.Check == "" || ve.Code == "" {
		t.Fatalf("error without check, code or message: %#v", ve)
	}
	return ve
}

func wantCheck(t *testing.T, e *Error, check string, index int64, field, contains string) {
	t.Helper()
	if e.Check != check || e.Index != index || (field != "" && e.Field != field) || !strings.Contains(e.MessageEN, contains) {
		t.Errorf("got error %s (check %s, index %d, field %q); want check %s, index %d, field %q, containing %q",
			e, e.Check, e.Index, e.Field, check, index, field, contains)
	}
}

func TestVerifyValid(t *testing.T) {
	l := newTestLog(t)
	history(l)
	b := l.bundle("E-CHI-03-01")
	res, err := Verify(marshal(t, b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.KeySource != KeyBundle || res.LogKey != l.vkey || res.Origin != l.origin || res.TreeSize != int64(len(l.events)) {
		t.Errorf("key %s %s origin %s size %d", res.KeySource, res.LogKey, res.Origin, res.TreeSize)
	}
	if res.EventCount != 11 || len(res.Items) != 2 {
		t.Fatalf("got %d events, %d items; want 11, 2", res.EventCount, len(res.Items))
	}
	phone, img := res.Items[0], res.Items[1]
	type state struct{ op, holder, seal, anomalies string }
	var got []state
	for _, s := range phone.Events {
		got = append(got, state{s.Op, s.Holder, s.Seal, strings.Join(s.Anomalies, ",")})
	}
	want := []state{
		{custody.OpSeize, "P-AGENTE1", "S-100", ""},
		{custody.OpTransfer, "P-CUSTODIO", "S-100", ""},
		{custody.OpTransfer, "P-PERITO", "S-100", ""},
		{custody.OpOpen, "P-PERITO", "", ""},
		{custody.OpDerive, "P-PERITO", "", ""},
		{custody.OpSeal, "P-PERITO", "S-200", ""},
		{custody.OpTransfer, "P-CUSTODIO", "S-200", custody.AnomalySealMismatch},
		{custody.OpTransfer, "P-FISCAL", "", custody.AnomalySealBroken},
		{custody.OpPresent, "P-FISCAL", "", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("phone history has %d steps; want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("phone step %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
	if img.ID != "E-CHI-03-01-IMG" || img.Parent != "E-CHI-03-01" || img.Case != "C-1" || img.Holder != "P-FISCAL" || img.Seal != "" || len(img.Events) != 3 {
		t.Errorf("image: %+v", img)
	}
	if phone.Holder != "P-FISCAL" || phone.Disposed || phone.Case != "C-1" || phone.Type != "phone" {
		t.Errorf("phone: %+v", phone)
	}
	wantAnomalies := []Anomaly{
		{Index: 11, Item: "E-CHI-03-01", Kind: custody.AnomalySealMismatch, At: "2023-09-13T15:00:00-05:00"},
		{Index: 14, Item: "E-CHI-03-01", Kind: custody.AnomalySealBroken, At: "2023-09-20T09:00:00-05:00"},
	}
	if len(res.Anomalies) != 2 || res.Anomalies[0] != wantAnomalies[0] || res.Anomalies[1] != wantAnomalies[1] {
		t.Errorf("anomalies %+v; want %+v", res.Anomalies, wantAnomalies)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("Result does not marshal: %v", err)
	}

	// The published key, given by the caller, is used instead.
	res, err = Verify(marshal(t, b), Options{TrustedKey: l.vkey})
	if err != nil || res.KeySource != KeyTrusted {
		t.Errorf("with trusted key: %v, %v", res, err)
	}
}

// TestEveryEventByte changes each byte of each event, one at a time, to a
// different byte: every change must make Verify fail.
func TestEveryEventByte(t *testing.T) {
	l := newTestLog(t)
	history(l)
	b := l.bundle("E-CHI-03-01")
	n := 0
	for i := range b.Events {
		orig := b.Events[i].Event
		for j := 0; j < len(orig); j++ {
			mod := []byte(orig)
			mod[j] ^= 0x01
			b.Events[i].Event = string(mod)
			e := mustFail(t, marshal(t, b), Options{})
			if e.Index != b.Events[i].Index {
				t.Fatalf("event %d byte %d: error names event %d: %v", b.Events[i].Index, j, e.Index, e)
			}
			n++
		}
		b.Events[i].Event = orig
	}
	if _, err := Verify(marshal(t, b), Options{}); err != nil || n < 2000 {
		t.Fatalf("restored bundle: %v; %d changes tried", err, n)
	}
}

// TestEveryProofByte changes each byte of each proof hash.
func TestEveryProofByte(t *testing.T) {
	l := newTestLog(t)
	history(l)
	b := l.bundle("E-CHI-03-01")
	for i := range b.Events {
		for k, h := range b.Events[i].Proof {
			raw, _ := base64.StdEncoding.DecodeString(h)
			for j := range raw {
				raw[j] ^= 0x80
				b.Events[i].Proof[k] = base64.StdEncoding.EncodeToString(raw)
				e := mustFail(t, marshal(t, b), Options{})
				wantCheck(t, e, CheckProof, b.Events[i].Index, "event", "inclusion proof")
				raw[j] ^= 0x80
			}
			b.Events[i].Proof[k] = h
		}
	}
}

func TestKeysAndCheckpoint(t *testing.T) {
	l := newTestLog(t)
	history(l)
	other := newTestLog(t) // another log key with the same name
	good := l.bundle("E-CHI-03-01")

	e := mustFail(t, marshal(t, good), Options{TrustedKey: other.vkey})
	wantCheck(t, e, CheckCheckpoint, -1, "", "no valid signature")
	// The library's own words ("note has no verifiable signatures") are
	// English: the Spanish message says it without them.
	if want := "el punto de control no lleva una firma válida de la clave custodia.test/log"; e.Message != want {
		t.Errorf("Spanish message %q, want %q", e.Message, want)
	}

	forged := l.bundle("E-CHI-03-01")
	forged.Checkpoint = l.checkpoint(int64(len(l.events)), other.signer)
	e = mustFail(t, marshal(t, forged), Options{})
	wantCheck(t, e, CheckCheckpoint, -1, "", "no valid signature")

	// An attacker's bundle carrying its own key passes only on its own
	// terms; the published key catches it.
	forged.PublicKey = other.vkey
	if _, err := Verify(marshal(t, forged), Options{}); err != nil {
		t.Fatalf("self-consistent forged bundle: %v", err)
	}
	mustFail(t, marshal(t, forged), Options{TrustedKey: l.vkey})

	bad := l.bundle("E-CHI-03-01")
	bad.PublicKey = "not a key"
	wantCheck(t, mustFail(t, marshal(t, bad), Options{}), CheckKey, -1, "public_key", "invalid")

	// A checkpoint of a smaller tree does not hold the later events.
	small := l.bundle("E-CHI-03-01")
	small.Checkpoint = l.checkpoint(10)
	for i, e := range small.Events {
		if e.Index < 10 {
			small.Events[i] = l.proven(e.Index, 10)
		}
	}
	wantCheck(t, mustFail(t, marshal(t, small), Options{}), CheckProof, 10, "index", "not below")

	// Another origin under the same key.
	skey, vkey, _ := note.GenerateKey(nil, "custodia.test/otro")
	s, _ := note.NewSigner(skey)
	renamed := l.bundle("E-CHI-03-01")
	renamed.PublicKey = vkey
	cp, _ := note.Sign(&note.Note{Text: strings.Replace(strings.SplitN(renamed.Checkpoint, "\n\n", 2)[0]+"\n", "custodia.test/log", "custodia.test/x", 1)}, s)
	renamed.Checkpoint = string(cp)
	wantCheck(t, mustFail(t, marshal(t, renamed), Options{}), CheckCheckpoint, -1, "origin", "origin")
}

func TestOmittedAndReordered(t *testing.T) {
	l := newTestLog(t)
	history(l)
	b := l.bundle("E-CHI-03-01")

	omit := l.bundle("E-CHI-03-01")
	omit.Events = append(omit.Events[:2:2], omit.Events[3:]...) // the handover to P-PERITO
	wantCheck(t, mustFail(t, marshal(t, omit), Options{}), CheckCustody, 7, "prev", "an event is missing")

	noDerive := l.bundle("E-CHI-03-01")
	noDerive.Events = append(noDerive.Events[:4:4], noDerive.Events[5:]...) // the derivation of the image
	wantCheck(t, mustFail(t, marshal(t, noDerive), Options{}), CheckCustody, 9, "prev", "an event is missing")

	noSeize := l.bundle("E-CHI-03-01")
	noSeize.Events = noSeize.Events[1:]
	wantCheck(t, mustFail(t, marshal(t, noSeize), Options{}), CheckCustody, 3, "item", "first event is missing")

	swapped := l.bundle("E-CHI-03-01")
	swapped.Events[1], swapped.Events[2] = swapped.Events[2], swapped.Events[1]
	wantCheck(t, mustFail(t, marshal(t, swapped), Options{}), CheckBundle, 3, "index", "increasing index order")

	// Swapping the events but keeping indices and proofs in place.
	swapped = l.bundle("E-CHI-03-01")
	swapped.Events[1].Event, swapped.Events[2].Event = swapped.Events[2].Event, swapped.Events[1].Event
	wantCheck(t, mustFail(t, marshal(t, swapped), Options{}), CheckProof, 3, "event", "inclusion proof")

	unrelatedItem := l.bundle("E-CHI-03-01")
	unrelatedItem.Events = append(unrelatedItem.Events[:2:2], append([]BundleEvent{l.proven(4, int64(len(l.events)))}, unrelatedItem.Events[2:]...)...)
	wantCheck(t, mustFail(t, marshal(t, unrelatedItem), Options{}), CheckCustody, 4, "item", "E-OTRO-01, which is neither")

	nonItem := l.bundle("E-CHI-03-01")
	nonItem.Events = append(nonItem.Events[:2:2], append([]BundleEvent{l.proven(5, int64(len(l.events)))}, nonItem.Events[2:]...)...)
	wantCheck(t, mustFail(t, marshal(t, nonItem), Options{}), CheckCustody, 5, "record", "case.create")

	wrongItem := l.bundle("E-CHI-03-01")
	wrongItem.Item = "E-CHI-03-01-IMG"
	wantCheck(t, mustFail(t, marshal(t, wrongItem), Options{}), CheckCustody, 2, "item", "neither")

	if _, err := Verify(marshal(t, b), Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestCustodyRules(t *testing.T) {
	seize := &custody.Seize{ID: "E-1", Case: "C-1", Type: "laptop", Description: "portátil", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-A", Seal: "S-1"}
	for _, tc := range []struct {
		name   string
		op     string
		rec    any
		field  string
		reason string
	}{
		{"transfer from a non-holder", custody.OpTransfer, &custody.Transfer{Item: "E-1", From: "P-X", To: "P-B", At: "2023-09-12T06:00:00-05:00", Purpose: "storage", SealCondition: "intact"}, "from", `"continuity"`},
		{"act by a non-holder", custody.OpOpen, &custody.Open{Item: "E-1", At: "2023-09-12T06:00:00-05:00", By: "P-X", Reason: "r"}, "by", `"continuity"`},
		{"time going backwards", custody.OpTransfer, &custody.Transfer{Item: "E-1", From: "P-A", To: "P-B", At: "2023-09-12T04:59:00-05:00", Purpose: "storage", SealCondition: "intact"}, "at", `"time order"`},
		{"sealed item handed over as unsealed", custody.OpTransfer, &custody.Transfer{Item: "E-1", From: "P-A", To: "P-B", At: "2023-09-12T06:00:00-05:00", Purpose: "storage", SealCondition: "none"}, "seal_condition", `"seals"`},
		{"sealing a sealed item", custody.OpSeal, &custody.Seal{Item: "E-1", Seal: "S-2", At: "2023-09-12T06:00:00-05:00", By: "P-A"}, "item", `"seals"`},
		{"event after dispose", custody.OpPresent, &custody.Present{Item: "E-1", At: "2023-09-13T06:00:00-05:00", By: "P-A", Hearing: "H"}, "item", `"nothing after disposal"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t)
			l.add(custody.OpSeize, seize)
			if tc.name == "event after dispose" {
				l.add(custody.OpDispose, &custody.Dispose{Item: "E-1", At: "2023-09-13T05:00:00-05:00", By: "P-A", Method: "destroyed"})
			}
			bad := l.add(tc.op, tc.rec)
			e := mustFail(t, marshal(t, l.bundle("E-1")), Options{})
			wantCheck(t, e, CheckCustody, bad, tc.field, tc.reason)
			if e.Code != custody.ERule {
				t.Errorf("code %s; want %s", e.Code, custody.ERule)
			}
		})
	}
}

func TestConsistency(t *testing.T) {
	l := newTestLog(t)
	history(l)
	old := l.checkpoint(9)
	b := l.bundle("E-CHI-03-01")
	size := int64(len(l.events))

	e := mustFail(t, marshal(t, b), Options{OldCheckpoint: []byte(old)})
	wantCheck(t, e, CheckConsistency, -1, "consistency", "carries no consistency proof from size 9")

	b.Consistency = []ConsistencyProof{l.consistency(4), l.consistency(9)}
	res, err := Verify(marshal(t, b), Options{OldCheckpoint: []byte(old)})
	if err != nil || res.Consistency == nil || res.Consistency.OldSize != 9 {
		t.Fatalf("good consistency proof: %v %+v", err, res)
	}

	raw, _ := base64.StdEncoding.DecodeString(b.Consistency[1].Proof[0])
	raw[0] ^= 1
	b.Consistency[1].Proof[0] = base64.StdEncoding.EncodeToString(raw)
	e = mustFail(t, marshal(t, b), Options{OldCheckpoint: []byte(old)})
	wantCheck(t, e, CheckConsistency, -1, "consistency.proof", "does not extend")

	if _, err := Verify(marshal(t, b), Options{OldCheckpoint: []byte(l.checkpoint(size))}); err != nil {
		t.Errorf("same checkpoint: %v", err)
	}
	l.other()
	e = mustFail(t, marshal(t, b), Options{OldCheckpoint: []byte(l.checkpoint(size + 1))})
	wantCheck(t, e, CheckConsistency, -1, "", "ask for a newer bundle")

	// The log shows two histories: another tree of the same size, signed
	// by the same key.
	fork := newTestLog(t)
	fork.signer, fork.vkey = l.signer, l.vkey
	history(fork)
	e = mustFail(t, marshal(t, b), Options{OldCheckpoint: []byte(fork.checkpoint(size))})
	wantCheck(t, e, CheckConsistency, -1, "", "two different roots")

	other := newTestLog(t)
	other.other()
	e = mustFail(t, marshal(t, b), Options{OldCheckpoint: []byte(other.checkpoint(1))})
	wantCheck(t, e, CheckCheckpoint, -1, "", "older checkpoint has no valid signature")
}

func TestPolicy(t *testing.T) {
	l := newTestLog(t)
	history(l)
	now := time.Date(2023, 9, 21, 12, 0, 0, 0, time.UTC)
	w := []*witness{newWitness(t, "judicatura.test/w"), newWitness(t, "defensoria.test/w"), newWitness(t, "contraloria.test/w")}
	policy := "# three institutions; any two suffice\nlog " + l.vkey + "\n"
	for i, x := range w {
		policy += "witness W" + string(rune('1'+i)) + " " + x.vkey + "\n"
	}
	policy += "group two-of-three 2 W1 W2 W3\nquorum two-of-three\n"
	stranger := newWitness(t, "intruso.test/w")

	cosigned := func(ws ...*witness) []byte {
		b := l.bundle("E-CHI-03-01")
		cp := b.Checkpoint
		for _, x := range ws {
			b.Checkpoint += x.cosign(t, cp, now.Add(-time.Hour))
		}
		return marshal(t, b)
	}
	res, err := Verify(cosigned(w[0], stranger, w[2]), Options{Policy: []byte(policy), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	wr := res.Witnesses
	if !wr.Met || len(wr.Signed) != 2 || wr.Signed[0].Witness != "W1" || wr.Signed[1].Witness != "W3" ||
		wr.Signed[0].Time != "2023-09-21T11:00:00Z" || strings.Join(wr.Missing, ",") != "W2" ||
		strings.Join(wr.Ignored, ",") != "intruso.test/w" || res.KeySource != KeyPolicy {
		t.Errorf("witnesses %+v, key source %s", wr, res.KeySource)
	}

	e := mustFail(t, cosigned(w[1], stranger), Options{Policy: []byte(policy), Now: now})
	wantCheck(t, e, CheckPolicy, -1, "", "signed [W2]; missing [W1, W3]")

	// A forged cosignature: W2's name and key ID, someone else's signature.
	forger := &witness{name: w[1].name, key: stranger.key, vkey: w[1].vkey}
	e = mustFail(t, cosigned(w[0], forger, w[2]), Options{Policy: []byte(policy), Now: now})
	wantCheck(t, e, CheckPolicy, -1, "", "cosignature of witness defensoria.test/w on the checkpoint is forged")

	e = mustFail(t, cosigned(w[0], w[1]), Options{Policy: []byte(policy), Now: now.Add(-2 * time.Hour)})
	wantCheck(t, e, CheckPolicy, -1, "", "dated in the future")

	otherLog := newTestLog(t)
	e = mustFail(t, cosigned(w[0], w[1]), Options{Policy: []byte(strings.Replace(policy, l.vkey, otherLog.vkey, 1)), Now: now})
	wantCheck(t, e, CheckKey, -1, "public_key", "not in the policy")

	e = mustFail(t, cosigned(w[0], w[1]), Options{Policy: []byte("quorum W1\n")})
	wantCheck(t, e, CheckPolicy, -1, "", "policy is invalid")
}

func TestVerifyCosignature(t *testing.T) {
	l := newTestLog(t)
	l.other()
	cp := l.checkpoint(1)
	body := strings.SplitN(cp, "\n\n", 2)[0] + "\n"
	w, x := newWitness(t, "w.test/a"), newWitness(t, "w.test/b")
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	line := w.cosign(t, cp, ts)
	if got, err := VerifyCosignature(body, line, w.vkey); err != nil || !got.Equal(ts) {
		t.Errorf("VerifyCosignature = %v, %v; want %v", got, err, ts)
	}
	// The cosignature line of the C2SP tlog-cosignature example: key ID,
	// then the timestamp the example's signed message shows.
	ex, _ := base64.StdEncoding.DecodeString("jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==")
	if len(ex) != 4+8+64 || cosignatureTime(ex[4:]).Unix() != 1679315147 {
		t.Errorf("spec example: %d bytes, time %v", len(ex), cosignatureTime(ex[4:]))
	}
	for name, tc := range map[string][3]string{
		"other key":    {body, line, x.vkey},
		"other body":   {strings.Replace(body, "\n1\n", "\n2\n", 1), line, w.vkey},
		"log key":      {body, line, l.vkey},
		"garbage line": {body, "— w.test/a AAAA\n", w.vkey},
	} {
		if _, err := VerifyCosignature(tc[0], tc[1], tc[2]); err == nil {
			t.Errorf("%s: VerifyCosignature passed", name)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	w := []*witness{newWitness(t, "a.test"), newWitness(t, "b.test"), newWitness(t, "c.test"), newWitness(t, "d.test")}
	defs := "witness A " + w[0].vkey + "\nwitness B " + w[1].vkey + " https://b.test/\n\twitness C\t" + w[2].vkey + "   \nwitness D " + w[3].vkey + "\n"
	for _, tc := range []struct {
		policy  string
		signers []string
		want    bool
	}{
		{"quorum none\n", nil, true},
		{defs + "quorum A\n", []string{"A"}, true},
		{defs + "quorum A\n", []string{"B", "C"}, false},
		{defs + "group g any A B\nquorum g\n", []string{"B"}, true},
		{defs + "group g all A B\nquorum g\n", []string{"B"}, false},
		{defs + "group g 2 A B C\nquorum g\n", []string{"C", "A"}, true},
		{defs + "group g 2 A B C\nquorum g\n", []string{"C", "D", "x"}, false},
		{defs + "group x 2 A B C\ngroup y any D\ngroup xy all x y\nquorum xy\n", []string{"A", "B", "D"}, true},
		{defs + "group x 2 A B C\ngroup y any D\ngroup xy all x y\nquorum xy\n", []string{"A", "B", "C"}, false},
		{"# comment\n\n" + defs + "  # indented comment\ngroup g 1 A\nquorum g", []string{"A"}, true},
	} {
		p, err := ParsePolicy([]byte(tc.policy))
		if err != nil {
			t.Errorf("ParsePolicy(%q): %v", tc.policy, err)
			continue
		}
		if got := p.Satisfied(tc.signers); got != tc.want {
			t.Errorf("policy %q signers %v: Satisfied = %v; want %v", tc.policy, tc.signers, got, tc.want)
		}
	}
	l := newTestLog(t)
	for _, bad := range []string{
		"", defs, defs + "quorum Z\n", defs + "quorum A\nquorum B\n", "quorum A\n" + defs,
		defs + "group g 3 A B\nquorum g\n", defs + "group g 0 A\nquorum g\n", defs + "group g 01 A B\nquorum g\n",
		defs + "group g any A A\nquorum g\n", defs + "group A any B\nquorum A\n", defs + "witness none " + newWitness(t, "n").vkey + "\nquorum A\n",
		defs + "witness E " + w[0].vkey + "\nquorum A\n", "witness A " + l.vkey + "\nquorum A\n", "log " + w[0].vkey + "\nquorum none\n",
		"log " + l.vkey + "\nlog " + l.vkey + "\nquorum none\n", defs + "quorum A\x00\n", defs + "frobnicate A\nquorum A\n",
		defs + "group g\nquorum g\n",
	} {
		if _, err := ParsePolicy([]byte(bad)); err == nil || err.Error() == "" {
			t.Errorf("ParsePolicy(%q) passed", bad)
		}
	}
}

func TestParseBundleLimits(t *testing.T) {
	l := newTestLog(t)
	history(l)
	good := marshal(t, l.bundle("E-CHI-03-01"))
	for name, data := range map[string][]byte{
		"unknown field":  bytes.Replace(good, []byte(`"item"`), []byte(`"extra":1,"item"`), 1),
		"trailing data":  append(append([]byte{}, good...), []byte(" {}")...),
		"wrong format":   bytes.Replace(good, []byte(FormatV1), []byte("custodia-bundle/v2"), 1),
		"not json":       []byte("{"),
		"no events":      []byte(`{"format":"custodia-bundle/v1","item":"E","public_key":"","checkpoint":"","events":[]}`),
		"too large":      make([]byte, MaxBundleSize+1),
		"short hash":     []byte(`{"format":"custodia-bundle/v1","item":"E","public_key":"","checkpoint":"","events":[{"index":0,"event":"","proof":["AAAA"]}]}`),
		"too many proof": []byte(`{"format":"custodia-bundle/v1","item":"E","public_key":"","checkpoint":"","events":[{"index":0,"event":"","proof":[` + strings.Repeat(`"",`, MaxProofHashes) + `""]}]}`),
		"negative index": []byte(`{"format":"custodia-bundle/v1","item":"E","public_key":"","checkpoint":"","events":[{"index":-1,"event":"","proof":[]}]}`),
	} {
		e := mustFail(t, data, Options{})
		if e.Check != CheckBundle {
			t.Errorf("%s: %v", name, e)
		}
	}
}

func TestParseCheckpoint(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	good := "custodia.test/log\n42\n" + root + "\next one\n"
	c, err := ParseCheckpoint(good)
	if err != nil || c.Origin != "custodia.test/log" || c.Size != 42 || len(c.Extensions) != 1 || c.String() != good {
		t.Fatalf("ParseCheckpoint = %+v, %v", c, err)
	}
	for _, bad := range []string{"", "o\n1\n" + root, "\n1\n" + root + "\n", "o\n01\n" + root + "\n", "o\n-1\n" + root + "\n",
		"o\n1\nAAAA\n", "o\n1\n" + root + "\n\n", "o\n1\n" + strings.TrimSuffix(root, "=") + "\n", "o\n9223372036854775808\n" + root + "\n"} {
		if _, err := ParseCheckpoint(bad); err == nil {
			t.Errorf("ParseCheckpoint(%q) passed", bad)
		}
	}
}

func TestDerivedTransitively(t *testing.T) {
	l := newTestLog(t)
	l.add(custody.OpSeize, &custody.Seize{ID: "E-1", Case: "C-1", Type: "laptop", Description: "d", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-A"})
	l.add(custody.OpDerive, &custody.Derive{ID: "E-1-IMG", Parent: "E-1", Type: "forensic_image", Description: "d", At: "2023-09-12T06:00:00-05:00", By: "P-A"})
	l.other()
	l.add(custody.OpDerive, &custody.Derive{ID: "E-1-EXT", Parent: "E-1-IMG", Type: "extraction", Description: "d", At: "2023-09-12T07:00:00-05:00", By: "P-A"})
	l.add(custody.OpTransfer, &custody.Transfer{Item: "E-1-EXT", From: "P-A", To: "P-B", At: "2023-09-12T08:00:00-05:00", Purpose: "analysis", SealCondition: "none"})
	l.add(custody.OpDispose, &custody.Dispose{Item: "E-1-IMG", At: "2023-09-12T09:00:00-05:00", By: "P-A", Method: "destroyed"})
	res, err := Verify(marshal(t, l.bundle("E-1")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range res.Items {
		got = append(got, h.ID+"/"+h.Parent+"/"+h.Holder+"/"+strings.Repeat("disposed", btoi(h.Disposed)))
	}
	if want := "E-1//P-A/ E-1-IMG/E-1/P-A/disposed E-1-EXT/E-1-IMG/P-B/"; strings.Join(got, " ") != want {
		t.Errorf("items %q; want %q", strings.Join(got, " "), want)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestErrorMessages(t *testing.T) {
	e := fail(custody.ERule, CheckCustody, 12, "from", "%s no tiene la evidencia", "%s does not hold the item", "P-X")
	if got, want := e.Error(), `evento 12: campo "from": P-X no tiene la evidencia / event 12: field "from": P-X does not hold the item`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if got := fail(custody.EInvalid, CheckBundle, -1, "", "mal", "bad").Localized("en"); got != "bad" {
		t.Errorf("Localized = %q", got)
	}
	data, _ := json.Marshal(e)
	if !strings.Contains(string(data), `"index":12`) || !strings.Contains(string(data), `"message_en":"P-X does not hold the item"`) {
		t.Errorf("JSON %s", data)
	}
}

// TestPolicyKeysWithPlus: two witnesses whose keys' base64 holds '+' (at
// the end, even) are two keys, not one (keyMaterial once cut at the last
// '+', so such keys compared equal and the policy was refused at random).
func TestPolicyKeysWithPlus(t *testing.T) {
	var ws []*witness
	for len(ws) < 2 {
		w := newWitness(t, fmt.Sprintf("w%d.test", len(ws)))
		if strings.HasSuffix(w.vkey, "+") {
			ws = append(ws, w)
		}
	}
	policy := fmt.Sprintf("witness A %s\nwitness B %s\ngroup g 2 A B\nquorum g\n", ws[0].vkey, ws[1].vkey)
	if _, err := ParsePolicy([]byte(policy)); err != nil {
		t.Fatalf("two keys ending in '+': %v", err)
	}
}
