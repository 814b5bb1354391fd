package custody

import (
	"bytes"
	"reflect"
	"unicode/utf8"
)

// Fast paths for reading what is almost always well formed: stored events
// (audit and start-up read every one) and records. Each one only ever says
// "yes, and here is the same result the general code gives"; on anything
// unusual (an escape, whitespace, an error) it gives up and the general
// code runs, so that accepted and rejected inputs, results and error
// messages are exactly those of the general code. TestFastPathsMatch and
// FuzzFastPaths hold the two equal.

// isCanonical reports whether data is one JSON value written exactly as
// Canonical writes it, so that Canonical(data) would return data itself. A
// false answer proves nothing: the caller then asks Canonical.
func isCanonical(data []byte) bool {
	p := parser{data: data}
	return p.canonValue(0) && p.i == len(data)
}

// canonValue passes over one value in canonical form.
func (p *parser) canonValue(depth int) bool {
	if depth > maxDepth || p.i >= len(p.data) {
		return false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		p.i++
		if p.closeNow('}') {
			return true
		}
		var last []byte
		for first := true; ; first = false {
			k, ok := p.plainStr()
			if !ok {
				return false
			}
			// Canonical sorts members and refuses repeated keys, so its
			// output has strictly increasing keys.
			if !first && !lessRaw(last, k) {
				return false
			}
			last = k
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return false
			}
			p.i++
			if !p.canonValue(depth + 1) {
				return false
			}
			if more, ok := p.next('}'); !more {
				return ok
			}
		}
	case c == '[':
		p.i++
		if p.closeNow(']') {
			return true
		}
		for {
			if !p.canonValue(depth + 1) {
				return false
			}
			if more, ok := p.next(']'); !more {
				return ok
			}
		}
	case c == '"':
		_, ok := p.plainStr()
		return ok
	case c == 't':
		return p.lit("true") == nil
	case c == 'f':
		return p.lit("false") == nil
	case c == 'n':
		return p.lit("null") == nil
	case c == '-' || c >= '0' && c <= '9':
		return p.canonNum()
	}
	return false
}

// plainStr passes over a string at p.i that has no escapes and no control
// characters and is valid UTF-8, and returns its contents: such a string
// is its own canonical form. Anything else gives false.
func (p *parser) plainStr() ([]byte, bool) {
	at := p.i
	s, ok := p.plainKey()
	if !ok || !utf8.Valid(s) {
		p.i = at
		return nil, false
	}
	return s, true
}

// canonNum passes over an integer written as strconv.FormatInt writes it,
// within ±MaxSafeInteger, and not followed by a fraction or exponent.
func (p *parser) canonNum() bool {
	j := p.i
	if p.data[j] == '-' {
		j++
	}
	digits := j
	var n int64
	for j < len(p.data) && p.data[j] >= '0' && p.data[j] <= '9' {
		if j-digits >= 16 {
			return false // more than 16 digits: leave it to the general code
		}
		n = n*10 + int64(p.data[j]-'0')
		j++
	}
	switch {
	case j == digits, p.data[digits] == '0' && j-digits > 1, n > MaxSafeInteger:
		return false
	case p.data[p.i] == '-' && n == 0: // "-0"
		return false
	case j < len(p.data) && (p.data[j] == '.' || p.data[j] == 'e' || p.data[j] == 'E'):
		return false
	}
	p.i = j
	return true
}

// lessRaw is lessUTF16 for the contents of plain strings.
func lessRaw(a, b []byte) bool {
	for _, c := range a {
		if c >= utf8.RuneSelf {
			return lessUTF16(string(a), string(b))
		}
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return lessUTF16(string(a), string(b))
		}
	}
	return bytes.Compare(a, b) < 0
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

// decodeStrictFast is DecodeStrict for the common case: an object whose
// members are all known fields of the right type (or extra names with
// string values), with plain keys. It fills rv and returns true, or returns
// false having left rv as it found it.
func decodeStrictFast(data []byte, rv reflect.Value, fields map[string]structField, extra []string) bool {
	saved := reflect.New(rv.Type()).Elem()
	saved.Set(rv)
	if decodeStrictMembers(data, rv, fields, extra) {
		return true
	}
	rv.Set(saved)
	return false
}

func decodeStrictMembers(data []byte, rv reflect.Value, fields map[string]structField, extra []string) bool {
	if rv.NumField() > 64 || len(extra) > 64 {
		return false
	}
	p := parser{data: data}
	p.ws()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return false
	}
	p.i++
	p.ws()
	if p.closeNow('}') {
		p.ws()
		return p.i == len(p.data)
	}
	var seen, seenExtra uint64
	for {
		p.ws()
		k, ok := p.plainKey()
		if !ok {
			return false
		}
		p.ws()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		if p.i >= len(p.data) {
			return false
		}
		c := p.data[p.i]
		if f, ok := fields[string(k)]; ok {
			if seen&(1<<f.index) != 0 {
				return false
			}
			seen |= 1 << f.index
			fv := rv.Field(f.index)
			switch {
			case f.kind == kString && c == '"':
				s, err := p.str()
				if err != nil {
					return false
				}
				fv.SetString(s)
			case f.kind == kIntPtr && (c == '-' || c >= '0' && c <= '9'):
				v, err := p.num()
				if err != nil {
					return false
				}
				n := v.(int64)
				fv.Set(reflect.ValueOf(&n))
			case f.kind == kBoolPtr && (c == 't' || c == 'f'):
				b := c == 't'
				lit := "false"
				if b {
					lit = "true"
				}
				if p.lit(lit) != nil {
					return false
				}
				fv.Set(reflect.ValueOf(&b))
			case f.kind == kStrings && c == '[':
				list, ok := p.strList()
				if !ok {
					return false
				}
				fv.Set(reflect.ValueOf(list))
			default:
				return false
			}
		} else {
			x := -1
			for i, e := range extra {
				if e == string(k) {
					x = i
					break
				}
			}
			if x < 0 || seenExtra&(1<<x) != 0 || c != '"' {
				return false
			}
			seenExtra |= 1 << x
			if _, err := p.str(); err != nil {
				return false
			}
		}
		p.ws()
		if more, ok := p.next('}'); !more {
			if !ok {
				return false
			}
			p.ws()
			return p.i == len(p.data)
		}
	}
}

// plainKey passes over a key with no escapes or control characters and
// returns its contents (whose UTF-8 the caller need not check: it only
// compares them with known names).
func (p *parser) plainKey() ([]byte, bool) {
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

// strList reads an array of strings.
func (p *parser) strList() ([]string, bool) {
	p.i++ // '['
	list := []string{}
	p.ws()
	if p.closeNow(']') {
		return list, true
	}
	for {
		p.ws()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, false
		}
		s, err := p.str()
		if err != nil {
			return nil, false
		}
		list = append(list, s)
		p.ws()
		if more, ok := p.next(']'); !more {
			if !ok {
				return nil, false
			}
			return list, true
		}
	}
}

// closeNow passes over close when it is the next byte: an empty object or
// array.
func (p *parser) closeNow(close byte) bool {
	if p.i < len(p.data) && p.data[p.i] == close {
		p.i++
		return true
	}
	return false
}

// next passes over what follows a member or an element: a comma, with more
// to come, or close, the end. Anything else is malformed and gives ok false.
func (p *parser) next(close byte) (more, ok bool) {
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
