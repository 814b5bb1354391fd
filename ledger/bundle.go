package ledger

import (
	"context"
	"encoding/base64"
	"sort"

	"golang.org/x/mod/sumdb/tlog"
)

// BundleFormat names version 1 of the bundle format.
const BundleFormat = "custodia-bundle/v1"

// Bundle is what `custodia export bundle` writes and `custodia verify`
// checks: every event of an item and of the items derived from it, each with
// its inclusion proof against one signed checkpoint, and the log's key.
type Bundle struct {
	Format      string             `json:"format"`
	Item        string             `json:"item"`
	PublicKey   string             `json:"public_key"`
	Checkpoint  string             `json:"checkpoint"`
	Events      []BundleEvent      `json:"events"`
	Consistency []BundleConsistent `json:"consistency,omitempty"`
}

// BundleEvent is one event with its proof.
type BundleEvent struct {
	Index int64    `json:"index"`
	Event string   `json:"event"`
	Proof []string `json:"proof"`
}

// BundleConsistent proves that the tree of OldSize is a prefix of the
// bundle's checkpoint tree.
type BundleConsistent struct {
	OldSize int64    `json:"old_size"`
	Proof   []string `json:"proof"`
}

func encodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// ItemFamily returns an item and every item derived from it, transitively.
func (l *Ledger) ItemFamily(id string) ([]string, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, ok := l.state.Items[id]; !ok {
		return nil, notFound("la evidencia/item", id)
	}
	fam := []string{id}
	for i := 0; i < len(fam); i++ {
		fam = append(fam, l.state.Items[fam[i]].Children...)
	}
	return fam, nil
}

// ExportBundle builds the bundle of an item against the latest checkpoint,
// with consistency proofs from each of oldSizes.
func (l *Ledger) ExportBundle(ctx context.Context, id string, vkey string, oldSizes ...int64) (*Bundle, error) {
	fam, err := l.ItemFamily(id)
	if err != nil {
		return nil, err
	}
	set := map[int64]bool{}
	for _, it := range fam {
		seqs, err := l.itemSeqs(ctx, it)
		if err != nil {
			return nil, err
		}
		for _, s := range seqs {
			set[s] = true
		}
	}
	seqs := make([]int64, 0, len(set))
	for s := range set {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	cp, err := l.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := l.store.ReadEvents(ctx, seqs)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Format: BundleFormat, Item: id, PublicKey: vkey, Checkpoint: string(cp.Note)}
	hr := l.HashReader(ctx)
	for _, se := range stored {
		p, err := tlog.ProveRecord(cp.Size, se.Seq, hr)
		if err != nil {
			return nil, err
		}
		b.Events = append(b.Events, BundleEvent{Index: se.Seq, Event: string(se.Data), Proof: encodeHashes(p)})
	}
	for _, old := range oldSizes {
		p, err := tlog.ProveTree(cp.Size, old, hr)
		if err != nil {
			return nil, err
		}
		b.Consistency = append(b.Consistency, BundleConsistent{OldSize: old, Proof: encodeHashes(p)})
	}
	return b, nil
}
