package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/custodia-ec/custodia/ledger"
)

// scattered lists the indexes of the events table whose entries a large
// import inserts all over the index: events_item, keyed by item first, gets
// them in the order the file acts on its many items. events_case is keyed
// by one of a few cases, then seq, so its entries go to a few hot places at
// the end of each case's run, which is cheap to keep up to date.
const scattered = `'events_item'`

// DropEventIndexes drops the scattered secondary indexes of the events table
// inside the transaction, remembering their definitions for
// RestoreEventIndexes. Building such an index once at the end, from sorted
// entries, costs less than keeping it up to date row by row. It is all or
// nothing with the rest of the transaction: a rollback brings the indexes
// back untouched.
func (t *Tx) DropEventIndexes(ctx context.Context) error {
	if t.dropped != nil {
		return nil
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL AND name IN (`+scattered+`) ORDER BY name`)
	if err != nil {
		return fmt.Errorf("sqlite: indexes of events: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: indexes of events: %w", err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: indexes of events: %w", err)
	}
	for _, name := range names {
		if _, err := t.tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return fmt.Errorf("sqlite: drop index %s: %w", name, err)
		}
	}
	t.dropped = defs
	if t.dropped == nil {
		t.dropped = []string{}
	}
	return nil
}

// RestoreEventIndexes creates again, in the same transaction, the indexes
// DropEventIndexes dropped, from their stored definitions.
func (t *Tx) RestoreEventIndexes(ctx context.Context) error {
	for _, def := range t.dropped {
		if _, err := t.tx.ExecContext(ctx, def); err != nil {
			return fmt.Errorf("sqlite: rebuild index (%s): %w", def, err)
		}
	}
	t.dropped = nil
	return nil
}

// bulkRows is how many events one statement of AppendEventsBulk inserts.
const bulkRows = 64

// AppendEventsBulk is AppendEvents for an import's large batches: it inserts
// bulkRows events per statement, which spares most of the per-statement cost
// of database/sql and the driver. The rows and checks are the same.
func (t *Tx) AppendEventsBulk(ctx context.Context, events []ledger.StoredEvent) error {
	if t.bulkInsert == nil {
		q := `INSERT INTO events(seq, op, item, case_id, data, hashes) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?), ", bulkRows), ", ")
		st, err := t.tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		t.bulkInsert = st
		t.bulkArgs = make([]any, 0, 6*bulkRows)
	}
	if t.next < 0 {
		var n sql.NullInt64
		if err := t.tx.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&n); err != nil {
			return err
		}
		t.next = 0
		if n.Valid {
			t.next = n.Int64 + 1
		}
	}
	for len(events) >= bulkRows {
		args := t.bulkArgs[:0]
		for i, e := range events[:bulkRows] {
			if e.Seq != t.next+int64(i) {
				return fmt.Errorf("sqlite: event %d does not continue the log (next is %d)", e.Seq, t.next+int64(i))
			}
			args = append(args, e.Seq, e.Op, e.Item, e.Case, e.Data, e.Hashes)
		}
		if _, err := t.bulkInsert.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("sqlite: append events %d to %d: %w", events[0].Seq, events[bulkRows-1].Seq, err)
		}
		t.next += bulkRows
		events = events[bulkRows:]
	}
	if len(events) == 0 {
		return nil
	}
	return t.AppendEvents(ctx, events)
}
