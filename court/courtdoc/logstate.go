package courtdoc

import (
	"strconv"
	"strings"
)

// LogState is the signed checkpoint a report was drawn from: the log held
// at least Size events, every one the report counts among them. Printed
// with the report and in a QR code, it lets a court later ask the log (or
// any witness) for a consistency proof: the numbers were read from this
// log and it has not been rewritten since.
type LogState struct {
	Origin     string `json:"origin"`
	Size       int64  `json:"size"`
	RootHash   string `json:"root_hash"`  // standard base64
	Checkpoint string `json:"checkpoint"` // the signed note (C2SP tlog-checkpoint)
}

var (
	tSecLog      = msg{"Datos de verificación", "Verification data"}
	tLogHow      = msg{"Este informe se elaboró sobre el registro de custodia en el estado que fija el checkpoint firmado de abajo (también en el código QR, en texto C2SP tlog-checkpoint). Con él, un verificador puede pedir al registro o a un testigo una prueba de consistencia y comprobar que lo contado aquí no se ha reescrito después.", "This report was drawn from the custody log in the state fixed by the signed checkpoint below (also in the QR code, as C2SP tlog-checkpoint text). With it, a verifier can ask the log or a witness for a consistency proof and check that what is counted here has not been rewritten since."}
	tNoLogState  = msg{"No se proporcionó checkpoint: este informe no puede verificarse contra el registro.", "No checkpoint was provided: this report cannot be checked against the log."}
	tQRCkptLabel = msg{"Checkpoint firmado", "Signed checkpoint"}
)

// logSection prints the log state the report was drawn from, with the
// checkpoint in a QR code beside its text.
func (d *doc) logSection(s *LogState) error {
	l, p := d.l, d.pdf
	d.section(l.t(tSecLog), 80)
	if s == nil || s.Checkpoint == "" {
		p.SetTextColor(170, 0, 0)
		d.para("B", 9, l.t(tNoLogState))
		p.SetTextColor(0, 0, 0)
		return nil
	}
	d.field(l.t(tLogOrigin), s.Origin)
	d.field(l.t(tCkptSize), strconv.FormatInt(s.Size, 10)) // raw, as in the checkpoint's size line
	d.field(l.t(tRootHash), s.RootHash)
	p.Ln(1)
	d.para("", 7.5, l.t(tLogHow))
	p.Ln(2)
	const qrSize = 55
	d.need(qrSize + 6)
	y := p.GetY()
	if err := d.drawQR(s.Checkpoint, d.left, y, qrSize); err != nil {
		return err
	}
	x := d.left + qrSize + 5
	p.SetXY(x, y+2)
	d.font("B", 8.5)
	d.cellFormat(d.width-qrSize-5, 4.5, l.t(tQRCkptLabel), "", 1, "L", false, 0, "")
	d.font("", 7)
	p.SetX(x)
	d.multiCell(d.width-qrSize-5, 3.3, strings.TrimRight(s.Checkpoint, "\n"), "", "L", false)
	p.SetY(y + qrSize + 3)
	return nil
}
