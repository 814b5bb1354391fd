package domain_test

import (
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/custody"
)

// ruleCase is one rule test: the setup records (all accepted) on top of the
// prelude, then r, which must give code on field ("" = accepted); check, when
// set, looks at the state afterwards.
type ruleCase struct {
	name        string
	setup       []rec
	r           rec
	code, field string
	check       func(t *testing.T, h *harness)
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := prelude(t, c.setup...)
			h.expect(c.r.line(), c.code, c.field)
			if c.check != nil && !t.Failed() {
				c.check(t, h)
			}
		})
	}
}

func status(site, st, at string) rec {
	return rec{"op": "site.status", "site": site, "status": st, "at": T + at + "-05:00", "by": "o1"}
}

func TestSiteStatusOrder(t *testing.T) {
	// S1 is en_route (prelude), S2 planned.
	var cases []ruleCase
	cases = append(cases,
		ruleCase{name: "forward en_route→entered", r: status("S1", "entered", "07:00:00"), check: siteIs("S1", "entered")},
		ruleCase{name: "skip en_route→completed", r: status("S1", "completed", "07:00:00"), check: siteIs("S1", "completed")},
		ruleCase{name: "skip planned→secured", r: status("S2", "secured", "07:00:00"), check: siteIs("S2", "secured")},
		ruleCase{name: "planned→completed", r: status("S2", "completed", "07:00:00"), check: siteIs("S2", "completed")},
		ruleCase{name: "equal en_route→en_route", r: status("S1", "en_route", "07:00:00"), code: custody.ERule, field: "status"},
		ruleCase{name: "backwards secured→entered", setup: []rec{status("S1", "secured", "07:00:00")}, r: status("S1", "entered", "08:00:00"), code: custody.ERule, field: "status"},
		ruleCase{name: "backwards secured→en_route", setup: []rec{status("S1", "secured", "07:00:00")}, r: status("S1", "en_route", "08:00:00"), code: custody.ERule, field: "status"},
		ruleCase{name: "equal secured→secured", setup: []rec{status("S1", "secured", "07:00:00")}, r: status("S1", "secured", "08:00:00"), code: custody.ERule, field: "status"},
		ruleCase{name: "status of a site not yet added", r: status("S9", "entered", "07:00:00"), code: custody.EReference, field: "site"},
		ruleCase{name: "by a person, not an officer", r: status("S1", "entered", "07:00:00").with("by", "P1"), code: custody.EReference, field: "by"},
	)
	// aborted from every non-final status.
	for _, from := range []string{"planned", "en_route", "entered", "secured"} {
		var setup []rec
		site := "S2"
		if from != "planned" {
			setup = []rec{status(site, from, "07:00:00")}
		}
		cases = append(cases, ruleCase{name: "aborted from " + from, setup: setup, r: status(site, "aborted", "08:00:00"), check: siteIs(site, "aborted")})
	}
	// Nothing after a final status.
	for _, final := range []string{"completed", "aborted"} {
		for _, next := range []string{"en_route", "entered", "secured", "completed", "aborted"} {
			cases = append(cases, ruleCase{name: "after " + final + "→" + next, setup: []rec{status("S1", final, "07:00:00")},
				r: status("S1", next, "08:00:00"), code: custody.ERule, field: "status"})
		}
	}
	runRules(t, cases)
}

func siteIs(site, want string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		if got := h.row("sites", site)["status"]; got != want {
			t.Errorf("site %s status = %v, want %s", site, got, want)
		}
		if got := h.st.Sites[site].Current(); got != want {
			t.Errorf("site %s Current() = %s, want %s", site, got, want)
		}
	}
}

func TestDetentions(t *testing.T) {
	upd := func(kv ...any) rec {
		return rec{"op": "detention.update", "detention": "D1", "at": "2023-12-20T10:00:00-05:00", "by": "o1"}.with(kv...)
	}
	det := rec{"op": "detention.record", "id": "D9", "case": "C1", "person": "P2", "basis": "warrant", "arrested_at": T + "08:00:00-05:00", "arrested_by": "o1"}
	before := T + "07:59:59-05:00"
	// The same instant as the arrest (08:00 -05:00), written in UTC.
	sameInstant := T + "13:00:00Z"
	earlierInOtherZone := T + "12:59:00Z"
	cases := []ruleCase{
		{name: "update none of three", r: upd(), code: custody.EInvalid, field: "rights_notified_at"},
		{name: "update rights", r: upd("rights_notified_at", T+"07:00:00-05:00"), check: detIs("D1", "rights_notified_at", T+"07:00:00-05:00")},
		{name: "update hearing", r: upd("hearing_at", "2023-12-15T06:00:00-05:00"), check: detIs("D1", "hearing_at", "2023-12-15T06:00:00-05:00")},
		{name: "update released", r: upd("released_at", "2023-12-15T06:00:00-05:00"), check: detIs("D1", "released_at", "2023-12-15T06:00:00-05:00")},
		{name: "update all three", r: upd("rights_notified_at", T+"06:31:00-05:00", "hearing_at", "2023-12-15T06:00:00-05:00", "released_at", "2023-12-15T07:00:00-05:00"),
			check: func(t *testing.T, h *harness) {
				detIs("D1", "rights_notified_at", T+"06:31:00-05:00")(t, h)
				detIs("D1", "hearing_at", "2023-12-15T06:00:00-05:00")(t, h)
				detIs("D1", "released_at", "2023-12-15T07:00:00-05:00")(t, h)
			}},
		{name: "update at the arrest instant", r: upd("rights_notified_at", T+"06:30:00-05:00")},
		{name: "update rights twice", setup: []rec{upd("rights_notified_at", T+"07:00:00-05:00")}, r: upd("rights_notified_at", T+"07:00:00-05:00"), code: custody.ERule, field: "rights_notified_at"},
		{name: "update hearing twice", setup: []rec{upd("hearing_at", "2023-12-15T06:00:00-05:00")}, r: upd("hearing_at", "2023-12-15T07:00:00-05:00"), code: custody.ERule, field: "hearing_at"},
		{name: "update released twice", setup: []rec{upd("released_at", "2023-12-15T06:00:00-05:00")}, r: upd("released_at", "2023-12-15T07:00:00-05:00"), code: custody.ERule, field: "released_at"},
		{name: "update a field set at record time", setup: []rec{det.with("rights_notified_at", T+"08:05:00-05:00")},
			r: upd("detention", "D9", "rights_notified_at", T+"08:10:00-05:00"), code: custody.ERule, field: "rights_notified_at"},
		{name: "update another field after one set", setup: []rec{upd("rights_notified_at", T+"07:00:00-05:00")}, r: upd("hearing_at", "2023-12-15T06:00:00-05:00")},
		{name: "update rights before arrest", r: upd("rights_notified_at", T+"06:29:59-05:00"), code: custody.ERule, field: "rights_notified_at"},
		{name: "update hearing before arrest", r: upd("hearing_at", T+"06:00:00-05:00"), code: custody.ERule, field: "hearing_at"},
		{name: "update released before arrest", r: upd("released_at", "2023-12-13T23:00:00-05:00"), code: custody.ERule, field: "released_at"},
		{name: "update before arrest in another zone", r: upd("rights_notified_at", T+"11:29:00Z"), code: custody.ERule, field: "rights_notified_at"},
		{name: "update one good one before arrest", r: upd("rights_notified_at", T+"07:00:00-05:00", "hearing_at", T+"06:00:00-05:00"), code: custody.ERule, field: "hearing_at"},
		{name: "update one twice one new", setup: []rec{upd("hearing_at", "2023-12-15T06:00:00-05:00")},
			r: upd("rights_notified_at", T+"07:00:00-05:00", "hearing_at", "2023-12-15T06:00:00-05:00"), code: custody.ERule, field: "hearing_at"},
		{name: "update unknown detention", r: upd("detention", "D-NONE", "rights_notified_at", T+"07:00:00-05:00"), code: custody.EReference, field: "detention"},
		{name: "update time without offset", r: upd("hearing_at", "2023-12-15T06:00:00"), code: custody.EInvalid, field: "hearing_at"},

		{name: "record rights before arrest", r: det.with("rights_notified_at", before), code: custody.ERule, field: "rights_notified_at"},
		{name: "record hearing before arrest", r: det.with("hearing_at", before), code: custody.ERule, field: "hearing_at"},
		{name: "record released before arrest", r: det.with("released_at", before), code: custody.ERule, field: "released_at"},
		{name: "record rights at the arrest instant, other zone", r: det.with("rights_notified_at", sameInstant)},
		{name: "record rights before, other zone", r: det.with("rights_notified_at", earlierInOtherZone), code: custody.ERule, field: "rights_notified_at"},
		{name: "record person of another case", r: det.with("person", "PX"), code: custody.EReference, field: "person"},
		{name: "record operation of another case", r: det.with("operation", "OPX"), code: custody.EReference, field: "operation"},
		{name: "record site of another case", r: det.with("site", "SX"), code: custody.EReference, field: "site"},
		{name: "record by a person", r: det.with("arrested_by", "P1"), code: custody.EReference, field: "arrested_by"},
		{name: "record the same person twice", r: det.with("person", "P1"), check: func(t *testing.T, h *harness) {
			if len(h.st.Detentions) != 2 {
				t.Errorf("%d detentions, want 2", len(h.st.Detentions))
			}
		}},
	}
	runRules(t, cases)
}

func detIs(id, col, want string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		if got := h.row("detentions", id)[col]; got != want {
			t.Errorf("detention %s %s = %v, want %s", id, col, got, want)
		}
	}
}

// itemIs checks an item's holder, seal and disposal, in memory and in its
// projected row.
func itemIs(id, holder, seal string, disposed bool) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		it := h.st.Items[id]
		if it == nil {
			t.Fatalf("no item %s", id)
		}
		if it.Holder != holder || it.Seal != seal || it.Disposed != disposed {
			t.Errorf("item %s: holder %q seal %q disposed %v, want %q %q %v", id, it.Holder, it.Seal, it.Disposed, holder, seal, disposed)
		}
		row := h.row("items", id)
		d := int64(0)
		if disposed {
			d = 1
		}
		if row["holder"] != holder || row["seal"] != seal || row["disposed"] != d {
			t.Errorf("items row %s: holder %v seal %v disposed %v", id, row["holder"], row["seal"], row["disposed"])
		}
	}
}

func anomaliesAre(id string, want ...string) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		var got []string
		for _, a := range h.st.Items[id].Anomalies {
			got = append(got, a.Kind)
		}
		var rows []string
		for _, r := range h.st.AllRows("anomalies") {
			if r[2] == id {
				rows = append(rows, r[1].(string))
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") && !sameSet(got, want) {
			t.Errorf("item %s anomalies %v, want %v", id, got, want)
		}
		if !sameSet(rows, want) {
			t.Errorf("anomalies rows of %s: %v, want %v", id, rows, want)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func both(fs ...func(*testing.T, *harness)) func(*testing.T, *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		for _, f := range fs {
			f(t, h)
		}
	}
}

func TestCustodyTransfer(t *testing.T) {
	tr := func(kv ...any) rec {
		return rec{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": T + "10:00:00-05:00", "purpose": "storage", "seal_condition": "intact"}.with(kv...)
	}
	tr2 := func(kv ...any) rec { return tr("item", "E2", "seal_condition", "none").with(kv...) }
	dispose := rec{"op": "evidence.dispose", "item": "E1", "at": T + "09:00:00-05:00", "by": "o1", "method": "returned"}
	cases := []ruleCase{
		{name: "sealed intact", r: tr(), check: both(itemIs("E1", "o2", "SEAL-1", false), anomaliesAre("E1"))},
		{name: "sealed intact, matching seal", r: tr("seal", "SEAL-1"), check: both(itemIs("E1", "o2", "SEAL-1", false), anomaliesAre("E1"))},
		{name: "unsealed none", r: tr2(), check: both(itemIs("E2", "o2", "", false), anomaliesAre("E2"))},
		{name: "from not the holder", r: tr("from", "o2", "to", "o3"), code: custody.ERule, field: "from"},
		{name: "from unknown", r: tr("from", "o-none"), code: custody.ERule, field: "from"},
		{name: "to equals from", r: tr("to", "o1"), code: custody.ERule, field: "to"},
		{name: "to a person, not an officer", r: tr("to", "P1"), code: custody.EReference, field: "to"},
		{name: "to unknown", r: tr("to", "nobody"), code: custody.EReference, field: "to"},
		{name: "disposed item", setup: []rec{dispose}, r: tr(), code: custody.ERule, field: "item"},
		{name: "sealed with none", r: tr("seal_condition", "none"), code: custody.ERule, field: "seal_condition"},
		{name: "unsealed with intact", r: tr2("seal_condition", "intact"), code: custody.ERule, field: "seal_condition"},
		{name: "unsealed with broken", r: tr2("seal_condition", "broken"), code: custody.ERule, field: "seal_condition"},
		{name: "seal given for an unsealed item", r: tr2("seal", "SEAL-X"), code: custody.ERule, field: "seal"},
		{name: "seal_condition outside the set", r: tr("seal_condition", "damaged"), code: custody.EInvalid, field: "seal_condition"},
		{name: "seal_broken", r: tr("seal_condition", "broken"), check: both(itemIs("E1", "o2", "", false), anomaliesAre("E1", custody.AnomalySealBroken))},
		{name: "seal_broken with the matching seal", r: tr("seal_condition", "broken", "seal", "SEAL-1"), check: both(itemIs("E1", "o2", "", false), anomaliesAre("E1", custody.AnomalySealBroken))},
		{name: "after seal_broken the item is unsealed", setup: []rec{tr("seal_condition", "broken")}, r: tr("from", "o2", "to", "o1", "at", T+"11:00:00-05:00"),
			code: custody.ERule, field: "seal_condition"},
		{name: "after seal_broken none is accepted", setup: []rec{tr("seal_condition", "broken")}, r: tr("from", "o2", "to", "o1", "at", T+"11:00:00-05:00", "seal_condition", "none"),
			check: both(itemIs("E1", "o1", "", false), anomaliesAre("E1", custody.AnomalySealBroken))},
		{name: "seal_mismatch", r: tr("seal", "SEAL-2"), check: both(itemIs("E1", "o2", "SEAL-1", false), anomaliesAre("E1", custody.AnomalySealMismatch))},
		{name: "seal_broken and seal_mismatch", r: tr("seal_condition", "broken", "seal", "SEAL-2"),
			check: both(itemIs("E1", "o2", "", false), anomaliesAre("E1", custody.AnomalySealBroken, custody.AnomalySealMismatch))},
		{name: "anomalies accumulate", setup: []rec{tr("seal", "SEAL-2")}, r: tr("from", "o2", "to", "o1", "at", T+"11:00:00-05:00", "seal_condition", "broken"),
			check: both(itemIs("E1", "o1", "", false), anomaliesAre("E1", custody.AnomalySealMismatch, custody.AnomalySealBroken))},
		{name: "earlier than the previous event", r: tr("at", T+"06:59:59-05:00"), code: custody.ERule, field: "at"},
		{name: "earlier, in another zone", r: tr("at", T+"11:59:00Z"), code: custody.ERule, field: "at"},
		{name: "same instant as the previous event", r: tr("at", T+"07:00:00-05:00"), check: itemIs("E1", "o2", "SEAL-1", false)},
		{name: "same instant, other zone", r: tr("at", T+"12:00:00Z"), check: itemIs("E1", "o2", "SEAL-1", false)},
		{name: "unknown item", r: tr("item", "E-NONE"), code: custody.EReference, field: "item"},
		{name: "chain of two", setup: []rec{tr()}, r: tr("from", "o2", "to", "o3", "at", T+"12:00:00-05:00"), check: itemIs("E1", "o3", "SEAL-1", false)},
		{name: "the previous holder cannot hand it on", setup: []rec{tr()}, r: tr("from", "o1", "to", "o3", "at", T+"12:00:00-05:00"), code: custody.ERule, field: "from"},
	}
	runRules(t, cases)

	// A seal_mismatch is recorded at the transfer's time as given.
	t.Run("anomaly row", func(t *testing.T) {
		h := prelude(t)
		h.must(tr("seal", "SEAL-2", "at", T+"15:00:00Z").line())
		rows := h.st.AllRows("anomalies")
		if len(rows) != 1 || rows[0][1] != custody.AnomalySealMismatch || rows[0][2] != "E1" || rows[0][3] != T+"15:00:00Z" {
			t.Errorf("anomalies rows = %v", rows)
		}
	})
}

func TestOpenSealDeriveAttachPresentDispose(t *testing.T) {
	at := func(hms string) string { return T + hms + "-05:00" }
	open := rec{"op": "custody.open", "item": "E1", "at": at("08:00:00"), "by": "o1", "reason": "Peritaje"}
	seal := rec{"op": "custody.seal", "item": "E2", "seal": "SEAL-2", "at": at("08:00:00"), "by": "o1"}
	derive := rec{"op": "evidence.derive", "id": "E1-IMG", "parent": "E1", "type": "forensic_image", "description": "Imagen", "at": at("08:00:00"), "by": "o1"}
	attach := rec{"op": "evidence.attach", "item": "E1", "name": "acta.pdf", "sha256": strings.Repeat("0f", 32), "size": 12345, "at": at("08:00:00"), "by": "o1"}
	present := rec{"op": "court.present", "item": "E1", "at": at("08:00:00"), "by": "o1", "hearing": "Audiencia"}
	dispose := rec{"op": "evidence.dispose", "item": "E1", "at": at("08:00:00"), "by": "o1", "method": "destroyed"}
	toO2 := rec{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": at("07:30:00"), "purpose": "analysis", "seal_condition": "intact"}
	later := func(r rec) rec {
		if _, ok := r["at"]; ok {
			return r.with("at", at("09:00:00"))
		}
		return r
	}
	cases := []ruleCase{
		{name: "open", r: open, check: itemIs("E1", "o1", "", false)},
		{name: "open not holder", r: open.with("by", "o2"), code: custody.ERule, field: "by"},
		{name: "open by unknown officer", r: open.with("by", "o-none"), code: custody.ERule, field: "by"},
		{name: "open unsealed", r: open.with("item", "E2"), code: custody.ERule, field: "item"},
		{name: "open twice", setup: []rec{open}, r: later(open), code: custody.ERule, field: "item"},
		{name: "open earlier than previous", r: open.with("at", at("06:00:00")), code: custody.ERule, field: "at"},
		{name: "open by new holder", setup: []rec{toO2}, r: open.with("by", "o2"), check: itemIs("E1", "o2", "", false)},

		{name: "seal", r: seal, check: itemIs("E2", "o1", "SEAL-2", false)},
		{name: "seal not holder", r: seal.with("by", "o2"), code: custody.ERule, field: "by"},
		{name: "seal sealed", r: seal.with("item", "E1"), code: custody.ERule, field: "item"},
		{name: "seal after open", setup: []rec{open}, r: seal.with("item", "E1", "at", at("09:00:00")), check: itemIs("E1", "o1", "SEAL-2", false)},
		{name: "after seal, transfer needs intact", setup: []rec{seal},
			r: rec{"op": "custody.transfer", "item": "E2", "from": "o1", "to": "o2", "at": at("09:00:00"), "purpose": "storage", "seal_condition": "none"}, code: custody.ERule, field: "seal_condition"},

		{name: "derive", r: derive, check: func(t *testing.T, h *harness) {
			itemIs("E1-IMG", "o1", "", false)(t, h)
			itemIs("E1", "o1", "SEAL-1", false)(t, h)
			it := h.st.Items["E1-IMG"]
			if it.Case != "C1" || it.Parent != "E1" || it.Type != "forensic_image" {
				t.Errorf("derived item: case %q parent %q type %q", it.Case, it.Parent, it.Type)
			}
			row := h.row("items", "E1-IMG")
			if row["case_id"] != "C1" || row["parent"] != "E1" || row["digital"] != int64(1) {
				t.Errorf("derived row: %v", row)
			}
			if p := h.st.Items["E1"]; p.Events != 2 || len(p.Children) != 1 {
				t.Errorf("parent: %d events, children %v", p.Events, p.Children)
			}
		}},
		{name: "derive by new holder", setup: []rec{toO2}, r: derive.with("by", "o2"), check: itemIs("E1-IMG", "o2", "", false)},
		{name: "derive not holder of parent", r: derive.with("by", "o2"), code: custody.ERule, field: "by"},
		{name: "derive parent undefined", r: derive.with("parent", "E-NONE"), code: custody.EReference, field: "parent"},
		{name: "derive type of a seized item", r: derive.with("type", "phone"), code: custody.EInvalid, field: "type"},
		{name: "derive sha256 uppercase", r: derive.with("sha256", strings.Repeat("AB", 32)), code: custody.EInvalid, field: "sha256"},
		{name: "derive sha256 short", r: derive.with("sha256", strings.Repeat("a", 63)), code: custody.EInvalid, field: "sha256"},
		{name: "derive sha256 long", r: derive.with("sha256", strings.Repeat("a", 65)), code: custody.EInvalid, field: "sha256"},
		{name: "derive sha256 not hex", r: derive.with("sha256", strings.Repeat("g", 64)), code: custody.EInvalid, field: "sha256"},
		{name: "derive size negative", r: derive.with("size", -1), code: custody.EInvalid, field: "size"},
		{name: "derive size zero", r: derive.with("size", 0)},
		{name: "derive of derived", setup: []rec{derive}, r: derive.with("id", "E1-IMG-X", "parent", "E1-IMG", "type", "extraction", "at", at("09:00:00")),
			check: func(t *testing.T, h *harness) {
				itemIs("E1-IMG-X", "o1", "", false)(t, h)
				if it := h.st.Items["E1-IMG-X"]; it.Case != "C1" || it.Parent != "E1-IMG" {
					t.Errorf("derived of derived: case %q parent %q", it.Case, it.Parent)
				}
			}},
		{name: "derive from a disposed parent", setup: []rec{dispose}, r: later(derive), code: custody.ERule, field: "item"},
		{name: "derive earlier than parent's last event", r: derive.with("at", at("06:59:00")), code: custody.ERule, field: "at"},
		{name: "derived item's events are its own", setup: []rec{derive},
			r:     rec{"op": "custody.transfer", "item": "E1-IMG", "from": "o1", "to": "o2", "at": at("09:00:00"), "purpose": "analysis", "seal_condition": "none"},
			check: both(itemIs("E1-IMG", "o2", "", false), itemIs("E1", "o1", "SEAL-1", false))},
		{name: "derived item earlier than its derivation", setup: []rec{derive},
			r: rec{"op": "court.present", "item": "E1-IMG", "at": at("07:59:00"), "by": "o1", "hearing": "x"}, code: custody.ERule, field: "at"},

		{name: "attach", r: attach, check: func(t *testing.T, h *harness) {
			itemIs("E1", "o1", "SEAL-1", false)(t, h)
			rows := h.st.AllRows("attachments")
			if len(rows) != 1 || rows[0][1] != "E1" || rows[0][3] != strings.Repeat("0f", 32) || rows[0][4] != int64(12345) {
				t.Errorf("attachments = %v", rows)
			}
		}},
		{name: "attach size zero", r: attach.with("size", 0)},
		{name: "attach size negative", r: attach.with("size", -5), code: custody.EInvalid, field: "size"},
		{name: "attach without size", r: attach.without("size"), code: custody.EInvalid, field: "size"},
		{name: "attach sha256 uppercase", r: attach.with("sha256", strings.Repeat("0F", 32)), code: custody.EInvalid, field: "sha256"},
		{name: "attach sha256 short", r: attach.with("sha256", "abc"), code: custody.EInvalid, field: "sha256"},
		{name: "attach not holder", r: attach.with("by", "o2"), code: custody.ERule, field: "by"},
		{name: "attach disposed", setup: []rec{dispose}, r: later(attach), code: custody.ERule, field: "item"},
		{name: "attach to unsealed item", r: attach.with("item", "E2")},

		{name: "present", r: present, check: itemIs("E1", "o1", "SEAL-1", false)},
		{name: "present not holder", r: present.with("by", "o2"), code: custody.ERule, field: "by"},
		{name: "present keeps holder after transfer", setup: []rec{toO2}, r: present.with("by", "o2"), check: itemIs("E1", "o2", "SEAL-1", false)},

		{name: "dispose", r: dispose, check: itemIs("E1", "o1", "SEAL-1", true)},
		{name: "dispose not holder", r: dispose.with("by", "o2"), code: custody.ERule, field: "by"},
		{name: "dispose method outside the set", r: dispose.with("method", "sold"), code: custody.EInvalid, field: "method"},
		{name: "dispose twice", setup: []rec{dispose}, r: later(dispose), code: custody.ERule, field: "item"},
	}
	// Nothing may happen to a disposed item, whatever the op.
	for _, r := range []rec{open, derive, attach, present, dispose,
		{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": at("09:00:00"), "purpose": "return", "seal_condition": "intact"}} {
		cases = append(cases, ruleCase{name: "after dispose " + r["op"].(string), setup: []rec{dispose}, r: later(r), code: custody.ERule, field: "item"})
	}
	{
		sealE1 := seal.with("item", "E1")
		cases = append(cases, ruleCase{name: "after dispose custody.seal (opened first)", setup: []rec{open, dispose.with("at", at("08:30:00"))},
			r: later(sealE1), code: custody.ERule, field: "item"})
	}
	// Every item op rejects a time earlier than the item's previous event,
	// and accepts the same instant.
	for _, r := range []rec{open, derive, attach, present, dispose, seal} {
		cases = append(cases,
			ruleCase{name: "earlier " + r["op"].(string), r: r.with("at", at("06:59:59")), code: custody.ERule, field: "at"},
			ruleCase{name: "equal time " + r["op"].(string), r: r.with("at", at("07:00:00"))},
		)
	}
	runRules(t, cases)
}

func TestSeizeDefaults(t *testing.T) {
	seize := rec{"op": "evidence.seize", "id": "E9", "case": "C1", "type": "phone", "description": "x", "seized_at": T + "10:00:00-05:00", "seized_by": "o2"}
	col := func(c string, want any) func(*testing.T, *harness) {
		return func(t *testing.T, h *harness) {
			if got := h.row("items", "E9")[c]; got != want {
				t.Errorf("E9 %s = %v (%T), want %v", c, got, got, want)
			}
		}
	}
	cases := []ruleCase{
		{name: "quantity default 1", r: seize, check: col("quantity", int64(1))},
		{name: "quantity 1", r: seize.with("quantity", 1), check: col("quantity", int64(1))},
		{name: "quantity 250", r: seize.with("quantity", 250), check: col("quantity", int64(250))},
		{name: "quantity 0", r: seize.with("quantity", 0), code: custody.EInvalid, field: "quantity"},
		{name: "quantity -1", r: seize.with("quantity", -1), code: custody.EInvalid, field: "quantity"},
		{name: "quantity beyond 2^53", r: seize.with("quantity", int64(1)<<53), code: custody.EInvalid, field: "quantity"},
		{name: "unsealed without seal", r: seize, check: itemIs("E9", "o2", "", false)},
		{name: "sealed with seal", r: seize.with("seal", "S-9"), check: itemIs("E9", "o2", "S-9", false)},
		{name: "without site", r: seize.without("site"), check: col("site", "")},
		{name: "site of another case", r: seize.with("site", "SX"), code: custody.EReference, field: "site"},
		{name: "seized_by a person", r: seize.with("seized_by", "P1"), code: custody.EReference, field: "seized_by"},
	}
	for _, typ := range []string{"phone", "laptop", "computer", "storage"} {
		cases = append(cases,
			ruleCase{name: "digital by default " + typ, r: seize.with("type", typ), check: col("digital", int64(1))},
			ruleCase{name: "digital false " + typ, r: seize.with("type", typ, "digital", false), check: col("digital", int64(0))})
	}
	for _, typ := range []string{"documents", "financial_records", "corporate_records", "agenda", "firearm", "ammunition", "cash", "vehicle", "drugs", "other"} {
		cases = append(cases,
			ruleCase{name: "not digital by default " + typ, r: seize.with("type", typ), check: col("digital", int64(0))},
			ruleCase{name: "digital true " + typ, r: seize.with("type", typ, "digital", true), check: col("digital", int64(1))})
	}
	runRules(t, cases)
}

func TestOperationAndLinks(t *testing.T) {
	op := opSpecs()["operation.plan"].valid
	link := rec{"op": "link.add", "id": "L9", "case": "C1", "from": "P1", "to": "P2", "kind": "communicated_with"}
	cases := []ruleCase{
		{name: "personnel 0", r: op.with("personnel", 0)},
		{name: "personnel 900", r: op.with("personnel", 900)},
		{name: "personnel -1", r: op.with("personnel", -1), code: custody.EInvalid, field: "personnel"},
		{name: "operation by a person", r: op.with("by", "P1"), code: custody.EReference, field: "by"},
		{name: "link person to person", r: link},
		{name: "link organization to organization", r: link.with("from", "ORG1", "to", "ORG1")},
		{name: "link free-text kind", r: link.with("kind", "le pagó a")},
		{name: "link from another case", r: link.with("from", "PX"), code: custody.EReference, field: "from"},
		{name: "link to another case", r: link.with("to", "ORGX"), code: custody.EReference, field: "to"},
		{name: "link from undefined", r: link.with("from", "P-NONE"), code: custody.EReference, field: "from"},
		{name: "link to an officer", r: link.with("to", "o1"), code: custody.EReference, field: "to"},
		{name: "link to an item", r: link.with("to", "E1"), code: custody.EReference, field: "to"},
		{name: "link source item", r: link.with("source", "E1")},
		{name: "link source derived item", setup: []rec{{"op": "evidence.derive", "id": "E1-C", "parent": "E1", "type": "copy", "description": "c", "at": T + "08:00:00-05:00", "by": "o1"}},
			r: link.with("source", "E1-C")},
		{name: "link source statement", r: link.with("source", "ST1")},
		{name: "link source undefined", r: link.with("source", "ST-NONE"), code: custody.EReference, field: "source"},
		{name: "link source a person", r: link.with("source", "P2"), code: custody.EReference, field: "source"},
		{name: "link source item of another case", r: link.with("source", "EX"), code: custody.EReference, field: "source"},
		{name: "link source statement of another case", r: link.with("source", "STX"), code: custody.EReference, field: "source"},
		{name: "link case undefined", r: link.with("case", "C-NONE"), code: custody.EReference, field: "case"},
		{name: "link of a case whose parties belong elsewhere", r: link.with("case", "C2"), code: custody.EReference, field: "from"},
		{name: "person reserved", r: rec{"op": "person.add", "id": "P9", "case": "C1", "name": "x", "roles": []string{"other"}, "reserved": true},
			check: func(t *testing.T, h *harness) {
				if h.row("persons", "P9")["reserved"] != int64(1) || h.row("persons", "P1")["reserved"] != int64(0) {
					t.Errorf("reserved: P9 %v, P1 %v", h.row("persons", "P9")["reserved"], h.row("persons", "P1")["reserved"])
				}
			}},
	}
	runRules(t, cases)
}

// TestSiteStatusTimeOrder: the spec says "a status earlier than the site's
// previous one is rejected". Read for time as well as order, a site cannot
// be entered before it was en route; otherwise a report as of a time
// between the two shows a status the site reached later.
func TestSiteStatusTimeOrder(t *testing.T) {
	runRules(t, []ruleCase{
		// S1 went en_route at 06:00 (-05:00).
		{name: "later status, earlier time", r: status("S1", "entered", "05:59:00"), code: custody.ERule, field: "at"},
		{name: "later status, earlier time in another zone", r: status("S1", "entered", "05:00:00").with("at", T+"10:59:00Z"), code: custody.ERule, field: "at"},
		{name: "later status, same time", r: status("S1", "entered", "06:00:00")},
		{name: "aborted earlier than the previous status", r: status("S1", "aborted", "05:00:00"), code: custody.ERule, field: "at"},
	})
}
