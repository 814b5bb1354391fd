package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/custodia-ec/custodia/ledger"
)

// bulkRows is how many events one statement of AppendEventsBulk inserts.
const bulkRows = 64

// AppendEventsBulk is AppendEvents for an import's large batches: it inserts
// bulkRows events per statement, which spares most of the per-statement cost
// of database/sql and the driver. The rows and checks are the same.
func (t *Tx) AppendEventsBulk(ctx context.Context, events []ledger.StoredEvent) error {
	if t.bulkInsert == nil {
		q := `INSERT INTO events(seq, op, item, case_id, data, hashes, prev) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", bulkRows), ", ")
		st, err := t.tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		t.bulkInsert = st
		t.bulkArgs = make([]any, 0, 7*bulkRows)
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
			args = append(args, e.Seq, e.Op, e.Item, e.Case, e.Data, e.Hashes, prevArg(e.Prev))
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
