package blob

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// FuzzCheckKey: keys come from API requests and from the ledger. CheckKey
// accepts exactly 64 lowercase hex digits (so a key can never name a path
// or object outside a store) and refuses the rest with ErrInvalidKey. Seeds
// are in testdata/fuzz/FuzzCheckKey.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"../../../../../../../../../../../../../../../../../../etc/passwd",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		var err error
		terminates.Within(t, key, func() { err = CheckKey(key) })
		b, decErr := hex.DecodeString(key)
		want := decErr == nil && len(b) == 32 && strings.ToLower(key) == key
		if want != (err == nil) {
			t.Fatalf("CheckKey(%q) = %v, want valid=%v", key, err, want)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, not ErrInvalidKey", key, err)
		}
	})
}
