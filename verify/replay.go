package verify

import (
	"errors"
	"strings"

	"github.com/custodia-ec/custodia/custody"
)

// ItemHistory is one item of the bundle: what it is, its state after the
// bundle's last event, and every event of it in the bundle.
type ItemHistory struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Case     string `json:"case"`
	Parent   string `json:"parent,omitempty"` // "" for the seized item
	Holder   string `json:"holder"`
	Seal     string `json:"seal,omitempty"` // "" when unsealed
	Disposed bool   `json:"disposed"`
	Events   []Step `json:"events"`
}

// Step is one event of an item, with the item's holder and seal after it.
// An evidence.derive is a step of the parent and the first step of the new
// item.
type Step struct {
	Index      int64             `json:"index"`
	Op         string            `json:"op"`
	At         string            `json:"at"`               // the time the record claims, as written, with its offset
	Actor      string            `json:"actor"`            // who did it; for a transfer "from -> to"
	Detail     map[string]string `json:"detail,omitempty"` // the op's other fields, e.g. purpose: analysis
	Holder     string            `json:"holder"`
	Seal       string            `json:"seal,omitempty"`
	Anomalies  []string          `json:"anomalies,omitempty"`     // seal_broken, seal_mismatch
	RecordedAt string            `json:"recorded_at"`             // when the log recorded it (UTC)
	Account    string            `json:"account,omitempty"`       // who recorded it, or
	ImportFile string            `json:"import_sha256,omitempty"` // the case file it was imported from
	ImportLine int               `json:"import_line,omitempty"`
	Signature  string            `json:"signature"`         // SignedAll, SignedPartly, SignedNone or SignedImported
	Signers    []custody.Sig     `json:"signers,omitempty"` // its signatures, each checked
	// Actors are who acted, one by one: a transfer's from and to, or the
	// one person the record names. WriteText names the account that
	// recorded a step when it is none of them. (A Step read back from JSON
	// has none, so WriteText then names every account.)
	Actors []string `json:"-"`
}

// Anomaly is a custody anomaly found in the bundle: a fact that the rules
// record rather than reject (a broken seal, a seal number that differs).
type Anomaly struct {
	Index int64  `json:"index"`
	Item  string `json:"item"`
	Kind  string `json:"kind"` // custody.AnomalySealBroken or custody.AnomalySealMismatch
	At    string `json:"at"`
}

// replay applies the custody rules (package custody) to a bundle's events
// in index order, keeping the state of every item and its history.
type replay struct {
	root      string
	items     map[string]*custody.Item
	hist      map[string]*ItemHistory
	order     []string // item ids, in the order of their first event
	anomalies []Anomaly
	keys      map[string]*key // the key register the bundle proves
	require   bool            // Options.RequireSignatures
}

// apply checks one event against the custody rules and the prev links, and
// applies it. index is the event's leaf index (already checked equal to
// Seq); c is what checkAll read of it.
func (r *replay) apply(index int64, c *checked) error {
	ev, rec, err := c.ev, c.rec, c.recErr
	if err != nil {
		// DecodeItemRecord's errors are *custody.Error, in both languages;
		// any other error is shown as it is, in both.
		es, en := err.Error(), err.Error()
		var ce *custody.Error
		if errors.As(err, &ce) {
			es, en = ce.Localized("es"), ce.Localized("en")
		}
		return invalid(CheckCustody, index, "record", "el evento no es un acto de custodia legible (%[1]s): %[2]s",
			"the event is not a readable custody event (%[1]s): %[3]s", ev.Op, es, en)
	}
	id, atText, actors, detail := describe(rec)
	actor := strings.Join(actors, " -> ")
	at, err := custody.ParseTime(atText)
	if err != nil {
		return invalid(CheckCustody, index, "at", "fecha %q no válida", "invalid time %q", atText)
	}
	st := Step{Index: index, Op: ev.Op, At: atText, Actor: actor, Detail: detail, RecordedAt: ev.Recorded.At, Account: ev.Recorded.Account, Actors: actors}
	if imp := ev.Recorded.Import; imp != nil {
		st.ImportFile, st.ImportLine = imp.SHA256, imp.Line
	}
	if st.Signature, st.Signers, err = r.signatures(index, c); err != nil {
		return err
	}
	if r.require && st.Signature != SignedAll {
		return fail(custody.ERule, CheckSignature, index, "sigs", "el acto no lleva la firma personal de todos los que nombra y se exigen firmas (--require-signatures)",
			"the act does not carry the personal signature of everyone it names, and signatures are required (--require-signatures)")
	}
	switch rec := rec.(type) {
	case *custody.Seize:
		// The only item a bundle may seize is its own item, once.
		if rec.ID != r.root {
			return unrelated(index, ev.Op, rec.ID, r.root)
		}
		if r.items[rec.ID] != nil {
			return ruleError(index, "id", "otro secuestro de %s", "another seizure of %s", rec.ID)
		}
		if err := checkPrev(index, ev.Prev, nil); err != nil {
			return err
		}
		r.add(custody.NewSeized(rec, at, index), st)
	case *custody.Derive:
		// The parent must already be in the bundle; the new item is new.
		parent := r.items[rec.Parent]
		if parent == nil {
			return unrelated(index, ev.Op, rec.Parent, r.root)
		}
		if r.items[rec.ID] != nil {
			return ruleError(index, "id", "la evidencia %s ya existe", "item %s already exists", rec.ID)
		}
		if err := checkPrev(index, ev.Prev, map[string]int64{parent.ID: parent.LastSeq}); err != nil {
			return err
		}
		if err := custodyRule(index, ev.Op, parent, parent.Act("by", rec.By, at, index, false)); err != nil {
			return err
		}
		r.record(parent, st)
		r.add(custody.NewDerived(rec, parent, at, index), st)
	default:
		it := r.items[id]
		if it == nil {
			return unrelated(index, ev.Op, id, r.root)
		}
		if err := checkPrev(index, ev.Prev, map[string]int64{id: it.LastSeq}); err != nil {
			return err
		}
		var kinds []custody.Anomaly
		switch rec := rec.(type) {
		case *custody.Transfer:
			kinds, err = it.Transfer(rec, at, index)
		case *custody.Open:
			err = it.Open(rec, at, index)
		case *custody.Seal:
			err = it.SealWith(rec, at, index)
		case *custody.Dispose:
			err = it.Act("by", rec.By, at, index, true)
		default: // attach, present: by holds the item; nothing changes
			err = it.Act("by", actors[0], at, index, false)
		}
		if err := custodyRule(index, ev.Op, it, err); err != nil {
			return err
		}
		for _, a := range kinds {
			st.Anomalies = append(st.Anomalies, a.Kind)
			r.anomalies = append(r.anomalies, Anomaly{Index: index, Item: a.Item, Kind: a.Kind, At: a.At})
		}
		r.record(it, st)
	}
	return nil
}

// add starts the history of a new item with its first step.
func (r *replay) add(it *custody.Item, st Step) {
	r.items[it.ID] = it
	r.hist[it.ID] = &ItemHistory{ID: it.ID, Type: it.Type, Case: it.Case, Parent: it.Parent}
	r.order = append(r.order, it.ID)
	r.record(it, st)
}

// record appends a step to an item's history with the item's state after it.
func (r *replay) record(it *custody.Item, st Step) {
	h := r.hist[it.ID]
	st.Holder, st.Seal = it.Holder, it.Seal
	h.Holder, h.Seal, h.Disposed = it.Holder, it.Seal, it.Disposed
	h.Events = append(h.Events, st)
}

// describe returns the item an op acts on, the time the record claims, who
// acted (a transfer's giver and receiver, or the one person who acted), and
// the op's other fields as name, value pairs.
func describe(rec any) (item, at string, actors []string, detail map[string]string) {
	switch r := rec.(type) {
	case *custody.Seize:
		return r.ID, r.SeizedAt, []string{r.SeizedBy}, pairs("type", r.Type, "case", r.Case, "seal", r.Seal, "site", r.Site, "place", r.Place)
	case *custody.Transfer:
		return r.Item, r.At, []string{r.From, r.To}, pairs("purpose", r.Purpose, "seal_condition", r.SealCondition, "seal", r.Seal, "location", r.Location)
	case *custody.Open:
		return r.Item, r.At, []string{r.By}, pairs("reason", r.Reason)
	case *custody.Seal:
		return r.Item, r.At, []string{r.By}, pairs("seal", r.Seal)
	case *custody.Derive:
		return r.Parent, r.At, []string{r.By}, pairs("id", r.ID, "parent", r.Parent, "type", r.Type, "sha256", r.SHA256, "tool", r.Tool)
	case *custody.Attach:
		return r.Item, r.At, []string{r.By}, pairs("name", r.Name, "sha256", r.SHA256)
	case *custody.Present:
		return r.Item, r.At, []string{r.By}, pairs("hearing", r.Hearing)
	case *custody.Dispose:
		return r.Item, r.At, []string{r.By}, pairs("method", r.Method, "order", r.Order)
	}
	return "", "", nil, nil
}

// pairs makes a Detail of name, value pairs, without the empty values.
func pairs(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

// checkPrev checks that an event's prev links are exactly want: for every
// item it acts on (other than one it creates), the index of that item's
// previous event in the bundle. A mismatch means that an event of the item
// was left out of the bundle, or that the events were rearranged.
func checkPrev(index int64, got, want map[string]int64) error {
	for item, w := range want {
		g, ok := got[item]
		switch {
		case !ok:
			return tampered(CheckCustody, index, "prev", "el evento no enlaza con el evento anterior de %s (%d)",
				"the event does not link to the previous event of %s (%d)", item, w)
		case g > w:
			return tampered(CheckCustody, index, "prev", "el evento anterior de %s es el %d, pero el paquete no lo contiene (el último es el %d): falta un evento",
				"the previous event of %s is %d, but the bundle does not hold it (the last one is %d): an event is missing", item, g, w)
		case g != w:
			return tampered(CheckCustody, index, "prev", "el evento enlaza con el %d como anterior de %s, pero es el %d",
				"the event links to %d as the previous event of %s, but that is %d", g, item, w)
		}
	}
	for item := range got {
		if _, ok := want[item]; !ok {
			return tampered(CheckCustody, index, "prev", "el evento enlaza con un evento anterior de %s, sobre la que no actúa",
				"the event links to an earlier event of %s, which it does not act on", item)
		}
	}
	return nil
}

// unrelated is the error for an event of an item that is neither the
// bundle's item nor derived from it, or whose first event is missing.
func unrelated(index int64, op, item, root string) error {
	return tampered(CheckCustody, index, "item", "el evento %s es de %s, que no es %s ni una evidencia derivada de ella que conste en el paquete (o falta su primer evento)",
		"event %s is about %s, which is neither %s nor an item derived from it in the bundle (or its first event is missing)", op, item, root)
}

// ruleError is a custody rule broken for a reason custody does not cover.
func ruleError(index int64, field, es, en string, args ...any) error {
	return fail(custody.ERule, CheckCustody, index, field, es, en, args...)
}

// custodyRule turns an error from custody's state machine into an Error
// that names the rule broken, as custody's error says (custody.Error.Rule).
func custodyRule(index int64, op string, it *custody.Item, err error) error {
	if err == nil {
		return nil
	}
	var ce *custody.Error
	if !errors.As(err, &ce) {
		return ruleError(index, "", "%v", "%v", err)
	}
	es, en, ok := ruleName(ce.Rule)
	if !ok {
		return ruleError(index, ce.Field, "%[1]s sobre %[2]s incumple una regla de custodia: %[3]s",
			"%[1]s on %[2]s breaks a custody rule: %[4]s", op, it.ID, ce.Message, ce.MessageEN)
	}
	return ruleError(index, ce.Field, "%[1]s sobre %[2]s incumple la regla de custodia «%[3]s»: %[5]s",
		"%[1]s on %[2]s breaks the custody rule %[4]q: %[6]s", op, it.ID, es, en, ce.Message, ce.MessageEN)
}

// ruleName is a custody rule (custody.Rule...) in plain words, Spanish and
// English; ok is false for a rule this verifier does not know.
func ruleName(rule string) (es, en string, ok bool) {
	switch rule {
	case custody.RuleDisposed:
		return "nada después de la disposición", "nothing after disposal", true
	case custody.RuleTimeOrder:
		return "orden temporal", "time order", true
	case custody.RuleContinuity:
		return "continuidad", "continuity", true
	case custody.RuleSeals:
		return "precintos", "seals", true
	}
	return "", "", false
}
