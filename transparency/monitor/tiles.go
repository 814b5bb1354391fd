package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// maxTileSize bounds one hash tile: 256 hashes of 32 bytes.
const maxTileSize = 256 * 32

// TileSource reads a log served in the c2sp.org/tlog-tiles layout
// (URL/checkpoint, URL/tile/L/N[.p/W]) and computes consistency proofs from
// its hash tiles. Every tile is checked against the log's latest signed
// checkpoint (tlog.TileHashReader), so the log cannot answer with hashes that
// its own checkpoint does not commit to.
type TileSource struct {
	URL      string        // the log's prefix, e.g. https://log.example/log
	Verifier note.Verifier // the log's key; its name is the origin
	HTTP     *http.Client  // http.DefaultClient when nil
}

var _ witness.ProofSource = (*TileSource)(nil)

// Latest fetches and verifies the log's current checkpoint.
func (s *TileSource) Latest(ctx context.Context) ([]byte, tlog.Tree, error) {
	b, err := s.get(ctx, "checkpoint", verify.MaxNoteSize)
	if err != nil {
		return nil, tlog.Tree{}, err
	}
	_, cp, err := verify.OpenNote(b, note.VerifierList(s.Verifier))
	var bad *verify.Error
	if errors.As(err, &bad) {
		return nil, tlog.Tree{}, fmt.Errorf("%s/checkpoint: %w", s.URL, err)
	}
	if err != nil {
		return nil, tlog.Tree{}, fmt.Errorf("%s/checkpoint: firma del log / log signature: %w", s.URL, err)
	}
	if cp.Origin != s.Verifier.Name() {
		return nil, tlog.Tree{}, fmt.Errorf("%s/checkpoint: origen %q, se esperaba %q / origin %q, expected %q", s.URL, cp.Origin, s.Verifier.Name(), cp.Origin, s.Verifier.Name())
	}
	return b, tlog.Tree{N: cp.Size, Hash: cp.Root}, nil
}

// ConsistencyProof implements witness.ProofSource from the log's tiles.
func (s *TileSource) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	_, tree, err := s.Latest(ctx)
	if err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize || newSize > tree.N {
		return nil, fmt.Errorf("el log (tamaño %d) no puede probar %d→%d / the log (size %d) cannot prove %d→%d", tree.N, oldSize, newSize, tree.N, oldSize, newSize)
	}
	return tlog.ProveTree(newSize, oldSize, tlog.TileHashReader(tree, &tileReader{ctx: ctx, s: s}))
}

func (s *TileSource) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	hc := s.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimSuffix(s.URL, "/") + "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: respuesta de más de %d bytes / response larger than %d bytes", u, limit, limit)
	}
	return b, nil
}

// tileReader adapts TileSource to tlog.TileReader for one call's ctx.
type tileReader struct {
	ctx context.Context
	s   *TileSource
}

func (r *tileReader) Height() int { return 8 }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		// tlog writes "tile/8/L/N[.p/W]"; c2sp.org/tlog-tiles has no height.
		path := "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
		b, err := r.s.get(r.ctx, path, maxTileSize)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}
