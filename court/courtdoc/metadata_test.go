package courtdoc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pdfISOInfo is what pdfinfo -isodates reports of pdf.
func pdfISOInfo(t *testing.T, pdf []byte) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool(t, "pdfinfo"), "-isodates", in).Output()
	if err != nil {
		t.Fatalf("pdfinfo -isodates: %v", err)
	}
	return string(out)
}

// everyKind writes one document of each kind, all generated at the same
// instant: the reports with it in the deployment's zone, as courtdata
// gives it, the labels with it in UTC, as the command line does.
func everyKind(t *testing.T, at time.Time) map[string][]byte {
	t.Helper()
	local := at.In(time.FixedZone("-05", -5*3600))
	out := map[string][]byte{}
	write := func(name string, f func(*bytes.Buffer) error) {
		var buf bytes.Buffer
		if err := f(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = buf.Bytes()
	}
	for _, lang := range []string{"es", "en"} {
		write("item-"+lang, func(b *bytes.Buffer) error {
			rec := metastasisItem(t)
			rec.GeneratedAt = local
			return WriteItemPDF(b, rec, lang)
		})
		write("operation-"+lang, func(b *bytes.Buffer) error {
			r := operationReport(t, 12)
			r.GeneratedAt = local
			return WriteOperationPDF(b, r, lang)
		})
		write("detentions-"+lang, func(b *bytes.Buffer) error {
			r := detentionReport(t)
			r.GeneratedAt = local
			return WriteDetentionsPDF(b, r, lang)
		})
	}
	write("labels", func(b *bytes.Buffer) error {
		lb := Label{ItemID: "E-CHI-03-01", Case: "METASTASIS", Type: "phone", Seal: "PN-100001", LogOrigin: origin, Leaf: 695}
		return WriteLabelsPDF(b, []Label{lb}, SheetA4x24, at.UTC())
	})
	return out
}

// TestPDFDatesAgree: every kind of document, made at one instant, carries
// the same CreationDate and ModDate: that instant in UTC. fpdf writes no
// offset (see setDates), so UTC is the one reading that does not depend
// on the zone the caller happened to use.
func TestPDFDatesAgree(t *testing.T) {
	at := time.Date(2026, 12, 6, 2, 46, 20, 0, time.UTC) // 21:46:20 on the 5th in Guayaquil
	dates := regexp.MustCompile(`(?m)^(CreationDate|ModDate):\s+(\S+)$`)
	for name, pdf := range everyKind(t, at) {
		t.Run(name, func(t *testing.T) {
			for _, key := range []string{"CreationDate", "ModDate"} {
				if want := "/" + key + " (D:20261206024620)"; !bytes.Contains(pdf, []byte(want)) {
					t.Errorf("the Info dictionary lacks %s", want)
				}
			}
			got := dates.FindAllStringSubmatch(pdfISOInfo(t, pdf), -1)
			if len(got) != 2 {
				t.Fatalf("pdfinfo -isodates shows %d dates, want CreationDate and ModDate", len(got))
			}
			// Poppler reads a date without offset as UTC, which it now is.
			for _, m := range got {
				if m[2] != "2026-12-06T02:46:20Z" {
					t.Errorf("%s %s, want the instant, 2026-12-06T02:46:20Z", m[1], m[2])
				}
			}
		})
	}
}

// TestPDFLang: every document names its language in the catalog, labels
// included (Spanish first, as they are printed).
func TestPDFLang(t *testing.T) {
	for name, pdf := range everyKind(t, time.Date(2026, 12, 6, 2, 46, 20, 0, time.UTC)) {
		want := "/Lang (es-EC)"
		if strings.HasSuffix(name, "-en") {
			want = "/Lang (en)"
		}
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("%s: no %s in the catalog", name, want)
		}
	}
}
