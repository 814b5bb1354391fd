package verify

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// CosignatureAlg is the signature type byte of an Ed25519 cosigner key
// (C2SP tlog-cosignature, "cosignature/v1").
const CosignatureAlg = 0x04

// cosignatureSize is the length of the signature bytes of a cosignature
// line: a 4-byte key ID, an 8-byte timestamp and an Ed25519 signature.
const cosignatureSize = 4 + 8 + ed25519.SignatureSize

// CosignatureVerifier checks Ed25519 cosignatures (C2SP tlog-cosignature,
// cosignature/v1) by one witness. It is a note.Verifier, so note.Open checks
// cosignature lines with it like any other note signature.
//
// A cosignature's signature bytes are an 8-byte big-endian POSIX timestamp
// followed by a 64-byte Ed25519 signature of CosignatureMessage(body,
// timestamp), where body is the checkpoint's note text.
type CosignatureVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

var _ note.Verifier = (*CosignatureVerifier)(nil)

// NewCosignatureVerifier parses a witness's verifier key in C2SP signed-note
// vkey form, name+hash+base64(0x04 || 32-byte Ed25519 public key), where hash
// is the first 4 bytes of SHA-256(name || "\n" || 0x04 || key) in hex.
func NewCosignatureVerifier(vkey string) (*CosignatureVerifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" || len(hash16) != 8 || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return nil, fmt.Errorf("%q is not a verifier key (name+hash+key)", vkey)
	}
	hash, err1 := strconv.ParseUint(hash16, 16, 32)
	key, err2 := base64.StdEncoding.Strict().DecodeString(key64)
	switch {
	case err1 != nil || err2 != nil || len(key) == 0:
		return nil, fmt.Errorf("verifier key %q is malformed", vkey)
	case key[0] != CosignatureAlg:
		return nil, fmt.Errorf("verifier key %q is of type %#02x, not an Ed25519 cosignature key (0x04)", vkey, key[0])
	case len(key) != 1+ed25519.PublicKeySize:
		return nil, fmt.Errorf("verifier key %q has a key of %d bytes, not 32", vkey, len(key)-1)
	case uint32(hash) != cosignerKeyHash(name, key[1:]):
		return nil, fmt.Errorf("verifier key %q has the wrong key hash", vkey)
	}
	return &CosignatureVerifier{name: name, hash: uint32(hash), key: ed25519.PublicKey(key[1:])}, nil
}

// CosignatureVKey returns the vkey of an Ed25519 cosigner, the form that
// NewCosignatureVerifier and policy files accept.
func CosignatureVKey(name string, key ed25519.PublicKey) string {
	return fmt.Sprintf("%s+%08x+%s", name, cosignerKeyHash(name, key),
		base64.StdEncoding.EncodeToString(append([]byte{CosignatureAlg}, key...)))
}

// cosignerKeyHash is the key ID of tlog-cosignature: the first 4 bytes of
// SHA-256(name || "\n" || 0x04 || key), big-endian.
func cosignerKeyHash(name string, key []byte) uint32 {
	sum := sha256.Sum256(append(append([]byte(name+"\n"), CosignatureAlg), key...))
	return binary.BigEndian.Uint32(sum[:])
}

// CosignatureMessage is what a witness signs: "cosignature/v1\n", then
// "time <timestamp>\n", then the checkpoint's whole note text.
func CosignatureMessage(body string, timestamp uint64) []byte {
	return []byte("cosignature/v1\ntime " + strconv.FormatUint(timestamp, 10) + "\n" + body)
}

// Name returns the witness's key name.
func (v *CosignatureVerifier) Name() string { return v.name }

// KeyHash returns the key ID that starts each of its signatures.
func (v *CosignatureVerifier) KeyHash() uint32 { return v.hash }

// Verify reports whether sig (timestamp and signature, without the key ID)
// is a valid cosignature of the note text msg.
func (v *CosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	if ts > math.MaxInt64 {
		return false
	}
	return ed25519.Verify(v.key, CosignatureMessage(string(msg), ts), sig[8:])
}

// cosignatureTime returns the timestamp of a verified cosignature (the
// signature bytes after the key ID).
func cosignatureTime(sig []byte) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(sig)), 0).UTC()
}
