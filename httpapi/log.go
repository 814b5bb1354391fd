package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
)

// registerLog registers the public, read-only log endpoints (C2SP
// tlog-tiles): the latest checkpoint, hash tiles, and proofs.
//
// Entry bundles (tile/entries/...) are NOT served: an event's bytes would
// reveal case contents. Leaves are salted commitments (see custody.Event), so
// hash tiles and checkpoints reveal nothing; witnesses and monitors check
// consistency with them, and a bundle holder checks inclusion.
func (s *Server) registerLog() {
	for _, rt := range []gateway.Route{
		{Method: "GET", Path: "/log/checkpoint", Summary: "Último punto de control firmado (C2SP tlog-checkpoint) / latest signed checkpoint", Access: gateway.Public, Handle: s.logCheckpoint},
		{Method: "GET", Path: "/log/tile/{path...}", Summary: "Tesela de hashes (C2SP tlog-tiles; sin tiles de entradas) / hash tile (no entry bundles)", Access: gateway.Public, Handle: s.logTile},
		{Method: "GET", Path: "/log/proof/inclusion", Summary: "Prueba de inclusión / inclusion proof", Access: gateway.Public, Query: []string{"index", "size"}, Handle: s.logInclusion},
		{Method: "GET", Path: "/log/proof/consistency", Summary: "Prueba de consistencia / consistency proof", Access: gateway.Public, Query: []string{"old", "size"}, Handle: s.logConsistency},
	} {
		s.gw.Handle(rt)
	}
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	cp, err := s.Ledger().PublishedCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(cp.Note)
	return nil
}

func tileNotFound() *custody.Error {
	return custody.Errorf(custody.ENotFound, "path", "no existe esa tesela (las teselas de entradas no se publican)", "no such tile (entry tiles are not published)")
}

// logTile serves /log/tile/<L>/<N>[.p/<W>] from the stored hashes.
func (s *Server) logTile(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	path := r.PathValue("path")
	if strings.HasPrefix(path, "entries/") {
		return tileNotFound()
	}
	t, err := tlog.ParseTilePath("tile/8/" + path)
	if err != nil || t.L < 0 || t.L > 7 {
		return tileNotFound()
	}
	cp, err := s.Ledger().LatestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	// Hashes at the tile's level in a tree of cp.Size leaves.
	avail := cp.Size >> (uint(t.L) * 8)
	if t.N*256+int64(t.W) > avail {
		return tileNotFound()
	}
	data, err := tlog.ReadTileData(t, s.Ledger().HashReader(r.Context()))
	if err != nil {
		return err
	}
	// A tile path names its width, and the hashes of a tile of a given
	// width never change (C2SP tlog-tiles): a partial tile is as immutable
	// as a full one; a wider one has another path.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(data)
	return nil
}

// InclusionProof is the answer of /log/proof/inclusion: the proof that
// leaf Index is in the tree of Size leaves, hashes in base64. Every field is
// always present (index 0 is an index like any other).
type InclusionProof struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

// ConsistencyProof is the answer of /log/proof/consistency: the proof that
// the tree of OldSize leaves is a prefix of the tree of Size, hashes in
// base64. OldSize is at least 1: there is no proof from the empty tree.
type ConsistencyProof struct {
	OldSize int64    `json:"old_size"`
	Size    int64    `json:"size"`
	Proof   []string `json:"proof"`
}

func b64Hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

func (s *Server) queryInts(r *http.Request, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		v, err := strconv.ParseInt(r.URL.Query().Get(n), 10, 64)
		if err != nil || v < 0 {
			return nil, custody.Errorf(custody.EInvalid, n, "debe ser un entero ≥ 0", "must be an integer ≥ 0")
		}
		out[i] = v
	}
	return out, nil
}

func (s *Server) logInclusion(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	v, err := s.queryInts(r, "index", "size")
	if err != nil {
		return err
	}
	p, err := s.Ledger().InclusionProof(r.Context(), v[1], v[0])
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, InclusionProof{Index: v[0], Size: v[1], Proof: b64Hashes(p)})
	return nil
}

func (s *Server) logConsistency(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	v, err := s.queryInts(r, "old", "size")
	if err != nil {
		return err
	}
	p, err := s.Ledger().ConsistencyProof(r.Context(), v[0], v[1])
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, ConsistencyProof{OldSize: v[0], Size: v[1], Proof: b64Hashes(p)})
	return nil
}
