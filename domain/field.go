package domain

import (
	"encoding/hex"
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
	Event int64 // the act's event
	Seq   int64 // the field.entry's own event
}

// Late reports whether the act, at its own time act, arrived more than
// LateSync after it.
func (f *FieldInfo) Late(act time.Time) bool {
	got, err := custody.ParseTime(f.ReceivedAt)
	return err == nil && got.Sub(act) > LateSync
}

// Gap is how long after its own time (act) the act arrived.
func (f *FieldInfo) Gap(act time.Time) time.Duration {
	got, err := custody.ParseTime(f.ReceivedAt)
	if err != nil {
		return 0
	}
	return got.Sub(act)
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
	fi := &FieldInfo{FieldEntry: *r, Event: last.seq, Seq: seq}
	d.Entries[r.Seq] = fi
	s.Field[last.seq] = fi
	return &Applied{Case: last.kase}, nil
}

func validateField(r *FieldEntry) *custody.Error {
	switch {
	case !casefile.ValidID(r.Device):
		return custody.Errorf(custody.EInvalid, "device", "%q no es un identificador de dispositivo válido (letras, dígitos y ._:-, hasta 64)", "%q is not a valid device id (letters, digits and ._:-, up to 64)", r.Device)
	case r.Seq < 1:
		return custody.Errorf(custody.EInvalid, "seq", "el número de secuencia del dispositivo empieza en 1", "the device's sequence number starts at 1")
	case !casefile.ValidID(r.Officer):
		return custody.Errorf(custody.EInvalid, "officer", "campo obligatorio", "required field")
	case !FieldOps[r.Op]:
		return custody.Errorf(custody.EInvalid, "op", "un dispositivo no registra %q", "a device does not record %q", r.Op)
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
