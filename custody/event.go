package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
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
}

// Recorded says when the system recorded an event and through which door:
// a signed-in account, or an import of a case file (by its SHA-256 and line).
type Recorded struct {
	At      string  `json:"at"` // RFC 3339, UTC, from the recording system's clock
	Account string  `json:"account,omitempty"`
	Import  *Import `json:"import,omitempty"`
}

// Import identifies the case file an event came from.
type Import struct {
	SHA256 string `json:"sha256"`
	Line   int    `json:"line"`
}

// Encode returns the canonical bytes of e. e.Record must already be
// canonical (MarshalCanonical gives that). The members are written directly
// in RFC 8785 order, which is faster than a generic canonicalisation on the
// write path; TestEventEncodeCanonical holds the two equal.
func (e *Event) Encode() ([]byte, error) {
	if len(e.Record) == 0 || e.Record[0] != '{' {
		return nil, errors.New("event has no record object")
	}
	b := bytes.NewBuffer(make([]byte, 0, 160+len(e.Record)))
	b.WriteString(`{"op":`)
	writeString(b, e.Op)
	if len(e.Prev) > 0 {
		keys := make([]string, 0, len(e.Prev))
		for k := range e.Prev {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return lessUTF16(keys[i], keys[j]) })
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
	b.WriteString(`,"v":`)
	b.WriteString(strconv.Itoa(e.V))
	b.WriteByte('}')
	return b.Bytes(), nil
}

var (
	saltRE = regexp.MustCompile(`^[0-9a-f]{32}$`)
	opRE   = regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	hexRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// DecodeEvent parses canonical event bytes. It fails unless data is exactly
// the canonical encoding of the event it holds, so that two different byte
// strings never pass for the same event.
func DecodeEvent(data []byte) (*Event, error) {
	canon, err := Canonical(data)
	if err != nil {
		return nil, fmt.Errorf("event is not valid JSON: %w", err)
	}
	if !bytes.Equal(canon, data) {
		return nil, errors.New("event bytes are not in canonical form (RFC 8785)")
	}
	var e Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	switch {
	case e.V != EventVersion:
		return nil, fmt.Errorf("event version %d is not supported (want %d)", e.V, EventVersion)
	case e.Seq < 0:
		return nil, errors.New("event seq is negative")
	case !saltRE.MatchString(e.Salt):
		return nil, errors.New("event salt is not 32 lowercase hex digits")
	case !opRE.MatchString(e.Op):
		return nil, fmt.Errorf("event op %q is malformed", e.Op)
	case len(e.Record) == 0 || e.Record[0] != '{':
		return nil, errors.New("event record is not an object")
	}
	if _, err := ParseTime(e.Recorded.At); err != nil {
		return nil, fmt.Errorf("event recorded.at: %w", err)
	}
	if (e.Recorded.Account == "") == (e.Recorded.Import == nil) {
		return nil, errors.New("event must be recorded by exactly one of an account or an import")
	}
	if imp := e.Recorded.Import; imp != nil && (!hexRE.MatchString(imp.SHA256) || imp.Line < 1) {
		return nil, errors.New("event recorded.import is malformed")
	}
	for item, seq := range e.Prev {
		if seq < 0 || seq >= e.Seq {
			return nil, fmt.Errorf("event prev[%q] = %d does not precede the event", item, seq)
		}
	}
	return &e, nil
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
