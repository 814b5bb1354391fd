package custody

import (
	"reflect"
	"strings"
	"sync"
)

// fieldSets caches the JSON member names of record types.
var fieldSets sync.Map // reflect.Type → map[string]bool

func fieldsOf(t reflect.Type) map[string]bool {
	if m, ok := fieldSets.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	fieldSets.Store(t, m)
	return m
}

// CheckMembers checks that the JSON object data has no member other than the
// JSON fields of the struct v points to (and extra), compared exactly, and no
// member twice. encoding/json alone would accept "By" for "by" and keep the
// last of two equal keys; in evidence, a typo must not pass silently.
// It returns the offending member name, or "" when all are known.
func CheckMembers(data []byte, v any, extra ...string) (bad string, dup bool) {
	known := fieldsOf(reflect.TypeOf(v).Elem())
	p := parser{data: data}
	p.ws()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return "", false // not an object: the decoder reports it
	}
	p.i++
	seen := make(map[string]bool, 12)
	for {
		p.ws()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return "", false
		}
		k, err := p.str()
		if err != nil {
			return "", false
		}
		if seen[k] {
			return k, true
		}
		seen[k] = true
		if !known[k] && !contains(extra, k) {
			return k, false
		}
		p.ws()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return "", false
		}
		p.i++
		p.ws()
		if !p.skip(0) {
			return "", false
		}
		p.ws()
		if p.i < len(p.data) && p.data[p.i] == ',' {
			p.i++
			continue
		}
		return "", false
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// skip passes over one JSON value without building it. It only needs to be
// right for valid JSON; invalid JSON is reported by the decoder afterwards.
func (p *parser) skip(depth int) bool {
	if p.i >= len(p.data) || depth > maxDepth {
		return false
	}
	switch p.data[p.i] {
	case '"':
		p.i++
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case '\\':
				p.i += 2
				continue
			case '"':
				p.i++
				return true
			}
			p.i++
		}
		return false
	case '{', '[':
		open, close := p.data[p.i], byte('}')
		if open == '[' {
			close = ']'
		}
		p.i++
		for {
			p.ws()
			if p.i >= len(p.data) {
				return false
			}
			if p.data[p.i] == close {
				p.i++
				return true
			}
			if !p.skip(depth + 1) {
				return false
			}
			p.ws()
			if p.i < len(p.data) && (p.data[p.i] == ',' || p.data[p.i] == ':') {
				p.i++
			}
		}
	default:
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return true
			}
			p.i++
		}
		return true
	}
}
