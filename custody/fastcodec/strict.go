package fastcodec

import (
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/custodia-ec/custodia/custody"
)

// DecodeStrict is custody.DecodeStrict: the same records filled, the same
// errors. It fills v in one pass when data is an object whose members are
// all fields of v with values of their types (or extra names with string
// values) and have plain keys; anything else, and every error, goes to
// custody.DecodeStrict.
func DecodeStrict(data []byte, v any, extra ...string) *custody.Error {
	if rv := reflect.ValueOf(v).Elem(); decodeStrictFast(data, rv, strictFields(rv.Type()), extra) {
		return nil
	}
	return custody.DecodeStrict(data, v, extra...)
}

// DecodeItemRecord is custody.DecodeItemRecord with DecodeStrict's fast path.
func DecodeItemRecord(op string, raw []byte) (any, error) {
	v := custody.NewItemRecord(op)
	if v == nil {
		return custody.DecodeItemRecord(op, raw)
	}
	if err := DecodeStrict(raw, v); err != nil {
		return nil, err
	}
	return v, nil
}

// structField is how DecodeStrict fills one field of a record type.
type structField struct {
	index int
	kind  fieldKind
}

type fieldKind int

const (
	kString fieldKind = iota
	kIntPtr
	kBoolPtr
	kStrings
)

// kindOf is the kind of a record field of type t, the four that records
// use; ok is false for any other type.
func kindOf(t reflect.Type) (k fieldKind, ok bool) {
	switch t {
	case reflect.TypeFor[string]():
		return kString, true
	case reflect.TypeFor[*int64]():
		return kIntPtr, true
	case reflect.TypeFor[*bool]():
		return kBoolPtr, true
	case reflect.TypeFor[[]string]():
		return kStrings, true
	}
	return 0, false
}

var strictTypes sync.Map // reflect.Type → map[string]structField

// strictFields maps the JSON names of a record type to its fields. Field
// types other than the four of records make the whole type take the
// general path (a nil map).
func strictFields(t reflect.Type) map[string]structField {
	if m, ok := strictTypes.Load(t); ok {
		return m.(map[string]structField)
	}
	m := map[string]structField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		k, ok := kindOf(f.Type)
		if !ok {
			m = nil
			break
		}
		m[name] = structField{i, k}
	}
	strictTypes.Store(t, m)
	return m
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
	if fields == nil || rv.NumField() > 64 || len(extra) > 64 {
		return false
	}
	p := scanner{data: data}
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
				s, ok := p.str()
				if !ok {
					return false
				}
				fv.SetString(s)
			case f.kind == kIntPtr && (c == '-' || c >= '0' && c <= '9'):
				n, ok := p.num()
				if !ok {
					return false
				}
				fv.Set(reflect.ValueOf(&n))
			case f.kind == kBoolPtr && (c == 't' || c == 'f'):
				b := c == 't'
				lit := "false"
				if b {
					lit = "true"
				}
				if !p.lit(lit) {
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
			x := slices.Index(extra, string(k))
			if x < 0 || seenExtra&(1<<x) != 0 || c != '"' {
				return false
			}
			seenExtra |= 1 << x
			if _, ok := p.str(); !ok {
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

// strList reads an array of strings.
func (p *scanner) strList() ([]string, bool) {
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
		s, ok := p.str()
		if !ok {
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
