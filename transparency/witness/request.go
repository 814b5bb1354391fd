package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/verify"
)

// MaxProofLines is the most consistency proof lines an add-checkpoint request
// may carry (c2sp.org/tlog-witness: a client MUST NOT send more than 63).
const MaxProofLines = 63

// MaxRequestSize bounds an add-checkpoint request body: the old size line,
// 63 proof lines of 45 bytes, a blank line and a checkpoint note.
const MaxRequestSize = 32 + MaxProofLines*45 + 1 + verify.MaxNoteSize

// AddCheckpointRequest is the body of a c2sp.org/tlog-witness add-checkpoint
// request: "the witness last cosigned size OldSize; here is the proof that
// Checkpoint extends it".
type AddCheckpointRequest struct {
	OldSize    int64
	Proof      tlog.TreeProof
	Checkpoint []byte // the signed checkpoint note, signature lines included
}

// ParseAddCheckpoint parses an add-checkpoint request body. It checks the
// framing only: the checkpoint's signatures and the proof are the witness's
// business. Its error is a *custody.Error (EInvalid) whose Message is in
// Spanish and MessageEN in English, each once.
func ParseAddCheckpoint(body []byte) (*AddCheckpointRequest, error) {
	bad := func(line int, es, en string) error {
		return &custody.Error{Code: custody.EInvalid,
			Message:   fmt.Sprintf("cuerpo de add-checkpoint, línea %d: %s", line, es),
			MessageEN: fmt.Sprintf("add-checkpoint body, line %d: %s", line, en)}
	}
	if len(body) > MaxRequestSize {
		return nil, bad(0, "demasiado largo", "too long")
	}
	var req AddCheckpointRequest
	rest := body
	next := func() ([]byte, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil, false
		}
		line := rest[:i]
		rest = rest[i+1:]
		return line, true
	}
	line, ok := next()
	if !ok {
		return nil, bad(1, "falta la línea old", "missing old line")
	}
	num, found := bytes.CutPrefix(line, []byte("old "))
	if !found {
		return nil, bad(1, "debe empezar por \"old \"", "must start with \"old \"")
	}
	n, err := parseDecimal(num)
	if err != nil {
		return nil, bad(1, "tamaño anterior: "+err.es, "old size: "+err.en)
	}
	req.OldSize = n
	for i := 2; ; i++ {
		line, ok := next()
		if !ok {
			return nil, bad(i, "falta la línea vacía antes del punto de control", "missing blank line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(req.Proof) == MaxProofLines {
			return nil, bad(i, "más de 63 líneas de prueba", "more than 63 proof lines")
		}
		h, ok := parseHash(line)
		if !ok {
			return nil, bad(i, "prueba: no es un hash base64 de 32 bytes", "proof: not a 32-byte base64 hash")
		}
		req.Proof = append(req.Proof, h)
	}
	if len(rest) == 0 {
		return nil, bad(0, "falta el punto de control", "missing checkpoint")
	}
	if len(rest) > verify.MaxNoteSize {
		return nil, bad(0, "punto de control demasiado largo", "checkpoint too long")
	}
	req.Checkpoint = rest
	return &req, nil
}

// Marshal formats r as an add-checkpoint request body.
func (r *AddCheckpointRequest) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("old ")
	b.WriteString(strconv.FormatInt(r.OldSize, 10))
	b.WriteByte('\n')
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// numberError says in both languages why a number did not parse.
type numberError struct{ es, en string }

// parseDecimal parses a non-negative ASCII decimal with no leading zeros
// that fits in an int64 (tlog sizes are int64).
func parseDecimal(b []byte) (int64, *numberError) {
	if len(b) == 0 {
		return 0, &numberError{"vacío", "empty"}
	}
	if len(b) > 1 && b[0] == '0' {
		return 0, &numberError{"ceros a la izquierda", "leading zeros"}
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, &numberError{fmt.Sprintf("no es un número decimal %q", b), fmt.Sprintf("not a decimal number %q", b)}
		}
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, &numberError{"fuera de rango", "out of range"}
	}
	return n, nil
}

// parseHash parses a canonical standard base64 SHA-256 hash.
func parseHash(b []byte) (tlog.Hash, bool) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.Strict().DecodeString(string(b))
	if err != nil || len(raw) != len(h) {
		return h, false
	}
	copy(h[:], raw)
	return h, true
}
