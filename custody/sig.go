package custody

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
)

// Personal signatures. The log's checkpoints prove that nothing changed
// after it was written; a personal signature proves who made an act. Each
// officer registers keys in the log (key.request, then key.approve by an
// administrator; key.revoke ends one), and signs ActDigest of each act.
//
// A software key (AlgEd25519) signs the 32 digest bytes. A passkey signs a
// WebAuthn assertion whose challenge is the digest: its authenticator data
// and client data travel with the signature, so the assertion is checked
// offline with the standard library alone.

// Roles of a signature: who, named by the act, signed it.
const (
	RoleBy   = "by"   // the one person an act names (seized_by, by)
	RoleFrom = "from" // a transfer's giver
	RoleTo   = "to"   // a transfer's receiver
)

// Algorithms of registered keys.
const (
	AlgEd25519       = "ed25519"        // a software key: 32-byte public key, signs the digest
	AlgWebAuthnES256 = "webauthn-es256" // a passkey, P-256: 65-byte uncompressed point
	AlgWebAuthnEdDSA = "webauthn-eddsa" // a passkey, Ed25519
)

// Ops of the key register (the records below). They are events of the log
// like any other, so that a key can no more be slipped in or out than a
// transfer; a bundle carries those of the keys that signed its acts.
const (
	OpKeyRequest = "key.request"
	OpKeyApprove = "key.approve"
	OpKeyRevoke  = "key.revoke"
)

// Sig is one signature of an act, logged with the act's event. Binary
// values are unpadded base64url.
type Sig struct {
	AuthenticatorData string `json:"authenticator_data,omitempty"` // passkeys only
	ClientDataJSON    string `json:"client_data_json,omitempty"`   // passkeys only
	Key               string `json:"key"`                          // the key's id (KeyID)
	Role              string `json:"role"`                         // RoleBy, RoleFrom, RoleTo
	Sig               string `json:"sig"`
}

// KeyRequest is key.request: an officer asks to register a key, proving
// possession with Proof, the key's signature of KeyDigest.
type KeyRequest struct {
	Officer   string `json:"officer"`
	Key       string `json:"key"` // KeyID(public key)
	Alg       string `json:"alg"`
	PublicKey string `json:"public_key"`      // base64url
	RPID      string `json:"rp_id,omitempty"` // passkeys: the WebAuthn relying party
	// CredentialID is a passkey's WebAuthn credential id (base64url), by
	// which a browser finds it.
	CredentialID string `json:"credential_id,omitempty"`
	Label        string `json:"label,omitempty"` // "llave de Ana", "laptop del laboratorio"
	Replaces     string `json:"replaces,omitempty"`
	At           string `json:"at"`
	// The proof of possession: the key's signature of KeyDigest (for a
	// passkey, an assertion as in Sig).
	Proof                  string `json:"proof"`
	ProofAuthenticatorData string `json:"proof_authenticator_data,omitempty"`
	ProofClientDataJSON    string `json:"proof_client_data_json,omitempty"`
}

// ProofSig is r's proof of possession as a Sig.
func (r *KeyRequest) ProofSig() Sig {
	return Sig{Key: r.Key, Role: RoleBy, Sig: r.Proof, AuthenticatorData: r.ProofAuthenticatorData, ClientDataJSON: r.ProofClientDataJSON}
}

// ActDigest is what a person signs for an act: the SHA-256 of
// "custodia-act-v1", a newline, the op, a newline and the record's
// canonical bytes. A signature therefore names the op and every field of
// the record (item, people, time, seal, condition): it cannot be moved to
// another act.
func ActDigest(op string, record []byte) [32]byte {
	return sha256.Sum256(append([]byte("custodia-act-v1\n"+op+"\n"), record...))
}

// KeyDigest is what a key signs to prove, at its request, that the officer
// holds it.
func KeyDigest(officer, key string) [32]byte {
	return sha256.Sum256([]byte("custodia-key-v1\n" + officer + "\n" + key))
}

// KeyID is the id of a public key: the lowercase hex SHA-256 of its bytes.
// Its first 16 digits are the fingerprint shown to people.
func KeyID(public []byte) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:])
}

// PublicKey is a registered key, as CheckSig needs it.
type PublicKey struct {
	Alg  string
	Key  []byte
	RPID string
	p256 *ecdsa.PublicKey // Key read once, for AlgWebAuthnES256
}

// ParseKey reads a key.request's public key and checks that Key is its id.
// Its error, like CheckSig's, is in both languages.
func ParseKey(r *KeyRequest) (PublicKey, *Error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(r.PublicKey)
	if err != nil {
		return PublicKey{}, Errorf(EInvalid, "", "public_key no está en base64url sin relleno", "public_key is not unpadded base64url")
	}
	k := PublicKey{Alg: r.Alg, Key: b, RPID: r.RPID}
	switch {
	case r.Alg == AlgEd25519 || r.Alg == AlgWebAuthnEdDSA:
		if len(b) != ed25519.PublicKeySize {
			return k, Errorf(EInvalid, "", "una clave %s tiene %d bytes, no %d", "an %s key has %d bytes, not %d", r.Alg, ed25519.PublicKeySize, len(b))
		}
	case r.Alg == AlgWebAuthnES256:
		if k.p256, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b); err != nil {
			return k, Errorf(EInvalid, "", "la clave no es un punto P-256 sin comprimir", "the key is not an uncompressed P-256 point")
		}
	default:
		return k, Errorf(EInvalid, "", "algoritmo %q desconocido", "unknown algorithm %q", r.Alg)
	}
	if (r.RPID != "") != (r.Alg != AlgEd25519) {
		return k, Errorf(EInvalid, "", "rp_id se exige a una llave de acceso y solo a ella", "rp_id is required for a passkey and only for one")
	}
	if r.Key != KeyID(b) {
		return k, Errorf(EInvalid, "", "key no es el SHA-256 de public_key", "key is not the SHA-256 of public_key")
	}
	return k, nil
}

// CheckSig checks that s is k's signature of digest. A passkey's assertion
// must be of type webauthn.get, carry digest as its challenge, be made for
// k's relying party and with the user present.
func CheckSig(k PublicKey, digest [32]byte, s Sig) *Error {
	// The bytes are decoded into arrays on the stack: a bundle holds
	// thousands of signatures, and each allocation is the collector's work.
	var sb [128]byte
	dec := base64.RawURLEncoding.Strict()
	sig, err := dec.AppendDecode(sb[:0], []byte(s.Sig))
	if err != nil {
		return Errorf(EInvalid, "", "sig no está en base64url sin relleno", "sig is not unpadded base64url")
	}
	if k.Alg == AlgEd25519 {
		if s.AuthenticatorData != "" || s.ClientDataJSON != "" || !ed25519.Verify(k.Key, digest[:], sig) {
			return Errorf(EInvalid, "", "la firma no se verifica con la clave", "the signature does not verify")
		}
		return nil
	}
	var ab, cb, want [512]byte
	auth, err1 := dec.AppendDecode(ab[:0], []byte(s.AuthenticatorData))
	client, err2 := dec.AppendDecode(cb[:0], []byte(s.ClientDataJSON))
	if err1 != nil || err2 != nil || len(auth) < 37 {
		return Errorf(EInvalid, "", "la aserción de la llave de acceso está incompleta", "the passkey assertion is incomplete")
	}
	// Browsers write the client data as WebAuthn's limited verification
	// algorithm (§5.8.1.2) reads it, type and challenge first, which is
	// checked without a JSON parser; any other form is read as JSON.
	const head = `{"type":"webauthn.get","challenge":"`
	challenge := base64.RawURLEncoding.AppendEncode(append(want[:0], head...), digest[:])
	var cd struct{ Type, Challenge string }
	if !bytes.HasPrefix(client, append(challenge, '"')) && (json.Unmarshal(bytes.Clone(client), &cd) != nil ||
		cd.Type != "webauthn.get" || cd.Challenge != string(challenge[len(head):])) {
		return Errorf(EInvalid, "", "la aserción de la llave de acceso no es de este acto", "the passkey assertion is not for this act")
	}
	rp := sha256.Sum256([]byte(k.RPID))
	if !bytes.Equal(auth[:32], rp[:]) || auth[32]&1 == 0 {
		return Errorf(EInvalid, "", "la aserción de la llave de acceso es de otro sitio o se hizo sin la presencia del usuario", "the passkey assertion is for another site or without the user present")
	}
	ch := sha256.Sum256(client)
	signed := append(auth, ch[:]...)
	ok := k.Alg == AlgWebAuthnEdDSA && ed25519.Verify(k.Key, signed, sig)
	if k.Alg == AlgWebAuthnES256 && k.p256 != nil {
		h := sha256.Sum256(signed)
		ok = ecdsa.VerifyASN1(k.p256, h[:], bytes.Clone(sig)) // a copy: sig would take sb to the heap
	}
	if !ok {
		return Errorf(EInvalid, "", "la firma no se verifica con la clave", "the signature does not verify")
	}
	return nil
}

// Signers are the people an act of the custody record (op, its canonical
// record) names and who must sign it, by role: a transfer's giver and
// receiver, or the one person of any other act; nil for other ops.
func Signers(op string, record []byte) map[string]string {
	var r struct {
		By       string `json:"by"`
		SeizedBy string `json:"seized_by"`
		From     string `json:"from"`
		To       string `json:"to"`
	}
	if !IsItemOp(op) || json.Unmarshal(record, &r) != nil {
		return nil
	}
	if op == OpTransfer {
		return map[string]string{RoleFrom: r.From, RoleTo: r.To}
	}
	if op == OpSeize {
		r.By = r.SeizedBy
	}
	return map[string]string{RoleBy: r.By}
}
