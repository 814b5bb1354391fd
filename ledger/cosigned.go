package ledger

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/verify"
)

// noteText returns the text of a signed checkpoint note, or false when the
// note is malformed. The parser is canonical, so the text is the note's own.
func noteText(n []byte) (string, bool) {
	c, _, err := verify.ParseNote(n)
	if err != nil {
		return "", false
	}
	return c.String(), true
}

// AddCosigned stores a checkpoint that witnesses cosigned. It must be one of
// the log's own signed checkpoints (same text, the log's valid signature)
// with cosignature lines appended; the ledger does not judge the
// cosignatures, which verifiers check against their policy.
func (l *Ledger) AddCosigned(ctx context.Context, cosigned []byte) error {
	n, c, err := verify.OpenNote(cosigned, note.VerifierList(l.verifier))
	var bad *verify.Error
	if errors.As(err, &bad) {
		return custody.Errorf(custody.EInvalid, "checkpoint", "está mal formado: %[1]s", "is malformed: %[2]s", bad.Message, bad.MessageEN)
	}
	if err != nil {
		e := custody.Errorf(custody.EInvalid, "checkpoint", "no lleva una firma válida del registro", "has no valid signature by the log")
		e.MessageEN += ": " + err.Error() // the library's words are English only
		return e
	}
	size := c.Size
	cps, err := l.store.Checkpoints(ctx)
	if err != nil {
		return err
	}
	for _, cp := range cps {
		if cp.Size != size {
			continue
		}
		text, _ := noteText(cp.Note)
		if text != n.Text {
			return custody.Errorf(custody.EConflict, "checkpoint", "el texto no es el del punto de control firmado de tamaño %d", "its text is not that of the signed checkpoint of size %d", size)
		}
		return l.store.PutCosigned(ctx, size, cosigned)
	}
	return custody.Errorf(custody.ENotFound, "checkpoint", "el registro no firmó ningún punto de control de tamaño %d", "the log signed no checkpoint of size %d", size)
}

// checkpointFor returns the checkpoint a bundle whose events end at seq
// last should be proven against: CoveringCheckpoint of the first last+1
// events, which must hold seq last.
func (l *Ledger) checkpointFor(ctx context.Context, last int64) (*Checkpoint, error) {
	cp, err := l.CoveringCheckpoint(ctx, last+1)
	if err != nil {
		return nil, err
	}
	if cp.Size <= last {
		return nil, fmt.Errorf("ledger: no checkpoint covers event %d", last)
	}
	return cp, nil
}

// CoveringCheckpoint returns the checkpoint to carry with anything drawn
// from the log's first size events (a bundle, an item record, a report):
// the newest cosigned checkpoint whose tree holds them, so that the
// witnesses' word travels with it, or else the latest signed one. Every
// court document takes its checkpoint from here, so that an item record
// and a report made together carry the same cosignatures.
func (l *Ledger) CoveringCheckpoint(ctx context.Context, size int64) (*Checkpoint, error) {
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
		if c.Size < size {
			break
		}
		_, cp, err := verify.OpenNote(c.Note, note.VerifierList(l.verifier))
		if err != nil || cp.Size != c.Size {
			continue // audit reports it
		}
		return &Checkpoint{Size: cp.Size, Root: cp.Root, Note: c.Note}, nil
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
		if _, _, err := verify.OpenNote(cos[n-1].Note, note.VerifierList(l.verifier)); err == nil {
			return &Checkpoint{Size: latest.Size, Root: latest.Root, Note: cos[n-1].Note}, nil
		}
	}
	return latest, nil
}
