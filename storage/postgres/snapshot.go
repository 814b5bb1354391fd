package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Snapshot is a read-only view of the database as it was at one moment,
// however many servers write meanwhile: audit reads the events, the
// checkpoints, every row and the sign-in secrets on several connections
// at once, and must see one state of them, not one per query. It holds a
// REPEATABLE READ transaction whose snapshot it exports
// (pg_export_snapshot), and every read runs in a transaction of its own
// that imports it, as pg_dump's parallel jobs do. Close releases it.
type Snapshot struct {
	s    *Store
	conn *pgxpool.Conn // holds the exporting transaction
	id   string
}

var _ ledger.Store = (*Snapshot)(nil)

// Snapshot takes a snapshot of the database at a moment when the log's
// newest transaction has its checkpoint stored: the ledger stores a
// checkpoint just after its transaction commits, so a snapshot taken in
// between would show a transaction without one, which audit reports. It
// tries again, a few milliseconds apart, up to wait.
func (s *Store) Snapshot(ctx context.Context, wait time.Duration) (*Snapshot, error) {
	deadline := time.Now().Add(wait)
	for {
		snap, settled, err := s.snapshot(ctx)
		if err != nil || settled || time.Now().After(deadline) {
			return snap, err
		}
		snap.Close()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// snapshot takes one snapshot and says whether the newest event is
// covered by a stored checkpoint in it.
func (s *Store) snapshot(ctx context.Context) (*Snapshot, bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: snapshot: %w", err)
	}
	snap := &Snapshot{s: s, conn: conn}
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(`SELECT pg_export_snapshot(), (SELECT coalesce(max(seq) + 1, 0) FROM events) = (SELECT coalesce(max(size), 0) FROM checkpoints)`)
	br := conn.SendBatch(ctx, b)
	var settled bool
	_, err = br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&snap.id, &settled)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		snap.Close()
		return nil, false, fmt.Errorf("postgres: snapshot: %w", err)
	}
	return snap, settled, nil
}

// Close ends the snapshot.
func (sn *Snapshot) Close() error {
	if sn.conn == nil {
		return nil
	}
	sn.conn.Exec(context.Background(), `COMMIT`)
	sn.conn.Release()
	sn.conn = nil
	return nil
}

// in runs fn in a read-only transaction that sees the snapshot.
func (sn *Snapshot) in(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, sn.s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+sn.id+`'`); err != nil {
			return fmt.Errorf("postgres: snapshot: %w", err)
		}
		return fn(tx)
	})
}

// view is the Store's reads inside a snapshot's transaction.
func (sn *Snapshot) view(tx pgx.Tx) *Store {
	return &Store{pool: nil, q: tx, cols: sn.s.cols}
}

// errReadOnly is returned by the writes of a Snapshot.
var errReadOnly = errors.New("postgres: a snapshot is read-only")

// Size is the log's size in the snapshot.
func (sn *Snapshot) Size(ctx context.Context) (n int64, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { n, err = sn.view(tx).Size(ctx); return err })
	return n, err
}

// Begin refuses: a snapshot is read-only.
func (sn *Snapshot) Begin(context.Context) (ledger.Tx, error) { return nil, errReadOnly }

// ScanEvents is Store.ScanEvents in the snapshot, one transaction per page.
func (sn *Snapshot) ScanEvents(ctx context.Context, from int64, fn func(ledger.StoredEvent) error) error {
	for {
		var next int64
		var full bool
		err := sn.in(ctx, func(tx pgx.Tx) (err error) {
			next, full, err = sn.view(tx).scanPage(ctx, from, fn)
			return err
		})
		if err != nil || !full {
			return err
		}
		from = next
	}
}

// ReadEvents is Store.ReadEvents in the snapshot.
func (sn *Snapshot) ReadEvents(ctx context.Context, seqs []int64) (out []ledger.StoredEvent, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { out, err = sn.view(tx).ReadEvents(ctx, seqs); return err })
	return out, err
}

// EventHashes is Store.EventHashes in the snapshot.
func (sn *Snapshot) EventHashes(ctx context.Context, seqs []int64) (out [][]byte, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { out, err = sn.view(tx).EventHashes(ctx, seqs); return err })
	return out, err
}

// ItemEvents is Store.ItemEvents in the snapshot.
func (sn *Snapshot) ItemEvents(ctx context.Context, item string, last int64) (out []int64, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { out, err = sn.view(tx).ItemEvents(ctx, item, last); return err })
	return out, err
}

// CaseEvents is Store.CaseEvents in the snapshot.
func (sn *Snapshot) CaseEvents(ctx context.Context, c string, last int64) (out []int64, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { out, err = sn.view(tx).CaseEvents(ctx, c, last); return err })
	return out, err
}

// Checkpoints is Store.Checkpoints in the snapshot.
func (sn *Snapshot) Checkpoints(ctx context.Context) (out []ledger.Checkpoint, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { out, err = sn.view(tx).Checkpoints(ctx); return err })
	return out, err
}

// PutCosigned refuses: a snapshot is read-only.
func (sn *Snapshot) PutCosigned(context.Context, int64, []byte) error { return errReadOnly }

// Cosigned is Store.Cosigned in the snapshot.
func (sn *Snapshot) Cosigned(ctx context.Context) (out []ledger.Checkpoint, err error) {
	err = sn.in(ctx, func(tx pgx.Tx) error { out, err = sn.view(tx).Cosigned(ctx); return err })
	return out, err
}

// ScanRows is Store.ScanRows in the snapshot.
func (sn *Snapshot) ScanRows(ctx context.Context, t domain.Table, fn func(domain.Row) error) error {
	return sn.in(ctx, func(tx pgx.Tx) error { return sn.view(tx).ScanRows(ctx, t, fn) })
}

// Credentials is the sign-in store as the snapshot saw it: audit's reads
// (AllCredentials, Tokens) see the snapshot; its writes refuse.
func (sn *Snapshot) Credentials() accounts.Store { return snapCreds{sn} }

type snapCreds struct{ sn *Snapshot }

func (c snapCreds) PutCredential(context.Context, accounts.Credential) error { return errReadOnly }
func (c snapCreds) AddToken(context.Context, accounts.Token) error           { return errReadOnly }
func (c snapCreds) RevokeToken(context.Context, string) error                { return errReadOnly }

func (c snapCreds) Credential(ctx context.Context, account string) (out accounts.Credential, err error) {
	err = c.sn.in(ctx, func(tx pgx.Tx) error { out, err = (&Credentials{q: tx}).Credential(ctx, account); return err })
	return out, err
}

func (c snapCreds) TokenByHash(ctx context.Context, hash [32]byte) (out accounts.Token, err error) {
	err = c.sn.in(ctx, func(tx pgx.Tx) error { out, err = (&Credentials{q: tx}).TokenByHash(ctx, hash); return err })
	return out, err
}

func (c snapCreds) Tokens(ctx context.Context, account string) (out []accounts.Token, err error) {
	err = c.sn.in(ctx, func(tx pgx.Tx) error { out, err = (&Credentials{q: tx}).Tokens(ctx, account); return err })
	return out, err
}

func (c snapCreds) AllCredentials(ctx context.Context) (out []accounts.Credential, err error) {
	err = c.sn.in(ctx, func(tx pgx.Tx) error { out, err = (&Credentials{q: tx}).AllCredentials(ctx); return err })
	return out, err
}
