package accounts

import (
	"testing"
	"time"
)

func TestCredentialCommitmentBindsEveryField(t *testing.T) {
	base := Credential{Account: "fiscal1", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", TOTPSecret: "JBSWY3DPEHPK3PXP"}
	want := CredentialCommitment(base, 3)
	if again := CredentialCommitment(base, 3); again != want {
		t.Fatal("commitment is not deterministic")
	}
	// UpdatedAt is bookkeeping, not part of what authenticates.
	withTime := base
	withTime.UpdatedAt = "2026-01-01T00:00:00Z"
	if CredentialCommitment(withTime, 3) != want {
		t.Error("UpdatedAt changed the commitment")
	}
	cases := map[string]func() [32]byte{
		"account":  func() [32]byte { c := base; c.Account = "fiscal2"; return CredentialCommitment(c, 3) },
		"password": func() [32]byte { c := base; c.PasswordHash += "x"; return CredentialCommitment(c, 3) },
		"totp":     func() [32]byte { c := base; c.TOTPSecret = "JBSWY3DPEHPK3PXQ"; return CredentialCommitment(c, 3) },
		"no totp":  func() [32]byte { c := base; c.TOTPSecret = ""; return CredentialCommitment(c, 3) },
		"version":  func() [32]byte { return CredentialCommitment(base, 2) },
		// Moving bytes between adjacent fields must not collide.
		"shift": func() [32]byte {
			c := base
			c.PasswordHash, c.TOTPSecret = base.PasswordHash+"J", base.TOTPSecret[1:]
			return CredentialCommitment(c, 3)
		},
	}
	for name, f := range cases {
		if f() == want {
			t.Errorf("%s: changing it left the commitment unchanged", name)
		}
	}
}

func TestTokenCommitmentBindsEveryColumn(t *testing.T) {
	base := Token{
		ID: "tok1", Hash: [32]byte{1, 2, 3}, Account: "fiscal1", Scope: "read",
		Cases:     []string{"C-2", "C-1"},
		ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	want := TokenCommitment(base)
	reordered := base
	reordered.Cases = []string{"C-1", "C-2"}
	if TokenCommitment(reordered) != want {
		t.Error("order of cases changed the commitment")
	}
	if base.Cases[0] != "C-2" {
		t.Error("TokenCommitment sorted the caller's slice")
	}
	local := base
	local.ExpiresAt = base.ExpiresAt.In(time.FixedZone("ECT", -5*3600))
	if TokenCommitment(local) != want {
		t.Error("time zone of the same instant changed the commitment")
	}
	edits := map[string]func(*Token){
		"id":        func(t *Token) { t.ID = "tok2" },
		"hash":      func(t *Token) { t.Hash[0] = 9 },
		"account":   func(t *Token) { t.Account = "fiscal2" },
		"scope":     func(t *Token) { t.Scope = "write" },
		"cases":     func(t *Token) { t.Cases = []string{"C-1"} },
		"all cases": func(t *Token) { t.Cases = nil },
		"expires":   func(t *Token) { t.ExpiresAt = t.ExpiresAt.Add(time.Hour) },
		"created":   func(t *Token) { t.CreatedAt = t.CreatedAt.Add(time.Nanosecond) },
		"revoked":   func(t *Token) { t.Revoked = true },
		"case join": func(t *Token) { t.Cases = []string{"C-1C-2"} },
	}
	for name, edit := range edits {
		tok := base
		tok.Cases = append([]string(nil), base.Cases...)
		edit(&tok)
		if TokenCommitment(tok) == want {
			t.Errorf("%s: changing it left the commitment unchanged", name)
		}
	}
}
