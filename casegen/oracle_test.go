package casegen

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"
)

func TestOracleMetastasis(t *testing.T) {
	file, err := os.ReadFile("../testdata/metastasis.jsonl")
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
