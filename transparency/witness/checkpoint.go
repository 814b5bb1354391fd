package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpointSize bounds a checkpoint note with its signatures. Real
// checkpoints are a few hundred bytes; the bound keeps a hostile peer from
// making us parse megabytes.
const MaxCheckpointSize = 16 << 10

// Checkpoint is the body of a c2sp.org/tlog-checkpoint note: which log, how
// many entries, and the RFC 6962 root hash over them.
type Checkpoint struct {
	Origin     string
	Size       int64
	Hash       tlog.Hash
	Extensions []string // optional lines after the root hash, opaque to witnesses
}

// ParseCheckpoint parses checkpoint note text (the part of a signed note
// before the blank line, ending in a newline). It checks the format only,
// not any signature.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	bad := func(line int, es, en string) error {
		return fmt.Errorf("punto de control, línea %d: %s / checkpoint, line %d: %s", line, es, line, en)
	}
	if len(text) > MaxCheckpointSize {
		return c, bad(0, "demasiado largo", "too long")
	}
	if !utf8.Valid(text) {
		return c, bad(0, "no es UTF-8", "not UTF-8")
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return c, bad(0, "debe terminar en salto de línea", "must end in a newline")
	}
	lines := bytes.Split(text[:len(text)-1], []byte("\n"))
	if len(lines) < 3 {
		return c, bad(len(lines), "faltan líneas (origen, tamaño, hash)", "missing lines (origin, size, hash)")
	}
	for i, l := range lines {
		if len(l) == 0 {
			return c, bad(i+1, "línea vacía", "empty line")
		}
		for _, r := range string(l) {
			if r < 0x20 || r == 0x7f {
				return c, bad(i+1, "carácter de control", "control character")
			}
		}
	}
	c.Origin = string(lines[0])
	size, err := parseDecimal(lines[1])
	if err != nil {
		return c, bad(2, "tamaño: "+err.Error(), "size: "+err.Error())
	}
	c.Size = size
	h, err := parseHash(lines[2])
	if err != nil {
		return c, bad(3, "hash raíz: "+err.Error(), "root hash: "+err.Error())
	}
	c.Hash = h
	for _, l := range lines[3:] {
		c.Extensions = append(c.Extensions, string(l))
	}
	return c, nil
}

// Text formats c as checkpoint note text.
func (c Checkpoint) Text() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// parseDecimal parses a non-negative ASCII decimal with no leading zeros
// that fits in an int64 (tlog sizes are int64).
func parseDecimal(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, fmt.Errorf("vacío / empty")
	}
	if len(b) > 1 && b[0] == '0' {
		return 0, fmt.Errorf("ceros a la izquierda / leading zeros")
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("no es un número decimal %q / not a decimal number %q", b, b)
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("fuera de rango / out of range")
	}
	return n, nil
}

// parseHash parses a canonical standard base64 SHA-256 hash.
func parseHash(b []byte) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(string(b))
	if err != nil || len(raw) != len(h) {
		return h, fmt.Errorf("no es un hash base64 de 32 bytes / not a 32-byte base64 hash")
	}
	copy(h[:], raw)
	return h, nil
}
