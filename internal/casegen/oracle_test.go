package casegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestOracleMetastasis(t *testing.T) {
	file, err := os.ReadFile("../../testdata/metastasis.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	asOf, _ := time.Parse(time.RFC3339, "2024-01-01T00:00:00-05:00")
	got, err := Oracle(file, "OP-METASTASIS", asOf)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.MarshalIndent(got, "", "  ")
	t.Logf("%s", out)
	checks := map[string]any{
		"operation":           "OP-METASTASIS",
		"case":                "METASTASIS",
		"sites":               75.0,
		"provinces":           7.0,
		"sites_by_status":     map[string]any{"completed": 75.0},
		"personnel":           900.0,
		"detentions":          30.0,
		"detentions_by_basis": map[string]any{"warrant": 29.0, "flagrante": 1.0},
		"evidence_items":      155.0,
		"derived_items":       13.0,
		"custody_anomalies":   []any{},
		"deadline_violations": []any{map[string]any{"detention": "D-01", "person": "P-TERAN",
			"rule": "rights_notice_late", "limit_minutes": 60.0, "actual_minutes": 240.0}},
	}
	for k, want := range checks {
		if !reflect.DeepEqual(got[k], want) {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
}

func TestOracleUnknownOperation(t *testing.T) {
	if _, err := Oracle(Generate(1, Options{}), "OP-NONE", time.Now()); err == nil {
		t.Error("Oracle answered for an operation that does not exist")
	}
	if _, err := Oracle([]byte("{\n"), "OP-1", time.Now()); err == nil {
		t.Error("Oracle answered for an invalid file")
	}
}

func sum(v any) float64 {
	var s float64
	for _, n := range v.(map[string]any) {
		s += n.(float64)
	}
	return s
}

// TestOracleConsistency checks the oracle's reports against themselves, over
// many generated files and as-of instants: totals agree with their
// breakdowns, lists are sorted, and counts only grow with time.
func TestOracleConsistency(t *testing.T) {
	for seed := range int64(25) {
		file := Generate(seed, Options{})
		m, err := replay(bytes.NewReader(file), -1)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range m.opOrder {
			var prev map[string]any
			for _, asOf := range asOfs(t, file) {
				rep, err := m.report(op, asOf)
				if err != nil {
					t.Fatal(err)
				}
				where := func() string { return fmt.Sprintf("seed %d %s as of %s", seed, op, asOf.Format(time.RFC3339)) }
				if sum(rep["sites_by_status"]) != rep["sites"] || sum(rep["sites_by_province"]) != rep["sites"] {
					t.Errorf("%s: sites %v, by status %v, by province %v", where(), rep["sites"], rep["sites_by_status"], rep["sites_by_province"])
				}
				if float64(len(rep["sites_by_province"].(map[string]any))) != rep["provinces"] {
					t.Errorf("%s: provinces %v, by province %v", where(), rep["provinces"], rep["sites_by_province"])
				}
				if sum(rep["detentions_by_basis"]) != rep["detentions"] {
					t.Errorf("%s: detentions %v, by basis %v", where(), rep["detentions"], rep["detentions_by_basis"])
				}
				if sum(rep["evidence_by_type"]) != rep["evidence_items"] || rep["evidence_units"].(float64) < rep["evidence_items"].(float64) {
					t.Errorf("%s: items %v, units %v, by type %v", where(), rep["evidence_items"], rep["evidence_units"], rep["evidence_by_type"])
				}
				if rep["open_items"].(float64) > rep["evidence_items"].(float64)+rep["derived_items"].(float64) {
					t.Errorf("%s: %v open of %v+%v", where(), rep["open_items"], rep["evidence_items"], rep["derived_items"])
				}
				for _, k := range []string{"sites_by_province", "sites_by_status", "detentions_by_basis", "detainees_by_role", "evidence_by_type"} {
					for key, n := range rep[k].(map[string]any) {
						if n.(float64) <= 0 {
							t.Errorf("%s: %s.%s = %v", where(), k, key, n)
						}
					}
				}
				checkSorted(t, where(), rep)
				if prev != nil {
					for _, k := range []string{"detentions", "evidence_items", "evidence_units", "derived_items"} {
						if rep[k].(float64) < prev[k].(float64) {
							t.Errorf("%s: %s went down from %v to %v", where(), k, prev[k], rep[k])
						}
					}
					if len(rep["custody_anomalies"].([]any)) < len(prev["custody_anomalies"].([]any)) {
						t.Errorf("%s: anomalies went down", where())
					}
				}
				prev = rep
			}
		}
	}
}

func checkSorted(t *testing.T, where string, rep map[string]any) {
	t.Helper()
	an := rep["custody_anomalies"].([]any)
	for i := 1; i < len(an); i++ {
		a, b := an[i-1].(map[string]any), an[i].(map[string]any)
		ta, _ := parseTime(a["at"].(string))
		tb, _ := parseTime(b["at"].(string))
		if a["item"].(string) > b["item"].(string) || a["item"] == b["item"] && (ta.After(tb) || ta.Equal(tb) && a["kind"].(string) > b["kind"].(string)) {
			t.Errorf("%s: anomalies out of order: %v before %v", where, a, b)
		}
	}
	vs := rep["deadline_violations"].([]any)
	for i, v := range vs {
		v := v.(map[string]any)
		switch v["rule"] {
		case "rights_notice_late", "hearing_late":
			if v["actual_minutes"] == nil || v["actual_minutes"].(float64) <= v["limit_minutes"].(float64) {
				t.Errorf("%s: late violation not over its limit: %v", where, v)
			}
		case "rights_notice_missing", "hearing_missing":
			if v["actual_minutes"] != nil {
				t.Errorf("%s: missing violation with minutes: %v", where, v)
			}
		default:
			t.Errorf("%s: unknown rule %v", where, v["rule"])
		}
		if i > 0 {
			p := vs[i-1].(map[string]any)
			if p["detention"].(string) > v["detention"].(string) || p["detention"] == v["detention"] && p["rule"].(string) >= v["rule"].(string) {
				t.Errorf("%s: violations out of order: %v before %v", where, p, v)
			}
		}
	}
}

func asOfs(t *testing.T, file []byte) []time.Time {
	t.Helper()
	out, err := AsOfInstants(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 20 {
		t.Fatalf("%d as-of instants, want 20", len(out))
	}
	return out
}

// TestOracleRecount recomputes the long-after report's counts with a naive
// scan of the JSON lines, sharing nothing with the oracle's replay.
func TestOracleRecount(t *testing.T) {
	end := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	for seed := range int64(30) {
		file := Generate(seed, Options{})
		var recs []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(string(file)), "\n") {
			var v map[string]any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, v)
		}
		ops, _ := Operations(file)
		for _, op := range ops {
			siteOf := map[string]bool{}
			status := map[string]string{}
			var sites []string
			for _, r := range recs {
				switch r["op"] {
				case "site.add":
					if r["operation"] == op {
						siteOf[r["id"].(string)] = true
						sites = append(sites, r["id"].(string))
						status[r["id"].(string)] = "planned"
					}
				case "site.status":
					if siteOf[r["site"].(string)] {
						status[r["site"].(string)] = r["status"].(string)
					}
				}
			}
			byStatus := map[string]any{}
			for _, s := range sites {
				n, _ := byStatus[status[s]].(float64)
				byStatus[status[s]] = n + 1
			}
			items := map[string]bool{}
			var seized, derived, disposed, broken, dets float64
			for _, r := range recs {
				switch r["op"] {
				case "evidence.seize":
					if s, ok := r["site"].(string); ok && siteOf[s] {
						items[r["id"].(string)] = true
						seized++
					}
				case "evidence.derive":
					if items[r["parent"].(string)] {
						items[r["id"].(string)] = true
						derived++
					}
				case "evidence.dispose":
					if items[r["item"].(string)] {
						disposed++
					}
				case "custody.transfer":
					if items[r["item"].(string)] && r["seal_condition"] == "broken" {
						broken++
					}
				case "detention.record":
					if s, _ := r["site"].(string); siteOf[s] || r["operation"] == op {
						dets++
					}
				}
			}
			rep, err := Oracle(file, op, end)
			if err != nil {
				t.Fatal(err)
			}
			nBroken := 0.0
			for _, a := range rep["custody_anomalies"].([]any) {
				if a.(map[string]any)["kind"] == "seal_broken" {
					nBroken++
				}
			}
			got := []any{rep["sites"], rep["sites_by_status"], rep["evidence_items"], rep["derived_items"], rep["open_items"], nBroken, rep["detentions"]}
			want := []any{float64(len(sites)), byStatus, seized, derived, seized + derived - disposed, broken, dets}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("seed %d %s: oracle %v, recount %v", seed, op, got, want)
			}
		}
	}
}

// TestGeneratedCoverage checks that a default file shows what the spec asks
// a report to show: every op, both anomaly kinds, all four deadline rules,
// and sites completed, aborted and planned.
func TestGeneratedCoverage(t *testing.T) {
	for seed := range int64(20) {
		file := Generate(seed, Options{})
		for _, op := range ops {
			if !strings.Contains(string(file), `{"op": "`+op+`"`) {
				t.Errorf("seed %d: no %s line", seed, op)
			}
		}
		rep, err := Oracle(file, "OP-1", time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, a := range rep["custody_anomalies"].([]any) {
			kinds[a.(map[string]any)["kind"].(string)] = true
		}
		rules := map[string]bool{}
		for _, v := range rep["deadline_violations"].([]any) {
			rules[v.(map[string]any)["rule"].(string)] = true
		}
		for _, want := range []string{"seal_broken", "seal_mismatch"} {
			if !kinds[want] {
				t.Errorf("seed %d: no %s anomaly in OP-1", seed, want)
			}
		}
		for _, want := range []string{"rights_notice_late", "rights_notice_missing", "hearing_late", "hearing_missing"} {
			if !rules[want] {
				t.Errorf("seed %d: no %s violation in OP-1", seed, want)
			}
		}
		for _, want := range []string{"completed", "aborted", "planned"} {
			if _, ok := rep["sites_by_status"].(map[string]any)[want]; !ok {
				t.Errorf("seed %d: no %s site in OP-1: %v", seed, want, rep["sites_by_status"])
			}
		}
		if rep["derived_items"].(float64) < 2 {
			t.Errorf("seed %d: %v derived items in OP-1", seed, rep["derived_items"])
		}
	}
}

// TestOracleAsOf pins the oracle's meaning on a small hand-written file
// (testdata/asof.jsonl) at three instants: statuses, detentions, deadlines,
// items and anomalies as of each, with times in three offsets.
func TestOracleAsOf(t *testing.T) {
	file, err := os.ReadFile("testdata/asof.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	common := `"operation": "OP", "case": "C", "sites": 3, "provinces": 2, "sites_by_province": {"Pichincha": 2, "Guayas": 1}, "personnel": 10`
	tests := []struct{ asOf, want string }{
		{"2024-01-10T01:15:00-05:00", `{` + common + `, "sites_by_status": {"en_route": 1, "planned": 2},
			"detentions": 2, "detentions_by_basis": {"warrant": 1, "flagrante": 1}, "detainees_by_role": {"judge": 1, "lawyer": 1},
			"evidence_items": 0, "evidence_units": 0, "evidence_by_type": {}, "derived_items": 0, "open_items": 0,
			"custody_anomalies": [], "deadline_violations": []}`},
		{"2024-01-10T03:30:00-05:00", `{` + common + `, "sites_by_status": {"completed": 1, "aborted": 1, "planned": 1},
			"detentions": 2, "detentions_by_basis": {"warrant": 1, "flagrante": 1}, "detainees_by_role": {"judge": 1, "lawyer": 1},
			"evidence_items": 2, "evidence_units": 6, "evidence_by_type": {"phone": 1, "cash": 1}, "derived_items": 0, "open_items": 2,
			"custody_anomalies": [{"item": "E1", "kind": "seal_mismatch", "at": "2024-01-10T08:00:00Z"}],
			"deadline_violations": [{"detention": "D2", "person": "P1", "rule": "rights_notice_late", "limit_minutes": 60, "actual_minutes": 61}]}`},
		{"2024-01-12T00:00:00Z", `{` + common + `, "sites_by_status": {"completed": 1, "aborted": 1, "planned": 1},
			"detentions": 3, "detentions_by_basis": {"warrant": 2, "flagrante": 1}, "detainees_by_role": {"judge": 1, "lawyer": 1, "police": 1},
			"evidence_items": 2, "evidence_units": 6, "evidence_by_type": {"phone": 1, "cash": 1}, "derived_items": 2, "open_items": 3,
			"custody_anomalies": [
				{"item": "E1", "kind": "seal_mismatch", "at": "2024-01-10T08:00:00Z"},
				{"item": "E1", "kind": "seal_broken", "at": "2024-01-10T04:00:00-05:00"},
				{"item": "E1", "kind": "seal_broken", "at": "2024-01-10T09:45:00Z"},
				{"item": "E1", "kind": "seal_mismatch", "at": "2024-01-10T09:45:00Z"}],
			"deadline_violations": [
				{"detention": "D1", "person": "P1", "rule": "hearing_missing", "limit_minutes": 1440, "actual_minutes": null},
				{"detention": "D2", "person": "P1", "rule": "rights_notice_late", "limit_minutes": 60, "actual_minutes": 61},
				{"detention": "D5", "person": "P2", "rule": "hearing_late", "limit_minutes": 1440, "actual_minutes": 1441},
				{"detention": "D5", "person": "P2", "rule": "rights_notice_missing", "limit_minutes": 60, "actual_minutes": null}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.asOf, func(t *testing.T) {
			asOf, ok := parseTime(tt.asOf)
			if !ok {
				t.Fatal("bad as-of")
			}
			got, err := Oracle(file, "OP", asOf)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if d := Diff(got, want); len(d) > 0 {
				t.Errorf("as of %s (got, want):\n  %s", tt.asOf, strings.Join(d, "\n  "))
			}
		})
	}
}
