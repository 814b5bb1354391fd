package ledger

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/verify"
)

// hashLocation says where stored hash index i lives: in the hashes of the
// event that completed it, at position level. A node at (level, n) covers
// leaves n<<level ... (n+1)<<level - 1, so the last of them completes it.
func hashLocation(i int64) (seq int64, pos int) {
	level, n := tlog.SplitStoredHashIndex(i)
	return (n+1)<<level - 1, level
}

// frontier holds the roots of the complete subtrees on the right edge of the
// tree: all that tlog.StoredHashes and tlog.TreeHash read when the log grows.
// It keeps appends free of reads from the store.
type frontier struct {
	size   int64
	hashes map[int64]tlog.Hash // stored hash index → hash
}

func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := f.hashes[x]
		if !ok {
			return nil, fmt.Errorf("frontier: hash %d is not on the right edge of a tree of size %d", x, f.size)
		}
		out[i] = h
	}
	return out, nil
}

// edge lists the stored hash indexes of the right edge of a tree of size n.
func edge(n int64) []int64 {
	var out []int64
	var start int64
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			out = append(out, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	return out
}

// append adds leaf data as record f.size and returns the stored hashes its
// append produces, concatenated.
func (f *frontier) append(data []byte) ([]byte, error) {
	return f.appendLeaf(tlog.RecordHash(data))
}

// appendLeaf is append for a leaf hash already computed.
func (f *frontier) appendLeaf(leaf tlog.Hash) ([]byte, error) {
	hs, err := tlog.StoredHashesForRecordHash(f.size, leaf, f)
	if err != nil {
		return nil, err
	}
	first := tlog.StoredHashIndex(0, f.size)
	out := make([]byte, 0, 32*len(hs))
	for i, h := range hs {
		f.hashes[first+int64(i)] = h
		out = append(out, h[:]...)
	}
	f.size++
	// Keep only the new right edge, pruning in place: the edge of a tree
	// of size n has one hash per set bit of n, so no allocation is needed.
	if len(f.hashes) > 64+8 {
		f.prune()
	}
	return out, nil
}

// prune drops every hash that is not on the right edge of the tree.
func (f *frontier) prune() {
	var keep [64]int64
	n := 0
	var start int64
	for level := 62; level >= 0; level-- {
		if f.size&(1<<level) != 0 {
			keep[n] = tlog.StoredHashIndex(level, start>>level)
			n++
			start += 1 << level
		}
	}
	for x := range f.hashes {
		found := false
		for _, k := range keep[:n] {
			if k == x {
				found = true
				break
			}
		}
		if !found {
			delete(f.hashes, x)
		}
	}
}

func (f *frontier) root() (tlog.Hash, error) {
	if f.size == 0 {
		return tlog.Hash{}, nil
	}
	return tlog.TreeHash(f.size, f)
}

// storeHashReader reads stored hashes from a transaction or a store.
type storeHashReader struct {
	ctx  context.Context
	read func(ctx context.Context, indexes []int64) ([]byte, error)
}

func (r storeHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	b, err := r.read(r.ctx, indexes)
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i := range out {
		copy(out[i][:], b[32*i:])
	}
	return out, nil
}

// hashCache keeps stored hashes of the upper tree levels, which every proof
// shares and which never change once written: the log only grows.
type hashCache struct {
	mu sync.RWMutex
	m  map[int64]tlog.Hash
}

// cachedLevel is the lowest tree level kept in hashCache: a node there
// covers 16 leaves, so a log of n events caches about n/8 hashes.
const cachedLevel = 4

// readStoredHashes reads stored hashes for proofs: from the cache, and the
// rest with one query for the events that hold them.
func (l *Ledger) readStoredHashes(ctx context.Context, indexes []int64) ([]byte, error) {
	out := make([]byte, 32*len(indexes))
	var missing []int
	var seqs []int64
	l.hashes.mu.RLock()
	for i, x := range indexes {
		if h, ok := l.hashes.m[x]; ok {
			copy(out[32*i:], h[:])
			continue
		}
		seq, _ := hashLocation(x)
		missing = append(missing, i)
		seqs = append(seqs, seq)
	}
	l.hashes.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	hs, err := l.store.EventHashes(ctx, seqs)
	if err != nil {
		return nil, err
	}
	l.hashes.mu.Lock()
	defer l.hashes.mu.Unlock()
	if l.hashes.m == nil {
		l.hashes.m = map[int64]tlog.Hash{}
	}
	for j, i := range missing {
		x := indexes[i]
		seq, pos := hashLocation(x)
		if len(hs[j]) < 32*(pos+1) {
			return nil, fmt.Errorf("event %d holds no hash at level %d", seq, pos)
		}
		copy(out[32*i:], hs[j][32*pos:32*(pos+1)])
		if pos >= cachedLevel {
			var h tlog.Hash
			copy(h[:], hs[j][32*pos:])
			l.hashes.m[x] = h
		}
	}
	return out, nil
}

// signCheckpoint signs the checkpoint of a tree of the given size and root.
func signCheckpoint(signer note.Signer, origin string, size int64, root tlog.Hash) ([]byte, error) {
	c := verify.Checkpoint{Origin: origin, Size: size, Root: root}
	return note.Sign(&note.Note{Text: c.String()}, signer)
}
