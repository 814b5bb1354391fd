package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// CheckHeld compares the log with a checkpoint it signed that is held
// outside its database (a file beside it, a witness's copy, a court's):
// the log must be at least that large, and its tree at that size must have
// that root. A database restored from an earlier backup fails the first
// test (a rollback); one restored and then written to, or edited, fails
// the second (a fork: two roots signed for one size). Either is returned
// as a custody.ETampered error naming the held checkpoint's size; a held
// note that does not verify with the log's key is an EInvalid error, and
// proves nothing.
func (l *Ledger) CheckHeld(ctx context.Context, held []byte) error {
	return checkHeld(ctx, l.verifier, l.origin, l.Size(), l.HashReader(ctx), held)
}

// CheckHeldStore is CheckHeld on a store without a loaded ledger (for
// audit): have is the number of events the store holds.
func CheckHeldStore(ctx context.Context, st Store, v note.Verifier, origin string, have int64, held []byte) error {
	hr := storeHashReader{ctx: ctx, read: func(ctx context.Context, indexes []int64) ([]byte, error) {
		seqs := make([]int64, len(indexes))
		for i, x := range indexes {
			seqs[i], _ = hashLocation(x)
		}
		hs, err := st.EventHashes(ctx, seqs)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 32*len(indexes))
		for i, x := range indexes {
			seq, pos := hashLocation(x)
			if len(hs[i]) < 32*(pos+1) {
				return nil, fmt.Errorf("event %d holds no hash at level %d", seq, pos)
			}
			copy(out[32*i:], hs[i][32*pos:32*(pos+1)])
		}
		return out, nil
	}}
	return checkHeld(ctx, v, origin, have, hr, held)
}

func checkHeld(ctx context.Context, v note.Verifier, origin string, have int64, hr tlog.HashReader, held []byte) error {
	_, c, err := verify.OpenNote(held, note.VerifierList(v))
	var bad *verify.Error
	switch {
	case errors.As(err, &bad):
		return custody.Errorf(custody.EInvalid, "checkpoint", "el punto de control conservado está mal formado: %[1]s", "the held checkpoint is malformed: %[2]s", bad.Message, bad.MessageEN)
	case err != nil:
		e := custody.Errorf(custody.EInvalid, "checkpoint", "el punto de control conservado no está firmado con la clave de este registro", "the held checkpoint is not signed with this log's key")
		e.MessageEN += ": " + err.Error() // the library's words are English only
		return e
	case c.Origin != origin:
		return custody.Errorf(custody.EInvalid, "checkpoint", "el punto de control conservado no es de este registro", "the held checkpoint is not of this log")
	}
	size, root := c.Size, c.Root
	if size > have {
		return custody.Errorf(custody.ETampered, "checkpoint",
			"el registro tiene %d eventos, pero firmó un punto de control de %d: la base de datos fue restaurada a un punto anterior (reversión)",
			"the log has %d events, but it signed a checkpoint of %d: the database was restored to an earlier point (rollback)", have, size)
	}
	got, err := tlog.TreeHash(size, hr)
	if err != nil {
		return err
	}
	if !bytes.Equal(got[:], root[:]) {
		return custody.Errorf(custody.ETampered, "checkpoint",
			"el árbol de tamaño %d no tiene la raíz del punto de control firmado y conservado: el registro se bifurcó (dos raíces para un tamaño)",
			"the tree of size %d does not have the root of the signed checkpoint held: the log forked (two roots for one size)", size)
	}
	return nil
}
