package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/verify"
)

// httpTileReader is an independent tlog client: it fetches C2SP hash tiles
// over HTTP, as a witness or monitor would, for tlog.TileHashReader, which
// checks every tile against the signed tree head.
type httpTileReader struct {
	t    *testing.T
	base string
	n    int
}

func (r *httpTileReader) Height() int { return 8 }

func (r *httpTileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		// tlog names tiles tile/8/L/N; C2SP tlog-tiles drops the height.
		path := "/log/tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
		resp, err := http.Get(r.base + path)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		r.n++
		out[i] = b
	}
	return out, nil
}

func (r *httpTileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func TestLogEndpointsWithIndependentClient(t *testing.T) {
	e := newEnv(t)
	get := func(path string) (int, []byte) { return e.do("GET", path, "", "") }
	st, cpText := get("/log/checkpoint")
	if st != 200 {
		t.Fatalf("checkpoint: %d", st)
	}
	v, err := note.NewVerifier(e.d.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := verify.OpenNote(cpText, note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	size, root := c.Size, c.Root
	if size < 1000 {
		t.Fatalf("size %d: the case file should be in the log", size)
	}
	tree := tlog.Tree{N: size, Hash: root}
	tr := &httpTileReader{t: t, base: e.ts.URL}
	hr := tlog.TileHashReader(tree, tr)
	for _, idx := range []int64{0, 1, 255, 256, 700, size - 1} {
		// The client computes its own proof from verified tiles...
		mine, err := tlog.ProveRecord(size, idx, hr)
		if err != nil {
			t.Fatalf("client proof of %d: %v", idx, err)
		}
		leaf, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, idx)})
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(mine, size, root, idx, leaf[0]); err != nil {
			t.Errorf("client proof of %d does not check: %v", idx, err)
		}
		// ...and the server's proof endpoint must agree and check.
		st, b := get(fmt.Sprintf("/log/proof/inclusion?index=%d&size=%d", idx, size))
		if st != 200 {
			t.Fatalf("inclusion %d: %d %s", idx, st, b)
		}
		var p InclusionProof
		json.Unmarshal(b, &p)
		theirs := decodeProof(t, p.Proof)
		if err := tlog.CheckRecord(theirs, size, root, idx, leaf[0]); err != nil {
			t.Errorf("server's inclusion proof of %d does not check: %v", idx, err)
		}
	}
	if tr.n == 0 {
		t.Fatal("no tile was fetched")
	}
	// Consistency from an older checkpoint the client remembers.
	old := size - 300
	oldHash, err := tlog.TreeHash(old, hr)
	if err != nil {
		t.Fatal(err)
	}
	st, b := get(fmt.Sprintf("/log/proof/consistency?old=%d&size=%d", old, size))
	if st != 200 {
		t.Fatalf("consistency: %d %s", st, b)
	}
	var p ConsistencyProof
	json.Unmarshal(b, &p)
	if err := tlog.CheckTree(decodeProof(t, p.Proof), size, root, old, oldHash); err != nil {
		t.Errorf("consistency proof does not check: %v", err)
	}
	// A partial tile of the current size is served; entries are not.
	w := size % 256
	if st, b := get(fmt.Sprintf("/log/tile/0/%03d.p/%d", size/256, w)); st != 200 || int64(len(b)) != 32*w {
		t.Errorf("partial tile: %d, %d bytes; want 200, %d", st, len(b), 32*w)
	}
	for _, path := range []string{"/log/tile/entries/000", "/log/tile/0/999", "/log/tile/9/000", "/log/tile/0/x"} {
		if st, _ := get(path); st != 404 {
			t.Errorf("%s: %d, want 404", path, st)
		}
	}
}

func decodeProof(t *testing.T, in []string) []tlog.Hash {
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("proof hash %q", s)
		}
		copy(out[i][:], b)
	}
	return out
}

// TestOpenAPI checks that the document is OpenAPI 3.1, that every route is
// in it and that every documented operation is a route.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t)
	st, b := e.do("GET", "/api/v1/openapi.json", "", "")
	if st != 200 {
		t.Fatal(st)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	// Every case-file op has its schema, with its required fields.
	var full struct {
		Components struct {
			Schemas map[string]struct {
				OneOf []struct {
					Properties map[string]json.RawMessage `json:"properties"`
					Required   []string                   `json:"required"`
				} `json:"oneOf"`
			} `json:"schemas"`
		} `json:"components"`
	}
	json.Unmarshal(b, &full)
	ops := full.Components.Schemas["Record"].OneOf
	if len(ops) != 20 {
		t.Errorf("%d record schemas, want the spec's 20 ops", len(ops))
	}
	for _, o := range ops {
		if len(o.Required) < 2 || o.Properties["op"] == nil {
			t.Errorf("record schema without op or required fields: %+v", o)
		}
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for m, raw := range ops {
			var op struct {
				Summary string `json:"summary"`
			}
			json.Unmarshal(raw, &op)
			if op.Summary == "" {
				t.Errorf("%s %s has no summary", m, path)
			}
			documented[strings.ToUpper(m)+" "+path] = true
		}
	}
	routes := map[string]bool{}
	for _, rt := range e.s.Routes() {
		if rt.NoDoc {
			continue // web pages, not API
		}
		key := rt.Method + " " + pathParam.ReplaceAllString(rt.Path, "{$1}")
		routes[key] = true
		if !documented[key] {
			t.Errorf("route %s is not documented", key)
		}
	}
	for k := range documented {
		if !routes[k] {
			t.Errorf("documented %s is not a route", k)
		}
		// And the mux really serves it (not 404/405 from the router).
		method, path, _ := strings.Cut(k, " ")
		path = pathParam.ReplaceAllString(path, "X")
		req, _ := http.NewRequest(method, path, nil)
		if e.s.gw.Pattern(req) == "" {
			t.Errorf("documented %s has no handler in the mux", k)
		}
	}
}

// FuzzLogTile requests arbitrary tile paths: the answer is a tile or a
// client error, never a server error.
func FuzzLogTile(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{"0/000", "0/004.p/47", "1/000.p/4", "entries/000", "0/x001/234", "../../etc", "0/-1", "8/000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req := httptest.NewRequest("GET", "/log/tile/0/000", nil)
		req.URL.Path = "/log/tile/" + path
		req.SetPathValue("path", path)
		w := httptest.NewRecorder()
		var err error
		terminates.Within(t, path, func() { err = e.s.logTile(w, req, nil) })
		if err != nil {
			if ce, ok := gateway.AsError(err); !ok || gateway.StatusOf(ce.Code) >= 500 {
				t.Fatalf("tile %q: %v", path, err)
			}
		}
	})
}

// TestLogTileCaching: every hash tile, full or partial, at every level, is
// served as immutable, since the path of a tile names its width and a tile
// of a given width never changes (C2SP tlog-tiles).
func TestLogTileCaching(t *testing.T) {
	e := newEnv(t)
	size := e.d.Ledger.Size()
	if size < 256*2 {
		t.Fatalf("size %d: too small for a level-1 tile", size)
	}
	paths := []string{
		"/log/tile/0/000",
		fmt.Sprintf("/log/tile/0/%03d.p/%d", size/256, size%256),
		"/log/tile/0/000.p/1",
		fmt.Sprintf("/log/tile/1/000.p/%d", size/256),
	}
	for _, path := range paths {
		resp, err := http.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
			continue
		}
		if got, want := resp.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("%s: Cache-Control %q, want %q", path, got, want)
		}
	}
	// The checkpoint changes with every write: it must not be cached.
	resp, err := http.Get(e.ts.URL + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("checkpoint: Cache-Control %q, want no-cache", got)
	}
}

// TestLogProofAnswers: the inclusion proof of leaf 0 names its index, and
// each refused proof request is a 400 naming the field that is wrong, in
// both languages (a consistency proof from size 0 is not defined by RFC
// 9162; a size beyond the log is the size's fault, not the index's).
func TestLogProofAnswers(t *testing.T) {
	e := newEnv(t)
	size := e.d.Ledger.Size()
	st, b := e.do("GET", fmt.Sprintf("/log/proof/inclusion?index=0&size=%d", size), "", "")
	if st != 200 {
		t.Fatalf("inclusion of 0: %d %s", st, b)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["index"]) != "0" || string(raw["size"]) != fmt.Sprint(size) || raw["old_size"] != nil {
		t.Errorf("inclusion of 0: %s, want index 0 and size %d only", b, size)
	}
	st, b = e.do("GET", fmt.Sprintf("/log/proof/consistency?old=%d&size=%d", size, size), "", "")
	raw = nil
	if err := json.Unmarshal(b, &raw); st != 200 || err != nil {
		t.Fatalf("consistency to itself: %d %s", st, b)
	}
	if string(raw["old_size"]) != fmt.Sprint(size) || string(raw["proof"]) != "[]" || raw["index"] != nil {
		t.Errorf("consistency to itself: %s, want old_size %d and an empty proof", b, size)
	}

	big := size + 1000
	for _, tc := range []struct {
		name, path, field, es, en string
	}{
		{"inclusion beyond the log", fmt.Sprintf("/log/proof/inclusion?index=1&size=%d", big), "size",
			fmt.Sprintf("el tamaño del árbol %d es mayor que el del registro (%d)", big, size),
			fmt.Sprintf("the tree size %d is larger than the log's (%d)", big, size)},
		{"index beyond the tree", "/log/proof/inclusion?index=10&size=10", "index",
			"el evento 10 no está en un árbol de tamaño 10", "event 10 is not in a tree of size 10"},
		{"consistency from 0", "/log/proof/consistency?old=0&size=10", "old",
			"desde el árbol vacío", "from the empty tree"},
		{"consistency backwards", "/log/proof/consistency?old=11&size=10", "old",
			"el tamaño anterior 11 es mayor que el tamaño 10", "the old size 11 is larger than the size 10"},
		{"consistency beyond the log", fmt.Sprintf("/log/proof/consistency?old=1&size=%d", big), "size",
			"es mayor que el del registro", "is larger than the log's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for lang, want := range map[string]string{"es": tc.es, "en": tc.en} {
				req, err := newRequest("GET", e.ts.URL+tc.path, lang)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body := readAll(resp)
				if resp.StatusCode != 400 {
					t.Fatalf("%s: %d %s, want 400", lang, resp.StatusCode, body)
				}
				eb := decodeErr(t, body)
				if eb.Code != custody.EInvalid || eb.Field != tc.field || !strings.Contains(eb.Message, want) {
					t.Errorf("%s: %+v, want field %q and a message with %q", lang, eb, tc.field, want)
				}
			}
		})
	}
}
