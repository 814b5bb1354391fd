package domain_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := custody.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func report(t *testing.T, h *harness, asOf string) *domain.OperationReport {
	t.Helper()
	r, err := h.st.OperationReport("OP1", mustParse(t, asOf))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reportJSON is the report as `report operation --json` encodes it, decoded
// generically.
func reportJSON(t *testing.T, r *domain.OperationReport) map[string]any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReportSiteStatusAsOf(t *testing.T) {
	h := prelude(t, status("S1", "entered", "06:30:00"), status("S1", "completed", "09:00:00"), status("S2", "aborted", "08:00:00"))
	cases := []struct {
		asOf string
		want map[string]int
	}{
		{T + "05:59:59-05:00", map[string]int{"planned": 2}},
		{T + "06:00:00-05:00", map[string]int{"en_route": 1, "planned": 1}},
		{T + "11:00:00Z", map[string]int{"en_route": 1, "planned": 1}}, // 06:00 -05:00
		{T + "06:29:59-05:00", map[string]int{"en_route": 1, "planned": 1}},
		{T + "07:00:00-05:00", map[string]int{"entered": 1, "planned": 1}},
		{T + "08:00:00-05:00", map[string]int{"entered": 1, "aborted": 1}},
		{T + "10:00:00-05:00", map[string]int{"completed": 1, "aborted": 1}},
	}
	for _, c := range cases {
		t.Run(c.asOf, func(t *testing.T) {
			r := report(t, h, c.asOf)
			if !reflect.DeepEqual(r.SitesByStatus, c.want) {
				t.Errorf("sites_by_status = %v, want %v", r.SitesByStatus, c.want)
			}
			if r.Sites != 2 || r.Provinces != 2 || !reflect.DeepEqual(r.SitesByProvince, map[string]int{"Pichincha": 1, "Guayas": 1}) {
				t.Errorf("sites %d provinces %d by province %v", r.Sites, r.Provinces, r.SitesByProvince)
			}
			if r.Personnel != 10 || r.Operation != "OP1" || r.Case != "C1" {
				t.Errorf("personnel %d operation %s case %s", r.Personnel, r.Operation, r.Case)
			}
		})
	}
	t.Run("unknown operation", func(t *testing.T) {
		_, err := h.st.OperationReport("OP-NONE", time.Now())
		if ce, ok := err.(*custody.Error); !ok || ce.Code != custody.ENotFound {
			t.Errorf("err = %v, want not_found", err)
		}
	})
}

func TestReportDetentionAsOf(t *testing.T) {
	h := prelude(t)
	r := report(t, h, T+"06:29:59-05:00")
	if r.Detentions != 0 || len(r.DetentionsByBasis) != 0 || len(r.DetaineesByRole) != 0 || len(r.DeadlineViolations) != 0 {
		t.Errorf("before the arrest: %+v", r)
	}
	m := reportJSON(t, r)
	for _, k := range []string{"detentions_by_basis", "detainees_by_role", "sites_by_province", "evidence_by_type"} {
		if _, ok := m[k].(map[string]any); !ok {
			t.Errorf("%s is %v, want an object", k, m[k])
		}
	}
	for _, k := range []string{"custody_anomalies", "deadline_violations"} {
		if l, ok := m[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s is %v, want []", k, m[k])
		}
	}
	r = report(t, h, T+"06:30:00-05:00")
	if r.Detentions != 1 || r.DetentionsByBasis["warrant"] != 1 {
		t.Errorf("at the arrest: detentions %d by basis %v", r.Detentions, r.DetentionsByBasis)
	}
}

type viol struct {
	detention, rule string
	limit           int64
	actual          int64 // -1 for null
}

func violations(r *domain.OperationReport) []viol {
	var out []viol
	for _, v := range r.DeadlineViolations {
		a := int64(-1)
		if v.Actual != nil {
			a = *v.Actual
		}
		out = append(out, viol{v.Detention, v.Rule, v.Limit, a})
	}
	return out
}

func TestReportDeadlines(t *testing.T) {
	upd := func(kv ...any) rec {
		return rec{"op": "detention.update", "detention": "D1", "at": "2023-12-20T10:00:00-05:00", "by": "o1"}.with(kv...)
	}
	// D1 was arrested 2023-12-14T06:30:00-05:00 with no times set.
	d14 := func(hms string) string { return T + hms + "-05:00" }
	d15 := func(hms string) string { return "2023-12-15T" + hms + "-05:00" }
	noHearingYet := d14("12:00:00") // far from the 1440 limit
	cases := []struct {
		name  string
		setup []rec
		asOf  string
		want  []viol
	}{
		{"nothing due yet", nil, d14("07:30:00"), nil},
		{"60 minutes exactly is not late", nil, d14("07:30:00"), nil},
		{"60 minutes 59 seconds rounds down to 60", nil, d14("07:30:59"), nil},
		{"rights missing at 61", nil, d14("07:31:00"), []viol{{"D1", domain.RuleRightsMissing, 60, -1}}},
		{"rights missing, as-of in UTC", nil, d14("12:31:00")[:11] + "12:31:00Z", []viol{{"D1", domain.RuleRightsMissing, 60, -1}}},
		{"rights in time", []rec{upd("rights_notified_at", d14("07:30:59"))}, noHearingYet, nil},
		{"rights late, rounded down", []rec{upd("rights_notified_at", d14("08:00:59"))}, noHearingYet, []viol{{"D1", domain.RuleRightsLate, 60, 90}}},
		{"rights late given in UTC", []rec{upd("rights_notified_at", T+"13:00:59Z")}, noHearingYet, []viol{{"D1", domain.RuleRightsLate, 60, 90}}},
		{"rights notified after as-of count as missing", []rec{upd("rights_notified_at", d14("08:00:59"))}, d14("08:00:30"), []viol{{"D1", domain.RuleRightsMissing, 60, -1}}},
		{"rights notified after as-of, not yet due", []rec{upd("rights_notified_at", d14("08:00:59"))}, d14("07:00:00"), nil},
		{"hearing: 1440 exactly is not missing", []rec{upd("rights_notified_at", d14("06:30:00"))}, d15("06:30:00"), nil},
		{"hearing missing at 1441", []rec{upd("rights_notified_at", d14("06:30:00"))}, d15("06:31:00"), []viol{{"D1", domain.RuleHearingMissing, 1440, -1}}},
		{"both missing, sorted by rule", nil, d15("07:00:00"), []viol{{"D1", domain.RuleHearingMissing, 1440, -1}, {"D1", domain.RuleRightsMissing, 60, -1}}},
		{"hearing late", []rec{upd("rights_notified_at", d14("06:30:00"), "hearing_at", d15("08:30:30"))}, "2023-12-20T00:00:00-05:00",
			[]viol{{"D1", domain.RuleHearingLate, 1440, 1560}}},
		{"released earlier than hearing: released counts, in time", []rec{upd("rights_notified_at", d14("06:30:00"), "hearing_at", "2023-12-16T08:00:00-05:00", "released_at", d15("06:00:00"))},
			"2023-12-20T00:00:00-05:00", nil},
		{"released earlier than hearing, both late: the earlier counts", []rec{upd("rights_notified_at", d14("06:30:00"), "hearing_at", "2023-12-16T08:00:00-05:00", "released_at", d15("07:00:30"))},
			"2023-12-20T00:00:00-05:00", []viol{{"D1", domain.RuleHearingLate, 1440, 1470}}},
		{"hearing earlier than release", []rec{upd("rights_notified_at", d14("06:30:00"), "hearing_at", d15("06:00:00"), "released_at", "2023-12-20T06:00:00-05:00")},
			"2023-12-21T00:00:00-05:00", nil},
		{"released only, late", []rec{upd("rights_notified_at", d14("06:30:00"), "released_at", d15("06:31:00"))}, "2023-12-20T00:00:00-05:00",
			[]viol{{"D1", domain.RuleHearingLate, 1440, 1441}}},
		{"release after as-of: missing until then", []rec{upd("rights_notified_at", d14("06:30:00"), "released_at", d15("07:00:30"))}, d15("06:50:00"),
			[]viol{{"D1", domain.RuleHearingMissing, 1440, -1}}},
		{"release before as-of, hearing after: release counts", []rec{upd("rights_notified_at", d14("06:30:00"), "released_at", d15("07:00:30"), "hearing_at", "2023-12-16T08:00:00-05:00")},
			d15("07:10:00"), []viol{{"D1", domain.RuleHearingLate, 1440, 1470}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := prelude(t, c.setup...)
			r := report(t, h, c.asOf)
			if got := violations(r); !reflect.DeepEqual(got, c.want) {
				t.Errorf("violations = %v, want %v", got, c.want)
			}
			// actual_minutes is null in JSON for a missing one, a number otherwise.
			for i, v := range reportJSON(t, r)["deadline_violations"].([]any) {
				m := v.(map[string]any)
				a, present := m["actual_minutes"]
				if !present {
					t.Errorf("violation %d has no actual_minutes key", i)
				}
				missing := strings.HasSuffix(m["rule"].(string), "_missing")
				if missing != (a == nil) {
					t.Errorf("violation %d %s: actual_minutes = %v", i, m["rule"], a)
				}
				for _, k := range []string{"detention", "person", "rule", "limit_minutes"} {
					if _, ok := m[k]; !ok {
						t.Errorf("violation %d lacks %s", i, k)
					}
				}
			}
		})
	}

	t.Run("configured limits", func(t *testing.T) {
		st := domain.NewState(domain.Config{RightsNoticeMinutes: 5, HearingMinutes: 600})
		h := &harness{t: t, st: st}
		h.must(preludeLines()...)
		h.must(upd("rights_notified_at", d14("06:36:00")).line())
		r := report(t, h, d14("17:00:00"))
		want := []viol{{"D1", domain.RuleHearingMissing, 600, -1}, {"D1", domain.RuleRightsLate, 5, 6}}
		if got := violations(r); !reflect.DeepEqual(got, want) {
			t.Errorf("violations = %v, want %v", got, want)
		}
	})
}

func TestReportViolationOrder(t *testing.T) {
	// D0 is recorded after D1 but sorts first; rules sort within a detention.
	d0 := rec{"op": "detention.record", "id": "D0", "case": "C1", "person": "P2", "basis": "flagrante", "arrested_at": T + "06:00:00-05:00", "arrested_by": "o1", "operation": "OP1"}
	h := prelude(t, d0)
	r := report(t, h, "2023-12-16T00:00:00-05:00")
	want := []viol{
		{"D0", domain.RuleHearingMissing, 1440, -1}, {"D0", domain.RuleRightsMissing, 60, -1},
		{"D1", domain.RuleHearingMissing, 1440, -1}, {"D1", domain.RuleRightsMissing, 60, -1},
	}
	if got := violations(r); !reflect.DeepEqual(got, want) {
		t.Errorf("violations = %v, want %v", got, want)
	}
	if r.DeadlineViolations[0].Person != "P2" || r.DeadlineViolations[2].Person != "P1" {
		t.Errorf("persons: %+v", r.DeadlineViolations)
	}
}

func TestReportDetainees(t *testing.T) {
	det := func(id, person string, kv ...any) rec {
		return rec{"op": "detention.record", "id": id, "case": "C1", "person": person, "basis": "warrant", "arrested_at": T + "07:00:00-05:00", "arrested_by": "o1"}.with(kv...)
	}
	h := prelude(t,
		// P1 (judge, lawyer) is detained a second time, through the operation.
		det("D2", "P1", "operation", "OP1", "basis", "flagrante"),
		// P2 (police) is detained with no operation and no site: not this operation's.
		det("D3", "P2", "place", "Calle"),
		// PX, in another case and operation.
		rec{"op": "detention.record", "id": "D4", "case": "C2", "person": "PX", "basis": "warrant", "arrested_at": T + "07:00:00-05:00", "arrested_by": "o2", "site": "SX"},
	)
	r := report(t, h, "2023-12-14T08:00:00-05:00")
	if r.Detentions != 2 {
		t.Errorf("detentions = %d, want 2 (D1 by site, D2 by operation)", r.Detentions)
	}
	if want := map[string]int{"warrant": 1, "flagrante": 1}; !reflect.DeepEqual(r.DetentionsByBasis, want) {
		t.Errorf("detentions_by_basis = %v, want %v", r.DetentionsByBasis, want)
	}
	if want := map[string]int{"judge": 1, "lawyer": 1}; !reflect.DeepEqual(r.DetaineesByRole, want) {
		t.Errorf("detainees_by_role = %v, want %v (one person, two roles, detained twice)", r.DetaineesByRole, want)
	}
	// P2 detained at the operation's site now counts once under police.
	h.must(det("D5", "P2", "site", "S2").line())
	r = report(t, h, "2023-12-14T08:00:00-05:00")
	if want := map[string]int{"judge": 1, "lawyer": 1, "police": 1}; !reflect.DeepEqual(r.DetaineesByRole, want) {
		t.Errorf("detainees_by_role = %v, want %v", r.DetaineesByRole, want)
	}
	// Before D2's arrest P1 still counts once, through D1.
	r = report(t, h, "2023-12-14T06:45:00-05:00")
	if r.Detentions != 1 || !reflect.DeepEqual(r.DetaineesByRole, map[string]int{"judge": 1, "lawyer": 1}) {
		t.Errorf("as of 06:45: detentions %d, by role %v", r.Detentions, r.DetaineesByRole)
	}
}

func TestReportEvidence(t *testing.T) {
	at := func(hms string) string { return T + hms + "-05:00" }
	derive := func(id, parent, hms string) rec {
		return rec{"op": "evidence.derive", "id": id, "parent": parent, "type": "copy", "description": "d", "at": at(hms), "by": "o1"}
	}
	h := prelude(t,
		rec{"op": "evidence.seize", "id": "E3", "case": "C1", "type": "documents", "description": "Cajas", "seized_at": at("08:00:00"), "seized_by": "o2", "site": "S2", "quantity": 5},
		rec{"op": "evidence.seize", "id": "E4", "case": "C1", "type": "cash", "description": "Sin sitio", "seized_at": at("08:00:00"), "seized_by": "o2"},
		derive("E1-A", "E1", "08:00:00"),
		derive("E1-A-B", "E1-A", "09:00:00"),
		derive("E4-A", "E4", "09:00:00").with("by", "o2"),
		derive("EX-A", "EX", "09:00:00").with("by", "o2"),
		rec{"op": "evidence.dispose", "item": "E2", "at": at("12:00:00"), "by": "o1", "method": "returned"},
		rec{"op": "evidence.dispose", "item": "E1-A-B", "at": at("13:00:00"), "by": "o1", "method": "destroyed"},
	)
	cases := []struct {
		asOf                          string
		items, units, derived, opened int
		byType                        map[string]int
	}{
		{at("06:59:59"), 0, 0, 0, 0, map[string]int{}},
		{at("07:00:00"), 2, 2, 0, 2, map[string]int{"phone": 1, "documents": 1}},
		{at("08:00:00"), 3, 7, 1, 4, map[string]int{"phone": 1, "documents": 2}},
		{at("11:00:00"), 3, 7, 2, 5, map[string]int{"phone": 1, "documents": 2}},
		{at("12:00:00"), 3, 7, 2, 4, map[string]int{"phone": 1, "documents": 2}},
		{at("13:30:00"), 3, 7, 2, 3, map[string]int{"phone": 1, "documents": 2}},
	}
	for _, c := range cases {
		t.Run(c.asOf, func(t *testing.T) {
			r := report(t, h, c.asOf)
			got := []int{r.EvidenceItems, int(r.EvidenceUnits), r.DerivedItems, r.OpenItems}
			want := []int{c.items, c.units, c.derived, c.opened}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("items, units, derived, open = %v, want %v", got, want)
			}
			if !reflect.DeepEqual(r.EvidenceByType, c.byType) {
				t.Errorf("evidence_by_type = %v, want %v", r.EvidenceByType, c.byType)
			}
		})
	}
}

func TestReportAnomalyOrder(t *testing.T) {
	seize := func(id string) rec {
		return rec{"op": "evidence.seize", "id": id, "case": "C1", "type": "phone", "description": "x", "seized_at": T + "07:00:00-05:00", "seized_by": "o1", "site": "S1", "seal": "K-" + id}
	}
	tr := func(item, from, to, at, cond string, kv ...any) rec {
		return rec{"op": "custody.transfer", "item": item, "from": from, "to": to, "at": at, "purpose": "storage", "seal_condition": cond}.with(kv...)
	}
	// On E-A: a mismatch at 14:30Z, then a break at 10:00-05:00 (= 15:00Z).
	// As strings "…T10:00:00-05:00" < "…T14:30:00+00:00"; as instants the
	// mismatch comes first. E-B's anomaly is earlier than both but sorts
	// after them, by item. E-C has a break and a mismatch in one transfer:
	// by kind, seal_broken first.
	h := prelude(t, seize("E-B"), seize("E-A"), seize("E-C"),
		tr("E-B", "o1", "o2", T+"08:00:00-05:00", "broken"),
		tr("E-A", "o1", "o2", T+"14:30:00+00:00", "intact", "seal", "WRONG"),
		tr("E-A", "o2", "o3", T+"10:00:00-05:00", "broken"),
		tr("E-C", "o1", "o2", T+"09:00:00-05:00", "broken", "seal", "WRONG"),
		// An anomaly of another operation's item is not reported.
		tr("EX", "o2", "o1", T+"09:00:00-05:00", "none", "seal", "").without("seal"),
	)
	h.must(rec{"op": "custody.seal", "item": "EX", "seal": "KX", "at": T + "09:30:00-05:00", "by": "o1"}.line(),
		tr("EX", "o1", "o2", T+"10:00:00-05:00", "broken").line())
	// An anomaly of a derived item of the operation is.
	h.must(rec{"op": "evidence.derive", "id": "E-B-IMG", "parent": "E-B", "type": "copy", "description": "c", "at": T + "09:00:00-05:00", "by": "o2"}.line(),
		rec{"op": "custody.seal", "item": "E-B-IMG", "seal": "KB", "at": T + "09:10:00-05:00", "by": "o2"}.line(),
		tr("E-B-IMG", "o2", "o3", T+"09:20:00-05:00", "intact", "seal", "KZ").line())

	r := report(t, h, "2023-12-31T00:00:00-05:00")
	want := []domain.AnomalyEntry{
		{Item: "E-A", Kind: custody.AnomalySealMismatch, At: T + "14:30:00+00:00"},
		{Item: "E-A", Kind: custody.AnomalySealBroken, At: T + "10:00:00-05:00"},
		{Item: "E-B", Kind: custody.AnomalySealBroken, At: T + "08:00:00-05:00"},
		{Item: "E-B-IMG", Kind: custody.AnomalySealMismatch, At: T + "09:20:00-05:00"},
		{Item: "E-C", Kind: custody.AnomalySealBroken, At: T + "09:00:00-05:00"},
		{Item: "E-C", Kind: custody.AnomalySealMismatch, At: T + "09:00:00-05:00"},
	}
	if !reflect.DeepEqual(r.CustodyAnomalies, want) {
		t.Errorf("custody_anomalies =\n%v\nwant\n%v", r.CustodyAnomalies, want)
	}
	// As of 14:45Z only the mismatch on E-A has happened there.
	r = report(t, h, T+"14:45:00Z")
	var got []string
	for _, a := range r.CustodyAnomalies {
		got = append(got, a.Item+"/"+a.Kind)
	}
	if want := "E-A/seal_mismatch,E-B/seal_broken,E-B-IMG/seal_mismatch,E-C/seal_broken,E-C/seal_mismatch"; strings.Join(got, ",") != want {
		t.Errorf("as of 14:45Z: %v, want %s", got, want)
	}
	m := reportJSON(t, r)
	first := m["custody_anomalies"].([]any)[0].(map[string]any)
	if len(first) != 3 || first["item"] != "E-A" || first["kind"] != "seal_mismatch" || first["at"] != T+"14:30:00+00:00" {
		t.Errorf("anomaly JSON = %v, want keys item, kind, at with the time as given", first)
	}
}

// TestReportCountsOmitZero checks that every counts object lists only keys
// above zero, on a state where some counts are zero.
func TestReportCountsOmitZero(t *testing.T) {
	h := prelude(t, status("S1", "completed", "09:00:00"))
	r := report(t, h, T+"10:00:00-05:00")
	m := reportJSON(t, r)
	for _, k := range []string{"sites_by_province", "sites_by_status", "detentions_by_basis", "detainees_by_role", "evidence_by_type"} {
		obj, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("%s = %v, want an object", k, m[k])
		}
		for key, v := range obj {
			if n, _ := v.(float64); n <= 0 {
				t.Errorf("%s[%s] = %v", k, key, v)
			}
		}
	}
	if _, ok := m["sites_by_status"].(map[string]any)["en_route"]; ok {
		t.Errorf("sites_by_status lists en_route with no site in it: %v", m["sites_by_status"])
	}
	if _, ok := m["detentions_by_basis"].(map[string]any)["flagrante"]; ok {
		t.Errorf("detentions_by_basis lists flagrante: %v", m["detentions_by_basis"])
	}
	for _, k := range []string{"operation", "case", "sites", "provinces", "sites_by_province", "sites_by_status", "personnel", "detentions",
		"detentions_by_basis", "detainees_by_role", "evidence_items", "evidence_units", "evidence_by_type", "derived_items", "open_items",
		"custody_anomalies", "deadline_violations"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks the spec's key %s", k)
		}
	}
}
