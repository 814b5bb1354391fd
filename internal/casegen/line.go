package casegen

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// field is one key of a generated line with its value: string, int64, bool
// or []string.
type field struct {
	k string
	v any
}

// line is a generated case-file line, with its fields in a stable order.
// raw, when set, replaces the rendering (for lines that are not valid JSON).
type line struct {
	op  string
	f   []field
	raw []byte
}

func newLine(op string, kv ...any) *line {
	l := &line{op: op}
	for i := 0; i+1 < len(kv); i += 2 {
		l.set(kv[i].(string), kv[i+1])
	}
	return l
}

func (l *line) get(k string) (any, bool) {
	i := slices.IndexFunc(l.f, func(f field) bool { return f.k == k })
	if i < 0 {
		return nil, false
	}
	return l.f[i].v, true
}

func (l *line) str(k string) string {
	v, _ := l.get(k)
	s, _ := v.(string)
	return s
}

func (l *line) set(k string, v any) {
	if i := slices.IndexFunc(l.f, func(f field) bool { return f.k == k }); i >= 0 {
		l.f[i].v = v
		return
	}
	l.f = append(l.f, field{k, v})
}

func (l *line) del(k string) {
	l.f = slices.DeleteFunc(l.f, func(f field) bool { return f.k == k })
}

func (l *line) clone() *line {
	c := &line{op: l.op, f: slices.Clone(l.f), raw: slices.Clone(l.raw)}
	return c
}

// render writes the line as JSON in the style of the Metastasis file:
// {"op": "...", "key": value, ...}.
func (l *line) render() []byte {
	if l.raw != nil {
		return l.raw
	}
	var b bytes.Buffer
	b.WriteString(`{"op": `)
	writeJSON(&b, l.op)
	for _, f := range l.f {
		b.WriteString(", ")
		writeJSON(&b, f.k)
		b.WriteString(": ")
		writeJSON(&b, f.v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case json.RawMessage:
		b.Write(v)
	default:
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v) // strings, bools and string lists always encode
		b.Truncate(b.Len() - 1)
	}
}

func renderFile(lines []*line) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l.render())
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// zones are the offsets generated times are written with.
var zones = []*time.Location{
	time.FixedZone("-05:00", -5*3600),
	time.UTC,
	time.FixedZone("+01:00", 3600),
}

// stamp writes t (a whole minute) as RFC 3339 in one of zones.
func stamp(t time.Time, zone int) string {
	return t.In(zones[zone%len(zones)]).Format(time.RFC3339)
}
