package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
)

// Passkeys (issue 14): an officer enrols a passkey from the browser
// (registration checked by go-webauthn, then an assertion over
// custody.KeyDigest as the proof of possession, logged as key.request for an
// administrator to approve), signs in with it, and signs every act with it:
// the challenge of each assertion is the act's digest, so the assertion is
// checked offline by the verifier with the standard library alone.

var b64u = base64.RawURLEncoding

// passkeys holds what a registration needs between its steps, by session:
// in memory, five minutes, like a pending sign-in.
type passkeys struct {
	mu      sync.Mutex
	pending map[string]*registration
	secret  [32]byte // signs sign-in challenges, which are kept by the browser
}

type registration struct {
	session *webauthn.SessionData
	req     *custody.KeyRequest // after the authenticator answered: the key to prove
	expires time.Time
}

func newPasskeys() *passkeys {
	p := &passkeys{pending: map[string]*registration{}}
	rand.Read(p.secret[:])
	return p
}

func (pk *passkeys) put(id string, r *registration) {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	now := time.Now()
	for k, v := range pk.pending {
		if now.After(v.expires) {
			delete(pk.pending, k)
		}
	}
	r.expires = now.Add(5 * time.Minute)
	pk.pending[id] = r
}

func (pk *passkeys) get(id string) *registration {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	r := pk.pending[id]
	if r == nil || time.Now().After(r.expires) {
		return nil
	}
	return r
}

// relyingParty is the WebAuthn relying party of a request: the public URL's
// host when one is configured, else the host the browser used.
func (w *Web) relyingParty(r *http.Request) (rpID, origin string) {
	if pu := w.s.Config().PublicURL; pu != "" {
		if u, err := url.Parse(pu); err == nil && u.Host != "" {
			return u.Hostname(), u.Scheme + "://" + u.Host
		}
	}
	scheme := "http"
	if w.gw.HTTPS(r) {
		scheme = "https"
	}
	host := r.Host
	name := host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		name = host[:i]
	}
	return name, scheme + "://" + host
}

func (w *Web) webAuthn(r *http.Request) (*webauthn.WebAuthn, error) {
	rpID, origin := w.relyingParty(r)
	if net.ParseIP(strings.Trim(rpID, "[]")) != nil {
		return nil, custody.Errorf(custody.EInvalid, "", "las llaves de acceso necesitan que el servidor se abra por su nombre (p. ej. https://custodia.fiscalia.gob.ec o http://localhost), no por una dirección IP",
			"passkeys need the server opened by its name (e.g. https://custodia.example or http://localhost), not by an IP address")
	}
	return webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "Custodia", RPOrigins: []string{origin}})
}

// waUser is an account as go-webauthn sees it during a registration.
type waUser struct {
	id, name string
	creds    []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u waUser) WebAuthnName() string                       { return u.name }
func (u waUser) WebAuthnDisplayName() string                { return u.name }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (w *Web) waUserOf(p *app.Principal) waUser {
	u := waUser{id: p.Account, name: p.Account + " (" + p.Officer + ")"}
	for _, ref := range w.s.PasskeysOf(p.Officer) {
		if id, err := b64u.DecodeString(ref.Credential); err == nil {
			u.creds = append(u.creds, webauthn.Credential{ID: id})
		}
	}
	return u
}

func needOfficer(p *app.Principal) error {
	if p.Officer == "" {
		return custody.Errorf(custody.EForbidden, "", "solo una cuenta vinculada a un funcionario registra llaves de acceso", "only an account linked to an officer enrols passkeys")
	}
	return nil
}

// passkeyBegin answers the options of navigator.credentials.create: a
// discoverable credential (for sign-in without typing the account), ES256
// or EdDSA, the user verified. The enrolment under way is kept by the
// session's id until passkeyProve, so its three routes are SessionOnly:
// the gateway answers an API token 403 before they run.
func (w *Web) passkeyBegin(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := needOfficer(p); err != nil {
		return err
	}
	wa, err := w.webAuthn(r)
	if err != nil {
		return err
	}
	u := w.waUserOf(p)
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: c.ID})
	}
	creation, session, err := wa.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired}),
		webauthn.WithCredentialParameters([]protocol.CredentialParameter{
			{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
			{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA}}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return err
	}
	w.keys.put(p.Session.ID, &registration{session: session})
	gateway.WriteJSON(rw, http.StatusOK, creation)
	return nil
}

// passkeyFinish checks the authenticator's answer (go-webauthn: the
// challenge, origin, relying party, flags and attestation) and answers
// what the passkey must sign to prove possession: custody.KeyDigest.
func (w *Web) passkeyFinish(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := needOfficer(p); err != nil {
		return err
	}
	reg := w.keys.get(p.Session.ID)
	if reg == nil || reg.session == nil {
		return custody.Errorf(custody.EConflict, "", "el registro de la llave caducó; empiece de nuevo", "the enrolment expired; start again")
	}
	wa, err := w.webAuthn(r)
	if err != nil {
		return err
	}
	cred, err := wa.FinishRegistration(w.waUserOf(p), *reg.session, r)
	if err != nil {
		e := custody.Errorf(custody.EInvalid, "", "el autenticador no completó el registro", "the authenticator did not complete the enrolment")
		e.MessageEN += ": " + err.Error() // the library's words are English only
		return e
	}
	alg, pub, err := rawPublicKey(cred.PublicKey)
	if err != nil {
		e := custody.Errorf(custody.EInvalid, "", "tipo de llave no admitido: se aceptan ES256 (P-256) y EdDSA (Ed25519)", "unsupported key type")
		e.MessageEN += ": " + err.Error()
		return e
	}
	rpID, _ := w.relyingParty(r)
	req := &custody.KeyRequest{Officer: p.Officer, Key: custody.KeyID(pub), Alg: alg, PublicKey: b64u.EncodeToString(pub), RPID: rpID, CredentialID: b64u.EncodeToString(cred.ID)}
	w.keys.put(p.Session.ID, &registration{req: req})
	d := custody.KeyDigest(p.Officer, req.Key)
	gateway.WriteJSON(rw, http.StatusOK, map[string]any{"key": req.Key, "fingerprint": domain.Fingerprint(req.Key), "challenge": b64u.EncodeToString(d[:]),
		"rp_id": rpID, "credential": req.CredentialID})
	return nil
}

// rawPublicKey turns a COSE public key into the algorithm and raw bytes the
// log keeps: an uncompressed P-256 point, or an Ed25519 key.
func rawPublicKey(cose []byte) (string, []byte, error) {
	k, err := webauthncose.ParsePublicKey(cose)
	if err != nil {
		return "", nil, err
	}
	switch k := k.(type) {
	case webauthncose.EC2PublicKeyData:
		if k.Algorithm != int64(webauthncose.AlgES256) || len(k.XCoord) != 32 || len(k.YCoord) != 32 {
			return "", nil, errors.New("only ES256 (P-256) EC2 keys")
		}
		return custody.AlgWebAuthnES256, append(append([]byte{4}, k.XCoord...), k.YCoord...), nil
	case webauthncose.OKPPublicKeyData:
		if k.Algorithm != int64(webauthncose.AlgEdDSA) || len(k.XCoord) != 32 {
			return "", nil, errors.New("only Ed25519 OKP keys")
		}
		return custody.AlgWebAuthnEdDSA, k.XCoord, nil
	}
	return "", nil, errors.New("only ES256 and EdDSA")
}

// assertion is a browser's answer to navigator.credentials.get.
type assertion struct {
	Credential        string `json:"credential"` // rawId, base64url
	AuthenticatorData string `json:"authenticator_data"`
	ClientDataJSON    string `json:"client_data_json"`
	Signature         string `json:"signature"`
	Label             string `json:"label,omitempty"`
	Token             string `json:"token,omitempty"` // sign-in: the challenge's token
}

func readAssertion(r *http.Request) (*assertion, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	var a assertion
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, custody.Errorf(custody.EInvalid, "", "respuesta del autenticador mal formada", "malformed authenticator answer")
	}
	return &a, nil
}

// passkeyProve logs the key.request with the proof of possession.
func (w *Web) passkeyProve(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	reg := w.keys.get(p.Session.ID)
	if reg == nil || reg.req == nil {
		return custody.Errorf(custody.EConflict, "", "el registro de la llave caducó; empiece de nuevo", "the enrolment expired; start again")
	}
	a, err := readAssertion(r)
	if err != nil {
		return err
	}
	req := *reg.req
	req.Label = strings.TrimSpace(a.Label)
	if req.Label == "" {
		req.Label = "llave de acceso"
	}
	req.Proof, req.ProofAuthenticatorData, req.ProofClientDataJSON = a.Signature, a.AuthenticatorData, a.ClientDataJSON
	if _, err := w.s.RequestKey(ctx(r), p, &req); err != nil {
		return err
	}
	w.keys.put(p.Session.ID, &registration{})
	return done(rw, r, "/cuenta/llaves")
}

// loginChallenge answers a fresh sign-in challenge. The server keeps
// nothing: the token carries the challenge and its expiry under an HMAC
// only this process knows, so that an anonymous caller cannot fill memory.
func (w *Web) loginChallenge(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	var c [32]byte
	rand.Read(c[:])
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], uint64(time.Now().Add(2*time.Minute).Unix()))
	msg := append(c[:], exp[:]...)
	mac := hmac.New(sha256.New, w.keys.secret[:])
	mac.Write(msg)
	rpID, _ := w.relyingParty(r)
	gateway.WriteJSON(rw, http.StatusOK, map[string]string{"challenge": b64u.EncodeToString(c[:]), "rp_id": rpID,
		"token": b64u.EncodeToString(append(msg, mac.Sum(nil)...))})
	return nil
}

// passkeyLogin signs in with a passkey's assertion over a challenge from
// loginChallenge.
func (w *Web) passkeyLogin(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	fail := custody.Errorf(custody.EAuth, "", "la llave de acceso no permitió el ingreso", "the passkey did not sign you in")
	a, err := readAssertion(r)
	if err != nil {
		return err
	}
	tok, err := b64u.DecodeString(a.Token)
	if err != nil || len(tok) != 32+8+32 {
		return fail
	}
	mac := hmac.New(sha256.New, w.keys.secret[:])
	mac.Write(tok[:40])
	if !hmac.Equal(mac.Sum(nil), tok[40:]) || time.Now().Unix() > int64(binary.BigEndian.Uint64(tok[32:40])) {
		return fail
	}
	var challenge [32]byte
	copy(challenge[:], tok[:32])
	key := ""
	w.l.View(func(st *domain.State) error {
		for id, k := range st.Keys {
			if k.CredentialID != "" && k.CredentialID == a.Credential {
				key = id
			}
		}
		return nil
	})
	if key == "" {
		return fail
	}
	_, origin := w.relyingParty(r)
	sess, _, err := w.s.LoginWithPasskey(ctx(r), gateway.ClientIP(r), challenge, origin,
		custody.Sig{Key: key, Role: custody.RoleBy, Sig: a.Signature, AuthenticatorData: a.AuthenticatorData, ClientDataJSON: a.ClientDataJSON})
	if err != nil {
		return fail
	}
	w.gw.SetCookie(rw, r, sess)
	return done(rw, r, "/casos")
}

type keysData struct {
	Keys     []app.KeyView
	Pending  []app.KeyView // for administrators: keys awaiting approval
	IsAdmin  bool
	Officer  string
	Handover []app.HandoverView
}

// keysPage lists the account's keys, the enrolment button, and for an
// administrator the keys awaiting approval.
func (w *Web) keysPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	d := keysData{Officer: p.Officer, IsAdmin: w.s.Policy.Can(p.Role, app.ActManageAccounts)}
	if p.Officer != "" {
		d.Keys, _ = w.s.Keys(p, p.Officer)
	}
	if d.IsAdmin {
		all, err := w.s.Keys(p, "")
		if err != nil {
			return err
		}
		for _, k := range all {
			if k.Status == "requested" {
				d.Pending = append(d.Pending, k)
			}
		}
	}
	return w.render(rw, r, p, "keys", "keys.title", d)
}

func (w *Web) keyApprove(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := w.s.ApproveKey(ctx(r), p, r.PathValue("key")); err != nil {
		return err
	}
	return done(rw, r, "/cuenta/llaves")
}

func (w *Web) keyRevoke(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		return invalid("reason", "diga por qué se revoca la llave", "say why the key is revoked")
	}
	if err := w.s.RevokeKey(ctx(r), p, r.PathValue("key"), reason); err != nil {
		return err
	}
	return done(rw, r, "/cuenta/llaves")
}

// toSign is what app.js needs to sign acts with passkeys before sending
// them: for each act (a seizure and its photos are several), its digest as
// the challenge, its time as prepared, and for each person it names the
// passkeys that may sign for them. (It travels as an error so that every
// form handler answers it through its one write path; see renderError.)
type toSign struct {
	RPID string    `json:"rp_id"`
	Acts []actSign `json:"acts"`
}

type actSign struct {
	Op        string   `json:"op"`
	Record    string   `json:"record"` // canonical, as it will be logged
	At        string   `json:"at,omitempty"`
	Challenge string   `json:"challenge"`
	Signers   []signer `json:"signers"`
}

type signer struct {
	Role    string           `json:"role"`
	Officer string           `json:"officer"`
	Creds   []app.PasskeyRef `json:"creds"`
}

func (t *toSign) Error() string { return "the act is to be signed" }

// act is one record a form is about to write.
type act struct {
	op  string
	rec any
}

// prepare answers what the people the acts name must sign.
func (w *Web) prepare(r *http.Request, acts ...act) error { return w.prepareRoles(r, nil, acts...) }

// prepareRoles is prepare for the signers in roles only (all when nil):
// the receiver accepting an offer signs as "to", the giver signed before.
func (w *Web) prepareRoles(r *http.Request, roles []string, acts ...act) error {
	rpID, _ := w.relyingParty(r)
	ts := &toSign{RPID: rpID}
	for _, a := range acts {
		body, d, err := app.ActDigest(a.op, a.rec)
		if err != nil {
			return err
		}
		as := actSign{Op: a.op, Record: string(body), Challenge: b64u.EncodeToString(d[:])}
		as.At, _ = domain.Claimed(a.rec)
		signers := custody.Signers(a.op, body)
		if signers == nil {
			if _, by := domain.Claimed(a.rec); by != "" {
				signers = map[string]string{custody.RoleBy: by}
			}
		}
		for _, role := range []string{custody.RoleBy, custody.RoleFrom, custody.RoleTo} {
			if o, ok := signers[role]; ok && (roles == nil || slices.Contains(roles, role)) {
				as.Signers = append(as.Signers, signer{Role: role, Officer: o, Creds: w.s.PasskeysOf(o)})
			}
		}
		ts.Acts = append(ts.Acts, as)
	}
	return ts
}

// formSigs reads the signatures app.js added to a form for its i-th act:
// sig_I_by, sig_I_from, sig_I_to, each a custody.Sig in JSON.
func formSigs(r *http.Request, i int) ([]custody.Sig, error) {
	var out []custody.Sig
	for _, role := range []string{custody.RoleBy, custody.RoleFrom, custody.RoleTo} {
		name := "sig_" + strconv.Itoa(i) + "_" + role
		v := r.PostFormValue(name)
		if v == "" {
			continue
		}
		var g custody.Sig
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if len(v) > 16<<10 || dec.Decode(&g) != nil {
			return nil, custody.Errorf(custody.EInvalid, name, "firma mal formada", "malformed signature")
		}
		g.Role = role
		out = append(out, g)
	}
	return out, nil
}
