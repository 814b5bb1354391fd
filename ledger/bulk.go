package ledger

import "context"

// indexDeferrer is a Tx that can leave the log's scattered secondary
// indexes (events by item) out of a large import and build them once at its
// end, from sorted entries, instead of row by row in item order. Both happen in
// the transaction, so the import stays all or nothing. package sqlite's Tx
// is one; a Tx that is not is simply written row by row.
type indexDeferrer interface {
	// DropEventIndexes drops the scattered indexes of the events table.
	DropEventIndexes(ctx context.Context) error
	// RestoreEventIndexes builds again the indexes DropEventIndexes dropped;
	// the transaction cannot commit before it has.
	RestoreEventIndexes(ctx context.Context) error
}

// bulkIndexMin is how many events an import appends before it may defer
// the indexes: below it the indexes are cheap to keep up to date.
const bulkIndexMin = 4096

// deferIndexes says whether an import that has appended added events to a
// log of start events should defer the indexes: once it has added more
// than the log held, rebuilding them whole costs less than the inserts
// still to come.
func deferIndexes(start int64, added int) bool {
	return added >= bulkIndexMin && int64(added) > start
}

// bulkAppender is a Tx with a faster way to append an import's large
// batches of events, with the same contract as AppendEvents.
type bulkAppender interface {
	AppendEventsBulk(ctx context.Context, events []StoredEvent) error
}
