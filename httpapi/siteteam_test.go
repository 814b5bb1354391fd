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
