package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/custodia-ec/custodia/ledger"
)

// insertRows are how many events one INSERT statement of AppendEvents
// takes, largest first. A batch goes in as few statements as these sizes
// make up: an import's batches of 2,048 events in 32 statements, a server
// commit of 30 transfers in 6 (16, 4, 4, 4, 1, 1). Each statement spares
// the per-statement cost of database/sql and the driver for the rows it
// adds; each size is prepared once per store.
var insertRows = [...]int{64, 16, 4, 1}

// insertSQL inserts rows events.
func insertSQL(rows int) string {
	return `INSERT INTO events(seq, item, case_id, data, hashes, prev, case_prev) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
}

// AppendEvents appends events whose seqs continue the log.
func (t *Tx) AppendEvents(ctx context.Context, events []ledger.StoredEvent) error {
	for len(events) > 0 {
		size := 0 // the largest statement the events fill; insertRows ends in 1
		for insertRows[size] > len(events) {
			size++
		}
		k := insertRows[size]
		st, err := t.insertStmt(ctx, size)
		if err != nil {
			return err
		}
		args := t.args[:0]
		for i, e := range events[:k] {
			if e.Seq != t.next+int64(i) {
				return fmt.Errorf("sqlite: event %d does not continue the log (next is %d)", e.Seq, t.next+int64(i))
			}
			args = append(args, e.Seq, e.Item, e.Case, e.Data, e.Hashes, prevArg(e.Prev), prevArg(e.CasePrev))
		}
		t.args = args
		if _, err := st.ExecContext(ctx, args...); err != nil {
			if k == 1 {
				return fmt.Errorf("sqlite: append event %d: %w", events[0].Seq, err)
			}
			return fmt.Errorf("sqlite: append events %d to %d: %w", events[0].Seq, events[k-1].Seq, err)
		}
		clear(args) // no reference to the events' bytes outlives the call
		t.next += int64(k)
		events = events[k:]
	}
	return nil
}

// insertStmt returns the transaction's statement that inserts
// insertRows[size] events, preparing it on its first use.
func (t *Tx) insertStmt(ctx context.Context, size int) (*sql.Stmt, error) {
	if t.insert[size] == nil {
		rows := insertRows[size]
		st, err := t.s.stmts.stmt(ctx, t.s.db, t.tx, fmt.Sprintf("insert %d events", rows), func() string { return insertSQL(rows) })
		if err != nil {
			return nil, err
		}
		t.insert[size] = st
	}
	return t.insert[size], nil
}
