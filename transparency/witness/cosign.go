package witness

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/verify"
)

// algCosignatureV1 is the signature type byte of an Ed25519 cosignature/v1
// key (c2sp.org/tlog-cosignature). It differs from the plain note Ed25519
// byte (0x01) so that a cosignature can never be mistaken for a log
// signature made with the same key.
const algCosignatureV1 = 0x04

// algEd25519 is the plain signed-note Ed25519 type byte. A key of this type
// is accepted by [NewCosigner], for interoperability with witnesses that
// keep their key in the ordinary note format; its cosignatures still use
// the cosignature/v1 key ID.
const algEd25519 = 0x01

// maxTimestamp is the largest timestamp a cosignature may carry (2^63-1).
const maxTimestamp = 1<<63 - 1

// cosigKeyHash is the cosignature/v1 key ID, as package verify computes it
// for the verifier: one definition for both sides.
func cosigKeyHash(name string, pub ed25519.PublicKey) uint32 {
	v, err := verify.NewCosignatureVerifier(verify.CosignatureVKey(name, pub))
	if err != nil {
		return 0 // only for an invalid name, which callers refuse first
	}
	return v.KeyHash()
}

// validKeyName reports whether name can be a note key name: non-empty
// UTF-8, no white space or control characters, no '+'.
func validKeyName(name string) bool {
	if name == "" || !utf8.ValidString(name) || strings.ContainsRune(name, '+') {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// cosignedMessage is the message a cosignature/v1 signs (see
// verify.CosignatureMessage).
func cosignedMessage(ts uint64, text []byte) []byte {
	return verify.CosignatureMessage(string(text), ts)
}

// GenerateKey makes a new cosigner key named name. skey is the private key
// in the signed-note private key encoding with type 0x04
// ("PRIVATE+KEY+name+hash+base64(0x04 || seed)"); vkey is the public key as
// a c2sp.org/signed-note vkey with type 0x04, the form that policies and
// verifiers are configured with.
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	if !validKeyName(name) {
		return "", "", fmt.Errorf("nombre de clave inválido %q / invalid key name %q", name, name)
	}
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return "", "", fmt.Errorf("generar clave / generate key: %w", err)
	}
	hash := cosigKeyHash(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, hash,
		base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, priv.Seed()...)))
	return skey, cosigVKey(name, pub), nil
}

func cosigVKey(name string, pub ed25519.PublicKey) string { return verify.CosignatureVKey(name, pub) }

// Cosigner makes cosignature/v1 signatures (c2sp.org/tlog-cosignature) with
// one Ed25519 key. It holds no state beyond the key: deciding whether a
// checkpoint deserves a cosignature is the witness's job, not the Cosigner's.
type Cosigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

// NewCosigner parses a private key made by [GenerateKey]. A plain signed-note
// Ed25519 private key (type 0x01, as made by note.GenerateKey) is accepted
// too; either way the cosignatures carry the cosignature/v1 key ID.
func NewCosigner(skey string) (*Cosigner, error) {
	bad := func(why string) error {
		return fmt.Errorf("clave privada de cosignatario inválida: %s / invalid cosigner private key: %s", why, why)
	}
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, bad("falta PRIVATE+KEY / missing PRIVATE+KEY")
	}
	name, hash16, key64 := parts[2], parts[3], parts[4]
	if !validKeyName(name) {
		return nil, bad("nombre / name")
	}
	if len(hash16) != 8 {
		return nil, bad("hash")
	}
	hash, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil {
		return nil, bad("hash")
	}
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(raw) != 1+ed25519.SeedSize {
		return nil, bad("base64")
	}
	if raw[0] != algCosignatureV1 && raw[0] != algEd25519 {
		return nil, bad(fmt.Sprintf("tipo 0x%02x / type 0x%02x", raw[0], raw[0]))
	}
	priv := ed25519.NewKeyFromSeed(raw[1:])
	pub := priv.Public().(ed25519.PublicKey)
	c := &Cosigner{name: name, hash: cosigKeyHash(name, pub), key: priv}
	if raw[0] == algCosignatureV1 && uint32(hash) != c.hash {
		return nil, bad("el hash no corresponde a la clave / hash does not match the key")
	}
	return c, nil
}

// Name is the cosigner's key name, the name on its signature lines.
func (c *Cosigner) Name() string { return c.name }

// KeyHash is the cosignature/v1 key ID.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// VerifierKey is the public key as a vkey (type 0x04), to give to verifiers.
func (c *Cosigner) VerifierKey() string {
	return cosigVKey(c.name, c.key.Public().(ed25519.PublicKey))
}

// Cosign returns one cosignature line ("— name base64\n") over the checkpoint
// note checkpointNote, timestamped now. checkpointNote is a signed note (its
// signature lines are not signed) or bare checkpoint text ending in a
// newline; either must pass verify's checkpoint parser.
//
// Cosign does not check the checkpoint: only call it for a checkpoint you
// have verified to be consistent with everything you cosigned before.
func (c *Cosigner) Cosign(checkpointNote []byte, now time.Time) ([]byte, error) {
	cp, _, err := verify.ParseNote(checkpointNote)
	if err != nil {
		if cp, err = verify.ParseCheckpoint(string(checkpointNote)); err != nil {
			return nil, fmt.Errorf("no es un punto de control / not a checkpoint: %w", err)
		}
	}
	sig, err := c.sign([]byte(cp.String()), now)
	if err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf("— %s %s\n", c.name, base64.StdEncoding.EncodeToString(sig))), nil
}

// sign returns keyID || timestamp || signature.
func (c *Cosigner) sign(text []byte, now time.Time) ([]byte, error) {
	ts := now.Unix()
	if ts < 0 {
		return nil, fmt.Errorf("hora anterior a 1970 / time before 1970: %v", now)
	}
	sig := make([]byte, 0, 4+8+ed25519.SignatureSize)
	sig = binary.BigEndian.AppendUint32(sig, c.hash)
	sig = binary.BigEndian.AppendUint64(sig, uint64(ts))
	return append(sig, ed25519.Sign(c.key, cosignedMessage(uint64(ts), text))...), nil
}

// At returns a note.Signer that cosigns with timestamp now, for note.Sign.
func (c *Cosigner) At(now time.Time) note.Signer { return &timedSigner{c: c, now: now} }

type timedSigner struct {
	c   *Cosigner
	now time.Time
}

func (s *timedSigner) Name() string    { return s.c.name }
func (s *timedSigner) KeyHash() uint32 { return s.c.hash }
func (s *timedSigner) Sign(msg []byte) ([]byte, error) {
	sig, err := s.c.sign(msg, s.now)
	if err != nil {
		return nil, err
	}
	return sig[4:], nil // note.Sign prepends the key hash itself
}

// NewVerifier returns a note.Verifier for cosignature/v1 signatures made by
// the key vkey (type 0x04; a plain Ed25519 note vkey, type 0x01, is read as
// the same key used for cosignatures). The checking itself is package
// verify's, so that the witness side and the offline verifier cannot
// disagree.
func NewVerifier(vkey string) (note.Verifier, error) {
	bad := func(why string) error {
		return fmt.Errorf("clave pública de testigo inválida (%s): %q / invalid witness public key (%s): %q", why, vkey, why, vkey)
	}
	parts := strings.SplitN(strings.TrimSpace(vkey), "+", 3)
	if len(parts) != 3 {
		return nil, bad("formato / format")
	}
	name, hash16, key64 := parts[0], parts[1], parts[2]
	if !validKeyName(name) || len(hash16) != 8 {
		return nil, bad("nombre o hash / name or hash")
	}
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize {
		return nil, bad("base64")
	}
	switch raw[0] {
	case algCosignatureV1:
	case algEd25519:
		if _, err := strconv.ParseUint(hash16, 16, 32); err != nil {
			return nil, bad("hash")
		}
		vkey = verify.CosignatureVKey(name, ed25519.PublicKey(raw[1:]))
	default:
		return nil, bad(fmt.Sprintf("tipo 0x%02x / type 0x%02x", raw[0], raw[0]))
	}
	v, err := verify.NewCosignatureVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, bad(err.Error())
	}
	return v, nil
}

// CosignatureTime returns the timestamp inside a cosignature/v1 signature.
// It does not verify the signature.
func CosignatureTime(sig note.Signature) (time.Time, error) {
	raw, err := base64.StdEncoding.DecodeString(sig.Base64)
	if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
		return time.Time{}, fmt.Errorf("cosignatura mal formada de %q / malformed cosignature from %q", sig.Name, sig.Name)
	}
	ts := binary.BigEndian.Uint64(raw[4:])
	if ts > maxTimestamp {
		return time.Time{}, fmt.Errorf("marca de tiempo fuera de rango / timestamp out of range")
	}
	return time.Unix(int64(ts), 0).UTC(), nil
}
