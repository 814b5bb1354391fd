// Package terminates holds every parser of untrusted input to a time bound
// in tests. Go's fuzzer reports panics and failed checks but not an input
// that never returns, and a parser loop that stops advancing on one odd byte
// is exactly the bug that hangs a server on one request. So each fuzz target
// makes its call to the parser through Within: under plain `go test` that
// runs the target's seeds (its f.Add values and its testdata/fuzz corpus)
// each with a bound, and under `go test -fuzz` a hang becomes a failure the
// fuzzer records like any other. Variants adds to the seeds the inputs that
// hand-written scanners most often get wrong: a valid input cut short at
// every length and with its brackets and quotes swapped, doubled or removed.
package terminates

import (
	"fmt"
	"runtime/debug"
	"time"
)

// Bound is how long one parser call may take before the test says it hangs.
// Every parser here answers in microseconds; two seconds leaves room for a
// loaded machine under the race detector without letting a hang pass.
const Bound = 2 * time.Second

// TB is the part of testing.TB that Within uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Within calls f in a new goroutine and waits for it at most Bound. If f has
// not returned by then, the test fails with a message that names input, the
// value f was given. f must not call the test's Fatal methods (they may only
// be called from the test's goroutine): it should make the call under test
// and store the results, which the test checks after Within returns. A call
// that never returns leaves its goroutine running until the test binary
// exits; the failure is what matters.
func Within(tb TB, input any, f func()) {
	tb.Helper()
	WithinBound(tb, Bound, input, f)
}

// WithinBound is Within with a bound of d.
func WithinBound(tb TB, d time.Duration, input any, f func()) {
	tb.Helper()
	done := make(chan any, 1)
	go func() {
		// A panic in f is carried back to the test's goroutine, so that
		// it is reported as the test's failure rather than crashing the
		// test binary from a goroutine the test does not own.
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Sprintf("%v\n%s", p, debug.Stack())
				return
			}
			done <- nil
		}()
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case p := <-done:
		if p != nil {
			panic(p)
		}
	case <-timer.C:
		tb.Fatalf("did not return within %v on input %s", d, Describe(input))
	}
}

// maxShown is how much of an input a failure message quotes.
const maxShown = 400

// Describe quotes an input for a failure message, cut at maxShown bytes.
func Describe(input any) string {
	var s string
	switch v := input.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return fmt.Sprintf("%#v", v)
	}
	if len(s) > maxShown {
		return fmt.Sprintf("%q… (%d bytes)", s[:maxShown], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// maxPrefixes and maxMutated keep Variants of a large input (a bundle of a
// few kilobytes) to a few thousand calls.
const (
	maxPrefixes = 512
	maxMutated  = 256
)

// structural are the bytes whose handling decides whether a scanner moves
// forward: brackets, quotes, separators, the escape character, and the
// newline that ends a line of the text formats (checkpoints, policies,
// HTTP heads).
const structural = "{}[]\":,\\\n"

// Variants returns malformed inputs made from valid: every prefix (at most
// maxPrefixes of them, evenly spread, the shortest and longest always
// included), and at each structural byte (at most maxMutated of them) the
// input with that byte removed, doubled, and replaced by each other
// structural byte. The result is deterministic, so a failure reproduces.
func Variants(valid []byte) [][]byte {
	var out [][]byte
	n := len(valid)
	step := 1
	if n > maxPrefixes {
		step = (n + maxPrefixes - 1) / maxPrefixes
	}
	for i := 0; i < n; i += step {
		out = append(out, clone(valid[:i]))
	}
	for i := max(0, n-16); i < n; i++ { // the last bytes, where closers are
		out = append(out, clone(valid[:i]))
	}
	var at []int
	for i, c := range valid {
		for j := 0; j < len(structural); j++ {
			if c == structural[j] {
				at = append(at, i)
				break
			}
		}
	}
	step = 1
	if len(at) > maxMutated {
		step = (len(at) + maxMutated - 1) / maxMutated
	}
	for k := 0; k < len(at); k += step {
		i := at[k]
		out = append(out, join(valid[:i], nil, valid[i+1:]))            // removed
		out = append(out, join(valid[:i+1], valid[i:i+1], valid[i+1:])) // doubled
		for j := 0; j < len(structural); j++ {
			if structural[j] != valid[i] {
				out = append(out, join(valid[:i], []byte{structural[j]}, valid[i+1:]))
			}
		}
	}
	return out
}

// StringVariants is Variants for a string input.
func StringVariants(valid string) []string {
	vs := Variants([]byte(valid))
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

func join(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
