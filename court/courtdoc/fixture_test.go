package courtdoc

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// The fixtures mirror item E-CHI-03-01 of testdata/metastasis.jsonl (lines
// 696 and 852-857) and its derived image E-CHI-03-01-IMG. Leaf i is line i+1
// of the file, as in an import of it into an empty log.

const (
	origin   = "custodia.fiscalia.gob.ec/metastasis"
	fileHash = "5f0c1b7e2d9a4c3b8e6f1a2d3c4b5a697887766554433221100ffeeddccbbaa9"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// signedCheckpoint signs a C2SP tlog-checkpoint note with a key made from a
// fixed seed, so that its size and signature are those of a real one.
func signedCheckpoint(t testing.TB, size int64) (text, root string) {
	t.Helper()
	h := sha256.Sum256([]byte(fmt.Sprint("metastasis tree ", size)))
	root = base64.StdEncoding.EncodeToString(h[:])
	body := fmt.Sprintf("%s\n%d\n%s\n", origin, size, root)
	skey, _, err := note.GenerateKey(fixedRand{}, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return string(msg), root
}

type fixedRand struct{}

func (fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return len(p), nil
}

var (
	agent   = Person{ID: "pn.s-chi-03.1", Name: "Agente 1 del equipo S-CHI-03", Agency: "PN", Role: "agent"}
	custChi = Person{ID: "cust.chi", Name: "Custodio de la bodega de evidencias de Chimborazo", Agency: "PN", Role: "custodian"}
	lab3    = Person{ID: "lab.3", Name: "Perito informático 3", Agency: "SNMLCF", Role: "forensic_analyst"}
)

func importedAt(t testing.TB) time.Time { return mustTime(t, "2026-11-20T15:04:05Z") }

func ev(t testing.TB, line int, op, at string, by, to Person) CustodyEvent {
	return CustodyEvent{
		Leaf: int64(line - 1), Op: op, At: mustTime(t, at), By: by, To: to,
		RecordedAt: importedAt(t), RecordedBy: ImportRef("", fileHash, line),
	}
}

// metastasisItem is the record of E-CHI-03-01 as the lead's code will fill it.
func metastasisItem(t testing.TB) ItemRecord {
	ckpt, root := signedCheckpoint(t, 1071)
	seize := ev(t, 696, "evidence.seize", "2023-12-14T01:40:00-05:00", agent, Person{})
	seize.Place, seize.Seal = "S-CHI-03", "PN-100001"
	t1 := ev(t, 852, "custody.transfer", "2023-12-14T16:44:00-05:00", agent, custChi)
	t1.Purpose, t1.SealCondition, t1.Seal, t1.Place = "storage", "intact", "PN-100001", "Bodega de evidencias de Chimborazo"
	t2 := ev(t, 853, "custody.transfer", "2023-12-18T09:00:00-05:00", custChi, lab3)
	t2.Purpose, t2.SealCondition, t2.Seal, t2.Place = "analysis", "intact", "PN-100001", "Laboratorio de informática forense"
	open := ev(t, 854, "custody.open", "2023-12-18T09:30:00-05:00", lab3, Person{})
	open.Reason = "Extracción forense"
	derive := ev(t, 855, "evidence.derive", "2023-12-18T13:00:00-05:00", lab3, Person{})
	derive.Reason = "E-CHI-03-01-IMG (Herramienta de adquisición forense)"
	seal := ev(t, 856, "custody.seal", "2023-12-18T14:00:00-05:00", lab3, Person{})
	seal.Seal = "PN-100156"
	t3 := ev(t, 857, "custody.transfer", "2023-12-19T10:00:00-05:00", lab3, custChi)
	t3.Purpose, t3.SealCondition, t3.Place = "storage", "intact", "Bodega de evidencias de Chimborazo"
	return ItemRecord{
		Office: "Fiscalía General del Estado", Case: "METASTASIS", CaseTitle: "Caso Metástasis",
		ItemID: "E-CHI-03-01", Type: "phone", Description: "Teléfono celular", Quantity: 1, Digital: true,
		Seizure: Seizure{
			At: mustTime(t, "2023-12-14T01:40:00-05:00"), By: agent, Site: "S-CHI-03",
			SiteDesc: "residencia, Riobamba, Chimborazo — Inmueble allanado en Riobamba pasada la 01:00",
			Seal:     "PN-100001",
		},
		Events: []CustodyEvent{seize, t1, t2, open, derive, seal, t3},
		Derived: []DerivedItem{{
			ID: "E-CHI-03-01-IMG", Type: "forensic_image", Description: "Imagen forense de E-CHI-03-01",
			At: mustTime(t, "2023-12-18T13:00:00-05:00"), By: lab3,
			SHA256: "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02",
			Size:   549755813888, Tool: "Herramienta de adquisición forense", Leaf: 854,
		}},
		Holder: custChi, Seal: "PN-100156",
		Verification: Verification{LogOrigin: origin, CheckpointSize: 1071, RootHash: root, Checkpoint: ckpt},
		GeneratedAt:  mustTime(t, "2026-11-26T18:30:00-05:00"),
	}
}

// artifacts is where tests leave PDFs and PNGs for a person to look at:
// $CUSTODIA_TEST_ARTIFACTS, or test-artifacts/courtdoc at the repository root.
func artifacts(t testing.TB) string {
	dir := os.Getenv("CUSTODIA_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-artifacts", "courtdoc")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tool finds a command the tests need, failing (not skipping) when it is
// missing: scripts/setup-courtdoc installs it.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run scripts/setup-courtdoc (installs poppler-utils)", name)
	}
	return p
}

// metastasisImage is the record of E-CHI-03-01-IMG, derived from
// E-CHI-03-01 at line 855 (leaf 854).
func metastasisImage(t testing.TB) ItemRecord {
	rec := metastasisItem(t)
	derive := rec.Events[4]
	derive.Reason = "de / from E-CHI-03-01 (Herramienta de adquisición forense)"
	return ItemRecord{
		Office: rec.Office, Case: rec.Case, CaseTitle: rec.CaseTitle,
		ItemID: "E-CHI-03-01-IMG", Type: "forensic_image", Description: "Imagen forense de E-CHI-03-01",
		Quantity: 1, Digital: true, Parent: "E-CHI-03-01",
		SHA256: "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02", Size: 549755813888,
		Seizure: Seizure{At: derive.At, By: lab3, Place: "Laboratorio de informática forense"},
		Events:  []CustodyEvent{derive},
		Holder:  lab3, Verification: rec.Verification, GeneratedAt: rec.GeneratedAt,
	}
}
