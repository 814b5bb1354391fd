package courtdoc

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Label is what is printed on one evidence label.
type Label struct {
	ItemID string // e.g. "E-CHI-03-01"
	Case   string // e.g. "METASTASIS"
	Type   string // case-file type code (phone, documents...)
	Seal   string // the seal number now on the item; "" when unsealed
	// LogOrigin and Leaf point into the ledger: the log whose checkpoints
	// cover the item, and the leaf index of the item's latest event when the
	// label was printed. The custody state after that leaf is the one the
	// label shows (its seal); the item's history runs back from it through
	// each event's "prev" link. They go into the QR code.
	LogOrigin string
	Leaf      int64
}

// LabelMagic opens every label QR payload. The payload is
//
//	CUSTODIA-ITEM-V1
//	<item id>
//	<log origin>
//	<leaf index of the item's latest event when the label was printed>
//
// lines ending in "\n". A reader scans it and asks the log (or a bundle) for
// the item's history up to that leaf, and later events after it.
const LabelMagic = "CUSTODIA-ITEM-V1"

// Payload is the label's QR text.
func (lb Label) Payload() string {
	return fmt.Sprintf("%s\n%s\n%s\n%d\n", LabelMagic, lb.ItemID, lb.LogOrigin, lb.Leaf)
}

// ParseLabelPayload decodes a label QR payload.
func ParseLabelPayload(s string) (Label, error) {
	lines := strings.Split(s, "\n")
	if len(lines) != 5 || lines[0] != LabelMagic || lines[4] != "" {
		return Label{}, fmt.Errorf("label QR: want 4 lines starting with %s", LabelMagic)
	}
	if lines[1] == "" || lines[2] == "" {
		return Label{}, errors.New("label QR: item id or log origin is empty")
	}
	leaf, err := strconv.ParseInt(lines[3], 10, 64)
	if err != nil || leaf < 0 || lines[3] != strconv.FormatInt(leaf, 10) {
		return Label{}, fmt.Errorf("label QR: leaf %q is not a non-negative integer", lines[3])
	}
	return Label{ItemID: lines[1], LogOrigin: lines[2], Leaf: leaf}, nil
}

// Sheet describes a label stock: the page, and a grid of labels on it.
// All lengths are millimetres.
type Sheet struct {
	Name                  string
	PageW, PageH          float64
	Cols, Rows            int
	LabelW, LabelH        float64
	MarginLeft, MarginTop float64 // position of the first label's top-left corner
	GapX, GapY            float64 // space between labels
}

// The label stocks Custodia knows.
var (
	// SheetThermal100x50 is one 100×50 mm label per page, for thermal label
	// printers.
	SheetThermal100x50 = Sheet{Name: "100x50", PageW: 100, PageH: 50, Cols: 1, Rows: 1, LabelW: 100, LabelH: 50}
	// SheetA4x24 is an A4 sheet of 3×8 labels of 70×37 mm (the common
	// "24 per sheet" stock), edge to edge with a 0.5 mm top margin.
	SheetA4x24 = Sheet{Name: "A4-3x8", PageW: 210, PageH: 297, Cols: 3, Rows: 8, LabelW: 70, LabelH: 37, MarginTop: 0.5}
)

func (s Sheet) check() error {
	if s.Cols < 1 || s.Rows < 1 || s.LabelW <= 0 || s.LabelH <= 0 {
		return fmt.Errorf("courtdoc: label sheet %q: needs at least one row and column of labels of positive size", s.Name)
	}
	if s.MarginLeft+float64(s.Cols)*s.LabelW+float64(s.Cols-1)*s.GapX > s.PageW+0.01 ||
		s.MarginTop+float64(s.Rows)*s.LabelH+float64(s.Rows-1)*s.GapY > s.PageH+0.01 {
		return fmt.Errorf("courtdoc: label sheet %q: the labels do not fit on a %gx%g mm page", s.Name, s.PageW, s.PageH)
	}
	return nil
}

// WriteLabelsPDF prints labels on sheets, filling each sheet row by row. The
// labels are in Spanish and English at once: a label travels between
// agencies. Each label's QR code carries Label.Payload. generated is the
// document's creation date (its metadata; nothing is printed on a label).
func WriteLabelsPDF(w io.Writer, labels []Label, sheet Sheet, generated time.Time) error {
	if err := sheet.check(); err != nil {
		return err
	}
	if len(labels) == 0 {
		return errors.New("courtdoc: no labels to print")
	}
	for i, lb := range labels {
		if lb.ItemID == "" {
			return fmt.Errorf("courtdoc: label %d has no item id", i+1)
		}
	}
	// "P" keeps Wd and Ht as given; "L" would swap them.
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: fpdf.SizeType{Wd: sheet.PageW, Ht: sheet.PageH}})
	pdf.SetCompression(true)
	addFonts(pdf)
	pdf.SetMargins(0, 0, 0)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCreator("Custodia", true)
	pdf.SetProducer("Custodia", true)
	pdf.SetTitle(labelsTitle(labels), true)
	pdf.SetSubject(labelsSubject, true)
	// Spanish first, as on the labels themselves; fpdf cannot mark the
	// English lines apart.
	pdf.SetLang("es-EC")
	setDates(pdf, generated)
	d := &doc{pdf: pdf, l: spanish}
	perPage := sheet.Cols * sheet.Rows
	for i, lb := range labels {
		if i%perPage == 0 {
			pdf.AddPage()
		}
		k := i % perPage
		x := sheet.MarginLeft + float64(k%sheet.Cols)*(sheet.LabelW+sheet.GapX)
		y := sheet.MarginTop + float64(k/sheet.Cols)*(sheet.LabelH+sheet.GapY)
		if err := d.label(lb, x, y, sheet.LabelW, sheet.LabelH); err != nil {
			return err
		}
	}
	return d.finish(w)
}

const labelsSubject = "Etiquetas de cadena de custodia / Chain-of-custody labels"

// labelsTitle names the document by what it holds: "Etiquetas de
// evidencias / Evidence labels — E-1, E-2" (the first three ids, then a
// count).
func labelsTitle(labels []Label) string {
	ids := make([]string, 0, 3)
	for i, lb := range labels {
		if i == 3 {
			ids = append(ids, fmt.Sprintf("+%d", len(labels)-3))
			break
		}
		ids = append(ids, lb.ItemID)
	}
	return "Etiquetas de evidencias / Evidence labels — " + strings.Join(ids, ", ")
}

// label draws one label in the box (x, y, w, h): the QR code on the left,
// full height, and the text to its right.
func (d *doc) label(lb Label, x, y, w, h float64) error {
	p := d.pdf
	pad := h * 0.06
	qr := h - 2*pad
	if err := d.drawQR(lb.Payload(), x+pad, y+pad, qr); err != nil {
		return err
	}
	p.SetDrawColor(190, 190, 190)
	p.Rect(x+0.3, y+0.3, w-0.6, h-0.6, "D")
	tx := x + pad + qr + pad*0.5
	tw := x + w - pad - tx
	scale := h / 50 // text sizes are for a 50 mm high label
	line := func(style string, size float64, s string) {
		d.font(style, size*scale)
		// Shrink a line that does not fit rather than cut an id.
		for sz := size * scale; d.stringWidth(s) > tw-1 && sz > 3; sz -= 0.25 {
			d.font(style, sz)
		}
		p.SetX(tx)
		d.cellFormat(tw, size*scale*0.5, s, "", 1, "L", false, 0, "")
	}
	p.SetXY(tx, y+pad+1*scale)
	line("B", 15, lb.ItemID)
	p.Ln(1 * scale)
	line("", 9, "Causa / Case: "+lb.Case)
	line("", 9, "Tipo / Type: "+spanish.word(typeNames, lb.Type))
	seal := lb.Seal
	if seal == "" {
		seal = "sin sellar / unsealed"
	}
	line("B", 9, "Sello / Seal: "+seal)
	p.Ln(1 * scale)
	line("", 6.5, lb.LogOrigin)
	line("", 6.5, fmt.Sprintf("hoja / leaf %d", lb.Leaf))
	return nil
}
