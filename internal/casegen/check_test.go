package casegen

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps failures instead of reporting them.
type recorder struct {
	testing.TB
	mu    sync.Mutex
	fails []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)); runtime.Goexit() }

// run calls f with a recorder in its own goroutine, so that Fatal can end it.
func run(f func(tb testing.TB)) []string {
	r := &recorder{}
	var wg sync.WaitGroup
	wg.Go(func() { f(r) })
	wg.Wait()
	return r.fails
}

func oracleReport(file []byte, op string, asOf time.Time) ([]byte, error) {
	rep, err := Oracle(file, op, asOf)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rep)
}

func TestCheckAgainstOracle(t *testing.T) {
	file := Generate(3, Options{})
	asOf := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if fails := run(func(tb testing.TB) { CheckAgainstOracle(tb, file, asOf, oracleReport) }); len(fails) > 0 {
		t.Fatalf("the oracle's own JSON fails the check: %v", fails)
	}
	withExtra := func(file []byte, op string, asOf time.Time) ([]byte, error) {
		rep, _ := Oracle(file, op, asOf)
		rep["as_of"] = asOf.Format(time.RFC3339)
		return json.Marshal(rep)
	}
	if fails := run(func(tb testing.TB) { CheckAgainstOracle(tb, file, asOf, withExtra) }); len(fails) > 0 {
		t.Fatalf("an extra key fails the check: %v", fails)
	}
	off := func(file []byte, op string, asOf time.Time) ([]byte, error) {
		rep, _ := Oracle(file, op, asOf)
		rep["sites"] = rep["sites"].(float64) + 1
		rep["sites_by_status"].(map[string]any)["planned"] = 99.0
		delete(rep, "personnel")
		return json.Marshal(rep)
	}
	fails := run(func(tb testing.TB) { CheckAgainstOracle(tb, file, asOf, off) })
	if len(fails) == 0 {
		t.Fatal("a wrong report passed the check")
	}
	for _, want := range []string{"sites: got", "sites_by_status.planned: got 99", "personnel: missing"} {
		if !strings.Contains(fails[0], want) {
			t.Errorf("diff does not say %q:\n%s", want, fails[0])
		}
	}
	failing := func([]byte, string, time.Time) ([]byte, error) { return nil, errors.New("boom") }
	if fails := run(func(tb testing.TB) { CheckAgainstOracle(tb, file, asOf, failing) }); len(fails) == 0 {
		t.Error("a failing report passed the check")
	}
	if fails := run(func(tb testing.TB) { CheckAgainstOracle(tb, []byte("{"), asOf, oracleReport) }); len(fails) == 0 {
		t.Error("an invalid case file passed the check")
	}
}

func TestDiff(t *testing.T) {
	got := map[string]any{"a": 1.0, "l": []any{map[string]any{"x": "1"}}, "extra": true}
	want := map[string]any{"a": 2.0, "l": []any{map[string]any{"x": "2"}, "more"}}
	d := strings.Join(Diff(got, want), "\n")
	for _, s := range []string{"a: got 1, want 2", `l[0].x: got "1", want "2"`, "l: got 1 elements, want 2", `l[1]: missing, want "more"`, "extra: got true, want no such key"} {
		if !strings.Contains(d, s) {
			t.Errorf("diff lacks %q:\n%s", s, d)
		}
	}
	if d := Diff(want, want); len(d) != 0 {
		t.Errorf("equal values differ: %v", d)
	}
}

func TestCheckBadRejected(t *testing.T) {
	for seed := range int64(20) {
		if fails := run(func(tb testing.TB) { CheckBadRejected(tb, seed, Validate) }); len(fails) > 0 {
			t.Fatalf("seed %d: the validator's own error fails the check: %v", seed, fails)
		}
	}
	spanish := func(file []byte) error {
		var le *LineError
		if errors.As(Validate(file), &le) {
			return fmt.Errorf("línea %d (%s): rechazada", le.Line, le.Op)
		}
		return nil
	}
	if fails := run(func(tb testing.TB) { CheckBadRejected(tb, 5, spanish) }); len(fails) > 0 {
		t.Fatalf("a Spanish message fails the check: %v", fails)
	}
	accept := func([]byte) error { return nil }
	if fails := run(func(tb testing.TB) { CheckBadRejected(tb, 1, accept) }); len(fails) == 0 {
		t.Error("an import that accepts a bad file passed the check")
	}
	wrongLine := func(file []byte) error {
		var le *LineError
		errors.As(Validate(file), &le)
		return fmt.Errorf("line %d0 (%s): no", le.Line, le.Op)
	}
	if fails := run(func(tb testing.TB) { CheckBadRejected(tb, 1, wrongLine) }); len(fails) == 0 {
		t.Error("an error naming another line passed the check")
	}
	noOp := func(file []byte) error {
		var le *LineError
		errors.As(Validate(file), &le)
		return fmt.Errorf("line %d: no", le.Line)
	}
	for seed := range int64(20) {
		b := generateBad(seed, Options{})
		if b.Op == "" {
			continue
		}
		if fails := run(func(tb testing.TB) { CheckBadRejected(tb, seed, noOp) }); len(fails) == 0 {
			t.Error("an error without the op passed the check")
		}
		break
	}
}
