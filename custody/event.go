package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// EventVersion is the version of the canonical event encoding. A verifier
// refuses events of a version it does not know rather than guess.
const EventVersion = 1

// Event is one entry of the custody log: an accepted record, with when and by
// whom the system recorded it.
//
// Its canonical bytes (RFC 8785, see Canonical) are what the log commits to:
// leaf i of the Merkle tree is the RFC 6962 leaf hash of event i's bytes.
// Salt is 16 random bytes, so that a leaf hash alone reveals nothing about the
// event even to someone who can guess its fields.
type Event struct {
	V    int    `json:"v"`
	Seq  int64  `json:"seq"`  // the leaf index
	Salt string `json:"salt"` // 32 lowercase hex digits
	Op   string `json:"op"`
	// Record is what the record claims: the op's fields as given (in a case
	// file or a request), canonicalised, without "op".
	Record json.RawMessage `json:"record"`
	// Prev links each evidence item the event acts on to that item's previous
	// event, so that a bundle with an event left out of an item's history is
	// caught by any verifier. Absent for an item's first event.
	Prev map[string]int64 `json:"prev,omitempty"`
	// Recorded is what the system saw.
	Recorded Recorded `json:"recorded"`
	// Sigs are the personal signatures of the act (see ActDigest), in role
	// order: none for an import or a system event; by; or from and to.
	Sigs []Sig `json:"sigs,omitempty"`
}

// Recorded says when the system recorded an event and through which door:
// a signed-in account, or an import of a case file (by its SHA-256 and line).
type Recorded struct {
	At      string  `json:"at"` // RFC 3339, UTC, from the recording system's clock
	Account string  `json:"account,omitempty"`
	Import  *Import `json:"import,omitempty"`
	// Commit is the seq of the first event of the transaction that
	// recorded this one. Every transaction ends in one signed checkpoint,
	// so the commits mark where checkpoints must exist: a checkpoint
	// deleted from the database is found from the signed events alone.
	Commit int64 `json:"commit"`
}

// Import identifies the case file an event came from.
type Import struct {
	SHA256 string `json:"sha256"`
	Line   int    `json:"line"`
}

// Encode returns the canonical bytes of e. e.Record must already be
// canonical (fastcodec.MarshalCanonical gives that). The members are
// written directly in RFC 8785 order, which is faster than a generic
// canonicalisation on the write path; TestEventEncodeCanonical holds the
// two equal.
func (e *Event) Encode() ([]byte, error) { return e.EncodeTo(nil) }

// EncodeTo is Encode writing into dst's memory when it is large enough
// (dst's contents are overwritten), so that a writer can reuse the buffers
// of events already stored.
func (e *Event) EncodeTo(dst []byte) ([]byte, error) {
	if len(e.Record) == 0 || e.Record[0] != '{' {
		return nil, errors.New("event has no record object")
	}
	// Room for the whole event, so that the buffer never grows: the fixed
	// member names and numbers take under 160 bytes, the import under 100.
	size := 160 + len(e.Record) + len(e.Op) + len(e.Salt) + len(e.Recorded.At) + len(e.Recorded.Account) + 24*len(e.Prev)
	for k := range e.Prev {
		size += len(k)
	}
	if e.Recorded.Import != nil {
		size += 100 + len(e.Recorded.Import.SHA256)
	}
	for _, g := range e.Sigs {
		size += 90 + len(g.AuthenticatorData) + len(g.ClientDataJSON) + len(g.Key) + len(g.Role) + len(g.Sig)
	}
	if cap(dst) < size {
		dst = make([]byte, 0, size)
	}
	b := bytes.NewBuffer(dst[:0])
	b.WriteString(`{"op":`)
	writeString(b, e.Op)
	if len(e.Prev) > 0 {
		keys := slices.SortedFunc(maps.Keys(e.Prev), compareUTF16)
		b.WriteString(`,"prev":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			b.WriteString(strconv.FormatInt(e.Prev[k], 10))
		}
		b.WriteByte('}')
	}
	b.WriteString(`,"record":`)
	b.Write(e.Record)
	b.WriteString(`,"recorded":{`)
	if e.Recorded.Account != "" {
		b.WriteString(`"account":`)
		writeString(b, e.Recorded.Account)
		b.WriteByte(',')
	}
	b.WriteString(`"at":`)
	writeString(b, e.Recorded.At)
	b.WriteString(`,"commit":`)
	b.WriteString(strconv.FormatInt(e.Recorded.Commit, 10))
	if imp := e.Recorded.Import; imp != nil {
		b.WriteString(`,"import":{"line":`)
		b.WriteString(strconv.Itoa(imp.Line))
		b.WriteString(`,"sha256":`)
		writeString(b, imp.SHA256)
		b.WriteByte('}')
	}
	b.WriteString(`},"salt":`)
	writeString(b, e.Salt)
	b.WriteString(`,"seq":`)
	b.WriteString(strconv.FormatInt(e.Seq, 10))
	if len(e.Sigs) > 0 {
		b.WriteString(`,"sigs":[`)
		for i, g := range e.Sigs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			if g.AuthenticatorData != "" {
				b.WriteString(`"authenticator_data":`)
				writeString(b, g.AuthenticatorData)
				b.WriteString(`,"client_data_json":`)
				writeString(b, g.ClientDataJSON)
				b.WriteByte(',')
			}
			b.WriteString(`"key":`)
			writeString(b, g.Key)
			b.WriteString(`,"role":`)
			writeString(b, g.Role)
			b.WriteString(`,"sig":`)
			writeString(b, g.Sig)
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteString(`,"v":`)
	b.WriteString(strconv.Itoa(e.V))
	b.WriteByte('}')
	return b.Bytes(), nil
}

// DecodeEvent parses canonical event bytes. It fails unless data is exactly
// the canonical encoding of the event it holds, so that two different byte
// strings never pass for the same event.
//
// It is written to be read rather than to be fast: encoding/json reads the
// bytes into an Event, Check checks the fields, the record must be its own
// RFC 8785 form, and Encode, which writes the rest canonically, must give
// back the same bytes. That refuses whatever encoding/json lets through and
// Encode would not write: a member missing, unknown, repeated or named in
// another case, white space, an escape or a number written otherwise, bytes
// that are not UTF-8 (FuzzDecodeEvent holds every event accepted equal to
// its Canonical form; the record may nest MaxDepth levels below itself, as
// any value Canonical reads). Package fastcodec reads the fixed layout of an event
// in one pass; it accepts exactly what this function accepts and leaves
// every refusal to it.
func DecodeEvent(data []byte) (*Event, error) {
	e := &Event{}
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("event is not an event in canonical form (RFC 8785): %v", err)
	}
	if err := e.Check(); err != nil {
		return nil, err
	}
	canon, err := Canonical(e.Record)
	if err == nil && !bytes.Equal(canon, e.Record) {
		err = errors.New("it is written otherwise")
	}
	if err != nil {
		return nil, fmt.Errorf("event record is not in canonical form (RFC 8785): %w", err)
	}
	var buf [2048]byte // the event written again, on the stack when it fits
	if again, err := e.EncodeTo(buf[:0]); err != nil || !bytes.Equal(again, data) {
		return nil, errors.New("event is not in canonical form (RFC 8785): a member is missing, unknown or misnamed")
	}
	return e, nil
}

// Check reports whether the fields of e are those of an event: the known
// version, a seq, a salt of 32 lowercase hex digits, an op, a record
// object, a time of recording, exactly one door (an account or an import),
// a commit at or before the event, and prev links to earlier events.
func (e *Event) Check() error {
	switch {
	case e.V != EventVersion:
		return fmt.Errorf("event version %d is not supported (want %d)", e.V, EventVersion)
	case e.Seq < 0 || e.Seq > MaxSafeInteger:
		return errors.New("event seq is not between 0 and 2^53")
	case !isLowerHex(e.Salt, 32): // ^[0-9a-f]{32}$
		return errors.New("event salt is not 32 lowercase hex digits")
	case !isOpName(e.Op): // ^[a-z_]+\.[a-z_]+$
		return fmt.Errorf("event op %q is malformed", e.Op)
	case len(e.Record) == 0 || e.Record[0] != '{':
		return errors.New("event record is not an object")
	}
	if _, err := ParseTime(e.Recorded.At); err != nil {
		return fmt.Errorf("event recorded.at: %w", err)
	}
	if (e.Recorded.Account == "") == (e.Recorded.Import == nil) {
		return errors.New("event must be recorded by exactly one of an account or an import")
	}
	if imp := e.Recorded.Import; imp != nil && (!isLowerHex(imp.SHA256, 64) || imp.Line < 1 || int64(imp.Line) > MaxSafeInteger) {
		return errors.New("event recorded.import is malformed")
	}
	if e.Recorded.Commit < 0 || e.Recorded.Commit > e.Seq {
		return fmt.Errorf("event recorded.commit = %d is not a seq at or before the event", e.Recorded.Commit)
	}
	for item, seq := range e.Prev {
		if seq < 0 || seq >= e.Seq {
			return fmt.Errorf("event prev[%q] = %d does not precede the event", item, seq)
		}
	}
	for i, g := range e.Sigs {
		switch {
		case g.Role != RoleBy && g.Role != RoleFrom && g.Role != RoleTo:
			return fmt.Errorf("event sigs[%d]: unknown role %q", i, g.Role)
		case i > 0 && g.Role <= e.Sigs[i-1].Role:
			return fmt.Errorf("event sigs[%d]: roles are repeated or out of order", i)
		case !isLowerHex(g.Key, 64) || g.Sig == "" || (g.AuthenticatorData == "") != (g.ClientDataJSON == ""):
			return fmt.Errorf("event sigs[%d] is malformed", i)
		case e.Recorded.Import != nil:
			return errors.New("an imported event carries no personal signature")
		}
	}
	return nil
}

// isLowerHex reports whether s is n lowercase hex digits: ^[0-9a-f]{n}$.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// isOpName reports whether s matches ^[a-z_]+\.[a-z_]+$.
func isOpName(s string) bool {
	dot := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if dot >= 0 {
				return false
			}
			dot = i
		case c >= 'a' && c <= 'z' || c == '_':
		default:
			return false
		}
	}
	return dot > 0 && dot < len(s)-1
}

// FileSHA256 is the hex SHA-256 of a case file, as recorded in Import.
func FileSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ParseTime parses an RFC 3339 time that carries an explicit offset ("Z" or
// ±hh:mm). It is the only time format of case files and events.
func ParseTime(s string) (time.Time, error) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time with an offset", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time with an offset", s)
	}
	return t, nil
}
