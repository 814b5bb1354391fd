package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/qrscan"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/verify"
)

// Tests of the court documents (issue 7) through the CLI, on the Metastasis
// case file, with the real tools: pdftotext and pdftoppm (poppler-utils),
// the gozxing QR decoder (internal/qrscan), and the SHACL validator (Node.js), all installed
// by scripts/setup-courtdoc.

// courtTool finds a command the tests need, failing (not skipping) when it is
// missing.
func courtTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run scripts/setup-courtdoc", name)
	}
	return p
}

// courtArtifacts is where the tests leave PDFs, PNGs and texts for a person
// to look at: $CUSTODIA_TEST_ARTIFACTS/courtcli, or test-artifacts/courtcli
// at the repository root (gitignored).
func courtArtifacts(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(testdeploy.Root(t), "test-artifacts", "courtcli")
	if env := os.Getenv("CUSTODIA_TEST_ARTIFACTS"); env != "" {
		dir = filepath.Join(env, "courtcli")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rawText is the text of a PDF in content order (pdftotext -raw), with
// every run of white space made one space, so that a table cell wrapped over
// several lines reads as one phrase.
func rawText(t *testing.T, pdf string) string {
	t.Helper()
	out, err := exec.Command(courtTool(t, "pdftotext"), "-raw", "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", pdf, err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// renderPages renders every page of pdf at dpi into dir and returns the PNG
// paths in page order.
func renderPages(t *testing.T, pdf, dir, name string, dpi int) []string {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(dir, name+"-*.png"))
	for _, p := range old { // pages of an earlier run
		os.Remove(p)
	}
	// No anti-aliasing: a label printer or a scanner sees black and white
	// modules, not the grey edges that fractional module sizes get when
	// smoothed, which made the decoder miss about one render in fifteen.
	out, err := exec.Command(courtTool(t, "pdftoppm"), "-png", "-r", strconv.Itoa(dpi), "-aa", "no", "-aaVector", "no", pdf, filepath.Join(dir, name)).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", pdf, err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, name+"-*.png"))
	sort.Strings(pngs)
	if len(pngs) == 0 {
		t.Fatalf("pdftoppm made no page of %s", pdf)
	}
	return pngs
}

// afterInOrder fails unless every string of want occurs in text, each after
// the previous one.
func afterInOrder(t *testing.T, what, text string, want []string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			if strings.Contains(text, w) {
				t.Errorf("%s: %q is out of order (expected after %q)", what, w, text[max(0, at-60):at])
			} else {
				t.Errorf("%s: %q is missing", what, w)
			}
			continue
		}
		at += i + len(w)
	}
}

// court is what the subtests share: one deployment with the Metastasis case
// file imported through the CLI, and the deployment opened for checking.
type court struct {
	data string // the data dir
	out  string // the artifacts dir
	d    *deployment.Deployment
	sha  string // the case file's SHA-256
}

func TestCourtDocuments(t *testing.T) {
	c := &court{data: metastasisDir(t), out: courtArtifacts(t)}
	c.d = testdeploy.Open(t, c.data, nil)
	c.sha = custody.FileSHA256(mustRead(t, testdeploy.MetastasisPath(t)))
	t.Run("item", c.testItem)
	t.Run("derived-item", c.testDerivedItem)
	t.Run("item-qr", c.testItemQR)
	t.Run("labels", c.testLabels)
	t.Run("operation", c.testOperation)
	t.Run("detentions", c.testDetentions)
	t.Run("case-uco", c.testCaseUCO)
	t.Run("errors", c.testErrors)
}

// run runs the CLI on the shared deployment and returns the output path.
func (c *court) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(c.out, name)
	mustRun(t, append(args, "-o", path, "--data", c.data)...)
	return path
}

// importLine is how the record names the import of line n of the case file.
func (c *court) importLine(lang string, n int) string {
	return courtdoc.ImportRef(lang, c.sha, n)
}

// testItem is the golden test of E-CHI-03-01's record: every event, in
// order, with its time and offset, its actors, purpose, place, seal and
// leaf, and the line of the case file it was imported from; then the
// derived image with its hash, the holder and the verification data.
func (c *court) testItem(t *testing.T) {
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			pdf := c.run(t, "item-E-CHI-03-01-"+lang+".pdf", "report", "item", "E-CHI-03-01", "--lang", lang)
			text := rawText(t, pdf)
			if err := os.WriteFile(strings.TrimSuffix(pdf, ".pdf")+".txt", []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			renderPages(t, pdf, c.out, "item-E-CHI-03-01-"+lang, 110)
			tr := func(es, en string) string {
				if lang == "en" {
					return en
				}
				return es
			}
			agent := "Agente 1 del equipo S-CHI-03 (pn.s-chi-03.1, PN)"
			cust := "Custodio de la bodega de evidencias de Chimborazo (cust.chi, PN)"
			lab := "Perito informático 3 (lab.3, SNMLCF)"
			// Lines 696 and 852-857 of the case file; leaf = line - 1.
			events := [][]string{
				{"1 2023-12-14 01:40 -05:00", tr("Incautación", "Seizure"), agent, "S-CHI-03 (Riobamba)", "PN-100001", "695", c.importLine(lang, 696)},
				{"2 2023-12-14 16:44 -05:00", tr("Entrega", "Handover"), agent, cust, tr("bodega", "storage"),
					"Bodega de evidencias de Chimborazo", "PN-100001 — " + tr("intacto", "intact"), "851", c.importLine(lang, 852)},
				{"3 2023-12-18 09:00 -05:00", tr("Entrega", "Handover"), cust, lab, tr("análisis", "analysis"),
					"Laboratorio de informática forense", "PN-100001 — " + tr("intacto", "intact"), "852", c.importLine(lang, 853)},
				{"4 2023-12-18 09:30 -05:00", tr("Apertura", "Opening"), lab, "Extracción forense", "853", c.importLine(lang, 854)},
				{"5 2023-12-18 13:00 -05:00", tr("Derivación", "Derivation"), lab, "E-CHI-03-01-IMG (Herramienta de adquisición forense)", "854", c.importLine(lang, 855)},
				{"6 2023-12-18 14:00 -05:00", tr("Sellado", "Sealing"), lab, "PN-100156", "855", c.importLine(lang, 856)},
				{"7 2023-12-19 10:00 -05:00", tr("Entrega", "Handover"), lab, cust, tr("bodega", "storage"),
					"Bodega de evidencias de Chimborazo", tr("intacto", "intact"), "856", c.importLine(lang, 857)},
			}
			want := []string{"Fiscalía General del Estado", "METASTASIS — Caso Metástasis", "E-CHI-03-01",
				tr("teléfono", "phone"), "Teléfono celular",
				"S-CHI-03 — " + tr("domicilio", "residence") + ", Riobamba, Chimborazo — Inmueble allanado en Riobamba pasada la 01:00",
				"2023-12-14 01:40 -05:00", agent, "PN-100001",
				tr("3. Eventos de custodia (7)", "3. Custody events (7)")}
			for _, e := range events {
				want = append(want, e...)
			}
			want = append(want,
				tr("4. Indicios derivados", "4. Derived items"), "E-CHI-03-01-IMG — "+tr("imagen forense", "forensic image"),
				"Imagen forense de E-CHI-03-01", "2023-12-18 13:00 -05:00", lab, "Herramienta de adquisición forense",
				"dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", tr("549.755.813.888 bytes", "549,755,813,888 bytes"),
				tr("6. Custodia actual", "6. Current custody"), cust, "PN-100156", tr("en custodia", "in custody"),
				tr("8. Datos de verificación", "8. Verification data"), "custodia.local/",
				"1→695 2→851 3→852 4→853 5→854 6→855 7→856")
			afterInOrder(t, "report item E-CHI-03-01", text, want)

			// Every event of the ledger's history is in the record, and no other.
			hist, err := c.d.Ledger.ItemHistory(context.Background(), "E-CHI-03-01")
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != len(events) {
				t.Fatalf("the ledger has %d events of E-CHI-03-01, the test expects %d", len(hist), len(events))
			}
			for i, h := range hist {
				if leaf := strconv.FormatInt(h.Seq, 10); events[i][len(events[i])-2] != leaf {
					t.Errorf("event %d: leaf %d in the ledger, %s in the test", i+1, h.Seq, events[i][len(events[i])-2])
				}
			}
			// What the system recorded: the import time on every event, in the case zone.
			rec := regexp.MustCompile(tr(`Registrado en el sistema el (\d{4}-\d\d-\d\d \d\d:\d\d) -05:00 por importación`, `Recorded in the system on (\d{4}-\d\d-\d\d \d\d:\d\d) -05:00 by import`))
			if n := len(rec.FindAllString(text, -1)); n != 7 {
				t.Errorf("%d recorded-by-import lines, want 7", n)
			}
			if !strings.Contains(text, tr("Página 1 de 3", "Page 1 of 3")) { // with the signature statement, the log section starts a third page
				t.Errorf("no page numbering %q", tr("Página 1 de 3", "Page 1 of 3"))
			}
		})
	}
}

// testDerivedItem is the record of the image derived from E-CHI-03-01.
func (c *court) testDerivedItem(t *testing.T) {
	pdf := c.run(t, "item-E-CHI-03-01-IMG-es.pdf", "report", "item", "E-CHI-03-01-IMG")
	renderPages(t, pdf, c.out, "item-E-CHI-03-01-IMG-es", 110)
	text := rawText(t, pdf)
	afterInOrder(t, "report item E-CHI-03-01-IMG", text, []string{
		"E-CHI-03-01-IMG", "imagen forense", "Imagen forense de E-CHI-03-01", "Derivado de E-CHI-03-01",
		"SHA-256 dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", "549.755.813.888 bytes (512,0 GiB)",
		"2. Derivación (estado original)", "donde estaba E-CHI-03-01: Laboratorio de informática forense",
		"2023-12-18 13:00 -05:00", "Derivado por", "Perito informático 3 (lab.3, SNMLCF)", "sin sellar",
		"3. Eventos de custodia (1)", "1 2023-12-18 13:00 -05:00", "Derivación", "de E-CHI-03-01 (Herramienta de adquisición forense)", "854",
		c.importLine("es", 855), "Custodio actual Perito informático 3", "8. Datos de verificación", "1→854",
	})
}

// testItemQR decodes the verification QR of the record from the rendered
// pages and checks it against the ledger as an outsider would: the
// checkpoint's signature with the deployment's public key, its size and
// root against the stored checkpoints, and an inclusion proof of every leaf.
func (c *court) testItemQR(t *testing.T) {
	ctx := context.Background()
	vkey, err := deployment.ReadPublicKey(c.data)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	cps, err := c.d.Store.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range []string{"E-CHI-03-01", "E-CHI-03-01-IMG"} {
		t.Run(item, func(t *testing.T) {
			pdf := c.run(t, "qr-"+item+".pdf", "report", "item", item)
			var payloads []string
			for _, p := range renderPages(t, pdf, t.TempDir(), "qr", 200) {
				if s, err := qrscan.Decode(qrscan.LoadPNG(t, p), image.Rectangle{}, false); err == nil {
					payloads = append(payloads, s)
				}
			}
			if len(payloads) != 1 {
				t.Fatalf("%d QR codes decoded from the record, want 1", len(payloads))
			}
			q, err := courtdoc.ParseVerificationQR(payloads[0])
			if err != nil {
				t.Fatal(err)
			}
			if q.Item != item || q.Part != 1 || q.Of != 1 {
				t.Errorf("QR item %q part %d/%d, want %s 1/1", q.Item, q.Part, q.Of, item)
			}
			_, qc, err := verify.OpenNote([]byte(q.Checkpoint), note.VerifierList(verifier))
			if err != nil {
				t.Fatalf("the QR's checkpoint does not verify with the deployment's key: %v", err)
			}
			origin, size, root := qc.Origin, qc.Size, qc.Root
			if origin != c.d.Ledger.Origin() {
				t.Errorf("checkpoint origin %q, want %q", origin, c.d.Ledger.Origin())
			}
			stored := false
			for _, cp := range cps {
				if cp.Size == size && cp.Root == root && string(cp.Note) == q.Checkpoint {
					stored = true
				}
			}
			if !stored {
				t.Errorf("no stored checkpoint has size %d and root %x", size, root)
			}
			hist, err := c.d.Ledger.ItemHistory(ctx, item)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for _, h := range hist {
				want = append(want, h.Seq)
			}
			if !reflect.DeepEqual(q.Leaves, want) {
				t.Fatalf("QR leaves %v, want the item's events %v", q.Leaves, want)
			}
			for _, leaf := range q.Leaves {
				evs, err := c.d.Store.ReadEvents(ctx, []int64{leaf})
				if err != nil {
					t.Fatal(err)
				}
				proof, err := c.d.Ledger.InclusionProof(ctx, size, leaf)
				if err != nil {
					t.Fatal(err)
				}
				h := tlog.RecordHash(evs[0].Data)
				if err := tlog.CheckRecord(proof, size, root, leaf, h); err != nil {
					t.Errorf("leaf %d: inclusion proof does not check against the QR's root: %v", leaf, err)
				}
				// The proof is not vacuous: another root or another leaf fails.
				bad := root
				bad[0] ^= 1
				if tlog.CheckRecord(proof, size, bad, leaf, h) == nil {
					t.Errorf("leaf %d: the proof checks against a wrong root", leaf)
				}
				if tlog.CheckRecord(proof, size, root, leaf, tlog.RecordHash(append(evs[0].Data, ' '))) == nil {
					t.Errorf("leaf %d: the proof checks for altered event bytes", leaf)
				}
			}
		})
	}
}

// testLabels prints labels for every item seized at S-CHI-03 and its derived
// images on both sheets, and decodes each QR code back.
func (c *court) testLabels(t *testing.T) {
	var items []string
	var latest = map[string]int64{}
	var types = map[string]string{}
	err := c.d.Ledger.View(func(s *domain.State) error {
		for id, it := range s.Items {
			site := ""
			if it.Seize != nil {
				site = it.Seize.Site
			} else if p := s.Items[it.Parent]; p != nil && p.Seize != nil {
				site = p.Seize.Site
			}
			if site == "S-CHI-03" {
				items = append(items, id)
				latest[id], types[id] = it.LastSeq, it.Type
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(items)
	if len(items) < 8 {
		t.Fatalf("only %d items at S-CHI-03", len(items))
	}
	for name, sheet := range map[string]courtdoc.Sheet{"a4": courtdoc.SheetA4x24, "thermal": courtdoc.SheetThermal100x50} {
		t.Run(name, func(t *testing.T) {
			pdf := c.run(t, "labels-"+name+".pdf", append([]string{"label", "--sheet", name}, items...)...)
			// A scanner that misses a code is aimed again: each label is
			// read from a 200 dpi render, and from a 300 dpi one when the
			// first read fails (gozxing misses about one code in a hundred
			// at one resolution, depending on the payload's modules).
			renders := map[int][]string{}
			render := func(dpi int) []string {
				if renders[dpi] == nil {
					renders[dpi] = renderPages(t, pdf, c.out, fmt.Sprintf("labels-%s-%d", name, dpi), dpi)
				}
				return renders[dpi]
			}
			per := sheet.Cols * sheet.Rows
			if want := (len(items) + per - 1) / per; len(render(200)) != want {
				t.Fatalf("%d pages, want %d", len(render(200)), want)
			}
			for i, id := range items {
				k := i % per
				x := sheet.MarginLeft + float64(k%sheet.Cols)*(sheet.LabelW+sheet.GapX)
				y := sheet.MarginTop + float64(k/sheet.Cols)*(sheet.LabelH+sheet.GapY)
				var got string
				var err error
				for _, dpi := range []int{200, 300} {
					px := func(mm float64) int { return int(mm / 25.4 * float64(dpi)) }
					// The code's own drawn square first (courtdoc draws it
					// at a pad of 6% of the label's height, quiet zone
					// included), as a scanner aimed at it sees it; then the
					// label's whole left part.
					img := qrscan.LoadPNG(t, render(dpi)[i/per])
					pad := sheet.LabelH * 0.06
					got, err = qrscan.Decode(img, image.Rect(px(x+pad), px(y+pad), px(x+sheet.LabelH-pad), px(y+sheet.LabelH-pad)), true)
					if err != nil {
						got, err = qrscan.Decode(img, image.Rect(px(x), px(y), px(x+sheet.LabelH), px(y+sheet.LabelH)), false)
					}
					if err == nil {
						break
					}
				}
				if err != nil {
					t.Fatalf("label %d (%s): %v", i+1, id, err)
				}
				lb, err := courtdoc.ParseLabelPayload(got)
				if err != nil {
					t.Fatalf("label %d: %v", i+1, err)
				}
				if lb.ItemID != id || lb.LogOrigin != c.d.Ledger.Origin() || lb.Leaf != latest[id] {
					t.Errorf("label %d decodes to %s %s leaf %d, want %s %s leaf %d", i+1, lb.ItemID, lb.LogOrigin, lb.Leaf, id, c.d.Ledger.Origin(), latest[id])
				}
			}
			text := rawText(t, pdf)
			for _, id := range items {
				if !strings.Contains(text, id+" ") {
					t.Errorf("no readable id %s on the sheet", id)
				}
			}
			for _, w := range []string{"Causa / Case: METASTASIS", "Tipo / Type: teléfono", "Sello / Seal: PN-100156", "Tipo / Type: imagen forense", "sin sellar / unsealed"} {
				if !strings.Contains(text, w) {
					t.Errorf("the sheet lacks %q", w)
				}
			}
		})
	}
}

// readCSV parses a CSV file strictly (every row well formed).
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // the operation CSV stacks tables of different widths
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// csvSections splits the operation CSV into its tables: title → data rows
// (header first).
func csvSections(rows [][]string) map[string][][]string {
	out := map[string][][]string{}
	var cur string
	for _, r := range rows {
		switch {
		case len(r) == 1 && strings.HasPrefix(r[0], "[") && strings.HasSuffix(r[0], "]"):
			cur = strings.Trim(r[0], "[]")
			out[cur] = [][]string{}
		case len(r) == 1 && r[0] == "":
			cur = ""
		case cur != "":
			out[cur] = append(out[cur], r)
		}
	}
	return out
}

const asOf = "2024-01-01T00:00:00-05:00"

func (c *court) testOperation(t *testing.T) {
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			pdf := c.run(t, "operation-"+lang+".pdf", "report", "operation", "OP-METASTASIS", "--as-of", asOf, "--lang", lang)
			renderPages(t, pdf, c.out, "operation-"+lang, 80)
			text := rawText(t, pdf)
			if err := os.WriteFile(strings.TrimSuffix(pdf, ".pdf")+".txt", []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			tr := func(es, en string) string {
				if lang == "en" {
					return en
				}
				return es
			}
			afterInOrder(t, "operation PDF", text, []string{
				"OP-METASTASIS — Operativo Metástasis", "2023-12-14 01:00 -05:00", "2024-01-01 00:00 -05:00",
				tr("Sitios 75", "Sites 75"), tr("Provincias 7", "Provinces 7"), "900", "30",
				tr("2. Sitios por provincia", "2. Sites by province"), "Pichincha", "Santo Domingo de los Tsáchilas",
				tr("3. Sitios por estado", "3. Sites by status"), tr("concluido", "completed"), "75",
				tr("4. Detenidos por rol", "4. Detainees by role"), tr("5. Indicios por tipo", "5. Evidence by type"),
				tr("6. Anomalías de custodia (0)", "6. Custody anomalies (0)"),
				tr("7. Incumplimiento de plazos de detención (1)", "7. Detention deadline violations (1)"),
				"D-01 Wilman Terán", tr("derechos leídos tarde", "rights read late"), "60 240",
				tr("8. Cronología del operativo", "8. Timeline of the operation"),
				"2023-12-14 00:00 -05:00", tr("Detención D-01: Wilman Terán (orden judicial)", "Detention D-01: Wilman Terán (warrant)"),
				"S-CHI-03", tr("Ingreso al sitio", "Site entered"),
				"S-CHI-03", tr("Detención D-30: identidad reservada (flagrancia)", "Detention D-30: reserved identity (in flagrante)"),
				"S-CHI-03", tr("Incautación E-CHI-03-01: Teléfono celular", "Seizure E-CHI-03-01: Teléfono celular"),
			})

			path := c.run(t, "operation-"+lang+".csv", "report", "operation", "OP-METASTASIS", "--as-of", asOf, "--lang", lang)
			sec := csvSections(readCSV(t, path))
			sum := func(name string) (n int) {
				rows := sec[name]
				if len(rows) < 2 {
					t.Errorf("CSV section [%s] is missing or empty", name)
					return 0
				}
				for _, r := range rows[1:] {
					v, err := strconv.Atoi(r[1])
					if err != nil {
						t.Errorf("[%s] %v: %v", name, r, err)
					}
					n += v
				}
				return n
			}
			summary := map[string]string{}
			for _, r := range sec[tr("resumen", "summary")][1:] {
				summary[r[0]] = r[1]
			}
			for k, v := range map[string]string{tr("operativo", "operation"): "OP-METASTASIS", tr("sitios", "sites"): "75", tr("provincias", "provinces"): "7", tr("efectivos", "personnel"): "900",
				tr("detenciones", "detentions"): "30", tr("indicios", "evidence_items"): "155", tr("indicios_derivados", "derived_items"): "13"} {
				if summary[k] != v {
					t.Errorf("CSV summary %s = %q, want %q", k, summary[k], v)
				}
			}
			if n := sum(tr("sitios_por_provincia", "sites_by_province")); n != 75 {
				t.Errorf("sites by province sum to %d, want 75", n)
			}
			if n := sum(tr("sitios_por_estado", "sites_by_status")); n != 75 {
				t.Errorf("sites by status sum to %d, want 75", n)
			}
			if n := sum(tr("detenciones_por_fundamento", "detentions_by_basis")); n != 30 {
				t.Errorf("detentions by basis sum to %d, want 30", n)
			}
			if n := sum(tr("indicios_por_tipo", "evidence_by_type")); n != 155 {
				t.Errorf("evidence by type sums to %d, want 155", n)
			}
			viol := sec[tr("incumplimientos_de_plazos", "deadline_violations")]
			if len(viol) != 2 || viol[1][0] != "D-01" || viol[1][2] != tr("derechos leídos tarde", "rights read late") || viol[1][3] != "60" || viol[1][4] != "240" || viol[1][5] != "rights_notice_late" {
				t.Errorf("deadline violations = %v, want one: D-01 rights_notice_late 60 240", viol)
			}
			// The timeline: every status change of the 75 sites, the 30
			// detentions and the 155 seizures, in time order.
			tl := sec[tr("cronologia", "timeline")]
			if len(tl) != 1+75*4+30+155 {
				t.Errorf("timeline has %d rows, want %d", len(tl)-1, 75*4+30+155)
			}
			last := ""
			for _, r := range tl[1:] {
				tm, err := custody.ParseTime(r[0])
				if err != nil {
					t.Fatalf("timeline time %q: %v", r[0], err)
				}
				if u := tm.UTC().Format("2006-01-02T15:04:05"); u < last {
					t.Errorf("timeline out of order at %v", r)
				} else {
					last = u
				}
			}
		})
	}
	// Without -o the report is the spec's JSON or text, as before.
	if out := mustRun(t, "report", "operation", "OP-METASTASIS", "--as-of", asOf, "--json", "--data", c.data); !strings.Contains(out, `"sites": 75`) {
		t.Errorf("--json output changed:\n%s", out)
	}
}

func (c *court) testDetentions(t *testing.T) {
	reserved := map[string]bool{}
	err := c.d.Ledger.View(func(s *domain.State) error {
		for _, p := range s.Persons {
			if p.IsReserved() {
				reserved[p.Name] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reserved) == 0 {
		t.Fatal("the Metastasis case has no reserved identity to test")
	}
	path := c.run(t, "detentions-es.csv", "report", "detentions", "METASTASIS", "--as-of", asOf)
	rows := readCSV(t, path)
	if len(rows) != 31 {
		t.Fatalf("%d detention rows, want 30 and a header", len(rows)-1)
	}
	if strings.Join(rows[0], ",") != "detencion,persona,fundamento,sitio,aprehension,notificacion_derechos,audiencia,libertad,limite_derechos_min,derechos_min,limite_audiencia_min,audiencia_min,incumplimientos,codigo_fundamento,codigos_incumplimientos" {
		t.Errorf("header %v", rows[0])
	}
	with := 0
	nReserved := 0
	for i, r := range rows[1:] {
		if r[12] != "" {
			with++
			if i != 0 {
				t.Errorf("row %d has violations but is not first", i+1)
			}
		}
		if reserved[r[1]] {
			t.Errorf("row %s shows a reserved identity's name %q", r[0], r[1])
		}
		if r[1] == courtdoc.ReservedIdentity {
			nReserved++
		}
	}
	if with != 1 || rows[1][0] != "D-01" || rows[1][1] != "Wilman Terán" || rows[1][9] != "240" || rows[1][12] != "derechos leídos tarde" || rows[1][2] != "orden judicial" || rows[1][14] != "rights_notice_late" {
		t.Errorf("first row %v, want D-01 Wilman Terán with rights_notice_late after 240 min (and no other violation; %d rows have some)", rows[1], with)
	}
	if nReserved == 0 {
		t.Error("no detainee shown as reserved")
	}

	pdf := c.run(t, "detentions-es.pdf", "report", "detentions", "METASTASIS", "--as-of", asOf)
	renderPages(t, pdf, c.out, "detentions-es", 80)
	text := rawText(t, pdf)
	afterInOrder(t, "detentions PDF", text, []string{"Informe de cumplimiento de plazos de detención", "METASTASIS",
		"Con incumplimientos: 1 de 30", "D-01", "Wilman Terán", "2023-12-14 00:00 -05:00", "2023-12-14 04:00 -05:00",
		"240 min (límite 60)", "derechos leídos tarde", "D-02", "Álex Palacios", "identidad reservada"})
	for name := range reserved {
		if strings.Contains(text, name) {
			t.Errorf("the PDF shows the reserved name %q", name)
		}
	}
	// As of the morning of the raid, the missing hearings are not yet late,
	// and acts recorded later are shown as not yet happened.
	early := c.run(t, "detentions-early.csv", "report", "detentions", "METASTASIS", "--as-of", "2023-12-14T02:00:00-05:00")
	rows = readCSV(t, early)
	for _, r := range rows[1:] {
		if r[0] == "D-01" && (r[5] != "" || r[14] != "rights_notice_missing" || r[12] != "sin lectura de derechos") {
			t.Errorf("D-01 as of 02:00: rights %q, violations %q; want none yet and rights_notice_missing", r[5], r[12])
		}
	}
}

// validateSHACL runs the SHACL validator on a JSON-LD file and returns its
// verdict and output.
func validateSHACL(t *testing.T, path string) (bool, string) {
	t.Helper()
	root := testdeploy.Root(t)
	if _, err := os.Stat(filepath.Join(root, "tools", "shacl", "node_modules", "shacl-engine")); err != nil {
		t.Fatal("SHACL validator packages missing: run scripts/setup-courtdoc")
	}
	out, err := exec.Command(courtTool(t, "node"), filepath.Join(root, "tools", "shacl", "validate.mjs"), path).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false, string(out)
	}
	if err != nil {
		t.Fatalf("validator did not run: %v\n%s", err, out)
	}
	return true, string(out)
}

func (c *court) testCaseUCO(t *testing.T) {
	path := c.run(t, "metastasis.jsonld", "export", "case-uco", "METASTASIS")
	ok, out := validateSHACL(t, path)
	if !ok || !strings.Contains(out, "conforms: true") {
		t.Fatalf("the CASE export of Metastasis does not conform:\n%s", out)
	}
	doc := string(mustRead(t, path))
	for _, w := range []string{
		`"case-investigation:Investigation"`, `"case-investigation:Authorization"`, `"Orden de allanamiento S-CHI-03"`,
		`"case-investigation:ProvenanceRecord"`, `"case-investigation:InvestigativeAction"`,
		`"dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02"`, `"Perito informático 3"`,
		`"custodia:leaf=854"`, `"Servicio Nacional de Medicina Legal y Ciencias Forenses"`,
	} {
		if !strings.Contains(doc, w) {
			t.Errorf("the export lacks %s", w)
		}
	}
	// One action per custody event of the case's items.
	var events int
	err := c.d.Ledger.View(func(s *domain.State) error {
		seen := map[int64]bool{}
		for _, it := range s.Items {
			hist, err := c.d.Ledger.ItemHistory(context.Background(), it.ID)
			if err != nil {
				return err
			}
			for _, h := range hist {
				seen[h.Seq] = true
			}
		}
		events = len(seen)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(doc, `"@type":"case-investigation:InvestigativeAction"`); n != events {
		t.Errorf("%d InvestigativeActions, want one per custody event (%d)", n, events)
	}

	// A broken variant: a hash typed as a string is rejected, naming it.
	from := `"uco-types:hashValue":{"@type":"xsd:hexBinary"`
	if !strings.Contains(doc, from) {
		t.Fatalf("the export has no %s", from)
	}
	bad := filepath.Join(c.out, "metastasis-broken.jsonld")
	if err := os.WriteFile(bad, []byte(strings.Replace(doc, from, `"uco-types:hashValue":{"@type":"xsd:string"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ok, out = validateSHACL(t, bad)
	if ok || !strings.Contains(out, "Violation") || !strings.Contains(out, "hashValue") {
		t.Fatalf("the broken export was not rejected for its hashValue:\n%s", out)
	}
}

// testErrors: bad calls are usage errors (exit 2), unknown records are
// errors naming them (exit 1), and no file is left behind.
func (c *court) testErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", "item", "E-NOPE", "-o", filepath.Join(dir, "x.pdf")}, 1, "E-NOPE"},
		{[]string{"report", "item", "E-CHI-03-01"}, 2, "-o"},
		{[]string{"report", "item", "E-CHI-03-01", "-o", filepath.Join(dir, "x.txt")}, 2, ".pdf"},
		{[]string{"report", "item", "E-CHI-03-01", "-o", filepath.Join(dir, "x.pdf"), "--lang", "fr"}, 2, "--lang"},
		{[]string{"report", "detentions", "NOPE", "-o", filepath.Join(dir, "x.csv")}, 1, "NOPE"},
		{[]string{"report", "operation", "OP-NOPE", "-o", filepath.Join(dir, "x.pdf")}, 1, "OP-NOPE"},
		{[]string{"report", "operation", "OP-METASTASIS", "-o", filepath.Join(dir, "x.pdf"), "--json"}, 2, "--json"},
		{[]string{"label", "E-CHI-03-01", "E-NOPE", "-o", filepath.Join(dir, "x.pdf")}, 1, "E-NOPE"},
		{[]string{"label", "-o", filepath.Join(dir, "x.pdf")}, 2, "ITEM"},
		{[]string{"label", "E-CHI-03-01", "-o", filepath.Join(dir, "x.pdf"), "--sheet", "a5"}, 2, "a5"},
		{[]string{"export", "case-uco", "NOPE", "-o", filepath.Join(dir, "x.jsonld")}, 1, "NOPE"},
	} {
		code, _, stderr := runCLI(t, append(tc.args, "--data", c.data)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("custodia %s: exit %d, stderr %q; want exit %d naming %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("failed commands left files: %v", left)
	}
}
