package loadgen

import (
	"encoding/json"
	"fmt"
)

// maxJSONDepth bounds the nesting scanSeq follows.
const maxJSONDepth = 64

// transferSeq returns the top-level "seq" member of a JSON object, which
// must be a positive integer: the log position the server gives an
// acknowledged transfer. It checks that the whole body is JSON, as
// json.Unmarshal would, but does not allocate: on the load's hot path it
// takes a fraction of json.Unmarshal's CPU. Member names match exactly
// (not case-insensitively as json.Unmarshal into a struct does), and a
// second "seq" is an error.
func transferSeq(b []byte) (int64, error) {
	s := seqScanner{b: b, seq: -1}
	s.ws()
	if !s.object(0, true) {
		return 0, s.fail()
	}
	s.ws()
	if s.err == "" && s.i != len(s.b) {
		s.errf("datos tras el objeto JSON", "data after the JSON object")
	}
	if s.err != "" {
		return 0, s.fail()
	}
	if s.seq < 0 {
		return 0, fmt.Errorf("la respuesta no tiene «seq» / the response has no \"seq\": %q", clip(b))
	}
	return s.seq, nil
}

// seqScanner is a validating JSON scanner that remembers the top-level
// "seq". Its methods return false after recording an error.
type seqScanner struct {
	b      []byte
	i      int
	seq    int64
	err    string // Spanish / English
	errPos int
}

func (s *seqScanner) errf(es, en string) bool {
	if s.err == "" {
		s.err, s.errPos = es+" / "+en, s.i
	}
	return false
}

func (s *seqScanner) fail() error {
	if s.err == "" {
		s.errf("JSON no válido", "invalid JSON")
	}
	return fmt.Errorf("cuerpo JSON no válido en el byte %d / invalid JSON body at byte %d: %s", s.errPos, s.errPos, s.err)
}

func (s *seqScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *seqScanner) value(depth int) bool {
	if depth > maxJSONDepth {
		return s.errf("JSON demasiado anidado", "JSON nested too deep")
	}
	if s.i == len(s.b) {
		return s.errf("falta un valor", "missing value")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth, false)
	case c == '[':
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return true
		}
		for {
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			if more, ok := s.after(']'); !more {
				return ok
			}
		}
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '-' || ('0' <= c && c <= '9'):
		_, _, ok := s.number()
		return ok
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
				s.i += len(lit)
				return true
			}
		}
		return s.errf("valor no válido", "invalid value")
	}
}

// object scans an object; at the top level it records "seq".
func (s *seqScanner) object(depth int, top bool) bool {
	if s.i == len(s.b) || s.b[s.i] != '{' {
		return s.errf("se esperaba un objeto", "expected an object")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		if s.i == len(s.b) || s.b[s.i] != '"' {
			return s.errf("se esperaba un nombre de miembro", "expected a member name")
		}
		start := s.i
		key, escaped, ok := s.str()
		if !ok {
			return false
		}
		isSeq := false
		if top {
			if escaped {
				var k string
				if json.Unmarshal(s.b[start:s.i], &k) != nil {
					return s.errf("nombre de miembro no válido", "invalid member name")
				}
				isSeq = k == "seq"
			} else {
				isSeq = string(key) == "seq"
			}
		}
		s.ws()
		if s.i == len(s.b) || s.b[s.i] != ':' {
			return s.errf("se esperaba «:»", "expected ':'")
		}
		s.i++
		s.ws()
		if isSeq {
			if s.seq >= 0 {
				return s.errf("«seq» repetido", "\"seq\" twice")
			}
			at := s.i
			if at == len(s.b) || (s.b[at] != '-' && (s.b[at] < '0' || s.b[at] > '9')) {
				return s.errf("«seq» no es un número", "\"seq\" is not a number")
			}
			n, integer, ok := s.number()
			if !ok {
				return false
			}
			if !integer || n <= 0 {
				s.i = at
				return s.errf("«seq» no es un entero positivo", "\"seq\" is not a positive integer")
			}
			s.seq = n
		} else if !s.value(depth + 1) {
			return false
		}
		if more, ok := s.after('}'); !more {
			return ok
		}
	}
}

// after reads what follows an element or member: a comma (more is true),
// or close, which ends the array or object (more is false, ok true).
// Anything else is an error (both false).
func (s *seqScanner) after(close byte) (more, ok bool) {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ',' {
		s.i++
		return true, true
	}
	if s.i < len(s.b) && s.b[s.i] == close {
		s.i++
		return false, true
	}
	return false, s.errf(fmt.Sprintf("se esperaba «,» o «%c»", close), fmt.Sprintf("expected ',' or '%c'", close))
}

// str scans a string and returns its raw contents and whether it has escapes.
func (s *seqScanner) str() (raw []byte, escaped, ok bool) {
	s.i++ // the opening quote
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, escaped, true
		case c < 0x20:
			return nil, false, s.errf("carácter de control en una cadena", "control character in a string")
		case c == '\\':
			escaped = true
			if s.i+1 == len(s.b) {
				return nil, false, s.errf("cadena sin cerrar", "unterminated string")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if len(s.b)-s.i < 6 || !isHex4(s.b[s.i+2:s.i+6]) {
					return nil, false, s.errf("escape \\u no válido", "invalid \\u escape")
				}
				s.i += 6
			default:
				return nil, false, s.errf("escape no válido", "invalid escape")
			}
		default:
			s.i++
		}
	}
	return nil, false, s.errf("cadena sin cerrar", "unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number scans a JSON number; for one in integer form (no fraction or
// exponent) that fits in an int64 it also returns its value.
func (s *seqScanner) number() (n int64, integer, ok bool) {
	neg := s.i < len(s.b) && s.b[s.i] == '-'
	if neg {
		s.i++
	}
	digits := func() int {
		start := s.i
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
		}
		return s.i - start
	}
	start := s.i
	switch nd := digits(); {
	case nd == 0:
		return 0, false, s.errf("número no válido", "invalid number")
	case nd > 1 && s.b[start] == '0':
		s.i = start + 1
		return 0, false, s.errf("número con cero inicial", "number with a leading zero")
	case nd <= 18:
		for _, d := range s.b[start:s.i] {
			n = n*10 + int64(d-'0')
		}
		integer = true
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		integer = false
		if digits() == 0 {
			return 0, false, s.errf("número no válido", "invalid number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		integer = false
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return 0, false, s.errf("número no válido", "invalid number")
		}
	}
	if neg {
		n = -n
	}
	return n, integer, true
}
