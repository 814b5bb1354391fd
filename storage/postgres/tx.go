package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Begin starts a write transaction and takes the log's lock: it waits
// while another transaction, of this Store or of any other on the same
// database, holds it, and returns once the log is this transaction's to
// continue, with the log's size as committed by the last holder.
func (s *Store) Begin(ctx context.Context) (ledger.Tx, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	t := &Tx{s: s, tx: tx}
	// Two statements, not one: in READ COMMITTED each statement reads a
	// snapshot taken when it starts, so the size must be read by a
	// statement that starts after the lock is held.
	var one int
	err = tx.QueryRow(ctx, `SELECT id FROM log_lock WHERE id = 1 FOR UPDATE`).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		err = errLockRow
	}
	if err == nil {
		// The size and the newest event's hashes in one statement.
		var last int64
		err = tx.QueryRow(ctx, `SELECT seq, hashes FROM events ORDER BY seq DESC LIMIT 1`).Scan(&last, &t.tip)
		if errors.Is(err, pgx.ErrNoRows) {
			last, err = -1, nil
		}
		t.size = last + 1
	}
	if err != nil {
		tx.Rollback(context.Background())
		return nil, fmt.Errorf("postgres: the log's lock: %w", err)
	}
	t.next = t.size
	return t, nil
}

// Tx is a write transaction holding the log's lock.
type Tx struct {
	s    *Store
	tx   pgx.Tx
	size int64  // the log's size when the lock was taken
	tip  []byte // the stored hashes of the log's last event then
	next int64  // the next event's seq
}

var _ ledger.SharedTx = (*Tx)(nil)

// LogSize is the size of the log when Begin took its lock: every event
// committed before, by any server. No other transaction can add to it
// until this one ends.
func (t *Tx) LogSize() int64 { return t.size }

// TipHashes are the stored hashes of the log's last event when Begin took
// its lock (nil for an empty log).
func (t *Tx) TipHashes() []byte { return t.tip }

// sqlAppend inserts a batch of events from one array per column, in one
// statement: the same statement for any number of events, prepared once per
// connection. prev and case_prev are NULL where the ledger says -1.
const sqlAppend = `INSERT INTO events(seq, item, case_id, data, hashes, prev, case_prev)
SELECT s, i, c, d, h, CASE WHEN p < 0 THEN NULL ELSE p END, CASE WHEN cp < 0 THEN NULL ELSE cp END
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::bigint[], $7::bigint[]) AS u(s, i, c, d, h, p, cp)`

// AppendEvents appends events whose seqs continue the log.
func (t *Tx) AppendEvents(ctx context.Context, events []ledger.StoredEvent) error {
	if len(events) == 0 {
		return nil
	}
	var (
		seqs   = make([]int64, len(events))
		items  = make([]string, len(events))
		cases  = make([]string, len(events))
		data   = make([][]byte, len(events))
		hashes = make([][]byte, len(events))
		prevs  = make([]int64, len(events))
		cprevs = make([]int64, len(events))
	)
	for i, e := range events {
		if e.Seq != t.next+int64(i) {
			return fmt.Errorf("postgres: event %d does not continue the log (next is %d)", e.Seq, t.next+int64(i))
		}
		seqs[i], items[i], cases[i], data[i], hashes[i], prevs[i], cprevs[i] = e.Seq, e.Item, e.Case, e.Data, e.Hashes, e.Prev, e.CasePrev
	}
	// The driver encodes the arguments into its buffer before Exec
	// returns, and data and hashes are dropped with this frame: no
	// reference to the events' bytes outlives the call.
	if _, err := t.tx.Exec(ctx, sqlAppend, seqs, items, cases, data, hashes, prevs, cprevs); err != nil {
		if len(events) == 1 {
			return fmt.Errorf("postgres: append event %d: %w", events[0].Seq, err)
		}
		return fmt.Errorf("postgres: append events %d to %d: %w", events[0].Seq, events[len(events)-1].Seq, err)
	}
	t.next += int64(len(events))
	return nil
}

// upsertSQL inserts a table's rows from one array per column, replacing
// whole the row of an existing key (nil columns included).
func upsertSQL(tab domain.Table, types []string) string {
	var cast, set []string
	for i, c := range tab.Columns {
		cast = append(cast, fmt.Sprintf("$%d::%s[]", i+1, types[i]))
		if i >= tab.Keys {
			set = append(set, c+" = excluded."+c)
		}
	}
	return fmt.Sprintf(`INSERT INTO %s (%s) SELECT * FROM unnest(%s) ON CONFLICT (%s) DO UPDATE SET %s`,
		tab.Name, strings.Join(tab.Columns, ", "), strings.Join(cast, ", "), strings.Join(tab.Columns[:tab.Keys], ", "), strings.Join(set, ", "))
}

// PutRows inserts or replaces projection rows, in one statement. Of rows
// with the same key the last wins, as if each replaced the one before (one
// INSERT ... ON CONFLICT cannot touch a row twice).
func (t *Tx) PutRows(ctx context.Context, tab domain.Table, rows []domain.Row) error {
	types, ok := t.s.cols[tab.Name]
	if !ok {
		return fmt.Errorf("postgres: %s is not a projection table", tab.Name)
	}
	for _, r := range rows {
		if len(r) != len(tab.Columns) {
			return fmt.Errorf("postgres: %s: a row of %d values for %d columns", tab.Name, len(r), len(tab.Columns))
		}
	}
	rows = lastByKey(rows, tab.Keys)
	args := make([]any, len(tab.Columns))
	for c, typ := range types {
		switch typ {
		case "text":
			col := make([]pgtype.Text, len(rows))
			for i, r := range rows {
				switch v := r[c].(type) {
				case nil:
				case string:
					col[i] = pgtype.Text{String: v, Valid: true}
				default:
					return fmt.Errorf("postgres: %s.%s: %T value %v where text belongs", tab.Name, tab.Columns[c], v, v)
				}
			}
			args[c] = col
		default: // bigint
			col := make([]pgtype.Int8, len(rows))
			for i, r := range rows {
				switch v := r[c].(type) {
				case nil:
				case int64:
					col[i] = pgtype.Int8{Int64: v, Valid: true}
				default:
					return fmt.Errorf("postgres: %s.%s: %T value %v where an integer belongs", tab.Name, tab.Columns[c], v, v)
				}
			}
			args[c] = col
		}
	}
	if _, err := t.tx.Exec(ctx, upsertSQL(tab, types), args...); err != nil {
		return fmt.Errorf("postgres: %s: %w", tab.Name, err)
	}
	return nil
}

// lastByKey drops every row whose key a later row repeats.
func lastByKey(rows []domain.Row, keys int) []domain.Row {
	if len(rows) < 2 {
		return rows
	}
	k := func(r domain.Row) string {
		var b strings.Builder
		for _, v := range r[:keys] {
			s := fmt.Sprint(v)
			fmt.Fprintf(&b, "%T:%d:%s;", v, len(s), s)
		}
		return b.String()
	}
	last := make(map[string]int, len(rows))
	for i, r := range rows {
		last[k(r)] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]domain.Row, 0, len(last))
	for i, r := range rows {
		if last[k(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// AddCheckpoint stores a signed checkpoint; a second one for a size fails.
func (t *Tx) AddCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO checkpoints(size, root, note) VALUES ($1, $2, $3)`, c.Size, c.Root[:], c.Note); err != nil {
		return fmt.Errorf("postgres: checkpoint of size %d (the log never signs two roots for one size): %w", c.Size, err)
	}
	return nil
}

// Commit commits the transaction; PostgreSQL has made it durable when it
// answers (with synchronous_commit on, its default, and on the synchronous
// standbys the server names), and the log's lock passes to the next
// writer. A transaction that appended events announces the log's new size
// on the channel NotifyChannel, which PostgreSQL delivers to listeners
// (WatchLog) only once the commit is done.
func (t *Tx) Commit() error {
	ctx := context.Background()
	if t.next > t.size {
		if _, err := t.tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(t.next, 10)); err != nil {
			t.tx.Rollback(ctx)
			return fmt.Errorf("postgres: notify: %w", err)
		}
	}
	if err := t.tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Rollback abandons the transaction and releases the log's lock.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback(context.Background())
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}
