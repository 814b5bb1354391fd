package custody

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
)

// DecodeStrict decodes the JSON object data into the record struct v points
// to. It is the one decoder of records, for case-file lines, requests and
// events alike, and it is strict where encoding/json is lenient: member
// names must match exactly (not regardless of case), no member may appear
// twice, no member may be unknown (extra names are allowed and ignored),
// null is refused, and each value must have its field's type. Record
// fields are strings, *int64, *bool and []string. On an error, v may be
// partly filled.
//
// It is written to be read rather than to be fast: Parse the whole object
// with the parser of Canonical (which refuses repeated members), check each
// member in key order, and let encoding/json fill v with the members that
// passed. Package fastcodec fills v in one pass for the common case and
// leaves everything else, and every error, to this function.
func DecodeStrict(data []byte, v any, extra ...string) *Error {
	members, err := parseObject(data)
	if err != nil {
		return err
	}
	fields := make([]member, 0, len(members))
	for _, m := range members {
		kind, ok := fieldKind(v, m.key)
		if !ok {
			if slices.Contains(extra, m.key) {
				continue
			}
			return Errorf(EInvalid, m.key, "campo desconocido", "unknown field")
		}
		if err := checkKind(m, kind); err != nil {
			return err
		}
		fields = append(fields, m)
	}
	// Every member left names a field of v exactly and has its type.
	var obj bytes.Buffer
	if err := encodeValue(&obj, fields); err != nil {
		return Errorf(EInternal, "", "error interno", "internal error")
	}
	if err := json.Unmarshal(obj.Bytes(), v); err != nil {
		return Errorf(EInternal, "", "error interno", "internal error")
	}
	return nil
}

// parseObject parses data, which must be one JSON object and nothing else,
// into its members in RFC 8785 order, and says what is wrong with it.
func parseObject(data []byte) ([]member, *Error) {
	p := parser{data: data}
	p.ws()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return nil, Errorf(EInvalid, "", "se esperaba un objeto JSON", "a JSON object was expected")
	}
	tree, err := p.value(0)
	if err == nil {
		p.ws()
		if p.i != len(p.data) {
			err = p.errorf("data after the JSON object")
		}
	}
	switch {
	case err == nil:
		return tree.([]member), nil
	case p.dup != "":
		return nil, Errorf(EInvalid, p.dup, "campo repetido", "repeated field")
	case p.badNum:
		return nil, Errorf(EInvalid, p.key, "debe ser un número entero de hasta 2^53 (sin decimales)", "must be an integer up to 2^53 (no fraction)")
	}
	return nil, Errorf(EInvalid, "", "JSON mal formado: %v", "malformed JSON: %v", err)
}

// The kinds of record fields.
type kind int

const (
	kString  kind = iota // string
	kInt                 // *int64
	kBool                // *bool
	kStrings             // []string
)

// fieldKind says whether the struct v points to has a field whose JSON name
// is exactly name, and of which kind. It asks encoding/json to store an
// object under name: no record field takes one, so encoding/json refuses
// it, naming the field it chose and the field's Go type; a name that is no
// field's, it ignores. encoding/json chooses a field regardless of case,
// but names the field by its own JSON name, so a field named in another
// case is not a match.
//
// (This finds fields without package reflect. Storing the object may set a
// nil pointer field to a new zero value; DecodeStrict then fills that
// field, or fails.)
func fieldKind(v any, name string) (kind, bool) {
	var probe bytes.Buffer
	probe.WriteByte('{')
	writeString(&probe, name)
	probe.WriteString(":{}}")
	var te *json.UnmarshalTypeError
	if !errors.As(json.Unmarshal(probe.Bytes(), v), &te) || te.Field != name || te.Type == nil {
		return 0, false
	}
	switch te.Type.String() {
	case "string":
		return kString, true
	case "int64":
		return kInt, true
	case "bool":
		return kBool, true
	case "[]string":
		return kStrings, true
	}
	return 0, false
}

// checkKind checks that a member's value has the kind of its field.
func checkKind(m member, k kind) *Error {
	ok := false
	switch x := m.val.(type) {
	case nil:
		return Errorf(EInvalid, m.key, "el valor no puede ser null", "value must not be null")
	case string:
		ok = k == kString
	case int64:
		ok = k == kInt
	case bool:
		ok = k == kBool
	case []any:
		if k == kStrings {
			for _, e := range x {
				if _, isString := e.(string); !isString {
					return Errorf(EInvalid, m.key, "tipo incorrecto: se esperaba una lista de textos", "wrong type: want a list of strings")
				}
			}
			ok = true
		}
	}
	if ok {
		return nil
	}
	es, en := "un texto", "a string"
	switch k {
	case kInt:
		es, en = "un número entero", "an integer"
	case kBool:
		es, en = "true o false", "true or false"
	case kStrings:
		es, en = "una lista de textos", "a list of strings"
	}
	return &Error{Code: EInvalid, Field: m.key, Message: "tipo incorrecto: se esperaba " + es, MessageEN: "wrong type: want " + en}
}
