package courtdata

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// TestItemRecordConditionAndPlaces is issue 15, point 8, on the Metástasis
// case file: the record of E-CHI-03-01 states the phone's condition at
// collection (description, units, seal, digital data), and gives its
// opening, derivation and resealing at the forensic laboratory the
// analyst received it in, marked as the place where the item was.
func TestItemRecordConditionAndPlaces(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "metastasis.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	d := testdeploy.New(t, testdeploy.Clock(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)))
	testdeploy.Import(t, d, data)
	rec, err := Item(context.Background(), d.Ledger, d.PublicKey, "E-CHI-03-01", opts)
	if err != nil {
		t.Fatal(err)
	}
	const lab = "Laboratorio de informática forense"
	byOp := map[string]courtdoc.CustodyEvent{}
	for _, e := range rec.Events {
		byOp[e.Op] = e
	}
	for _, op := range []string{"custody.open", "evidence.derive", "custody.seal"} {
		if e := byOp[op]; e.Place != lab || !e.PlaceInferred {
			t.Errorf("%s: place %q inferred %v, want %q, inferred", op, e.Place, e.PlaceInferred, lab)
		}
	}
	if e := byOp["evidence.seize"]; e.PlaceInferred || !strings.HasPrefix(e.Place, "S-CHI-03") {
		t.Errorf("seizure place %q inferred %v", e.Place, e.PlaceInferred)
	}
	// The image was made where its parent was.
	img, err := Item(context.Background(), d.Ledger, d.PublicKey, "E-CHI-03-01-IMG", opts)
	if err != nil {
		t.Fatal(err)
	}
	if e := img.Events[0]; e.Place != lab || !e.PlaceInferred {
		t.Errorf("the image's derivation: place %q inferred %v", e.Place, e.PlaceInferred)
	}

	for _, lang := range []string{"es", "en"} {
		var buf bytes.Buffer
		if err := courtdoc.WriteItemPDF(&buf, rec, lang); err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(pdfToText(t, buf.Bytes())), " ")
		want := map[string][]string{
			"es": {"Estado al recolectar", "Teléfono celular; 1 unidad(es); sellado con PN-100001; contiene datos digitales", "* Lugar donde estaba el indicio"},
			"en": {"Condition at collection", "Teléfono celular; 1 unit(s); sealed with PN-100001; holds digital data", "* Where the item was"},
		}[lang]
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the record does not say %q:\n%s", lang, w, text)
			}
		}
		if n := strings.Count(text, "forense *"); n < 3 {
			t.Errorf("%s: %d events show the laboratory as their place, want the opening, derivation and sealing", lang, n)
		}
	}
}

func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext not found on PATH: run scripts/setup-courtdoc (installs poppler-utils)")
	}
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
