package custody

import (
	"reflect"
	"strings"
	"sync"
)

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

var strictTypes sync.Map // reflect.Type → map[string]structField

func strictFields(t reflect.Type) map[string]structField {
	m, bad := strictFieldsOf(t)
	if bad != "" {
		panic("custody: DecodeStrict cannot fill field " + t.Name() + "." + bad)
	}
	return m
}

// strictFieldsOf is strictFields returning, instead of panicking, the name
// of a field it cannot fill.
func strictFieldsOf(t reflect.Type) (map[string]structField, string) {
	if m, ok := strictTypes.Load(t); ok {
		return m.(map[string]structField), ""
	}
	m := map[string]structField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		var k fieldKind
		switch {
		case f.Type.Kind() == reflect.String:
			k = kString
		case f.Type == reflect.TypeOf((*int64)(nil)):
			k = kIntPtr
		case f.Type == reflect.TypeOf((*bool)(nil)):
			k = kBoolPtr
		case f.Type == reflect.TypeOf([]string(nil)):
			k = kStrings
		default:
			return nil, f.Name
		}
		m[name] = structField{i, k}
	}
	strictTypes.Store(t, m)
	return m, ""
}

// DecodeStrict decodes the JSON object data into the record struct v points
// to. It is the one decoder of records, for case-file lines, requests and
// events alike, and it is strict where encoding/json is lenient: member
// names must match exactly (not regardless of case), no member may appear
// twice, no member may be unknown (extra names are allowed and ignored),
// null is refused, and each value must have its field's type. Record
// fields are strings, *int64, *bool and []string.
func DecodeStrict(data []byte, v any, extra ...string) *Error {
	if decodeStrictFast(data, v, extra) {
		return nil
	}
	return decodeStrictTree(data, v, extra)
}

// decodeStrictTree is DecodeStrict's general path: it parses data into a
// generic tree, then fills v member by member in key order.
func decodeStrictTree(data []byte, v any, extra []string) *Error {
	p := parser{data: data}
	p.ws()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return Errorf(EInvalid, "", "se esperaba un objeto JSON", "a JSON object was expected")
	}
	tree, err := p.value(0)
	if err == nil {
		p.ws()
		if p.i != len(p.data) {
			err = p.errorf("data after the JSON object")
		}
	}
	if err != nil {
		if p.dup != "" {
			return Errorf(EInvalid, p.dup, "campo repetido", "repeated field")
		}
		if p.badNum {
			return Errorf(EInvalid, p.key, "debe ser un número entero de hasta 2^53 (sin decimales)", "must be an integer up to 2^53 (no fraction)")
		}
		return Errorf(EInvalid, "", "JSON mal formado: %v", "malformed JSON: %v", err)
	}
	rv := reflect.ValueOf(v).Elem()
	fields := strictFields(rv.Type())
	for _, m := range tree.([]member) {
		f, ok := fields[m.key]
		if !ok {
			if contains(extra, m.key) {
				continue
			}
			return Errorf(EInvalid, m.key, "campo desconocido", "unknown field")
		}
		fv := rv.Field(f.index)
		switch x := m.val.(type) {
		case nil:
			return Errorf(EInvalid, m.key, "el valor no puede ser null", "value must not be null")
		case string:
			if f.kind == kString {
				fv.SetString(x)
				continue
			}
		case int64:
			if f.kind == kIntPtr {
				fv.Set(reflect.ValueOf(&x))
				continue
			}
		case bool:
			if f.kind == kBoolPtr {
				fv.Set(reflect.ValueOf(&x))
				continue
			}
		case []any:
			if f.kind == kStrings {
				list := make([]string, len(x))
				for i, e := range x {
					s, ok := e.(string)
					if !ok {
						return Errorf(EInvalid, m.key, "tipo incorrecto: se esperaba una lista de textos", "wrong type: want a list of strings")
					}
					list[i] = s
				}
				fv.Set(reflect.ValueOf(list))
				continue
			}
		}
		es, en := kindName(f.kind)
		return &Error{Code: EInvalid, Field: m.key, Message: "tipo incorrecto: se esperaba " + es, MessageEN: "wrong type: want " + en}
	}
	return nil
}

func kindName(k fieldKind) (es, en string) {
	switch k {
	case kIntPtr:
		return "un número entero", "an integer"
	case kBoolPtr:
		return "true o false", "true or false"
	case kStrings:
		return "una lista de textos", "a list of strings"
	}
	return "un texto", "a string"
}

// decodeStrictFast is DecodeStrict for a well-formed record, the common
// case: it fills the fields as it reads the members, without building the
// generic tree. It returns false, leaving v as it was, at anything
// DecodeStrict refuses (and at some things it accepts, such as a record
// with more than 64 fields); DecodeStrict then takes the general path, which
// gives the error. When it returns true, v holds exactly what the general
// path would have filled: the same parser reads every value, and members
// are unique, so the order of filling does not matter.
func decodeStrictFast(data []byte, v any, extra []string) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	rv = rv.Elem()
	if rv.Kind() != reflect.Struct || rv.NumField() > 64 || !rv.IsZero() {
		return false
	}
	fields, bad := strictFieldsOf(rv.Type())
	if bad != "" {
		return false
	}
	if !fillStrict(&parser{data: data}, rv, fields, extra) {
		rv.SetZero()
		return false
	}
	return true
}

func fillStrict(p *parser, rv reflect.Value, fields map[string]structField, extra []string) bool {
	p.ws()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return false
	}
	p.i++
	var set uint64       // fields filled, by index
	var extras [4]string // extra members seen
	nextra := 0
	p.ws()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		p.ws()
		return p.i == len(p.data)
	}
	for {
		p.ws()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return false
		}
		k, err := p.str()
		if err != nil {
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
		f, known := fields[k]
		switch {
		case !known:
			if !contains(extra, k) || nextra == len(extras) {
				return false
			}
			for _, e := range extras[:nextra] {
				if e == k {
					return false
				}
			}
			extras[nextra] = k
			nextra++
			if _, err := p.value(1); err != nil {
				return false
			}
		case set&(1<<f.index) != 0:
			return false
		default:
			set |= 1 << f.index
			if !fillField(p, rv.Field(f.index), f.kind) {
				return false
			}
		}
		p.ws()
		if p.i >= len(p.data) {
			return false
		}
		if p.data[p.i] == ',' {
			p.i++
			continue
		}
		if p.data[p.i] != '}' {
			return false
		}
		p.i++
		p.ws()
		return p.i == len(p.data)
	}
}

// fillField reads the value at p.i into fv, if it has the field's type.
func fillField(p *parser, fv reflect.Value, kind fieldKind) bool {
	c := p.data[p.i]
	switch kind {
	case kString:
		if c != '"' {
			return false
		}
		s, err := p.str()
		if err != nil {
			return false
		}
		fv.SetString(s)
	case kIntPtr:
		if c != '-' && (c < '0' || c > '9') {
			return false
		}
		n, err := p.num()
		if err != nil {
			return false
		}
		x := n.(int64)
		fv.Set(reflect.ValueOf(&x))
	case kBoolPtr:
		var b bool
		switch {
		case c == 't' && p.lit("true") == nil:
			b = true
		case c == 'f' && p.lit("false") == nil:
		default:
			return false
		}
		fv.Set(reflect.ValueOf(&b))
	case kStrings:
		if c != '[' {
			return false
		}
		p.i++
		list := []string{}
		p.ws()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
		} else {
			for {
				p.ws()
				if p.i >= len(p.data) || p.data[p.i] != '"' {
					return false
				}
				s, err := p.str()
				if err != nil {
					return false
				}
				list = append(list, s)
				p.ws()
				if p.i >= len(p.data) {
					return false
				}
				if p.data[p.i] == ',' {
					p.i++
					continue
				}
				if p.data[p.i] != ']' {
					return false
				}
				p.i++
				break
			}
		}
		fv.Set(reflect.ValueOf(list))
	default:
		return false
	}
	return true
}
