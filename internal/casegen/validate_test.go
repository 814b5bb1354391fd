package casegen

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestValidateRules appends lines to testdata/asof.jsonl (valid) and checks
// the validator's verdict on the spec's boundaries: what must pass and what
// must be rejected.
func TestValidateRules(t *testing.T) {
	base, err := os.ReadFile("testdata/asof.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(base); err != nil {
		t.Fatalf("base file: %v", err)
	}
	// State at the end of the base file: E1 held by o1, unsealed, last event at
	// 10:00Z (its derivation), E2 held by o2 unsealed, E3 held by o2 unsealed, E1-DD disposed,
	// S1 completed, S2 aborted, S3 and S4 planned.
	tests := []struct {
		name, lines string
		reject      string // "" when the lines must pass; else a word of the reason
	}{
		{"same instant, other offset", `{"op": "court.present", "item": "E1", "at": "2024-01-10T10:00:00Z", "by": "o1", "hearing": "A"}`, ""},
		{"one minute earlier", `{"op": "court.present", "item": "E1", "at": "2024-01-10T04:59:00-05:00", "by": "o1", "hearing": "A"}`, "earlier"},
		{"aborted from planned", `{"op": "site.status", "site": "S3", "status": "aborted", "at": "2024-01-10T01:00:00-05:00", "by": "o1"}`, ""},
		{"skip to completed", `{"op": "site.status", "site": "S3", "status": "completed", "at": "2024-01-10T01:00:00-05:00", "by": "o1"}`, ""},
		{"aborted after completed", `{"op": "site.status", "site": "S1", "status": "aborted", "at": "2024-01-11T01:00:00-05:00", "by": "o1"}`, "completed"},
		{"anything after aborted", `{"op": "site.status", "site": "S2", "status": "completed", "at": "2024-01-11T01:00:00-05:00", "by": "o1"}`, "aborted"},
		{"same status twice is not forward", `{"op": "site.status", "site": "S3", "status": "entered", "at": "2024-01-10T01:00:00-05:00", "by": "o1"}
{"op": "site.status", "site": "S3", "status": "entered", "at": "2024-01-10T01:05:00-05:00", "by": "o1"}`, "forward"},
		{"unsealed needs none", `{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": "2024-01-11T00:00:00Z", "purpose": "storage", "seal_condition": "intact"}`, "unsealed"},
		{"seal on unsealed", `{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": "2024-01-11T00:00:00Z", "purpose": "storage", "seal_condition": "none", "seal": "X2"}`, "seal"},
		{"reseal then matching seal", `{"op": "custody.seal", "item": "E1", "seal": "X4", "at": "2024-01-11T00:00:00Z", "by": "o1"}
{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": "2024-01-11T00:00:00Z", "purpose": "storage", "seal_condition": "intact", "seal": "X4"}`, ""},
		{"sealed needs intact or broken", `{"op": "custody.seal", "item": "E1", "seal": "X4", "at": "2024-01-11T00:00:00Z", "by": "o1"}
{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": "2024-01-11T00:00:00Z", "purpose": "storage", "seal_condition": "none"}`, "sealed"},
		{"to is a person", `{"op": "custody.transfer", "item": "E2", "from": "o2", "to": "P1", "at": "2024-01-11T00:00:00Z", "purpose": "storage", "seal_condition": "none"}`, "officer"},
		{"disposed", `{"op": "evidence.attach", "item": "E1-DD", "name": "f", "sha256": "0000000000000000000000000000000000000000000000000000000000000000", "size": 0, "at": "2024-01-11T00:00:00Z", "by": "o1"}`, "disposed"},
		{"derive of a derived item's child by holder", `{"op": "evidence.derive", "id": "E1-D2", "parent": "E1-D", "type": "copy", "description": "c", "at": "2024-01-11T00:00:00Z", "by": "o1", "size": 0}`, ""},
		{"derived id reuses a seized id", `{"op": "evidence.derive", "id": "E2", "parent": "E1-D", "type": "copy", "description": "c", "at": "2024-01-11T00:00:00Z", "by": "o1"}`, "duplicate"},
		{"ids are per kind", `{"op": "agency.add", "id": "o1", "name": "Agencia o1", "kind": "other"}`, ""},
		{"update sets released", `{"op": "detention.update", "detention": "D1", "at": "2024-01-11T00:00:00Z", "by": "o2", "released_at": "2024-01-10T01:00:00-05:00"}`, ""},
		{"update sets rights again", `{"op": "detention.update", "detention": "D1", "at": "2024-01-11T00:00:00Z", "by": "o2", "rights_notified_at": "2024-01-10T02:00:00-05:00"}`, "already"},
		{"update before arrest", `{"op": "detention.update", "detention": "D3", "at": "2024-01-11T00:00:00Z", "by": "o2", "hearing_at": "2024-01-10T00:59:00-05:00"}`, "before"},
		{"update with nothing", `{"op": "detention.update", "detention": "D3", "at": "2024-01-11T00:00:00Z", "by": "o2"}`, "none"},
		{"personnel zero", `{"op": "operation.plan", "id": "OP3", "case": "C", "name": "x", "h_hour": "2024-01-10T01:00:00Z", "personnel": 0, "agencies": [], "at": "2024-01-10T01:00:00Z", "by": "o1"}`, ""},
		{"quantity zero", `{"op": "evidence.seize", "id": "E9", "case": "C", "type": "cash", "description": "d", "seized_at": "2024-01-10T01:00:00Z", "seized_by": "o1", "quantity": 0}`, "quantity"},
		{"quantity not integer", `{"op": "evidence.seize", "id": "E9", "case": "C", "type": "cash", "description": "d", "seized_at": "2024-01-10T01:00:00Z", "seized_by": "o1", "quantity": 1.5}`, "integer"},
		{"time without offset", `{"op": "statement.add", "id": "ST", "case": "C", "at": "2024-01-10T01:00:00", "source": "s", "text": "t"}`, "offset"},
		{"lowercase hex only", `{"op": "evidence.attach", "item": "E2", "name": "f", "sha256": "000000000000000000000000000000000000000000000000000000000000000A", "size": 0, "at": "2024-01-11T00:00:00Z", "by": "o2"}`, "hex"},
		{"link to other kind", `{"op": "link.add", "id": "L", "case": "C", "from": "P1", "to": "o1", "kind": "paid"}`, "person or organization"},
		{"link source statement later", `{"op": "link.add", "id": "L", "case": "C", "from": "P1", "to": "P2", "kind": "paid", "source": "ST"}
{"op": "statement.add", "id": "ST", "case": "C", "at": "2024-01-10T01:00:00Z", "source": "s", "text": "t"}`, "source"},
		{"blank lines ignored", "\n   \n" + `{"op": "agency.add", "id": "FGE", "name": "F", "kind": "prosecution"}`, ""},
		{"roles empty", `{"op": "person.add", "id": "P9", "case": "C", "name": "n", "roles": []}`, "at least one"},
		{"unknown field", `{"op": "agency.add", "id": "FGE", "name": "F", "kind": "prosecution", "Kind": "police"}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := string(base) + tt.lines + "\n"
			err := Validate([]byte(file))
			if tt.reject == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("accepted, want a rejection (%s)", tt.reject)
			}
			if !strings.Contains(le.Reason, tt.reject) {
				t.Errorf("reason %q does not mention %q", le.Reason, tt.reject)
			}
			if n := strings.Count(string(base), "\n"); le.Line <= n {
				t.Errorf("rejected line %d, which is in the valid base file", le.Line)
			}
		})
	}
}
