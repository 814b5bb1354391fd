package analysis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// Source says where a record was read: the evidence item whose file it is,
// the file's SHA-256, and the line (text and CSV formats, from 1) or the
// byte offset (JSON) at which the record starts.
type Source struct {
	Item   string `json:"item"`
	SHA256 string `json:"sha256"`
	Line   int    `json:"line,omitempty"`
	Offset int64  `json:"offset,omitempty"`
}

// Record kinds.
const (
	KindMessage = "message"
	KindCall    = "call"
	KindPayment = "payment"
	KindContact = "contact"
)

// Party is one side of a record as the source names it: whichever of
// these the file gave. Resolve turns parties into entities.
type Party struct {
	Name     string   `json:"name,omitempty"`
	Phones   []string `json:"phones,omitempty"` // as written; Resolve normalises them
	Emails   []string `json:"emails,omitempty"`
	IDNumber string   `json:"id_number,omitempty"` // a cédula or other ID number
	Account  string   `json:"account,omitempty"`   // a bank account number
	Bank     string   `json:"bank,omitempty"`
	Aliases  []string `json:"aliases,omitempty"` // nicknames of an address-book entry
	Org      string   `json:"org,omitempty"`     // an address-book entry's organisation
	// UserID is a platform's own user id (Telegram's "user123"), which
	// ties a chat's sender to an address-book entry of the same export.
	UserID string `json:"user_id,omitempty"`
}

// IsZero reports whether the party names nobody.
func (p Party) IsZero() bool {
	return p.Name == "" && len(p.Phones) == 0 && len(p.Emails) == 0 && p.IDNumber == "" && p.Account == "" && p.UserID == ""
}

// Record is one message, call, payment or address-book entry.
type Record struct {
	Kind     string    `json:"kind"`
	Platform string    `json:"platform"` // whatsapp, telegram, vcard, calls, payments
	At       time.Time `json:"at,omitzero"`
	From     Party     `json:"from"`
	// To are the recipients the file names. A chat message names none:
	// its recipients are the chat's other participants (Chat).
	To   []Party `json:"to,omitempty"`
	Chat string  `json:"chat,omitempty"` // the chat a message belongs to
	// ChatTitle is the chat's name where the export gives one.
	ChatTitle string `json:"chat_title,omitempty"`
	Text      string `json:"text,omitempty"`
	// Media is the kind of attachment a placeholder stood for (media,
	// image, video, audio, sticker, document, contact, deleted); "" for
	// plain text.
	Media string `json:"media,omitempty"`
	// System marks a chat's system line (encryption notice, member added):
	// it has a time and text but no sender.
	System   bool          `json:"system,omitempty"`
	Duration time.Duration `json:"duration,omitempty"` // calls
	// Direction of a call as the record says it (incoming, outgoing,
	// missed), when it does.
	Direction string `json:"direction,omitempty"`
	Amount    string `json:"amount,omitempty"` // payments: a decimal with "." and no grouping
	Currency  string `json:"currency,omitempty"`
	Reference string `json:"reference,omitempty"`
	Source    Source `json:"source"`
}

// Reject is a line (or JSON value) that could not be read, with why.
type Reject struct {
	Line   int    `json:"line,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`    // Spanish
	EN     string `json:"reason_en"` // English
	Text   string `json:"text,omitempty"`
}

// Error is the reject as an error, for callers that stop at the first.
func (r Reject) Error() string {
	where := ""
	switch {
	case r.Line > 0:
		where = fmt.Sprintf("línea %d / line %d: ", r.Line, r.Line)
	case r.Offset > 0:
		where = fmt.Sprintf("byte %d: ", r.Offset)
	}
	if r.Field != "" {
		where += r.Field + ": "
	}
	return where + r.Reason + " / " + r.EN
}

// Localized is the reject in one language ("en" or Spanish).
func (r Reject) Localized(lang string) string {
	msg := r.Reason
	where := ""
	switch {
	case lang == "en" && r.Line > 0:
		where = fmt.Sprintf("line %d: ", r.Line)
	case r.Line > 0:
		where = fmt.Sprintf("línea %d: ", r.Line)
	case r.Offset > 0:
		where = fmt.Sprintf("byte %d: ", r.Offset)
	}
	if lang == "en" {
		msg = r.EN
	}
	if r.Field != "" {
		where += r.Field + ": "
	}
	return where + msg
}

// maxQuoted is how much of a rejected line a Reject quotes.
const maxQuoted = 200

func quote(b []byte) string {
	if len(b) > maxQuoted {
		b = b[:maxQuoted]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// Sink receives what an importer reads, in file order. An error from
// either method stops the import and is returned by it.
type Sink interface {
	Record(*Record) error
	Reject(Reject) error
}

// Collector is a Sink that keeps everything, for tests and small files.
type Collector struct {
	Records []Record
	Rejects []Reject
}

// Record implements Sink.
func (c *Collector) Record(r *Record) error { c.Records = append(c.Records, *r); return nil }

// Reject implements Sink.
func (c *Collector) Reject(r Reject) error { c.Rejects = append(c.Rejects, r); return nil }

// Summary counts what an import read.
type Summary struct {
	Records int `json:"records"`
	Rejects int `json:"rejects"`
}

// counter wraps a Sink and counts.
type counter struct {
	Sink
	sum Summary
}

func (c *counter) Record(r *Record) error { c.sum.Records++; return c.Sink.Record(r) }
func (c *counter) Reject(r Reject) error  { c.sum.Rejects++; return c.Sink.Reject(r) }

// MaxLine is the longest line a text importer reads; a longer one is
// rejected (and the rest of it skipped), so that a file without newlines
// cannot make an importer hold it whole.
const MaxLine = 1 << 20

// lineReader reads lines of at most MaxLine bytes with their numbers and
// offsets, without the line ending ("\n" or "\r\n").
type lineReader struct {
	r      *bufio.Reader
	line   int
	offset int64 // of the next line
	buf    []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, its number and offset. tooLong is set when
// the line was longer than MaxLine: text then holds its first bytes.
func (lr *lineReader) next() (text []byte, num int, off int64, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	off = lr.offset
	for {
		chunk, e := lr.r.ReadSlice('\n')
		lr.offset += int64(len(chunk))
		if len(lr.buf)+len(chunk) <= MaxLine {
			lr.buf = append(lr.buf, chunk...)
		} else {
			tooLong = true
			if room := MaxLine - len(lr.buf); room > 0 {
				lr.buf = append(lr.buf, chunk[:room]...)
			}
		}
		if errors.Is(e, bufio.ErrBufferFull) {
			continue
		}
		if e != nil && (e != io.EOF || len(lr.buf) == 0) {
			return nil, 0, off, false, e
		}
		break
	}
	lr.line++
	b := lr.buf
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if lr.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\uFEFF")) // a byte-order mark
	}
	return b, lr.line, off, tooLong, nil
}

func tooLongReject(num int, text []byte) Reject {
	return Reject{Line: num, Reason: fmt.Sprintf("línea de más de %d bytes", MaxLine), EN: fmt.Sprintf("line longer than %d bytes", MaxLine), Text: quote(text)}
}

func invalidUTF8Reject(num int, text []byte) Reject {
	return Reject{Line: num, Reason: "la línea no es UTF-8 válido", EN: "the line is not valid UTF-8", Text: quote(text)}
}
