package verify

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// loosen returns a non-canonical spelling of the padded base64 s that
// decodes to the same bytes: the unused low bit of its last character set.
// Go's plain base64 decoder, and so x/mod's note.Open, accept it.
func loosen(t testing.TB, s string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.LastIndexFunc(s, func(r rune) bool { return r != '=' })
	if i == len(s)-1 {
		t.Fatalf("%q has no padding, so no unused bits", s)
	}
	out := s[:i] + string(alphabet[strings.IndexByte(alphabet, s[i])^1]) + s[i+1:]
	a, err1 := base64.StdEncoding.DecodeString(s)
	b, err2 := base64.StdEncoding.DecodeString(out)
	if err1 != nil || err2 != nil || string(a) != string(b) || out == s {
		t.Fatalf("loosen(%q) = %q does not decode to the same bytes", s, out)
	}
	return out
}

// testNote is a signed checkpoint note and the pieces it is made of, so that
// a test can change one of them.
type testNote struct {
	signer note.Signer
	v      note.Verifier
	body   string // origin, size, root, ending in a newline
	sig    string // the log's signature line
}

func newTestNote(t testing.TB) *testNote {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "custodia.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n := &testNote{signer: signer, v: v}
	n.body = (&Checkpoint{Origin: "custodia.test/log", Size: 42, Root: tlog.RecordHash([]byte("x"))}).String()
	n.sig = n.sign(t, n.body)
	return n
}

// sign returns the signature line of text by the note's key.
func (n *testNote) sign(t testing.TB, text string) string {
	t.Helper()
	msg, err := note.Sign(&note.Note{Text: text}, n.signer)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(string(msg), text+"\n")
}

func (n *testNote) String() string { return n.body + "\n" + n.sig }

func TestParseNoteAccepts(t *testing.T) {
	n := newTestNote(t)
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	other := "— witness.test/w " + base64.StdEncoding.EncodeToString(make([]byte, 4+8+64)) + "\n"
	for _, tc := range []struct {
		name, msg string
		size      int64
		ext, sigs int
	}{
		{"plain", n.String(), 42, 0, 1},
		{"extension lines", "custodia.test/log\n42\n" + root + "\nfirst ext\nsecond ext\n\n" + n.sig, 42, 2, 1},
		{"empty tree", "custodia.test/log\n0\n" + root + "\n\n" + n.sig, 0, 0, 1},
		{"largest size", "custodia.test/log\n9223372036854775807\n" + root + "\n\n" + n.sig, 1<<63 - 1, 0, 1},
		{"a cosignature after the log's", n.String() + other, 42, 0, 2},
		{"an origin that is not a URL", "any text, even spaces\n42\n" + root + "\n\n" + n.sig, 42, 0, 1},
		{"unicode", "registro.test/señal\n42\n" + root + "\n\n— testigo.test/ñandú " + base64.StdEncoding.EncodeToString([]byte("12345")) + "\n", 42, 0, 1},
	} {
		c, sigs, err := ParseNote([]byte(tc.msg))
		if err != nil {
			t.Errorf("%s: ParseNote(%q): %v", tc.name, tc.msg, err)
			continue
		}
		if c.Size != tc.size || len(c.Extensions) != tc.ext || len(sigs) != tc.sigs {
			t.Errorf("%s: size %d, %d extensions, %d signatures; want %d, %d, %d", tc.name, c.Size, len(c.Extensions), len(sigs), tc.size, tc.ext, tc.sigs)
		}
		if got := c.String() + "\n" + formatSigs(sigs); got != tc.msg {
			t.Errorf("%s: the parts do not make the note again:\n%q\n%q", tc.name, got, tc.msg)
		}
	}
}

// TestParseNoteRefuses: one case for each rule, each changing one thing in
// a valid note. Each must fail with an *Error of the checkpoint check, in
// both languages, naming what is wrong.
func TestParseNoteRefuses(t *testing.T) {
	n := newTestNote(t)
	c, _ := ParseCheckpoint(n.body)
	root := base64.StdEncoding.EncodeToString(c.Root[:])
	withRoot := func(r string) string { return "custodia.test/log\n42\n" + r + "\n\n" + n.sig }
	withSize := func(s string) string { return "custodia.test/log\n" + s + "\n" + root + "\n\n" + n.sig }
	name, sig64, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(n.sig, "— "), "\n"), " ")
	withSig := func(line string) string { return n.body + "\n" + line + "\n" }
	hundred := strings.Repeat(n.sig, 101)
	for _, tc := range []struct {
		name, msg string
		code      string // custody.EInvalid unless set
		want      string // in the English message
	}{
		// signed-note: the whole note
		{"empty", "", "", "no blank line"},
		{"no signatures", n.body, "", "no blank line"},
		{"blank line, no signature", n.body + "\n", "", "no signatures"},
		{"no final newline", strings.TrimSuffix(n.String(), "\n"), "", "does not end with a newline"},
		{"CR in the text", strings.Replace(n.String(), "\n", "\r\n", 1), "", "control character 0x0d"},
		{"CR in a signature line", strings.TrimSuffix(n.String(), "\n") + "\r\n", "", "control character 0x0d"},
		{"tab in the origin", "custodia.test/\tlog" + n.String()[len("custodia.test/log"):], "", "control character 0x09"},
		{"invalid UTF-8", "custodia.test/\xfflog" + n.String()[len("custodia.test/log"):], "", "not valid UTF-8"},
		{"blank line after the signatures", n.String() + "\n", "", "line 4: empty line"},
		{"too large", n.body + strings.Repeat("x", MaxNoteSize) + "\n\n" + n.sig, custody.ETooLarge, "the limit is"},
		{"too many signatures", n.body + "\n" + hundred, custody.ETooLarge, "101 signatures"},
		// tlog-checkpoint: the body
		{"two lines", "custodia.test/log\n42\n\n" + n.sig, "", "fewer than three lines"},
		{"one line", "custodia.test/log\n\n" + n.sig, "", "fewer than three lines"},
		{"empty origin", "\n42\n" + root + "\n\n" + n.sig, "", "empty line"},
		{"empty extension line", "custodia.test/log\n42\n" + root + "\n\next\n\n" + n.sig, "", "empty line"},
		{"size with a leading zero", withSize("042"), "", `size "042"`},
		{"size zero twice", withSize("00"), "", `size "00"`},
		{"size with a sign", withSize("+42"), "", `size "+42"`},
		{"negative size", withSize("-1"), "", `size "-1"`},
		{"size with a space", withSize("42 "), "", `size "42 "`},
		{"size in hexadecimal", withSize("0x2a"), "", `size "0x2a"`},
		{"size too large", withSize("9223372036854775808"), "", `size "9223372036854775808"`},
		{"root with unused bits set", withRoot(loosen(t, root)), "", "canonical base64"},
		{"root without padding", withRoot(strings.TrimSuffix(root, "=")), "", "canonical base64"},
		{"root of 31 bytes", withRoot(base64.StdEncoding.EncodeToString(make([]byte, 31))), "", "32-byte"},
		{"root of 33 bytes", withRoot(base64.StdEncoding.EncodeToString(make([]byte, 33))), "", "32-byte"},
		{"root in URL alphabet", withRoot(base64.URLEncoding.EncodeToString(append([]byte{0xfb, 0xff, 0xbf}, make([]byte, 29)...))), "", "canonical base64"},
		{"root in hex", withRoot(strings.Repeat("ab", 32)), "", "32-byte"},
		// signed-note: the signature lines
		{"hyphen for the em dash", withSig("- " + name + " " + sig64), "", `"— name signature"`},
		{"en dash for the em dash", withSig("– " + name + " " + sig64), "", `"— name signature"`},
		{"no space after the dash", withSig("—" + name + " " + sig64), "", `"— name signature"`},
		{"no key name", withSig("—  " + sig64), "", `"— name signature"`},
		{"plus in the key name", withSig("— a+b " + sig64), "", `"— name signature"`},
		{"no-break space in the key name", withSig("— a\u00a0b " + sig64), "", `"— name signature"`},
		{"no signature", withSig("— " + name), "", "canonical base64"},
		{"signature with unused bits set", withSig("— " + name + " " + loosen(t, sig64)), "", "canonical base64"},
		{"signature without padding", withSig("— " + name + " " + strings.TrimRight(sig64, "=")), "", "canonical base64"},
		{"two spaces before the signature", withSig("— " + name + "  " + sig64), "", "canonical base64"},
		{"a word after the signature", withSig("— " + name + " " + sig64 + " x"), "", "canonical base64"},
		{"key ID only", withSig("— " + name + " " + base64.StdEncoding.EncodeToString([]byte{1, 2, 3, 4})), "", "key ID (4 bytes)"},
	} {
		_, _, err := ParseNote([]byte(tc.msg))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: ParseNote(%q) = %v; want an *Error", tc.name, tc.msg, err)
			continue
		}
		code := tc.code
		if code == "" {
			code = custody.EInvalid
		}
		if e.Code != code || e.Check != CheckCheckpoint || e.Message == "" || !strings.Contains(e.MessageEN, tc.want) {
			t.Errorf("%s: got %s (code %s, check %s); want code %s, check %s, containing %q", tc.name, e, e.Code, e.Check, code, CheckCheckpoint, tc.want)
		}
	}
}

// TestParseNoteLineNumbers: a malformed line is named by its number.
func TestParseNoteLineNumbers(t *testing.T) {
	n := newTestNote(t)
	_, _, err := ParseNote([]byte(strings.Replace(n.String(), "\n42\n", "\n042\n", 1)))
	var e *Error
	if !errors.As(err, &e) || e.Field != "size" || !strings.HasPrefix(e.Message, "línea 2: ") || !strings.HasPrefix(e.MessageEN, "line 2: ") {
		t.Fatalf("got %v; want the size, line 2, in both languages", err)
	}
}

// TestOpenCheckpointRefusesNonCanonical: a note that x/mod's note.Open
// accepts, with a valid log signature, is still refused when it is not in
// canonical form, by the verifier's own path and by OpenNote.
func TestOpenCheckpointRefusesNonCanonical(t *testing.T) {
	n := newTestNote(t)
	c, _ := ParseCheckpoint(n.body)
	root := base64.StdEncoding.EncodeToString(c.Root[:])
	looseBody := strings.Replace(n.body, root, loosen(t, root), 1)
	name, sig64, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(n.sig, "— "), "\n"), " ")
	for _, tc := range []struct{ name, msg string }{
		{"root with unused bits set, signed", looseBody + "\n" + n.sign(t, looseBody)},
		{"log signature with unused bits set", n.body + "\n— " + name + " " + loosen(t, sig64) + "\n"},
	} {
		if _, err := note.Open([]byte(tc.msg), note.VerifierList(n.v)); err != nil {
			t.Fatalf("%s: note.Open refused it (%v); the case tests nothing", tc.name, err)
		}
		_, _, err := openCheckpoint([]byte(tc.msg), n.v, note.VerifierList(n.v), "")
		var e *Error
		if !errors.As(err, &e) || e.Code != custody.EInvalid || e.Check != CheckCheckpoint || !strings.Contains(e.MessageEN, "the checkpoint is malformed") {
			t.Errorf("%s: openCheckpoint = %v; want the checkpoint refused as malformed", tc.name, err)
		}
		if _, _, err := OpenNote([]byte(tc.msg), note.VerifierList(n.v)); !errors.As(err, &e) {
			t.Errorf("%s: OpenNote = %v; want an *Error", tc.name, err)
		}
	}
	if _, _, err := openCheckpoint([]byte(n.String()), n.v, note.VerifierList(n.v), ""); err != nil {
		t.Fatalf("the canonical note: %v", err)
	}
	if _, got, err := OpenNote([]byte(n.String()), note.VerifierList(n.v)); err != nil || got.Size != 42 {
		t.Fatalf("OpenNote of the canonical note: %+v, %v", got, err)
	}
}

// TestOpenNoteSignatureErrors: OpenNote passes note.Open's errors through,
// so that a caller can tell a forged note from a malformed one.
func TestOpenNoteSignatureErrors(t *testing.T) {
	n, other := newTestNote(t), newTestNote(t)
	_, _, err := OpenNote([]byte(other.String()), note.VerifierList(n.v))
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		t.Errorf("a note by another key with the same name: %v; want *note.UnverifiedNoteError", err)
	}
	forged := n.body + "\n" + other.sig // same name and, with odds 2^-32, another key ID
	if _, _, err = OpenNote([]byte(forged), note.VerifierList(n.v)); err == nil {
		t.Error("a note signed by another key passed")
	}
}

func formatSigs(sigs []note.Signature) string {
	var b strings.Builder
	for _, s := range sigs {
		b.WriteString("— " + s.Name + " " + s.Base64 + "\n")
	}
	return b.String()
}

// FuzzParseNote: what the parser accepts, its parts write back byte for
// byte (one spelling per checkpoint), and x/mod's note.Open reads it as a
// well-formed note; what it refuses, it refuses with an *Error in both
// languages.
func FuzzParseNote(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "notes", "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/notes: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, v := range terminates.Variants(b) {
			f.Add(v)
		}
	}
	n := newTestNote(f)
	f.Add([]byte(n.String()))
	f.Add([]byte(n.String() + "— witness.test/w AAAAAQ==\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var c *Checkpoint
		var sigs []note.Signature
		var err error
		terminates.Within(t, msg, func() { c, sigs, err = ParseNote(msg) })
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Message == "" || e.MessageEN == "" || c != nil || sigs != nil {
				t.Fatalf("ParseNote(%q) = %+v, %v; want nil results and an *Error", msg, c, err)
			}
			return
		}
		if got := c.String() + "\n" + formatSigs(sigs); got != string(msg) {
			t.Fatalf("ParseNote(%q) writes back as %q", msg, got)
		}
		var unverified *note.UnverifiedNoteError
		if _, err := note.Open(msg, note.VerifierList()); !errors.As(err, &unverified) {
			t.Fatalf("note.Open(%q) = %v; want only unverified signatures", msg, err)
		}
	})
}
