package domain_test

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// opSpec describes one op of the spec's table for the generated tests: a
// record valid against the prelude, and which of its fields are required,
// ids, times, enums and references.
type opSpec struct {
	valid    rec
	required []string
	ids      []string // id-valued fields (single ids)
	times    []string
	enums    map[string]map[string]bool
	refs     map[string]string // field → a value of the right form naming no record
	dup      rec               // the valid record with an id already taken ("" when the op creates nothing)
}

func opSpecs() map[string]opSpec {
	at := T + "10:00:00-05:00"
	sha := strings.Repeat("ab", 32)
	return map[string]opSpec{
		"agency.add": {
			valid:    rec{"op": "agency.add", "id": "AG-N", "name": "Nueva", "kind": "judiciary"},
			required: []string{"id", "name", "kind"}, ids: []string{"id"},
			enums: map[string]map[string]bool{"kind": casefile.AgencyKinds},
			dup:   rAgencyP,
		},
		"officer.add": {
			valid:    rec{"op": "officer.add", "id": "o9", "name": "Nuevo", "agency": "AG-P", "role": "clerk"},
			required: []string{"id", "name", "agency", "role"}, ids: []string{"id", "agency"},
			enums: map[string]map[string]bool{"role": casefile.OfficerRoles},
			refs:  map[string]string{"agency": "AG-NONE"},
			dup:   rOfficer1.with("agency", "AG-F"),
		},
		"case.open": {
			valid:    rec{"op": "case.open", "id": "C9", "title": "Nuevo", "at": at, "by": "o3", "summary": "Resumen"},
			required: []string{"id", "title", "at", "by"}, ids: []string{"id", "by"}, times: []string{"at"},
			refs: map[string]string{"by": "o-none"},
			dup:  rCase1,
		},
		"person.add": {
			valid:    rec{"op": "person.add", "id": "P9", "case": "C1", "name": "Nueva", "roles": []string{"prosecutor"}, "reserved": true, "institution": "Fiscalía", "position": "Agente"},
			required: []string{"id", "case", "name", "roles"}, ids: []string{"id", "case"},
			refs: map[string]string{"case": "C-NONE"},
			dup:  rPerson1,
		},
		"organization.add": {
			valid:    rec{"op": "organization.add", "id": "ORG9", "case": "C1", "name": "Bufete", "kind": "law_firm", "jurisdiction": "Ecuador"},
			required: []string{"id", "case", "name", "kind"}, ids: []string{"id", "case"},
			enums: map[string]map[string]bool{"kind": casefile.OrganizationKinds},
			refs:  map[string]string{"case": "C-NONE"},
			dup:   rOrg1,
		},
		"link.add": {
			valid:    rec{"op": "link.add", "id": "L9", "case": "C1", "from": "P1", "to": "ORG1", "kind": "paid", "at": at, "source": "E1", "note": "Nota"},
			required: []string{"id", "case", "from", "to", "kind"}, ids: []string{"id", "case", "from", "to", "source"}, times: []string{"at"},
			refs: map[string]string{"case": "C-NONE", "from": "P-NONE", "to": "P-NONE", "source": "E-NONE"},
			dup:  rLink1,
		},
		"operation.plan": {
			valid:    rec{"op": "operation.plan", "id": "OP9", "case": "C1", "name": "Otro", "h_hour": at, "personnel": 0, "agencies": []string{"AG-F"}, "at": at, "by": "o3"},
			required: []string{"id", "case", "name", "h_hour", "personnel", "agencies", "at", "by"}, ids: []string{"id", "case", "by"}, times: []string{"h_hour", "at"},
			refs: map[string]string{"case": "C-NONE", "by": "o-none"},
			dup:  rOp1,
		},
		"site.add": {
			valid:    rec{"op": "site.add", "id": "S9", "operation": "OP1", "province": "Manabí", "city": "Manta", "kind": "vehicle", "lead": "o2", "address": "Calle 1", "warrant": "W-1", "team": []string{"o1", "o3"}},
			required: []string{"id", "operation", "province", "city", "kind", "lead"}, ids: []string{"id", "operation", "lead"},
			enums: map[string]map[string]bool{"kind": casefile.SiteKinds},
			refs:  map[string]string{"operation": "OP-NONE", "lead": "o-none"},
			dup:   rSite1,
		},
		"site.status": {
			valid:    rec{"op": "site.status", "site": "S2", "status": "entered", "at": at, "by": "o1", "note": "Nota"},
			required: []string{"site", "status", "at", "by"}, ids: []string{"site", "by"}, times: []string{"at"},
			enums: map[string]map[string]bool{"status": casefile.SiteStatuses},
			refs:  map[string]string{"site": "S-NONE", "by": "o-none"},
		},
		"detention.record": {
			valid: rec{"op": "detention.record", "id": "D9", "case": "C1", "person": "P2", "basis": "flagrante", "arrested_at": T + "08:00:00-05:00", "arrested_by": "o2",
				"operation": "OP1", "site": "S2", "place": "Calle", "charge": "Cohecho", "rights_notified_at": T + "08:10:00-05:00", "hearing_at": "2023-12-15T08:00:00-05:00",
				"released_at": "2023-12-16T08:00:00-05:00", "note": "Nota"},
			required: []string{"id", "case", "person", "basis", "arrested_at", "arrested_by"}, ids: []string{"id", "case", "person", "arrested_by", "operation", "site"},
			times: []string{"arrested_at", "rights_notified_at", "hearing_at", "released_at"},
			enums: map[string]map[string]bool{"basis": casefile.DetentionBases},
			refs:  map[string]string{"case": "C-NONE", "person": "P-NONE", "arrested_by": "o-none", "operation": "OP-NONE", "site": "S-NONE"},
			dup:   rDet1.with("person", "P2"),
		},
		"detention.update": {
			valid:    rec{"op": "detention.update", "detention": "D1", "at": at, "by": "o1", "rights_notified_at": T + "07:00:00-05:00"},
			required: []string{"detention", "at", "by"}, ids: []string{"detention", "by"}, times: []string{"at", "rights_notified_at"},
			refs: map[string]string{"detention": "D-NONE", "by": "o-none"},
		},
		"statement.add": {
			valid:    rec{"op": "statement.add", "id": "ST9", "case": "C1", "at": at, "source": "Prensa", "text": "Texto", "speaker": "Alguien"},
			required: []string{"id", "case", "at", "source", "text"}, ids: []string{"id", "case"}, times: []string{"at"},
			refs: map[string]string{"case": "C-NONE"},
			dup:  rStmt1,
		},
		"evidence.seize": {
			valid: rec{"op": "evidence.seize", "id": "E9", "case": "C1", "type": "laptop", "description": "Portátil", "seized_at": at, "seized_by": "o2",
				"site": "S2", "place": "Escritorio", "quantity": 2, "seal": "SEAL-9", "digital": true},
			required: []string{"id", "case", "type", "description", "seized_at", "seized_by"}, ids: []string{"id", "case", "seized_by", "site"}, times: []string{"seized_at"},
			enums: map[string]map[string]bool{"type": casefile.ItemTypes},
			refs:  map[string]string{"case": "C-NONE", "seized_by": "o-none", "site": "S-NONE"},
			dup:   rSeize2,
		},
		"custody.transfer": {
			valid:    rec{"op": "custody.transfer", "item": "E1", "from": "o1", "to": "o2", "at": at, "purpose": "storage", "seal_condition": "intact", "seal": "SEAL-1", "location": "Bodega"},
			required: []string{"item", "from", "to", "at", "purpose", "seal_condition"}, ids: []string{"item", "from", "to"}, times: []string{"at"},
			enums: map[string]map[string]bool{"purpose": casefile.Purposes},
			refs:  map[string]string{"item": "E-NONE", "to": "o-none"},
		},
		"custody.open": {
			valid:    rec{"op": "custody.open", "item": "E1", "at": at, "by": "o1", "reason": "Peritaje"},
			required: []string{"item", "at", "by", "reason"}, ids: []string{"item", "by"}, times: []string{"at"},
			refs: map[string]string{"item": "E-NONE"},
		},
		"custody.seal": {
			valid:    rec{"op": "custody.seal", "item": "E2", "seal": "SEAL-2", "at": at, "by": "o1"},
			required: []string{"item", "seal", "at", "by"}, ids: []string{"item", "by"}, times: []string{"at"},
			refs: map[string]string{"item": "E-NONE"},
		},
		"evidence.derive": {
			valid:    rec{"op": "evidence.derive", "id": "E1-IMG", "parent": "E1", "type": "forensic_image", "description": "Imagen", "at": at, "by": "o1", "sha256": sha, "size": 1024, "tool": "Herramienta"},
			required: []string{"id", "parent", "type", "description", "at", "by"}, ids: []string{"id", "parent", "by"}, times: []string{"at"},
			enums: map[string]map[string]bool{"type": casefile.DerivedTypes},
			refs:  map[string]string{"parent": "E-NONE"},
			dup:   rec{"op": "evidence.derive", "id": "E2", "parent": "E1", "type": "copy", "description": "Copia", "at": at, "by": "o1"},
		},
		"evidence.attach": {
			valid:    rec{"op": "evidence.attach", "item": "E1", "name": "foto.jpg", "sha256": sha, "size": 0, "at": at, "by": "o1", "media_type": "image/jpeg"},
			required: []string{"item", "name", "sha256", "size", "at", "by"}, ids: []string{"item", "by"}, times: []string{"at"},
			refs: map[string]string{"item": "E-NONE"},
		},
		"court.present": {
			valid:    rec{"op": "court.present", "item": "E1", "at": at, "by": "o1", "hearing": "Audiencia 1"},
			required: []string{"item", "at", "by", "hearing"}, ids: []string{"item", "by"}, times: []string{"at"},
			refs: map[string]string{"item": "E-NONE"},
		},
		"evidence.dispose": {
			valid:    rec{"op": "evidence.dispose", "item": "E1", "at": at, "by": "o1", "method": "forfeited", "order": "Orden 1"},
			required: []string{"item", "at", "by", "method"}, ids: []string{"item", "by"}, times: []string{"at"},
			enums: map[string]map[string]bool{"method": casefile.DisposeMethods},
			refs:  map[string]string{"item": "E-NONE"},
		},
	}
}

func sortedOps(m map[string]opSpec) []string {
	var ops []string
	for op := range m {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

func sortedSet(s map[string]bool) []string {
	var out []string
	for v := range s {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// TestEveryOp covers, for every op of the spec: the valid record accepted,
// every required field missing, an unknown field, malformed ids, times
// without an offset, every enum value (and one outside it), every reference
// to an undefined record, and a duplicate id.
func TestEveryOp(t *testing.T) {
	specs := opSpecs()
	if len(specs) != 20 {
		t.Fatalf("%d ops covered, the spec has 20", len(specs))
	}
	for _, op := range sortedOps(specs) {
		s := specs[op]
		t.Run(op, func(t *testing.T) {
			t.Run("valid", func(t *testing.T) {
				prelude(t).expect(s.valid.line(), "", "")
			})
			for _, f := range s.required {
				t.Run("missing/"+f, func(t *testing.T) {
					prelude(t).expect(s.valid.without(f).line(), custody.EInvalid, f)
				})
				if f == "agencies" {
					continue // an operation of no agency is allowed; see TestListReferences
				}
				t.Run("empty/"+f, func(t *testing.T) {
					v := any("")
					if _, isList := s.valid[f].([]string); isList {
						v = []string{}
					}
					if _, isNum := s.valid[f].(int); isNum {
						v = nil
					}
					prelude(t).expect(s.valid.with(f, v).line(), custody.EInvalid, f)
				})
			}
			t.Run("unknown_field", func(t *testing.T) {
				prelude(t).expect(s.valid.with("colour", "red").line(), custody.EInvalid, "colour")
			})
			t.Run("misspelt_field", func(t *testing.T) {
				// A typo of an optional field must not pass silently.
				prelude(t).expect(s.valid.with("notes", "x").line(), custody.EInvalid, "notes")
			})
			for _, f := range s.ids {
				for _, bad := range []string{"-x", ".x", "a b", "é1", "x/y", "x#1", strings.Repeat("a", 65), "x\n"} {
					t.Run("bad_id/"+f+"/"+bad[:min(len(bad), 8)], func(t *testing.T) {
						prelude(t).expect(s.valid.with(f, bad).line(), custody.EInvalid, f)
					})
				}
			}
			for _, f := range s.times {
				for _, bad := range []string{"2023-12-14T10:00:00", "2023-12-14 10:00:00-05:00", "2023-12-14", "10:00:00-05:00", "2023-12-14T10:00-05:00", "2023-13-14T10:00:00-05:00", "yesterday"} {
					t.Run("bad_time/"+f+"/"+bad, func(t *testing.T) {
						prelude(t).expect(s.valid.with(f, bad).line(), custody.EInvalid, f)
					})
				}
			}
			for f, allowed := range s.enums {
				for _, v := range sortedSet(allowed) {
					t.Run("enum/"+f+"/"+v, func(t *testing.T) {
						prelude(t).expect(s.valid.with(f, v).line(), "", "")
					})
				}
				for _, bad := range []string{"nope", strings.ToUpper(sortedSet(allowed)[0]), " " + sortedSet(allowed)[0]} {
					t.Run("enum/"+f+"/bad/"+bad, func(t *testing.T) {
						prelude(t).expect(s.valid.with(f, bad).line(), custody.EInvalid, f)
					})
				}
			}
			for f, none := range s.refs {
				t.Run("undefined/"+f, func(t *testing.T) {
					prelude(t).expect(s.valid.with(f, none).line(), custody.EReference, f)
				})
			}
			if s.dup != nil {
				t.Run("duplicate_id", func(t *testing.T) {
					prelude(t).expect(s.dup.line(), custody.EDuplicate, "id")
				})
			}
		})
	}
}

// TestListReferences checks every element of list-valued references.
func TestListReferences(t *testing.T) {
	specs := opSpecs()
	cases := []struct {
		name, code, field string
		r                 rec
	}{
		{"operation agencies undefined", custody.EReference, "agencies", specs["operation.plan"].valid.with("agencies", []string{"AG-P", "AG-NONE"})},
		{"operation agencies repeated", custody.EInvalid, "agencies", specs["operation.plan"].valid.with("agencies", []string{"AG-P", "AG-P"})},
		{"operation agencies bad id", custody.EInvalid, "agencies", specs["operation.plan"].valid.with("agencies", []string{"AG P"})},
		{"operation no agencies", "", "", specs["operation.plan"].valid.with("agencies", []string{})},
		{"site team undefined", custody.EReference, "team", specs["site.add"].valid.with("team", []string{"o1", "o-none"})},
		{"site team person not officer", custody.EReference, "team", specs["site.add"].valid.with("team", []string{"P1"})},
		{"site team repeated", custody.EInvalid, "team", specs["site.add"].valid.with("team", []string{"o1", "o1"})},
		{"site lead is a person", custody.EReference, "lead", specs["site.add"].valid.with("lead", "P1")},
		{"person roles outside the set", custody.EInvalid, "roles", specs["person.add"].valid.with("roles", []string{"judge", "astronaut"})},
		{"person roles repeated", custody.EInvalid, "roles", specs["person.add"].valid.with("roles", []string{"judge", "judge"})},
		{"person roles not a list", custody.EInvalid, "roles", specs["person.add"].valid.with("roles", "judge")},
	}
	for _, role := range sortedSet(casefile.PersonRoles) {
		cases = append(cases, struct {
			name, code, field string
			r                 rec
		}{"person role " + role, "", "", specs["person.add"].valid.with("roles", []string{role})})
	}
	cases = append(cases, struct {
		name, code, field string
		r                 rec
	}{"person all roles", "", "", specs["person.add"].valid.with("roles", sortedSet(casefile.PersonRoles))})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { prelude(t).expect(c.r.line(), c.code, c.field) })
	}
}

// TestDecodeRejections covers lines that cannot be read as a record at all.
func TestDecodeRejections(t *testing.T) {
	cases := []struct{ name, line, field string }{
		{"unknown op", `{"op": "evidence.steal", "id": "E9"}`, "op"},
		{"missing op", `{"id": "AG-9", "name": "x", "kind": "police"}`, "op"},
		{"op not a string", `{"op": 7, "id": "AG-9"}`, "op"},
		{"op null", `{"op": null, "id": "AG-9"}`, "op"},
		{"op case differs", `{"op": "Agency.add", "id": "AG-9", "name": "x", "kind": "police"}`, "op"},
		{"not JSON", `agency.add AG-9`, ""},
		{"truncated", `{"op": "agency.add", "id": "AG-9"`, ""},
		{"an array", `[{"op": "agency.add"}]`, ""},
		{"data after the object", `{"op": "agency.add", "id": "AG-9", "name": "x", "kind": "police"} {}`, ""},
		{"wrong type", `{"op": "operation.plan", "id": "OP9", "case": "C1", "name": "x", "h_hour": "2023-12-14T06:00:00-05:00", "personnel": "10", "agencies": [], "at": "2023-12-14T06:00:00-05:00", "by": "o3"}`, "personnel"},
		{"fractional number", `{"op": "operation.plan", "id": "OP9", "case": "C1", "name": "x", "h_hour": "2023-12-14T06:00:00-05:00", "personnel": 1.5, "agencies": [], "at": "2023-12-14T06:00:00-05:00", "by": "o3"}`, "personnel"},
		{"bool as string", `{"op": "person.add", "id": "P9", "case": "C1", "name": "x", "roles": ["judge"], "reserved": "yes"}`, "reserved"},
		{"invalid UTF-8", "{\"op\": \"agency.add\", \"id\": \"AG-9\", \"name\": \"\xff\", \"kind\": \"police\"}", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := prelude(t)
			err := h.try(c.line)
			if err == nil {
				t.Fatalf("accepted %s", c.line)
			}
			if err.Code != custody.EInvalid || err.Field != c.field {
				t.Errorf("got %s on %q (%v), want %s on %q", err.Code, err.Field, err, custody.EInvalid, c.field)
			}
		})
	}
}

// TestIDs checks the id pattern's edges and that ids are unique per kind
// only.
func TestIDs(t *testing.T) {
	ag := opSpecs()["agency.add"].valid
	for _, good := range []string{"A", "9", strings.Repeat("a", 64), "a.b_c:d-e", "Z-0:1.2_3"} {
		t.Run("good/"+good[:min(8, len(good))], func(t *testing.T) { prelude(t).expect(ag.with("id", good).line(), "", "") })
	}
	// Unique per kind of record: an organization may share a person's id.
	t.Run("same id, other kind", func(t *testing.T) {
		prelude(t).expect(rec{"op": "organization.add", "id": "o1", "case": "C1", "name": "x", "kind": "other"}.line(), "", "")
	})
	// An evidence item id is never reused, whether seized or derived.
	t.Run("seize over a derived id", func(t *testing.T) {
		h := prelude(t, opSpecs()["evidence.derive"].valid)
		h.expect(rSeize1.with("id", "E1-IMG").line(), custody.EDuplicate, "id")
	})
	t.Run("derive over a seized id", func(t *testing.T) {
		prelude(t).expect(opSpecs()["evidence.derive"].valid.with("id", "E1").line(), custody.EDuplicate, "id")
	})
}

// TestEnumErrorListsAllowedValues: a value outside an enum is refused
// naming the values that are allowed (issue 15: `role: valor "boss" no
// admitido` did not say what would be).
func TestEnumErrorListsAllowedValues(t *testing.T) {
	err := domain.ValidateSystem(&domain.AccountCreate{Account: "x", Name: "X", Role: "boss"})
	var ce *custody.Error
	if !errors.As(err, &ce) || ce.Field != "role" {
		t.Fatalf("got %v, want an error on role", err)
	}
	for _, want := range []string{"admin", "prosecutor", "custodian", "defense"} {
		if !strings.Contains(ce.Message, want) || !strings.Contains(ce.MessageEN, want) {
			t.Errorf("the message does not list %q: %q / %q", want, ce.Message, ce.MessageEN)
		}
	}
	if !strings.Contains(ce.Message, "se admiten") || !strings.Contains(ce.MessageEN, "allowed:") {
		t.Errorf("messages %q / %q", ce.Message, ce.MessageEN)
	}
}
