package fastcodec

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
)

// MarshalCanonical encodes v with encoding/json and canonicalises the
// result (custody.Canonical), which is how every record's bytes are made.
// Flat record structs (pointers to the record types of custody and of
// casefile) are written directly to the same bytes, without encoding and
// parsing them twice; marshal_test.go holds the two paths equal. The
// verifier never writes a record, so this lives outside its trust base.
func MarshalCanonical(v any) ([]byte, error) {
	if b, ok := marshalFlat(v); ok {
		return b, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return custody.Canonical(b)
}

// flatField is one member of a flat record as encoding/json writes it.
type flatField struct {
	name      string
	index     int
	kind      fieldKind
	omitEmpty bool
}

// flatPlan is how appendFlat writes a record type: its members in RFC 8785
// order, or ok false for a type it leaves to encoding/json.
type flatPlan struct {
	fields []flatField
	ok     bool
}

var flatPlans sync.Map // reflect.Type → *flatPlan

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// planFor returns the plan of a struct type. A type qualifies only when
// encoding/json would write it as exactly its tagged fields: every exported
// field tagged with a plain name (letters, digits, '_' or '-') and at most
// the omitempty option, of type string, *int64, *bool or []string, no
// embedded or untagged exported fields, no repeated names, and no marshaling
// methods.
func planFor(t reflect.Type) *flatPlan {
	if p, ok := flatPlans.Load(t); ok {
		return p.(*flatPlan)
	}
	p := &flatPlan{}
	p.ok = func() bool {
		if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) ||
			reflect.PointerTo(t).Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
			return false
		}
		seen := map[string]bool{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				return false
			}
			if !f.IsExported() {
				continue
			}
			tag, ok := f.Tag.Lookup("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if !ok || !plainName(name) || seen[name] || (opts != "" && opts != "omitempty") {
				return false
			}
			seen[name] = true
			kind, ok := kindOf(f.Type)
			if !ok {
				return false
			}
			p.fields = append(p.fields, flatField{name: name, index: i, kind: kind, omitEmpty: opts == "omitempty"})
		}
		// Insertion sort: names are unique, so the order is total.
		fs := p.fields
		for i := 1; i < len(fs); i++ {
			for j := i; j > 0 && lessUTF16(fs[j].name, fs[j-1].name); j-- {
				fs[j], fs[j-1] = fs[j-1], fs[j]
			}
		}
		return true
	}()
	flatPlans.Store(t, p)
	return p
}

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// marshalFlat writes the canonical form of v, a pointer to a flat record
// struct (see planFor), directly: the same bytes as Canonical(json.Marshal(v))
// without encoding and parsing it twice. It returns ok false when v is not
// such a record or holds a value encoding/json and Canonical treat
// specially (invalid UTF-8, an integer beyond ±MaxSafeInteger); the caller
// then takes the general path, which also gives the error, if any.
func marshalFlat(v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	rv = rv.Elem()
	p := planFor(rv.Type())
	if !p.ok {
		return nil, false
	}
	buf := bytes.NewBuffer(make([]byte, 0, 64+24*len(p.fields)))
	buf.WriteByte('{')
	first := true
	for _, f := range p.fields {
		fv := rv.Field(f.index)
		switch f.kind {
		case kString:
			s := fv.String()
			if f.omitEmpty && s == "" {
				continue
			}
			if !utf8.ValidString(s) {
				return nil, false
			}
			writeKey(buf, &first, f.name)
			writeString(buf, s)
		case kIntPtr, kBoolPtr:
			if fv.IsNil() {
				if f.omitEmpty {
					continue
				}
				writeKey(buf, &first, f.name)
				buf.WriteString("null")
				continue
			}
			writeKey(buf, &first, f.name)
			if f.kind == kBoolPtr {
				buf.WriteString(strconv.FormatBool(fv.Elem().Bool()))
				continue
			}
			n := fv.Elem().Int()
			if n > custody.MaxSafeInteger || n < -custody.MaxSafeInteger {
				return nil, false
			}
			buf.WriteString(strconv.FormatInt(n, 10))
		case kStrings:
			if f.omitEmpty && fv.Len() == 0 {
				continue
			}
			writeKey(buf, &first, f.name)
			if fv.IsNil() {
				buf.WriteString("null")
				continue
			}
			list := fv.Interface().([]string)
			buf.WriteByte('[')
			for i, s := range list {
				if !utf8.ValidString(s) {
					return nil, false
				}
				if i > 0 {
					buf.WriteByte(',')
				}
				writeString(buf, s)
			}
			buf.WriteByte(']')
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), true
}

// writeKey writes a member's key and colon, after a comma unless first.
func writeKey(buf *bytes.Buffer, first *bool, name string) {
	if !*first {
		buf.WriteByte(',')
	}
	*first = false
	writeString(buf, name)
	buf.WriteByte(':')
}
