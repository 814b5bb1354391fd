package forensic

import (
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// FuzzParseAlgos: --algo is user input. ParseAlgos never panics, accepts
// only sets of known algorithms, and reads back what String writes. Seeds
// are in testdata/fuzz/FuzzParseAlgos.
func FuzzParseAlgos(f *testing.F) {
	for _, s := range []string{"md5,sha1,sha256", "sha256", "SHA-1", "", ",", "md5,,sha1", "sha512"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a Algos
		var err error
		terminates.Within(t, s, func() { a, err = ParseAlgos(s) })
		if err != nil {
			if a != 0 {
				t.Errorf("ParseAlgos(%q) = %v with error %v", s, a, err)
			}
			if !strings.Contains(err.Error(), " / ") {
				t.Errorf("error without its English half: %v", err)
			}
			return
		}
		if a == 0 || a&^All != 0 {
			t.Fatalf("ParseAlgos(%q) = %d, not a valid set", s, a)
		}
		b, err := ParseAlgos(a.String())
		if err != nil || b != a {
			t.Errorf("round trip of %q: %v -> %q -> %v, %v", s, a, a.String(), b, err)
		}
	})
}
