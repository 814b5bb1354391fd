package deployment

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/custodia-ec/custodia/internal/durable"
)

// HeldFile is the newest checkpoint the log signed, kept beside the
// database rather than in it: a database restored from a backup, or
// written behind the system's back, no longer matches it (see
// ledger.Ledger.CheckHeld). It is only ever replaced by a later checkpoint
// of the same history.
const HeldFile = "checkpoint.held"

// CheckHeld compares the log with the checkpoint held in HeldFile, after
// reading what other servers sharing the database committed; with no
// file yet (a new deployment, or one from before the file existed) there
// is nothing to compare and it returns nil.
func (d *Deployment) CheckHeld(ctx context.Context) error {
	// On a database other servers write, the held checkpoint may be
	// newer than what this one has read.
	if err := d.Ledger.Refresh(ctx); err != nil {
		return err
	}
	held, err := os.ReadFile(filepath.Join(d.Dir, HeldFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return d.Ledger.CheckHeld(ctx, held)
}

// Hold writes the log's newest checkpoint to HeldFile, durably, after
// checking that the log still matches the one held: a log that does not is
// never allowed to replace the evidence of what it signed before.
func (d *Deployment) Hold(ctx context.Context) error {
	if err := d.CheckHeld(ctx); err != nil {
		return err
	}
	cp, err := d.Ledger.LatestCheckpoint(ctx)
	if err != nil {
		return nil // an empty log: nothing to hold
	}
	return durable.WriteFile(filepath.Join(d.Dir, HeldFile), cp.Note, 0o644)
}

// Follow keeps the ledger up with what the other servers sharing its
// database commit, until ctx ends: it refreshes the ledger (and so its
// observer, the live boards) whenever the database announces a commit
// beyond what the ledger holds, and every poll in case an announcement was
// lost. On SQLite, which announces nothing, it looks every poll for what
// the command line wrote beside the server. A store that can do neither
// returns nil at once. onError, when not nil, hears of each failed
// refresh; the next announcement or poll tries again.
func (d *Deployment) Follow(ctx context.Context, poll time.Duration, onError func(error)) error {
	w, ok := d.Store.(interface {
		WatchLog(ctx context.Context, poll time.Duration, changed func(size int64)) error
	})
	if !ok {
		return nil
	}
	return w.WatchLog(ctx, poll, func(size int64) {
		if size >= 0 && size <= d.Ledger.Size() {
			return // this server's own commit, or one it has read
		}
		if err := d.Ledger.Refresh(ctx); err != nil && onError != nil && ctx.Err() == nil {
			onError(err)
		}
	})
}
