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
			panic("custody: DecodeStrict cannot fill field " + t.Name() + "." + f.Name)
		}
		m[name] = structField{i, k}
	}
	strictTypes.Store(t, m)
	return m
}

// DecodeStrict decodes the JSON object data into the record struct v points
// to. It is the one decoder of records, for case-file lines, requests and
// events alike, and it is strict where encoding/json is lenient: member
// names must match exactly (not regardless of case), no member may appear
// twice, no member may be unknown (extra names are allowed and ignored),
// null is refused, and each value must have its field's type. Record
// fields are strings, *int64, *bool and []string.
func DecodeStrict(data []byte, v any, extra ...string) *Error {
	if rv := reflect.ValueOf(v).Elem(); decodeStrictFast(data, rv, strictFields(rv.Type()), extra) {
		return nil
	}
	return decodeStrictGeneral(data, v, extra)
}

// decodeStrictGeneral is DecodeStrict for any input: it parses the whole
// value first, then fills v, and says what is wrong.
func decodeStrictGeneral(data []byte, v any, extra []string) *Error {
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
