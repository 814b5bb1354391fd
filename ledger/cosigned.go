package ledger

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
)

// noteText returns the text of a signed note: everything up to the blank
// line before the signatures.
func noteText(n []byte) ([]byte, bool) {
	i := bytes.Index(n, []byte("\n\n"))
	if i < 0 {
		return nil, false
	}
	return n[:i+1], true
}

// AddCosigned stores a checkpoint that witnesses cosigned. It must be one of
// the log's own signed checkpoints (same text, the log's valid signature)
// with cosignature lines appended; the ledger does not judge the
// cosignatures, which verifiers check against their policy.
func (l *Ledger) AddCosigned(ctx context.Context, cosigned []byte) error {
	n, err := note.Open(cosigned, note.VerifierList(l.verifier))
	if err != nil {
		return custody.Errorf(custody.EInvalid, "checkpoint", "no lleva una firma válida del registro: %v", "has no valid signature by the log: %v", err)
	}
	_, size, _, err := ParseCheckpoint(n.Text)
	if err != nil {
		return custody.Errorf(custody.EInvalid, "checkpoint", "%v", "%v", err)
	}
	cps, err := l.store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	for _, cp := range cps {
		if cp.Size != size {
			continue
		}
		text, _ := noteText(cp.Note)
		if string(text) != n.Text {
			return custody.Errorf(custody.EConflict, "checkpoint", "el texto no es el del punto de control firmado de tamaño %d", "its text is not that of the signed checkpoint of size %d", size)
		}
		return l.store.PutCosigned(ctx, size, cosigned)
	}
	return custody.Errorf(custody.ENotFound, "checkpoint", "el registro no firmó ningún punto de control de tamaño %d", "the log signed no checkpoint of size %d", size)
}

// checkpointFor returns the checkpoint a bundle whose events end at seq
// last should be proven against: the newest cosigned one that covers them,
// or else the latest signed one.
func (l *Ledger) checkpointFor(ctx context.Context, last int64) (*Checkpoint, error) {
	latest, err := l.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	cos, err := l.store.Cosigned(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(cos) - 1; i >= 0; i-- {
		c := cos[i]
		if c.Size <= last {
			break
		}
		n, err := note.Open(c.Note, note.VerifierList(l.verifier))
		if err != nil {
			continue // audit reports it
		}
		_, size, root, err := ParseCheckpoint(n.Text)
		if err != nil || size != c.Size {
			continue
		}
		return &Checkpoint{Size: size, Root: root, Note: c.Note}, nil
	}
	if latest.Size <= last {
		return nil, fmt.Errorf("ledger: no checkpoint covers event %d", last)
	}
	return latest, nil
}

// PublishedCheckpoint is the checkpoint the log publishes: the latest signed
// one, with the witnesses' cosignatures when they have cosigned it.
func (l *Ledger) PublishedCheckpoint(ctx context.Context) (*Checkpoint, error) {
	latest, err := l.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	cos, err := l.store.Cosigned(ctx)
	if err != nil {
		return nil, err
	}
	if n := len(cos); n > 0 && cos[n-1].Size == latest.Size {
		if _, err := note.Open(cos[n-1].Note, note.VerifierList(l.verifier)); err == nil {
			return &Checkpoint{Size: latest.Size, Root: latest.Root, Note: cos[n-1].Note}, nil
		}
	}
	return latest, nil
}
