package courtdoc

import (
	"errors"
	"fmt"
	"image"
	"sort"
	"strconv"
	"strings"

	"github.com/custodia-ec/custodia/internal/qrscan"
	qrcode "github.com/skip2/go-qrcode"
)

// VerificationMagic opens every verification QR payload.
const VerificationMagic = "CUSTODIA-V1"

// maxQRPayload bounds one QR code's payload, in bytes. At error-correction
// level M, 700 bytes in byte mode need a version-21 symbol (101 modules, 109
// with the quiet zone); printed 62 mm wide its modules are 0.57 mm: easy for
// a phone camera and for a 200 dpi scan (TestItemQRSplitRoundTrip decodes
// them from 200 dpi renderings). A Metastasis checkpoint with one signature
// is about 250 bytes, so one code holds it and well over a hundred leaves;
// longer leaf lists are split over several codes (see VerificationPayloads).
// Byte mode is the right one: the checkpoint's base64 and lower-case origin
// are outside the alphanumeric set, and QR codes cannot mix modes cheaply
// enough to matter here.
const maxQRPayload = 700

// VerificationQR is what one verification QR code carries. Its text form is
//
//	CUSTODIA-V1
//	item=<item id>
//	part=<k>/<n>
//	leaves=<ranges>
//	<empty line>
//	<checkpoint note text, verbatim>
//
// Lines end with "\n". <ranges> lists the leaf indexes of the item's events,
// ascending, comma-separated, with runs of consecutive indexes written
// "first-last" (e.g. "696,852-855,857"). The checkpoint is the signed note of
// the bundle (C2SP tlog-checkpoint: origin, size, base64 root hash, a blank
// line, signature lines), copied byte for byte so that its signature can be
// checked. When the leaf list is too long for one code the leaves are split
// over n codes; each code repeats the item and the checkpoint, so each can
// be checked on its own, and together they list every leaf.
type VerificationQR struct {
	Item       string
	Part, Of   int
	Leaves     []int64
	Checkpoint string
}

// String encodes q in the CUSTODIA-V1 text form.
func (q VerificationQR) String() string {
	var b strings.Builder
	b.WriteString(VerificationMagic + "\n")
	b.WriteString("item=" + q.Item + "\n")
	fmt.Fprintf(&b, "part=%d/%d\n", q.Part, q.Of)
	b.WriteString("leaves=" + formatRanges(q.Leaves) + "\n\n")
	b.WriteString(q.Checkpoint)
	return b.String()
}

// ParseVerificationQR decodes the CUSTODIA-V1 text form. It checks the form
// only: the caller verifies the checkpoint's signature and the leaves
// against the log.
func ParseVerificationQR(s string) (VerificationQR, error) {
	var q VerificationQR
	head, note, ok := strings.Cut(s, "\n\n")
	if !ok {
		return q, errors.New("verification QR: no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if len(lines) != 4 || lines[0] != VerificationMagic {
		return q, fmt.Errorf("verification QR: header must be %s, item=, part=, leaves= lines", VerificationMagic)
	}
	item, ok := strings.CutPrefix(lines[1], "item=")
	if !ok || item == "" {
		return q, errors.New("verification QR: line 2 must be item=<id>")
	}
	part, ok := strings.CutPrefix(lines[2], "part=")
	if !ok {
		return q, errors.New("verification QR: line 3 must be part=<k>/<n>")
	}
	k, n, ok := strings.Cut(part, "/")
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || ki < 1 || ki > ni {
		return q, fmt.Errorf("verification QR: part %q is not k/n with 1 ≤ k ≤ n", part)
	}
	leaves, ok := strings.CutPrefix(lines[3], "leaves=")
	if !ok {
		return q, errors.New("verification QR: line 4 must be leaves=<ranges>")
	}
	ls, err := parseRanges(leaves)
	if err != nil {
		return q, fmt.Errorf("verification QR: leaves: %w", err)
	}
	if note == "" || !strings.HasSuffix(note, "\n") {
		return q, errors.New("verification QR: checkpoint note is empty or does not end with a newline")
	}
	return VerificationQR{Item: item, Part: ki, Of: ni, Leaves: ls, Checkpoint: note}, nil
}

// VerificationPayloads splits an item's leaves over as few QR payloads as
// fit maxQRPayload bytes each, and returns their text forms in order.
func VerificationPayloads(item, checkpoint string, leaves []int64) ([]string, error) {
	ls := append([]int64(nil), leaves...)
	sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	base := len(VerificationQR{Item: item, Part: 99, Of: 99, Checkpoint: checkpoint}.String())
	if base+16 > maxQRPayload {
		return nil, fmt.Errorf("courtdoc: checkpoint of %d bytes leaves no room for leaves in a QR code", len(checkpoint))
	}
	var chunks [][]int64
	for start := 0; start < len(ls) || len(chunks) == 0; {
		end := start
		for end < len(ls) && base+len(formatRanges(ls[start:end+1])) <= maxQRPayload {
			end++
		}
		chunks = append(chunks, ls[start:end])
		if end == start {
			break // no leaves at all
		}
		start = end
	}
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = VerificationQR{Item: item, Part: i + 1, Of: len(chunks), Leaves: c, Checkpoint: checkpoint}.String()
	}
	return out, nil
}

func formatRanges(ls []int64) string {
	var b strings.Builder
	for i := 0; i < len(ls); {
		j := i
		for j+1 < len(ls) && ls[j+1] == ls[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(ls[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(ls[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// maxLeaves is the most leaves one verification QR payload may list: far
// more than any item's history, and small enough that a hostile payload
// of ranges cannot make the parser build a large list.
const maxLeaves = 1 << 16

// parseRanges reads formatRanges' output; ranges must ascend strictly.
func parseRanges(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var out []int64
	last := int64(-1)
	for _, f := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(f, "-")
		lo, err := strconv.ParseInt(a, 10, 64)
		if err != nil || lo < 0 || a != strconv.FormatInt(lo, 10) {
			return nil, fmt.Errorf("%q is not a leaf index", a)
		}
		hi := lo
		if isRange {
			hi, err = strconv.ParseInt(b, 10, 64)
			if err != nil || hi <= lo || b != strconv.FormatInt(hi, 10) {
				return nil, fmt.Errorf("%q is not a range first-last with first < last", f)
			}
		}
		if lo <= last {
			return nil, fmt.Errorf("leaf %d is not above the previous one", lo)
		}
		if hi-lo >= maxLeaves || len(out)+int(hi-lo)+1 > maxLeaves {
			return nil, errors.New("too many leaves")
		}
		// Counted, not "v <= hi": with hi the largest int64, v++ would
		// wrap to the smallest and the loop would never end.
		for v, n := lo, hi-lo; n >= 0; v, n = v+1, n-1 {
			out = append(out, v)
		}
		last = hi
	}
	return out, nil
}

// drawQR draws content as a QR code (level M) with its top-left corner at
// (x, y) and side size millimetres, as vector squares: crisp at any zoom or
// printer resolution. The quiet zone (4 modules) is inside size.
func (d *doc) drawQR(content string, x, y, size float64) error {
	bm, err := QRBitmap(content) // includes the 4-module quiet zone
	if err != nil {
		return fmt.Errorf("courtdoc: QR code for %d bytes: %w", len(content), err)
	}
	n := len(bm)
	m := size / float64(n)
	d.pdf.SetFillColor(255, 255, 255)
	d.pdf.Rect(x, y, size, size, "F")
	d.pdf.SetFillColor(0, 0, 0)
	for r, row := range bm {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			// One rectangle per horizontal run; a hair of overlap avoids
			// white seams between rows in some renderers.
			d.pdf.Rect(x+float64(start)*m, y+float64(r)*m, float64(c-start)*m, m+0.01, "F")
		}
	}
	return nil
}

// QRBitmap is the module grid of a QR code for content (true for a dark
// module), with its 4-module quiet zone, at error-correction level M when
// that code scans.
//
// Every code go-qrcode writes is valid, but in a few percent of them (4 %
// of verification payloads) the data happen to look like a finder pattern
// to ZXing's detector, which most phone scanner apps use, and it reads
// nothing. So each code is read back here as such a scanner reads it, at
// three scales, and when it does not scan the next level is tried: L,
// whose modules are larger at the same printed size, then Q and H (each
// level changes the version or the mask). When none scans, the level-M
// code is returned, which a scanner that samples the grid still reads.
func QRBitmap(content string) ([][]bool, error) {
	var first [][]bool
	for _, level := range []qrcode.RecoveryLevel{qrcode.Medium, qrcode.Low, qrcode.High, qrcode.Highest} {
		q, err := qrcode.New(content, level)
		if err != nil {
			if first == nil {
				return nil, err // too long for level M: too long
			}
			continue // too long for a higher level
		}
		bm := q.Bitmap()
		if first == nil {
			first = bm
		}
		if scans(bm, content) {
			return bm, nil
		}
	}
	return first, nil
}

// scans reports whether ZXing's reader, searching the image for the code
// as a camera app does, reads content from bm drawn 3, 4 and 5 pixels a
// module (its detector is sensitive to scale: a code may be found at one
// and missed at another).
func scans(bm [][]bool, content string) bool {
	for px := 3; px <= 5; px++ {
		if got, err := qrscan.Decode(qrscan.Grid(bm, px), image.Rectangle{}, false); err != nil || got != content {
			return false
		}
	}
	return true
}
