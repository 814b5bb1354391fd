package web

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendoredCytoscapeIsPinned: the vendored cytoscape.min.js is the
// file VENDOR.md names by hash and version, with its licence beside it.
func TestVendoredCytoscapeIsPinned(t *testing.T) {
	dir := filepath.Join("static", "vendor")
	js, err := os.ReadFile(filepath.Join(dir, "cytoscape.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(dir, "VENDOR.md"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(js)
	if !strings.Contains(string(doc), hex.EncodeToString(sum[:])) {
		t.Errorf("cytoscape.min.js has sha256 %x, which VENDOR.md does not name: update both together", sum)
	}
	if !strings.Contains(string(doc), "| 3.35.0 |") || !strings.Contains(string(js), "3.35.0") {
		t.Errorf("the version in VENDOR.md and in the file disagree")
	}
	lic, err := os.ReadFile(filepath.Join(dir, "cytoscape.LICENSE.txt"))
	if err != nil || !strings.Contains(string(lic), "Permission is hereby granted") {
		t.Errorf("the licence is missing: %v", err)
	}
}
