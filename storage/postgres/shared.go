package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custodia-ec/custodia/ledger"
)

var _ ledger.SharedStore = (*Store)(nil)

// PutCheckpoint stores c unless a checkpoint of its size is stored, and
// returns the stored one: several servers may sign the same size (one
// that committed, and one that read its transaction before the first had
// stored its checkpoint), and the table keeps the first; the ledger checks
// that the roots agree.
func (s *Store) PutCheckpoint(ctx context.Context, c ledger.Checkpoint) (ledger.Checkpoint, error) {
	var got ledger.Checkpoint
	var root []byte
	err := s.pool.QueryRow(ctx, `WITH ins AS (
	INSERT INTO checkpoints(size, root, note) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING RETURNING size, root, note
)
SELECT size, root, note FROM ins
UNION ALL
SELECT size, root, note FROM checkpoints WHERE size = $1 AND NOT EXISTS (SELECT 1 FROM ins)`, c.Size, c.Root[:], c.Note).Scan(&got.Size, &root, &got.Note)
	if err != nil {
		return got, fmt.Errorf("postgres: checkpoint of size %d: %w", c.Size, err)
	}
	if len(root) != len(got.Root) {
		return got, fmt.Errorf("postgres: the stored checkpoint of size %d has a root of %d bytes", c.Size, len(root))
	}
	copy(got.Root[:], root)
	return got, nil
}

// MissingCheckpoints returns those of sizes that have no stored checkpoint.
func (s *Store) MissingCheckpoints(ctx context.Context, sizes []int64) ([]int64, error) {
	if len(sizes) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT n FROM unnest($1::bigint[]) WITH ORDINALITY AS u(n, i)
WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE size = u.n) ORDER BY i`, sizes)
	if err != nil {
		return nil, fmt.Errorf("postgres: checkpoints: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: checkpoints: %w", err)
	}
	return out, nil
}

// NotifyChannel is the PostgreSQL notification channel on which every
// commit that appended events announces the log's new size.
const NotifyChannel = "custodia_log"

// WatchLog calls changed whenever another transaction (of any server)
// commits events, until ctx ends; it then returns ctx's error. It listens
// on NotifyChannel on a connection of its own; when that connection fails
// (the database restarted, or failed over) it connects again, and calls
// changed once it has, since commits made meanwhile announced nothing to
// it. It also calls changed every poll (when positive), so that a
// notification lost in any way delays a server by poll at most. size is
// the log's size as announced (-1 after a reconnection or a poll).
func (s *Store) WatchLog(ctx context.Context, poll time.Duration, changed func(size int64)) error {
	backoff := 100 * time.Millisecond
	first := true
	for {
		err := s.listen(ctx, poll, changed, !first)
		first = false
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listen holds one listening connection until it fails.
func (s *Store) listen(ctx context.Context, poll time.Duration, changed func(int64), reconnected bool) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection is taken out of the pool and ends with the
	// listening: a LISTEN must not outlive it there.
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return err
	}
	if reconnected {
		changed(-1)
	}
	for {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if poll > 0 {
			wctx, cancel = context.WithTimeout(ctx, poll)
		}
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			size, perr := strconv.ParseInt(n.Payload, 10, 64)
			if perr != nil {
				size = -1
			}
			changed(size)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded) && poll > 0:
			changed(-1)
		default:
			return err
		}
	}
}
