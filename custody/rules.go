package custody

import (
	"time"
)

// The ops that act on evidence items. Their records, and the rules below, are
// the whole chain-of-custody vocabulary of the case-file format (spec
// "Custody rules"); the verifier replays them over a bundle's events.
const (
	OpSeize    = "evidence.seize"
	OpTransfer = "custody.transfer"
	OpOpen     = "custody.open"
	OpSeal     = "custody.seal"
	OpDerive   = "evidence.derive"
	OpAttach   = "evidence.attach"
	OpPresent  = "court.present"
	OpDispose  = "evidence.dispose"
)

// IsItemOp reports whether op acts on an evidence item.
func IsItemOp(op string) bool {
	switch op {
	case OpSeize, OpTransfer, OpOpen, OpSeal, OpDerive, OpAttach, OpPresent, OpDispose:
		return true
	}
	return false
}

// Seize is evidence.seize.
type Seize struct {
	ID          string `json:"id"`
	Case        string `json:"case"`
	Type        string `json:"type"`
	Description string `json:"description"`
	SeizedAt    string `json:"seized_at"`
	SeizedBy    string `json:"seized_by"`
	Site        string `json:"site,omitempty"`
	Place       string `json:"place,omitempty"`
	Quantity    *int64 `json:"quantity,omitempty"`
	Seal        string `json:"seal,omitempty"`
	Digital     *bool  `json:"digital,omitempty"`
}

// Transfer is custody.transfer: the receiver's record of a handover.
type Transfer struct {
	Item          string `json:"item"`
	From          string `json:"from"`
	To            string `json:"to"`
	At            string `json:"at"`
	Purpose       string `json:"purpose"`
	SealCondition string `json:"seal_condition"`
	Seal          string `json:"seal,omitempty"`
	Location      string `json:"location,omitempty"`
}

// Open is custody.open.
type Open struct {
	Item   string `json:"item"`
	At     string `json:"at"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Seal is custody.seal.
type Seal struct {
	Item string `json:"item"`
	Seal string `json:"seal"`
	At   string `json:"at"`
	By   string `json:"by"`
}

// Derive is evidence.derive: a new item made from a parent (an image, an
// extraction, a copy).
type Derive struct {
	ID          string `json:"id"`
	Parent      string `json:"parent"`
	Type        string `json:"type"`
	Description string `json:"description"`
	At          string `json:"at"`
	By          string `json:"by"`
	SHA256      string `json:"sha256,omitempty"`
	Size        *int64 `json:"size,omitempty"`
	Tool        string `json:"tool,omitempty"`
}

// Attach is evidence.attach: a file about an item, recorded by its hash.
type Attach struct {
	Item      string `json:"item"`
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	Size      *int64 `json:"size"`
	At        string `json:"at"`
	By        string `json:"by"`
	MediaType string `json:"media_type,omitempty"`
}

// Present is court.present.
type Present struct {
	Item    string `json:"item"`
	At      string `json:"at"`
	By      string `json:"by"`
	Hearing string `json:"hearing"`
}

// Dispose is evidence.dispose.
type Dispose struct {
	Item   string `json:"item"`
	At     string `json:"at"`
	By     string `json:"by"`
	Method string `json:"method"`
	Order  string `json:"order,omitempty"`
}

// NewItemRecord returns a new, empty record of an item op: *Seize,
// *Transfer, *Open, *Seal, *Derive, *Attach, *Present or *Dispose. It
// returns nil when op is not an item op.
func NewItemRecord(op string) any {
	switch op {
	case OpSeize:
		return new(Seize)
	case OpTransfer:
		return new(Transfer)
	case OpOpen:
		return new(Open)
	case OpSeal:
		return new(Seal)
	case OpDerive:
		return new(Derive)
	case OpAttach:
		return new(Attach)
	case OpPresent:
		return new(Present)
	case OpDispose:
		return new(Dispose)
	}
	return nil
}

// DecodeItemRecord decodes the record of an item op with DecodeStrict. It
// returns what NewItemRecord returns, filled, or a *Error.
func DecodeItemRecord(op string, raw []byte) (any, error) {
	v := NewItemRecord(op)
	if v == nil {
		return nil, Errorf(EInvalid, "op", "%q no es una operación sobre evidencias", "%q is not an evidence op", op)
	}
	if err := DecodeStrict(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Anomaly kinds: facts recorded because they happened, never grounds to
// reject a record.
const (
	AnomalySealBroken   = "seal_broken"
	AnomalySealMismatch = "seal_mismatch"
)

// Anomaly is a custody anomaly on an item at a moment.
type Anomaly struct {
	Item string
	Kind string
	At   string // as given in the record
}

// Item is the custody state of one evidence item: who holds it, its seal, and
// what was last done to it.
type Item struct {
	ID       string
	Case     string
	Type     string
	Parent   string // "" for a seized item
	Holder   string
	Seal     string // seal number, "" when unsealed
	Disposed bool
	LastAt   time.Time
	LastSeq  int64 // seq of the item's latest event
	Events   int   // number of events of the item
}

// NewSeized returns the state of an item after its seizure: held by the
// officer who seized it, sealed when a seal was given.
func NewSeized(s *Seize, at time.Time, seq int64) *Item {
	return &Item{ID: s.ID, Case: s.Case, Type: s.Type, Holder: s.SeizedBy, Seal: s.Seal, LastAt: at, LastSeq: seq, Events: 1}
}

// NewDerived returns the state of an item derived from parent: held by the
// officer who derived it, unsealed, in the parent's case.
func NewDerived(d *Derive, parent *Item, at time.Time, seq int64) *Item {
	return &Item{ID: d.ID, Case: parent.Case, Type: d.Type, Parent: parent.ID, Holder: d.By, LastAt: at, LastSeq: seq, Events: 1}
}

// The custody rules that Item's methods enforce, as Error.Rule names them.
const (
	RuleDisposed   = "disposed"   // nothing happens to an item after its disposal
	RuleTimeOrder  = "time_order" // no event is earlier than the item's previous one
	RuleContinuity = "continuity" // only the holder acts on an item or hands it over
	RuleSeals      = "seals"      // seal conditions and seal numbers agree with the item's seal
)

// ruleError is the error of a broken custody rule.
func ruleError(rule, field, es, en string, args ...any) *Error {
	e := Errorf(ERule, field, es, en, args...)
	e.Rule = rule
	return e
}

// Check applies the rules every event of an existing item must pass: the item
// is not disposed, and the event is not earlier than the item's previous one.
func (it *Item) check(at time.Time) error {
	if it.Disposed {
		return ruleError(RuleDisposed, "item", "la evidencia %s ya fue dispuesta; no admite más actos", "item %s is disposed; nothing may happen to it", it.ID)
	}
	if at.Before(it.LastAt) {
		return ruleError(RuleTimeOrder, "at", "%s es anterior al último acto de %s (%s)", "%s is earlier than the previous event of %s (%s)",
			at.Format(time.RFC3339), it.ID, it.LastAt.Format(time.RFC3339))
	}
	return nil
}

func (it *Item) checkHolder(field, by string) error {
	if by != it.Holder {
		return ruleError(RuleContinuity, field, "%s no tiene la evidencia %s (la tiene %s)", "%s does not hold item %s (held by %s)", by, it.ID, it.Holder)
	}
	return nil
}

func (it *Item) advance(at time.Time, seq int64) {
	it.LastAt = at
	it.LastSeq = seq
	it.Events++
}

// Transfer checks a handover and, when it is accepted, applies it and returns
// the anomalies it records. The caller checks that To is an officer.
func (it *Item) Transfer(t *Transfer, at time.Time, seq int64) ([]Anomaly, error) {
	if err := it.check(at); err != nil {
		return nil, err
	}
	if t.From != it.Holder {
		return nil, ruleError(RuleContinuity, "from", "%s no es quien tiene la evidencia %s (la tiene %s)", "%s is not the current holder of %s (held by %s)", t.From, it.ID, it.Holder)
	}
	if t.To == t.From {
		return nil, ruleError(RuleContinuity, "to", "quien recibe es quien entrega (%s)", "receiver is the giver (%s)", t.To)
	}
	sealed := it.Seal != ""
	switch {
	case sealed && t.SealCondition != "intact" && t.SealCondition != "broken":
		return nil, ruleError(RuleSeals, "seal_condition", "la evidencia %s está sellada: el estado del sello debe ser «intacto» (intact) o «roto» (broken), no %q", "item %s is sealed: seal_condition must be intact or broken, not %q", it.ID, t.SealCondition)
	case !sealed && t.SealCondition != "none":
		return nil, ruleError(RuleSeals, "seal_condition", "la evidencia %s no está sellada: el estado del sello debe ser «sin sello» (none), no %q", "item %s is unsealed: seal_condition must be none, not %q", it.ID, t.SealCondition)
	case !sealed && t.Seal != "":
		return nil, ruleError(RuleSeals, "seal", "la evidencia %s no está sellada: no hay sello que comparar con %q", "item %s is unsealed: there is no seal to compare with %q", it.ID, t.Seal)
	}
	var anomalies []Anomaly
	if t.Seal != "" && t.Seal != it.Seal {
		anomalies = append(anomalies, Anomaly{Item: it.ID, Kind: AnomalySealMismatch, At: t.At})
	}
	if t.SealCondition == "broken" {
		anomalies = append(anomalies, Anomaly{Item: it.ID, Kind: AnomalySealBroken, At: t.At})
		it.Seal = ""
	}
	it.Holder = t.To
	it.advance(at, seq)
	return anomalies, nil
}

// Open checks and applies custody.open: the holder breaks the seal.
func (it *Item) Open(o *Open, at time.Time, seq int64) error {
	if err := it.check(at); err != nil {
		return err
	}
	if err := it.checkHolder("by", o.By); err != nil {
		return err
	}
	if it.Seal == "" {
		return ruleError(RuleSeals, "item", "la evidencia %s no está sellada", "item %s is not sealed", it.ID)
	}
	it.Seal = ""
	it.advance(at, seq)
	return nil
}

// SealWith checks and applies custody.seal.
func (it *Item) SealWith(s *Seal, at time.Time, seq int64) error {
	if err := it.check(at); err != nil {
		return err
	}
	if err := it.checkHolder("by", s.By); err != nil {
		return err
	}
	if it.Seal != "" {
		return ruleError(RuleSeals, "item", "la evidencia %s ya está sellada (sello %s)", "item %s is already sealed (seal %s)", it.ID, it.Seal)
	}
	it.Seal = s.Seal
	it.advance(at, seq)
	return nil
}

// Act checks and applies an event by the holder that changes neither holder
// nor seal: derive (on the parent), attach, present in court. Dispose makes
// the item final.
func (it *Item) Act(field, by string, at time.Time, seq int64, dispose bool) error {
	if err := it.check(at); err != nil {
		return err
	}
	if err := it.checkHolder(field, by); err != nil {
		return err
	}
	it.advance(at, seq)
	if dispose {
		it.Disposed = true
	}
	return nil
}
