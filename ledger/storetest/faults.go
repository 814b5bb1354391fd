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

// Begin wraps the inner transaction.
func (f *Faulty) Begin(ctx context.Context) (ledger.Tx, error) {
	tx, err := f.Store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &faultyTx{Tx: tx, f: f}, nil
}

type faultyTx struct {
	ledger.Tx
	f *Faulty
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
func RunFaults(t *testing.T, open Open) {
	// A dry run counts the calls of each method in the append under test,
	// so that each of them is failed in turn.
	dry := &Faulty{Store: opened(t, open, t.TempDir())}
	signer, verifier := newKey(t)
	l := openLedger(t, dry, signer, verifier)
	appendOK(t, l, agency("A"))
	clear(dry.Calls)
	appendOK(t, l, agency("B"), agency("C"))
	counts := map[string]int{}
	for k, v := range dry.Calls {
		counts[k] = v
	}
	counts["Commit"], counts["CommitPersisted"] = 1, 1
	for _, op := range []string{"AppendEvents", "PutRows", "AddCheckpoint", "Commit", "CommitPersisted"} {
		if counts[op] == 0 {
			t.Fatalf("an append never calls %s", op)
		}
		for n := 1; n <= counts[op]; n++ {
			t.Run(fmt.Sprintf("%s-%d", op, n), func(t *testing.T) {
				ctx := context.Background()
				signer, verifier := newKey(t)
				inner := opened(t, open, t.TempDir())
				f := &Faulty{Store: inner}
				l := openLedger(t, f, signer, verifier)
				appendOK(t, l, agency("A"))
				before := snap(t, inner)
				f.Op, f.N = op, n
				_, _, err := l.Append(ctx, []ledger.Record{agency("B"), agency("C")})
				if !f.Fired {
					t.Fatalf("the fault was not injected: %s was called fewer than %d times in one append", op, n)
				}
				if !errors.Is(err, ErrInjected) {
					t.Fatalf("Append: %v, want the injected fault", err)
				}
				after := snap(t, inner)
				if op == "CommitPersisted" {
					if len(after.events) != 3 {
						t.Fatalf("%d events after a persisted commit, want 3", len(after.events))
					}
				} else if !reflect.DeepEqual(before, after) {
					t.Fatalf("the failed append left a trace:\nbefore %+v\nafter  %+v", before, after)
				}
				if l.Size() != int64(len(after.events)) {
					t.Fatalf("ledger size %d, store holds %d events", l.Size(), len(after.events))
				}
				auditOK(t, inner, verifier)
				appendOK(t, l, agency("D"))
				if rep := auditOK(t, inner, verifier); rep.Events != int64(len(after.events))+1 {
					t.Fatalf("audit read %d events, want %d", rep.Events, len(after.events)+1)
				}
			})
		}
	}
}
