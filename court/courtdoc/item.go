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

// Person is someone who acted on an item: an officer of the case file.
type Person struct {
	ID     string // officer id, e.g. "lab.3"
	Name   string // full name as recorded, e.g. "Perito informático 3"
	Agency string // agency name or id, e.g. "SNMLCF"; may be empty
	Role   string // role code (prosecutor, custodian, forensic_analyst...); may be empty
}

// label is how a person is named in a document: "Name (id, agency)".
func (p Person) label() string {
	if p.ID == "" && p.Name == "" {
		return ""
	}
	var extra []string
	if p.ID != "" && p.ID != p.Name {
		extra = append(extra, p.ID)
	}
	if p.Agency != "" {
		extra = append(extra, p.Agency)
	}
	if p.Name == "" {
		return strings.Join(extra, ", ")
	}
	if len(extra) == 0 {
		return p.Name
	}
	return p.Name + " (" + strings.Join(extra, ", ") + ")"
}

// ItemRecord is everything the chain-of-custody record of one evidence item
// shows (COIP art. 456): identity, original state, every person who
// collected, sent, handled, analysed or stored it, each change, and the data
// to check all of it against the log. Times must keep the offset they were
// recorded with (custody.ParseTime does): the document prints them with it.
type ItemRecord struct {
	Office    string // the prosecutor's office heading the case, e.g. "Fiscalía General del Estado"
	Case      string // case id, e.g. "METASTASIS"
	CaseTitle string // e.g. "Caso Metástasis"; may be empty

	ItemID      string // e.g. "E-CHI-03-01"
	Type        string // case-file type code: phone, laptop, forensic_image...
	Description string // as recorded, e.g. "Teléfono celular"
	Quantity    int    // units; 0 is shown as 1
	Digital     bool   // the item holds digital data
	Parent      string // for a derived item, the id it was derived from; else empty
	SHA256      string // for a derived item, its recorded SHA-256 (64 lowercase hex); else empty
	Size        int64  // for a derived item, its size in bytes; printed when SHA256 is set or Size > 0

	// Seizure is the original state: where, when and by whom the item was
	// collected, and its first seal. For a derived item it is the derivation.
	Seizure Seizure

	// Events are every custody event of the item, in log order, the seizure
	// (or derivation) included.
	Events []CustodyEvent

	Derived     []DerivedItem // items derived from this one, in log order
	Attachments []Attachment  // files recorded about this item

	Holder   Person // who holds the item now
	Seal     string // the seal number on the item now; "" when unsealed
	Disposed bool   // the item was returned, destroyed or forfeited

	Verification Verification

	// GeneratedAt is when the document was produced; printed on every page.
	GeneratedAt time.Time
}

// Seizure is where an item entered custody.
type Seizure struct {
	At       time.Time // seized_at, with its offset
	By       Person    // seized_by: the first holder
	Site     string    // site id, e.g. "S-CHI-03"; may be empty
	SiteDesc string    // the site as a person reads it: kind, city, province, address; may be empty
	Place    string    // free-text place when there is no site, or a detail within it
	Seal     string    // the seal applied at seizure; "" when not sealed
}

// CustodyEvent is one event of the item's history, as claimed by the record
// and as recorded by the system.
type CustodyEvent struct {
	Leaf int64  // the event's leaf index in the log (its seq)
	Op   string // case-file op: evidence.seize, custody.transfer, custody.open, custody.seal, evidence.derive, evidence.attach, court.present, evidence.dispose
	At   time.Time

	// By is who acted (seized_by, by); for a transfer, the person who handed
	// the item over (from).
	By Person
	// To is the receiver of a transfer; empty for other ops.
	To Person

	Purpose       string   // transfer purpose code (transport, storage, analysis...), or empty
	Reason        string   // free text: open reason, court hearing, disposal method and order, derived item id and tool, attached file name
	Place         string   // transfer location, or seizure site/place; for another act, where the item was (PlaceInferred)
	PlaceInferred bool     // the act records no place: Place is where the item was, marked "*" and explained under the table
	Seal          string   // transfer: the seal number the receiver saw; seal/seize: the seal applied
	SealCondition string   // transfer: intact, broken or none; else empty
	Anomalies     []string // seal_broken, seal_mismatch

	// What the system saw. RecordedAt is shown when it differs from At by a
	// minute or more; RecordedBy when it is not By.ID. RecordedBy names the
	// account, or the import (see ImportRef).
	RecordedAt time.Time
	RecordedBy string

	// Signatures are the act's personal signatures, checked when it was
	// logged (and by every audit); Imported marks an act from a case file,
	// which has none.
	Signatures []Signature
	Imported   bool
	// Device names the field device the act was made on without network
	// (its id and entry number), "" for an act recorded online; Late says
	// it arrived more than ten minutes after its time (domain.LateSync).
	Device string
	Late   bool
}

// Signature is one person's signature of an act, with the fingerprint of
// the key that made it (the first 16 hex digits of its id in the log).
type Signature struct {
	Role        string // by, from, to
	Officer     string
	Fingerprint string
	Passkey     bool // a WebAuthn passkey; else a software key
}

// signedNote says who signed an act, with each key's fingerprint.
func signedNote(l lang, e CustodyEvent) string {
	switch {
	case e.Imported:
		return "" // said once under the table (tSignedImported)
	case len(e.Signatures) == 0:
		return l.t(tSignedNone)
	}
	var who []string
	for _, g := range e.Signatures {
		kind := l.t(tSoftwareKey)
		if g.Passkey {
			kind = l.t(tPasskey)
		}
		who = append(who, fmt.Sprintf("%s (%s %s)", g.Officer, kind, g.Fingerprint))
	}
	head := l.t(tSignedBy)
	if e.Op == "custody.transfer" {
		head = l.t(tSignedBoth)
		if len(e.Signatures) < 2 {
			head = l.t(tSignedOne)
		}
	}
	return head + " " + strings.Join(who, l.t(tAnd))
}

// ImportRef is how a CustodyEvent.RecordedBy names an import: the case file's
// SHA-256 (shortened to 12 digits) and the line, in the document's language.
func ImportRef(lang, fileSHA256 string, line int) string {
	short := fileSHA256
	if len(short) > 12 {
		short = short[:12]
	}
	return fmt.Sprintf(langOf(lang).t(tImportRef), short, line)
}

// DerivedItem is an item made from this one (a forensic image, an extraction).
type DerivedItem struct {
	ID          string
	Type        string // forensic_image, extraction, copy, photo, report, other
	Description string
	At          time.Time
	By          Person
	SHA256      string // 64 lowercase hex digits; may be empty when not recorded
	Size        int64  // bytes; negative when not recorded
	Tool        string // may be empty
	Leaf        int64  // the derive event's leaf index
}

// Attachment is a file recorded about the item by its hash.
type Attachment struct {
	Name      string
	SHA256    string
	Size      int64
	MediaType string // may be empty
	At        time.Time
	By        Person
	Leaf      int64
}

// Verification is what a reader needs to check the printout against the log
// offline.
type Verification struct {
	LogOrigin      string // the checkpoint's origin line
	CheckpointSize int64  // the tree size the checkpoint commits to
	RootHash       string // base64, as in the checkpoint
	// Checkpoint is the signed note text of the bundle (C2SP
	// tlog-checkpoint), verbatim, ending with a newline. Empty when the
	// caller has none; the document then says it cannot be verified.
	Checkpoint string
}

// Validate reports the first field that keeps rec from being printed.
func (rec *ItemRecord) Validate() error {
	switch {
	case rec.ItemID == "":
		return errors.New("courtdoc: item record: ItemID is empty")
	case rec.Case == "":
		return fmt.Errorf("courtdoc: item record %s: Case is empty", rec.ItemID)
	}
	for i, e := range rec.Events {
		if e.Op == "" {
			return fmt.Errorf("courtdoc: item record %s: event %d has no Op", rec.ItemID, i+1)
		}
		if e.At.IsZero() {
			return fmt.Errorf("courtdoc: item record %s: event %d (%s) has no time", rec.ItemID, i+1, e.Op)
		}
	}
	v := rec.Verification
	if v.Checkpoint != "" && !strings.HasSuffix(v.Checkpoint, "\n") {
		return fmt.Errorf("courtdoc: item record %s: checkpoint note must end with a newline", rec.ItemID)
	}
	return nil
}

// WriteItemPDF writes the chain-of-custody record of one item, in Spanish
// unless lang is "en".
func WriteItemPDF(w io.Writer, rec ItemRecord, lang string) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	l := langOf(lang)
	title := l.t(tItemTitle) + " — " + rec.ItemID
	d := newDoc(l, "P", fpdf.SizeType{Wd: 210, Ht: 297}, title, rec.Case+" · "+rec.ItemID, rec.GeneratedAt)
	p := d.pdf
	p.AddPage()

	// Header.
	office := rec.Office
	if office == "" {
		office = "Fiscalía General del Estado"
	}
	d.font("B", 12)
	d.cellFormat(d.width, 6, office, "", 1, "C", false, 0, "")
	d.font("B", 15)
	d.cellFormat(d.width, 8, l.t(tItemTitle), "", 1, "C", false, 0, "")
	d.font("", 8.5)
	d.cellFormat(d.width, 4.5, l.t(tItemSubtitle), "", 1, "C", false, 0, "")
	p.Ln(2)
	caseLine := rec.Case
	if rec.CaseTitle != "" {
		caseLine += " — " + rec.CaseTitle
	}
	p.SetDrawColor(60, 72, 92)
	p.SetLineWidth(0.4)
	y := p.GetY()
	p.Rect(d.left, y, d.width, 13, "D")
	p.SetLineWidth(0.2)
	p.SetXY(d.left+2, y+1.5)
	d.font("", 9)
	d.cellFormat(22, 5, l.t(tCase)+":", "", 0, "L", false, 0, "")
	d.font("B", 10)
	d.cellFormat(d.width-26, 5, caseLine, "", 1, "L", false, 0, "")
	p.SetX(d.left + 2)
	d.font("", 9)
	d.cellFormat(22, 5, l.t(tItem)+":", "", 0, "L", false, 0, "")
	d.font("B", 12)
	d.cellFormat(d.width-26, 5.5, rec.ItemID, "", 1, "L", false, 0, "")
	p.SetY(y + 15)

	// 1. Identity.
	d.section(l.t(tSecIdentity), 10)
	d.field(l.t(tType), l.word(typeNames, rec.Type))
	d.field(l.t(tDescription), rec.Description)
	q := rec.Quantity
	if q < 1 {
		q = 1
	}
	d.field(l.t(tQuantity), fmt.Sprint(q))
	d.field(l.t(tDigital), yesNo(l, rec.Digital))
	if rec.Parent != "" {
		d.field(l.t(tDerivedFrom), rec.Parent)
	}
	if rec.SHA256 != "" {
		d.field(l.t(tColSHA), rec.SHA256)
	}
	if rec.SHA256 != "" || rec.Size > 0 {
		d.field(l.t(tColSize), l.humanSize(rec.Size))
	}

	// 2. Seizure, or derivation for a derived item.
	secOrigin, byLabel := tSecSeizure, tSeizedBy
	if rec.Parent != "" {
		secOrigin, byLabel = tSecDerivation, tDerivedBy
	}
	d.section(l.t(secOrigin), 10)
	s := rec.Seizure
	site := s.Site
	if s.SiteDesc != "" {
		site = strings.TrimSpace(site + " — " + s.SiteDesc)
	}
	if site != "" {
		d.field(l.t(tSite), site)
	}
	if s.Place != "" {
		d.field(l.t(tPlace), s.Place)
	}
	d.field(l.t(tTime), l.fmtTime(s.At))
	d.field(l.t(byLabel), s.By.label())
	d.field(l.t(tSeal), orNone(l, s.Seal, l.t(tUnsealed)))
	condLabel := tCondition
	if rec.Parent != "" {
		condLabel = tConditionDerive
	}
	d.field(l.t(condLabel), condition(l, rec))

	// 3. Events.
	d.section(fmt.Sprintf("%s (%d)", l.t(tSecEvents), len(rec.Events)), 6+tableKeep(7.2))
	if len(rec.Events) == 0 {
		d.para("", 9, l.t(tNoEvents))
	} else {
		d.para("", 7.5, l.t(tRecordedNote))
		p.Ln(1)
		t := d.newTable(7.2,
			column{l.t(tColNo), 7, "R"},
			column{l.t(tColTime), 21, ""},
			column{l.t(tColOp), 22, ""},
			column{l.t(tColFrom), 26, ""},
			column{l.t(tColTo), 26, ""},
			column{l.t(tColPurpose), 23, ""},
			column{l.t(tColPlace), 21, ""},
			column{l.t(tColSeal), 21, ""},
			column{l.t(tColLeaf), 10, "R"},
		)
		inferred, imported := false, false
		for i, e := range rec.Events {
			cells, style := eventCells(l, i+1, e)
			var notes []string
			for _, n := range []string{signedNote(l, e), recordedNote(l, e)} {
				if n != "" {
					notes = append(notes, n)
				}
			}
			t.row(cells, style, strings.Join(notes, "\n"))
			inferred = inferred || (e.PlaceInferred && e.Place != "")
			imported = imported || e.Imported
		}
		if imported {
			p.Ln(1)
			d.para("", 7.5, l.t(tSignedImported))
		}
		if inferred {
			p.Ln(1)
			d.para("", 7.5, l.t(tPlaceInferred))
		}
	}

	// 4. Derived items.
	d.section(l.t(tSecDerived), 38)
	if len(rec.Derived) == 0 {
		d.para("", 9, l.t(tNoDerived))
	}
	for _, dv := range rec.Derived {
		d.need(30)
		d.font("B", 9.5)
		d.cellFormat(d.width, 5, dv.ID+" — "+l.word(typeNames, dv.Type), "", 1, "L", false, 0, "")
		d.field(l.t(tDescription), dv.Description)
		d.field(l.t(tTime), l.fmtTime(dv.At))
		d.field(l.t(tDerivedBy), dv.By.label())
		if dv.Tool != "" {
			d.field(l.t(tTool), dv.Tool)
		}
		d.field(l.t(tColSHA), orNone(l, dv.SHA256, l.t(tNone)))
		if dv.Size >= 0 {
			d.field(l.t(tColSize), l.humanSize(dv.Size))
		}
		d.field(l.t(tColLeaf), fmt.Sprint(dv.Leaf))
		p.Ln(1)
	}

	// 5. Attachments.
	d.section(l.t(tSecAttach), tableKeep(7.2))
	if len(rec.Attachments) == 0 {
		d.para("", 9, l.t(tNoAttach))
	} else {
		t := d.newTable(7.2,
			column{l.t(tColName), 30, ""},
			column{l.t(tColSHA), 50, ""},
			column{l.t(tColSize), 22, "R"},
			column{l.t(tColTime), 22, ""},
			column{l.t(tColAttachedBy), 28, ""},
			column{l.t(tColLeaf), 10, "R"},
		)
		for _, a := range rec.Attachments {
			name := a.Name
			if a.MediaType != "" {
				name += " (" + a.MediaType + ")"
			}
			t.row([]string{name, a.SHA256, l.humanSize(a.Size), l.fmtTime(a.At), a.By.label(), fmt.Sprint(a.Leaf)}, nil, "")
		}
	}

	// 6. Current custody.
	d.section(l.t(tSecHolder), 14)
	d.field(l.t(tHolder), rec.Holder.label())
	d.field(l.t(tCurrentSeal), orNone(l, rec.Seal, l.t(tUnsealed)))
	state := l.t(tActive)
	if rec.Disposed {
		state = l.t(tDisposed)
	}
	d.field(l.t(tState), state)

	// 7. Receipt: the clerk's signature block.
	d.section(l.t(tSecReceipt), 48)
	d.para("", 9, l.t(tReceiverBlock))
	p.Ln(3)
	sig := []string{l.t(tSigName), l.t(tSigID), l.t(tSigRole), l.t(tSigDate)}
	half := (d.width - 10) / 2
	for i := 0; i < len(sig); i += 2 {
		y := p.GetY() + 7
		for j := 0; j < 2 && i+j < len(sig); j++ {
			x := d.left + float64(j)*(half+10)
			p.SetDrawColor(0, 0, 0)
			p.Line(x, y, x+half, y)
			p.SetXY(x, y+0.5)
			d.font("", 7.5)
			d.cellFormat(half, 3.5, sig[i+j], "", 0, "L", false, 0, "")
		}
		p.SetY(y + 5)
	}
	y = p.GetY() + 12
	p.Line(d.left+d.width/4, y, d.left+3*d.width/4, y)
	p.SetXY(d.left+d.width/4, y+0.5)
	d.cellFormat(d.width/2, 3.5, l.t(tSigSign), "", 1, "C", false, 0, "")

	// 8. Verification data: always last.
	if err := writeVerification(d, rec); err != nil {
		return err
	}
	return d.finish(w)
}

func writeVerification(d *doc, rec ItemRecord) error {
	l, p := d.l, d.pdf
	v := rec.Verification
	leaves := make([]int64, 0, len(rec.Events))
	seen := map[int64]bool{}
	for _, e := range rec.Events {
		if !seen[e.Leaf] {
			seen[e.Leaf] = true
			leaves = append(leaves, e.Leaf)
		}
	}
	d.section(l.t(tSecVerify), 70)
	d.field(l.t(tLogOrigin), orNone(l, v.LogOrigin, l.t(tNone)))
	d.field(l.t(tCkptSize), strconv.FormatInt(v.CheckpointSize, 10)) // raw, as in the checkpoint's size line
	d.field(l.t(tRootHash), orNone(l, v.RootHash, l.t(tNone)))
	var byEvent []string
	for i, e := range rec.Events {
		byEvent = append(byEvent, fmt.Sprintf("%d→%d", i+1, e.Leaf))
	}
	d.field(l.t(tLeaves), strings.Join(byEvent, "  "))
	if v.Checkpoint == "" {
		p.Ln(2)
		p.SetTextColor(170, 0, 0)
		d.para("B", 9, l.t(tNoCheckpoint))
		p.SetTextColor(0, 0, 0)
		return nil
	}
	p.Ln(1)
	d.para("", 7.5, l.t(tVerifyHow))
	p.Ln(2)
	payloads, err := VerificationPayloads(rec.ItemID, v.Checkpoint, leaves)
	if err != nil {
		return err
	}
	const qrSize = 62
	for i, pl := range payloads {
		d.need(qrSize + 6)
		y := p.GetY()
		if err := d.drawQR(pl, d.left, y, qrSize); err != nil {
			return err
		}
		// Beside the code: the checkpoint as text, for a human reader.
		x := d.left + qrSize + 5
		p.SetXY(x, y+2)
		d.font("B", 8.5)
		head := l.t(tCheckpoint)
		if len(payloads) > 1 {
			head += " — " + fmt.Sprintf(l.t(tQRPart), i+1, len(payloads))
		}
		d.cellFormat(d.width-qrSize-5, 4.5, head, "", 1, "L", false, 0, "")
		d.font("", 7)
		p.SetX(x)
		d.multiCell(d.width-qrSize-5, 3.3, strings.TrimRight(v.Checkpoint, "\n"), "", "L", false)
		p.SetY(y + qrSize + 3)
	}
	return nil
}

// eventCells lays out one event as table cells, with the anomaly cells
// highlighted.
func eventCells(l lang, n int, e CustodyEvent) ([]string, []cellStyle) {
	op := l.word(opNames, e.Op)
	purpose := l.word(purposeNames, e.Purpose)
	if e.Purpose == "" {
		purpose = ""
	}
	if e.Reason != "" {
		purpose = strings.TrimSpace(purpose + " " + e.Reason)
	}
	seal := e.Seal
	if e.SealCondition != "" {
		cond := l.word(conditionNames, e.SealCondition)
		if seal == "" {
			seal = cond
		} else {
			seal += " — " + cond
		}
	}
	style := make([]cellStyle, 9)
	style[2].bold = true
	if len(e.Anomalies) > 0 {
		var names []string
		for _, a := range e.Anomalies {
			names = append(names, l.word(anomalyNames, a))
		}
		seal = strings.TrimSpace(seal + "\n" + l.t(tAnomaly) + ": " + strings.Join(names, ", "))
		for i := range style {
			style[i].highlight = true
		}
		style[7].red = true
		style[7].bold = true
	}
	if e.SealCondition == "broken" {
		style[7].red = true
	}
	place := e.Place
	if e.PlaceInferred && place != "" {
		place += " *"
	}
	return []string{
		fmt.Sprint(n), e.At.Format("2006-01-02") + "\n" + e.At.Format("15:04 -07:00"), op, e.By.label(), e.To.label(),
		purpose, place, seal, fmt.Sprint(e.Leaf),
	}, style
}

// condition is the item's state when it entered custody, as its seizure
// (or derivation) recorded it: description, units, seal, digital data.
func condition(l lang, rec ItemRecord) string {
	q := rec.Quantity
	if q < 1 {
		q = 1
	}
	parts := []string{}
	if rec.Description != "" {
		parts = append(parts, rec.Description)
	}
	parts = append(parts, fmt.Sprintf(l.t(tUnits), q))
	if rec.Seizure.Seal != "" {
		parts = append(parts, fmt.Sprintf(l.t(tSealedWith), rec.Seizure.Seal))
	} else {
		parts = append(parts, l.t(tUnsealed))
	}
	if rec.Digital {
		parts = append(parts, l.t(tHoldsDigital))
	}
	return strings.Join(parts, "; ")
}

// recordedNote is the "recorded at/by" line of an event, or "" when the
// system's record agrees with the claim (same minute, same actor).
func recordedNote(l lang, e CustodyEvent) string {
	if e.RecordedAt.IsZero() && e.RecordedBy == "" {
		return ""
	}
	diffTime := !e.RecordedAt.IsZero() && absDur(e.RecordedAt.Sub(e.At)) >= time.Minute
	actor := e.By.ID
	if e.Op == "custody.transfer" && e.To.ID != "" {
		actor = e.To.ID // the receiver records a handover
	}
	diffActor := e.RecordedBy != "" && e.RecordedBy != actor
	if !diffTime && !diffActor && e.Device == "" {
		return ""
	}
	at := l.fmtTime(e.RecordedAt)
	by := e.RecordedBy
	if by == "" {
		by = l.t(tNone)
	}
	line := "↳ " + fmt.Sprintf(l.t(tRecordedLine), at, by)
	if e.Device != "" {
		line += fmt.Sprintf(l.t(tFieldDevice), e.Device)
	}
	if e.Late {
		line += l.t(tFieldLate)
	}
	return line
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func yesNo(l lang, b bool) string {
	if b {
		return l.t(tYes)
	}
	return l.t(tNo)
}

func orNone(l lang, s, none string) string {
	if s == "" {
		return none
	}
	return s
}
