package domain

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// HistoryEntry is one event in an item's history, with the custody state
// after it: the record's claims beside what the system recorded.
type HistoryEntry struct {
	Seq        int64           `json:"seq"`
	Op         string          `json:"op"`
	At         string          `json:"at"` // claimed: when it happened
	By         string          `json:"by"` // claimed: which officer acted (the receiver, for a transfer)
	From       string          `json:"from,omitempty"`
	RecordedAt string          `json:"recorded_at"` // what the system saw
	RecordedBy string          `json:"recorded_by"`
	Holder     string          `json:"holder"`
	Seal       string          `json:"seal"` // "" when unsealed
	Disposed   bool            `json:"disposed,omitempty"`
	Derived    string          `json:"derived,omitempty"` // the item a derivation created
	Anomalies  []string        `json:"anomalies"`
	Record     json.RawMessage `json:"record"`
	Sigs       []custody.Sig   `json:"sigs,omitempty"` // the personal signatures of the act
	// Field is how the act came from a field device (field.go): its
	// device, the device's clock, the arrival and whether it was late.
	Field *FieldArrival `json:"field,omitempty"`
	// RecordedLateHours is set when the act was recorded, through an
	// account, more than LateRecording after the time it claims: a
	// backdated act reads as such wherever its history is shown.
	RecordedLateHours int64 `json:"recorded_late_hours,omitempty"`
}

// LateRecording is how long after an act's own time its recording through
// an account is flagged in the item's history ("registrado N h después").
// A day leaves the ordinary case alone (the record typed at the station
// after the raid) and shows the one a court should ask about. Imported
// history is not flagged: its recording time is the import's.
const LateRecording = 24 * time.Hour

// RecordedBy renders who recorded an event: "account:NAME" or
// "import:SHA256:LINE".
func RecordedBy(r custody.Recorded) string {
	if r.Import != nil {
		return fmt.Sprintf("import:%s:%d", r.Import.SHA256, r.Import.Line)
	}
	return "account:" + r.Account
}

// ItemHistory replays the events of one item (its creation first, in log
// order) and returns the custody state after each. parentCase is the case of
// the item's parent, for a derived item.
func ItemHistory(id string, events []*custody.Event) ([]HistoryEntry, error) {
	var it *custody.Item
	out := make([]HistoryEntry, 0, len(events))
	for _, ev := range events {
		rec, err := fastcodec.DecodeItemRecord(ev.Op, ev.Record)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", ev.Seq, err)
		}
		e := HistoryEntry{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At, RecordedBy: RecordedBy(ev.Recorded), Record: ev.Record, Anomalies: []string{}, Sigs: ev.Sigs}
		e.At, e.By = Claimed(rec)
		if ev.Recorded.Import == nil {
			act, err1 := custody.ParseTime(e.At)
			got, err2 := custody.ParseTime(ev.Recorded.At)
			if gap := got.Sub(act); err1 == nil && err2 == nil && gap > LateRecording {
				e.RecordedLateHours = int64(gap / time.Hour)
			}
		}
		if it == nil {
			switch r := rec.(type) {
			case *custody.Seize:
				it = custody.NewSeized(r, mustTime(r.SeizedAt), ev.Seq)
			case *custody.Derive:
				if r.ID != id {
					return nil, fmt.Errorf("event %d: the history of %s must start with its creation", ev.Seq, id)
				}
				it = custody.NewDerived(r, &custody.Item{ID: r.Parent}, mustTime(r.At), ev.Seq)
			default:
				return nil, fmt.Errorf("event %d: the history of %s must start with its creation", ev.Seq, id)
			}
		} else {
			var err error
			switch r := rec.(type) {
			case *custody.Transfer:
				e.From = r.From
				var an []custody.Anomaly
				an, err = it.Transfer(r, mustTime(r.At), ev.Seq)
				for _, a := range an {
					e.Anomalies = append(e.Anomalies, a.Kind)
				}
			case *custody.Open:
				err = it.Open(r, mustTime(r.At), ev.Seq)
			case *custody.Seal:
				err = it.SealWith(r, mustTime(r.At), ev.Seq)
			case *custody.Derive:
				e.Derived = r.ID
				err = it.Act("by", r.By, mustTime(r.At), ev.Seq, false)
			case *custody.Attach:
				err = it.Act("by", r.By, mustTime(r.At), ev.Seq, false)
			case *custody.Present:
				err = it.Act("by", r.By, mustTime(r.At), ev.Seq, false)
			case *custody.Dispose:
				err = it.Act("by", r.By, mustTime(r.At), ev.Seq, true)
			default:
				err = fmt.Errorf("%s is not an event of an existing item", ev.Op)
			}
			if err != nil {
				return nil, fmt.Errorf("event %d: %w", ev.Seq, err)
			}
		}
		e.Holder, e.Seal, e.Disposed = it.Holder, it.Seal, it.Disposed
		out = append(out, e)
	}
	return out, nil
}

// EventPlace is where an event of an item's history happened, as far as the
// record says.
type EventPlace struct {
	Place string // "" when the record does not say
	// Inferred: the act (an opening, a sealing, a derivation, a
	// presentation...) records no place of its own; Place is where the item
	// was, by its seizure or by the location of the handover that gave it
	// to its holder, who has kept it since.
	Inferred bool
}

// HistoryPlaces gives the place of each entry of an item's history (from
// ItemHistory): a seizure's site and place, a transfer's location; for any
// other act, where the item was then. start is where a derived item was
// made (where its parent was), "" for a seized one. A transfer that names
// no location leaves the place unknown until one is recorded again.
func HistoryPlaces(hist []HistoryEntry, start string) []EventPlace {
	out := make([]EventPlace, len(hist))
	where := start
	for i, h := range hist {
		rec, err := custody.DecodeItemRecord(h.Op, h.Record)
		if err != nil {
			where = ""
			continue
		}
		switch r := rec.(type) {
		case *custody.Seize:
			where = joinNonEmpty(" — ", r.Site, r.Place)
			out[i] = EventPlace{Place: where}
		case *custody.Transfer:
			where = r.Location
			out[i] = EventPlace{Place: where}
		default:
			out[i] = EventPlace{Place: where, Inferred: where != ""}
		}
	}
	return out
}

func joinNonEmpty(sep string, ss ...string) string {
	out := ""
	for _, s := range ss {
		if s == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += s
	}
	return out
}
