package custody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
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
	if !utf8.Valid(data) {
		return nil, errors.New("canonical: text is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("canonical: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("canonical: data after the JSON value")
	}
	var buf bytes.Buffer
	buf.Grow(len(data))
	if err := encodeValue(&buf, v); err != nil {
		return nil, fmt.Errorf("canonical: %w", err)
	}
	return buf.Bytes(), nil
}

// MarshalCanonical encodes v with encoding/json and canonicalises the result.
func MarshalCanonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Canonical(b)
}

const maxDepth = 32

type member struct {
	key string
	val any
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nesting deeper than 32")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			var obj []member
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				if seen[k] {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				seen[k] = true
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{k, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			sort.Slice(obj, func(i, j int) bool { return lessUTF16(obj[i].key, obj[j].key) })
			return obj, nil
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		s := t.String()
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > MaxSafeInteger || n < -MaxSafeInteger || s == "-0" {
			return nil, fmt.Errorf("number %s is not an integer within ±2^53", s)
		}
		return n, nil
	default: // string, bool, nil
		return t, nil
	}
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
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			buf.WriteString(`\"`)
		case c == '\\':
			buf.WriteString(`\\`)
		case c >= 0x20:
			buf.WriteByte(c)
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
	buf.WriteByte('"')
}
