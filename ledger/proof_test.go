package ledger_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/verify"
)

// TestProofs checks the Merkle log against an independent computation: the
// stored hashes equal tlog.StoredHashes over the events, every event's
// inclusion proof checks against the latest signed root, and the
// consistency proof between the two checkpoints checks.
func TestProofs(t *testing.T) {
	ctx := context.Background()
	d, _ := testdeploy.Metastasis(t, nil)
	// A second import, for a second checkpoint.
	extra := []byte(`{"op": "agency.add", "id": "AG-2", "name": "Segunda", "kind": "other"}
{"op": "officer.add", "id": "x.2", "name": "Segundo", "agency": "AG-2", "role": "custodian"}
{"op": "custody.transfer", "item": "E-CHI-03-01", "from": "cust.chi", "to": "x.2", "at": "2024-02-01T10:00:00-05:00", "purpose": "storage", "seal_condition": "intact"}
`)
	testdeploy.Import(t, d, extra)

	evs := allEvents(t, d.Store)
	data := make([][]byte, len(evs))
	for i, e := range evs {
		data[i] = e.Data
	}
	mem, per := storedHashes(t, data)
	for i, e := range evs {
		if !bytes.Equal(e.Hashes, concat(per[i])) {
			t.Fatalf("event %d: stored hashes differ from tlog.StoredHashes", i)
		}
		if per[i][0] != tlog.RecordHash(e.Data) {
			t.Fatalf("event %d: leaf is not the RFC 6962 hash of its bytes", i)
		}
	}

	cps, err := d.Store.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 2 || cps[0].Size != 1071 || cps[1].Size != int64(len(evs)) {
		t.Fatalf("checkpoints: %+v", cps)
	}
	v := d.Ledger.Verifier()
	roots := make([]tlog.Hash, len(cps))
	for i, cp := range cps {
		n, err := note.Open(cp.Note, note.VerifierList(v))
		if err != nil {
			t.Fatalf("checkpoint %d: %v", cp.Size, err)
		}
		c, err := verify.ParseCheckpoint(n.Text)
		if err != nil || c.Origin != v.Name() || c.Size != cp.Size || c.Root != cp.Root {
			t.Fatalf("checkpoint %d: %+v (%v)", cp.Size, c, err)
		}
		root := c.Root
		// C2SP tlog-checkpoint: origin, size, base64 root, then signatures.
		lines := strings.Split(n.Text, "\n")
		if len(lines) != 4 || lines[3] != "" || lines[2] != base64.StdEncoding.EncodeToString(root[:]) {
			t.Errorf("checkpoint text %q is not origin, size and base64 root", n.Text)
		}
		want, err := tlog.TreeHash(cp.Size, mem)
		if err != nil {
			t.Fatal(err)
		}
		if root != want {
			t.Fatalf("checkpoint %d: signed root differs from the tree of the events", cp.Size)
		}
		roots[i] = root
	}

	latest, err := d.Ledger.LatestCheckpoint(ctx)
	if err != nil || latest.Size != cps[1].Size {
		t.Fatalf("LatestCheckpoint = %+v, %v", latest, err)
	}
	for i, e := range evs {
		p, err := d.Ledger.InclusionProof(ctx, latest.Size, int64(i))
		if err != nil {
			t.Fatalf("InclusionProof(%d): %v", i, err)
		}
		if err := tlog.CheckRecord(p, latest.Size, roots[1], int64(i), tlog.RecordHash(e.Data)); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if i%97 == 0 && i < int(cps[0].Size) {
			p, err := d.Ledger.InclusionProof(ctx, cps[0].Size, int64(i))
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, cps[0].Size, roots[0], int64(i), tlog.RecordHash(e.Data)); err != nil {
				t.Fatalf("event %d in the first tree: %v", i, err)
			}
		}
		// A proof of one event does not prove another.
		if i > 0 && i%211 == 0 {
			if tlog.CheckRecord(p, latest.Size, roots[1], int64(i), tlog.RecordHash(evs[i-1].Data)) == nil {
				t.Fatalf("proof of event %d also proves event %d", i, i-1)
			}
		}
	}
	cp, err := d.Ledger.ConsistencyProof(ctx, cps[0].Size, cps[1].Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(cp, cps[1].Size, roots[1], cps[0].Size, roots[0]); err != nil {
		t.Fatalf("consistency %d→%d: %v", cps[0].Size, cps[1].Size, err)
	}
	for _, old := range []int64{1, 2, 3, 64, 500, 1070} {
		p, err := d.Ledger.ConsistencyProof(ctx, old, latest.Size)
		if err != nil {
			t.Fatal(err)
		}
		oldRoot, _ := tlog.TreeHash(old, mem)
		if err := tlog.CheckTree(p, latest.Size, roots[1], old, oldRoot); err != nil {
			t.Errorf("consistency %d→%d: %v", old, latest.Size, err)
		}
	}
	// Out-of-range requests are errors, not panics.
	for _, c := range [][2]int64{{latest.Size, latest.Size}, {latest.Size + 1, 0}, {5, 5}, {5, -1}, {0, 0}} {
		if _, err := d.Ledger.InclusionProof(ctx, c[0], c[1]); err == nil {
			t.Errorf("InclusionProof(%d, %d) succeeded", c[0], c[1])
		}
	}
	if _, err := d.Ledger.ConsistencyProof(ctx, 10, 5); err == nil {
		t.Error("ConsistencyProof(10, 5) succeeded")
	}

	// The bundle's proofs check the same way, against its own checkpoint
	// and key.
	b, err := d.Ledger.ExportBundle(ctx, "E-CHI-03-01", d.PublicKey, cps[0].Size)
	if err != nil {
		t.Fatal(err)
	}
	bv, err := note.NewVerifier(b.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(b.Checkpoint), note.VerifierList(bv))
	if err != nil {
		t.Fatal(err)
	}
	bc, err := verify.ParseCheckpoint(n.Text)
	if err != nil || bc.Size != latest.Size || bc.Root != roots[1] {
		t.Fatalf("bundle checkpoint: %+v %v", bc, err)
	}
	if len(b.Events) != 8 || b.Format != verify.FormatV1 || b.Item != "E-CHI-03-01" {
		t.Errorf("bundle: %d events, format %q, item %q", len(b.Events), b.Format, b.Item)
	}
	for _, be := range b.Events {
		var proof tlog.RecordProof
		for _, s := range be.Proof {
			h, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(h) != 32 {
				t.Fatalf("proof hash %q", s)
			}
			proof = append(proof, tlog.Hash(h))
		}
		if err := tlog.CheckRecord(proof, bc.Size, bc.Root, be.Index, tlog.RecordHash([]byte(be.Event))); err != nil {
			t.Errorf("bundle event %d: %v", be.Index, err)
		}
		ev, err := custody.DecodeEvent([]byte(be.Event))
		if err != nil || ev.Seq != be.Index {
			t.Errorf("bundle event %d: %v", be.Index, err)
		}
	}
	if len(b.Consistency) != 1 || b.Consistency[0].OldSize != cps[0].Size {
		t.Fatalf("bundle consistency: %+v", b.Consistency)
	}
	var tp tlog.TreeProof
	for _, s := range b.Consistency[0].Proof {
		h, _ := base64.StdEncoding.DecodeString(s)
		tp = append(tp, tlog.Hash(h))
	}
	if err := tlog.CheckTree(tp, bc.Size, bc.Root, cps[0].Size, roots[0]); err != nil {
		t.Errorf("bundle consistency: %v", err)
	}
	if _, err := json.Marshal(b); err != nil {
		t.Fatal(err)
	}
}
