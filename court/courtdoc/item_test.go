package courtdoc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// pdfInfo is what pdfinfo reports of pdf (title, dates, pages).
func pdfInfo(t *testing.T, pdf []byte) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool(t, "pdfinfo"), in).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
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

// inOrder fails unless every string of want occurs in text, each after the
// previous one.
func inOrder(t *testing.T, text string, want []string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			if strings.Contains(text, w) {
				t.Errorf("%q is out of order (expected after byte %d)", w, at)
			} else {
				t.Errorf("%q is missing", w)
			}
			continue
		}
		at += i + len(w)
	}
}

// TestItemPDFMetastasis is the golden test of the record of E-CHI-03-01: the
// text pdftotext extracts has every section and every event in order, with
// accents intact. The PDFs and PNGs are left in test-artifacts/courtdoc for
// a person to look at.
func TestItemPDFMetastasis(t *testing.T) {
	// Each event: its time, its op in words, its leaf at the row's end.
	events := map[string][][]string{
		"es": {
			{"2023-12-14", "Incautación", "695"},
			{"2023-12-14", "Entrega", "bodega", "851"},
			{"2023-12-18", "Entrega", "análisis", "852"},
			{"2023-12-18", "Apertura", "Extracción", "853"},
			{"2023-12-18", "Derivación", "E-CHI-03-01-IMG", "854"},
			{"2023-12-18", "Sellado", "PN-100156", "855"},
			{"2023-12-19", "Entrega", "bodega", "856"},
		},
		"en": {
			{"2023-12-14", "Seizure", "695"},
			{"2023-12-14", "Handover", "storage", "851"},
			{"2023-12-18", "Handover", "analysis", "852"},
			{"2023-12-18", "Opening", "Extracción", "853"},
			{"2023-12-18", "Derivation", "E-CHI-03-01-IMG", "854"},
			{"2023-12-18", "Sealing", "PN-100156", "855"},
			{"2023-12-19", "Handover", "storage", "856"},
		},
	}
	sections := map[string][]string{
		"es": {"Fiscalía General del Estado", "Registro de cadena de custodia", "METASTASIS — Caso Metástasis", "E-CHI-03-01",
			"1. Identificación del indicio", "teléfono", "Teléfono celular",
			"2. Fijación y recolección", "S-CHI-03", "2023-12-14 01:40 -05:00", "Agente 1 del equipo S-CHI-03", "PN-100001",
			"3. Eventos de custodia (7)"},
		"en": {"Fiscalía General del Estado", "Chain-of-custody record", "METASTASIS — Caso Metástasis", "E-CHI-03-01",
			"1. Identity of the item", "phone", "Teléfono celular",
			"2. Seizure", "S-CHI-03", "2023-12-14 01:40 -05:00", "Agente 1 del equipo S-CHI-03", "PN-100001",
			"3. Custody events (7)"},
	}
	tail := map[string][]string{
		"es": {"4. Indicios derivados", "E-CHI-03-01-IMG — imagen forense", "Imagen forense de E-CHI-03-01",
			"dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", "549.755.813.888 bytes (512,0 GiB)",
			"5. Archivos adjuntos", "6. Custodia actual", "Custodio de la bodega de evidencias de Chimborazo", "PN-100156",
			"7. Recepción", "Firma", "8. Datos de verificación", origin, "1071", "1→695", "7→856", "Checkpoint firmado"},
		"en": {"4. Derived items", "E-CHI-03-01-IMG — forensic image", "Imagen forense de E-CHI-03-01",
			"dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", "549,755,813,888 bytes (512.0 GiB)",
			"5. Attached files", "6. Current custody", "Custodio de la bodega de evidencias de Chimborazo", "PN-100156",
			"7. Receipt", "Signature", "8. Verification data", origin, "1071", "1→695", "7→856", "Signed checkpoint"},
	}
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
			if err := os.WriteFile(filepath.Join(dir, "item-E-CHI-03-01-"+lang+".txt"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			want := append([]string(nil), sections[lang]...)
			for _, e := range events[lang] {
				want = append(want, e...)
			}
			want = append(want, tail[lang]...)
			inOrder(t, text, want)
			for _, tm := range []string{"01:40 -05:00", "16:44 -05:00", "09:00 -05:00", "09:30 -05:00", "13:00 -05:00", "14:00 -05:00", "10:00 -05:00"} {
				if !strings.Contains(text, tm) {
					t.Errorf("event time %q (with its offset) is missing", tm)
				}
			}
			// Every event carries its "recorded by the import" line.
			rec1 := map[string]string{"es": "Registrado en el sistema el 2026-11-20 15:04 +00:00 por importación 5f0c1b7e2d9a…, línea 696",
				"en": "Recorded in the system on 2026-11-20 15:04 +00:00 by importación 5f0c1b7e2d9a…, línea 696"}[lang]
			if !strings.Contains(text, rec1) {
				t.Errorf("the seizure's recorded-by line %q is missing", rec1)
			}
			if n := strings.Count(text, map[string]string{"es": "Registrado en el sistema", "en": "Recorded in the system"}[lang]); n != 7 {
				t.Errorf("%d recorded-by lines, want 7 (one per event)", n)
			}
			pages := strings.Count(text, "\f")
			page := map[string]string{"es": "Página %d de %d", "en": "Page %d of %d"}[lang]
			for p := 1; p <= pages; p++ {
				if !strings.Contains(text, fmt.Sprintf(page, p, pages)) {
					t.Errorf("page %d lacks %q", p, fmt.Sprintf(page, p, pages))
				}
			}
			// The verification data is the last section.
			if i, j := strings.LastIndex(text, "8. "), strings.LastIndex(text, "7. "); i < j {
				t.Error("verification data is not the last section")
			}
		})
	}
}

// TestItemPDFDerivedImage is the golden test of the derived image's record:
// its origin, its one event and the verification data.
func TestItemPDFDerivedImage(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteItemPDF(&buf, metastasisImage(t), ""); err != nil {
		t.Fatal(err)
	}
	renderPNG(t, buf.Bytes(), artifacts(t), "item-E-CHI-03-01-IMG-es", 110)
	text := pdfText(t, buf.Bytes())
	inOrder(t, text, []string{"E-CHI-03-01-IMG", "imagen forense", "Imagen forense de E-CHI-03-01",
		"Derivado de", "E-CHI-03-01", "SHA-256", "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02",
		"549.755.813.888 bytes (512,0 GiB)", "Laboratorio de informática forense", "2023-12-18 13:00 -05:00",
		"Perito informático 3", "sin sellar", "3. Eventos de custodia (1)", "2023-12-18", "Derivación", "854",
		"13:00 -05:00", "6. Custodia actual", "Perito informático 3", "sin sellar", "8. Datos de verificación", "1→854"})
}

// TestItemPDFAnomalyAndLateRecord checks that an anomaly is printed and that
// a seizure typed a week later by another account is visible, while an
// event recorded on time by its actor gets no "recorded" line.
func TestItemPDFAnomalyAndLateRecord(t *testing.T) {
	rec := metastasisItem(t)
	rec.Events[0].RecordedAt = rec.Events[0].At.Add(7 * 24 * time.Hour)
	rec.Events[0].RecordedBy = "operador.quito"
	rec.Events[1].SealCondition = "broken"
	rec.Events[1].Anomalies = []string{"seal_broken", "seal_mismatch"}
	for i := 2; i < len(rec.Events); i++ {
		e := &rec.Events[i]
		e.RecordedAt = e.At.Add(20 * time.Second)
		e.RecordedBy = e.By.ID
		if e.Op == "custody.transfer" {
			e.RecordedBy = e.To.ID
		}
	}
	rec.Events[3].Reason = "Extracción forense — Cañizares presente"
	rec.Attachments = []Attachment{{Name: "acta-de-apertura.pdf", MediaType: "application/pdf", Size: 48213,
		SHA256: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		At:     mustTime(t, "2023-12-18T09:35:00-05:00"), By: lab3, Leaf: 870}}
	var buf bytes.Buffer
	if err := WriteItemPDF(&buf, rec, ""); err != nil {
		t.Fatal(err)
	}
	renderPNG(t, buf.Bytes(), artifacts(t), "item-anomaly", 110)
	text := pdfText(t, buf.Bytes())
	inOrder(t, text, []string{"PN-100001 —", "roto", "ANOMALÍA:", "sello roto,", "número de", "distinto"})
	if !strings.Contains(text, "Registrado en el sistema el 2023-12-21 01:40 -05:00 por operador.quito") {
		t.Errorf("the late seizure is not visible:\n%s", text)
	}
	if n := strings.Count(text, "Registrado en el sistema"); n != 2 {
		t.Errorf("%d recorded lines, want 2 (late seizure, import of line 852)", n)
	}
	inOrder(t, text, []string{"5. Archivos adjuntos", "acta-de-apertura.pdf", "0f1e2d3c4b5a6978", "48.213 bytes", "870", "6. Custodia actual"})
	if !strings.Contains(text, "Cañizares") {
		t.Error("Cañizares lost its accent")
	}
}

func TestItemPDFRejectsBadInput(t *testing.T) {
	for name, mod := range map[string]func(*ItemRecord){
		"no item":            func(r *ItemRecord) { r.ItemID = "" },
		"no case":            func(r *ItemRecord) { r.Case = "" },
		"event without op":   func(r *ItemRecord) { r.Events[2].Op = "" },
		"event without time": func(r *ItemRecord) { r.Events[2].At = time.Time{} },
		"checkpoint no newline": func(r *ItemRecord) {
			r.Verification.Checkpoint = strings.TrimRight(r.Verification.Checkpoint, "\n")
		},
	} {
		t.Run(name, func(t *testing.T) {
			rec := metastasisItem(t)
			mod(&rec)
			var buf bytes.Buffer
			if err := WriteItemPDF(&buf, rec, ""); err == nil || !strings.HasPrefix(err.Error(), "courtdoc: ") {
				t.Fatalf("err = %v", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes", buf.Len())
			}
		})
	}
}

func TestItemPDFWithoutCheckpoint(t *testing.T) {
	rec := metastasisItem(t)
	rec.Verification = Verification{}
	var buf bytes.Buffer
	if err := WriteItemPDF(&buf, rec, ""); err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, buf.Bytes()); !strings.Contains(text, "No se proporcionó checkpoint") {
		t.Error("a record without checkpoint does not say it cannot be verified")
	}
}
