package domain_test

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// rec is a case-file record under construction: op plus its fields.
type rec map[string]any

func (r rec) with(kv ...any) rec {
	out := maps.Clone(r)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func (r rec) without(keys ...string) rec {
	out := maps.Clone(r)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func (r rec) line() string {
	b, err := json.Marshal(map[string]any(r))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// harness applies case-file lines to a State the way the ledger does:
// casefile.Decode (which validates) and then State.Apply with the next seq.
// Every rejected line is checked to leave the state exactly as it was.
type harness struct {
	t   *testing.T
	st  *domain.State
	seq int64
}

func newHarness(t *testing.T, lines ...string) *harness {
	t.Helper()
	h := &harness{t: t, st: domain.NewState(domain.DefaultConfig)}
	h.must(lines...)
	return h
}

// snapshot is everything observable of a state: every projection row and the
// exported in-memory structures.
func snapshot(t *testing.T, st *domain.State) (map[string][]domain.Row, string) {
	t.Helper()
	rows := map[string][]domain.Row{}
	for _, tab := range domain.Tables {
		rows[tab.Name] = st.AllRows(tab.Name)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	return rows, string(b)
}

// try applies one line and returns its error (nil when accepted); a
// rejected line must leave the state as it was.
func (h *harness) try(line string) *custody.Error {
	h.t.Helper()
	return h.apply(line, true)
}

func (h *harness) apply(line string, checkUnchanged bool) *custody.Error {
	h.t.Helper()
	op, r, cerr := casefile.Decode([]byte(line))
	if cerr != nil {
		if cerr.Message == "" || cerr.MessageEN == "" || cerr.Code == "" {
			h.t.Errorf("decode error without code or message: %#v", cerr)
		}
		return cerr
	}
	var rowsBefore map[string][]domain.Row
	var jsonBefore string
	if checkUnchanged {
		rowsBefore, jsonBefore = snapshot(h.t, h.st)
	}
	_, err := h.st.Apply(op, r, h.seq)
	if err == nil {
		h.seq++
		return nil
	}
	var ce *custody.Error
	if !errors.As(err, &ce) {
		h.t.Fatalf("Apply(%s) returned %T %v, want *custody.Error", line, err, err)
	}
	if ce.Message == "" || ce.MessageEN == "" {
		h.t.Errorf("Apply(%s): error without message: %#v", line, ce)
	}
	if !checkUnchanged {
		return ce
	}
	rowsAfter, jsonAfter := snapshot(h.t, h.st)
	if !reflect.DeepEqual(rowsBefore, rowsAfter) {
		for _, tab := range domain.Tables {
			if !reflect.DeepEqual(rowsBefore[tab.Name], rowsAfter[tab.Name]) {
				h.t.Errorf("rejected %s changed table %s:\nbefore %v\nafter  %v", line, tab.Name, rowsBefore[tab.Name], rowsAfter[tab.Name])
			}
		}
	}
	if jsonBefore != jsonAfter {
		h.t.Errorf("rejected %s changed the in-memory state", line)
	}
	return ce
}

// must applies lines that must be accepted.
func (h *harness) must(lines ...string) {
	h.t.Helper()
	for _, l := range lines {
		if err := h.apply(l, false); err != nil {
			h.t.Fatalf("line rejected: %s\n%v (code %s)", l, err, err.Code)
		}
	}
}

// expect applies line and checks the outcome: accepted when code is "",
// otherwise rejected with that code and field.
func (h *harness) expect(line, code, field string) {
	h.t.Helper()
	err := h.try(line)
	switch {
	case code == "" && err != nil:
		h.t.Errorf("rejected %s: %v (code %s), want accepted", line, err, err.Code)
	case code != "" && err == nil:
		h.t.Errorf("accepted %s, want %s on %q", line, code, field)
	case code != "" && (err.Code != code || err.Field != field):
		h.t.Errorf("%s: got %s on %q (%v), want %s on %q", line, err.Code, err.Field, err, code, field)
	}
}

// row returns the row of table t whose first key column is id.
func (h *harness) row(table string, id any) map[string]any {
	h.t.Helper()
	tab, _ := domain.TableByName(table)
	for _, r := range h.st.AllRows(table) {
		if r[0] == id {
			m := map[string]any{}
			for i, c := range tab.Columns {
				m[c] = r[i]
			}
			return m
		}
	}
	h.t.Fatalf("no row %v in %s", id, table)
	return nil
}

// The prelude: a small valid deployment every rule test starts from.
// Times are on 2023-12-14 at -05:00. E1 is sealed (SEAL-1) and E2 unsealed,
// both held by o1 since 07:00; S1 is en_route, S2 planned; D1 arrested 06:30.
const T = "2023-12-14T"

var (
	rAgencyP  = rec{"op": "agency.add", "id": "AG-P", "name": "Policía", "kind": "police"}
	rAgencyF  = rec{"op": "agency.add", "id": "AG-F", "name": "Fiscalía", "kind": "prosecution"}
	rOfficer1 = rec{"op": "officer.add", "id": "o1", "name": "Agente Uno", "agency": "AG-P", "role": "agent"}
	rOfficer2 = rec{"op": "officer.add", "id": "o2", "name": "Custodio Dos", "agency": "AG-P", "role": "custodian"}
	rOfficer3 = rec{"op": "officer.add", "id": "o3", "name": "Fiscal Tres", "agency": "AG-F", "role": "prosecutor"}
	rCase1    = rec{"op": "case.open", "id": "C1", "title": "Caso uno", "at": "2023-01-01T09:00:00-05:00", "by": "o3"}
	rCase2    = rec{"op": "case.open", "id": "C2", "title": "Caso dos", "at": "2023-01-01T09:00:00-05:00", "by": "o3"}
	rPerson1  = rec{"op": "person.add", "id": "P1", "case": "C1", "name": "Persona Uno", "roles": []string{"judge", "lawyer"}}
	rPerson2  = rec{"op": "person.add", "id": "P2", "case": "C1", "name": "Persona Dos", "roles": []string{"police"}}
	rPersonX  = rec{"op": "person.add", "id": "PX", "case": "C2", "name": "Persona X", "roles": []string{"other"}}
	rOrg1     = rec{"op": "organization.add", "id": "ORG1", "case": "C1", "name": "Banda", "kind": "criminal_group"}
	rOrgX     = rec{"op": "organization.add", "id": "ORGX", "case": "C2", "name": "Empresa", "kind": "company"}
	rOp1      = rec{"op": "operation.plan", "id": "OP1", "case": "C1", "name": "Operativo", "h_hour": T + "06:00:00-05:00", "personnel": 10, "agencies": []string{"AG-P", "AG-F"}, "at": "2023-12-01T10:00:00-05:00", "by": "o3"}
	rOpX      = rec{"op": "operation.plan", "id": "OPX", "case": "C2", "name": "Otro", "h_hour": T + "06:00:00-05:00", "personnel": 3, "agencies": []string{"AG-P"}, "at": "2023-12-01T10:00:00-05:00", "by": "o3"}
	rSite1    = rec{"op": "site.add", "id": "S1", "operation": "OP1", "province": "Pichincha", "city": "Quito", "kind": "residence", "lead": "o1", "team": []string{"o2"}}
	rSite2    = rec{"op": "site.add", "id": "S2", "operation": "OP1", "province": "Guayas", "city": "Guayaquil", "kind": "office", "lead": "o1"}
	rSiteX    = rec{"op": "site.add", "id": "SX", "operation": "OPX", "province": "Loja", "city": "Loja", "kind": "court", "lead": "o2"}
	rStatus1  = rec{"op": "site.status", "site": "S1", "status": "en_route", "at": T + "06:00:00-05:00", "by": "o1"}
	rDet1     = rec{"op": "detention.record", "id": "D1", "case": "C1", "person": "P1", "basis": "warrant", "arrested_at": T + "06:30:00-05:00", "arrested_by": "o1", "site": "S1"}
	rSeize1   = rec{"op": "evidence.seize", "id": "E1", "case": "C1", "type": "phone", "description": "Teléfono", "seized_at": T + "07:00:00-05:00", "seized_by": "o1", "site": "S1", "seal": "SEAL-1"}
	rSeize2   = rec{"op": "evidence.seize", "id": "E2", "case": "C1", "type": "documents", "description": "Documentos", "seized_at": T + "07:00:00-05:00", "seized_by": "o1", "site": "S1"}
	rSeizeX   = rec{"op": "evidence.seize", "id": "EX", "case": "C2", "type": "cash", "description": "Dinero", "seized_at": T + "07:00:00-05:00", "seized_by": "o2", "site": "SX"}
	rStmt1    = rec{"op": "statement.add", "id": "ST1", "case": "C1", "at": T + "09:00:00-05:00", "source": "Cuenta oficial", "text": "Comunicado"}
	rStmtX    = rec{"op": "statement.add", "id": "STX", "case": "C2", "at": T + "09:00:00-05:00", "source": "Video", "text": "Otro"}
	rLink1    = rec{"op": "link.add", "id": "L1", "case": "C1", "from": "P1", "to": "ORG1", "kind": "financed"}
)

func preludeLines() []string {
	var out []string
	for _, r := range []rec{rAgencyP, rAgencyF, rOfficer1, rOfficer2, rOfficer3, rCase1, rCase2, rPerson1, rPerson2, rPersonX,
		rOrg1, rOrgX, rOp1, rOpX, rSite1, rSite2, rSiteX, rStatus1, rDet1, rSeize1, rSeize2, rSeizeX, rStmt1, rStmtX, rLink1} {
		out = append(out, r.line())
	}
	return out
}

func prelude(t *testing.T, more ...rec) *harness {
	t.Helper()
	h := newHarness(t, preludeLines()...)
	for _, r := range more {
		h.must(r.line())
	}
	return h
}
