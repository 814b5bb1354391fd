package caseuco

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// metastasis mirrors item E-CHI-03-01 of testdata/metastasis.jsonl (lines
// 696 and 852-857; leaf = line - 1) and its derived image.
func metastasis(t testing.TB) CaseData {
	at := func(s string) time.Time { return mustTime(t, s) }
	return CaseData{
		Base:      "https://custodia.fiscalia.gob.ec/kb/",
		LogOrigin: "custodia.fiscalia.gob.ec/metastasis",
		Case: Case{ID: "METASTASIS", Title: "Caso Metástasis", OpenedAt: at("2022-10-04T09:00:00-05:00"), Status: "open",
			Summary: "Delincuencia organizada. La investigación comenzó tras la muerte violenta de Leandro Norero."},
		Agencies: []Agency{
			{ID: "FGE", Name: "Fiscalía General del Estado", Kind: "prosecution"},
			{ID: "PN", Name: "Policía Nacional del Ecuador", Kind: "police"},
			{ID: "SNMLCF", Name: "Servicio Nacional de Medicina Legal y Ciencias Forenses", Kind: "forensics"},
		},
		Officers: []Officer{
			{ID: "fge.salazar", Name: "Diana Salazar", Agency: "FGE", Role: "prosecutor"},
			{ID: "pn.s-chi-03.1", Name: "Agente 1 del equipo S-CHI-03", Agency: "PN", Role: "agent"},
			{ID: "cust.chi", Name: "Custodio de la bodega de evidencias de Chimborazo", Agency: "PN", Role: "custodian"},
			{ID: "lab.3", Name: "Perito informático 3", Agency: "SNMLCF", Role: "forensic_analyst"},
		},
		Sites: []Site{{ID: "S-CHI-03", Province: "Chimborazo", City: "Riobamba", Kind: "residence",
			Address: "Inmueble allanado en Riobamba pasada la 01:00", Warrant: "W-S-CHI-03"}},
		Warrants: []Warrant{{ID: "W-S-CHI-03", Identifier: "Orden de allanamiento S-CHI-03", Type: "orden de allanamiento", Site: "S-CHI-03"}},
		Items: []Item{
			{ID: "E-CHI-03-01", Type: "phone", Description: "Teléfono celular", Quantity: 1, Digital: true, Site: "S-CHI-03", Size: -1},
			{ID: "E-CHI-03-01-IMG", Type: "forensic_image", Description: "Imagen forense de E-CHI-03-01", Parent: "E-CHI-03-01",
				SHA256: "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", Size: 549755813888,
				Tool: "Herramienta de adquisición forense", Digital: true},
			// Not in the case file: a documents item whose seal arrives
			// broken, so that the export's anomaly annotations and plain
			// ObservableObjects are validated too.
			{ID: "E-CHI-03-90", Type: "documents", Description: "Agenda con anotaciones de pagos", Quantity: 3, Site: "S-CHI-03", Size: -1},
		},
		Events: []Event{
			{Leaf: 695, Op: "evidence.seize", Item: "E-CHI-03-01", At: at("2023-12-14T01:40:00-05:00"), By: "pn.s-chi-03.1", Site: "S-CHI-03", Seal: "PN-100001"},
			{Leaf: 851, Op: "custody.transfer", Item: "E-CHI-03-01", At: at("2023-12-14T16:44:00-05:00"), By: "pn.s-chi-03.1", To: "cust.chi",
				Purpose: "storage", SealCondition: "intact", Seal: "PN-100001", Place: "Bodega de evidencias de Chimborazo"},
			{Leaf: 852, Op: "custody.transfer", Item: "E-CHI-03-01", At: at("2023-12-18T09:00:00-05:00"), By: "cust.chi", To: "lab.3",
				Purpose: "analysis", SealCondition: "intact", Seal: "PN-100001", Place: "Laboratorio de informática forense"},
			{Leaf: 853, Op: "custody.open", Item: "E-CHI-03-01", At: at("2023-12-18T09:30:00-05:00"), By: "lab.3", Reason: "Extracción forense"},
			{Leaf: 854, Op: "evidence.derive", Item: "E-CHI-03-01", Result: "E-CHI-03-01-IMG", At: at("2023-12-18T13:00:00-05:00"), By: "lab.3"},
			{Leaf: 855, Op: "custody.seal", Item: "E-CHI-03-01", At: at("2023-12-18T14:00:00-05:00"), By: "lab.3", Seal: "PN-100156"},
			{Leaf: 856, Op: "custody.transfer", Item: "E-CHI-03-01", At: at("2023-12-19T10:00:00-05:00"), By: "lab.3", To: "cust.chi",
				Purpose: "storage", SealCondition: "intact", Place: "Bodega de evidencias de Chimborazo"},
			{Leaf: 696, Op: "evidence.seize", Item: "E-CHI-03-90", At: at("2023-12-14T01:45:00-05:00"), By: "pn.s-chi-03.1", Site: "S-CHI-03", Seal: "PN-100002"},
			{Leaf: 860, Op: "custody.transfer", Item: "E-CHI-03-90", At: at("2023-12-14T16:50:00-05:00"), By: "pn.s-chi-03.1", To: "cust.chi",
				Purpose: "storage", SealCondition: "broken", Seal: "PN-100099", Place: "Bodega de evidencias de Chimborazo",
				Anomalies: []string{"seal_broken", "seal_mismatch"}},
			{Leaf: 900, Op: "evidence.attach", Item: "E-CHI-03-01-IMG", At: at("2023-12-18T13:05:00-05:00"), By: "lab.3",
				FileName: "acta-de-adquisicion.pdf", FileSHA256: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", FileSize: 48213, MediaType: "application/pdf"},
		},
	}
}

// validate runs the SHACL validator (tools/shacl/validate.mjs, installed by
// scripts/setup-courtdoc) on doc and returns its verdict and output.
func validate(t *testing.T, doc []byte, name string) (bool, string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found on PATH: the SHACL validator needs Node.js 20")
	}
	if _, err := os.Stat("../../tools/shacl/node_modules/shacl-engine"); err != nil {
		t.Fatal("SHACL validator packages missing: run scripts/setup-courtdoc")
	}
	dir := os.Getenv("CUSTODIA_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts", "caseuco")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "../../tools/shacl/validate.mjs", path).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false, string(out)
	}
	if err != nil {
		t.Fatalf("validator did not run: %v\n%s", err, out)
	}
	return true, string(out)
}

func TestExportMetastasisConforms(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, metastasis(t)); err != nil {
		t.Fatal(err)
	}
	ok, out := validate(t, buf.Bytes(), "metastasis.jsonld")
	if !ok || !strings.Contains(out, "conforms: true") {
		t.Fatalf("export does not conform:\n%s", out)
	}
	if !strings.Contains(out, "skipped: ") {
		t.Errorf("validator does not say which SHACL-SPARQL constraints it skipped:\n%s", out)
	}
	checkGraph(t, buf.Bytes())
}

// checkGraph checks what the skipped SHACL-SPARQL shapes would have, and
// the shape of the E-CHI-03-01 history.
func checkGraph(t *testing.T, doc []byte) {
	var d struct {
		Graph []map[string]any `json:"@graph"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	uuidEnd := regexp.MustCompile(`-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			_, literal := v["@value"]
			if _, typed := v["@type"]; typed && !literal {
				id, _ := v["@id"].(string)
				if !strings.HasPrefix(id, "kb:") || !uuidEnd.MatchString(id) {
					t.Errorf("node %v has no kb: IRI ending in a UUID", v)
				}
				if seen[id] {
					t.Errorf("IRI %s is used by two nodes", id)
				}
				seen[id] = true
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, n := range d.Graph {
		walk(n)
	}
	var actions []string
	var hashes, auths, annotations, unsigned int
	for _, n := range d.Graph {
		switch n["@type"] {
		case "case-investigation:InvestigativeAction":
			actions = append(actions, n["uco-core:name"].(string))
			if _, ok := n["uco-action:performer"]; !ok {
				t.Errorf("action %v has no performer", n["@id"])
			}
		case "case-investigation:Authorization":
			auths++
		case "uco-core:Annotation":
			switch tags := string(mustJSON(n["uco-core:tag"])); {
			case strings.Contains(tags, "custodia:anomaly="):
				annotations++
			case strings.Contains(tags, "custodia:unsigned"):
				unsigned++
			}
		}
		if strings.Contains(string(mustJSON(n)), `"uco-types:Hash"`) {
			hashes++
		}
	}
	want := "evidence.seize custody.transfer custody.transfer custody.open evidence.derive custody.seal custody.transfer evidence.seize custody.transfer evidence.attach"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("actions = %s\nwant %s", got, want)
	}
	if annotations != 2 {
		t.Errorf("%d anomaly annotations, want 2", annotations)
	}
	// No act of the test data is signed: each action says it carries no
	// personal signature (signatures, when present: TestExportSignatures).
	if unsigned != len(actions) {
		t.Errorf("%d actions annotated as without a personal signature, want %d", unsigned, len(actions))
	}
	if hashes != 2 || auths != 1 {
		t.Errorf("%d nodes with hashes (want 2: image, attachment), %d authorizations (want 1)", hashes, auths)
	}
	if !bytes.Contains(doc, []byte(`"uco-action:startTime":{"@type":"xsd:dateTime","@value":"2023-12-14T01:40:00-05:00"}`)) {
		t.Errorf("seizure time missing or without its offset")
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestExportBrokenIsRejected proves the validator can fail: the same export
// with a hash value typed as a string, and with a wrongly typed property,
// must each be rejected with the violation named.
func TestExportBrokenIsRejected(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, metastasis(t)); err != nil {
		t.Fatal(err)
	}
	good := buf.String()
	// A real Person IRI of the export, to put where a Location must be.
	lab3 := regexp.MustCompile(`"@id":"(kb:person-lab\.3-[0-9a-f-]+)"`).FindStringSubmatch(good)
	if lab3 == nil {
		t.Fatal("export has no Person for lab.3")
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"hash-as-string":     {`"uco-types:hashValue":{"@type":"xsd:hexBinary"`, `"uco-types:hashValue":{"@type":"xsd:string"`, "hashValue"},
		"time-as-string":     {`"uco-action:startTime":{"@type":"xsd:dateTime","@value":"2023-12-14T01:40:00-05:00"}`, `"uco-action:startTime":"14 de diciembre de 2023"`, "startTime"},
		"location-is-person": {`"uco-action:location":[{"@id":"kb:location-site_S-CHI-03`, `"uco-action:location":[{"@id":"` + lab3[1] + `"},{"@id":"kb:location-site_S-CHI-03`, "location"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, c.from) {
				t.Fatalf("export lacks %s", c.from)
			}
			bad := strings.Replace(good, c.from, c.to, 1)
			ok, out := validate(t, []byte(bad), "broken-"+name+".jsonld")
			if ok {
				t.Fatalf("broken export (%s) was accepted:\n%s", name, out)
			}
			if !strings.Contains(out, "Violation") || !strings.Contains(out, c.want) {
				t.Errorf("rejection does not name %s:\n%s", c.want, out)
			}
		})
	}
}

func TestExportRejectsBadInput(t *testing.T) {
	for name, mod := range map[string]func(*CaseData){
		"no case":       func(c *CaseData) { c.Case.ID = "" },
		"bad sha256":    func(c *CaseData) { c.Items[1].SHA256 = "DEA646" },
		"unknown item":  func(c *CaseData) { c.Events[2].Item = "E-NOPE" },
		"unknown to":    func(c *CaseData) { c.Events[2].To = "nobody" },
		"no time":       func(c *CaseData) { c.Events[3].At = time.Time{} },
		"orphan parent": func(c *CaseData) { c.Items[1].Parent = "E-NOPE" },
	} {
		t.Run(name, func(t *testing.T) {
			c := metastasis(t)
			mod(&c)
			var buf bytes.Buffer
			err := Export(&buf, c)
			if err == nil {
				t.Fatal("accepted")
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
			if !strings.HasPrefix(err.Error(), "caseuco: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
		})
	}
}

func TestExportDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Export(&a, metastasis(t)); err != nil {
		t.Fatal(err)
	}
	if err := Export(&b, metastasis(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two exports of the same case differ")
	}
}
