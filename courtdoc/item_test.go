package courtdoc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pdfText extracts the text of a PDF with pdftotext -layout.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool(t, "pdftotext"), "-layout", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// renderPNG renders every page of pdf at dpi into dir as name-N.png and
// returns their paths.
func renderPNG(t *testing.T, pdf []byte, dir, name string, dpi int) []string {
	t.Helper()
	in := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool(t, "pdftoppm"), "-png", "-r", strconv.Itoa(dpi), in, filepath.Join(dir, name))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, name+"-*.png"))
	if len(pngs) == 0 {
		t.Fatalf("pdftoppm made no PNG from %s", in)
	}
	return pngs
}

func TestItemPDFMetastasis(t *testing.T) {
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			rec := metastasisItem(t)
			var buf bytes.Buffer
			if err := WriteItemPDF(&buf, rec, lang); err != nil {
				t.Fatal(err)
			}
			dir := artifacts(t)
			renderPNG(t, buf.Bytes(), dir, "item-E-CHI-03-01-"+lang, 110)
			text := pdfText(t, buf.Bytes())
			os.WriteFile(filepath.Join(dir, "item-E-CHI-03-01-"+lang+".txt"), []byte(text), 0o644)
			_ = strings.Contains
		})
	}
}
