package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/gateway"
)

// TestPageReadsRecorded walks every signed-in page that shows a case's
// contents and requires each view to add its reads to the case's access
// log (who viewed what), as the API's reads do: the account, the kind and
// the id, among them every reserved identity the page shows by name. The
// walk is every GET page route: one added later fails here until it is
// walked or its exemption says why it shows nothing of a case.
func TestPageReadsRecorded(t *testing.T) {
	e := newEnvAt(t, afterFile)
	e.withSynthetic()
	e.member("jueza", "judge", "")
	type read struct{ kind, id string }
	pages := map[string]struct {
		path, account string
		want          []read
	}{
		"/casos":                          {"/casos", "jueza", []read{{"case", "METASTASIS"}}},
		"/casos/{case}":                   {"/casos/METASTASIS", "jueza", []read{{"case", "METASTASIS"}, {"persons", "METASTASIS"}, {"reserved_identity", "P-24"}}},
		"/operativos/{operation}/tablero": {"/operativos/OP-METASTASIS/tablero", "jueza", []read{{"report", "OP-METASTASIS"}, {"detentions", "METASTASIS"}, {"reserved_identity", "P-24"}}},
		"/casos/{case}/detenciones":       {"/casos/METASTASIS/detenciones", "jueza", []read{{"detentions", "METASTASIS"}, {"reserved_identity", "P-24"}}},
		"/casos/{case}/accesos":           {"/casos/METASTASIS/accesos", "fiscal", []read{{"access", "METASTASIS"}}},
		"/casos/{case}/analisis":          {"/casos/METASTASIS/analisis", "jueza", []read{{"analysis", "METASTASIS"}}},
		"/casos/{case}/analisis/mensaje":  {"", "jueza", []read{{"analysis", "METASTASIS"}}}, // its path is a link of the analysis page
		"/sitios/{site}":                  {"/sitios/S-CHI-01", "jueza", []read{{"sites", "OP-METASTASIS"}, {"persons", "METASTASIS"}, {"detentions", "METASTASIS"}, {"items", "METASTASIS"}, {"reserved_identity", "P-24"}}},
		"/evidencias/{item}":              {"/evidencias/E-PIC-01-01", "jueza", []read{{"item", "E-PIC-01-01"}, {"history", "E-PIC-01-01"}}},
		"/evidencias/{item}/etiqueta":     {"/evidencias/E-PIC-01-01/etiqueta", "jueza", []read{{"item", "E-PIC-01-01"}}},
		"/evidencias/{item}/registro.pdf": {"/evidencias/E-PIC-01-01/registro.pdf", "jueza", []read{{"history", "E-PIC-01-01"}, {"bundle", "E-PIC-01-01"}}},
		"/evidencias/{item}/subir":        {"/evidencias/E-PIC-01-01/subir", "jueza", []read{{"item", "E-PIC-01-01"}}},
		"/campo/datos":                    {"/campo/datos", "agente", []read{{"persons", "METASTASIS"}}},
	}
	// Signed-in pages that show nothing of a case's contents.
	exempt := map[string]string{
		"/entregas":      "the officer's own handover offers, as GET /api/v1/handovers (app.Handovers), which records none either",
		"/cuenta/llaves": "the account's own keys",
		passwordPath:     "the account's password form",
		"/auditoria":     "the log's size and checkpoint, and the ids of the account's cases; running the audit is recorded (app.RunAudit)",
	}
	for _, rt := range e.w.routes() {
		if rt.Method != "GET" || rt.Access != gateway.Account {
			continue
		}
		_, walked := pages[rt.Path]
		if _, ok := exempt[rt.Path]; !ok && !walked {
			t.Errorf("GET %s: a signed-in page neither walked nor exempt", rt.Path)
		}
	}

	count := func(account string, r read) int {
		log, err := e.d.Ledger.AccessLog(context.Background(), "METASTASIS", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range log {
			if a.Account == account && a.Kind == r.kind && a.ID == r.id {
				n++
			}
		}
		return n
	}
	clients := map[string]*client{}
	var msgPath string
	for _, route := range []string{"/casos", "/casos/{case}", "/operativos/{operation}/tablero", "/casos/{case}/detenciones", "/casos/{case}/accesos",
		"/casos/{case}/analisis", "/casos/{case}/analisis/mensaje", "/sitios/{site}", "/evidencias/{item}", "/evidencias/{item}/etiqueta",
		"/evidencias/{item}/registro.pdf", "/evidencias/{item}/subir", "/campo/datos"} {
		pg, ok := pages[route]
		if !ok {
			t.Fatalf("%s is not in the table", route)
		}
		if pg.path == "" {
			pg.path = msgPath
		}
		t.Run(strings.TrimPrefix(route, "/"), func(t *testing.T) {
			c := clients[pg.account]
			if c == nil {
				c = e.client()
				c.login(pg.account)
				clients[pg.account] = c
			}
			before := make([]int, len(pg.want))
			for i, r := range pg.want {
				before[i] = count(pg.account, r)
			}
			st, body, _ := c.do("GET", pg.path, nil, nil)
			if st != 200 {
				t.Fatalf("GET %s as %s: %d %.300s", pg.path, pg.account, st, body)
			}
			if route == "/casos/{case}/analisis" {
				i := strings.Index(body, `href="/casos/METASTASIS/analisis/mensaje?`)
				if i < 0 {
					t.Fatal("the analysis page links no message")
				}
				href := body[i+len(`href="`):]
				msgPath = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
			}
			for i, r := range pg.want {
				if got := count(pg.account, r) - before[i]; got != 1 {
					t.Errorf("GET %s as %s: %d reads %s %s recorded, want 1", pg.path, pg.account, got, r.kind, r.id)
				}
			}
		})
	}
}
