package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// TestItemRecordPDF: a member downloads the court's chain-of-custody record
// from the item page; it is a PDF naming the item and its events (read back
// with pdftotext), and the download is an audited read of the item's
// history and bundle. A non-member gets not found.
func TestItemRecordPDF(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	st, body, h := c.do("GET", "/evidencias/E-PIC-01-01/registro.pdf", nil, nil)
	if st != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("record PDF: %d %s %.40q", st, h.Get("Content-Type"), body)
	}
	pdf := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(pdf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (installed by scripts/setup-courtdoc): %v", err)
	}
	text := string(out)
	for _, want := range []string{"Registro de cadena de custodia", "E-PIC-01-01", "Datos de verificación"} {
		if !strings.Contains(text, want) {
			t.Errorf("the record lacks %q", want)
		}
	}
	log, err := e.d.Ledger.AccessLog(context.Background(), "METASTASIS", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, a := range log {
		if a.ID == "E-PIC-01-01" {
			kinds[a.Kind] = true
		}
	}
	if !kinds["history"] || !kinds["bundle"] {
		t.Errorf("the download is not recorded as reads of the history and bundle: %v", kinds)
	}
	out2 := e.client()
	out2.login("ajeno")
	if st, _, _ := out2.do("GET", "/evidencias/E-PIC-01-01/registro.pdf", nil, nil); st != 404 {
		t.Errorf("non-member record download: %d", st)
	}
}

// member creates an account of role, a member of METASTASIS whose password
// is already its own (as newEnv's accounts). officer "" is a new officer of
// the judiciary named after the account (the case file has no judges or
// clerks).
func (e *testEnv) member(id, role, officer string) {
	e.t.Helper()
	ctx := context.Background()
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	if officer == "" {
		officer = "cj." + id
		var recs []ledger.Record
		var has bool
		e.d.Ledger.View(func(st *domain.State) error { _, has = st.Agencies["CJ"]; return nil })
		if !has {
			recs = append(recs, ledger.Record{Op: casefile.OpAgency, Rec: &casefile.Agency{ID: "CJ", Name: "Consejo de la Judicatura", Kind: "judiciary"}})
		}
		recs = append(recs, ledger.Record{Op: casefile.OpOfficer, Rec: &casefile.Officer{ID: officer, Name: id, Agency: "CJ", Role: role}})
		if err := appendRecs(ctx, recs); err != nil {
			e.t.Fatal(err)
		}
	}
	na := e.newcomer(id, role, officer)
	if err := app.SetPassword(ctx, appendRecs, e.d.Store.Credentials(), e.now, id, na.Password); err != nil {
		e.t.Fatal(err)
	}
}

// pdfText is a PDF's text (pdftotext), its runs of spaces made one.
func pdfText(t *testing.T, pdf string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, []byte(pdf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (installed by scripts/setup-courtdoc): %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestItemRecordPDFTarget: the record of an item seized at S-CHI-01 shows
// the site's address only to those who may see the site's target
// (app.Policy.SiteTarget: the case's prosecutors, the site's team once it
// moved, admins who are members), exactly as the site's API answer does;
// to a clerk, a judge, a custodian, an analyst, an auditor or an agent of
// another team it says the address is withheld. A shown address is a
// recorded read of the site's target; a withheld one is not. The clock is
// after the night, when the site's team has moved on it.
func TestItemRecordPDFTarget(t *testing.T) {
	e := newEnvAt(t, afterFile)
	e.member("secretaria", "clerk", "")
	e.member("jueza", "judge", "")
	e.member("equipo", "agent", "pn.s-chi-01.1")
	const item, site = "E-CHI-01-02", "S-CHI-01"
	address := "Consejo de la Judicatura de Chimborazo"
	for _, c := range []struct {
		account string
		shown   bool
	}{
		{"secretaria", false}, {"jueza", false}, {"custodio", false}, {"perito", false}, {"auditora", false},
		{"agente", false}, // the lead of S-CHI-03, not of S-CHI-01
		{"fiscal", true}, {"equipo", true},
	} {
		t.Run(c.account, func(t *testing.T) {
			cl := e.client()
			cl.login(c.account)
			st, body, _ := cl.do("GET", "/api/v1/sites/"+site, nil, nil)
			if st != 200 || strings.Contains(body, address) == !c.shown {
				t.Fatalf("the site's API answer to %s: %d, address shown %v, want %v", c.account, st, strings.Contains(body, address), c.shown)
			}
			before := e.targetReads(site)
			st, body, _ = cl.do("GET", "/evidencias/"+item+"/registro.pdf", nil, nil)
			if st != 200 || !strings.HasPrefix(body, "%PDF-") {
				t.Fatalf("record PDF: %d %.40q", st, body)
			}
			text := pdfText(t, body)
			if !strings.Contains(text, item) || !strings.Contains(text, "Riobamba") {
				t.Fatalf("the record lacks the item or the site's city:\n%s", text)
			}
			if got := strings.Contains(text, address); got != c.shown {
				t.Errorf("the record shows the address: %v, want %v:\n%s", got, c.shown, text)
			}
			if got := strings.Contains(text, "dirección reservada"); got == c.shown {
				t.Errorf("the record says the address is withheld: %v, want %v", got, !c.shown)
			}
			if got, want := e.targetReads(site)-before, map[bool]int{true: 1, false: 0}[c.shown]; got != want {
				t.Errorf("%d reads of the site's target recorded, want %d", got, want)
			}
		})
	}
}

// targetReads counts the recorded reads of a site's target in METASTASIS.
func (e *testEnv) targetReads(site string) int {
	e.t.Helper()
	log, err := e.d.Ledger.AccessLog(context.Background(), "METASTASIS", time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, a := range log {
		if a.Kind == "site_target" && a.ID == site {
			n++
		}
	}
	return n
}
