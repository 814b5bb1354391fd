// Package fastcodec holds the fast paths of package custody's codec:
// DecodeEvent, DecodeStrict, DecodeItemRecord and MarshalCanonical for the
// well-formed input that a server reads and writes all day. Each one only
// ever says "yes, and here is the same result custody gives"; on anything
// unusual (an escape it does not handle, a type it does not know, an
// error) it calls custody's plain function, so that accepted and rejected
// inputs, results and error messages are exactly custody's. The fuzz
// targets of this package hold the two equal.
//
// The verifier does not import this package: what an expert must read to
// trust it is custody's plain code (see ARCHITECTURE.md, "trust base").
// Servers, importers and reports use this package instead.
package fastcodec

import (
	"bytes"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
)

// isCanonical reports whether data is one JSON value written exactly as
// custody.Canonical writes it, so that Canonical(data) would return data
// itself. A false answer proves nothing: the caller then asks custody.
func isCanonical(data []byte) bool {
	p := scanner{data: data}
	return p.canonValue(0) && p.i == len(data)
}

// canonValue passes over one value in canonical form.
func (p *scanner) canonValue(depth int) bool {
	if depth > custody.MaxDepth || p.i >= len(p.data) {
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
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.canonNum()
	}
	return false
}

// canonNum passes over an integer written as strconv.FormatInt writes it,
// within ±MaxSafeInteger, and not followed by a fraction or exponent.
func (p *scanner) canonNum() bool {
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
	case j == digits, p.data[digits] == '0' && j-digits > 1, n > custody.MaxSafeInteger:
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
