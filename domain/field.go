package domain

import (
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// Field capture (issue 18): a team without network records acts on a phone,
// each signed there by its officer, and the phone sends them when it is
// back in coverage. Each act is logged as any other (the same rules, the
// same signatures), and right after it, in the same transaction, a
// field.entry says how it arrived: from which device, with which of the
// device's sequence numbers, what the device's clock said when the act was
// signed and when the batch was sent, and when the server received it. The
// act's own time (seized_at, arrested_at, at) is the device's; the
// event's recorded.at is the arrival. Both are kept, and the gap is shown.
//
// A field.entry names its act by the act's digest (custody.ActDigest) and
// must directly follow it: the state refuses one whose previous event is
// not that act, so that an entry can never be credited to another act.
// (device, seq) is unique: a retried batch finds its entries recorded and
// records nothing twice.

// OpFieldEntry is the system op of field.entry.
const OpFieldEntry = "field.entry"

// LateSync is how long after an act's own time its arrival makes it "late
// synced" on the board and in reports.
const LateSync = 10 * time.Minute

// Values of FieldEntry.Clock: the device's clock at sync was further than
// the allowed skew (Config.ClockSkewMinutes) from the server's.
const (
	ClockAhead  = "ahead"
	ClockBehind = "behind"
)

// FieldOps are the ops a device may send.
var FieldOps = map[string]bool{custody.OpSeize: true, custody.OpAttach: true, custody.OpTransfer: true, custody.OpSeal: true,
	casefile.OpSiteStatus: true, casefile.OpDetention: true, casefile.OpDetentionUpd: true}

// FieldEntry is field.entry.
type FieldEntry struct {
	Device  string `json:"device"`
	Seq     int64  `json:"seq"`     // the device's sequence number, from 1
	Officer string `json:"officer"` // the device's officer, who syncs it
	Op      string `json:"op"`      // the act's op
	Digest  string `json:"digest"`  // the act's digest, hex
	// DeviceClock is the device's clock when the act was signed;
	// DeviceSent when the batch was sent; ReceivedAt the server's clock
	// on arrival. SkewSeconds is DeviceSent − ReceivedAt.
	DeviceClock string `json:"device_clock"`
	DeviceSent  string `json:"device_sent"`
	ReceivedAt  string `json:"received_at"`
	SkewSeconds int64  `json:"skew_seconds"`
	Clock       string `json:"clock,omitempty"` // ClockAhead, ClockBehind or ""
}

// FieldInfo is a logged field.entry and the act it belongs to.
type FieldInfo struct {
	FieldEntry
	Event int64  // the act's event
	Seq   int64  // the field.entry's own event
	Ref   string // what the act is about: its item, detention or site
	ActAt string // the act's own time, as the device wrote it
	// Gap is how long after its own time the act arrived; Late says it
	// is more than LateSync.
	Gap  time.Duration
	Late bool
}

// ArrivedLate reports whether the act, at its own time act, arrived more
// than LateSync after it.
func (f *FieldEntry) ArrivedLate(act time.Time) bool {
	got, err := custody.ParseTime(f.ReceivedAt)
	return err == nil && got.Sub(act) > LateSync
}

// FieldArrival is how an act came from a field device, as the doors show
// it beside the act.
type FieldArrival struct {
	Device      string `json:"device"`
	DeviceSeq   int64  `json:"device_seq"`
	DeviceClock string `json:"device_clock"` // the device's clock when it was signed
	ReceivedAt  string `json:"received_at"`  // the arrival
	GapMinutes  int64  `json:"gap_minutes"`  // arrival minus the act's own time
	Late        bool   `json:"late"`         // "sincronizado tarde": more than LateSync
	Clock       string `json:"clock,omitempty"`
	SkewSeconds int64  `json:"skew_seconds"` // the device's clock minus the server's, at sync
}

// Arrival is f as the doors show it.
func (f *FieldInfo) Arrival() *FieldArrival {
	return &FieldArrival{Device: f.Device, DeviceSeq: f.FieldEntry.Seq, DeviceClock: f.DeviceClock, ReceivedAt: f.ReceivedAt,
		GapMinutes: int64(f.Gap / time.Minute), Late: f.Late, Clock: f.Clock, SkewSeconds: f.SkewSeconds}
}

// ArrivalOf is how event seq came from a field device, or nil when it did
// not.
func (s *State) ArrivalOf(seq int64) *FieldArrival {
	if fi := s.Field[seq]; fi != nil {
		return fi.Arrival()
	}
	return nil
}

// refOf names what an act of a device is about.
func refOf(rec any) string {
	switch r := rec.(type) {
	case *custody.Seize:
		return r.ID
	case *custody.Attach:
		return r.Item
	case *custody.Transfer:
		return r.Item
	case *custody.Seal:
		return r.Item
	case *casefile.SiteStatus:
		return r.Site
	case *casefile.Detention:
		return r.ID
	case *casefile.DetentionUpdate:
		return r.Detention
	}
	return ""
}

// FieldDevice is a device and the entries it sent, by its sequence number.
type FieldDevice struct {
	Officer string
	Entries map[int64]*FieldInfo
}

// FieldEntryOf returns the entry (device, seq), or nil.
func (s *State) FieldEntryOf(device string, seq int64) *FieldInfo {
	if d := s.Devices[device]; d != nil {
		return d.Entries[seq]
	}
	return nil
}

// lastApplied is the latest accepted event, which a field.entry must follow.
type lastApplied struct {
	seq  int64
	op   string
	rec  any
	kase string
}

func (s *State) applyField(r *FieldEntry, seq int64) (*Applied, *custody.Error) {
	d := s.Devices[r.Device]
	if d != nil && d.Officer != r.Officer {
		return nil, custody.Errorf(custody.EConflict, "device", "el dispositivo %s es de %s, no de %s", "device %s belongs to %s, not %s", r.Device, d.Officer, r.Officer)
	}
	if d != nil && d.Entries[r.Seq] != nil {
		return nil, custody.Errorf(custody.EDuplicate, "seq", "la entrada %d del dispositivo %s ya está registrada (evento %d)", "entry %d of device %s is already recorded (event %d)", r.Seq, r.Device, d.Entries[r.Seq].Event)
	}
	last := s.last
	if last.rec == nil || last.seq != seq-1 || last.op != r.Op {
		return nil, custody.Errorf(custody.EInvalid, "digest", "una entrada de campo debe seguir inmediatamente a su acto", "a field entry must directly follow its act")
	}
	body, err := fastcodec.MarshalCanonical(last.rec)
	if err != nil {
		return nil, custody.Errorf(custody.EInvalid, "digest", "el acto no se puede codificar", "the act cannot be encoded")
	}
	if dg := custody.ActDigest(last.op, body); hex.EncodeToString(dg[:]) != r.Digest {
		return nil, custody.Errorf(custody.EInvalid, "digest", "la entrada de campo no corresponde al acto que la precede", "the field entry is not for the act before it")
	}
	if d == nil {
		d = &FieldDevice{Officer: r.Officer, Entries: map[int64]*FieldInfo{}}
		s.Devices[r.Device] = d
	}
	fi := &FieldInfo{FieldEntry: *r, Event: last.seq, Seq: seq, Ref: refOf(last.rec)}
	fi.ActAt, _ = Claimed(last.rec)
	if act, err := custody.ParseTime(fi.ActAt); err == nil {
		if got, err := custody.ParseTime(r.ReceivedAt); err == nil {
			fi.Gap = got.Sub(act)
			fi.Late = fi.Gap > LateSync
		}
	}
	d.Entries[r.Seq] = fi
	s.Field[last.seq] = fi
	return &Applied{Case: last.kase}, nil
}

func validateField(r *FieldEntry) *custody.Error {
	switch {
	case !casefile.ValidID(r.Device):
		return custody.Errorf(custody.EInvalid, "device", "%q no es un identificador de dispositivo válido (letras, dígitos y ._:-, hasta 64)", "%q is not a valid device id (letters, digits and ._:-, up to 64)", Clip(r.Device))
	case r.Seq < 1:
		return custody.Errorf(custody.EInvalid, "seq", "el número de secuencia del dispositivo empieza en 1", "the device's sequence number starts at 1")
	case !casefile.ValidID(r.Officer):
		return custody.Errorf(custody.EInvalid, "officer", "campo obligatorio", "required field")
	case !FieldOps[r.Op]:
		return custody.Errorf(custody.EInvalid, "op", "un dispositivo no registra %q", "a device does not record %q", Clip(r.Op))
	case !isHex64(r.Digest):
		return custody.Errorf(custody.EInvalid, "digest", "debe ser un SHA-256 en hexadecimal (64 caracteres)", "must be a hex SHA-256 (64 characters)")
	case r.Clock != "" && r.Clock != ClockAhead && r.Clock != ClockBehind:
		return custody.Errorf(custody.EInvalid, "clock", "valor %q no admitido; se admiten: ahead, behind", "value %q is not allowed; allowed: ahead, behind", r.Clock)
	}
	for _, f := range []struct{ name, v string }{{"device_clock", r.DeviceClock}, {"device_sent", r.DeviceSent}, {"received_at", r.ReceivedAt}} {
		if _, err := custody.ParseTime(f.v); err != nil {
			return custody.Errorf(custody.EInvalid, f.name, "%q no es una hora RFC 3339 con zona horaria (p. ej. 2023-12-14T06:30:00-05:00)", "%q is not an RFC 3339 time with an offset (e.g. 2023-12-14T06:30:00-05:00)", f.v)
		}
	}
	return nil
}

// LateEntry is an act that arrived from a field device more than
// LateSync after its own time, in a report.
type LateEntry struct {
	Event int64  `json:"event"`
	Op    string `json:"op"`
	Ref   string `json:"ref"` // its item, detention or site
	FieldArrival
	ActAt string `json:"act_at"`
}

// LateEntries lists the late-synced acts of operation op known at asOf
// (arrived by then), oldest event first: its sites' statuses, its
// detentions and the acts on items seized at its sites.
func (s *State) LateEntries(op string, asOf time.Time) []LateEntry {
	out := []LateEntry{}
	for _, fi := range s.Field {
		if !fi.Late {
			continue
		}
		if got, err := custody.ParseTime(fi.ReceivedAt); err != nil || got.After(asOf) {
			continue
		}
		in := false
		switch fi.Op {
		case casefile.OpSiteStatus:
			site := s.Sites[fi.Ref]
			in = site != nil && site.Operation == op
		case casefile.OpDetention, casefile.OpDetentionUpd:
			d := s.Detentions[fi.Ref]
			in = d != nil && s.BelongsTo(d, op)
		default:
			if it := s.Items[fi.Ref]; it != nil && it.Seize != nil {
				site := s.Sites[it.Seize.Site]
				in = site != nil && site.Operation == op
			}
		}
		if in {
			out = append(out, LateEntry{Event: fi.Event, Op: fi.Op, Ref: fi.Ref, FieldArrival: *fi.Arrival(), ActAt: fi.ActAt})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return out
}

// Clip is s as a refusal may repeat it: its first 80 bytes (whole
// characters) and "…" when it is longer, so that a value sent to be
// refused does not come back, or go to the server's log, at its full size.
func Clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
