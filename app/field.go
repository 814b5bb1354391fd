package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Field capture (issue 18; the record is domain/field.go). A device queues
// acts signed by its officer while it has no network and sends them, in
// its own order, when it is back in coverage. SyncField records each one
// through the signed write path, with its field.entry in the same
// transaction, and answers entry by entry: recorded, already recorded (a
// retried batch: nothing is recorded twice), or refused with the reason.
// A refused entry does not stop the batch.

// MaxFieldBatch is the most entries one sync may carry.
const MaxFieldBatch = 500

// FieldEntry is one entry of a device's batch, as a door decoded it.
type FieldEntry struct {
	Device      string
	Seq         int64
	DeviceClock string // the device's clock when the act was signed
	Op          string
	Rec         any // the act's record; nil when Err is set
	Sigs        []custody.Sig
	Err         error // why the door could not read the entry
}

// FieldBatch is what a device sends.
type FieldBatch struct {
	SentAt  string // the device's clock when it sent the batch
	Entries []FieldEntry
}

// Statuses of a FieldResult.
const (
	FieldRecorded = "recorded" // recorded by this sync
	FieldAlready  = "already"  // recorded by an earlier sync of the same entry
	FieldRefused  = "refused"  // not recorded; Error says why
)

// FieldResult is the answer for one entry.
type FieldResult struct {
	Device      string `json:"device"`
	Seq         int64  `json:"seq"`
	Status      string `json:"status"`
	Event       int64  `json:"event,omitempty"` // the act's event
	Op          string `json:"op,omitempty"`
	ActAt       string `json:"act_at,omitempty"`       // the act's own time, the device's
	DeviceClock string `json:"device_clock,omitempty"` // the device's clock when it signed
	ReceivedAt  string `json:"received_at,omitempty"`  // the arrival, the server's clock
	Late        bool   `json:"late,omitempty"`         // arrived more than domain.LateSync after its time
	Clock       string `json:"clock,omitempty"`        // domain.ClockAhead or ClockBehind: flagged
	// Error is why the entry was refused.
	Error *custody.Error `json:"-"`
}

// FieldSync is the answer to a batch.
type FieldSync struct {
	ServerTime  string        `json:"server_time"`
	DeviceSent  string        `json:"device_sent"`
	SkewSeconds int64         `json:"skew_seconds"`    // the device's clock minus the server's
	Clock       string        `json:"clock,omitempty"` // flagged when beyond the allowed skew
	SkewMinutes int64         `json:"allowed_skew_minutes"`
	Results     []FieldResult `json:"results"`
}

// fieldLocks serialises the syncs of one device: two retries of the same
// batch in flight at once must not both find an entry unrecorded. A
// device's name picks one of a fixed set of locks, so that names sent by a
// client (any number of them, of any length before they are checked) cost
// no memory that stays; two devices that share a lock only take turns.
type fieldLocks struct {
	l [64]sync.Mutex
}

func (f *fieldLocks) of(device string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(device))
	return &f.l[h.Sum32()%uint32(len(f.l))]
}

// OnFieldEntry sets a function called after each entry of a sync is
// answered, in order, with the sync's context (tests cut a sync there;
// nil for none).
func (s *Service) OnFieldEntry(f func(context.Context, FieldResult)) { s.fieldHook.Store(&f) }

// SyncField records a device's batch as p, whose officer holds the device.
// Entries are taken in the device's order (by device, then sequence
// number), each on its own: one refused does not stop the others. When ctx
// ends (the device went out of coverage again), the entries not yet taken
// are left for the next sync and the error says so; those taken are
// recorded, and the retry answers them as already recorded.
func (s *Service) SyncField(ctx context.Context, p *Principal, b *FieldBatch) (*FieldSync, error) {
	if err := ReadOnly(p); err != nil {
		return nil, err
	}
	if p.Officer == "" {
		return nil, Forbidden("solo una cuenta vinculada a un funcionario sincroniza un dispositivo de campo", "only an account linked to an officer syncs a field device")
	}
	if len(b.Entries) > MaxFieldBatch {
		return nil, Invalid("entries", fmt.Sprintf("a lo sumo %d entradas por sincronización", MaxFieldBatch), fmt.Sprintf("at most %d entries per sync", MaxFieldBatch))
	}
	sent, err := custody.ParseTime(b.SentAt)
	if err != nil {
		return nil, Invalid("sent_at", "falta la hora del dispositivo al enviar (RFC 3339 con zona horaria)", "the device's time at sending is missing (RFC 3339 with an offset)")
	}
	now := s.now()
	var cfg domain.Config
	s.View(func(st *domain.State) error { cfg = st.Config(); return nil })
	allowed := time.Duration(cfg.ClockSkewMinutes) * time.Minute
	if cfg.ClockSkewMinutes <= 0 {
		allowed = domain.DefaultClockSkewMinutes * time.Minute
	}
	skew := sent.Sub(now).Truncate(time.Second)
	out := &FieldSync{ServerTime: now.UTC().Format(time.RFC3339), DeviceSent: b.SentAt, SkewSeconds: int64(skew / time.Second),
		Clock: clockFlag(skew, allowed), SkewMinutes: int64(allowed / time.Minute), Results: []FieldResult{}}
	entries := slices.Clone(b.Entries)
	slices.SortStableFunc(entries, func(a, b FieldEntry) int {
		if c := strings.Compare(a.Device, b.Device); c != 0 {
			return c
		}
		return int(min(max(a.Seq-b.Seq, -1), 1))
	})
	for i := range entries {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := s.fieldEntry(ctx, p, &entries[i], b.SentAt, skew, allowed)
		if r.Clock == "" && r.Status != FieldAlready {
			r.Clock = out.Clock
		}
		out.Results = append(out.Results, r)
		if h := s.fieldHook.Load(); h != nil && *h != nil {
			(*h)(ctx, r)
		}
	}
	return out, nil
}

// clockFlag says whether a skew is beyond the allowed one, and which way.
func clockFlag(skew, allowed time.Duration) string {
	switch {
	case skew > allowed:
		return domain.ClockAhead
	case skew < -allowed:
		return domain.ClockBehind
	}
	return ""
}

// fieldEntry records one entry.
func (s *Service) fieldEntry(ctx context.Context, p *Principal, e *FieldEntry, sent string, skew, allowed time.Duration) FieldResult {
	r := FieldResult{Device: domain.Clip(e.Device), Seq: e.Seq, Op: domain.Clip(e.Op), DeviceClock: domain.Clip(e.DeviceClock)}
	refuse := func(err error) FieldResult {
		r.Status = FieldRefused
		var ce *custody.Error
		if !errors.As(err, &ce) {
			s.log.Error("field entry failed", "device", domain.Clip(e.Device), "seq", e.Seq, "err", err.Error())
			ce = custody.Errorf(custody.EInternal, "", "error interno; vuelva a sincronizar más tarde", "internal error; sync again later")
		}
		if skew > allowed && (ce.Field == "at" || strings.HasSuffix(ce.Field, "_at")) {
			// The act's time is later than the server's because the
			// device's clock is ahead: say so, it is the thing to fix.
			c := *ce
			c.Message = fmt.Sprintf("el reloj del dispositivo está adelantado %s respecto del servidor; corríjalo y rehaga la entrada: %s", fmtSkew(skew), ce.Message)
			c.MessageEN = fmt.Sprintf("the device's clock is %s ahead of the server's; correct it and redo the entry: %s", fmtSkew(skew), ce.MessageEN)
			ce = &c
		}
		r.Error = ce
		return r
	}
	if e.Err != nil {
		return refuse(e.Err)
	}
	if e.Rec == nil {
		return refuse(Invalid("record", "falta el registro del acto", "the act's record is missing"))
	}
	r.ActAt, _ = domain.Claimed(e.Rec)
	if len(e.Sigs) == 0 {
		return refuse(custody.Errorf(custody.EForbidden, "sigs", "una entrada de campo se firma en el dispositivo, con la llave de quien la hace", "a field entry is signed on the device, with the key of whoever makes it"))
	}
	_, digest, err := ActDigest(e.Op, e.Rec)
	if err != nil {
		return refuse(Invalid("record", "el registro no se puede codificar", "the record cannot be encoded"))
	}
	dg := hex.EncodeToString(digest[:])

	lock := s.fieldLocks.of(e.Device)
	lock.Lock()
	defer lock.Unlock()

	now := s.now()
	fe := &domain.FieldEntry{Device: e.Device, Seq: e.Seq, Officer: p.Officer, Op: e.Op, Digest: dg, DeviceClock: e.DeviceClock,
		DeviceSent: sent, ReceivedAt: now.UTC().Format(time.RFC3339), SkewSeconds: int64(skew / time.Second), Clock: clockFlag(skew, allowed)}
	if dc, err := custody.ParseTime(e.DeviceClock); err == nil && fe.Clock == "" && dc.Sub(now) > allowed {
		// Signed "later" than the server's now: the clock was ahead then.
		fe.Clock = domain.ClockAhead
	}
	if ce := domain.ValidateSystem(fe); ce != nil {
		return refuse(ce)
	}
	// The entry already recorded, or its number taken by another act.
	var known *domain.FieldInfo
	var cerr *custody.Error
	s.View(func(st *domain.State) error {
		if ce := st.Config().Admit(fe, now); ce != nil {
			cerr = ce
			return nil
		}
		cerr = fieldOwner(st, fe)
		if fi := st.FieldEntryOf(e.Device, e.Seq); fi != nil && cerr == nil {
			k := *fi
			known = &k
		}
		return nil
	})
	if cerr != nil {
		return refuse(cerr)
	}
	if known != nil {
		if known.Digest != dg {
			return refuse(custody.Errorf(custody.EConflict, "seq", "el número %d del dispositivo %s ya se usó para otro acto (evento %d): cada entrada lleva su propio número",
				"number %d of device %s was already used for another act (event %d): each entry has its own number", e.Seq, e.Device, known.Event))
		}
		r.Status, r.Event, r.ReceivedAt, r.Clock = FieldAlready, known.Event, known.ReceivedAt, known.Clock
		r.DeviceClock = known.DeviceClock
		r.Late = known.Late
		return r
	}
	check := func(st *domain.State) error {
		if err := fieldOwner(st, fe); err != nil {
			return err
		}
		if st.FieldEntryOf(e.Device, e.Seq) != nil {
			return custody.Errorf(custody.EConflict, "seq", "la entrada %d del dispositivo %s se está registrando por otra vía; sincronice de nuevo", "entry %d of device %s is being recorded by another path; sync again", e.Seq, e.Device)
		}
		if sz, ok := e.Rec.(*custody.Seize); ok && s.Policy.Case(st, p, sz.Case) == nil {
			return fieldConflict(st, sz)
		}
		return nil
	}
	res, extra, err := s.writeRecordWith(ctx, p, e.Op, e.Rec, e.Sigs, check, ledger.Record{Op: domain.OpFieldEntry, Rec: fe})
	if err != nil {
		return refuse(err)
	}
	if extra[0].Err != nil {
		// Only another writer of the same device between the check and
		// the append gets here: the act is in, its arrival is not.
		s.log.Error("field entry recorded without its arrival", "device", e.Device, "seq", e.Seq, "event", res.Seq, "err", extra[0].Err.Error())
	}
	r.Status, r.Event, r.ReceivedAt, r.Clock = FieldRecorded, res.Seq, fe.ReceivedAt, fe.Clock
	r.Late = lateSync(r.ActAt, fe)
	return r
}

func lateSync(actAt string, fe *domain.FieldEntry) bool {
	t, err := custody.ParseTime(actAt)
	return err == nil && fe.ArrivedLate(t)
}

// fieldOwner refuses a device that another officer's entries came from.
func fieldOwner(st *domain.State, fe *domain.FieldEntry) *custody.Error {
	if d := st.Devices[fe.Device]; d != nil && d.Officer != fe.Officer {
		return custody.Errorf(custody.EConflict, "device", "el dispositivo %s está vinculado a otro funcionario", "device %s is linked to another officer", fe.Device)
	}
	return nil
}

// fieldConflict refuses what two teams recording offline can each believe
// they were first to do, beyond the domain's own refusals (an item id
// taken, a handover by someone who no longer holds the item, a status of
// a concluded site): a seizure under a seal already on another item of
// the case, which is the same item seized twice under two ids.
// The caller is a member of the seizure's case.
func fieldConflict(st *domain.State, sz *custody.Seize) error {
	if it := st.Items[sz.ID]; it != nil && it.Case == sz.Case && it.Seize != nil {
		return custody.Errorf(custody.EConflict, "id", "la evidencia %s ya fue incautada (%s, por %s): la misma evidencia no se incauta dos veces", "item %s was already seized (%s, by %s): the same item is not seized twice", sz.ID, it.Seize.SeizedAt, it.Seize.SeizedBy)
	}
	if sz.Seal == "" {
		return nil
	}
	for _, it := range st.Items {
		if it.Case == sz.Case && it.ID != sz.ID && !it.Disposed && it.Seal == sz.Seal {
			return custody.Errorf(custody.EConflict, "seal", "el precinto %s ya está en la evidencia %s: la misma evidencia no se incauta dos veces", "seal %s is already on item %s: the same item is not seized twice", sz.Seal, it.ID)
		}
	}
	return nil
}

// fmtSkew writes a clock skew as "3 h 0 min".
func fmtSkew(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	m := int64(d / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %d min", m/60, m%60)
}
