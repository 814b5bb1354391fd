package accounts

import (
	"encoding/base32"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/terminates"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("the right password does not check")
	}
	for _, bad := range []string{"correct hors", "", "correct horse "} {
		if CheckPassword(h, bad) {
			t.Errorf("password %q checks", bad)
		}
	}
	for _, hash := range []string{"", "$argon2id$", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", h[:len(h)-3]} {
		if CheckPassword(hash, "correct horse") {
			t.Errorf("malformed hash %q checks", hash)
		}
	}
}

// TestTOTPVectors checks RFC 6238 appendix B's SHA-1 vectors (the last six
// digits of its eight-digit codes).
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		code string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}} {
		got, err := TOTP(secret, time.Unix(v.unix, 0))
		if err != nil {
			t.Fatal(err)
		}
		if want := v.code[2:]; got != want {
			t.Errorf("TOTP at %d = %s, want %s", v.unix, got, want)
		}
	}
	now := time.Unix(1234567890, 0)
	code, _ := TOTP(secret, now)
	if !CheckTOTP(secret, code, now.Add(29*time.Second)) {
		t.Error("a code one step old is refused")
	}
	if CheckTOTP(secret, code, now.Add(5*time.Minute)) {
		t.Error("a code five minutes old is accepted")
	}
}

func TestToken(t *testing.T) {
	secret, id, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	got, ok := HashToken(secret)
	if !ok || got != hash {
		t.Errorf("HashToken(%q) = %x, %v; want %x", secret, got, ok, hash)
	}
	if id == "" || id == secret {
		t.Errorf("bad id %q", id)
	}
	for _, bad := range []string{"", "cst_", "cst_AAAA", secret[4:], secret + "A"} {
		if _, ok := HashToken(bad); ok {
			t.Errorf("HashToken(%q) accepted", bad)
		}
	}
}

// FuzzHashToken fuzzes the parser of bearer tokens, which are untrusted.
func FuzzHashToken(f *testing.F) {
	secret, _, _, _ := NewToken()
	f.Add(secret)
	f.Add("cst_")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, s string) {
		var h [32]byte
		var ok bool
		terminates.Within(t, s, func() { h, ok = HashToken(s) })
		if ok && (len(s) < len(TokenPrefix)+43 || h == [32]byte{}) {
			t.Fatalf("accepted %q", s)
		}
	})
}
