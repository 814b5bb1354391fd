package domain

import (
	"fmt"
	"sort"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// Officer keys: the register of custody.OpKeyRequest, OpKeyApprove and
// OpKeyRevoke, and the rule that live acts carry their people's
// signatures (CheckSigs). The register lives in the state only (the log is
// its source; no projection table), like the credential commitments.

// OfficerKey is a registered key and where the log changed it.
type OfficerKey struct {
	custody.KeyRequest
	Public     custody.PublicKey
	Seq        int64 // the key.request
	ApprovedAt int64 // the key.approve, -1 before it
	RevokedAt  int64 // the key.revoke, -1 before it
	Reason     string
}

// ActiveAt reports whether the key signs validly in an event at seq: after
// its approval and before any revocation.
func (k *OfficerKey) ActiveAt(seq int64) bool {
	return k.ApprovedAt >= 0 && k.ApprovedAt < seq && (k.RevokedAt < 0 || seq < k.RevokedAt)
}

// Status is "requested", "active" or "revoked".
func (k *OfficerKey) Status() string {
	switch {
	case k.RevokedAt >= 0:
		return "revoked"
	case k.ApprovedAt >= 0:
		return "active"
	}
	return "requested"
}

// Fingerprint is the first 16 hex digits of the key's id, as shown to people.
func Fingerprint(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// OfficerKeys returns an officer's keys, oldest first.
func (s *State) OfficerKeys(officer string) []*OfficerKey {
	var out []*OfficerKey
	for _, k := range s.Keys {
		if k.Officer == officer {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// HasActiveKey reports whether an officer has a key that signs now.
func (s *State) HasActiveKey(officer string, next int64) bool {
	for _, k := range s.Keys {
		if k.Officer == officer && k.ActiveAt(next) {
			return true
		}
	}
	return false
}

func (s *State) applyKey(rec any, seq int64) (a *Applied, err *custody.Error, ok bool) {
	if a, err, ok := s.applyHandover(rec, seq); ok {
		return a, err, true
	}
	switch r := rec.(type) {
	case *custody.KeyRequest:
		if e := s.officer("officer", r.Officer); e != nil {
			return nil, e, true
		}
		pub, perr := custody.ParseKey(r)
		if perr != nil {
			return nil, custody.Errorf(custody.EInvalid, "public_key", "la clave no es válida: %[1]s", "the key is invalid: %[2]s", perr.Message, perr.MessageEN), true
		}
		if _, dup := s.Keys[r.Key]; dup {
			return nil, custody.Errorf(custody.EDuplicate, "key", "la clave %s ya está registrada", "key %s is already registered", Fingerprint(r.Key)), true
		}
		if perr := custody.CheckSig(pub, custody.KeyDigest(r.Officer, r.Key), r.ProofSig()); perr != nil {
			return nil, custody.Errorf(custody.EInvalid, "proof", "la prueba de posesión de la clave no es válida: %[1]s", "the proof of possession is invalid: %[2]s", perr.Message, perr.MessageEN), true
		}
		if r.Replaces != "" {
			old := s.Keys[r.Replaces]
			if old == nil || old.Officer != r.Officer {
				return nil, ref("replaces", "la clave/key", r.Replaces), true
			}
		}
		s.Keys[r.Key] = &OfficerKey{KeyRequest: *r, Public: pub, Seq: seq, ApprovedAt: -1, RevokedAt: -1}
		return &Applied{}, nil, true
	case *KeyApprove:
		k := s.Keys[r.Key]
		switch {
		case k == nil:
			return nil, ref("key", "la clave/key", r.Key), true
		case k.RevokedAt >= 0:
			return nil, rule("key", "la clave %s fue revocada", "key %s was revoked", Fingerprint(r.Key)), true
		case k.ApprovedAt >= 0:
			return nil, custody.Errorf(custody.EConflict, "key", "la clave %s ya está aprobada", "key %s is already approved", Fingerprint(r.Key)), true
		}
		k.ApprovedAt = seq
		// A replacement takes over from the key it replaces.
		if old := s.Keys[k.Replaces]; old != nil && old.RevokedAt < 0 {
			old.RevokedAt, old.Reason = seq, "reemplazada por "+Fingerprint(k.Key)
		}
		return &Applied{}, nil, true
	case *KeyRevoke:
		k := s.Keys[r.Key]
		switch {
		case k == nil:
			return nil, ref("key", "la clave/key", r.Key), true
		case k.RevokedAt >= 0:
			return nil, custody.Errorf(custody.EConflict, "key", "la clave %s ya fue revocada", "key %s was already revoked", Fingerprint(r.Key)), true
		}
		k.RevokedAt, k.Reason = seq, r.Reason
		return &Applied{}, nil, true
	}
	return nil, nil, false
}

// CheckSigs is the rule of personal signatures for an act about to be
// logged at seq with the canonical record body. Every signature must be by
// an active key of the officer its role names, over the act's digest. A
// transfer recorded live needs both its giver's and its receiver's; any
// other act needs its actor's once the actor has an active key. Imports
// carry none (the history of a case file is on paper).
func (s *State) CheckSigs(op string, rec any, body []byte, sigs []custody.Sig, live bool, seq int64) *custody.Error {
	jobs, e := s.CheckSigsDeferred(op, rec, body, sigs, live, seq)
	if e != nil {
		return e
	}
	for _, j := range jobs {
		if e := j.Check(); e != nil {
			return e
		}
	}
	return nil
}

// SigCheck is the cryptographic half of one signature's check, which
// depends on nothing but its inputs (a key's public key is fixed by its
// id), so that it can run outside the ledger's lock or in parallel.
type SigCheck struct {
	Key     custody.PublicKey
	Digest  [32]byte
	Sig     custody.Sig
	Officer string
}

// Check verifies the signature.
func (j SigCheck) Check() *custody.Error {
	if err := custody.CheckSig(j.Key, j.Digest, j.Sig); err != nil {
		return custody.Errorf(custody.EInvalid, "sigs", "la firma de %[1]s no corresponde a este acto: %[2]s", "the signature of %[1]s is not for this act: %[3]s", j.Officer, err.Message, err.MessageEN)
	}
	return nil
}

// CheckSigsDeferred is CheckSigs without the cryptography: every rule is
// checked against the state, and the signatures to verify are returned.
func (s *State) CheckSigsDeferred(op string, rec any, body []byte, sigs []custody.Sig, live bool, seq int64) ([]SigCheck, *custody.Error) {
	// The record's own refusal comes first: a handover of an item its
	// giver does not hold is refused for that, signed or not.
	if t, ok := rec.(*custody.Transfer); ok && live {
		if e := s.precheckTransfer(t, seq); e != nil {
			return nil, e
		}
	}
	signers := custody.Signers(op, body)
	if !live {
		if len(sigs) > 0 {
			return nil, custody.Errorf(custody.EInvalid, "sigs", "un acto importado no lleva firmas personales", "an imported act carries no personal signatures")
		}
		return nil, nil
	}
	if signers == nil {
		if _, by := Claimed(rec); by != "" {
			signers = map[string]string{custody.RoleBy: by}
		}
	}
	digest := custody.ActDigest(op, body)
	got := map[string]bool{}
	var jobs []SigCheck
	for _, g := range sigs {
		officer, named := signers[g.Role]
		if !named {
			return nil, custody.Errorf(custody.EInvalid, "sigs", "este acto no tiene el papel %q para firmar", "this act has no %q role to sign", g.Role)
		}
		k, e := s.keyFor(officer, g, seq)
		if e != nil {
			return nil, e
		}
		jobs = append(jobs, SigCheck{Key: k.Public, Digest: digest, Sig: g, Officer: officer})
		got[g.Role] = true
	}
	if t, ok := rec.(*custody.Transfer); ok {
		switch {
		case !got[custody.RoleFrom]:
			return nil, custody.Errorf(custody.EForbidden, "sigs", "la entrega necesita la firma de quien entrega (%s)", "the handover needs the giver's signature (%s)", t.From)
		case !got[custody.RoleTo]:
			return nil, custody.Errorf(custody.EForbidden, "sigs", "la entrega necesita la firma de quien recibe (%s): ofrézcala y espere su aceptación", "the handover needs the receiver's signature (%s): offer it and wait for acceptance", t.To)
		}
		return jobs, nil
	}
	if by := signers[custody.RoleBy]; by != "" && !got[custody.RoleBy] && s.HasActiveKey(by, seq) {
		return nil, custody.Errorf(custody.EForbidden, "sigs", "%s tiene una clave registrada: el acto debe llevar su firma", "%s has a registered key: the act must carry their signature", by)
	}
	return jobs, nil
}

// precheckTransfer applies the custody rules of a transfer to a copy of
// its item, changing nothing.
func (s *State) precheckTransfer(t *custody.Transfer, seq int64) *custody.Error {
	it, e := s.item("item", t.Item)
	if e != nil {
		return e
	}
	if e := s.officer("to", t.To); e != nil {
		return e
	}
	at, err := custody.ParseTime(t.At)
	if err != nil {
		return nil // Validate reports it
	}
	cp := it.Item
	if _, err := cp.Transfer(t, at, seq); err != nil {
		return asError(err)
	}
	return nil
}

// checkSig checks one signature of officer over digest, in an event at seq.
func (s *State) checkSig(officer string, g custody.Sig, digest [32]byte, seq int64) *custody.Error {
	k, e := s.keyFor(officer, g, seq)
	if e != nil {
		return e
	}
	return SigCheck{Key: k.Public, Digest: digest, Sig: g, Officer: officer}.Check()
}

// keyFor is the key a signature names, if it is officer's and in force at
// seq.
func (s *State) keyFor(officer string, g custody.Sig, seq int64) (*OfficerKey, *custody.Error) {
	k := s.Keys[g.Key]
	switch {
	case k == nil:
		return nil, custody.Errorf(custody.EInvalid, "sigs", "la clave %s no está registrada", "key %s is not registered", Fingerprint(g.Key))
	case k.Officer != officer:
		return nil, custody.Errorf(custody.EForbidden, "sigs", "la clave %s es de %s, no de %s", "key %s belongs to %s, not %s", Fingerprint(g.Key), k.Officer, officer)
	case !k.ActiveAt(seq):
		es, en := "solicitada, aún sin aprobar", "requested, not yet approved"
		switch k.Status() {
		case "revoked":
			es, en = "revocada", "revoked"
		case "active":
			es, en = "aprobada después de este acto", "approved after this act"
		}
		return nil, &custody.Error{Code: custody.EForbidden, Field: "sigs",
			Message:   fmt.Sprintf("la clave %s de %s no está vigente (%s)", Fingerprint(g.Key), officer, es),
			MessageEN: fmt.Sprintf("key %s of %s is not in force (%s)", Fingerprint(g.Key), officer, en)}
	}
	return k, nil
}

// KeyApprove is key.approve (custody.OpKeyApprove): an administrator approves a requested key.
// It signs validly from this event on.
type KeyApprove struct {
	Key string `json:"key"`
	At  string `json:"at"`
}

// KeyRevoke is key.revoke (custody.OpKeyRevoke): from this event on, the key signs nothing valid.
type KeyRevoke struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
	At     string `json:"at"`
}

// Handovers that wait for their receiver. The giver signs the transfer and
// offers it (handover.offer); the receiver accepts by signing the same act,
// which then is logged as the custody.transfer with both signatures. The
// giver may withdraw an open offer (handover.withdraw); an offer past its
// expiry can no longer be accepted. Offers are logged so that who offered
// what to whom, and when it was withdrawn, is part of the record.
const (
	OpHandoverOffer    = "handover.offer"
	OpHandoverWithdraw = "handover.withdraw"
)

// HandoverOffer is handover.offer: the transfer as the giver signed it.
type HandoverOffer struct {
	ID string `json:"id"`
	custody.Transfer
	Expires           string `json:"expires"`
	Key               string `json:"key"` // the giver's key
	Sig               string `json:"sig"`
	AuthenticatorData string `json:"authenticator_data,omitempty"`
	ClientDataJSON    string `json:"client_data_json,omitempty"`
}

// GiverSig is the giver's signature of the offered transfer.
func (o *HandoverOffer) GiverSig() custody.Sig {
	return custody.Sig{Key: o.Key, Role: custody.RoleFrom, Sig: o.Sig, AuthenticatorData: o.AuthenticatorData, ClientDataJSON: o.ClientDataJSON}
}

// HandoverWithdraw is handover.withdraw.
type HandoverWithdraw struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// Offer is a logged offer and what became of it.
type Offer struct {
	HandoverOffer
	Seq       int64
	Closed    string // "", "accepted", "withdrawn", "superseded"
	ClosedSeq int64
}

// OpenOffer returns the open offer of an item, if any.
func (s *State) OpenOffer(item string) *Offer {
	for _, o := range s.Offers {
		if o.Item == item && o.Closed == "" {
			return o
		}
	}
	return nil
}

func (s *State) applyHandover(rec any, seq int64) (a *Applied, err *custody.Error, ok bool) {
	switch r := rec.(type) {
	case *HandoverOffer:
		if _, taken := s.Offers[r.ID]; taken {
			return nil, dup("la oferta/offer", r.ID), true
		}
		it, e := s.item("item", r.Item)
		if e != nil {
			return nil, e, true
		}
		switch {
		case it.Disposed:
			return nil, rule("item", "la evidencia %s fue dispuesta", "item %s was disposed of", r.Item), true
		case it.Holder != r.From:
			return nil, rule("from", "%s no tiene la evidencia %s (la tiene %s)", "%s does not hold item %s (%s does)", r.From, r.Item, it.Holder), true
		case r.To == r.From:
			return nil, rule("to", "quien recibe debe ser otra persona", "the receiver must be someone else"), true
		case s.OpenOffer(r.Item) != nil:
			return nil, custody.Errorf(custody.EConflict, "item", "ya hay una entrega de %s esperando a su receptor", "a handover of %s is already waiting for its receiver", r.Item), true
		}
		if e := s.officer("to", r.To); e != nil {
			return nil, e, true
		}
		body, merr := fastcodec.MarshalCanonical(&r.Transfer)
		if merr != nil {
			return nil, custody.Errorf(custody.EInvalid, "", "la entrega no se puede codificar", "the handover cannot be encoded"), true
		}
		if e := s.checkSig(r.From, r.GiverSig(), custody.ActDigest(custody.OpTransfer, body), seq); e != nil {
			return nil, e, true
		}
		s.Offers[r.ID] = &Offer{HandoverOffer: *r, Seq: seq}
		return &Applied{}, nil, true
	case *HandoverWithdraw:
		o := s.Offers[r.ID]
		switch {
		case o == nil:
			return nil, ref("id", "la oferta/offer", r.ID), true
		case o.Closed != "":
			return nil, custody.Errorf(custody.EConflict, "id", "la entrega ya no está pendiente (%s)", "the handover is no longer pending (%s)", o.Closed), true
		}
		o.Closed, o.ClosedSeq = "withdrawn", seq
		return &Applied{}, nil, true
	}
	return nil, nil, false
}

// closeOffer closes an item's open offer when a transfer of the item is
// logged: accepted if it is the offered act, superseded otherwise.
func (s *State) closeOffer(t *custody.Transfer, seq int64) {
	if o := s.OpenOffer(t.Item); o != nil {
		o.Closed, o.ClosedSeq = "superseded", seq
		if o.Transfer == *t {
			o.Closed = "accepted"
		}
	}
}
