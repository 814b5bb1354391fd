package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/verify/tlogproof"
)

// TestExportTLogProofs: export bundle --tlog-proofs writes one C2SP
// tlog-proof file per event; each parses and checks, with the event bytes
// it carries, against the deployment's published key, and a changed event
// does not check.
func TestExportTLogProofs(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d")
	vkey := strings.TrimSpace(mustRun(t, "init", "--data", data))
	mustRun(t, "import", "--data", data, filepath.Join("..", "..", "testdata", "metastasis.jsonl"))
	proofs := filepath.Join(dir, "proofs")
	mustRun(t, "export", "bundle", "E-CHI-03-01", "-o", filepath.Join(dir, "b.json"), "--tlog-proofs", proofs, "--data", data)
	files, err := filepath.Glob(filepath.Join(proofs, "*.tlog-proof"))
	if err != nil || len(files) != 7 {
		t.Fatalf("tlog-proof files: %v %v, want 7 (the events of E-CHI-03-01 and its image)", files, err)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tlogproof.Parse(text)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := tlogproof.Check(p, p.Extra, vkey); err != nil {
			t.Errorf("%s does not check: %v", f, err)
		}
		changed := append([]byte(nil), p.Extra...)
		changed[len(changed)/2] ^= 1
		if _, err := tlogproof.Check(p, changed, vkey); err == nil {
			t.Errorf("%s checks with a changed event", f)
		}
	}
}
