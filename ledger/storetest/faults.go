package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// ErrInjected is the error Faulty returns for the call it fails.
var ErrInjected = errors.New("storetest: injected fault")

// Faulty wraps a store and fails the Nth call (from 1) of one Tx method:
// "AppendEvents", "PutRows", "AddCheckpoint", "Commit", or "CommitPersisted"
// (Commit commits the inner transaction, then reports failure: the
// "failed but persisted" fault). ledger.Store has no Sync: a store's Commit
// is its sync (SQLite commits with fsync), so failing Commit covers it.
type Faulty struct {
	ledger.Store
	mu    sync.Mutex
	Op    string
	N     int
	calls int
	Fired bool           // whether the fault was injected
	Calls map[string]int // every call by method, faulty or not
}

func (f *Faulty) hit(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Calls == nil {
		f.Calls = map[string]int{}
	}
	f.Calls[op]++
	if op != f.Op || f.Fired {
		return false
	}
	f.calls++
	if f.calls == f.N {
		f.Fired = true
		return true
	}
	return false
}

// Begin wraps the inner transaction (keeping it a ledger.SharedTx when it
// is one).
func (f *Faulty) Begin(ctx context.Context) (ledger.Tx, error) {
	tx, err := f.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if stx, ok := tx.(ledger.SharedTx); ok {
		return &faultySharedTx{faultyTx{Tx: tx, f: f}, stx}, nil
	}
	return &faultyTx{Tx: tx, f: f}, nil
}

type faultyTx struct {
	ledger.Tx
	f *Faulty
}

type faultySharedTx struct {
	faultyTx
	inner ledger.SharedTx
}

func (t *faultySharedTx) LogSize() int64    { return t.inner.LogSize() }
func (t *faultySharedTx) TipHashes() []byte { return t.inner.TipHashes() }

// FaultyShared is Faulty over a ledger.SharedStore, and one itself: it
// also fails the Nth call of "PutCheckpoint", or of
// "PutCheckpointPersisted" (the checkpoint is stored, then failure
// reported).
type FaultyShared struct{ *Faulty }

var _ ledger.SharedStore = FaultyShared{}

// PutCheckpoint is the inner store's, or the injected fault.
func (f FaultyShared) PutCheckpoint(ctx context.Context, c ledger.Checkpoint) (ledger.Checkpoint, error) {
	if f.Op == "PutCheckpoint" && f.hit("PutCheckpoint") {
		return ledger.Checkpoint{}, fmt.Errorf("PutCheckpoint: %w", ErrInjected)
	}
	if f.hit("PutCheckpointPersisted") {
		if _, err := f.Store.(ledger.SharedStore).PutCheckpoint(ctx, c); err != nil {
			return ledger.Checkpoint{}, err
		}
		return ledger.Checkpoint{}, fmt.Errorf("PutCheckpoint (persisted): %w", ErrInjected)
	}
	return f.Store.(ledger.SharedStore).PutCheckpoint(ctx, c)
}

// MissingCheckpoints is the inner store's.
func (f FaultyShared) MissingCheckpoints(ctx context.Context, sizes []int64) ([]int64, error) {
	return f.Store.(ledger.SharedStore).MissingCheckpoints(ctx, sizes)
}

// wrap returns f as the ledger should see it: a shared store when the inner
// one is.
func (f *Faulty) wrap() ledger.Store {
	if _, ok := f.Store.(ledger.SharedStore); ok {
		return FaultyShared{f}
	}
	return f
}

func (t *faultyTx) AppendEvents(ctx context.Context, evs []ledger.StoredEvent) error {
	if t.f.hit("AppendEvents") {
		return fmt.Errorf("AppendEvents: %w", ErrInjected)
	}
	return t.Tx.AppendEvents(ctx, evs)
}

func (t *faultyTx) PutRows(ctx context.Context, tab domain.Table, rows []domain.Row) error {
	if t.f.hit("PutRows") {
		return fmt.Errorf("PutRows: %w", ErrInjected)
	}
	return t.Tx.PutRows(ctx, tab, rows)
}

func (t *faultyTx) AddCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	if t.f.hit("AddCheckpoint") {
		return fmt.Errorf("AddCheckpoint: %w", ErrInjected)
	}
	return t.Tx.AddCheckpoint(ctx, c)
}

func (t *faultyTx) Commit() error {
	if t.f.Op == "Commit" && t.f.hit("Commit") {
		return fmt.Errorf("Commit: %w", ErrInjected)
	}
	if t.f.hit("CommitPersisted") {
		if err := t.Tx.Commit(); err != nil {
			return err
		}
		return fmt.Errorf("Commit (persisted): %w", ErrInjected)
	}
	return t.Tx.Commit()
}

// snapshot is what a store holds: events, checkpoints and every row.
type snapshot struct {
	events []ledger.StoredEvent
	cps    []ledger.Checkpoint
	rows   map[string][]domain.Row
}

func snap(t *testing.T, s ledger.Store) snapshot {
	t.Helper()
	cps, err := s.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sn := snapshot{events: scanAll(t, s, 0), cps: cps, rows: map[string][]domain.Row{}}
	for _, tab := range domain.Tables {
		sn.rows[tab.Name] = rowsOf(t, s, tab)
	}
	return sn
}

// RunFaults fails each write, each commit, and a commit that persisted, in
// turn, during a ledger append of two records over the store open returns.
// It asserts that the fault fired and its error reached the caller, that a
// failed append left no trace (no event, hash, row or checkpoint), and that
// the next append and the audit are clean. For "CommitPersisted" the
// store's contract cannot promise no trace (the commit did happen): it
// asserts instead that the ledger re-reads the store and stays consistent
// with it.
//
// On a ledger.SharedStore, whose checkpoints are stored after the commit,
// it fails PutCheckpoint instead of AddCheckpoint: the records are durable
// and Append succeeds, and the next append stores the checkpoint it owes,
// so that the audit is clean.
func RunFaults(t *testing.T, open Open) {
	// A dry run counts the calls of each method in the append under test,
	// so that each of them is failed in turn.
	dry := &Faulty{Store: opened(t, open, t.TempDir())}
	signer, verifier := newKey(t)
	l := openLedger(t, dry.wrap(), signer, verifier)
	appendOK(t, l, agency("A"))
	clear(dry.Calls)
	appendOK(t, l, agency("B"), agency("C"))
	counts := map[string]int{}
	for k, v := range dry.Calls {
		counts[k] = v
	}
	counts["Commit"], counts["CommitPersisted"] = 1, 1
	ops := []string{"AppendEvents", "PutRows", "AddCheckpoint", "Commit", "CommitPersisted"}
	_, shared := dry.Store.(ledger.SharedStore)
	if shared {
		counts["PutCheckpoint"] = counts["PutCheckpointPersisted"] // counted under that name (see FaultyShared)
		ops = []string{"AppendEvents", "PutRows", "Commit", "CommitPersisted", "PutCheckpoint", "PutCheckpointPersisted"}
	}
	for _, op := range ops {
		if counts[op] == 0 {
			t.Fatalf("an append never calls %s", op)
		}
		for n := 1; n <= counts[op]; n++ {
			t.Run(fmt.Sprintf("%s-%d", op, n), func(t *testing.T) {
				ctx := context.Background()
				signer, verifier := newKey(t)
				inner := opened(t, open, t.TempDir())
				f := &Faulty{Store: inner}
				l := openLedger(t, f.wrap(), signer, verifier)
				appendOK(t, l, agency("A"))
				before := snap(t, inner)
				f.Op, f.N = op, n
				res, cp, err := l.Append(ctx, []ledger.Record{agency("B"), agency("C")})
				if !f.Fired {
					t.Fatalf("the fault was not injected: %s was called fewer than %d times in one append", op, n)
				}
				after := snap(t, inner)
				afterCommit := op == "PutCheckpoint" || op == "PutCheckpointPersisted"
				switch {
				case afterCommit:
					// The records are durable: Append says so, without a
					// checkpoint it could not store.
					if err != nil || len(res) != 2 || res[0].Err != nil || res[1].Err != nil || cp != nil {
						t.Fatalf("Append with %s failing after the commit: %v, %+v, checkpoint %v; want both records accepted and no checkpoint", op, err, res, cp)
					}
				case !errors.Is(err, ErrInjected):
					t.Fatalf("Append: %v, want the injected fault", err)
				}
				if afterCommit {
					if len(after.events) != 3 {
						t.Fatalf("%d events after a commit, want 3", len(after.events))
					}
				} else if op == "CommitPersisted" {
					if len(after.events) != 3 {
						t.Fatalf("%d events after a persisted commit, want 3", len(after.events))
					}
				} else if !reflect.DeepEqual(before, after) {
					t.Fatalf("the failed append left a trace:\nbefore %+v\nafter  %+v", before, after)
				}
				if l.Size() != int64(len(after.events)) {
					t.Fatalf("ledger size %d, store holds %d events", l.Size(), len(after.events))
				}
				if !afterCommit {
					auditOK(t, inner, verifier)
				}
				appendOK(t, l, agency("D"))
				if rep := auditOK(t, inner, verifier); rep.Events != int64(len(after.events))+1 {
					t.Fatalf("audit read %d events, want %d", rep.Events, len(after.events)+1)
				}
			})
		}
	}
}
