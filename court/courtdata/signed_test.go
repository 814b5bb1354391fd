package courtdata

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/court/caseuco"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// TestItemRecordSignatures: the court record says who signed each act and
// with which key (its fingerprint and kind), that imported acts carry no
// personal signature, and the PDF shows it in the document's language.
func TestItemRecordSignatures(t *testing.T) {
	d := fixture(t)
	ctx := context.Background()
	var holder string
	d.Ledger.View(func(st *domain.State) error { holder = st.Items["E-2-IMG"].Holder; return nil })
	giver, taker := testkeys.Passkey(holder, "custodia.example", false), testkeys.Ed25519("pn.1")
	by := custody.Recorded{At: "2026-11-21T10:00:00Z", Account: "admin"}
	at := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	tr := &custody.Transfer{Item: "E-2-IMG", From: holder, To: "pn.1", At: "2026-11-20T09:30:00-05:00", Purpose: "court", SealCondition: "none"}
	recs := []ledger.Record{
		{Op: custody.OpKeyRequest, Rec: giver.Request(at), Recorded: by}, {Op: custody.OpKeyApprove, Rec: giver.Approve(at), Recorded: by},
		{Op: custody.OpKeyRequest, Rec: taker.Request(at), Recorded: by}, {Op: custody.OpKeyApprove, Rec: taker.Approve(at), Recorded: by},
	}
	if res, _, err := d.Ledger.Append(ctx, recs); err != nil || res[0].Err != nil {
		t.Fatalf("keys: %v %v", err, res)
	}
	res, _, err := d.Ledger.Append(ctx, []ledger.Record{{Op: custody.OpTransfer, Rec: tr, Recorded: by,
		Sigs: []custody.Sig{giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr), taker.SignAct(custody.RoleTo, custody.OpTransfer, tr)}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("signed transfer: %v %v", err, res)
	}
	rec, err := Item(ctx, d.Ledger, d.PublicKey, "E-2", opts)
	if err != nil {
		t.Fatal(err)
	}
	var img *courtdoc.CustodyEvent
	for i := range rec.Events {
		if rec.Events[i].Leaf == res[0].Event.Seq {
			img = &rec.Events[i]
		}
	}
	if img == nil {
		// The derived item's own events live in its own record.
		drec, err := Item(ctx, d.Ledger, d.PublicKey, "E-2-IMG", opts)
		if err != nil {
			t.Fatal(err)
		}
		rec = drec
		for i := range rec.Events {
			if rec.Events[i].Leaf == res[0].Event.Seq {
				img = &rec.Events[i]
			}
		}
	}
	if img == nil || len(img.Signatures) != 2 || img.Imported {
		t.Fatalf("the signed handover in the record: %+v", img)
	}
	g, r := img.Signatures[0], img.Signatures[1]
	if g.Role != custody.RoleFrom || g.Officer != holder || !g.Passkey || g.Fingerprint != domain.Fingerprint(giver.ID()) ||
		r.Role != custody.RoleTo || r.Officer != "pn.1" || r.Passkey || r.Fingerprint != domain.Fingerprint(taker.ID()) {
		t.Errorf("signatures = %+v", img.Signatures)
	}
	if !rec.Events[0].Imported {
		t.Errorf("the imported first event is not marked imported: %+v", rec.Events[0])
	}

	for lang, wants := range map[string][]string{
		"es": {"Firmado por ambas partes: " + holder + " (llave de acceso " + domain.Fingerprint(giver.ID()) + ")", "pn.1 (clave de software " + domain.Fingerprint(taker.ID()) + ")", "no lleva firma personal: lo respalda el expediente en papel."},
		"en": {"Signed by both parties: " + holder + " (passkey " + domain.Fingerprint(giver.ID()) + ")", "carries no personal signature: the paper file stands behind it."},
	} {
		var b bytes.Buffer
		if err := courtdoc.WriteItemPDF(&b, rec, lang); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(pdfToText(t, b.Bytes())), " ")
		for _, w := range wants {
			if !strings.Contains(text, w) {
				t.Errorf("%s PDF lacks %q:\n%s", lang, w, text)
			}
		}
	}

	// The CASE/UCO export carries the signatures (a documented extension:
	// annotations tagged custodia:signature), and still conforms.
	cd, err := CaseUCO(ctx, d.Ledger, "C-1", "", EveryTarget)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := caseuco.Export(&buf, cd); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"custodia:sig-key=" + giver.ID(), "custodia:sig-alg=webauthn-es256", "custodia:sig-key=" + taker.ID(), "custodia:sig-alg=ed25519",
		"custodia:sig-role=from", "custodia:sig-role=to", "custodia:sig-authenticator-data=", "custodia:unsigned-imported"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("the CASE export lacks %q", w)
		}
	}
	shaclConforms(t, "c-1-signed.jsonld", buf.Bytes())
}
