package custody

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxSafeInteger is the largest integer that RFC 8785 (and every JSON reader
// that stores numbers as IEEE 754 doubles) represents exactly. Events carry
// only integers, and only within ±MaxSafeInteger, so that a verifier in any
// language re-encodes them to the same bytes.
const MaxSafeInteger = 1<<53 - 1

// Canonical returns the RFC 8785 (JSON Canonicalization Scheme) form of a JSON
// text: object members sorted by their UTF-16 code units, no insignificant
// whitespace, strings escaped as ECMAScript does, and UTF-8 kept as given.
//
// It is stricter than RFC 8785 in two ways that matter for evidence: duplicate
// object keys are an error (two readers could pick different values), and
// numbers must be integers within ±MaxSafeInteger (no fractions, exponents or
// -0), because no event field is fractional.
func Canonical(data []byte) ([]byte, error) {
	p := parser{data: data}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return nil, fmt.Errorf("canonical: %w", err)
	}
	p.ws()
	if p.i != len(p.data) {
		return nil, fmt.Errorf("canonical: data after the JSON value at byte %d", p.i)
	}
	buf := bytes.NewBuffer(make([]byte, 0, len(data)))
	if err := encodeValue(buf, v); err != nil {
		return nil, fmt.Errorf("canonical: %w", err)
	}
	return buf.Bytes(), nil
}

// MaxDepth is how deeply arrays and objects may nest in the JSON that
// Canonical and DecodeStrict accept.
const MaxDepth = 32

type member struct {
	key string
	val any
}

// parser is a strict RFC 8259 parser: it accepts exactly the JSON grammar
// (no comments, no trailing commas, no lone surrogates, no raw control
// characters in strings, valid UTF-8 only) and the integer subset of numbers.
type parser struct {
	data   []byte
	i      int
	dup    string // the repeated key, when parsing failed on one
	key    string // the member being parsed
	badNum bool   // parsing failed on a number
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *parser) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, p.errorf("nesting deeper than %d", MaxDepth)
	}
	if p.i >= len(p.data) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.data[p.i]; {
	case c == '{':
		p.i++
		var obj []member
		p.ws()
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			return obj, nil
		}
		// Keys seen so far: obj itself while the object is small (records
		// have a dozen members), a map once it grows.
		var seen map[string]struct{}
		obj = make([]member, 0, 8)
		for {
			p.ws()
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return nil, p.errorf("expected an object key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			if hasKey(obj, seen, k) {
				p.dup = k
				return nil, p.errorf("duplicate key %q", k)
			}
			p.ws()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return nil, p.errorf("expected ':'")
			}
			p.i++
			p.ws()
			p.key = k
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{k, v})
			if seen != nil {
				seen[k] = struct{}{}
			} else if len(obj) == smallObject {
				seen = make(map[string]struct{}, 2*smallObject)
				for _, m := range obj {
					seen[m.key] = struct{}{}
				}
			}
			p.ws()
			if p.i >= len(p.data) {
				return nil, p.errorf("unexpected end of input in object")
			}
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.data[p.i] == '}' {
				p.i++
				break
			}
			return nil, p.errorf("expected ',' or '}'")
		}
		sortMembers(obj)
		return obj, nil
	case c == '[':
		p.i++
		arr := []any{}
		p.ws()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			p.ws()
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
			p.ws()
			if p.i >= len(p.data) {
				return nil, p.errorf("unexpected end of input in array")
			}
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.data[p.i] == ']' {
				p.i++
				return arr, nil
			}
			return nil, p.errorf("expected ',' or ']'")
		}
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		v, err := p.num()
		p.badNum = err != nil
		return v, err
	}
	return nil, p.errorf("unexpected character %q", p.data[p.i])
}

// smallObject is the size up to which an object's keys are checked for
// duplicates by a scan rather than a map.
const smallObject = 16

// hasKey says whether k is a key of obj; seen, when not nil, holds them all.
func hasKey(obj []member, seen map[string]struct{}, k string) bool {
	if seen != nil {
		_, ok := seen[k]
		return ok
	}
	for _, m := range obj {
		if m.key == k {
			return true
		}
	}
	return false
}

// sortMembers sorts an object's members by key in RFC 8785 order. Keys are
// unique, so the order is total and any sort gives the same result.
func sortMembers(obj []member) {
	slices.SortFunc(obj, func(a, b member) int { return compareUTF16(a.key, b.key) })
}

func (p *parser) lit(s string) error {
	if !bytes.HasPrefix(p.data[p.i:], []byte(s)) {
		return p.errorf("invalid literal")
	}
	p.i += len(s)
	return nil
}

func (p *parser) num() (any, error) {
	start := p.i
	if p.data[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.data[digits] == '0' && p.i-digits > 1) {
		return nil, p.errorf("malformed number")
	}
	if p.i < len(p.data) && (p.data[p.i] == '.' || p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		return nil, p.errorf("number is not an integer")
	}
	s := string(p.data[start:p.i])
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > MaxSafeInteger || n < -MaxSafeInteger || s == "-0" {
		return nil, p.errorf("number %s is not an integer within ±2^53", s)
	}
	return n, nil
}

// str parses a string at p.i (which is '"').
func (p *parser) str() (string, error) {
	p.i++
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := p.data[start:p.i]
			if !utf8.Valid(s) {
				return "", p.errorf("string is not valid UTF-8")
			}
			p.i++
			return string(s), nil
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
			if !utf8.Valid(buf) {
				return "", p.errorf("string is not valid UTF-8")
			}
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.data) {
			break
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
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || !bytes.HasPrefix(p.data[p.i:], []byte("\\u")) {
					return "", p.errorf("lone surrogate in string")
				}
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", p.errorf("invalid surrogate pair in string")
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errorf("invalid escape \\%c", e)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.data) {
		return 0, p.errorf("short \\u escape")
	}
	n, err := strconv.ParseUint(string(p.data[p.i:p.i+4]), 16, 32) // hex digits only: no sign, prefix or '_'
	if err != nil {
		return 0, p.errorf("bad \\u escape")
	}
	p.i += 4
	return rune(n), nil
}

// compareUTF16 orders keys by UTF-16 code units, as RFC 8785 section
// 3.2.3 says.
func compareUTF16(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return strings.Compare(a, b)
	}
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func encodeValue(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case int64:
		buf.WriteString(strconv.FormatInt(t, 10))
	case string:
		writeString(buf, t)
	case []member:
		buf.WriteByte('{')
		for i, m := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, m.key)
			buf.WriteByte(':')
			if err := encodeValue(buf, m.val); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := encodeValue(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		return fmt.Errorf("unsupported value %T", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// writeString escapes as ECMAScript's JSON.stringify: only '"', '\\' and
// control characters, with the short forms where they exist.
func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	// Runs of bytes that need no escape (nearly all of them) go in whole.
	plain := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf.WriteString(s[plain:i])
		plain = i + 1
		switch {
		case c == '"':
			buf.WriteString(`\"`)
		case c == '\\':
			buf.WriteString(`\\`)
		case c == '\b':
			buf.WriteString(`\b`)
		case c == '\t':
			buf.WriteString(`\t`)
		case c == '\n':
			buf.WriteString(`\n`)
		case c == '\f':
			buf.WriteString(`\f`)
		case c == '\r':
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
