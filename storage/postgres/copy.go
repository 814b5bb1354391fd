package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// CopyCounts says what CopyLog copied.
type CopyCounts struct {
	Events      int64 `json:"events"`
	Checkpoints int64 `json:"checkpoints"`
	Cosigned    int64 `json:"cosigned"`
	Rows        int64 `json:"rows"`
	Credentials int64 `json:"credentials"`
	Tokens      int64 `json:"tokens"`
}

// CopyLog copies a whole log, verbatim, from another store into this
// database, which must hold nothing yet but its identity (Claim): every
// event with its stored hashes and index columns, every checkpoint and
// cosigned checkpoint, every projection row, and the sign-in secrets of
// creds. It is how custodia migrate moves a SQLite deployment here. It
// copies nothing it does not read from src: checking the copy is audit's
// work (custodia migrate runs it on the copy). It runs in one transaction
// holding the log's lock, with COPY, so that a failure leaves the
// database as it was; progress, when not nil, hears how many events are
// copied so far.
func (s *Store) CopyLog(ctx context.Context, src ledger.Store, creds accounts.Store, progress func(events int64)) (CopyCounts, error) {
	var n CopyCounts
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT id FROM log_lock WHERE id = 1 FOR UPDATE`); err != nil {
			return fmt.Errorf("postgres: the log's lock: %w", err)
		}
		if t, err := s.firstNonEmpty(ctx, tx); err != nil {
			return err
		} else if t != "" {
			return fmt.Errorf("%w: table %s has rows", ErrClaimed, t)
		}
		var err error
		if n.Events, err = copyEvents(ctx, tx, src, progress); err != nil {
			return err
		}
		cps, err := src.Checkpoints(ctx)
		if err != nil {
			return err
		}
		if n.Checkpoints, err = tx.CopyFrom(ctx, pgx.Identifier{"checkpoints"}, []string{"size", "root", "note"},
			pgx.CopyFromSlice(len(cps), func(i int) ([]any, error) { return []any{cps[i].Size, cps[i].Root[:], cps[i].Note}, nil })); err != nil {
			return fmt.Errorf("postgres: copying checkpoints: %w", err)
		}
		cos, err := src.Cosigned(ctx)
		if err != nil {
			return err
		}
		if n.Cosigned, err = tx.CopyFrom(ctx, pgx.Identifier{"cosigned"}, []string{"size", "note"},
			pgx.CopyFromSlice(len(cos), func(i int) ([]any, error) { return []any{cos[i].Size, cos[i].Note}, nil })); err != nil {
			return fmt.Errorf("postgres: copying cosigned checkpoints: %w", err)
		}
		for _, t := range domain.Tables {
			c, err := copyStream(ctx, tx, t.Name, t.Columns, func(emit func([]any) error) error {
				return src.ScanRows(ctx, t, func(r domain.Row) error { return emit([]any(r)) })
			})
			if err != nil {
				return err
			}
			n.Rows += c
		}
		all, err := creds.AllCredentials(ctx)
		if err != nil {
			return err
		}
		if n.Credentials, err = tx.CopyFrom(ctx, pgx.Identifier{"credentials"}, []string{"account", "password_hash", "totp_secret", "updated_at"},
			pgx.CopyFromSlice(len(all), func(i int) ([]any, error) {
				c := all[i]
				return []any{c.Account, c.PasswordHash, c.TOTPSecret, c.UpdatedAt}, nil
			})); err != nil {
			return fmt.Errorf("postgres: copying credentials: %w", err)
		}
		toks, err := creds.Tokens(ctx, "")
		if err != nil {
			return err
		}
		if n.Tokens, err = tx.CopyFrom(ctx, pgx.Identifier{"api_tokens"}, []string{"id", "hash", "account", "scope", "cases", "expires_at", "revoked", "created_at"},
			pgx.CopyFromSlice(len(toks), func(i int) ([]any, error) {
				t := toks[i]
				cases, err := json.Marshal(append([]string{}, t.Cases...))
				return []any{t.ID, t.Hash[:], t.Account, t.Scope, string(cases), t.ExpiresAt.UTC().Format(time.RFC3339Nano), t.Revoked, t.CreatedAt.UTC().Format(time.RFC3339Nano)}, err
			})); err != nil {
			return fmt.Errorf("postgres: copying API tokens: %w", err)
		}
		return nil
	})
	return n, err
}

// copyEvents streams src's events into the events table.
func copyEvents(ctx context.Context, tx pgx.Tx, src ledger.Store, progress func(int64)) (int64, error) {
	var next int64
	return copyStream(ctx, tx, "events", []string{"seq", "item", "case_id", "data", "hashes", "prev", "case_prev"}, func(emit func([]any) error) error {
		return src.ScanEvents(ctx, 0, func(e ledger.StoredEvent) error {
			if e.Seq != next {
				return fmt.Errorf("postgres: the source log has event %d where %d belongs: audit it before moving it", e.Seq, next)
			}
			next++
			if progress != nil && next%65536 == 0 {
				progress(next)
			}
			return emit([]any{e.Seq, e.Item, e.Case, e.Data, e.Hashes, link(e.Prev), link(e.CasePrev)})
		})
	})
}

// link is a prev or case_prev column: NULL for no link (-1).
func link(p int64) any {
	if p == -1 {
		return nil
	}
	return p
}

// copyStream COPYs into table the rows that scan emits, as scan produces
// them: the scan runs on its own goroutine and hands rows over one by one,
// so that neither side holds the whole table.
func copyStream(ctx context.Context, tx pgx.Tx, table string, cols []string, scan func(emit func([]any) error) error) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows := make(chan []any, 1024)
	scanErr := make(chan error, 1)
	go func() {
		defer close(rows)
		scanErr <- scan(func(r []any) error {
			select {
			case rows <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-rows
		if !ok {
			return nil, nil
		}
		return r, nil
	}))
	cancel() // a failed COPY stops the scan
	for range rows {
	}
	if serr := <-scanErr; serr != nil && !errors.Is(serr, context.Canceled) {
		return n, serr
	}
	if err != nil {
		return n, fmt.Errorf("postgres: copying %s: %w", table, err)
	}
	return n, nil
}
