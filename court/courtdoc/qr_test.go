package courtdoc

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/custodia-ec/custodia/internal/qrscan"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// TestItemQRRoundTrip renders the item record, finds the verification QR on
// its last page and checks that it decodes to exactly the payload encoded.
func TestItemQRRoundTrip(t *testing.T) {
	rec := metastasisItem(t)
	var buf bytes.Buffer
	if err := WriteItemPDF(&buf, rec, ""); err != nil {
		t.Fatal(err)
	}
	pngs := renderPNG(t, buf.Bytes(), t.TempDir(), "item", 200)
	got, err := qrscan.Decode(qrscan.LoadPNG(t, pngs[len(pngs)-1]), image.Rectangle{}, false)
	if err != nil {
		t.Fatalf("decoding the QR code of the last page: %v", err)
	}
	want, err := VerificationPayloads(rec.ItemID, rec.Verification.Checkpoint, []int64{695, 851, 852, 853, 854, 855, 856})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 1 || got != want[0] {
		t.Fatalf("decoded QR payload:\n%s\nwant:\n%s", got, want)
	}
	q, err := ParseVerificationQR(got)
	if err != nil {
		t.Fatal(err)
	}
	if q.Item != "E-CHI-03-01" || q.Checkpoint != rec.Verification.Checkpoint ||
		!reflect.DeepEqual(q.Leaves, []int64{695, 851, 852, 853, 854, 855, 856}) {
		t.Fatalf("parsed payload = %+v", q)
	}
	if !strings.Contains(got, "leaves=695,851-856\n") {
		t.Errorf("leaves not written as ranges:\n%s", got)
	}
}

// TestVerificationPayloadsSplit checks that a long history is split over
// several codes that each fit, and that together they list every leaf once.
func TestVerificationPayloadsSplit(t *testing.T) {
	ckpt, _ := signedCheckpoint(t, 5_000_000)
	var leaves []int64
	for i := int64(0); i < 1000; i++ {
		leaves = append(leaves, 1_000_000+i*37)
	}
	ps, err := VerificationPayloads("E-1", ckpt, leaves)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 2 {
		t.Fatalf("1,000 scattered leaves fit in %d payload(s); want a split", len(ps))
	}
	var all []int64
	for i, p := range ps {
		if len(p) > maxQRPayload {
			t.Errorf("payload %d is %d bytes, over %d", i+1, len(p), maxQRPayload)
		}
		q, err := ParseVerificationQR(p)
		if err != nil {
			t.Fatal(err)
		}
		if q.Part != i+1 || q.Of != len(ps) || q.Checkpoint != ckpt {
			t.Errorf("payload %d: part %d/%d", i+1, q.Part, q.Of)
		}
		all = append(all, q.Leaves...)
	}
	if !reflect.DeepEqual(all, leaves) {
		t.Errorf("leaves across the payloads differ from the input")
	}
}

// TestQRPayloadFits checks the bound on payload size against the encoder:
// the largest payload must need at most a version-21 symbol at level M.
func TestQRPayloadFits(t *testing.T) {
	q, err := qrcode.New(strings.Repeat("x", maxQRPayload), qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if q.VersionNumber > 21 {
		t.Errorf("a %d-byte payload needs version %d, more than the 21 the layout is made for", maxQRPayload, q.VersionNumber)
	}
}

func TestParseVerificationQRErrors(t *testing.T) {
	good := VerificationQR{Item: "E-1", Part: 1, Of: 1, Leaves: []int64{3, 4, 9}, Checkpoint: "o\n1\nAAAA\n\n— o sig\n"}.String()
	if _, err := ParseVerificationQR(good); err != nil {
		t.Fatalf("good payload: %v", err)
	}
	for name, bad := range map[string]string{
		"magic":      strings.Replace(good, "CUSTODIA-V1", "CUSTODIA-V2", 1),
		"no note":    strings.SplitN(good, "\n\n", 2)[0],
		"part 2/1":   strings.Replace(good, "part=1/1", "part=2/1", 1),
		"descending": strings.Replace(good, "leaves=3-4,9", "leaves=9,3", 1),
		"bad range":  strings.Replace(good, "leaves=3-4,9", "leaves=4-3", 1),
		"leading 0":  strings.Replace(good, "leaves=3-4,9", "leaves=03", 1),
		"no item":    strings.Replace(good, "item=E-1", "item=", 1),
		"huge range": strings.Replace(good, "leaves=3-4,9", "leaves=0-9000000000", 1),
	} {
		if _, err := ParseVerificationQR(bad); err == nil {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
}

// seed reads a fuzz seed from testdata/.
func seed(f *testing.F, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

func FuzzParseVerificationQR(f *testing.F) {
	if _, err := ParseVerificationQR(seed(f, "verification-qr.txt")); err != nil {
		f.Fatalf("testdata/verification-qr.txt: %v", err)
	}
	f.Add(seed(f, "verification-qr.txt"))
	f.Add(VerificationQR{Item: "E-CHI-03-01", Part: 1, Of: 1, Leaves: []int64{695, 851, 852}, Checkpoint: "o\n1\nAAAA\n\n— o sig\n"}.String())
	f.Add("CUSTODIA-V1\nitem=x\npart=1/1\nleaves=\n\nn\n")
	for _, v := range terminates.StringVariants(seed(f, "verification-qr.txt")) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var q VerificationQR
		var err error
		terminates.Within(t, s, func() { q, err = ParseVerificationQR(s) })
		if err != nil {
			return
		}
		// What parses re-encodes to an equivalent payload.
		q2, err := ParseVerificationQR(q.String())
		if err != nil || !reflect.DeepEqual(q, q2) {
			t.Fatalf("round trip of %q: %v %+v %+v", s, err, q, q2)
		}
	})
}

// TestParseVerificationQREnds: a leaf list ending at the largest int64 once
// made parseRanges count past it, wrap round, and never return.
func TestParseVerificationQREnds(t *testing.T) {
	for _, leaves := range []string{"9223372036854775807", "9223372036854775806-9223372036854775807", "0-1048576", "1,2-1048576"} {
		s := "CUSTODIA-V1\nitem=E-1\npart=1/1\nleaves=" + leaves + "\n\no\n1\nAAAA\n\n— o sig\n"
		var q VerificationQR
		var err error
		terminates.Within(t, s, func() { q, err = ParseVerificationQR(s) })
		if err == nil && (len(q.Leaves) == 0 || q.Leaves[len(q.Leaves)-1] < 0) {
			t.Errorf("leaves=%s: parsed as %v", leaves, q.Leaves)
		}
	}
	q, err := ParseVerificationQR("CUSTODIA-V1\nitem=E-1\npart=1/1\nleaves=9223372036854775806-9223372036854775807\n\no\n1\nAAAA\n\n— o sig\n")
	if err != nil || len(q.Leaves) != 2 || q.Leaves[1] != 1<<63-1 {
		t.Errorf("the last two int64 leaves: %v, %v", q.Leaves, err)
	}
}

func FuzzParseLabelPayload(f *testing.F) {
	f.Add(seed(f, "label-qr.txt"))
	f.Add(Label{ItemID: "E-CHI-03-01", LogOrigin: origin, Leaf: 695}.Payload())
	for _, v := range terminates.StringVariants(seed(f, "label-qr.txt")) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var lb Label
		var err error
		terminates.Within(t, s, func() { lb, err = ParseLabelPayload(s) })
		if err != nil {
			return
		}
		if lb.Payload() != s {
			t.Fatalf("payload %q re-encodes as %q", s, lb.Payload())
		}
	})
}

// TestLabelsA4Sheet prints 26 labels (a full 3×8 sheet and two more) and
// decodes every QR code back from the rendered pages.
func TestLabelsA4Sheet(t *testing.T) {
	labels := make([]Label, 26)
	types := []string{"phone", "documents", "laptop", "cash"}
	for i := range labels {
		labels[i] = Label{
			ItemID: fmt.Sprintf("E-CHI-03-%02d", i+1), Case: "METASTASIS", Type: types[i%len(types)],
			Seal: fmt.Sprintf("PN-1%05d", i+1), LogOrigin: origin, Leaf: int64(695 + i),
		}
	}
	labels[3].Seal = ""
	for _, sheet := range []Sheet{SheetA4x24, SheetThermal100x50} {
		t.Run(sheet.Name, func(t *testing.T) {
			var buf bytes.Buffer
			made := time.Date(2026, 12, 5, 9, 30, 0, 0, time.FixedZone("", -5*3600))
			if err := WriteLabelsPDF(&buf, labels, sheet, made); err != nil {
				t.Fatal(err)
			}
			// The document has a title and its real creation date (not 1970).
			info := pdfInfo(t, buf.Bytes())
			if !strings.Contains(info, "Title:           Etiquetas de evidencias / Evidence labels — E-CHI-03-01, E-CHI-03-02, E-CHI-03-03, +23") ||
				!regexp.MustCompile(`CreationDate:\s+\w+ Dec\s+5 \d\d:30:00 2026`).MatchString(info) {
				t.Errorf("labels PDF metadata:\n%s", info)
			}
			const dpi = 200
			dir := artifacts(t)
			pngs := renderPNG(t, buf.Bytes(), dir, "labels-"+sheet.Name, dpi)
			perPage := sheet.Cols * sheet.Rows
			wantPages := (len(labels) + perPage - 1) / perPage
			if len(pngs) != wantPages {
				t.Fatalf("%d pages, want %d", len(pngs), wantPages)
			}
			px := func(mm float64) int { return int(mm / 25.4 * dpi) }
			for i, lb := range labels {
				k := i % perPage
				x := sheet.MarginLeft + float64(k%sheet.Cols)*(sheet.LabelW+sheet.GapX)
				y := sheet.MarginTop + float64(k/sheet.Cols)*(sheet.LabelH+sheet.GapY)
				img := qrscan.LoadPNG(t, filepath.Join(dir, pageName("labels-"+sheet.Name, i/perPage+1, wantPages)))
				// The QR code is the square at the label's left.
				r := image.Rect(px(x), px(y), px(x+sheet.LabelH), px(y+sheet.LabelH))
				got, err := qrscan.Decode(img, r, false)
				if err != nil {
					t.Fatalf("label %d (%s): %v", i+1, lb.ItemID, err)
				}
				if got != lb.Payload() {
					t.Errorf("label %d decodes to %q, want %q", i+1, got, lb.Payload())
				}
				back, err := ParseLabelPayload(got)
				if err != nil || back.ItemID != lb.ItemID || back.Leaf != lb.Leaf {
					t.Errorf("label %d: parsed %+v, %v", i+1, back, err)
				}
			}
			text := pdfText(t, buf.Bytes())
			for _, lb := range labels {
				if !strings.Contains(text, lb.ItemID) {
					t.Errorf("text of the sheet lacks %s", lb.ItemID)
				}
			}
			if !strings.Contains(text, "sin sellar / unsealed") || !strings.Contains(text, "teléfono") {
				t.Errorf("text of the sheet lacks the unsealed label or an accented type:\n%s", text)
			}
		})
	}
}

// pageName is pdftoppm's name for page n of a document of total pages: it
// pads the number to the width of the largest.
func pageName(base string, n, total int) string {
	return fmt.Sprintf("%s-%0*d.png", base, len(fmt.Sprint(total)), n)
}

// TestItemQRSplitRoundTrip prints an item with 1,000 events, whose leaves
// need several QR codes, decodes every code from the rendered pages and
// checks that together they carry every leaf, in order, and the checkpoint.
func TestItemQRSplitRoundTrip(t *testing.T) {
	rec := bigItem(t, 1000)
	var buf bytes.Buffer
	if err := WriteItemPDF(&buf, rec, "en"); err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, e := range rec.Events {
		want = append(want, e.Leaf)
	}
	payloads, err := VerificationPayloads(rec.ItemID, rec.Verification.Checkpoint, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) < 2 {
		t.Fatalf("1,000 scattered leaves fit one QR code (%d bytes)?", len(payloads[0]))
	}
	text := pdfText(t, buf.Bytes())
	pages := strings.Count(text, "\f")
	t.Logf("1,000 events: %d pages, %d QR codes", pages, len(payloads))
	// Render only the last pages, where the codes are.
	dir := t.TempDir()
	in := filepath.Join(dir, "big.pdf")
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	const dpi = 200
	first := max(1, pages-3)
	if out, err := exec.Command(tool(t, "pdftoppm"), "-png", "-r", strconv.Itoa(dpi), "-f", strconv.Itoa(first), in, filepath.Join(dir, "big")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "big-*.png"))
	px := func(mm float64) int { return int(mm / 25.4 * dpi) }
	got := map[int]string{}
	// The codes are at the left margin, 62 mm square, one under the other:
	// scan that strip in overlapping windows, skipping past each code found.
	for _, p := range pngs {
		img := qrscan.LoadPNG(t, p)
		h := img.Bounds().Dy()
		for y := px(10); y+px(68) <= h; y += px(5) {
			s, err := qrscan.Decode(img, image.Rect(px(12), y, px(80), y+px(68)), false)
			if err != nil {
				continue
			}
			q, err := ParseVerificationQR(s)
			if err != nil {
				t.Fatalf("decoded a QR code that does not parse: %v\n%s", err, s)
			}
			got[q.Part] = s
			y += px(55)
		}
	}
	if len(got) != len(payloads) {
		t.Fatalf("decoded %d of %d QR codes", len(got), len(payloads))
	}
	var leaves []int64
	for i, p := range payloads {
		if got[i+1] != p {
			t.Errorf("QR %d decodes to\n%s\nwant\n%s", i+1, got[i+1], p)
		}
		q, _ := ParseVerificationQR(got[i+1])
		leaves = append(leaves, q.Leaves...)
	}
	if !reflect.DeepEqual(leaves, want) {
		t.Error("the QR codes do not carry every leaf in order")
	}
	if !strings.Contains(text, fmt.Sprintf("QR %d of %d", len(payloads), len(payloads))) {
		t.Error("the QR codes are not numbered")
	}
}

// TestQRBitmapScans: verification payloads like the item records' (a
// Metastasis checkpoint, its root and signature varied), drawn from
// QRBitmap's grid at 3, 6 and 7 pixels a module, all scan with ZXing's
// searching reader. The payload below is one whose level-M code go-qrcode writes
// validly but that reader cannot find, so the test also shows that the
// check is needed.
func TestQRBitmapScans(t *testing.T) {
	stubborn := "CUSTODIA-V1\nitem=E-CHI-03-01\npart=1/1\nleaves=696,852-857\n\ncustodia.local/dcb6fd93cfb9\n1095\nzz2N07n0mq4z/YQxjjsMzPFFHGK/XnJLeSGAmri82C8=\n\n— custodia.local/dcb6fd93cfb9 UKLntpLtH1leJ4j8qEmwGNP7nv/ryyJPK0OeqHpp6UE5N0k4K6Gtex3qriDRxK4tCnqZHKDrIU6l5N4YaFDjE1rU0SE=\n"
	q, err := qrcode.New(stubborn, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := qrscan.Decode(qrscan.Grid(q.Bitmap(), 3), image.Rectangle{}, false); err == nil && got == stubborn {
		t.Error("the stubborn payload's level-M code scans: the case no longer tests the fallback")
	}
	if got, err := qrscan.Decode(qrscan.Grid(q.Bitmap(), 3), image.Rectangle{}, true); err != nil || got != stubborn {
		t.Errorf("the stubborn payload's level-M code is not even valid: %v", err)
	}
	payloads := []string{stubborn}
	for i := range 300 {
		root := sha256.Sum256([]byte(fmt.Sprint("root", i)))
		sig := sha512.Sum512([]byte(fmt.Sprint("sig", i)))
		payloads = append(payloads, fmt.Sprintf("CUSTODIA-V1\nitem=E-CHI-03-01\npart=1/1\nleaves=696,852-857\n\ncustodia.local/dcb6fd93cfb9\n%d\n%s\n\n— custodia.local/dcb6fd93cfb9 %s\n",
			1071+i, base64.StdEncoding.EncodeToString(root[:]), base64.StdEncoding.EncodeToString(append(sig[:], 1, 2, 3, 4))))
	}
	for _, p := range payloads {
		bm, err := QRBitmap(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, px := range []int{3, 6, 7} { // 6 and 7: scales the check in QRBitmap does not try
			if got, err := qrscan.Decode(qrscan.Grid(bm, px), image.Rectangle{}, false); err != nil || got != p {
				t.Errorf("QRBitmap's code drawn %d pixels a module does not scan (%v): %q", px, err, p)
			}
		}
	}
	if _, err := QRBitmap(strings.Repeat("x", 3000)); err == nil {
		t.Error("QRBitmap took a payload too long for any QR code")
	}
}
