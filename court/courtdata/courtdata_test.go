package courtdata

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/court/caseuco"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// smallCase has what Metastasis lacks: a seal that arrives broken and with
// another number, a reserved detainee whose rights were read late, and (added
// by accounts in fixture) attachments, a court presentation and a disposal.
const smallCase = `{"op": "agency.add", "id": "FGE", "name": "Fiscalía General del Estado", "kind": "prosecution"}
{"op": "agency.add", "id": "PN", "name": "Policía Nacional del Ecuador", "kind": "police"}
{"op": "agency.add", "id": "LAB", "name": "Laboratorio de Criminalística", "kind": "forensics"}
{"op": "officer.add", "id": "fge.1", "name": "Fiscal Cañizares", "agency": "FGE", "role": "prosecutor"}
{"op": "officer.add", "id": "pn.1", "name": "Agente Álex Núñez", "agency": "PN", "role": "agent"}
{"op": "officer.add", "id": "cust.1", "name": "Custodia Terán", "agency": "PN", "role": "custodian"}
{"op": "officer.add", "id": "lab.1", "name": "Perita Ibáñez", "agency": "LAB", "role": "forensic_analyst"}
{"op": "case.open", "id": "C-1", "title": "Caso Prueba", "at": "2024-03-01T08:00:00-05:00", "by": "fge.1", "summary": "Caso de prueba."}
{"op": "person.add", "id": "P-1", "case": "C-1", "name": "Testigo Protegido Ramírez", "roles": ["other"], "reserved": true}
{"op": "person.add", "id": "P-2", "case": "C-1", "name": "José Peña", "roles": ["business"]}
{"op": "operation.plan", "id": "OP-1", "case": "C-1", "name": "Operativo Prueba", "h_hour": "2024-03-02T05:00:00-05:00", "personnel": 12, "agencies": ["PN"], "at": "2024-03-01T09:00:00-05:00", "by": "fge.1"}
{"op": "site.add", "id": "S-1", "operation": "OP-1", "province": "Azuay", "city": "Cuenca", "kind": "office", "lead": "pn.1", "address": "Av. Solano 1-23", "warrant": "Orden 0042-2024"}
{"op": "site.add", "id": "S-2", "operation": "OP-1", "province": "Loja", "city": "Loja", "kind": "residence", "lead": "pn.1"}
{"op": "site.status", "site": "S-1", "status": "entered", "at": "2024-03-02T05:05:00-05:00", "by": "pn.1"}
{"op": "site.status", "site": "S-1", "status": "completed", "at": "2024-03-02T07:00:00-05:00", "by": "pn.1"}
{"op": "detention.record", "id": "D-1", "case": "C-1", "person": "P-1", "basis": "warrant", "arrested_at": "2024-03-02T05:10:00-05:00", "arrested_by": "pn.1", "site": "S-1", "rights_notified_at": "2024-03-02T06:40:00-05:00", "hearing_at": "2024-03-02T20:00:00-05:00"}
{"op": "detention.record", "id": "D-2", "case": "C-1", "person": "P-2", "basis": "flagrante", "arrested_at": "2024-03-02T05:20:00-05:00", "arrested_by": "pn.1", "site": "S-1", "rights_notified_at": "2024-03-02T05:25:00-05:00", "released_at": "2024-03-03T04:00:00-05:00"}
{"op": "evidence.seize", "id": "E-1", "case": "C-1", "type": "documents", "description": "Carpeta de contratos", "seized_at": "2024-03-02T05:30:00-05:00", "seized_by": "pn.1", "site": "S-1", "seal": "PN-1", "quantity": 3}
{"op": "evidence.seize", "id": "E-2", "case": "C-1", "type": "laptop", "description": "Computadora portátil", "seized_at": "2024-03-02T05:40:00-05:00", "seized_by": "pn.1", "site": "S-1", "seal": "PN-2"}
{"op": "custody.transfer", "item": "E-1", "from": "pn.1", "to": "cust.1", "at": "2024-03-02T12:00:00-05:00", "purpose": "storage", "seal_condition": "broken", "seal": "PN-9", "location": "Bodega de Cuenca"}
{"op": "custody.transfer", "item": "E-2", "from": "pn.1", "to": "lab.1", "at": "2024-03-02T12:30:00-05:00", "purpose": "analysis", "seal_condition": "intact", "seal": "PN-2", "location": "Laboratorio de Cuenca"}
{"op": "custody.open", "item": "E-2", "at": "2024-03-03T09:00:00-05:00", "by": "lab.1", "reason": "Extracción de disco"}
{"op": "evidence.derive", "id": "E-2-IMG", "parent": "E-2", "type": "forensic_image", "description": "Imagen del disco de E-2", "at": "2024-03-03T11:00:00-05:00", "by": "lab.1", "sha256": "1111111111111111111111111111111111111111111111111111111111111111", "size": 256060514304, "tool": "Adquisidor v2"}
{"op": "custody.seal", "item": "E-2", "seal": "PN-3", "at": "2024-03-03T12:00:00-05:00", "by": "lab.1"}
`

// fixture imports smallCase, then records through accounts what an officer
// would type later: two attachments (one by the analyst's own account, one
// by an administrator's), a court presentation and a disposal.
func fixture(t *testing.T) *deployment.Deployment {
	t.Helper()
	d := testdeploy.New(t, testdeploy.Clock(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)))
	testdeploy.Import(t, d, []byte(smallCase))
	ctx := context.Background()
	at := "2026-11-21T10:00:00Z"
	acc := func(name string) custody.Recorded { return custody.Recorded{At: at, Account: name} }
	recs := []ledger.Record{
		{Op: domain.OpAccountCreate, Rec: &domain.AccountCreate{Account: "ibanez", Name: "Perita Ibáñez", Role: "forensic_analyst", Officer: "lab.1"}, Recorded: acc("admin")},
		{Op: domain.OpAccountCreate, Rec: &domain.AccountCreate{Account: "admin", Name: "Administración", Role: "admin"}, Recorded: acc("admin")},
	}
	for _, line := range []string{
		`{"op": "evidence.attach", "item": "E-2", "name": "acta-apertura.pdf", "sha256": "2222222222222222222222222222222222222222222222222222222222222222", "size": 48213, "at": "2024-03-03T12:05:00-05:00", "by": "lab.1", "media_type": "application/pdf"}`,
		`{"op": "evidence.attach", "item": "E-2-IMG", "name": "registro-adquisición.txt", "sha256": "3333333333333333333333333333333333333333333333333333333333333333", "size": 912, "at": "2024-03-03T11:30:00-05:00", "by": "lab.1"}`,
		`{"op": "court.present", "item": "E-1", "at": "2024-04-10T10:00:00-05:00", "by": "cust.1", "hearing": "Audiencia preparatoria de juicio"}`,
		`{"op": "evidence.dispose", "item": "E-1", "at": "2024-05-01T10:00:00-05:00", "by": "cust.1", "method": "returned", "order": "Providencia 77"}`,
	} {
		op, rec, err := casefile.Decode([]byte(line))
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		who := "ibanez"
		if strings.Contains(line, "registro-adquisición") || op != custody.OpAttach {
			who = "admin"
		}
		recs = append(recs, ledger.Record{Op: op, Rec: rec, Recorded: acc(who)})
	}
	res, _, err := d.Ledger.Append(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
	}
	return d
}

// opts are the command line's: the operator sees every site's target.
var opts = Options{Lang: "es", Now: time.Date(2026, 11, 26, 18, 0, 0, 0, time.FixedZone("", -5*3600)), Targets: EveryTarget}

func TestItemRecord(t *testing.T) {
	d := fixture(t)
	ctx := context.Background()
	rec, err := Item(ctx, d.Ledger, d.PublicKey, "E-2", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Validate(); err != nil {
		t.Fatal(err)
	}
	ops := []string{"evidence.seize", "custody.transfer", "custody.open", "evidence.derive", "custody.seal", "evidence.attach"}
	if len(rec.Events) != len(ops) {
		t.Fatalf("%d events, want %d", len(rec.Events), len(ops))
	}
	for i, e := range rec.Events {
		if e.Op != ops[i] {
			t.Errorf("event %d is %s, want %s", i+1, e.Op, ops[i])
		}
		if i > 0 && e.Leaf <= rec.Events[i-1].Leaf {
			t.Errorf("event %d: leaf %d not after %d", i+1, e.Leaf, rec.Events[i-1].Leaf)
		}
	}
	seize, tr, attach := rec.Events[0], rec.Events[1], rec.Events[5]
	if seize.Place != "S-1 (Cuenca)" || seize.Seal != "PN-2" || seize.By.Name != "Agente Álex Núñez" || seize.At.Format(time.RFC3339) != "2024-03-02T05:40:00-05:00" {
		t.Errorf("seizure = %+v", seize)
	}
	if !strings.HasPrefix(seize.RecordedBy, "importación ") || !strings.HasSuffix(seize.RecordedBy, ", línea 19") {
		t.Errorf("seizure recorded by %q, want the import's line 19", seize.RecordedBy)
	}
	if tr.By.ID != "pn.1" || tr.To.ID != "lab.1" || tr.Purpose != "analysis" || tr.Place != "Laboratorio de Cuenca" || tr.Seal != "PN-2" || tr.SealCondition != "intact" {
		t.Errorf("transfer = %+v", tr)
	}
	// The analyst typed the attachment through her own account: no
	// "recorded by" actor to show besides her.
	if attach.RecordedBy != "lab.1" || attach.Reason != "acta-apertura.pdf" {
		t.Errorf("attachment event recorded by %q, reason %q", attach.RecordedBy, attach.Reason)
	}
	if len(rec.Attachments) != 1 || rec.Attachments[0].SHA256 != strings.Repeat("2", 64) || rec.Attachments[0].Size != 48213 ||
		rec.Attachments[0].MediaType != "application/pdf" || rec.Attachments[0].Leaf != attach.Leaf {
		t.Errorf("attachments = %+v", rec.Attachments)
	}
	if len(rec.Derived) != 1 || rec.Derived[0].ID != "E-2-IMG" || rec.Derived[0].SHA256 != strings.Repeat("1", 64) ||
		rec.Derived[0].Size != 256060514304 || rec.Derived[0].Tool != "Adquisidor v2" || rec.Derived[0].Leaf != rec.Events[3].Leaf {
		t.Errorf("derived = %+v", rec.Derived)
	}
	if rec.Holder.ID != "lab.1" || rec.Seal != "PN-3" || rec.Disposed {
		t.Errorf("holder %s seal %s disposed %v", rec.Holder.ID, rec.Seal, rec.Disposed)
	}
	if rec.Seizure.SiteDesc != "oficina, Cuenca, Azuay — Av. Solano 1-23" || rec.CaseTitle != "Caso Prueba" || !rec.Digital {
		t.Errorf("seizure %+v, case title %q, digital %v", rec.Seizure, rec.CaseTitle, rec.Digital)
	}
	cp, err := d.Ledger.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := rec.Verification
	if v.Checkpoint != string(cp.Note) || v.CheckpointSize != cp.Size || v.LogOrigin != d.Ledger.Origin() {
		t.Errorf("verification %+v, want the latest checkpoint (size %d)", v, cp.Size)
	}

	// The derived image: its attachment was typed by an administrator.
	img, err := Item(ctx, d.Ledger, d.PublicKey, "E-2-IMG", Options{Lang: "en", Now: opts.Now, Targets: EveryTarget})
	if err != nil {
		t.Fatal(err)
	}
	if img.Parent != "E-2" || img.SHA256 != strings.Repeat("1", 64) || img.Seizure.Place != "where E-2 was: Laboratorio de Cuenca" ||
		len(img.Events) != 2 || img.Events[0].Reason != "from E-2 (Adquisidor v2)" || img.Events[1].RecordedBy != "account admin" {
		t.Errorf("derived image record = %+v", img)
	}

	// The documents print.
	dir := artifacts(t)
	for name, r := range map[string]courtdoc.ItemRecord{"E-2": rec, "E-2-IMG": img} {
		var buf bytes.Buffer
		if err := courtdoc.WriteItemPDF(&buf, r, map[string]string{"E-2": "es", "E-2-IMG": "en"}[name]); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "item-"+name+".pdf"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestItemTargetWithheld: a reader who may not see the seizure site's
// target (Options.Targets false for it, or no Targets at all) gets the
// record without the site's address, told that it is withheld, in the
// structure and in the printed PDF; the rule is asked about that site, with
// the state the record is built from. One who may sees the address.
func TestItemTargetWithheld(t *testing.T) {
	d := fixture(t)
	ctx := context.Background()
	var asked []string
	deny := func(s *domain.State, site *domain.Site) bool {
		if s.Sites[site.ID] != site {
			t.Errorf("asked about site %s with another state", site.ID)
		}
		asked = append(asked, site.ID)
		return false
	}
	for _, c := range []struct {
		name, lang string
		targets    Targets
		desc       string
	}{
		{"denied", "es", deny, "oficina, Cuenca, Azuay — dirección reservada"},
		{"no reader", "en", nil, "office, Cuenca, Azuay — address withheld"},
		{"allowed", "es", EveryTarget, "oficina, Cuenca, Azuay — Av. Solano 1-23"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := Item(ctx, d.Ledger, d.PublicKey, "E-2", Options{Lang: c.lang, Now: opts.Now, Targets: c.targets})
			if err != nil {
				t.Fatal(err)
			}
			if rec.Seizure.SiteDesc != c.desc {
				t.Errorf("site = %q, want %q", rec.Seizure.SiteDesc, c.desc)
			}
			var b bytes.Buffer
			if err := courtdoc.WriteItemPDF(&b, rec, c.lang); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(strings.Fields(pdfToText(t, b.Bytes())), " ")
			if got, want := strings.Contains(text, "Solano"), c.targets != nil && c.name == "allowed"; got != want {
				t.Errorf("the PDF shows the address: %v, want %v:\n%s", got, want, text)
			}
		})
	}
	if strings.Join(asked, ",") != "S-1" {
		t.Errorf("the rule was asked about %v, want S-1", asked)
	}
}

// TestCaseUCOTargetWithheld: the CASE/UCO export of a reader who may not
// see a site's target has the site as a location without its address, and
// no warrant; it still conforms.
func TestCaseUCOTargetWithheld(t *testing.T) {
	d := fixture(t)
	for _, targets := range []Targets{nil, func(*domain.State, *domain.Site) bool { return false }} {
		cd, err := CaseUCO(context.Background(), d.Ledger, "C-1", "", targets)
		if err != nil {
			t.Fatal(err)
		}
		if len(cd.Sites) != 2 || len(cd.Warrants) != 0 {
			t.Errorf("sites %+v, warrants %+v: want both sites, no warrant", cd.Sites, cd.Warrants)
		}
		var buf bytes.Buffer
		if err := caseuco.Export(&buf, cd); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"Solano", "0042-2024"} {
			if strings.Contains(buf.String(), secret) {
				t.Errorf("the export holds %q", secret)
			}
		}
		if targets == nil {
			shaclConforms(t, "c-1-withheld.jsonld", buf.Bytes())
		}
	}
}

func TestItemAnomaliesAndDisposal(t *testing.T) {
	d := fixture(t)
	rec, err := Item(context.Background(), d.Ledger, d.PublicKey, "E-1", opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 4 {
		t.Fatalf("%d events, want 4", len(rec.Events))
	}
	tr, present, dispose := rec.Events[1], rec.Events[2], rec.Events[3]
	an := append([]string(nil), tr.Anomalies...)
	sort.Strings(an)
	if strings.Join(an, ",") != "seal_broken,seal_mismatch" || tr.SealCondition != "broken" || tr.Seal != "PN-9 (sello registrado: PN-1)" {
		t.Errorf("transfer anomalies %v, condition %s, seal %s", tr.Anomalies, tr.SealCondition, tr.Seal)
	}
	if present.Reason != "Audiencia preparatoria de juicio" || present.RecordedBy != "cuenta admin" {
		t.Errorf("presentation reason %q recorded by %q", present.Reason, present.RecordedBy)
	}
	if dispose.Reason != "devuelto, orden Providencia 77" || !rec.Disposed || rec.Seal != "" || rec.Quantity != 3 || rec.Digital {
		t.Errorf("disposal reason %q, disposed %v, seal %q, quantity %d, digital %v", dispose.Reason, rec.Disposed, rec.Seal, rec.Quantity, rec.Digital)
	}
	var buf bytes.Buffer
	if err := courtdoc.WriteItemPDF(&buf, rec, "es"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts(t), "item-E-1.pdf"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Item(context.Background(), d.Ledger, d.PublicKey, "E-NOPE", opts); err == nil || !strings.Contains(err.Error(), "E-NOPE") {
		t.Errorf("unknown item: %v", err)
	}
}

func TestLabels(t *testing.T) {
	d := fixture(t)
	lbs, err := Labels(d.Ledger, []string{"E-2", "E-1"})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := d.Ledger.ItemHistory(context.Background(), "E-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(lbs) != 2 || lbs[0].ItemID != "E-2" || lbs[0].Seal != "PN-3" || lbs[0].Type != "laptop" || lbs[0].Case != "C-1" ||
		lbs[0].Leaf != hist[len(hist)-1].Seq || lbs[0].LogOrigin != d.Ledger.Origin() || lbs[1].Seal != "" {
		t.Errorf("labels = %+v", lbs)
	}
	if _, err := Labels(d.Ledger, []string{"E-1", "E-NOPE"}); err == nil || !strings.Contains(err.Error(), "E-NOPE") {
		t.Errorf("unknown item: %v", err)
	}
}

func TestOperation(t *testing.T) {
	d := fixture(t)
	asOf := time.Date(2024, 3, 2, 7, 0, 0, 0, time.FixedZone("", -5*3600))
	r, err := Operation(d.Ledger, "OP-1", asOf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sites != 2 || r.SitesByProvinceStatus["Azuay"]["completed"] != 1 || r.SitesByProvinceStatus["Loja"]["planned"] != 1 || r.Personnel != 12 {
		t.Errorf("sites %d by province/status %v personnel %d", r.Sites, r.SitesByProvinceStatus, r.Personnel)
	}
	if len(r.DeadlineViolations) != 1 || r.DeadlineViolations[0].Person != courtdoc.ReservedIdentity || r.DeadlineViolations[0].Rule != "rights_notice_late" {
		t.Errorf("violations = %+v, want D-1's late rights under a reserved identity", r.DeadlineViolations)
	}
	var events []string
	for _, e := range r.Timeline {
		events = append(events, e.At.Format("15:04")+" "+e.Site+" "+e.Event)
	}
	want := []string{
		"05:05 S-1 Ingreso al sitio", "05:10 S-1 Detención D-1: identidad reservada (orden judicial)",
		"05:20 S-1 Detención D-2: José Peña (flagrancia)", "05:30 S-1 Incautación E-1: Carpeta de contratos",
		"05:40 S-1 Incautación E-2: Computadora portátil", "07:00 S-1 Allanamiento concluido",
	}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	// As of before the site was completed, its completion is not there.
	early, err := Operation(d.Ledger, "OP-1", asOf.Add(-time.Minute), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(early.Timeline) != len(want)-1 || len(early.CustodyAnomalies) != 0 {
		t.Errorf("timeline as of 06:59 has %d entries, want %d", len(early.Timeline), len(want)-1)
	}
	if _, err := Operation(d.Ledger, "OP-NOPE", asOf, opts); err == nil {
		t.Error("unknown operation accepted")
	}
	checkLogState(t, d, r.Log)
}

func TestDetentions(t *testing.T) {
	d := fixture(t)
	asOf := time.Date(2024, 3, 2, 12, 0, 0, 0, time.FixedZone("", -5*3600))
	rep, err := Detentions(d.Ledger, "C-1", asOf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rep.Rows))
	}
	d1, d2 := rep.Rows[0], rep.Rows[1]
	if d1.Detention != "D-1" || d1.Person != courtdoc.ReservedIdentity || d1.PersonID != "" || *d1.RightsMinutes != 90 ||
		strings.Join(d1.Violations, ",") != "rights_notice_late" || d1.RightsLimitMinutes != 60 || d1.HearingLimitMinutes != 1440 {
		t.Errorf("D-1 = %+v", d1)
	}
	// As of noon, the hearing at 20:00 and the release the next day have
	// not happened yet.
	if !d1.HearingAt.IsZero() || d1.HearingMinutes != nil || !d2.ReleasedAt.IsZero() || d2.HearingMinutes != nil {
		t.Errorf("acts after as-of are shown: D-1 hearing %v, D-2 release %v", d1.HearingAt, d2.ReleasedAt)
	}
	if d2.Person != "José Peña" || d2.PersonID != "P-2" || len(d2.Violations) != 0 || *d2.RightsMinutes != 5 {
		t.Errorf("D-2 = %+v", d2)
	}
	late, err := Detentions(d.Ledger, "C-1", asOf.Add(48*time.Hour), opts)
	if err != nil {
		t.Fatal(err)
	}
	// D-2: released 22 h 40 min after the arrest, within the 24 hours.
	if m := late.Rows[1].HearingMinutes; m == nil || *m != 1360 || len(late.Rows[1].Violations) != 0 {
		t.Errorf("D-2 later = %+v", late.Rows[1])
	}
	if _, err := Detentions(d.Ledger, "C-NOPE", asOf, opts); err == nil || !strings.Contains(err.Error(), "C-NOPE") {
		t.Errorf("unknown case: %v", err)
	}
	checkLogState(t, d, rep.Log)
}

// checkLogState: a report carries the log's signed checkpoint, which
// verifies with the log's key and covers every event of the log.
func checkLogState(t *testing.T, d *deployment.Deployment, s *courtdoc.LogState) {
	t.Helper()
	if s == nil {
		t.Fatal("the report carries no checkpoint")
	}
	if _, err := note.Open([]byte(s.Checkpoint), note.VerifierList(d.Ledger.Verifier())); err != nil {
		t.Errorf("the report's checkpoint does not verify: %v", err)
	}
	if s.Size != d.Ledger.Size() || s.Origin != d.Ledger.Origin() || !strings.Contains(s.Checkpoint, s.RootHash) {
		t.Errorf("log state %+v, log size %d origin %s", s, d.Ledger.Size(), d.Ledger.Origin())
	}
}

func TestCaseUCO(t *testing.T) {
	d := fixture(t)
	cd, err := CaseUCO(context.Background(), d.Ledger, "C-1", "", EveryTarget)
	if err != nil {
		t.Fatal(err)
	}
	if len(cd.Items) != 3 || cd.Items[2].ID != "E-2-IMG" || cd.Items[2].Parent != "E-2" || cd.Items[2].SHA256 != strings.Repeat("1", 64) {
		t.Errorf("items = %+v", cd.Items)
	}
	if len(cd.Warrants) != 1 || cd.Warrants[0].Identifier != "Orden 0042-2024" || cd.Warrants[0].Site != "S-1" || len(cd.Sites) != 2 || cd.Sites[0].Warrant != cd.Warrants[0].ID {
		t.Errorf("warrants %+v, sites %+v", cd.Warrants, cd.Sites)
	}
	var attach, derive int
	for i, e := range cd.Events {
		if i > 0 && e.Leaf <= cd.Events[i-1].Leaf {
			t.Errorf("event %d out of log order", i)
		}
		switch e.Op {
		case custody.OpAttach:
			attach++
			if len(e.FileSHA256) != 64 || e.FileSize <= 0 {
				t.Errorf("attachment %+v has no hash or size", e)
			}
		case custody.OpDerive:
			derive++
			if e.Item != "E-2" || e.Result != "E-2-IMG" {
				t.Errorf("derivation %+v", e)
			}
		}
	}
	// E-1: seizure, transfer, presentation, disposal; E-2: seizure,
	// transfer, opening, derivation, sealing, attachment; E-2-IMG: its
	// attachment (its derivation is E-2's).
	if len(cd.Events) != 11 || attach != 2 || derive != 1 {
		t.Errorf("%d events (%d attachments, %d derivations), want 11 (2, 1)", len(cd.Events), attach, derive)
	}
	if len(cd.Officers) != 3 || len(cd.Agencies) != 2 {
		t.Errorf("officers %+v agencies %+v: want those who acted (pn.1, cust.1, lab.1) and their agencies", cd.Officers, cd.Agencies)
	}
	var buf bytes.Buffer
	if err := caseuco.Export(&buf, cd); err != nil {
		t.Fatal(err)
	}
	shaclConforms(t, "c-1.jsonld", buf.Bytes())
}

// shaclConforms writes a CASE/UCO export to the test artifacts and fails
// unless the CASE SHACL shapes accept it.
func shaclConforms(t *testing.T, name string, export []byte) {
	t.Helper()
	path := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(path, export, 0o644); err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found on PATH: the SHACL validator needs Node.js (scripts/setup-courtdoc)")
	}
	out, err := exec.Command(node, filepath.Join(testdeploy.Root(t), "tools", "shacl", "validate.mjs"), path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "conforms: true") {
		t.Fatalf("%s does not conform (%v):\n%s", name, err, out)
	}
}

func artifacts(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testdeploy.Root(t), "test-artifacts", "courtdata")
	if env := os.Getenv("CUSTODIA_TEST_ARTIFACTS"); env != "" {
		dir = filepath.Join(env, "courtdata")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
