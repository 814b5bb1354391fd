package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"image"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/internal/qrscan"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/transparency/witness"
)

// TestCourtDocumentsCarryCosignatures: once a witness has cosigned the
// log's checkpoint, the item record, the operation report and the
// detentions report all print and QR-encode that cosigned checkpoint, the
// witness's line included, not the log-signed one alone.
func TestCourtDocumentsCarryCosignatures(t *testing.T) {
	data := metastasisDir(t)
	d := testdeploy.Open(t, data, nil)
	ctx := context.Background()
	cp, err := d.Ledger.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := witness.GenerateKey(rand.Reader, "witness.test/w1")
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := witness.NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	line, err := cosigner.Cosign(cp.Note, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cosigned := string(cp.Note) + string(line)
	if err := d.Ledger.AddCosigned(ctx, []byte(cosigned)); err != nil {
		t.Fatal(err)
	}
	// The line as printed: name, then the signature, which may wrap.
	sig := strings.Fields(string(line))[2]

	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		item bool // the QR is a verification payload, not the bare checkpoint
	}{
		{"item", []string{"report", "item", "E-CHI-03-01"}, true},
		{"operation", []string{"report", "operation", "OP-METASTASIS", "--as-of", asOf}, false},
		{"detentions", []string{"report", "detentions", "METASTASIS", "--as-of", asOf}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdf := filepath.Join(dir, tc.name+".pdf")
			mustRun(t, append(tc.args, "-o", pdf, "--data", data)...)
			text := rawText(t, pdf)
			if !strings.Contains(text, "— witness.test/w1 "+sig[:16]) {
				t.Errorf("the text lacks the witness's cosignature line %q", strings.TrimSpace(string(line)))
			}
			var payloads []string
			for _, p := range lastPages(t, pdf, dir, tc.name) {
				if s, err := qrscan.Decode(qrscan.LoadPNG(t, p), image.Rectangle{}, false); err == nil {
					payloads = append(payloads, s)
				}
			}
			if len(payloads) != 1 {
				t.Fatalf("%d QR codes decoded, want 1", len(payloads))
			}
			got := payloads[0]
			if tc.item {
				q, err := courtdoc.ParseVerificationQR(got)
				if err != nil {
					t.Fatal(err)
				}
				got = q.Checkpoint
			}
			if got != cosigned {
				t.Errorf("the QR code holds\n%s\nwant the cosigned checkpoint\n%s", got, cosigned)
			}
		})
	}
}

// lastPages renders the last two pages of pdf at 200 dpi (the verification
// data close every court document) and returns their PNG paths.
func lastPages(t *testing.T, pdf, dir, name string) []string {
	t.Helper()
	out, err := exec.Command(courtTool(t, "pdfinfo"), pdf).Output()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v", pdf, err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page count in\n%s", pdf, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	first := max(1, n-1)
	prefix := filepath.Join(dir, name)
	if out, err := exec.Command(courtTool(t, "pdftoppm"), "-png", "-r", "200", "-aa", "no", "-aaVector", "no", "-f", strconv.Itoa(first), "-l", strconv.Itoa(n), pdf, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", pdf, err, bytes.TrimSpace(out))
	}
	pngs, _ := filepath.Glob(prefix + "-*.png")
	if len(pngs) == 0 {
		t.Fatalf("pdftoppm made no page of %s", pdf)
	}
	return pngs
}
