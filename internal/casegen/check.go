package casegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// CheckAgainstOracle compares, for every operation planned in file, the
// report that the real implementation gives (report returns the JSON of
// `report operation OP --as-of asOf --json` after importing file) with
// Oracle's, key by key over all the spec's keys, and fails t with a readable
// diff. Keys beyond the spec's are allowed ("more are welcome") and not
// compared. file must be valid.
func CheckAgainstOracle(t testing.TB, file []byte, asOf time.Time, report func(file []byte, op string, asOf time.Time) ([]byte, error)) {
	t.Helper()
	ops, err := Operations(file)
	if err != nil {
		t.Fatalf("casegen: the oracle rejects the case file: %v", err)
	}
	if len(ops) == 0 {
		t.Fatal("casegen: the case file plans no operation")
	}
	for _, op := range ops {
		want, err := Oracle(file, op, asOf)
		if err != nil {
			t.Fatalf("casegen: oracle for %s: %v", op, err)
		}
		out, err := report(file, op, asOf)
		if err != nil {
			t.Errorf("report operation %s --as-of %s: %v", op, asOf.Format(time.RFC3339), err)
			continue
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Errorf("report operation %s --as-of %s: output is not a JSON object: %v\n%s", op, asOf.Format(time.RFC3339), err, out)
			continue
		}
		var diffs []string
		for _, k := range sortedKeys(want) {
			if g, ok := got[k]; ok {
				diff(k, g, want[k], &diffs)
			} else {
				diffs = append(diffs, fmt.Sprintf("%s: missing, want %s", k, jsonText(want[k])))
			}
		}
		if len(diffs) > 0 {
			t.Errorf("report operation %s --as-of %s differs from the oracle (got, want):\n  %s",
				op, asOf.Format(time.RFC3339), strings.Join(diffs, "\n  "))
		}
	}
}

// Diff lists the differences between two JSON values as decoded by
// encoding/json, one line per differing path ("sites_by_status.completed:
// got 3, want 4"). It is empty when they are equal.
func Diff(got, want any) []string {
	var out []string
	diff("", got, want, &out)
	return out
}

func diff(path string, got, want any, out *[]string) {
	if reflect.DeepEqual(got, want) {
		return
	}
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := sortedKeys(w)
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			gv, gok := g[k]
			wv, wok := w[k]
			switch {
			case !gok:
				*out = append(*out, fmt.Sprintf("%s: missing, want %s", at(k), jsonText(wv)))
			case !wok:
				*out = append(*out, fmt.Sprintf("%s: got %s, want no such key", at(k), jsonText(gv)))
			default:
				diff(at(k), gv, wv, out)
			}
		}
		return
	case []any:
		g, ok := got.([]any)
		if !ok {
			break
		}
		if len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: got %d elements, want %d", path, len(g), len(w)))
		}
		for i := range max(len(g), len(w)) {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(g):
				*out = append(*out, fmt.Sprintf("%s: missing, want %s", p, jsonText(w[i])))
			case i >= len(w):
				*out = append(*out, fmt.Sprintf("%s: got %s, want nothing", p, jsonText(g[i])))
			default:
				diff(p, g[i], w[i], out)
			}
		}
		return
	}
	*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, jsonText(got), jsonText(want)))
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// CheckBadRejected imports GenerateBad(seed, Options{}) with importFn and
// fails t unless the import is refused with an error whose message names the
// bad line's number ("line N" or "línea N") and, when the line has one, its
// op.
func CheckBadRejected(t testing.TB, seed int64, importFn func(file []byte) error) {
	t.Helper()
	b := generateBad(seed, Options{})
	text := badLineText(b)
	err := importFn(b.File)
	if err == nil {
		t.Errorf("seed %d: import accepted a file whose line %d is bad (%s: %s):\n%s", seed, b.Line, b.Kind, b.Reason, text)
		return
	}
	msg := err.Error()
	lineRE := regexp.MustCompile(fmt.Sprintf(`(?i)\b(line|línea) %d\b`, b.Line))
	if !lineRE.MatchString(msg) {
		t.Errorf("seed %d: import error does not name line %d (%s: %s):\n  error: %s\n  line:  %s", seed, b.Line, b.Kind, b.Reason, msg, text)
	}
	if b.Op != "" && !strings.Contains(msg, b.Op) {
		t.Errorf("seed %d: import error does not name op %s of line %d (%s: %s):\n  error: %s\n  line:  %s", seed, b.Op, b.Line, b.Kind, b.Reason, msg, text)
	}
}

func badLineText(b BadLine) string {
	lines := bytes.Split(b.File, []byte("\n"))
	if b.Line-1 < len(lines) {
		return string(lines[b.Line-1])
	}
	return ""
}
