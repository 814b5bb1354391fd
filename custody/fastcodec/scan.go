package fastcodec

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
)

// scanner reads JSON the way custody's parser does, but only says whether
// it could: the fast paths never explain a refusal, they leave that to
// package custody.
type scanner struct {
	data []byte
	i    int
}

func (p *scanner) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// lit passes over the literal s.
func (p *scanner) lit(s string) bool {
	if !bytes.HasPrefix(p.data[p.i:], []byte(s)) {
		return false
	}
	p.i += len(s)
	return true
}

// num reads an integer as custody's parser accepts it: no leading zeros,
// no fraction or exponent, not -0, and within ±MaxSafeInteger.
func (p *scanner) num() (int64, bool) {
	start := p.i
	if p.i < len(p.data) && p.data[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.data[digits] == '0' && p.i-digits > 1) {
		return 0, false
	}
	if p.i < len(p.data) && (p.data[p.i] == '.' || p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		return 0, false
	}
	s := string(p.data[start:p.i])
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > custody.MaxSafeInteger || n < -custody.MaxSafeInteger || s == "-0" {
		return 0, false
	}
	return n, true
}

// str reads a string at p.i (which must be '"') as custody's parser does:
// valid UTF-8, no raw control characters, no lone surrogates.
func (p *scanner) str() (string, bool) {
	if p.i >= len(p.data) || p.data[p.i] != '"' {
		return "", false
	}
	p.i++
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := p.data[start:p.i]
			p.i++
			return string(s), utf8.Valid(s)
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	buf := append([]byte(nil), p.data[start:p.i]...)
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), utf8.Valid(buf)
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.data) {
			return "", false
		}
		e := p.data[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || !bytes.HasPrefix(p.data[p.i:], []byte("\\u")) {
					return "", false
				}
				p.i += 2
				r2, ok := p.hex4()
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", false
		}
	}
	return "", false
}

func (p *scanner) hex4() (rune, bool) {
	if p.i+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.i : p.i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.i += 4
	return r, true
}

// plainKey passes over a string with no escapes or control characters and
// returns its contents, without checking their UTF-8.
func (p *scanner) plainKey() ([]byte, bool) {
	if p.i >= len(p.data) || p.data[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.data); j++ {
		c := p.data[j]
		if c == '"' {
			p.i = j + 1
			return p.data[start:j], true
		}
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	return nil, false
}

// plainStr is plainKey for valid UTF-8 only: such a string is its own
// canonical form.
func (p *scanner) plainStr() ([]byte, bool) {
	at := p.i
	s, ok := p.plainKey()
	if !ok || !utf8.Valid(s) {
		p.i = at
		return nil, false
	}
	return s, true
}

// closeNow passes over close when it is the next byte: an empty object or
// array.
func (p *scanner) closeNow(close byte) bool {
	if p.i < len(p.data) && p.data[p.i] == close {
		p.i++
		return true
	}
	return false
}

// next passes over what follows a member or an element: a comma, with more
// to come, or close, the end. Anything else is malformed and gives ok false.
func (p *scanner) next(close byte) (more, ok bool) {
	if p.i < len(p.data) {
		switch p.data[p.i] {
		case ',':
			p.i++
			return true, true
		case close:
			p.i++
			return false, true
		}
	}
	return false, false
}

// lessUTF16 orders keys by UTF-16 code units, as RFC 8785 section 3.2.3 says.
func lessUTF16(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		return a < b
	}
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// writeString escapes as ECMAScript's JSON.stringify, as custody's
// Canonical does: only '"', '\\' and control characters, with the short
// forms where they exist.
func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	plain := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf.WriteString(s[plain:i])
		plain = i + 1
		switch c {
		case '"':
			buf.WriteString(`\"`)
		case '\\':
			buf.WriteString(`\\`)
		case '\b':
			buf.WriteString(`\b`)
		case '\t':
			buf.WriteString(`\t`)
		case '\n':
			buf.WriteString(`\n`)
		case '\f':
			buf.WriteString(`\f`)
		case '\r':
			buf.WriteString(`\r`)
		default:
			buf.WriteString(`\u00`)
			buf.WriteByte(hexDigits[c>>4])
			buf.WriteByte(hexDigits[c&0xf])
		}
	}
	buf.WriteString(s[plain:])
	buf.WriteByte('"')
}
