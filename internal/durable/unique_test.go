package durable

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The module keeps one durable file write (this package) and one parser of
// signed checkpoints (verify/checkpoint.go), so that a fix to either reaches
// every caller. TestOneDurableWriteAndOneCheckpointParser reads every
// non-test Go file of the module and fails, naming the file and line, where
// a second copy starts:
//
//   - a durable write outside internal/durable: a call of os.Rename,
//     os.Link or os.CreateTemp (or their syscall and x/sys/unix forms), the
//     steps of a temp-file-then-rename write;
//   - a checkpoint parser outside verify: a function named like one
//     (parse/decode/read/open/split … checkpoint/note/signature), or text cut
//     at its first or last blank line ("\n\n" passed to strings or bytes
//     Index, LastIndex, Cut or Split*), which is how a signed note is split
//     into its text and its signatures.
//
// allowed lists the exceptions, each with why it is not a copy.
var allowed = map[string]string{
	"transparency/witness/request.go: func ParseAddCheckpoint": "parses the tlog-witness request framing (old size, proof lines); the note it carries is parsed by verify.ParseNote",
	"court/courtdoc/qr.go: split at blank line":                "the verification QR's own header ends at a blank line; the note after it is handed on whole, and checked with verify.OpenNote",
}

// forbiddenCalls are the file operations that make a durable write.
var forbiddenCalls = map[string]map[string]bool{
	"os":                    {"Rename": true, "Link": true, "CreateTemp": true},
	"syscall":               {"Rename": true, "Renameat": true, "Link": true, "Linkat": true},
	"golang.org/x/sys/unix": {"Rename": true, "Renameat": true, "Renameat2": true, "Link": true, "Linkat": true},
}

var parserName = regexp.MustCompile(`(?i)^(parse|decode|read|open|split)\w*(checkpoint|note|signature)`)

var splitFuncs = map[string]bool{"Index": true, "LastIndex": true, "Cut": true, "Split": true, "SplitN": true, "SplitAfter": true, "SplitAfterN": true}

// finding is one place where a second copy starts.
type finding struct {
	key  string // "path: what", the key of allowed
	line int
}

// scan returns the findings of one file's source; rel is its path from the
// module's root, with slashes.
func scan(rel string, src []byte) ([]finding, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, 0)
	if err != nil {
		return nil, err
	}
	imports := map[string]string{} // local name → import path
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = p
	}
	inDurable := strings.HasPrefix(rel, "internal/durable/")
	inVerify := strings.HasPrefix(rel, "verify/")
	var out []finding
	add := func(pos token.Pos, what string) {
		out = append(out, finding{key: rel + ": " + what, line: fset.Position(pos).Line})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if !inVerify && parserName.MatchString(n.Name.Name) {
				add(n.Pos(), "func "+n.Name.Name)
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			path := imports[pkg.Name]
			if !inDurable && forbiddenCalls[path][sel.Sel.Name] {
				add(n.Pos(), path+"."+sel.Sel.Name)
			}
			if !inVerify && (path == "strings" || path == "bytes") && splitFuncs[sel.Sel.Name] {
				for _, a := range n.Args {
					if isBlankLine(a) {
						add(n.Pos(), "split at blank line")
					}
				}
			}
		}
		return true
	})
	return out, nil
}

// isBlankLine reports whether e is the literal "\n\n", as a string or as
// []byte("\n\n").
func isBlankLine(e ast.Expr) bool {
	if c, ok := e.(*ast.CallExpr); ok && len(c.Args) == 1 {
		e = c.Args[0]
	}
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	s, err := strconv.Unquote(lit.Value)
	return err == nil && s == "\n\n"
}

func TestOneDurableWriteAndOneCheckpointParser(t *testing.T) {
	root := filepath.Join("..", "..")
	var bad []string
	seen := map[string]bool{}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		fs, err := scan(rel, src)
		if err != nil {
			return err
		}
		for _, f := range fs {
			seen[f.key] = true
			if _, ok := allowed[f.key]; !ok {
				bad = append(bad, fmt.Sprintf("%s (line %d)", f.key, f.line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read %d Go files; the walk of the module is broken", files)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("a second durable write or checkpoint parser starts at %s: use internal/durable or verify.ParseNote", b)
	}
	for k := range allowed {
		if !seen[k] {
			t.Errorf("allowed exception %q no longer occurs: remove it from the list", k)
		}
	}
}

// TestScanFindsCopies: the scanner finds each kind of copy it looks for,
// under any import name, and not the one parser and write themselves.
func TestScanFindsCopies(t *testing.T) {
	copies := `package p
import (
	"bytes"
	o "os"
	str "strings"
	"golang.org/x/sys/unix"
)
func ParseCheckpoint(s string) {}
func (x T) readSignedNote() {}
func f(b []byte, s string) {
	o.Rename("a", "b")
	o.Link("a", "b")
	o.CreateTemp("", "x")
	unix.Renameat(0, "a", 0, "b")
	bytes.LastIndex(b, []byte("\n\n"))
	str.Cut(s, "\n\n")
	str.Cut(s, "\n")
}
`
	got, err := scan("ledger/x.go", []byte(copies))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range got {
		keys = append(keys, strings.TrimPrefix(f.key, "ledger/x.go: "))
	}
	want := []string{"func ParseCheckpoint", "func readSignedNote", "os.Rename", "os.Link", "os.CreateTemp",
		"golang.org/x/sys/unix.Renameat", "split at blank line", "split at blank line"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("scan found %v, want %v", keys, want)
	}
	for _, home := range []string{"internal/durable/durable.go", "verify/checkpoint.go"} {
		src, err := os.ReadFile(filepath.Join("..", "..", home))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := scan(home, src); len(got) != 0 {
			t.Errorf("scan flags the one copy itself in %s: %v", home, got)
		}
		if got, _ := scan("elsewhere/"+filepath.Base(home), src); len(got) == 0 {
			t.Errorf("%s moved elsewhere is not flagged: the scanner misses what it guards", home)
		}
	}
}
