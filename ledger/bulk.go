package ledger

import "context"

// bulkAppender is a Tx with a faster way to append an import's large
// batches of events, with the same contract as AppendEvents.
type bulkAppender interface {
	AppendEventsBulk(ctx context.Context, events []StoredEvent) error
}
