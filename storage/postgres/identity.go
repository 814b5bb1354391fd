package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/custodia-ec/custodia/domain"
)

// ErrNoIdentity is returned by Identity for a database that no deployment
// has claimed yet (Claim).
var ErrNoIdentity = errors.New("postgres: the database holds no log yet (custodia init --db or custodia migrate --to claims it)")

// Identity returns the origin and public key of the log this database
// holds, as Claim wrote them.
func (s *Store) Identity(ctx context.Context) (origin, publicKey string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT origin, public_key FROM log_identity WHERE id = 1`).Scan(&origin, &publicKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", ErrNoIdentity
	}
	if err != nil {
		return "", "", fmt.Errorf("postgres: log_identity: %w", err)
	}
	return origin, publicKey, nil
}

// ErrClaimed is returned by Claim when the database already holds a log or
// any of a log's rows.
var ErrClaimed = errors.New("postgres: the database is not empty")

// Claim makes a new, empty database the home of the log with this origin
// and public key, once: it fails with ErrClaimed when the database was
// claimed already (by this log or another) or holds any event, checkpoint,
// projection row or credential, so that a log is never created over
// another's history. It runs under the log's lock.
func (s *Store) Claim(ctx context.Context, origin, publicKey string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT id FROM log_lock WHERE id = 1 FOR UPDATE`); err != nil {
			return fmt.Errorf("postgres: the log's lock: %w", err)
		}
		var o string
		err := tx.QueryRow(ctx, `SELECT origin FROM log_identity WHERE id = 1`).Scan(&o)
		if err == nil {
			return fmt.Errorf("%w: it holds the log %q", ErrClaimed, o)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: log_identity: %w", err)
		}
		if t, err := s.firstNonEmpty(ctx, tx); err != nil {
			return err
		} else if t != "" {
			return fmt.Errorf("%w: table %s has rows", ErrClaimed, t)
		}
		_, err = tx.Exec(ctx, `INSERT INTO log_identity(id, origin, public_key) VALUES (1, $1, $2)`, origin, publicKey)
		if err != nil {
			return fmt.Errorf("postgres: log_identity: %w", err)
		}
		return nil
	})
}

// dataTables are the tables that hold a log's data (not the schema's
// bookkeeping): a database with a row in any of them is not empty.
func (s *Store) dataTables() []string {
	out := []string{"events", "checkpoints", "cosigned", "credentials", "api_tokens"}
	for _, t := range domain.Tables {
		out = append(out, t.Name)
	}
	return out
}

// firstNonEmpty names a data table that has a row, or "".
func (s *Store) firstNonEmpty(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (string, error) {
	for _, t := range s.dataTables() {
		var one bool
		err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&one)
		if err != nil {
			return "", fmt.Errorf("postgres: %s: %w", t, err)
		}
		if one {
			return t, nil
		}
	}
	return "", nil
}
