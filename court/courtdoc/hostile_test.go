package courtdoc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// hostile are strings a record may hold that the font cannot draw or that
// break naive layout; every writer must print them without failing.
var hostile = []string{
	"Teléfono 😀 con 𝄞",
	"nul\x00 bell\x07 del\x7f",
	"invalid \xff\xfe utf-8",
	strings.Repeat("SINESPACIOS", 40),
	"",
	"línea 1\nlínea 2\r\nlínea 3\ttab",
}

func TestHostileText(t *testing.T) {
	for _, s := range hostile {
		rec := metastasisItem(t)
		rec.Description, rec.CaseTitle, rec.Seizure.Place = s, s, s
		rec.Events[1].Place, rec.Events[2].Reason, rec.Events[3].By.Name = s, s, s
		rec.Derived[0].Tool = s
		if err := WriteItemPDF(io.Discard, rec, ""); err != nil {
			t.Errorf("item PDF with %q: %v", s, err)
		}
		lb := Label{ItemID: "E-1" + s, Case: s, Type: s, Seal: s, LogOrigin: s}
		if err := WriteLabelsPDF(io.Discard, []Label{lb}, SheetA4x24, time.Time{}); err != nil {
			t.Errorf("labels with %q: %v", s, err)
		}
		r := operationReport(t, 10)
		r.Name = s
		r.SitesByProvince[s+"x"] = 1
		r.Timeline[0].Event = s
		if err := WriteOperationPDF(io.Discard, r, ""); err != nil {
			t.Errorf("operation PDF with %q: %v", s, err)
		}
		dr := detentionReport(t)
		dr.Rows[0].Person = s
		if err := WriteDetentionsPDF(io.Discard, dr, "en"); err != nil {
			t.Errorf("detentions PDF with %q: %v", s, err)
		}
	}
	// What is drawable is kept as it is.
	var buf bytes.Buffer
	rec := metastasisItem(t)
	rec.Description = "Teléfono 😀 de Cañizares"
	if err := WriteItemPDF(&buf, rec, ""); err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, buf.Bytes()); !strings.Contains(text, "Teléfono � de Cañizares") {
		t.Errorf("emoji not replaced by U+FFFD, or accents lost")
	}
}
