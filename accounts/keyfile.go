package accounts

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/durable"
)

// OfficerKey is an officer's software signing key (Ed25519), for the CLI,
// the API and integrations. Its file is PEM "PRIVATE KEY" (PKCS #8),
// readable by its owner only; the private half never leaves it.
type OfficerKey struct {
	priv ed25519.PrivateKey
}

// NewOfficerKey makes a new key and writes it to path, which must not
// exist (a key is never overwritten: it may be the only copy).
func NewOfficerKey(path string) (*OfficerKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := durable.Create(path, data, 0o600); err != nil {
		return nil, err
	}
	return &OfficerKey{priv: priv}, nil
}

// LoadOfficerKey reads a key file written by NewOfficerKey.
func LoadOfficerKey(path string) (*OfficerKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) > 16<<10 {
		return nil, fmt.Errorf("%s: not a key file (too large)", path)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM PRIVATE KEY file", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New(path + ": not an Ed25519 key")
	}
	return &OfficerKey{priv: priv}, nil
}

// Public returns the public key's bytes.
func (k *OfficerKey) Public() []byte { return k.priv.Public().(ed25519.PublicKey) }

// ID is the key's id in the log (custody.KeyID).
func (k *OfficerKey) ID() string { return custody.KeyID(k.Public()) }

// Sign signs an act's digest in role.
func (k *OfficerKey) Sign(role string, digest [32]byte) custody.Sig {
	return custody.Sig{Key: k.ID(), Role: role, Sig: base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.priv, digest[:]))}
}

// Request is the key.request of this key for officer, with its proof of
// possession.
func (k *OfficerKey) Request(officer, label string, at time.Time) *custody.KeyRequest {
	id := k.ID()
	d := custody.KeyDigest(officer, id)
	return &custody.KeyRequest{Officer: officer, Key: id, Alg: custody.AlgEd25519, PublicKey: base64.RawURLEncoding.EncodeToString(k.Public()),
		Label: label, At: at.UTC().Format(time.RFC3339), Proof: base64.RawURLEncoding.EncodeToString(ed25519.Sign(k.priv, d[:]))}
}
