package ledger

import (
	"context"
	"errors"

	"github.com/custodia-ec/custodia/domain"
)

// Store is the persistence the ledger needs. SQLite implements it (package
// sqlite), and PostgreSQL (package postgres), whose store several ledgers
// share (SharedStore). All SQL lives in those adapters.
//
// The log is a table of events indexed by seq from 0 with no gaps. Beside each
// event the store keeps the tlog stored hashes that appending it produced
// (tlog.StoredHashes: the leaf hash first, then one hash per completed
// subtree), concatenated, 32 bytes each. Stored hash index i lives in the
// event that completed it; see hashLocation.
type Store interface {
	// Size returns the number of events in the log: one more than the
	// last committed seq, 0 when empty. Uncommitted events do not count.
	Size(ctx context.Context) (int64, error)
	// Begin starts the one transaction in which events, their hashes, the
	// rows they change and a checkpoint are written together. Only one
	// transaction may be open at a time; the ledger serialises writers.
	// A store that several ledgers (servers) share serialises them
	// itself: its Begin waits for the log's lock, and its Tx is a
	// SharedTx.
	Begin(ctx context.Context) (Tx, error)
	// ScanEvents calls fn for each event with from <= seq, in seq order,
	// until fn returns an error (which ScanEvents returns). A from at or
	// past the end calls fn never and returns nil. Each event's Data and
	// Hashes are its own memory, which fn may keep: audit hands batches
	// of events to other goroutines while the scan goes on.
	ScanEvents(ctx context.Context, from int64, fn func(e StoredEvent) error) error
	// ReadEvents returns the events with the given seqs, in that order. A seq
	// that does not exist is an error wrapping ErrNotFound.
	ReadEvents(ctx context.Context, seqs []int64) ([]StoredEvent, error)
	// EventHashes returns the stored hashes of the events with the given
	// seqs, in that order (an error wrapping ErrNotFound for a missing seq).
	EventHashes(ctx context.Context, seqs []int64) ([][]byte, error)
	// ItemEvents returns the seqs of an item's history in order: the chain of
	// events that ends at last (the item's latest event) if that event's
	// Item column is item, each reached from the next by its Prev column
	// while that event's Item column is item. The chain's first seq is the
	// seizure; for a derived item it is its derivation (whose Item column is
	// the parent), and the chain is empty while the derivation is the
	// item's only event (the caller knows the item's origin).
	ItemEvents(ctx context.Context, item string, last int64) ([]int64, error)
	// CaseEvents returns the seqs of the events whose Case column is c, in
	// order: the chain that ends at last (the case's latest event), each
	// reached from the next by its CasePrev column.
	CaseEvents(ctx context.Context, c string, last int64) ([]int64, error)
	// Checkpoints returns every checkpoint ever signed and committed, by
	// size, with Root and Note exactly as added.
	Checkpoints(ctx context.Context) ([]Checkpoint, error)
	// PutCosigned stores a checkpoint note with witnesses' cosignatures for
	// size, replacing an earlier one for the same size (which can only have
	// fewer cosignatures: the ledger checks that the log-signed text is the
	// same).
	PutCosigned(ctx context.Context, size int64, note []byte) error
	// Cosigned returns every stored cosigned checkpoint, by size.
	Cosigned(ctx context.Context) ([]Checkpoint, error)
	// ScanRows calls fn for every row of a projection table, ordered by its
	// primary key, with values as string, int64 or nil.
	ScanRows(ctx context.Context, t domain.Table, fn func(domain.Row) error) error
	Close() error
}

// Tx is an open write transaction. Nothing it wrote is visible or durable
// until Commit returns nil; Rollback after a failure leaves the store as it
// was before Begin.
type Tx interface {
	// AppendEvents appends events whose seqs continue the log exactly (the
	// first is Size, or one past the last event this transaction appended)
	// and must return an error for any other seq: a gap or a seq already
	// used. It keeps no reference to the events' Data or Hashes once it
	// returns: the ledger reuses their memory.
	AppendEvents(ctx context.Context, events []StoredEvent) error
	// PutRows inserts or replaces rows of a projection table; a row with the
	// key of an existing one replaces it whole (nil columns included).
	PutRows(ctx context.Context, t domain.Table, rows []domain.Row) error
	// AddCheckpoint stores a signed checkpoint. A second checkpoint for the
	// same size must fail: the log never signs two roots for one size.
	AddCheckpoint(ctx context.Context, c Checkpoint) error
	// Commit makes everything the transaction wrote durable and visible at
	// once (SQLite syncs on commit; the interface has no separate Sync). A
	// nil error means durable. A non-nil error means the outcome is
	// unknown: a store cannot always tell a failed commit from one that
	// persisted before the failure was reported, so the caller re-reads
	// the store (the ledger reloads) rather than assume nothing was
	// written. storetest.RunFaults checks both cases.
	Commit() error
	// Rollback abandons the transaction: the store is as before Begin.
	// Rollback after Commit (or a second Rollback) returns nil.
	Rollback() error
}

// SharedTx is the transaction of a store that several ledgers, in several
// processes, may write at once (PostgreSQL's servers; SQLite's server and
// the command line beside it). Its Begin has taken the log's lock,
// which the transaction keeps until it ends, so no other writer can append
// meanwhile; LogSize is the log's size when the lock was taken, every event
// any ledger committed before included, and TipHashes the stored hashes of
// its last event (nil for an empty log). A ledger whose own size is smaller
// reads the events it did not write (ScanEvents) before it appends, so that
// its appends continue the log and are checked against its whole state; one
// whose last event is not the store's stops (the database lost or replaced
// committed events).
type SharedTx interface {
	Tx
	LogSize() int64
	TipHashes() []byte
}

// SharedStore is a store that several ledgers, in several processes, write
// at once (PostgreSQL): its Begin returns a SharedTx. The ledger signs the
// checkpoint of a transaction only after the transaction has committed,
// and stores it with PutCheckpoint, outside any transaction; Tx's
// AddCheckpoint is not used. So a ledger that dies between the two leaves a
// transaction without its checkpoint, which the next ledger to read that
// transaction signs (MissingCheckpoints): every ledger holds the same key
// and computes the same root, and Ed25519 signs the same note the same way.
type SharedStore interface {
	Store
	// PutCheckpoint stores c unless a checkpoint of c.Size is stored
	// already, and returns the one stored for that size: c, or the one
	// stored first. The ledger requires its root to be c's: two roots for
	// one size are a fork.
	PutCheckpoint(ctx context.Context, c Checkpoint) (Checkpoint, error)
	// MissingCheckpoints returns those of sizes that have no stored
	// checkpoint, in the order given.
	MissingCheckpoints(ctx context.Context, sizes []int64) ([]int64, error)
}

// StoredEvent is an event as stored: its canonical bytes, the stored hashes
// its append produced, and the columns the store indexes it by (derived from
// the event; audit checks them).
type StoredEvent struct {
	Seq  int64
	Item string // see domain.Applied.Item
	// Prev is the event's prev link for Item (custody.Event.Prev[Item]), the
	// item's previous event, or -1 when it has none.
	Prev int64
	Case string
	// CasePrev is the seq of the log's previous event whose Case is the
	// same, or -1 when there is none (or Case is "").
	CasePrev int64
	Data     []byte
	Hashes   []byte
}

// Checkpoint is a signed tree head. When it was signed is not stored beside
// it, where nothing would vouch for it: it is the recorded time of the
// events of the transaction it ends.
type Checkpoint struct {
	Size int64
	Root [32]byte
	Note []byte // the signed note, C2SP tlog-checkpoint
}

// ErrNotFound is wrapped by stores for missing events.
var ErrNotFound = errors.New("not found")
