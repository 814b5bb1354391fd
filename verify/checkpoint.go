package verify

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var errBadHash = errors.New("not a base64 SHA-256 hash")

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
// form that String produces: the size in decimal without leading zeros, the
// root in canonical base64, and no empty lines.
func ParseCheckpoint(text string) (*Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return nil, errors.New("the checkpoint does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, errors.New("the checkpoint has fewer than three lines")
	}
	c := &Checkpoint{Origin: lines[0], Extensions: lines[3:]}
	if c.Origin == "" {
		return nil, errors.New("the checkpoint's origin line is empty")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return nil, fmt.Errorf("the checkpoint's size %q is not a decimal number", lines[1])
	}
	c.Size = size
	if c.Root, err = decodeHash(lines[2]); err != nil {
		return nil, fmt.Errorf("the checkpoint's root hash %q is not a base64 SHA-256 hash", lines[2])
	}
	for _, ext := range c.Extensions {
		if ext == "" {
			return nil, errors.New("the checkpoint has an empty extension line")
		}
	}
	return c, nil
}

// openCheckpoint checks the signature of a signed checkpoint note with the
// log's verifier (and any cosigners in known) and parses its body. It fails
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
		return nil, nil, tampered(CheckCheckpoint, -1, "", "%[1]s no lleva una firma válida de la clave %[3]s (%[4]v)",
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
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, nil, invalid(CheckCheckpoint, -1, "", "%[1]s está mal formado: %[3]v", "%[2]s is malformed: %[3]v", es, en, err)
	}
	if c.Origin != logKey.Name() {
		return nil, nil, tampered(CheckCheckpoint, -1, "origin", "el origen de %[1]s es %[3]q, pero la clave es de %[4]q",
			"the origin of %[2]s is %[3]q, but the key is for %[4]q", es, en, c.Origin, logKey.Name())
	}
	return n, c, nil
}
