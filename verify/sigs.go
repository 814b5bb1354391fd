package verify

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/custodia-ec/custodia/custody"
)

// Personal signatures (custody/sig.go). The bundle carries the key
// register's events of the keys that signed its acts; each is proven in the
// checkpoint like any event. A key signs validly after its approval and
// before its revocation, by log index. What the bundle cannot show is a
// revocation it leaves out: `custodia audit` checks every signature against
// the whole log.

// Signature states of a step.
const (
	SignedAll      = "complete" // every person the act names signed it
	SignedPartly   = "partial"
	SignedNone     = "none"
	SignedImported = "imported" // from a case file: no personal signature exists
)

// key is a key of the register, as the bundle proves it.
type key struct {
	req               custody.KeyRequest
	pub               custody.PublicKey
	approved, revoked int64 // the events' indexes, -1 when absent
}

// readKeys checks the bundle's key events and returns the register.
func readKeys(list []BundleEvent, cp *Checkpoint) (map[string]*key, error) {
	keys := map[string]*key{}
	for _, e := range list {
		ev, err := checkEvent(e, cp)
		if err != nil {
			return nil, err
		}
		var r custody.KeyRequest // key.approve and key.revoke use its key field
		ok := custody.DecodeStrict(ev.Record, &r, "reason") == nil
		k := keys[r.Key]
		switch {
		case ok && ev.Op == custody.OpKeyRequest && k == nil:
			pub, perr := custody.ParseKey(&r)
			if perr == nil {
				perr = custody.CheckSig(pub, custody.KeyDigest(r.Officer, r.Key), r.ProofSig())
			}
			if perr != nil {
				return nil, tampered(CheckSignature, e.Index, "keys", "la solicitud de la clave no es válida: %[1]s", "the key request is invalid: %[2]s", perr.Message, perr.MessageEN)
			}
			keys[r.Key] = &key{req: r, pub: pub, approved: -1, revoked: -1}
		case ok && ev.Op == custody.OpKeyApprove && k != nil && k.approved < 0:
			k.approved = e.Index
		case ok && ev.Op == custody.OpKeyRevoke && k != nil && k.revoked < 0:
			k.revoked = e.Index
		default:
			return nil, invalid(CheckSignature, e.Index, "keys", "el evento %s no es una solicitud, aprobación o revocación de una clave anterior del paquete", "event %s is not a request, approval or revocation of an earlier key of the bundle", ev.Op)
		}
	}
	return keys, nil
}

// signatures checks the personal signatures of the act at index and says
// who signed it. A transfer recorded live must carry its giver's and its
// receiver's; an imported act carries none.
func (r *replay) signatures(index int64, c *checked) (string, []custody.Sig, error) {
	ev, need := c.ev, c.need
	if ev.Recorded.Import != nil {
		return SignedImported, nil, nil
	}
	for j, g := range ev.Sigs {
		k, officer := r.keys[g.Key], need[g.Role]
		if officer == "" || k == nil || k.req.Officer != officer {
			return "", nil, tampered(CheckSignature, index, "sigs", "la firma en el papel %q con la clave %s no es de una clave que el paquete registre para quien el acto nombra en ese papel", "the signature in role %q with key %s is not by a key the bundle registers for whom the act names in that role", g.Role, g.Key)
		}
		if k.approved < 0 || k.approved > index || (k.revoked >= 0 && k.revoked < index) {
			return "", nil, tampered(CheckSignature, index, "sigs", "la firma de %[1]s no vale para este acto: la clave %[2]s no estaba vigente (aprobada en %[3]d, revocada en %[4]d)",
				"%[1]s's signature is not valid for this act: key %[2]s was not in force (approved at %[3]d, revoked at %[4]d)", officer, g.Key, k.approved, k.revoked)
		}
		if p := c.sigErr[j]; p != nil {
			return "", nil, tampered(CheckSignature, index, "sigs", "la firma de %[1]s no vale para este acto: %[2]s", "%[1]s's signature is not valid for this act: %[3]s", officer, p.Message, p.MessageEN)
		}
	}
	status := SignedPartly
	switch len(ev.Sigs) {
	case len(need):
		status = SignedAll
	case 0:
		status = SignedNone
	}
	if ev.Op == custody.OpTransfer && status != SignedAll {
		return "", nil, tampered(CheckSignature, index, "sigs", "la entrega se registró sin la firma de quien entrega y de quien recibe (%s -> %s)", "the handover was recorded without both the giver's and the receiver's signatures (%s -> %s)", need[custody.RoleFrom], need[custody.RoleTo])
	}
	return status, ev.Sigs, nil
}

// checked is an event as checkAll leaves it for the replay: read, its
// record decoded, its signers named, and its signatures checked once
// wait returns for it.
type checked struct {
	ev     *custody.Event
	rec    any               // custody.DecodeItemRecord's result, or
	recErr error             // its error, which the replay reports in order
	need   map[string]string // custody.Signers: role -> officer
	sigErr []*custody.Error  // each signature's check: nil when it verifies
}

// checkAll checks the bundle's events on every core before the replay
// reads them in order: each event in the tree and well formed
// (checkEvent), its record decoded and its signers named. On failure it
// returns the error of the first event, in bundle order, that failed, as
// a check one by one would. It then checks the signatures (nil when one
// verifies with the key it names; a key the bundle does not register is
// left to signatures, which refuses it) on every core while the replay
// reads the events, so that the replay's time is not added to theirs:
// wait(i) returns once event i's are checked, and stop ends the checking
// when the replay ends before the last event.
func checkAll(ctx context.Context, bes []BundleEvent, cp *Checkpoint, keys map[string]*key) (out []checked, wait func(int), stop func(), err error) {
	out, fails, done := make([]checked, len(bes)), make([]error, len(bes)), make([]chan struct{}, len(bes))
	parallel(len(bes), func(i int) bool {
		if err := stopped(ctx, bes[i].Index); err != nil { // a stopped verification gives no verdict
			fails[i] = err
			return false
		}
		ev, err := checkEvent(bes[i], cp)
		if err != nil {
			fails[i] = err
			return false
		}
		c := &out[i]
		c.ev, c.sigErr, c.need, done[i] = ev, make([]*custody.Error, len(ev.Sigs)), custody.Signers(ev.Op, ev.Record), make(chan struct{})
		c.rec, c.recErr = custody.DecodeItemRecord(ev.Op, ev.Record)
		return true
	})
	// A worker leaves events unread only after a failure at an earlier
	// index, which this loop meets first.
	for i := range out {
		if fails[i] != nil {
			return nil, nil, nil, fails[i]
		}
	}
	var quit atomic.Bool
	go parallel(len(out), func(i int) bool {
		c := &out[i]
		digest := custody.ActDigest(c.ev.Op, c.ev.Record)
		for j, g := range c.ev.Sigs {
			if k := keys[g.Key]; k != nil {
				c.sigErr[j] = custody.CheckSig(k.pub, digest, g)
			}
		}
		close(done[i])
		return !quit.Load()
	})
	return out, func(i int) { <-done[i] }, func() { quit.Store(true) }, nil
}

// parallel calls f(i) for every i below n on every core, each core taking
// the next i not yet taken (so a core the machine slows takes fewer); a
// core stops at the first i for which f returns false, after which no i
// below it is left uncalled unless f failed there too.
func parallel(n int, f func(i int) bool) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && f(i); i = int(next.Add(1)) - 1 {
			}
		})
	}
	wg.Wait()
}
