package ledger_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/ledger"
)

// FuzzParseCheckpoint: checkpoint text comes from outside (a witness, a
// bundle). Parsing never panics, and what parses formats back to the same
// first three lines.
func FuzzParseCheckpoint(f *testing.F) {
	root := tlog.RecordHash([]byte("x"))
	f.Add(ledger.FormatCheckpoint("custodia.local/abc", 1071, root))
	f.Add(ledger.FormatCheckpoint("o", 0, tlog.Hash{}))
	f.Add(ledger.FormatCheckpoint("custodia.local/abc", 1071, root) + "ext line\n")
	f.Add("o\n-1\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n")
	f.Add("o\n01\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n")
	f.Add("o\n1\nAAAA\n")
	f.Add("\n1\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n")
	f.Add("o\n1\n")
	f.Add("")
	f.Add("o\n99999999999999999999\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n")
	for _, v := range terminates.StringVariants(ledger.FormatCheckpoint("custodia.local/abc", 1071, root) + "ext line\n") {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var origin string
		var size int64
		var r tlog.Hash
		var err error
		terminates.Within(t, text, func() { origin, size, r, err = ledger.ParseCheckpoint(text) })
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if origin == "" || size < 0 {
			t.Fatalf("accepted origin %q size %d", origin, size)
		}
		lines := strings.SplitN(text, "\n", 4)
		if lines[0] != origin || lines[1] != strconv.FormatInt(size, 10) || lines[2] != base64.StdEncoding.EncodeToString(r[:]) {
			t.Fatalf("parsed %q as %q %d %x", text, origin, size, r)
		}
		if again := ledger.FormatCheckpoint(origin, size, r); !strings.HasPrefix(text, again) {
			t.Fatalf("FormatCheckpoint(parse(%q)) = %q", text, again)
		}
	})
}
