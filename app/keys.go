package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Officer keys and handovers: the application's side of domain/keys.go.
// Every door (API, web, CLI) calls these; the rules themselves are in the
// domain and hold for any writer.

// MaxHandoverWait is the longest an offered handover may wait for its
// receiver; DefaultHandoverWait is what a caller gets without asking.
const (
	MaxHandoverWait     = 72 * time.Hour
	DefaultHandoverWait = 2 * time.Hour
)

// RequestKey logs a key.request for p's own officer. The request carries
// the key's proof of possession; it signs nothing until an administrator
// approves it.
func (s *Service) RequestKey(ctx context.Context, p *Principal, r *custody.KeyRequest) (*custody.KeyRequest, error) {
	if err := ReadOnly(p); err != nil {
		return nil, err
	}
	if p.Officer == "" {
		return nil, Forbidden("solo una cuenta vinculada a un funcionario registra claves", "only an account linked to an officer registers keys")
	}
	r.Officer = p.Officer
	r.At = s.now().UTC().Format(time.RFC3339)
	if pub, err := base64.RawURLEncoding.Strict().DecodeString(r.PublicKey); err == nil {
		r.Key = custody.KeyID(pub)
	}
	if _, err := s.Append(ctx, p, ledger.Record{Op: custody.OpKeyRequest, Rec: r}); err != nil {
		return nil, err
	}
	return r, nil
}

// ApproveKey logs an administrator's key.approve. No one approves a key of
// their own officer: enrolment takes two people.
func (s *Service) ApproveKey(ctx context.Context, p *Principal, key string) error {
	if err := ReadOnly(p); err != nil {
		return err
	}
	if !s.Policy.Can(p.Role, ActManageAccounts) {
		return Forbidden("solo un administrador aprueba claves", "only an administrator approves keys")
	}
	if err := Unscoped(p); err != nil {
		return err
	}
	check := func(st *domain.State) error {
		k := st.Keys[key]
		if k == nil {
			return NotFound()
		}
		if p.Officer != "" && k.Officer == p.Officer {
			return Forbidden("nadie aprueba su propia clave: otro administrador debe hacerlo", "no one approves their own key: another administrator must")
		}
		return nil
	}
	_, err := s.appendThen(ctx, p, check, nil, ledger.Record{Op: custody.OpKeyApprove, Rec: &domain.KeyApprove{Key: key, At: s.now().UTC().Format(time.RFC3339)}})
	return err
}

// RevokeKey logs a key.revoke, by the key's officer or an administrator.
func (s *Service) RevokeKey(ctx context.Context, p *Principal, key, reason string) error {
	if err := ReadOnly(p); err != nil {
		return err
	}
	check := func(st *domain.State) error {
		k := st.Keys[key]
		if k == nil || (k.Officer != p.Officer && !s.Policy.Can(p.Role, ActManageAccounts)) {
			return NotFound()
		}
		if k.Officer != p.Officer {
			return Unscoped(p)
		}
		return nil
	}
	_, err := s.appendThen(ctx, p, check, nil, ledger.Record{Op: custody.OpKeyRevoke, Rec: &domain.KeyRevoke{Key: key, Reason: reason, At: s.now().UTC().Format(time.RFC3339)}})
	return err
}

// KeyView is a key as the doors show it.
type KeyView struct {
	Key         string `json:"key"`
	Fingerprint string `json:"fingerprint"`
	Officer     string `json:"officer"`
	Alg         string `json:"alg"`
	Label       string `json:"label,omitempty"`
	Status      string `json:"status"` // requested, active, revoked
	RequestedAt string `json:"requested_at"`
	Seq         int64  `json:"seq"`
	Approved    int64  `json:"approved_seq,omitempty"`
	Revoked     int64  `json:"revoked_seq,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// Keys lists the keys p may see: an administrator's or auditor's view has
// every officer's (officer "" for all), anyone else only their own.
func (s *Service) Keys(p *Principal, officer string) ([]KeyView, error) {
	all := s.Policy.Can(p.Role, ActManageAccounts) || s.Policy.Can(p.Role, ActAudit)
	if !all {
		if p.Officer == "" || (officer != "" && officer != p.Officer) {
			return nil, Forbidden("solo puede ver sus propias claves", "you may only see your own keys")
		}
		officer = p.Officer
	}
	var out []KeyView
	err := s.View(func(st *domain.State) error {
		for _, k := range st.Keys {
			if officer != "" && k.Officer != officer {
				continue
			}
			v := KeyView{Key: k.Key, Fingerprint: domain.Fingerprint(k.Key), Officer: k.Officer, Alg: k.Alg, Label: k.Label, Status: k.Status(),
				RequestedAt: k.At, Seq: k.Seq, Reason: k.Reason}
			if k.ApprovedAt >= 0 {
				v.Approved = k.ApprovedAt
			}
			if k.RevokedAt >= 0 {
				v.Revoked = k.RevokedAt
			}
			out = append(out, v)
		}
		return nil
	})
	sortKeys(out)
	return out, err
}

func sortKeys(v []KeyView) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].Seq < v[j-1].Seq; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// ActDigest returns the canonical record of an act and the digest its
// signers sign, exactly as the ledger will check them: any client signs
// what the server will log.
func ActDigest(op string, rec any) (body []byte, digest [32]byte, err error) {
	body, err = fastcodec.MarshalCanonical(rec)
	if err != nil {
		return nil, digest, err
	}
	return body, custody.ActDigest(op, body), nil
}

// WriteSigned is WriteRecord with the act's personal signatures.
func (s *Service) WriteSigned(ctx context.Context, p *Principal, op string, rec any, sigs []custody.Sig, check func(st *domain.State) error) (*RecordResult, error) {
	return s.writeRecord(ctx, p, op, rec, sigs, check)
}

// OfferHandover logs the giver's signed offer of a transfer, to wait for
// its receiver. p must be the giver.
func (s *Service) OfferHandover(ctx context.Context, p *Principal, t *custody.Transfer, giver custody.Sig, wait time.Duration) (*domain.HandoverOffer, error) {
	if err := ReadOnly(p); err != nil {
		return nil, err
	}
	if wait <= 0 {
		wait = DefaultHandoverWait
	}
	if wait > MaxHandoverWait {
		return nil, Invalid("expires", "una entrega puede esperar a lo sumo 72 horas", "a handover may wait at most 72 hours")
	}
	var id [8]byte
	rand.Read(id[:])
	o := &domain.HandoverOffer{ID: "H-" + hex.EncodeToString(id[:]), Transfer: *t, Expires: s.now().Add(wait).UTC().Format(time.RFC3339),
		Key: giver.Key, Sig: giver.Sig, AuthenticatorData: giver.AuthenticatorData, ClientDataJSON: giver.ClientDataJSON}
	check := func(st *domain.State) error {
		if _, err := s.Policy.Item(st, p, t.Item); err != nil {
			return err
		}
		if p.Officer != t.From {
			return Forbidden("solo quien tiene la evidencia ofrece su entrega", "only the holder offers a handover")
		}
		if _, err := s.Policy.Write(st, p, custody.OpTransfer, t); err != nil {
			return err
		}
		if !s.officerSees(st, t.To, t.Item) {
			return custody.Errorf(custody.ERule, "to", "quien recibe (%s) no tiene una cuenta con acceso a esta evidencia: no podría verla ni aceptar la entrega", "the receiver (%s) has no account with access to this item: they could neither see it nor accept the handover", t.To)
		}
		return nil
	}
	if _, err := s.appendThen(ctx, p, check, nil, ledger.Record{Op: domain.OpHandoverOffer, Rec: o}); err != nil {
		return nil, err
	}
	return o, nil
}

// officerSees reports whether an active account of officer may see item
// (Policy.Item, as a session of that account would).
func (s *Service) officerSees(st *domain.State, officer, item string) bool {
	for id, a := range st.Accounts {
		if a.Officer != officer || a.Disabled {
			continue
		}
		p := &Principal{Account: id, Role: a.Role, Officer: a.Officer, Scope: "session"}
		if _, err := s.Policy.Item(st, p, item); err == nil {
			return true
		}
	}
	return false
}

// AcceptHandover records an offered handover as the transfer, with the
// giver's signature from the offer and the receiver's given here. p must
// be the receiver, before the offer expires.
func (s *Service) AcceptHandover(ctx context.Context, p *Principal, id string, receiver custody.Sig) (*RecordResult, error) {
	if err := ReadOnly(p); err != nil {
		return nil, err
	}
	var t custody.Transfer
	var giver custody.Sig
	err := s.View(func(st *domain.State) error {
		o := st.Offers[id]
		if o == nil || (o.To != p.Officer && o.From != p.Officer) {
			return NotFound()
		}
		if o.To != p.Officer {
			return Forbidden("solo quien recibe acepta la entrega", "only the receiver accepts the handover")
		}
		if o.Closed != "" {
			return custody.Errorf(custody.EConflict, "id", "la entrega ya no está pendiente (%s)", "the handover is no longer pending (%s)", o.Closed)
		}
		if exp, _ := custody.ParseTime(o.Expires); !s.now().Before(exp) {
			return custody.Errorf(custody.ERule, "id", "la oferta venció el %s: quien entrega debe ofrecerla de nuevo", "the offer expired at %s: the giver must offer it again", o.Expires)
		}
		t, giver = o.Transfer, o.GiverSig()
		return nil
	})
	if err != nil {
		return nil, err
	}
	receiver.Role = custody.RoleTo
	check := func(st *domain.State) error {
		if o := st.Offers[id]; o == nil || o.Closed != "" {
			return custody.Errorf(custody.EConflict, "id", "la entrega ya no está pendiente", "the handover is no longer pending")
		}
		return nil
	}
	return s.writeRecord(ctx, p, custody.OpTransfer, &t, []custody.Sig{giver, receiver}, check)
}

// WithdrawHandover logs the giver's withdrawal of an open offer.
func (s *Service) WithdrawHandover(ctx context.Context, p *Principal, id, reason string) error {
	if err := ReadOnly(p); err != nil {
		return err
	}
	check := func(st *domain.State) error {
		o := st.Offers[id]
		if o == nil || (o.From != p.Officer && o.To != p.Officer) {
			return NotFound()
		}
		if o.From != p.Officer {
			return Forbidden("solo quien entrega retira la oferta", "only the giver withdraws the offer")
		}
		return nil
	}
	_, err := s.appendThen(ctx, p, check, nil, ledger.Record{Op: domain.OpHandoverWithdraw, Rec: &domain.HandoverWithdraw{ID: id, Reason: reason}})
	return err
}

// HandoverView is an offer as the doors show it.
type HandoverView struct {
	domain.HandoverOffer
	Status string `json:"status"` // pending, expired, accepted, withdrawn, superseded
	Seq    int64  `json:"seq"`
	// Record and Digest are what the receiver signs to accept: the
	// transfer's canonical record and its act digest (hex).
	Record string `json:"record"`
	Digest string `json:"digest"`
}

// Handovers lists the offers to or from p's officer whose item p may see
// (an offer made before p lost access to the case, or to someone who
// never had it, shows nothing of the item), newest first; with pending,
// only those still open and unexpired.
func (s *Service) Handovers(p *Principal, pending bool) ([]HandoverView, error) {
	if p.Officer == "" {
		return nil, nil
	}
	now := s.now()
	var out []HandoverView
	err := s.View(func(st *domain.State) error {
		for _, o := range st.Offers {
			if o.From != p.Officer && o.To != p.Officer {
				continue
			}
			if _, err := s.Policy.Item(st, p, o.Item); err != nil {
				continue
			}
			status := o.Closed
			if status == "" {
				status = "pending"
				if exp, _ := custody.ParseTime(o.Expires); !now.Before(exp) {
					status = "expired"
				}
			}
			if pending && status != "pending" {
				continue
			}
			body, d, _ := ActDigest(custody.OpTransfer, &o.Transfer)
			out = append(out, HandoverView{HandoverOffer: o.HandoverOffer, Status: status, Seq: o.Seq, Record: string(body), Digest: hex.EncodeToString(d[:])})
		}
		return nil
	})
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Seq > out[j-1].Seq; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, err
}

// LoginWithPasskey starts a session for the account whose officer holds
// the passkey that signed challenge (a random value the server issued for
// this sign-in), made for origin, with the user verified by the
// authenticator (a PIN or biometric: the passkey stands for both factors).
// The key must be in force now.
func (s *Service) LoginWithPasskey(ctx context.Context, client string, challenge [32]byte, origin string, sig custody.Sig) (*Session, *Principal, error) {
	var key *domain.OfficerKey
	var account string
	s.l.View(func(st *domain.State) error {
		k := st.Keys[sig.Key]
		if k == nil || !k.ActiveAt(s.l.Size()) || k.Alg == custody.AlgEd25519 {
			return nil
		}
		for id, a := range st.Accounts {
			if a.Officer == k.Officer && !a.Disabled {
				key, account = k, id
			}
		}
		return nil
	})
	if key == nil || custody.CheckSig(key.Public, challenge, sig) != nil || !passkeyOrigin(sig, origin) {
		s.log.Warn("passkey sign-in refused", "key", domain.Fingerprint(sig.Key))
		return nil, nil, wrongLogin()
	}
	p := s.principal(account, "session")
	if p == nil {
		return nil, nil, wrongLogin()
	}
	return s.startSession(p, client)
}

// passkeyOrigin reports whether an assertion was made on origin with the
// user verified (flag UV).
func passkeyOrigin(sig custody.Sig, origin string) bool {
	auth, err1 := base64.RawURLEncoding.DecodeString(sig.AuthenticatorData)
	client, err2 := base64.RawURLEncoding.DecodeString(sig.ClientDataJSON)
	var cd struct {
		Origin string `json:"origin"`
	}
	return err1 == nil && err2 == nil && len(auth) > 32 && auth[32]&4 != 0 && json.Unmarshal(client, &cd) == nil && cd.Origin == origin
}

// PasskeysOf returns the credential ids (base64url) and key ids of an
// officer's passkeys in force, for a browser to ask the right one.
func (s *Service) PasskeysOf(officer string) []PasskeyRef {
	var out []PasskeyRef
	s.l.View(func(st *domain.State) error {
		next := s.l.Size()
		for _, k := range st.OfficerKeys(officer) {
			if k.CredentialID != "" && k.ActiveAt(next) {
				out = append(out, PasskeyRef{Credential: k.CredentialID, Key: k.Key})
			}
		}
		return nil
	})
	return out
}

// PasskeyRef names a passkey: its WebAuthn credential id and its key id.
type PasskeyRef struct {
	Credential string `json:"id"`
	Key        string `json:"key"`
}
