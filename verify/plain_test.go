package verify

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"golang.org/x/mod/sumdb/note"
)

// TestCheckWitnessesShortSignature: a signature line of a policy witness
// whose bytes are too short for a cosignature is refused with a clear
// error, not read past its end. (note.Open refuses such a line before
// checkWitnesses sees it; checkWitnesses does not rely on that.)
func TestCheckWitnessesShortSignature(t *testing.T) {
	w := newWitness(t, "judicatura.test/w")
	p, err := ParsePolicy([]byte("witness W1 " + w.vkey + "\nquorum W1\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := p.Witnesses[0].verifier
	for _, size := range []int{0, 4, 5, 11, 12, cosignatureSize - 1, cosignatureSize + 1} {
		sig := make([]byte, size)
		if size >= 4 {
			binary.BigEndian.PutUint32(sig, v.KeyHash())
		}
		n := &note.Note{Text: "x\n", Sigs: []note.Signature{{Name: v.Name(), Hash: v.KeyHash(), Base64: base64.StdEncoding.EncodeToString(sig)}}}
		var res *WitnessResult
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%d-byte signature: panic %v", size, r)
				}
			}()
			res, err = checkWitnesses(n, p, time.Now())
		}()
		var ve *Error
		if res != nil || !errors.As(err, &ve) || ve.Check != CheckPolicy || ve.Code != custody.EInvalid ||
			!strings.Contains(ve.MessageEN, "the cosignature of W1 is not an Ed25519 cosignature") || !strings.Contains(ve.Message, "no es una cofirma Ed25519") {
			t.Errorf("%d-byte signature: result %v, error %v", size, res, err)
		}
	}
	// Undecodable base64 is refused the same way.
	n := &note.Note{Text: "x\n", Sigs: []note.Signature{{Name: v.Name(), Hash: v.KeyHash(), Base64: "!!"}}}
	if _, err := checkWitnesses(n, p, time.Now()); err == nil || !strings.Contains(err.Error(), "not an Ed25519 cosignature") {
		t.Errorf("bad base64: %v", err)
	}
}

// TestCustodyRuleNames: the rule a message names is the one custody's error
// says, never guessed from the field; an error of no known rule says so.
func TestCustodyRuleNames(t *testing.T) {
	it := &custody.Item{ID: "E-1"}
	for rule, want := range map[string]string{
		custody.RuleDisposed: `"nothing after disposal"`, custody.RuleTimeOrder: `"time order"`,
		custody.RuleContinuity: `"continuity"`, custody.RuleSeals: `"seals"`,
	} {
		// The field is "at" every time: the rule does not come from it.
		ce := custody.Errorf(custody.ERule, "at", "es", "en")
		ce.Rule = rule
		var ve *Error
		if err := custodyRule(3, custody.OpOpen, it, ce); !errors.As(err, &ve) || !strings.Contains(ve.MessageEN, want) || ve.Field != "at" || ve.Index != 3 {
			t.Errorf("rule %s: %v; want %s", rule, err, want)
		}
	}
	var ve *Error
	err := custodyRule(3, custody.OpOpen, it, custody.Errorf(custody.ERule, "at", "algo", "something"))
	if !errors.As(err, &ve) || ve.MessageEN != "custody.open on E-1 breaks a custody rule: something" || ve.Code != custody.ERule {
		t.Errorf("no rule: %v", err)
	}
	err = custodyRule(3, custody.OpOpen, it, errors.New("plain"))
	if !errors.As(err, &ve) || ve.MessageEN != "plain" {
		t.Errorf("plain error: %v", err)
	}
}

// TestRuleOfEveryCustodyRefusal: through Verify, each refusal of custody's
// state machine is named by its rule, including those whose field does not
// hint at it (a receiver who is the giver; opening an unsealed item).
func TestRuleOfEveryCustodyRefusal(t *testing.T) {
	seize := &custody.Seize{ID: "E-1", Case: "C-1", Type: "laptop", Description: "portátil", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-A"}
	for _, tc := range []struct {
		name, op string
		rec      any
		field    string
		rule     string
	}{
		{"receiver is the giver", custody.OpTransfer, &custody.Transfer{Item: "E-1", From: "P-A", To: "P-A", At: "2023-09-12T06:00:00-05:00", Purpose: "storage", SealCondition: "none"}, "to", `"continuity"`},
		{"opening an unsealed item", custody.OpOpen, &custody.Open{Item: "E-1", At: "2023-09-12T06:00:00-05:00", By: "P-A", Reason: "r"}, "item", `"seals"`},
		{"seal number on an unsealed item", custody.OpTransfer, &custody.Transfer{Item: "E-1", From: "P-A", To: "P-B", At: "2023-09-12T06:00:00-05:00", Purpose: "storage", SealCondition: "none", Seal: "S-9"}, "seal", `"seals"`},
		{"attach by a non-holder", custody.OpAttach, &custody.Attach{Item: "E-1", Name: "a.pdf", SHA256: strings.Repeat("a", 64), Size: new(int64), At: "2023-09-12T06:00:00-05:00", By: "P-X"}, "by", `"continuity"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newTestLog(t)
			l.add(custody.OpSeize, seize)
			bad := l.add(tc.op, tc.rec)
			e := mustFail(t, marshal(t, l.bundle("E-1")), Options{})
			wantCheck(t, e, CheckCustody, bad, tc.field, "breaks the custody rule "+tc.rule)
		})
	}
}

// TestUnreadableRecord: a record that is not one of its op's is refused
// naming the field, in each language.
func TestUnreadableRecord(t *testing.T) {
	l := newTestLog(t)
	l.add(custody.OpSeize, &custody.Seize{ID: "E-1", Case: "C-1", Type: "laptop", Description: "portátil", SeizedAt: "2023-09-12T05:00:00-05:00", SeizedBy: "P-A"})
	bad := l.add(custody.OpTransfer, map[string]string{"item": "E-1", "colour": "red"})
	size := int64(len(l.events))
	b := &Bundle{Format: FormatV1, Item: "E-1", PublicKey: l.vkey, Checkpoint: l.checkpoint(size),
		Events: []BundleEvent{l.proven(0, size), l.proven(bad, size)}}
	e := mustFail(t, marshal(t, b), Options{})
	wantCheck(t, e, CheckCustody, bad, "record", "the event is not a readable custody event (custody.transfer): colour: unknown field")
	if !strings.Contains(e.Message, "(custody.transfer): colour: campo desconocido") {
		t.Errorf("Spanish message %q", e.Message)
	}
}

// TestParsePolicyConditions: the two compound conditions of ParsePolicy
// decide as written. DEL (0x7f) is a control character, tab and newline
// are not; and a second quorum line is refused even when it says "none",
// which needs no definition.
func TestParsePolicyConditions(t *testing.T) {
	w := newWitness(t, "a.test")
	for policy, ok := range map[string]bool{
		"quorum none\n":                                     true,
		"quorum\tnone\n":                                    true,
		"# a\x7f comment\nquorum none\n":                    false,
		"# a\x01 comment\nquorum none\n":                    false,
		"quorum none\r\n":                                   false,
		"quorum none\nquorum none\n":                        false,
		"witness A " + w.vkey + "\nquorum A\n":              true,
		"witness A " + w.vkey + "\nquorum A\nquorum none\n": false,
		"witness A " + w.vkey + "\nquorum none\nquorum A\n": false,
		"quorum A\nwitness A " + w.vkey + "\n":              false,
		"quorum B\n":                                        false,
	} {
		_, err := ParsePolicy([]byte(policy))
		if (err == nil) != ok {
			t.Errorf("ParsePolicy(%q) = %v; want ok %v", policy, err, ok)
		}
	}
}
