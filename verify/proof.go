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

// TLogProofHeader is the first line of a C2SP tlog-proof.
const TLogProofHeader = "c2sp.org/tlog-proof@v1"

// InclusionProof is one event's proof of inclusion in the C2SP tlog-proof text
// format, which other transparency-log tools can read: the header line, an
// "extra" line, "index N", the inclusion proof hashes one per line, a blank
// line, and the signed checkpoint verbatim (cosignatures included).
//
// Custodia puts the event's canonical bytes, base64, in the extra line, so
// the file is self-contained: the leaf hash is tlog.RecordHash of them. The
// extra data is not trusted; CheckTLogProof hashes it and checks it.
type InclusionProof struct {
	Extra      []byte      // the event bytes, or nil when there is no extra line
	Index      int64       // the leaf index
	Proof      []tlog.Hash // tlog.RecordProof
	Checkpoint string      // the signed checkpoint note
}

// String returns the proof in tlog-proof text format.
func (p *InclusionProof) String() string {
	var b strings.Builder
	b.WriteString(TLogProofHeader + "\n")
	if p.Extra != nil {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	fmt.Fprintf(&b, "index %d\n", p.Index)
	for _, h := range p.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n" + p.Checkpoint)
	return b.String()
}

// TLogProof returns the proof of the bundle's i-th event (its position
// in Events, not its log index) in tlog-proof format. It checks the shape of
// the proof but nothing cryptographic: run Verify first.
func TLogProof(b *Bundle, i int) (string, error) {
	if i < 0 || i >= len(b.Events) {
		return "", fmt.Errorf("the bundle has no event at position %d", i)
	}
	e := b.Events[i]
	proof, err := decodeHashes(e.Proof, CheckProof, e.Index, "proof")
	if err != nil {
		return "", err
	}
	p := &InclusionProof{Extra: []byte(e.Event), Index: e.Index, Proof: proof, Checkpoint: b.Checkpoint}
	return p.String(), nil
}

// ParseTLogProof parses a proof in C2SP tlog-proof text format. It checks
// the format only; CheckTLogProof checks the signatures and the proof.
func ParseTLogProof(text []byte) (*InclusionProof, error) {
	if len(text) > maxTLogProofLen {
		return nil, errors.New("the tlog-proof is too large")
	}
	head, cp, ok := strings.Cut(string(text), "\n\n")
	if !ok {
		return nil, errors.New("the tlog-proof has no blank line before its checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != TLogProofHeader {
		return nil, fmt.Errorf("the tlog-proof does not start with %q", TLogProofHeader)
	}
	p := &InclusionProof{Checkpoint: cp}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		extra, err := base64.StdEncoding.Strict().DecodeString(lines[0][len("extra "):])
		if err != nil {
			return nil, errors.New("the tlog-proof's extra line is not base64")
		}
		p.Extra, lines = extra, lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return nil, errors.New("the tlog-proof has no index line")
	}
	num := lines[0][len("index "):]
	index, err := strconv.ParseInt(num, 10, 64)
	if err != nil || index < 0 || strconv.FormatInt(index, 10) != num {
		return nil, fmt.Errorf("the tlog-proof's index %q is not a decimal number", num)
	}
	p.Index = index
	for _, l := range lines[1:] {
		h, err := decodeHash(l)
		if err != nil {
			return nil, fmt.Errorf("the tlog-proof line %q is not a base64 SHA-256 hash", l)
		}
		p.Proof = append(p.Proof, h)
	}
	return p, nil
}

// CheckTLogProof checks a tlog-proof: the checkpoint is signed by logKey
// (a note verifier key) with the key's name as origin, and record (the
// leaf's data; the extra bytes when record is nil) is in the checkpoint's
// tree at the proof's index. It returns the checkpoint.
func CheckTLogProof(p *InclusionProof, record []byte, logKey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, invalid(CheckKey, -1, "", "la clave del registro no es válida: %v", "the log key is invalid: %v", err)
	}
	_, cp, err := openCheckpoint([]byte(p.Checkpoint), v, note.VerifierList(v), "")
	if err != nil {
		return nil, err
	}
	if record == nil {
		record = p.Extra
	}
	if err := tlog.CheckRecord(p.Proof, cp.Size, cp.Root, p.Index, tlog.RecordHash(record)); err != nil {
		return nil, tampered(CheckProof, p.Index, "", "el registro no está en el árbol del punto de control en esa posición",
			"the record is not in the checkpoint's tree at that position")
	}
	return cp, nil
}
