// Package accounts holds the secrets of sign-in: argon2id password hashes,
// TOTP second factors (RFC 6238) and API tokens stored as SHA-256 hashes.
//
// Secrets never enter the log. The log records that an account exists, its
// role and officer, and THAT a credential changed (domain.OpAccountCredential);
// the secrets themselves live in a Store beside it, which the server and the
// CLI alone write. Nothing here logs or formats a secret.
package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// ErrNotFound is returned by a Store for a missing credential or token.
var ErrNotFound = errors.New("accounts: not found")

// Credential is an account's password hash and TOTP secret.
type Credential struct {
	Account      string
	PasswordHash string // PHC string, see HashPassword
	TOTPSecret   string // base32; "" when the role needs no second factor
	UpdatedAt    string
}

// Token is an API token as stored: never its secret, only its hash.
type Token struct {
	ID        string // public id, printed in lists and used to revoke
	Hash      [32]byte
	Account   string
	Scope     string   // "read" or "write"
	Cases     []string // empty: every case the account is a member of
	ExpiresAt time.Time
	Revoked   bool
	CreatedAt time.Time
}

// Store keeps credentials and tokens. Implementations must return
// ErrNotFound (wrapped or not) for a missing account or token, and must
// never log the values they store.
type Store interface {
	PutCredential(ctx context.Context, c Credential) error
	Credential(ctx context.Context, account string) (Credential, error)
	AddToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash [32]byte) (Token, error)
	Tokens(ctx context.Context, account string) ([]Token, error)
	RevokeToken(ctx context.Context, id string) error
	// AllCredentials lists every stored credential, by account, so that
	// audit can recompute each row's commitment (CredentialCommitment)
	// and name the accounts whose row differs from what the log recorded.
	AllCredentials(ctx context.Context) ([]Credential, error)
}

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane). Stored in each hash, so they can be raised later.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the argon2id hash of password in the PHC string
// format: $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a HashPassword hash, in
// time that does not depend on where they differ.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewPassword returns a random one-time password of 20 characters from an
// alphabet without look-alikes.
func NewPassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// NewTOTPSecret returns a random 160-bit TOTP secret in base32, as
// authenticator apps take it.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b), nil
}

// TOTP returns the RFC 6238 code (HMAC-SHA1, 30-second steps, 6 digits) of a
// base32 secret at time t.
func TOTP(secret string, t time.Time) (string, error) {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		return "", fmt.Errorf("accounts: TOTP secret is not base32")
	}
	return hotp(key, uint64(t.Unix()/30), 6), nil
}

// hotp is RFC 4226's HOTP with dynamic truncation.
func hotp(key []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, code%mod)
}

// CheckTOTP reports whether code is the TOTP of secret at t or one step
// either side (clock drift), comparing in constant time.
func CheckTOTP(secret, code string, t time.Time) bool {
	_, ok := MatchTOTP(secret, code, t)
	return ok
}

// MatchTOTP is CheckTOTP that also returns the time step the code belongs
// to, so that a caller can refuse a code used before.
func MatchTOTP(secret, code string, t time.Time) (step int64, ok bool) {
	if len(code) != 6 {
		return 0, false
	}
	for _, d := range []int64{-1, 0, 1} {
		at := t.Add(time.Duration(d) * 30 * time.Second)
		want, err := TOTP(secret, at)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			step, ok = at.Unix()/30, true
		}
	}
	return step, ok
}

// TokenPrefix starts every API token, so that a leaked one is easy to find
// with secret scanners.
const TokenPrefix = "cst_"

// NewToken returns a new API token secret (shown once), its public id and the
// SHA-256 hash of its 32 random bytes, which is all that is stored.
func NewToken() (secret, id string, hash [32]byte, err error) {
	raw := make([]byte, 32)
	if _, err = rand.Read(raw); err != nil {
		return "", "", hash, err
	}
	hash = sha256.Sum256(raw)
	idb := make([]byte, 6)
	if _, err = rand.Read(idb); err != nil {
		return "", "", hash, err
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(raw), "tok-" + hex.EncodeToString(idb), hash, nil
}

// HashToken returns the hash a token secret is stored under, and false when
// the string is not a token.
func HashToken(secret string) ([32]byte, bool) {
	rest, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok {
		return [32]byte{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) != 32 {
		return [32]byte{}, false
	}
	return sha256.Sum256(raw), true
}
