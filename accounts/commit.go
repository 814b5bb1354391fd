package accounts

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"time"
)

// Commitments let the log vouch for the rows of the credential store
// without holding a secret. A ledger event for a credential or token change
// carries the commitment of the row as written; audit recomputes it from the
// live row and names the account (or token) whose row no longer matches.
//
// The encoding is canonical: a domain tag, then each field as a big-endian
// uint32 length followed by its bytes, in a fixed order. Lengths make the
// encoding injective, so no two different rows share a preimage. A TOTP
// secret holds 160 random bits, so the digest of a row reveals nothing a
// reader of the log could use; a password-only row commits to an argon2id
// hash, which is already salted and slow to invert.

const (
	credentialTag = "custodia/credential/v1"
	tokenTag      = "custodia/api-token/v1"
)

// CredentialCommitment returns SHA-256 over the canonical encoding of c's
// account, password hash and TOTP secret, and of version, the number of the
// credential change that wrote it (1 for the first). Binding the version
// means that restoring an older row after a swap does not match the
// commitment of the latest logged change.
func CredentialCommitment(c Credential, version uint64) [32]byte {
	var b []byte
	b = appendField(b, credentialTag)
	b = appendField(b, c.Account)
	b = appendField(b, c.PasswordHash)
	b = appendField(b, c.TOTPSecret)
	b = binary.BigEndian.AppendUint64(b, version)
	return sha256.Sum256(b)
}

// TokenCommitment returns SHA-256 over the canonical encoding of every
// column of a stored token: id, secret hash, account, scope, the set of
// cases (sorted, so the order they were given in does not matter), expiry
// and creation times in UTC with nanoseconds, and the revoked flag.
func TokenCommitment(t Token) [32]byte {
	cases := append([]string(nil), t.Cases...)
	sort.Strings(cases)
	var b []byte
	b = appendField(b, tokenTag)
	b = appendField(b, t.ID)
	b = appendField(b, string(t.Hash[:]))
	b = appendField(b, t.Account)
	b = appendField(b, t.Scope)
	b = binary.BigEndian.AppendUint32(b, uint32(len(cases)))
	for _, c := range cases {
		b = appendField(b, c)
	}
	b = appendField(b, t.ExpiresAt.UTC().Format(time.RFC3339Nano))
	b = appendField(b, t.CreatedAt.UTC().Format(time.RFC3339Nano))
	if t.Revoked {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return sha256.Sum256(b)
}

func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// CredentialHex is the commitment of a credentials row as the log records
// it (hex; the row's change number is not bound: a restored row is caught
// at sign-in and by audit against the latest logged change).
func CredentialHex(c Credential) string {
	h := CredentialCommitment(c, 0)
	return hex.EncodeToString(h[:])
}

// TokenHex is the commitment of an API token's row as the log records it.
func TokenHex(t Token) string {
	h := TokenCommitment(t)
	return hex.EncodeToString(h[:])
}
