package casegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LineError is a rejected line of a case file: where, which op ("" when the
// line could not be parsed far enough to know), and why.
type LineError struct {
	Line   int
	Op     string
	Reason string
}

func (e *LineError) Error() string {
	if e.Op == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("line %d (%s): %s", e.Line, e.Op, e.Reason)
}

// rec is a parsed line: its op and its fields by name, as string, int64,
// bool, []string or time.Time (times also keep their text in str).
type rec struct {
	op    string
	str   map[string]string
	num   map[string]int64
	flag  map[string]bool
	list  map[string][]string
	times map[string]time.Time
}

// parseTime accepts RFC 3339 with an explicit offset, nothing else.
func parseTime(s string) (time.Time, bool) {
	if !timeRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// parseLine decodes one non-blank line against the op table. On failure it
// returns the op it could read ("" if none) and the reason.
func parseLine(raw []byte) (*rec, string, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, "", "the line is not a JSON object"
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, "", "malformed JSON: " + err.Error()
	}
	opRaw, ok := fields["op"]
	if !ok {
		return nil, "", `no "op" field`
	}
	var op string
	if err := json.Unmarshal(opRaw, &op); err != nil {
		return nil, "", `"op" is not a string`
	}
	schema, ok := schemas[op]
	if !ok {
		return nil, op, fmt.Sprintf("unknown op %q", op)
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := fieldOf(op, name); !ok && name != "op" {
			return nil, op, fmt.Sprintf("unknown field %q", name)
		}
	}
	r := &rec{op: op, str: map[string]string{}, num: map[string]int64{}, flag: map[string]bool{},
		list: map[string][]string{}, times: map[string]time.Time{}}
	for _, f := range schema {
		v, ok := fields[f.name]
		if !ok {
			if f.req {
				return nil, op, fmt.Sprintf("missing required field %q", f.name)
			}
			continue
		}
		if reason := r.decodeField(f, v); reason != "" {
			return nil, op, fmt.Sprintf("field %q: %s", f.name, reason)
		}
	}
	return r, op, ""
}

func (r *rec) decodeField(f fspec, v json.RawMessage) string {
	switch f.typ {
	case tInt:
		if !intRE.Match(v) {
			return "not an integer"
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return "integer out of range"
		}
		if n < f.min {
			return fmt.Sprintf("%d is less than %d", n, f.min)
		}
		r.num[f.name] = n
		return ""
	case tBool:
		var b bool
		if err := json.Unmarshal(v, &b); err != nil || string(v) == "null" {
			return "not a boolean"
		}
		r.flag[f.name] = b
		return ""
	case tRefList, tEnumList:
		var l []string
		if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &l) != nil {
			return "not a list of strings"
		}
		for _, s := range l {
			if f.typ == tEnumList && !slices.Contains(f.enum, s) {
				return fmt.Sprintf("%q is not one of %s", s, strings.Join(f.enum, ", "))
			}
		}
		if f.typ == tEnumList && len(l) == 0 {
			return "must list at least one value"
		}
		r.list[f.name] = l
		return ""
	}
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "not a string"
	}
	switch f.typ {
	case tID:
		if !idRE.MatchString(s) {
			return fmt.Sprintf("%q is not a valid id", s)
		}
	case tEnum:
		if !slices.Contains(f.enum, s) {
			return fmt.Sprintf("%q is not one of %s", s, strings.Join(f.enum, ", "))
		}
	case tTime:
		t, ok := parseTime(s)
		if !ok {
			return fmt.Sprintf("%q is not an RFC 3339 time with an offset", s)
		}
		r.times[f.name] = t
	case tSHA:
		if !shaRE.MatchString(s) {
			return fmt.Sprintf("%q is not 64 lowercase hex digits", s)
		}
	}
	r.str[f.name] = s
	return ""
}

// Validate replays a whole case file with the spec's rules and returns the
// first rejected line as a *LineError, or nil when the file is valid.
func Validate(file []byte) error {
	_, err := replay(bytes.NewReader(file), -1)
	return err
}

// replay reads lines until EOF, or until stop non-blank lines have been
// applied when stop >= 0, and returns the resulting state.
func replay(r io.Reader, stop int) (*model, error) {
	m := newModel()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line, applied := 0, 0
	for sc.Scan() {
		line++
		if stop >= 0 && applied >= stop {
			break
		}
		raw := sc.Bytes()
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if err := m.applyLine(line, raw); err != nil {
			return m, err
		}
		applied++
	}
	if err := sc.Err(); err != nil {
		return m, &LineError{Line: line + 1, Reason: err.Error()}
	}
	return m, nil
}

func (m *model) applyLine(line int, raw []byte) error {
	r, op, reason := parseLine(raw)
	if reason == "" {
		reason = m.apply(r)
	}
	if reason != "" {
		return &LineError{Line: line, Op: op, Reason: reason}
	}
	return nil
}
