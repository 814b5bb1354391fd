package ledger

import (
	"context"
	"sort"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/verify"
)

// ItemFamily returns the seized item an item comes from (itself, for a
// seized item) and every item derived from that one, transitively.
func (l *Ledger) ItemFamily(id string) ([]string, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	it, ok := l.state.Items[id]
	if !ok {
		return nil, notFound("la evidencia/item", id)
	}
	// A derived item's history starts in its parent's: root the family at
	// the seized item it comes from, so that a bundle proves the whole chain.
	for it.Parent != "" {
		it = l.state.Items[it.Parent]
	}
	fam := []string{it.ID}
	for i := 0; i < len(fam); i++ {
		fam = append(fam, l.state.Items[fam[i]].Children...)
	}
	return fam, nil
}

// ExportBundle builds the bundle of an item against the newest checkpoint
// that witnesses cosigned and that covers the item's events, or else the
// latest signed checkpoint, with consistency proofs from each of oldSizes. The bundle of a derived
// item is that of the seized item it comes from, which holds it.
func (l *Ledger) ExportBundle(ctx context.Context, id string, vkey string, oldSizes ...int64) (*verify.Bundle, error) {
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
	if len(seqs) == 0 {
		return nil, notFound("la evidencia/item", id)
	}
	cp, err := l.checkpointFor(ctx, seqs[len(seqs)-1])
	if err != nil {
		return nil, err
	}
	stored, err := l.store.ReadEvents(ctx, seqs)
	if err != nil {
		return nil, err
	}
	b := &verify.Bundle{Format: verify.FormatV1, Item: fam[0], PublicKey: vkey, Checkpoint: string(cp.Note)}
	hr := l.HashReader(ctx)
	for _, se := range stored {
		p, err := tlog.ProveRecord(cp.Size, se.Seq, hr)
		if err != nil {
			return nil, err
		}
		b.Events = append(b.Events, verify.BundleEvent{Index: se.Seq, Event: string(se.Data), Proof: verify.EncodeHashes(p)})
	}
	// The key register's events of every key that signed these acts:
	// request, approval and any revocation within the checkpoint.
	keys := map[string]bool{}
	for _, se := range stored {
		ev, err := fastcodec.DecodeEvent(se.Data)
		if err != nil {
			return nil, err
		}
		for _, g := range ev.Sigs {
			keys[g.Key] = true
		}
	}
	var keySeqs []int64
	l.View(func(st *domain.State) error {
		for id := range keys {
			if k := st.Keys[id]; k != nil {
				for _, s := range []int64{k.Seq, k.ApprovedAt, k.RevokedAt} {
					if s >= 0 && s < cp.Size {
						keySeqs = append(keySeqs, s)
					}
				}
			}
		}
		return nil
	})
	sort.Slice(keySeqs, func(i, j int) bool { return keySeqs[i] < keySeqs[j] })
	keyEvents, err := l.store.ReadEvents(ctx, keySeqs)
	if err != nil {
		return nil, err
	}
	for _, se := range keyEvents {
		p, err := tlog.ProveRecord(cp.Size, se.Seq, hr)
		if err != nil {
			return nil, err
		}
		b.Keys = append(b.Keys, verify.BundleEvent{Index: se.Seq, Event: string(se.Data), Proof: verify.EncodeHashes(p)})
	}
	for _, old := range oldSizes {
		p, err := tlog.ProveTree(cp.Size, old, hr)
		if err != nil {
			return nil, err
		}
		b.Consistency = append(b.Consistency, verify.ConsistencyProof{OldSize: old, Proof: verify.EncodeHashes(p)})
	}
	return b, nil
}
