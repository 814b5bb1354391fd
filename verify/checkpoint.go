package verify

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// This file is the module's one parser of signed checkpoints (C2SP
// signed-note and tlog-checkpoint): the ledger, the witness and the monitor
// call it too, so that no part of Custodia accepts a checkpoint another
// refuses. It accepts one spelling of each checkpoint: a second spelling of
// the same bytes (a root or signature in non-canonical base64, a size with
// leading zeros) would let two different files carry one signed meaning.

var errBadHash = errors.New("not a base64 SHA-256 hash")

// MaxNoteSize bounds a signed checkpoint note, signature lines included.
// C2SP signed-note: a verifier MUST accept 16 signatures, and post-quantum
// ones are large: an ML-DSA-44 cosignature line (c2sp.org/tlog-cosignature,
// which tlog-witness recommends) takes about 3.3 KB, so 16 take about 53 KB.
// The bound keeps a hostile peer from making us read megabytes.
const MaxNoteSize = 64 << 10

// maxSignatures is x/mod's note.Open's limit, which checks the signatures
// after this parser: a note one accepts, the other must not refuse.
const maxSignatures = 100

// Checkpoint is the body of a signed checkpoint, per C2SP tlog-checkpoint:
// the log's origin, the number of leaves in the tree, and the tree's root
// hash, one per line, then optional extension lines.
type Checkpoint struct {
	Origin     string
	Size       int64
	Root       tlog.Hash
	Extensions []string // lines after the root; the verifier ignores them
}

// String returns the checkpoint body: the text that the log signs.
func (c *Checkpoint) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	for _, ext := range c.Extensions {
		b.WriteString(ext + "\n")
	}
	return b.String()
}

// ParseCheckpoint parses a checkpoint body (a note's text, ending in a
// newline, without the blank line and signatures). It accepts exactly the
// form that String produces: a non-empty origin, the size in decimal without
// leading zeros, the root in canonical base64, no empty lines, no control
// characters but the newlines. Its errors are *Error.
func ParseCheckpoint(text string) (*Checkpoint, error) {
	if err := checkText([]byte(text)); err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, malformed(0, "", "el punto de control tiene menos de tres líneas (origen, tamaño, raíz)",
			"the checkpoint has fewer than three lines (origin, size, root)")
	}
	for i, l := range lines {
		if l == "" {
			return nil, malformed(i+1, "", "línea vacía en el punto de control", "empty line in the checkpoint")
		}
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, malformed(2, "size", "el tamaño %q no es un número decimal sin ceros a la izquierda",
			"the size %q is not a decimal number without leading zeros", lines[1])
	}
	root, ok := canonicalBase64(lines[2])
	if !ok || len(root) != tlog.HashSize {
		return nil, malformed(3, "root", "la raíz %q no es un hash de 32 bytes en base64 canónico",
			"the root %q is not a 32-byte hash in canonical base64", lines[2])
	}
	return &Checkpoint{Origin: lines[0], Size: size, Root: tlog.Hash(root), Extensions: lines[3:]}, nil
}

// ParseNote parses a signed checkpoint note of at most MaxNoteSize bytes:
// the body (ParseCheckpoint), a blank line, then one or more signature lines
// (ParseSignatureLines). It checks the form only: OpenNote, or note.Open,
// checks the signatures. Its errors are *Error.
func ParseNote(msg []byte) (*Checkpoint, []note.Signature, error) {
	if len(msg) > MaxNoteSize {
		return nil, nil, fail(custody.ETooLarge, CheckCheckpoint, -1, "", "la nota firmada tiene %d bytes; el máximo es %d",
			"the signed note has %d bytes; the limit is %d", len(msg), MaxNoteSize)
	}
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, nil, malformed(0, "", "la nota no tiene la línea en blanco seguida de las firmas", "the note has no blank line followed by the signatures")
	}
	c, err := ParseCheckpoint(string(msg[:i+1]))
	if err != nil {
		return nil, nil, err
	}
	sigs, err := ParseSignatureLines(msg[i+2:])
	if err != nil {
		return nil, nil, err
	}
	return c, sigs, nil
}

// ParseSignatureLines parses note signature lines, each "— name base64\n":
// an em dash and a space, a key name (not empty, no spaces, no "+"), a
// space, and the key's 4-byte ID and the signature in canonical base64. A
// witness answers a cosignature in this form. Its errors are *Error.
func ParseSignatureLines(data []byte) ([]note.Signature, error) {
	if len(data) == 0 {
		return nil, malformed(0, "signature", "la nota no tiene firmas", "the note has no signatures")
	}
	if err := checkText(data); err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) > maxSignatures {
		return nil, fail(custody.ETooLarge, CheckCheckpoint, -1, "signature", "la nota tiene %d firmas; el máximo es %d",
			"the note has %d signatures; the limit is %d", len(lines), maxSignatures)
	}
	sigs := make([]note.Signature, 0, len(lines))
	for i, l := range lines {
		rest, dash := strings.CutPrefix(l, "— ")
		name, b64, _ := strings.Cut(rest, " ")
		if !dash || name == "" || strings.ContainsRune(name, '+') || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
			return nil, malformed(i+1, "signature", "la línea de firma no es «— nombre firma» con un nombre de clave sin espacios ni «+»",
				"the signature line is not \"— name signature\" with a key name without spaces or \"+\"")
		}
		raw, ok := canonicalBase64(b64)
		if !ok || len(raw) < 5 {
			return nil, malformed(i+1, "signature", "la firma de %q no es el ID de clave (4 bytes) y una firma en base64 canónico",
				"the signature of %q is not a key ID (4 bytes) and a signature in canonical base64", name)
		}
		sigs = append(sigs, note.Signature{Name: name, Hash: binary.BigEndian.Uint32(raw), Base64: b64})
	}
	return sigs, nil
}

// OpenNote parses a signed checkpoint note (ParseNote) and then checks its
// signatures with note.Open against known. A malformed note is an *Error; a
// signature that fails is note.Open's error (*note.UnverifiedNoteError,
// *note.InvalidSignatureError), so that a caller can tell the two apart.
func OpenNote(msg []byte, known note.Verifiers) (*note.Note, *Checkpoint, error) {
	c, _, err := ParseNote(msg)
	if err != nil {
		return nil, nil, err
	}
	n, err := note.Open(msg, known)
	if err != nil {
		return nil, nil, err
	}
	return n, c, nil
}

// malformed is a checkpoint format error; line is 0 for the whole note.
func malformed(line int, field, es, en string, args ...any) *Error {
	e := invalid(CheckCheckpoint, -1, field, es, en, args...)
	if line > 0 {
		e.Message, e.MessageEN = fmt.Sprintf("línea %d: %s", line, e.Message), fmt.Sprintf("line %d: %s", line, e.MessageEN)
	}
	return e
}

// checkText checks what signed-note asks of all of a note: valid UTF-8, no
// control character but the newline (so no CR), and a final newline.
func checkText(b []byte) error {
	if !utf8.Valid(b) {
		return malformed(0, "", "la nota no es UTF-8 válido", "the note is not valid UTF-8")
	}
	line := 1
	for _, c := range b {
		if c == '\n' {
			line++
		} else if c < 0x20 {
			return malformed(line, "", "carácter de control 0x%02x", "control character 0x%02x", c)
		}
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return malformed(0, "", "la nota está vacía o no termina en un salto de línea", "the note is empty or does not end with a newline")
	}
	return nil
}

// canonicalBase64 decodes s in standard base64 and reports whether s is the
// one encoding of the result: padded, no unused bits set, no line breaks.
func canonicalBase64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil && base64.StdEncoding.EncodeToString(b) == s
}

// openCheckpoint checks the signature of a signed checkpoint note with the
// log's verifier (and any cosigners in known) and parses it. It fails
// unless the log's own signature is present and valid, and the origin is the
// log's key name. A signature by a key in known that does not verify is an
// error; signatures by keys not in known are ignored.
func openCheckpoint(msg []byte, logKey note.Verifier, known note.Verifiers, what string) (*note.Note, *Checkpoint, error) {
	es, en := "el punto de control", "the checkpoint"
	if what == "old" {
		es, en = "el punto de control anterior", "the older checkpoint"
	}
	n, err := note.Open(msg, known)
	var bad *note.InvalidSignatureError
	switch {
	case errors.As(err, &bad) && bad.Name != logKey.Name():
		return nil, nil, tampered(CheckPolicy, -1, "", "la cofirma del testigo %[3]s sobre %[1]s es falsa", "the cosignature of witness %[3]s on %[2]s is forged", es, en, bad.Name)
	case errors.As(err, &bad):
		return nil, nil, tampered(CheckCheckpoint, -1, "", "la firma de %[1]s no es válida con la clave del registro", "the signature of %[2]s does not verify with the log's key", es, en)
	case err != nil:
		return nil, nil, tampered(CheckCheckpoint, -1, "", "%[1]s no lleva una firma válida de la clave %[3]s",
			"%[2]s has no valid signature by key %[3]s (%[4]v)", es, en, logKey.Name(), err)
	}
	signed := false
	for _, s := range n.Sigs {
		signed = signed || (s.Name == logKey.Name() && s.Hash == logKey.KeyHash())
	}
	if !signed {
		return nil, nil, tampered(CheckCheckpoint, -1, "", "%[1]s no lleva la firma de la clave del registro %[3]s",
			"%[2]s is not signed by the log's key %[3]s", es, en, logKey.Name())
	}
	c, _, err := ParseNote(msg)
	if perr := (*Error)(nil); errors.As(err, &perr) {
		return nil, nil, invalid(CheckCheckpoint, -1, perr.Field, "%[1]s está mal formado: %[3]s", "%[2]s is malformed: %[4]s", es, en, perr.Message, perr.MessageEN)
	} else if err != nil {
		return nil, nil, err
	}
	if c.Origin != logKey.Name() {
		return nil, nil, tampered(CheckCheckpoint, -1, "origin", "el origen de %[1]s es %[3]q, pero la clave es de %[4]q",
			"the origin of %[2]s is %[3]q, but the key is for %[4]q", es, en, c.Origin, logKey.Name())
	}
	return n, c, nil
}
