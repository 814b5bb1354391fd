package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
