package courtdoc

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// The DejaVu Sans fonts from Debian's fonts-dejavu-core (licence in
// fonts/LICENSE). Embedding them is what makes every accent print, whatever
// fonts the reader's machine has.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	family   = "dejavu"
	nbAlias  = "{nb}"
	timeForm = "2006-01-02 15:04 -07:00"
)

// doc wraps an fpdf document with the house layout: fonts, footer with page
// numbers and generation time, and helpers for headings, key/value lines and
// tables that break across pages and repeat their header.
type doc struct {
	pdf       *fpdf.Fpdf
	l         lang
	left, top float64
	width     float64 // usable width between the margins
	labelW    float64 // width of field labels; 0 means 48 mm
}

// addFonts embeds the fonts. fpdf subsets them but names each subset
// "utf8" + family + style (utf8dejavu, utf8dejavuB), with no six-letter
// "ABCDEF+" tag (ISO 32000-1, 9.6.4): the prefix is fixed in fpdf's
// putfonts, and no option or family name can put a tag in front of it.
// Readers use the embedded subset all the same; only a preflight checker
// notices the missing tag.
func addFonts(pdf *fpdf.Fpdf) {
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
}

// newDoc starts a document. generated is printed on every page; it is also
// the PDF's creation date, so that the same input gives the same bytes.
func newDoc(l lang, orientation string, size fpdf.SizeType, title, footerLeft string, generated time.Time) *doc {
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: orientation, UnitStr: "mm", Size: size})
	pdf.SetCompression(true)
	addFonts(pdf)
	pdf.SetMargins(15, 15, 15)
	pdf.SetCellMargin(0.8) // narrow table columns keep their words whole
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages(nbAlias)
	pdf.SetTitle(title, true)
	pdf.SetCreator("Custodia", true)
	pdf.SetProducer("Custodia", true)
	if l == english {
		pdf.SetLang("en")
	} else {
		pdf.SetLang("es-EC")
	}
	setDates(pdf, generated)
	d := &doc{pdf: pdf, l: l, left: 15, top: 15}
	w, _ := pdf.GetPageSize()
	d.width = w - 30
	gen := l.t(tNone)
	if !generated.IsZero() {
		gen = generated.Format(timeForm)
	}
	pdf.SetFooterFunc(func() {
		pdf.SetY(-13)
		pdf.SetFont(family, "", 7.5)
		pdf.SetTextColor(90, 90, 90)
		third := d.width / 3
		pdf.CellFormat(third, 4, printable(footerLeft), "T", 0, "L", false, 0, "")
		pdf.CellFormat(third, 4, fmt.Sprintf(l.t(tGenerated), gen), "T", 0, "C", false, 0, "")
		pdf.CellFormat(third, 4, fmt.Sprintf(l.t(tPage), pdf.PageNo(), nbAlias), "T", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	return d
}

// setDates sets the PDF's CreationDate and ModDate to generated, in UTC.
//
// fpdf (v0.9.0) writes them as D:YYYYMMDDHHmmSS in the time's own zone with
// no offset, and has no option to write one (its XMP metadata, which could
// carry one, is not linked from the catalog). A date without offset has an
// unknown relation to UT (ISO 32000-1, 7.9.4), and documents made in the
// same minute in the zone and in UTC showed times five hours apart; so every
// document gives fpdf the instant in UTC, and all agree. Rewriting the bytes
// afterwards to add "Z" would shift every object after the Info dictionary
// and need a rebuilt cross-reference table. The time with its offset is
// printed on every page of a report (the footer).
func setDates(pdf *fpdf.Fpdf, generated time.Time) {
	if generated.IsZero() {
		generated = time.Now() // what fpdf would use, but in UTC
	}
	pdf.SetCreationDate(generated.UTC())
	pdf.SetModificationDate(generated.UTC())
}

// finish writes the document, or the first error fpdf met while building it.
func (d *doc) finish(w io.Writer) error {
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("courtdoc: building PDF: %w", err)
	}
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("courtdoc: writing PDF: %w", err)
	}
	return nil
}

func (d *doc) font(style string, size float64) { d.pdf.SetFont(family, style, size) }

// pageBottom is the lowest y a row may reach before a page break.
func (d *doc) pageBottom() float64 {
	_, h := d.pdf.GetPageSize()
	return h - 18
}

// need starts a new page unless h millimetres fit on the current one.
func (d *doc) need(h float64) {
	if d.pdf.GetY()+h > d.pageBottom() {
		d.pdf.AddPage()
	}
}

// section prints a section heading on a shaded band (10 mm), keeping it
// with at least keep millimetres of what follows: a heading is never left
// alone at the foot of a page.
func (d *doc) section(title string, keep float64) {
	d.need(10 + keep)
	d.pdf.Ln(2)
	d.font("B", 10.5)
	d.pdf.SetFillColor(225, 230, 238)
	d.cellFormat(d.width, 6.5, title, "", 1, "L", true, 0, "")
	d.pdf.Ln(1.5)
}

// field prints "label: value" with the label in bold in a fixed column and
// the value wrapped in the rest of the width; a long label wraps too.
func (d *doc) field(label, value string) {
	lw := d.labelW
	if lw == 0 {
		lw = 48
	}
	d.font("B", 9)
	llines := d.splitText(label, lw-1)
	d.font("", 9)
	lines := d.splitText(value, d.width-lw)
	n := max(len(lines), len(llines), 1)
	h := 4.6 * float64(n)
	d.need(h)
	y := d.pdf.GetY()
	d.font("B", 9)
	d.pdf.SetXY(d.left, y)
	d.multiCell(lw-1, 4.6, label, "", "L", false)
	d.font("", 9)
	d.pdf.SetXY(d.left+lw, y)
	d.multiCell(d.width-lw, 4.6, value, "", "L", false)
	d.pdf.SetY(y + h)
}

// para prints wrapped text.
func (d *doc) para(style string, size float64, text string) {
	d.font(style, size)
	d.pdf.SetX(d.left)
	d.multiCell(d.width, size*0.5, text, "", "L", false)
}

// column of a table: its header, width in millimetres and alignment.
type column struct {
	head  string
	width float64
	align string
}

// table prints rows with wrapped cells; a row never splits across pages and
// the header is repeated at the top of every page the table spans.
type table struct {
	d     *doc
	cols  []column
	size  float64
	lineH float64
	n     int
}

// tableKeep is what a table of text size size needs below its section
// heading: its header and first row (see table.row).
func tableKeep(size float64) float64 { return size*0.48*3 + 8 }

func (d *doc) newTable(size float64, cols ...column) *table {
	// Scale widths to the usable width, so callers may give proportions.
	var sum float64
	for _, c := range cols {
		sum += c.width
	}
	for i := range cols {
		cols[i].width = cols[i].width * d.width / sum
		if cols[i].align == "" {
			cols[i].align = "L"
		}
	}
	t := &table{d: d, cols: cols, size: size, lineH: size * 0.48}
	return t
}

func (t *table) header() {
	d := t.d
	d.font("B", t.size)
	d.pdf.SetFillColor(60, 72, 92)
	d.pdf.SetTextColor(255, 255, 255)
	d.pdf.SetDrawColor(60, 72, 92)
	cells := make([][]string, len(t.cols))
	max := 1
	for i, c := range t.cols {
		cells[i] = d.splitText(c.head, c.width)
		if len(cells[i]) > max {
			max = len(cells[i])
		}
	}
	h := t.lineH*float64(max) + 1.6
	x, y := d.left, d.pdf.GetY()
	for i, c := range t.cols {
		d.pdf.Rect(x, y, c.width, h, "FD")
		for j, line := range cells[i] {
			d.pdf.SetXY(x, y+0.8+t.lineH*float64(j))
			d.cellFormat(c.width, t.lineH, line, "", 0, c.align, false, 0, "")
		}
		x += c.width
	}
	d.pdf.SetTextColor(0, 0, 0)
	d.pdf.SetDrawColor(160, 160, 160)
	d.pdf.SetY(y + h)
}

// cellStyle lets a caller mark one cell of a row: bold, red text, or a
// highlighted background.
type cellStyle struct {
	bold      bool
	red       bool
	highlight bool
}

// row prints one row. note, when not empty, is a full-width line under the
// row's cells (used for the "recorded by" line). style may be nil.
func (t *table) row(cells []string, style []cellStyle, note string) {
	d := t.d
	if t.n == 0 {
		t.d.need(t.lineH*3 + 8)
		t.header()
	}
	t.n++
	lines := make([][]string, len(cells))
	max := 1
	for i, c := range t.cols {
		st := cellStyle{}
		if i < len(style) {
			st = style[i]
		}
		if st.bold {
			d.font("B", t.size)
		} else {
			d.font("", t.size)
		}
		lines[i] = d.splitText(cells[i], c.width)
		if len(lines[i]) > max {
			max = len(lines[i])
		}
	}
	var noteLines []string
	if note != "" {
		d.font("", t.size-1)
		for _, part := range strings.Split(note, "\n") {
			noteLines = append(noteLines, d.splitText(part, d.width-4)...)
		}
	}
	h := t.lineH*float64(max) + 1.6
	nh := 0.0
	if len(noteLines) > 0 {
		nh = (t.size-1)*0.45*float64(len(noteLines)) + 1
	}
	if d.pdf.GetY()+h+nh > d.pageBottom() {
		d.pdf.AddPage()
		t.header()
	}
	x, y := d.left, d.pdf.GetY()
	for i, c := range t.cols {
		st := cellStyle{}
		if i < len(style) {
			st = style[i]
		}
		switch {
		case st.highlight:
			d.pdf.SetFillColor(255, 228, 196)
			d.pdf.Rect(x, y, c.width, h+nh, "F")
		case t.n%2 == 0:
			d.pdf.SetFillColor(246, 247, 250)
			d.pdf.Rect(x, y, c.width, h+nh, "F")
		}
		if st.bold {
			d.font("B", t.size)
		} else {
			d.font("", t.size)
		}
		if st.red {
			d.pdf.SetTextColor(170, 0, 0)
		}
		for j, line := range lines[i] {
			d.pdf.SetXY(x, y+0.8+t.lineH*float64(j))
			d.cellFormat(c.width, t.lineH, line, "", 0, c.align, false, 0, "")
		}
		d.pdf.SetTextColor(0, 0, 0)
		x += c.width
	}
	if len(noteLines) > 0 {
		d.font("", t.size-1)
		d.pdf.SetTextColor(70, 70, 110)
		for j, line := range noteLines {
			d.pdf.SetXY(d.left+2, y+h+(t.size-1)*0.45*float64(j))
			d.cellFormat(d.width-4, (t.size-1)*0.45, line, "", 0, "L", false, 0, "")
		}
		d.pdf.SetTextColor(0, 0, 0)
	}
	d.pdf.SetDrawColor(200, 200, 200)
	d.pdf.Line(d.left, y+h+nh, d.left+d.width, y+h+nh)
	d.pdf.SetY(y + h + nh)
}

// fmtTime shows t with the offset it was given; the zero time shows a dash.
func (l lang) fmtTime(t time.Time) string {
	if t.IsZero() {
		return l.t(tNone)
	}
	return t.Format(timeForm)
}

// thousands groups digits the way each language writes them (1.234.567 in
// Spanish, 1,234,567 in English). It is for counts a person reads (sites,
// detainees, bytes), never for identifiers or values a verifier compares
// with other text (checkpoint sizes, leaf indexes), which print raw.
func (l lang) thousands(n int64) string {
	sep := "."
	if l == english {
		sep = ","
	}
	s := fmt.Sprintf("%d", n)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	out := ""
	for len(s) > 3 {
		out = sep + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	return neg + s + out
}

// humanSize gives a size in bytes with a binary-unit approximation, e.g.
// "549.755.813.888 bytes (512 GiB)".
func (l lang) humanSize(n int64) string {
	s := fmt.Sprintf(l.t(tBytes), l.thousands(n))
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(n)
	u := -1
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u >= 0 {
		num := fmt.Sprintf("%.1f", math.Floor(v*10)/10)
		if l == spanish {
			num = replaceDot(num)
		}
		s += fmt.Sprintf(" (%s %s)", num, units[u])
	}
	return s
}

func replaceDot(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '.' {
			b[i] = ','
		}
	}
	return string(b)
}

// printable makes s safe for the embedded font: the fonts map only the Basic
// Multilingual Plane, so a rune above it (an emoji, say) or an invalid byte
// becomes U+FFFD, and control characters other than newline and tab become
// spaces. What a record holds is shown, never a crash.
func printable(s string) string {
	ok := true
	for _, r := range s {
		if r > 0xFFFF || r == utf8.RuneError || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	b := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r > 0xFFFF || r == utf8.RuneError:
			b = append(b, '\uFFFD')
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f:
			b = append(b, ' ')
		default:
			b = append(b, r)
		}
	}
	return string(b)
}

// The text calls of fpdf, through printable.

func (d *doc) cellFormat(w, h float64, s, border string, ln int, align string, fill bool, link int, linkStr string) {
	d.pdf.CellFormat(w, h, printable(s), border, ln, align, fill, link, linkStr)
}

func (d *doc) multiCell(w, h float64, s, border, align string, fill bool) {
	d.pdf.MultiCell(w, h, printable(s), border, align, fill)
}

func (d *doc) splitText(s string, w float64) []string { return d.pdf.SplitText(printable(s), w) }

func (d *doc) stringWidth(s string) float64 { return d.pdf.GetStringWidth(printable(s)) }
