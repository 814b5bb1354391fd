package courtdoc

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestVerificationNumbersRaw: the checkpoint size printed in the
// verification data of the item record and of both reports is the
// checkpoint's own size line, digit for digit, in both languages, while
// counts a person reads keep their separators.
func TestVerificationNumbersRaw(t *testing.T) {
	rec := metastasisItem(t)
	v := rec.Verification
	if v.CheckpointSize != 1071 || !strings.Contains(v.Checkpoint, "\n1071\n") {
		t.Fatalf("the fixture's checkpoint is not of size 1071:\n%s", v.Checkpoint)
	}
	s := &LogState{Origin: v.LogOrigin, Size: v.CheckpointSize, RootHash: v.RootHash, Checkpoint: v.Checkpoint}
	size := regexp.MustCompile(`(?:Tamaño del checkpoint|Checkpoint size)\s+(\S+)`)
	for _, lang := range []string{"es", "en"} {
		for name, write := range map[string]func(*bytes.Buffer) error{
			"item": func(b *bytes.Buffer) error { return WriteItemPDF(b, rec, lang) },
			"operation": func(b *bytes.Buffer) error {
				r := operationReport(t, 12)
				r.Log = s
				return WriteOperationPDF(b, r, lang)
			},
			"detentions": func(b *bytes.Buffer) error {
				r := detentionReport(t)
				r.Log = s
				return WriteDetentionsPDF(b, r, lang)
			},
		} {
			var buf bytes.Buffer
			if err := write(&buf); err != nil {
				t.Fatal(err)
			}
			if m := size.FindStringSubmatch(pdfText(t, buf.Bytes())); m == nil || m[1] != "1071" {
				t.Errorf("%s-%s: checkpoint size printed as %q, want 1071", name, lang, m)
			}
		}
	}
	// A human count still reads as one.
	var buf bytes.Buffer
	r := operationReport(t, 12)
	r.Personnel = 1234
	if err := WriteOperationPDF(&buf, r, "es"); err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, buf.Bytes()); !regexp.MustCompile(`Personal\s+1\.234`).MatchString(text) {
		t.Errorf("personnel 1234 not shown as 1.234:\n%s", text)
	}
}
