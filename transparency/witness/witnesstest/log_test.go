package witnesstest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestLogProofsAndFork(t *testing.T) {
	l, err := NewLog("example.test/log")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendN(300); err != nil {
		t.Fatal(err)
	}
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(cp, note.VerifierList(l.Verifier()))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := tlog.ParseTree([]byte("go.sum database tree\n" + n.Text[len("example.test/log\n"):]))
	if err != nil || tree.N != 300 {
		t.Fatalf("checkpoint text %q: %v", n.Text, err)
	}
	old, _ := l.Tree(100)
	p, err := l.ConsistencyProof(context.Background(), 100, 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, 300, tree.Hash, 100, old.Hash); err != nil {
		t.Fatalf("proof: %v", err)
	}
	f, err := l.Fork(100)
	if err != nil {
		t.Fatal(err)
	}
	f.Append([]byte("other"))
	f.AppendN(199)
	ft, _ := f.Tree(300)
	fo, _ := f.Tree(100)
	if ft.Hash == tree.Hash || fo.Hash != old.Hash {
		t.Fatalf("fork: same root at 300 (%v) or different at 100 (%v)", ft.Hash == tree.Hash, fo.Hash != old.Hash)
	}
	if _, err := l.ConsistencyProof(context.Background(), 100, 301); err == nil {
		t.Fatal("proof beyond the size")
	}
}

func TestHandlerServesOnlyExistingTiles(t *testing.T) {
	l, _ := NewLog("example.test/log")
	l.AppendN(300)
	hs := httptest.NewServer(l.Handler())
	defer hs.Close()
	for path, want := range map[string]int{
		"/tile/0/000":      200, // full tile
		"/tile/0/001.p/44": 200, // partial tile of the 300-entry tree
		"/tile/0/001":      404, // not full yet
		"/tile/1/000.p/1":  200,
		"/tile/0/002.p/1":  404,
		"/tile/0/x":        404,
		"/checkpoint":      200,
	} {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
		if want == 200 && path != "/checkpoint" && len(b)%32 != 0 {
			t.Errorf("GET %s: %d bytes", path, len(b))
		}
	}
}
