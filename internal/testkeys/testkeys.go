// Package testkeys gives tests officer keys: deterministic Ed25519 software
// keys and emulated passkeys (WebAuthn assertions made as an authenticator
// makes them, ES256 or EdDSA), the records that register them, and
// signatures of acts.
package testkeys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
)

var b64 = base64.RawURLEncoding

// Key is an officer's key with its private half.
type Key struct {
	Officer string
	Alg     string
	RPID    string // passkeys
	Public  []byte
	ed      ed25519.PrivateKey
	ec      *ecdsa.PrivateKey
}

// Ed25519 is officer's software key, the same in every run.
func Ed25519(officer string) *Key {
	seed := sha256.Sum256([]byte("testkeys " + officer))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return &Key{Officer: officer, Alg: custody.AlgEd25519, Public: priv.Public().(ed25519.PublicKey), ed: priv}
}

// Ed25519Of is another software key of officer, one per label.
func Ed25519Of(officer, label string) *Key {
	k := Ed25519(officer + "\x00" + label)
	k.Officer = officer
	return k
}

// Passkey is a new emulated passkey of officer for the relying party rpID:
// P-256 (webauthn-es256) unless eddsa.
func Passkey(officer, rpID string, eddsa bool) *Key {
	k := &Key{Officer: officer, RPID: rpID}
	if eddsa {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		k.Alg, k.ed, k.Public = custody.AlgWebAuthnEdDSA, priv, priv.Public().(ed25519.PublicKey)
		return k
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := priv.PublicKey.Bytes()
	k.Alg, k.ec, k.Public = custody.AlgWebAuthnES256, priv, pub
	return k
}

// ID is the key's id.
func (k *Key) ID() string { return custody.KeyID(k.Public) }

// Sign signs digest in role. A passkey's client data is in the form a
// browser writes (WebAuthn §5.8.1.1): type, challenge, origin, crossOrigin.
func (k *Key) Sign(role string, digest [32]byte) custody.Sig {
	if k.Alg == custody.AlgEd25519 {
		return custody.Sig{Key: k.ID(), Role: role, Sig: b64.EncodeToString(ed25519.Sign(k.ed, digest[:]))}
	}
	client, _ := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{"webauthn.get", b64.EncodeToString(digest[:]), "https://" + k.RPID, false})
	return k.SignClientData(role, client)
}

// SignClientData is a passkey's assertion in role over the client data
// given as it is, whatever it says: for tests of how it is read.
func (k *Key) SignClientData(role string, client []byte) custody.Sig {
	rp := sha256.Sum256([]byte(k.RPID))
	auth := append(rp[:], 0x05, 0, 0, 0, 1) // user present and verified, counter 1
	ch := sha256.Sum256(client)
	signed := append(append([]byte{}, auth...), ch[:]...)
	var sig []byte
	if k.ed != nil {
		sig = ed25519.Sign(k.ed, signed)
	} else {
		h := sha256.Sum256(signed)
		sig, _ = ecdsa.SignASN1(rand.Reader, k.ec, h[:])
	}
	return custody.Sig{Key: k.ID(), Role: role, Sig: b64.EncodeToString(sig), AuthenticatorData: b64.EncodeToString(auth), ClientDataJSON: b64.EncodeToString(client)}
}

// SignAct signs the act op with record rec in role: the signature the
// ledger checks over rec's canonical bytes.
func (k *Key) SignAct(role, op string, rec any) custody.Sig {
	body, err := fastcodec.MarshalCanonical(rec)
	if err != nil {
		panic(err)
	}
	return k.Sign(role, custody.ActDigest(op, body))
}

// Request is the key.request that registers k, dated at.
func (k *Key) Request(at time.Time) *custody.KeyRequest {
	r := &custody.KeyRequest{Officer: k.Officer, Key: k.ID(), Alg: k.Alg, PublicKey: b64.EncodeToString(k.Public), RPID: k.RPID,
		Label: "clave de prueba", At: at.UTC().Format(time.RFC3339)}
	p := k.Sign(custody.RoleBy, custody.KeyDigest(k.Officer, r.Key))
	r.Proof, r.ProofAuthenticatorData, r.ProofClientDataJSON = p.Sig, p.AuthenticatorData, p.ClientDataJSON
	return r
}

// Approve is the key.approve of k, dated at.
func (k *Key) Approve(at time.Time) *domain.KeyApprove {
	return &domain.KeyApprove{Key: k.ID(), At: at.UTC().Format(time.RFC3339)}
}
