package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Begin starts a write transaction and takes the log's lock: it waits
// while another transaction, of this Store or of any other on the same
// database, holds it, and returns once the log is this transaction's to
// continue, with the log's size as committed by the last holder.
//
// The transaction's statements go to the server in as few round trips as
// they can, since the log's lock is held across them and every server
// waits for it: Begin sends BEGIN, the lock and the read of the log's tip
// together, and the small writes of a server's batch wait in a pipeline
// that Commit sends with the COMMIT (see queue).
func (s *Store) Begin(ctx context.Context) (ledger.Tx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: begin: %w", err)
	}
	t := &Tx{s: s, conn: conn}
	// The lock and the read of the tip are two statements, not one: in
	// READ COMMITTED each statement reads a snapshot taken when it
	// starts, so the tip must be read by a statement that starts after
	// the lock is held (in the pipeline, the second waits for the first).
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	b.Queue(`SELECT id FROM log_lock WHERE id = 1 FOR UPDATE`)
	b.Queue(`SELECT seq, hashes FROM events ORDER BY seq DESC LIMIT 1`)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		var one int
		err = br.QueryRow().Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			err = errLockRow
		}
	}
	if err == nil {
		last := int64(-1)
		err = br.QueryRow().Scan(&last, &t.tip)
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		}
		t.size = last + 1
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.end()
		return nil, fmt.Errorf("postgres: the log's lock: %w", err)
	}
	t.next = t.size
	return t, nil
}

// Tx is a write transaction holding the log's lock.
type Tx struct {
	s     *Store
	conn  *pgxpool.Conn // nil once the transaction has ended
	size  int64         // the log's size when the lock was taken
	tip   []byte        // the stored hashes of the log's last event then
	next  int64         // the next event's seq
	batch pgx.Batch     // statements waiting for the next round trip
	what  []string      // what each waiting statement writes, for errors
}

var _ ledger.SharedTx = (*Tx)(nil)

// pipelined is the largest write (events or rows) that waits in the
// pipeline; a larger one (an import's) goes at once, so that the server
// writes it while the ledger prepares the next.
const pipelined = 256

// queue adds a statement to the pipeline; what names it in errors.
func (t *Tx) queue(what, sql string, args ...any) {
	t.batch.Queue(sql, args...)
	t.what = append(t.what, what)
}

// flush sends the waiting statements, and then sql when it is not "", in
// one round trip, and returns the first error, named.
func (t *Tx) flush(ctx context.Context, what, sql string, args ...any) error {
	if t.conn == nil {
		return errors.New("postgres: the transaction has ended")
	}
	if sql != "" {
		t.queue(what, sql, args...)
	}
	if t.batch.Len() == 0 {
		return nil
	}
	b, names := &pgx.Batch{QueuedQueries: t.batch.QueuedQueries}, t.what
	t.batch, t.what = pgx.Batch{}, nil
	br := t.conn.SendBatch(ctx, b)
	var err error
	for _, w := range names {
		if _, e := br.Exec(); e != nil {
			err = fmt.Errorf("postgres: %s: %w", w, e)
			break
		}
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: %w", cerr)
	}
	if err != nil && sql != "COMMIT" {
		// The transaction is aborted: nothing more can succeed in it.
		// End it now, so that its connection and the log's lock are
		// not held until the caller rolls back.
		t.conn.Exec(context.Background(), `ROLLBACK`)
		t.end()
	}
	return err
}

// end returns the connection to the pool; one left inside a transaction
// (after a failure) is closed by the pool rather than reused.
func (t *Tx) end() {
	if t.conn != nil {
		t.conn.Release()
		t.conn = nil
	}
}

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
	wait := len(events) <= pipelined
	for i, e := range events {
		if e.Seq != t.next+int64(i) {
			return fmt.Errorf("postgres: event %d does not continue the log (next is %d)", e.Seq, t.next+int64(i))
		}
		seqs[i], items[i], cases[i], data[i], hashes[i], prevs[i], cprevs[i] = e.Seq, e.Item, e.Case, e.Data, e.Hashes, e.Prev, e.CasePrev
		if wait {
			// The ledger reuses the events' memory once this returns,
			// and the statement goes later: it keeps copies.
			data[i], hashes[i] = bytes.Clone(e.Data), bytes.Clone(e.Hashes)
		}
	}
	what := fmt.Sprintf("append events %d to %d", events[0].Seq, events[len(events)-1].Seq)
	if len(events) == 1 {
		what = fmt.Sprintf("append event %d", events[0].Seq)
	}
	if wait {
		t.queue(what, sqlAppend, seqs, items, cases, data, hashes, prevs, cprevs)
	} else if err := t.flush(ctx, what, sqlAppend, seqs, items, cases, data, hashes, prevs, cprevs); err != nil {
		// The driver encoded the arguments into its buffer before the
		// round trip ended, and data and hashes are dropped with this
		// frame: no reference to the events' bytes outlives the call.
		return err
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
	if len(rows) <= pipelined {
		t.queue(tab.Name, upsertSQL(tab, types), args...)
		return nil
	}
	return t.flush(ctx, tab.Name, upsertSQL(tab, types), args...)
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

// AddCheckpoint stores a signed checkpoint; a second one for a size fails,
// at once. (The ledger stores the checkpoints of a shared store after the
// commit, with Store.PutCheckpoint.)
func (t *Tx) AddCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	return t.flush(ctx, fmt.Sprintf("checkpoint of size %d (the log never signs two roots for one size)", c.Size),
		`INSERT INTO checkpoints(size, root, note) VALUES ($1, $2, $3)`, c.Size, c.Root[:], c.Note)
}

// Commit commits the transaction; PostgreSQL has made it durable when it
// answers (with synchronous_commit on, its default, and on the synchronous
// standbys the server names), and the log's lock passes to the next
// writer. The writes waiting in the pipeline go with the COMMIT, in one
// round trip; an error in any of them rolls the whole transaction back. A
// transaction that appended events announces the log's new size on the
// channel NotifyChannel, which PostgreSQL delivers to listeners
// (WatchLog) only once the commit is done.
func (t *Tx) Commit() error {
	ctx := context.Background()
	if t.next > t.size {
		t.queue("notify", `SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(t.next, 10))
	}
	err := t.flush(ctx, "commit", `COMMIT`)
	if err != nil && t.conn != nil && t.conn.Conn().PgConn().TxStatus() != 'I' {
		// A statement before the COMMIT failed: the server skipped the
		// rest, and the transaction is still open, aborted.
		t.conn.Exec(ctx, `ROLLBACK`)
	}
	t.end()
	return err
}

// Rollback abandons the transaction and releases the log's lock.
// Rollback after Commit (or a second Rollback) returns nil.
func (t *Tx) Rollback() error {
	if t.conn == nil {
		return nil
	}
	_, err := t.conn.Exec(context.Background(), `ROLLBACK`)
	t.end()
	if err != nil {
		return fmt.Errorf("postgres: rollback: %w", err)
	}
	return nil
}
