// Package tlogproof reads and writes one event's proof of inclusion in the
// C2SP tlog-proof format (c2sp.org/tlog-proof), for other tools. It is not
// part of custodia verify's verdict, so it lies outside the verifier's
// trust base; it checks a proof with the verifier's strict checkpoint
// parser (verify.OpenNote) and x/mod's tlog.
package tlogproof

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/verify"
)

// Header is the first line of a C2SP tlog-proof.
const Header = "c2sp.org/tlog-proof@v1"

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
	b.WriteString(Header + "\n")
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
func Write(b *verify.Bundle, i int) (string, error) {
	if i < 0 || i >= len(b.Events) {
		return "", fmt.Errorf("the bundle has no event at position %d", i)
	}
	e := b.Events[i]
	var proof []tlog.Hash
	for _, s := range e.Proof {
		h, err := decodeHash(s)
		if err != nil {
			return "", fmt.Errorf("event %d: proof hash %q: %v", e.Index, s, err)
		}
		proof = append(proof, h)
	}
	p := &InclusionProof{Extra: []byte(e.Event), Index: e.Index, Proof: proof, Checkpoint: b.Checkpoint}
	return p.String(), nil
}

// ParseTLogProof parses a proof in C2SP tlog-proof text format. It checks
// the format only; CheckTLogProof checks the signatures and the proof.
func Parse(text []byte) (*InclusionProof, error) {
	if len(text) > maxLen {
		return nil, errors.New("the tlog-proof is too large")
	}
	head, cp, ok := strings.Cut(string(text), "\n\n")
	if !ok {
		return nil, errors.New("the tlog-proof has no blank line before its checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != Header {
		return nil, fmt.Errorf("the tlog-proof does not start with %q", Header)
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
func Check(p *InclusionProof, record []byte, logKey string) (*verify.Checkpoint, error) {
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("the log key is invalid: %v", err)
	}
	n, cp, err := verify.OpenNote([]byte(p.Checkpoint), note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("the checkpoint: %v", err)
	}
	if len(n.Sigs) == 0 || n.Sigs[0].Name != v.Name() || n.Sigs[0].Hash != v.KeyHash() {
		return nil, errors.New("the checkpoint is not signed by the log's key")
	}
	if record == nil {
		record = p.Extra
	}
	if err := tlog.CheckRecord(p.Proof, cp.Size, cp.Root, p.Index, tlog.RecordHash(record)); err != nil {
		return nil, fmt.Errorf("event %d: the record is not in the checkpoint's tree at that position", p.Index)
	}
	return cp, nil
}

// maxLen bounds a tlog-proof file, so that a hostile one cannot exhaust
// memory: a real one is a few kilobytes plus one event.
const maxLen = 2 << 20

// decodeHash decodes one 32-byte hash in canonical standard base64.
func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != tlog.HashSize || base64.StdEncoding.EncodeToString(b) != s {
		return h, errors.New("not a base64 SHA-256 hash")
	}
	copy(h[:], b)
	return h, nil
}
