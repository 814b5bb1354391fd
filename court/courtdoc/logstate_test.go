package courtdoc

import (
	"bytes"
	"image"
	"io"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/qrscan"
)

// TestReportsCarryTheirCheckpoint: the operation and detention reports print
// the signed checkpoint they were drawn from, as text and in a QR code that
// decodes to exactly that checkpoint; without one, they say so.
func TestReportsCarryTheirCheckpoint(t *testing.T) {
	v := metastasisItem(t).Verification
	s := &LogState{Origin: v.LogOrigin, Size: v.CheckpointSize, RootHash: v.RootHash, Checkpoint: v.Checkpoint}
	op := operationReport(t, 12)
	det := detentionReport(t)
	for name, write := range map[string]func(w io.Writer, s *LogState) error{
		"operation":  func(w io.Writer, s *LogState) error { r := op; r.Log = s; return WriteOperationPDF(w, r, "es") },
		"detentions": func(w io.Writer, s *LogState) error { r := det; r.Log = s; return WriteDetentionsPDF(w, r, "es") },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := write(&buf, s); err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, buf.Bytes())
			for _, w := range []string{"Datos de verificación", v.LogOrigin, v.RootHash, "Checkpoint firmado", "prueba de consistencia"} {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			pngs := renderPNG(t, buf.Bytes(), t.TempDir(), name, 200)
			got, err := qrscan.Decode(qrscan.LoadPNG(t, pngs[len(pngs)-1]), image.Rectangle{}, false)
			if err != nil || got != v.Checkpoint {
				t.Errorf("the last page's QR code: %q, %v; want the checkpoint", got, err)
			}
			buf.Reset()
			if err := write(&buf, nil); err != nil {
				t.Fatal(err)
			}
			if text := pdfText(t, buf.Bytes()); !strings.Contains(text, "No se proporcionó checkpoint") {
				t.Error("a report without a checkpoint does not say so")
			}
		})
	}
}
