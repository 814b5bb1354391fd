package web

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sha256Runner hashes the files named on its command line with the upload
// page's SHA-256, each fed in slices of random sizes (as the page feeds a
// file), and prints one hex digest a line.
const sha256Runner = `
const S = require(process.argv[2]);
const fs = require("fs");
let seed = 7;
function rnd(n) { seed = (seed * 1103515245 + 12345) % 2147483648; return 1 + (seed % n); }
for (const f of process.argv.slice(3)) {
  const b = fs.readFileSync(f), h = new S.Hash();
  let o = 0;
  while (o < b.length) { const k = Math.min(b.length - o, rnd(200)); h.update(b.subarray(o, o + k)); o += k; }
  console.log(h.hex());
}
`

// TestUploadSHA256JS holds web/static/sha256.js equal to crypto/sha256 on
// every length around the block and padding boundaries and on random
// files, fed in uneven slices; it must finish within its budget.
func TestUploadSHA256JS(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	var lens []int
	for n := 0; n <= 200; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 1000, 4095, 4096, 65537, 1<<20+3)
	var files, want []string
	for i, n := range lens {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		f := filepath.Join(dir, "f"+string(rune('a'+i%26))+"-"+hex.EncodeToString([]byte{byte(i >> 8), byte(i)}))
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		files, want = append(files, f), append(want, hex.EncodeToString(sum[:]))
	}
	out := runNode(t, "the upload page's SHA-256", sha256Runner, filepath.Join("static", "sha256.js"), nil, files...)
	got := strings.Fields(string(out))
	if len(got) != len(want) {
		t.Fatalf("%d digests for %d files", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d bytes: sha256.js says %s, crypto/sha256 %s", lens[i], got[i], want[i])
		}
	}
}
