package terminates

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorder is a TB that keeps the failure instead of ending the test.
type recorder struct{ failed string }

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

func TestWithinFailsNamingTheInput(t *testing.T) {
	var r recorder
	stop := make(chan struct{})
	defer close(stop)
	WithinBound(&r, 50*time.Millisecond, []byte(`{"op":"","record":{]}`), func() { <-stop })
	if !strings.Contains(r.failed, `did not return within 50ms`) || !strings.Contains(r.failed, `"{\"op\":\"\",\"record\":{]}"`) {
		t.Fatalf("failure = %q, want it to name the bound and the input", r.failed)
	}
}

func TestWithinPassesAReturningCall(t *testing.T) {
	var r recorder
	got := 0
	Within(&r, "x", func() { got = 1 })
	if r.failed != "" || got != 1 {
		t.Fatalf("failed = %q, got = %d; want no failure and the call made", r.failed, got)
	}
}

func TestWithinCarriesAPanic(t *testing.T) {
	defer func() {
		p := recover()
		if s, _ := p.(string); !strings.HasPrefix(s, "boom\n") {
			t.Fatalf("recovered %v, want the call's panic with its stack", p)
		}
	}()
	Within(t, "x", func() { panic("boom") })
	t.Fatal("Within returned after a panic")
}

func TestDescribeCutsLongInputs(t *testing.T) {
	got := Describe(bytes.Repeat([]byte("a"), 1000))
	if !strings.HasSuffix(got, "… (1000 bytes)") || len(got) > maxShown+40 {
		t.Fatalf("Describe = %q", got)
	}
}

func TestVariants(t *testing.T) {
	valid := []byte(`{"a":{"b":[1]}}`)
	vs := Variants(valid)
	has := func(s string) bool {
		for _, v := range vs {
			if string(v) == s {
				return true
			}
		}
		return false
	}
	for _, want := range []string{
		``, `{"a":{"b":[1]}`, // cut short
		`{"a":{]b":[1]}}`,  // a quote replaced by the wrong closer
		`{"a":{"b":[1}}}`,  // the wrong closer
		`{"a":{"b":[1]}}}`, // a closer doubled
		`{"a":{"b":1]}}`,   // an opener removed
		`{"a:{"b":[1]}}`,   // a quote removed
	} {
		if !has(want) {
			t.Errorf("Variants(%s) lacks %s", valid, want)
		}
	}
	for _, v := range vs {
		if bytes.Equal(v, valid) {
			t.Errorf("Variants returned the valid input itself")
		}
	}
}

func TestVariantsStayBounded(t *testing.T) {
	big := bytes.Repeat([]byte(`{"k":["v",1]},`), 2000)
	if n := len(Variants(big)); n > maxPrefixes+16+maxMutated*(len(structural)+1) {
		t.Fatalf("%d variants of a %d-byte input", n, len(big))
	}
}

// TestEveryFuzzTargetIsBounded: each fuzz target of the module makes its
// calls through Within, so that `go test` holds every seed to a bound. A new
// target without it fails here, by name.
func TestEveryFuzzTargetIsBounded(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") || fn.Body == nil {
				continue
			}
			n++
			body := string(src[fset.Position(fn.Body.Pos()).Offset:fset.Position(fn.Body.End()).Offset])
			if !strings.Contains(body, "terminates.Within") {
				t.Errorf("%s: %s does not call terminates.Within", path, fn.Name.Name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("found %d fuzz targets; the walk of the module is broken", n)
	}
}
