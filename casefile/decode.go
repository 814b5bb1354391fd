package casefile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// Limits on untrusted input.
const (
	MaxLineBytes  = 1 << 20 // one record
	MaxFieldBytes = 64 << 10
	MaxListLen    = 1000
)

// LineError is a rejected line: its number, its op ("" when the line could
// not be read far enough to know it) and why.
type LineError struct {
	Line int
	Op   string
	Err  *custody.Error
}

func (e *LineError) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Err.Error())
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Op, e.Err.Error())
}

// Localized says the same in lang ("es" or "en").
func (e *LineError) Localized(lang string) string {
	word := "línea"
	if lang == "en" {
		word = "line"
	}
	if e.Op == "" {
		return fmt.Sprintf("%s %d: %s", word, e.Line, e.Err.Localized(lang))
	}
	return fmt.Sprintf("%s %d: %s: %s", word, e.Line, e.Op, e.Err.Localized(lang))
}

func (e *LineError) Unwrap() error { return e.Err }

// Decode decodes and checks one line of a case file. It returns the op and a
// pointer to its record type (*Agency, ..., *custody.Transfer, ...).
func Decode(line []byte) (string, any, *custody.Error) {
	if !utf8.Valid(line) {
		return "", nil, custody.Errorf(custody.EInvalid, "", "la línea no es UTF-8 válido", "line is not valid UTF-8")
	}
	op, ok := peekOp(line)
	if !ok {
		var head struct {
			Op *string `json:"op"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return "", nil, jsonError(err)
		}
		if head.Op == nil {
			return "", nil, custody.Errorf(custody.EInvalid, "op", "falta el campo op", "missing field op")
		}
		op = *head.Op
	}
	rec := newRecord(op)
	if rec == nil {
		return "", nil, custody.Errorf(custody.EInvalid, "op", "operación desconocida %q", "unknown op %q", op)
	}
	if err := fastcodec.DecodeStrict(line, rec, "op"); err != nil {
		var ce *custody.Error
		if errors.As(err, &ce) {
			if what, ok := strings.CutPrefix(ce.Message, "JSON mal formado: "); ok {
				c := *ce
				c.Message = "JSON mal formado: " + syntaxES(what)
				return op, nil, &c
			}
		}
		return op, nil, err
	}
	if err := Validate(op, rec); err != nil {
		return op, nil, err
	}
	return op, rec, nil
}

// peekOp reads the op of a line that starts with {"op":"...", as every line
// Custodia writes does, so that a line is decoded once, not twice.
func peekOp(line []byte) (string, bool) {
	i := 0
	expect := func(s string) bool {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if !bytes.HasPrefix(line[i:], []byte(s)) {
			return false
		}
		i += len(s)
		return true
	}
	if !expect("{") || !expect(`"op"`) || !expect(":") || !expect(`"`) {
		return "", false
	}
	j := bytes.IndexByte(line[i:], '"')
	if j < 0 || bytes.IndexByte(line[i:i+j], '\\') >= 0 {
		return "", false
	}
	return string(line[i : i+j]), true
}

func jsonError(err error) *custody.Error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return custody.Errorf(custody.EInvalid, ute.Field, "tipo incorrecto: se esperaba %s", "wrong type: want %s", ute.Type.String())
	case errors.As(err, &se):
		return custody.Errorf(custody.EInvalid, "", "JSON mal formado en el byte %[1]d: %[2]s", "malformed JSON at byte %[1]d: %[3]v", se.Offset, syntaxES(err.Error()), err)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return custody.Errorf(custody.EInvalid, f, "campo desconocido", "unknown field")
	}
	return custody.Errorf(custody.EInvalid, "", "JSON mal formado: %[1]s", "malformed JSON: %[2]v", syntaxES(msg), err)
}

// syntaxES says a JSON syntax error (custody's parser's or encoding/json's)
// in Spanish, for the reader of an import error; what it does not know it
// leaves as it is.
func syntaxES(msg string) string {
	pre := ""
	if rest, ok := strings.CutPrefix(msg, "byte "); ok { // custody's: "byte N: what"
		if n, what, ok := strings.Cut(rest, ": "); ok {
			pre, msg = "byte "+n+": ", what
		}
	}
	for _, t := range syntaxWords {
		if strings.HasPrefix(msg, t.en) {
			return pre + t.es + msg[len(t.en):]
		}
	}
	if c, ok := strings.CutPrefix(msg, "invalid character "); ok { // encoding/json's
		c, _, _ = strings.Cut(c, " ")
		return pre + "carácter inesperado " + c
	}
	return pre + msg
}

var syntaxWords = []struct{ en, es string }{
	{"unexpected end of input in object", "la línea termina antes de cerrar el objeto"},
	{"unexpected end of input in array", "la línea termina antes de cerrar la lista"},
	{"unexpected end of input", "la línea termina antes de cerrar el JSON"},
	{"unexpected end of JSON input", "la línea termina antes de cerrar el JSON"},
	{"data after the JSON object", "hay texto después del objeto JSON"},
	{"unexpected character", "carácter inesperado"},
	{"expected an object key", "se esperaba el nombre de un campo"},
	{"duplicate key", "campo repetido"},
	{"expected ':'", "se esperaba ':'"},
	{"expected ',' or '}'", "se esperaba ',' o '}'"},
	{"expected ',' or ']'", "se esperaba ',' o ']'"},
	{"invalid literal", "valor no válido (se admiten true, false y null)"},
	{"malformed number", "número mal formado"},
	{"number is not an integer", "el número no es entero"},
	{"string is not valid UTF-8", "texto que no es UTF-8 válido"},
	{"control character in string", "carácter de control dentro de un texto"},
	{"lone surrogate in string", "sustituto UTF-16 suelto en un texto"},
	{"invalid surrogate pair in string", "par de sustitutos UTF-16 no válido en un texto"},
	{"invalid escape", "secuencia de escape no válida"},
	{"unterminated string", "texto sin comillas de cierre"},
	{"short \\u escape", "escape \\u incompleto"},
	{"bad \\u escape", "escape \\u no válido"},
	{"nesting deeper than", "anidamiento de más niveles que"},
}

// newRecord returns a new record of op's type, nil for an unknown op.
func newRecord(op string) any {
	switch op {
	case OpAgency:
		return new(Agency)
	case OpOfficer:
		return new(Officer)
	case OpCase:
		return new(Case)
	case OpPerson:
		return new(Person)
	case OpOrganization:
		return new(Organization)
	case OpLink:
		return new(Link)
	case OpOperation:
		return new(Operation)
	case OpSite:
		return new(Site)
	case OpSiteStatus:
		return new(SiteStatus)
	case OpDetention:
		return new(Detention)
	case OpDetentionUpd:
		return new(DetentionUpdate)
	case OpStatement:
		return new(Statement)
	case custody.OpSeize:
		return new(custody.Seize)
	case custody.OpTransfer:
		return new(custody.Transfer)
	case custody.OpOpen:
		return new(custody.Open)
	case custody.OpSeal:
		return new(custody.Seal)
	case custody.OpDerive:
		return new(custody.Derive)
	case custody.OpAttach:
		return new(custody.Attach)
	case custody.OpPresent:
		return new(custody.Present)
	case custody.OpDispose:
		return new(custody.Dispose)
	}
	return nil
}

// DecodeRecord decodes a record stored in an event (the op's fields without
// "op") into its type, refusing unknown fields. It does not re-validate.
func DecodeRecord(op string, raw []byte) (any, error) {
	rec := newRecord(op)
	if rec == nil {
		return nil, fmt.Errorf("unknown op %q", op)
	}
	if err := fastcodec.DecodeStrict(raw, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// Reader reads a case file line by line. Blank lines are skipped; the line
// numbers it reports count every line of the file, from 1.
type Reader struct {
	sc   *bufio.Scanner
	line int
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	return &Reader{sc: sc}
}

// Next returns the next record with its line number and raw bytes. At the
// end it returns io.EOF. A bad line gives a *LineError.
func (r *Reader) Next() (line int, op string, rec any, err error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if r.line == 1 { // a byte order mark, as some editors save UTF-8: not part of the data
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		if len(b) == 0 {
			continue
		}
		op, rec, cerr := Decode(b)
		if cerr != nil {
			return r.line, op, nil, &LineError{Line: r.line, Op: op, Err: cerr}
		}
		return r.line, op, rec, nil
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return r.line + 1, "", nil, &LineError{Line: r.line + 1, Err: custody.Errorf(custody.ETooLarge, "", "línea de más de %d bytes", "line longer than %d bytes", MaxLineBytes)}
		}
		return r.line, "", nil, err
	}
	return r.line, "", nil, io.EOF
}

// Encode returns the case-file line of a record: {"op":...} followed by the
// record's fields, without a trailing newline.
func Encode(op string, rec any) ([]byte, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return EncodeRaw(op, body), nil
}

// EncodeRaw is Encode for a record already encoded as a JSON object.
func EncodeRaw(op string, body []byte) []byte {
	opj, _ := json.Marshal(op)
	out := make([]byte, 0, len(body)+len(opj)+8)
	out = append(out, `{"op":`...)
	out = append(out, opj...)
	if len(body) > 2 {
		out = append(out, ',')
		out = append(out, body[1:]...)
	} else {
		out = append(out, '}')
	}
	return out
}
