// Package witnesstest provides an in-memory transparency log for tests of
// witnesses, gatherers and monitors: an RFC 6962 tree kept with
// golang.org/x/mod/sumdb/tlog, checkpoints signed as c2sp.org/tlog-checkpoint
// notes with golang.org/x/mod/sumdb/note, consistency proofs, and hash tiles
// served in the c2sp.org/tlog-tiles layout.
//
// It is independent of Custodia's own log on purpose: a witness that accepts
// its checkpoints and proofs interoperates with any tlog-based log. It can
// also misbehave on request ([Log.Fork]), to test that witnesses and
// monitors catch it.
package witnesstest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the c2sp.org/tlog-tiles tile height: 2^8 = 256 hashes.
const tileHeight = 8

// Log is an in-memory log. It is safe for concurrent use.
type Log struct {
	origin string
	signer note.Signer
	vkey   string

	mu     sync.Mutex
	hashes []tlog.Hash // tlog stored hashes
	size   int64
}

// NewLog makes an empty log with a new key named origin.
func NewLog(origin string) (*Log, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	return &Log{origin: origin, signer: signer, vkey: vkey}, nil
}

// Origin is the log's origin line, also its key's name.
func (l *Log) Origin() string { return l.origin }

// VKey is the log's public key as a signed-note vkey.
func (l *Log) VKey() string { return l.vkey }

// Verifier verifies the log's checkpoint signatures.
func (l *Log) Verifier() note.Verifier {
	v, err := note.NewVerifier(l.vkey)
	if err != nil {
		panic(err) // the vkey was made by note.GenerateKey
	}
	return v
}

func (l *Log) hashReader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(l.hashes)) {
				return nil, fmt.Errorf("witnesstest: hash %d not stored", x)
			}
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// Append adds records to the log.
func (l *Log) Append(records ...[]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range records {
		hs, err := tlog.StoredHashes(l.size, r, l.hashReader())
		if err != nil {
			return err
		}
		l.hashes = append(l.hashes, hs...)
		l.size++
	}
	return nil
}

// AppendN adds n records with distinct contents.
func (l *Log) AppendN(n int) error {
	for i := 0; i < n; i++ {
		l.mu.Lock()
		rec := []byte(l.origin + " record " + strconv.FormatInt(l.size, 10))
		l.mu.Unlock()
		if err := l.Append(rec); err != nil {
			return err
		}
	}
	return nil
}

// Size is the number of records.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Tree returns the tree head at size n (n <= Size).
func (l *Log) Tree(n int64) (tlog.Tree, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > l.size {
		return tlog.Tree{}, fmt.Errorf("witnesstest: size %d outside 0..%d", n, l.size)
	}
	h, err := tlog.TreeHash(n, l.hashReader())
	return tlog.Tree{N: n, Hash: h}, err
}

// Checkpoint returns the signed checkpoint at the current size.
func (l *Log) Checkpoint() ([]byte, error) { return l.CheckpointAt(l.Size()) }

// CheckpointAt returns a signed checkpoint at size n (n <= Size).
func (l *Log) CheckpointAt(n int64) ([]byte, error) {
	t, err := l.Tree(n)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", l.origin, t.N, t.Hash)
	return note.Sign(&note.Note{Text: text}, l.signer)
}

// ConsistencyProof proves that the tree of size newSize extends the tree of
// size oldSize. It makes Log a witness.ProofSource.
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if oldSize < 1 || oldSize > newSize || newSize > l.size {
		return nil, fmt.Errorf("witnesstest: no proof from %d to %d at size %d", oldSize, newSize, l.size)
	}
	return tlog.ProveTree(newSize, oldSize, l.hashReader())
}

// Fork returns a copy of the log rolled back to size n, with the same key:
// what an operator who restores an old backup, or keeps a second database,
// would have. Appending to the copy and signing makes a fork.
func (l *Log) Fork(n int64) (*Log, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > l.size {
		return nil, errors.New("witnesstest: fork size out of range")
	}
	c := &Log{origin: l.origin, signer: l.signer, vkey: l.vkey, size: n}
	c.hashes = append([]tlog.Hash(nil), l.hashes[:tlog.StoredHashCount(n)]...)
	return c, nil
}

// Handler serves the log read-only in the c2sp.org/tlog-tiles layout:
// GET /checkpoint and the hash tiles GET /tile/{L}/{N}[.p/{W}]. Entry
// bundles are not served: witnesses and monitors need only hashes.
func (l *Log) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkpoint", func(w http.ResponseWriter, r *http.Request) {
		cp, err := l.Checkpoint()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(cp)
	})
	mux.HandleFunc("GET /tile/{level}/{path...}", func(w http.ResponseWriter, r *http.Request) {
		t, err := tlog.ParseTilePath("tile/" + strconv.Itoa(tileHeight) + "/" + r.PathValue("level") + "/" + r.PathValue("path"))
		if err != nil || t.L < 0 {
			http.NotFound(w, r)
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		// The tile must lie within the tree: its last hash at level L must exist.
		last := (t.N<<uint(t.H) + int64(t.W)) << uint(t.L*t.H)
		if last > l.size {
			http.NotFound(w, r)
			return
		}
		data, err := tlog.ReadTileData(t, l.hashReader())
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	})
	return mux
}
