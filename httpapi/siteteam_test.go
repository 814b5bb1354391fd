package httpapi

import (
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/ledger"
)

// An agent of one site (pn.s-pic-01.lead) recorded "aborted" on another
// team's site through the API: a final status, after which that team can
// record no seizure or detention there. An agent records the status of
// the sites whose team they are on; the site's own team and the
// prosecutor still may, through the API and the generic records route.
func TestAgentRecordsOnlyTheirTeamsSiteStatus(t *testing.T) {
	e := newEnv(t)
	n := int64(10)
	e.append(
		ledger.Record{Op: casefile.OpOperation, Rec: &casefile.Operation{ID: "OP-NUEVO", Case: "METASTASIS", Name: "Nuevo", HHour: "2024-06-02T01:00:00-05:00", Personnel: &n, Agencies: []string{"PN"}, At: "2024-06-01T06:00:00-05:00", By: "fge.salazar"}},
		ledger.Record{Op: casefile.OpSite, Rec: &casefile.Site{ID: "S-NUEVO", Operation: "OP-NUEVO", Province: "Pichincha", City: "Quito", Kind: "residence", Lead: "pn.s-chi-01.lead", Address: "Calle 1", Warrant: "Orden 1", Team: []string{"pn.s-chi-01.1"}}},
	)
	e.account("otro-equipo", "agent", "pn.s-pic-01.lead", "METASTASIS")
	e.account("equipo", "agent", "pn.s-chi-01.1", "METASTASIS")
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	other, team, fiscal := e.token("otro-equipo", "write"), e.token("equipo", "write"), e.token("fiscal", "write")

	before := e.d.Ledger.Size()
	st, b := e.do("POST", "/api/v1/sites/S-NUEVO/status", other, `{"status":"aborted","at":"2024-06-01T06:30:00-05:00","by":"pn.s-pic-01.lead"}`)
	if st != 403 || decodeErr(t, b).Field != "site" || !strings.Contains(decodeErr(t, b).Message, "solo el equipo del sitio S-NUEVO") {
		t.Errorf("another team's agent aborting the site: %d %s, want 403 on site", st, b)
	}
	st, b = e.do("POST", "/api/v1/records", other, `{"op":"site.status","site":"S-NUEVO","status":"completed","at":"2024-06-01T06:30:00-05:00","by":"pn.s-pic-01.lead"}`)
	if st != 403 {
		t.Errorf("another team's agent completing the site through /records: %d %s, want 403", st, b)
	}
	if after := e.d.Ledger.Size(); after != before {
		t.Errorf("the refused statuses grew the log from %d to %d", before, after)
	}
	if st, b := e.do("POST", "/api/v1/sites/S-NUEVO/status", team, `{"status":"en_route","at":"2024-06-01T06:40:00-05:00","by":"pn.s-chi-01.1"}`); st != 201 {
		t.Errorf("the site's own team member: %d %s, want 201", st, b)
	}
	if st, b := e.do("POST", "/api/v1/sites/S-NUEVO/status", fiscal, `{"status":"entered","at":"2024-06-01T06:50:00-05:00","by":"fge.salazar"}`); st != 201 {
		t.Errorf("the prosecutor: %d %s, want 201", st, b)
	}
}

// A seizure and a detention dated 1901 were recorded live in a case opened
// in 2022 (and a field device whose clock fell back to 1970 would do the
// same): every other check admits a year from 1900. An act of a case
// dated before the case was opened is refused, on its time field, and
// nothing is logged; one dated after is recorded.
func TestActBeforeTheCaseOpenedIsRefused(t *testing.T) {
	e := newEnv(t)
	e.account("fiscal", "prosecutor", "fge.salazar", "METASTASIS")
	fiscal := e.token("fiscal", "write")
	before := e.d.Ledger.Size()
	for _, c := range []struct{ name, body, field string }{
		{"seizure", `{"op":"evidence.seize","id":"E-VIEJO","case":"METASTASIS","type":"cash","description":"x","seized_at":"1901-01-01T00:00:00-05:00","seized_by":"fge.salazar","seal":"S-V"}`, "seized_at"},
		{"detention", `{"op":"detention.record","id":"D-VIEJO","case":"METASTASIS","person":"P-03","basis":"warrant","arrested_at":"1970-01-01T00:00:00Z","arrested_by":"fge.salazar","place":"Quito","charge":"x"}`, "arrested_at"},
		{"statement", `{"op":"statement.add","id":"ST-VIEJO","case":"METASTASIS","at":"2022-10-04T08:59:59-05:00","source":"x","text":"y"}`, "at"},
	} {
		st, b := e.do("POST", "/api/v1/records", fiscal, c.body)
		if st != 422 || decodeErr(t, b).Field != c.field || !strings.Contains(decodeErr(t, b).Message, "anterior a la apertura del caso METASTASIS") {
			t.Errorf("%s before the case opened: %d %s, want 422 on %s", c.name, st, b, c.field)
		}
	}
	if after := e.d.Ledger.Size(); after != before {
		t.Errorf("the refused acts grew the log from %d to %d", before, after)
	}
	if st, b := e.do("POST", "/api/v1/records", fiscal, `{"op":"statement.add","id":"ST-NUEVO","case":"METASTASIS","at":"2022-10-04T09:00:00-05:00","source":"x","text":"y"}`); st != 201 {
		t.Errorf("a statement at the case's opening: %d %s, want 201", st, b)
	}
}
