package httpapi

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// TestSignedHandoversThroughAPI is issue 14's API door: keys registered
// with a proof of possession and another person's approval; a transfer
// posted by the giver alone refused; both signatures recorded; a signature
// replayed on another act refused; a revoked key refused; a handover that
// waits for its receiver, accepted, withdrawn, or expired.
func TestSignedHandoversThroughAPI(t *testing.T) {
	e := newEnv(t)
	e.officer("cust.x", "custodian")
	e.officer("lab.x", "forensic_analyst")
	giverTok := e.token(e.account("custodio", "custodian", "cust.x", "METASTASIS").Account, "write")
	takerTok := e.token(e.account("perito", "forensic_analyst", "lab.x", "METASTASIS").Account, "write")
	adminTok := e.token(e.account("jefe", "admin", "").Account, "write")
	seize := func(id string) {
		e.append(ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: id, Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: "cust.x"}})
	}
	seize("SG-1")
	seize("SG-2")
	seize("SG-3")

	// Each officer registers their own key through the API; an
	// administrator approves it.
	giver, taker := testkeys.Ed25519("cust.x"), testkeys.Passkey("lab.x", "custodia.example", false)
	for _, c := range []struct {
		k   *testkeys.Key
		tok string
	}{{giver, giverTok}, {taker, takerTok}} {
		r := c.k.Request(testNow)
		body, _ := json.Marshal(KeyRequestBody{Alg: r.Alg, PublicKey: r.PublicKey, RPID: r.RPID, Label: "llave", Proof: r.Proof,
			ProofAuthenticatorData: r.ProofAuthenticatorData, ProofClientDataJSON: r.ProofClientDataJSON})
		if st, b := e.do("POST", "/api/v1/keys", c.tok, string(body)); st != 201 || !strings.Contains(string(b), c.k.ID()) {
			t.Fatalf("key request of %s: %d %s", c.k.Officer, st, b)
		}
		if st, b := e.do("POST", "/api/v1/keys/"+c.k.ID()+"/approve", c.tok, ""); st != 403 {
			t.Fatalf("%s approving their own key: %d %s, want 403", c.k.Officer, st, b)
		}
		if st, b := e.do("POST", "/api/v1/keys/"+c.k.ID()+"/approve", adminTok, ""); st != 200 {
			t.Fatalf("approval of %s's key: %d %s", c.k.Officer, st, b)
		}
	}
	if st, b := e.do("GET", "/api/v1/keys", takerTok, ""); st != 200 || !strings.Contains(string(b), `"status":"active"`) || strings.Contains(string(b), giver.ID()) {
		t.Errorf("the analyst's own keys: %d %s", st, b)
	}

	tr := &custody.Transfer{Item: "SG-1", From: "cust.x", To: "lab.x", At: "2024-06-01T10:00:00Z", Purpose: "analysis", SealCondition: "none"}
	post := func(tok string, t *custody.Transfer, g, r *testkeys.Key) (int, string) {
		st, b := e.do("POST", "/api/v1/items/"+t.Item+"/transfers", tok, signedTransfer(t, g, r))
		return st, string(b)
	}
	if st, b := post(giverTok, tr, giver, nil); st != 403 || !strings.Contains(b, "firma de quien recibe (lab.x)") || !strings.Contains(b, `"field":"sigs"`) {
		t.Errorf("a transfer signed by the giver alone: %d %s, want 403 naming the receiver's signature", st, b)
	}
	// The receiver's signature of another act (another item) replayed.
	other := *tr
	other.Item = "SG-2"
	replayed := *tr
	body := map[string]any{"from": tr.From, "to": tr.To, "at": tr.At, "purpose": tr.Purpose, "seal_condition": tr.SealCondition,
		"sigs": []custody.Sig{giver.SignAct(custody.RoleFrom, custody.OpTransfer, &replayed), taker.SignAct(custody.RoleTo, custody.OpTransfer, &other)}}
	bb, _ := json.Marshal(body)
	if st, b := e.do("POST", "/api/v1/items/SG-1/transfers", giverTok, string(bb)); st != 400 || !strings.Contains(string(b), `"message":"la firma de lab.x no corresponde a este acto: la aserción de la llave de acceso no es de este acto"`) {
		t.Errorf("a receiver's signature of another act: %d %s, want 400 saying why in Spanish", st, b)
	}
	if st, b := post(giverTok, tr, giver, taker); st != 201 {
		t.Fatalf("a transfer signed by both: %d %s", st, b)
	}
	var hist []struct {
		Op   string        `json:"op"`
		Sigs []custody.Sig `json:"sigs"`
	}
	_, hb := e.do("GET", "/api/v1/items/SG-1/history", giverTok, "")
	if err := json.Unmarshal(hb, &hist); err != nil || len(hist) == 0 || len(hist[len(hist)-1].Sigs) != 2 {
		t.Errorf("the history does not show both signatures: %v %s", err, hb)
	}

	// A handover that waits: offered by the giver, listed for the
	// receiver with what to sign, accepted with the receiver's signature.
	tr2 := &custody.Transfer{Item: "SG-2", From: "cust.x", To: "lab.x", At: "2024-06-01T11:00:00Z", Purpose: "analysis", SealCondition: "none"}
	st, b := e.do("POST", "/api/v1/items/SG-2/handovers", giverTok, signedTransfer(tr2, giver, nil))
	if st != 201 {
		t.Fatalf("offer: %d %s", st, b)
	}
	var offer struct{ Handover string }
	json.Unmarshal(b, &offer)
	var pending struct {
		Handovers []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Digest string `json:"digest"`
		} `json:"handovers"`
	}
	_, pb := e.do("GET", "/api/v1/handovers?pending=1", takerTok, "")
	json.Unmarshal(pb, &pending)
	_, d, _ := actDigestOf(tr2)
	if len(pending.Handovers) != 1 || pending.Handovers[0].ID != offer.Handover || pending.Handovers[0].Digest != d {
		t.Fatalf("the receiver's pending list: %s (want %s with digest %s)", pb, offer.Handover, d)
	}
	accept := func(tok, id string, sig custody.Sig) (int, string) {
		sb, _ := json.Marshal(Accept{Sig: sig})
		st, b := e.do("POST", "/api/v1/handovers/"+id+"/accept", tok, string(sb))
		return st, string(b)
	}
	if st, b := accept(giverTok, offer.Handover, giver.SignAct(custody.RoleTo, custody.OpTransfer, tr2)); st != 403 {
		t.Errorf("the giver accepting their own offer: %d %s", st, b)
	}
	if st, b := accept(takerTok, offer.Handover, taker.SignAct(custody.RoleTo, custody.OpTransfer, tr)); st != 400 {
		t.Errorf("accepting with a signature of another act: %d %s", st, b)
	}
	if st, b := accept(takerTok, offer.Handover, taker.SignAct(custody.RoleTo, custody.OpTransfer, tr2)); st != 201 {
		t.Fatalf("accepting: %d %s", st, b)
	}
	if st, b := accept(takerTok, offer.Handover, taker.SignAct(custody.RoleTo, custody.OpTransfer, tr2)); st != 409 {
		t.Errorf("accepting twice: %d %s", st, b)
	}

	// Withdrawn, and expired.
	tr3 := &custody.Transfer{Item: "SG-3", From: "cust.x", To: "lab.x", At: "2024-06-01T11:30:00Z", Purpose: "analysis", SealCondition: "none"}
	_, b = e.do("POST", "/api/v1/items/SG-3/handovers", giverTok, signedTransfer(tr3, giver, nil))
	json.Unmarshal(b, &offer)
	if st, b := e.do("POST", "/api/v1/handovers/"+offer.Handover+"/withdraw", takerTok, `{"reason":"no"}`); st != 403 {
		t.Errorf("the receiver withdrawing: %d %s", st, b)
	}
	if st, b := e.do("POST", "/api/v1/handovers/"+offer.Handover+"/withdraw", giverTok, `{"reason":"cambio de perito"}`); st != 200 {
		t.Fatalf("withdrawal: %d %s", st, b)
	}
	if st, b := accept(takerTok, offer.Handover, taker.SignAct(custody.RoleTo, custody.OpTransfer, tr3)); st != 409 || !strings.Contains(b, "withdrawn") {
		t.Errorf("accepting a withdrawn offer: %d %s", st, b)
	}
	body2 := strings.TrimSuffix(signedTransfer(tr3, giver, nil), "}") + `,"wait_minutes":1}`
	_, b = e.do("POST", "/api/v1/items/SG-3/handovers", giverTok, body2)
	json.Unmarshal(b, &offer)
	e.now = e.now.Add(2 * time.Minute)
	setNow(e, e.now)
	if st, b := accept(takerTok, offer.Handover, taker.SignAct(custody.RoleTo, custody.OpTransfer, tr3)); st != 422 || !strings.Contains(b, "venció") {
		t.Errorf("accepting an expired offer: %d %s", st, b)
	}

	// Revoked: the receiver's key signs nothing after its revocation.
	if st, b := e.do("POST", "/api/v1/keys/"+taker.ID()+"/revoke", takerTok, `{"reason":"teléfono perdido"}`); st != 200 {
		t.Fatalf("revocation: %d %s", st, b)
	}
	back := &custody.Transfer{Item: "SG-1", From: "lab.x", To: "cust.x", At: "2024-06-01T12:00:00Z", Purpose: "storage", SealCondition: "none"}
	if st, b := post(takerTok, back, taker, giver); st != 403 || !strings.Contains(b, "no está vigente") {
		t.Errorf("a revoked key's signature: %d %s, want 403", st, b)
	}
}

// actDigestOf is the hex digest a receiver signs for t.
func actDigestOf(t *custody.Transfer) ([]byte, string, error) {
	body, d, err := app.ActDigest(custody.OpTransfer, t)
	return body, hex.EncodeToString(d[:]), err
}

// TestHandoverOnlyToWhoSeesTheItem: an offer to an officer none of whose
// accounts may see the item (not a member of its case, or no account at
// all) is refused, naming the receiver, and nothing is logged: it could
// never be accepted, and the receiver's list would show the item's id,
// record and digest. An offer made while the receiver was a member leaves
// the receiver's list once their access to the case is revoked.
func TestHandoverOnlyToWhoSeesTheItem(t *testing.T) {
	e := newEnv(t)
	for _, o := range []string{"cust.x", "lab.out", "lab.in", "lab.nobody"} {
		e.officer(o, map[bool]string{true: "custodian", false: "forensic_analyst"}[o == "cust.x"])
	}
	giverTok := e.token(e.account("custodio", "custodian", "cust.x", "METASTASIS").Account, "write")
	outTok := e.token(e.account("ajeno", "forensic_analyst", "lab.out").Account, "write")
	inTok := e.token(e.account("perito", "forensic_analyst", "lab.in", "METASTASIS").Account, "write")
	e.append(ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "SG-1", Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: "cust.x"}})
	giver := testkeys.Ed25519("cust.x")
	e.enrol(giver)
	offer := func(to string) (int, string) {
		tr := &custody.Transfer{Item: "SG-1", From: "cust.x", To: to, At: "2024-06-01T10:00:00Z", Purpose: "analysis", SealCondition: "none"}
		st, b := e.do("POST", "/api/v1/items/SG-1/handovers", giverTok, signedTransfer(tr, giver, nil))
		return st, string(b)
	}
	pending := func(tok string) string {
		_, b := e.do("GET", "/api/v1/handovers?pending=1", tok, "")
		return string(b)
	}
	for _, to := range []string{"lab.out", "lab.nobody"} {
		before := e.d.Ledger.Size()
		if st, b := offer(to); st != 422 || !strings.Contains(b, "quien recibe ("+to+") no tiene una cuenta con acceso") || !strings.Contains(b, `"field":"to"`) {
			t.Errorf("an offer to %s: %d %s, want 422 naming the receiver", to, st, b)
		}
		if e.d.Ledger.Size() != before {
			t.Errorf("the refused offer to %s was logged", to)
		}
	}
	if b := pending(outTok); strings.Contains(b, "SG-1") {
		t.Errorf("the non-member's pending list shows the item: %s", b)
	}
	// To a member: offered and listed; after the receiver's access ends,
	// no longer listed for them (the giver still sees it).
	if st, b := offer("lab.in"); st != 201 {
		t.Fatalf("an offer to a member: %d %s", st, b)
	}
	if b := pending(inTok); !strings.Contains(b, `"item":"SG-1"`) {
		t.Fatalf("the member's pending list lacks the offer: %s", b)
	}
	e.append(ledger.Record{Op: domain.OpGrantRevoke, Rec: &domain.GrantRevoke{Case: "METASTASIS", Account: "perito"}})
	if b := pending(inTok); strings.Contains(b, "SG-1") {
		t.Errorf("the pending list of a receiver no longer a member shows the item: %s", b)
	}
	if b := pending(giverTok); !strings.Contains(b, `"item":"SG-1"`) {
		t.Errorf("the giver's pending list lacks the offer: %s", b)
	}
}
