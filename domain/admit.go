package domain

import (
	"time"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
)

// Admission rules: what a NEW record must meet when it is recorded, on top
// of casefile.Validate. They are checked by the write path (every door: the
// JSON API, the web forms, import) and never when the log is replayed
// (reload, audit): the log is the record of what was admitted under the
// rules of its day, and a deployment must still open if an older version
// admitted something these rules now refuse.
//
//   - Times. A claimed time of a past fact (at, seized_at, arrested_at,
//     rights_notified_at, hearing_at, released_at, ...) may not be later than
//     the server's clock plus the allowed skew (Config.ClockSkewMinutes,
//     default 5): a transfer dated 9999-12-31 would otherwise block every
//     real later act of its item. A scheduled time (an operation's h_hour,
//     a briefing's release time) may lie ahead. Every time, past or
//     scheduled, must have a year in [MinYear, MaxYear] and an offset within
//     ±14:00, the widest offset in use (UTC+14, Kiribati).
//   - Free text. No control character (C0, DEL, C1) and no bidirectional
//     formatting character (U+061C, U+200E, U+200F, U+202A–U+202E,
//     U+2066–U+2069) nor line/paragraph separator (U+2028, U+2029): they
//     hide or reorder what a reader of a report, a label or a PDF sees
//     (a right-to-left override turns "gpj.exe" into "exe.jpg"). Multi-line
//     fields (summary, description, note, text, reason) may hold a newline
//     or a tab.
const (
	MinYear = 1900 // before any record a court will see from this system
	MaxYear = 2200 // far enough for any scheduled time
	// MaxOffset is the widest UTC offset in use (+14:00, Line Islands).
	MaxOffset = 14 * time.Hour
	// DefaultClockSkewMinutes is how far ahead of the server's clock a
	// claimed time may be: the officer's device clock may be a little ahead.
	DefaultClockSkewMinutes = 5
)

// multiLine lists the free-text fields that may span lines.
var multiLine = map[string]bool{"summary": true, "description": true, "note": true, "text": true, "reason": true}

// fieldKind says how Admit checks a string field.
type fieldKind uint8

const (
	fPast     fieldKind = iota // a claimed time of a past fact
	fSchedule                  // a time that may lie ahead
	fText                      // free text
	fID                        // an id or an enum value, checked by Validate
)

// fields calls f with every string field of rec, its JSON name and kind, and
// returns f's first error. TestAdmitCoversEveryField holds it complete.
func fields(rec any, f func(k fieldKind, name, v string) *custody.Error) *custody.Error {
	type fv struct {
		k    fieldKind
		name string
		v    string
	}
	var list []fv
	t := func(name, v string) { list = append(list, fv{fPast, name, v}) }
	x := func(name, v string) { list = append(list, fv{fText, name, v}) }
	switch r := rec.(type) {
	case *casefile.Agency:
		x("name", r.Name)
	case *casefile.Officer:
		x("name", r.Name)
	case *casefile.Case:
		x("title", r.Title)
		t("at", r.At)
		x("summary", r.Summary)
	case *casefile.Person:
		x("name", r.Name)
		x("institution", r.Institution)
		x("position", r.Position)
	case *casefile.Organization:
		x("name", r.Name)
		x("jurisdiction", r.Jurisdiction)
	case *casefile.Link:
		x("kind", r.Kind)
		t("at", r.At)
		x("note", r.Note)
	case *casefile.Operation:
		x("name", r.Name)
		list = append(list, fv{fSchedule, "h_hour", r.HHour})
		t("at", r.At)
	case *casefile.Site:
		x("province", r.Province)
		x("city", r.City)
		x("address", r.Address)
		x("warrant", r.Warrant)
	case *casefile.SiteStatus:
		t("at", r.At)
		x("note", r.Note)
	case *casefile.Detention:
		t("arrested_at", r.ArrestedAt)
		x("place", r.Place)
		x("charge", r.Charge)
		t("rights_notified_at", r.RightsNotifiedAt)
		t("hearing_at", r.HearingAt)
		t("released_at", r.ReleasedAt)
		x("note", r.Note)
	case *casefile.DetentionUpdate:
		t("at", r.At)
		t("rights_notified_at", r.RightsNotifiedAt)
		t("hearing_at", r.HearingAt)
		t("released_at", r.ReleasedAt)
	case *casefile.Statement:
		t("at", r.At)
		x("source", r.Source)
		x("text", r.Text)
		x("speaker", r.Speaker)
	case *custody.Seize:
		x("description", r.Description)
		t("seized_at", r.SeizedAt)
		x("place", r.Place)
		x("seal", r.Seal)
	case *custody.Transfer:
		t("at", r.At)
		x("seal", r.Seal)
		x("location", r.Location)
	case *custody.Open:
		t("at", r.At)
		x("reason", r.Reason)
	case *custody.Seal:
		x("seal", r.Seal)
		t("at", r.At)
	case *custody.Derive:
		x("description", r.Description)
		t("at", r.At)
		x("tool", r.Tool)
	case *custody.Attach:
		x("name", r.Name)
		t("at", r.At)
		x("media_type", r.MediaType)
	case *custody.Present:
		t("at", r.At)
		x("hearing", r.Hearing)
	case *custody.Dispose:
		t("at", r.At)
		x("order", r.Order)
	case *AccountCreate:
		x("name", r.Name)
	case *OperationRelease:
		list = append(list, fv{fSchedule, "at", r.At})
	case *custody.KeyRequest:
		x("label", r.Label)
		t("at", r.At)
	case *KeyApprove:
		t("at", r.At)
	case *HandoverOffer:
		t("at", r.At)
		x("seal", r.Seal)
		x("location", r.Location)
		list = append(list, fv{fSchedule, "expires", r.Expires})
	case *KeyRevoke:
		x("reason", r.Reason)
		t("at", r.At)
	case *FieldEntry:
		// The device's clock is its claim, checked for its form only: a
		// clock ahead of the server's is what the entry records (Clock).
		list = append(list, fv{fSchedule, "device_clock", r.DeviceClock}, fv{fSchedule, "device_sent", r.DeviceSent})
		t("received_at", r.ReceivedAt)
	}
	for _, e := range list {
		if e.v == "" {
			continue
		}
		if err := f(e.k, e.name, e.v); err != nil {
			return err
		}
	}
	return nil
}

// Admit checks the admission rules above for a new record (already checked
// by casefile.Validate or ValidateSystem), against now, the server's clock
// for this write, and the deployment's allowed skew. It is pure: the clock
// is the caller's.
func (c Config) Admit(rec any, now time.Time) *custody.Error {
	skew := time.Duration(c.ClockSkewMinutes) * time.Minute
	if c.ClockSkewMinutes <= 0 {
		skew = DefaultClockSkewMinutes * time.Minute
	}
	limit := now.Add(skew)
	return fields(rec, func(k fieldKind, name, v string) *custody.Error {
		switch k {
		case fPast, fSchedule:
			return checkTime(k, name, v, now, limit)
		case fText:
			return CheckText(name, v, multiLine[name])
		}
		return nil
	})
}

func checkTime(k fieldKind, name, v string, now, limit time.Time) *custody.Error {
	t, err := custody.ParseTime(v)
	if err != nil {
		return nil // Validate reports it
	}
	if y := t.Year(); y < MinYear || y > MaxYear {
		return custody.Errorf(custody.EInvalid, name, "%s: el año %d está fuera del intervalo admitido (%d a %d)", "%s: year %d is outside the accepted range (%d to %d)", v, y, MinYear, MaxYear)
	}
	if _, off := t.Zone(); time.Duration(off)*time.Second > MaxOffset || time.Duration(-off)*time.Second > MaxOffset {
		return custody.Errorf(custody.EInvalid, name, "%s: la zona horaria está fuera de ±14:00", "%s: the UTC offset is outside ±14:00", v)
	}
	if k == fPast && t.After(limit) {
		// Both in the act's own offset, which is the one its author used,
		// to the second: an act a few seconds ahead reads as such.
		const layout = "2006-01-02 15:04:05 -07:00"
		at, server := t.Format(layout), now.In(t.Location()).Format(layout)
		return custody.Errorf(custody.ERule, name, "%s es posterior a la hora del servidor (%s): no se registra un acto futuro", "%s is later than the server's time (%s): a future act is not recorded", at, server)
	}
	return nil
}

// CheckText refuses what would mislead a reader of free text: control
// characters (a newline and a tab are allowed in a multi-line field) and
// bidirectional formatting characters (see the admission rules above).
// Invalid UTF-8 is casefile.Validate's to report.
func CheckText(field, s string, multi bool) *custody.Error {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(multi && (c == '\n' || c == '\t')) || c == 0x7f {
				return badChar(field, rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= 0x80 && r <= 0x9f || r == 0x061c || r == 0x200e || r == 0x200f ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x2028 || r == 0x2029 {
			return badChar(field, r)
		}
		i += n
	}
	return nil
}

func badChar(field string, r rune) *custody.Error {
	return custody.Errorf(custody.EInvalid, field, "contiene un carácter de control o de dirección de texto (U+%04X) que no se admite en un registro", "contains a control or text-direction character (U+%04X), which a record does not accept", r)
}
