package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
)

// A ledger whose store's transactions are SharedTx is one of several, in
// several processes, that may write one log: the servers of a PostgreSQL
// deployment (a SharedStore), or a SQLite deployment's server and the
// command line beside it. The store's lock orders their transactions; what
// each ledger adds is this file (the checkpoint steps only on a
// SharedStore: SQLite stores its checkpoint in the transaction):
//
//   - before it writes, it reads what the others committed since it last
//     read or wrote (catchUp), hashing each event itself, and requires the
//     store's newest event to be the one it holds (the tip): a database
//     that lost or replaced committed events (restored from a backup, or a
//     replica promoted before it had every commit) halts its writes;
//   - it signs a transaction's checkpoint only after the commit, and stores
//     it if none is stored for that size; one already stored must have the
//     same root, or the log has forked, which halts its writes too;
//   - it signs the checkpoint of any transaction it reads that lacks one (a
//     server that died between its commit and its checkpoint);
//   - it hands the events it read from others to an observer (Observe), so
//     that each server's live boards show every server's writes.

// sharedState is the ledger's bookkeeping for a shared store; the fields
// other than foreign and observer are guarded by the ledger's mu.
type sharedState struct {
	// tip is the stored hashes of the last event the ledger holds (nil
	// when it holds none).
	tip []byte
	// stale says that a reload failed, so that the in-memory state may
	// hold events that were never committed: the ledger reloads before it
	// writes or refreshes again.
	stale bool
	// halt, once set, refuses every write: the store is not the log the
	// ledger holds (see haltf). Only a new ledger (a restart) clears it.
	halt error
	// unsigned are committed transaction ends whose checkpoint could not
	// be stored yet, with their roots.
	unsigned map[int64]tlog.Hash
	// toCheck are the ends of transactions read from others, with their
	// roots, whose checkpoints are yet to be looked for (and signed when
	// missing): after this ledger's own commit, not under the log's lock.
	toCheck map[int64]tlog.Hash

	fmu     sync.Mutex
	foreign []*custody.Event // read from others, not yet delivered
	// overflow says that more were read than maxForeign: the observer is
	// told so instead of being handed them all.
	overflow bool
	obsMu    sync.Mutex // held while delivering: deliveries keep log order
	observer func([]*custody.Event)
	observed atomic.Bool // an observer is set: events read are kept for it
}

// maxForeign bounds the events read from other ledgers that are kept for
// the observer between two deliveries: a server that catches up on a
// large import elsewhere does not hold it all decoded in memory.
const maxForeign = 16384

// Observe sets fn to receive the events that other ledgers sharing the
// store committed, as this ledger reads them (before its own writes, and
// in Refresh), in log order. fn is called without the ledger's lock held,
// so it may read the ledger; it must not block for long. When more than a
// few thousand events were read between two calls, fn gets nil instead of
// them: anything may have changed. A ledger on a store that is not shared
// never calls it.
func (l *Ledger) Observe(fn func([]*custody.Event)) {
	l.shared.obsMu.Lock()
	l.shared.observer = fn
	l.shared.observed.Store(fn != nil)
	l.shared.obsMu.Unlock()
}

// deliver hands the events read from other ledgers to the observer. It is
// called after the ledger's lock is released.
func (l *Ledger) deliver() {
	sh := &l.shared
	sh.obsMu.Lock()
	defer sh.obsMu.Unlock()
	sh.fmu.Lock()
	evs, overflow := sh.foreign, sh.overflow
	sh.foreign, sh.overflow = nil, false
	sh.fmu.Unlock()
	switch {
	case sh.observer == nil:
	case overflow:
		sh.observer(nil)
	case len(evs) > 0:
		sh.observer(evs)
	}
}

// Refresh reads the events that other ledgers sharing the store committed
// since this one last read or wrote it, so that its state, reads and
// proofs include them, and hands them to the observer. Servers call it when
// the database announces a commit, and before answering for a tree larger
// than they hold. Any store may have other writers: the servers of a
// PostgreSQL deployment, or the command line writing a SQLite deployment
// beside its server; with none, the store's size is the ledger's and
// nothing is read.
func (l *Ledger) Refresh(ctx context.Context) error {
	defer l.deliver()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shared.stale {
		if err := l.reload(ctx); err != nil {
			return err
		}
	}
	if err := l.retryUnsigned(ctx); err != nil {
		return err
	}
	size, err := l.store.Size(ctx)
	if err != nil {
		return err
	}
	if size != l.front.size {
		if err := l.catchUp(ctx, size); err != nil {
			return err
		}
	}
	return l.checkRead(ctx)
}

// Halted returns why the ledger refuses to write (the store is not the log
// it holds), or nil.
func (l *Ledger) Halted() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.shared.halt
}

// haltf builds the error that halts a ledger's writes: the store no longer
// holds the log this ledger read and signed.
func haltf(es, en string, args ...any) *custody.Error {
	return custody.Errorf(custody.ETampered, "log", es+". No se escribe más: revise con custodia audit y custodia monitor; los testigos rechazarán la bifurcación",
		en+". No more writes: check with custodia audit and custodia monitor; witnesses will refuse the fork", args...)
}

// syncShared brings the ledger up to the log as the transaction just begun
// found it, under the store's lock: it reads what others committed, and
// refuses to go on when the store's newest event is not the one the ledger
// holds.
func (l *Ledger) syncShared(ctx context.Context, tx SharedTx) error {
	if l.shared.halt != nil {
		return l.shared.halt
	}
	if l.shared.stale {
		if err := l.reload(ctx); err != nil {
			return err
		}
	}
	if err := l.retryUnsigned(ctx); err != nil {
		return err
	}
	if n := tx.LogSize(); n != l.front.size {
		if err := l.catchUp(ctx, n); err != nil {
			return err
		}
	}
	if !bytes.Equal(tx.TipHashes(), l.shared.tip) {
		l.shared.halt = haltf("el último evento de la base de datos, el %d, no es el que este servidor escribió o leyó: la base de datos perdió o reemplazó eventos ya confirmados (restaurada de una copia, o una réplica promovida sin todas las confirmaciones)",
			"the database's newest event, %d, is not the one this server wrote or read: the database lost or replaced committed events (restored from a backup, or a replica promoted without every commit)", l.front.size-1)
		return l.shared.halt
	}
	return nil
}

// errCaughtUp ends a catch-up scan at the size it was asked for.
var errCaughtUp = errors.New("caught up")

// catchUp applies the events that other ledgers sharing the store
// committed since this one last read or wrote it, up to size, a size the
// store held (every event below it committed). It first requires the
// store's event at its own last seq to be the one it holds, then hashes
// each new event itself and requires the stored hashes to be the ones it
// computes, so that it never continues a tree other than the one it holds.
// The ends of the transactions it read wait in toCheck, for their
// checkpoints to be looked for after this ledger's write (checkRead), off
// the log's lock. On a failure to read, the ledger reloads the whole log:
// its state may hold part of what it read.
func (l *Ledger) catchUp(ctx context.Context, size int64) error {
	if size < l.front.size {
		l.shared.halt = haltf("la base de datos tiene %d eventos, menos que los %d que este servidor ya leyó: fue restaurada a un punto anterior o cambiada por fuera del registro",
			"the database holds %d events, fewer than the %d this server has read: it was restored to an earlier point or changed behind the log's back", size, l.front.size)
		return l.shared.halt
	}
	start := l.front.size
	var ends []int64
	roots := map[int64]tlog.Hash{}
	var evs []*custody.Event
	observed, overflow := l.shared.observed.Load(), false
	// The scan starts at the ledger's own last event, whose stored
	// hashes must be those it holds: one query for both.
	from := max(start-1, 0)
	tipChecked := start == 0
	err := l.store.ScanEvents(ctx, from, func(se StoredEvent) error {
		if !tipChecked {
			tipChecked = true
			if se.Seq != start-1 || !bytes.Equal(se.Hashes, l.shared.tip) {
				l.shared.halt = haltf("el evento %d de la base de datos no es el que este servidor escribió o leyó: la base de datos perdió o reemplazó eventos ya confirmados",
					"event %d in the database is not the one this server wrote or read: the database lost or replaced committed events", start-1)
				return l.shared.halt
			}
			return nil
		}
		if se.Seq >= size {
			return errCaughtUp
		}
		if se.Seq != l.front.size {
			return fmt.Errorf("ledger: event %d read where event %d of %d belongs", se.Seq, l.front.size, size)
		}
		ev, rec, err := decodeStored(se)
		if err != nil {
			return err
		}
		if ev.Recorded.Commit == se.Seq && se.Seq > start {
			// A transaction began here: the one before ended.
			root, err := l.front.root()
			if err != nil {
				return err
			}
			ends = append(ends, se.Seq)
			roots[se.Seq] = root
		}
		a, err := l.state.Apply(ev.Op, rec, ev.Seq)
		if err != nil {
			return fmt.Errorf("ledger: event %d, written by another server, does not apply: %w (run custodia audit)", se.Seq, err)
		}
		hs, err := l.front.append(se.Data)
		if err != nil {
			return err
		}
		if !bytes.Equal(hs, se.Hashes) {
			return fmt.Errorf("ledger: the stored hashes of event %d are not the tree's (run custodia audit)", se.Seq)
		}
		l.caseLast.link(a.Case, se.Seq)
		l.shared.tip = se.Hashes
		if observed {
			if len(evs) < maxForeign {
				evs = append(evs, ev)
			} else {
				overflow = true
			}
		}
		return nil
	})
	if errors.Is(err, errCaughtUp) {
		err = nil
	}
	if l.shared.halt != nil && errors.Is(err, l.shared.halt) {
		return err
	}
	if err == nil && l.front.size != size {
		err = fmt.Errorf("ledger: read the log up to %d events, the store said %d", l.front.size, size)
	}
	if err != nil {
		return errors.Join(err, l.reload(ctx))
	}
	root, err := l.front.root()
	if err != nil {
		return err
	}
	ends = append(ends, size)
	roots[size] = root
	if l.shared.toCheck == nil {
		l.shared.toCheck = map[int64]tlog.Hash{}
	}
	for _, n := range ends {
		l.shared.toCheck[n] = roots[n]
	}
	l.shared.fmu.Lock()
	if overflow || len(l.shared.foreign)+len(evs) > maxForeign {
		l.shared.foreign, l.shared.overflow = nil, true
	} else if !l.shared.overflow {
		l.shared.foreign = append(l.shared.foreign, evs...)
	}
	l.shared.fmu.Unlock()
	return nil
}

// checkRead looks for the checkpoints of the transactions read from other
// ledgers (catchUp) and signs those missing. Only a fork is returned: a
// store failing now is tried again at the next write or refresh.
func (l *Ledger) checkRead(ctx context.Context) error {
	if len(l.shared.toCheck) == 0 {
		return nil
	}
	ends := make([]int64, 0, len(l.shared.toCheck))
	for n := range l.shared.toCheck {
		ends = append(ends, n)
	}
	slices.Sort(ends)
	err := l.signMissing(ctx, ends, l.shared.toCheck)
	var ce *custody.Error
	if errors.As(err, &ce) {
		return err
	}
	if err == nil {
		l.shared.toCheck = nil
	}
	return nil
}

// checkpointCommitted signs and stores the checkpoint of a transaction
// that has just committed. A fork (another root stored for the size) is an
// error and halts the ledger; a failure to store leaves the checkpoint to
// be stored later (retryUnsigned), and returns a nil checkpoint and no
// error: the transaction is durable all the same.
func (l *Ledger) checkpointCommitted(ctx context.Context, size int64, root tlog.Hash) (*Checkpoint, error) {
	cp, err := l.storeCheckpoint(ctx, size, root)
	var ce *custody.Error
	if errors.As(err, &ce) {
		return nil, err
	}
	// Then the checkpoints of what the catch-up before this write read.
	if err := l.checkRead(ctx); err != nil {
		return nil, err
	}
	return cp, nil
}

// storeCheckpoint signs the checkpoint of a tree of size and root, stores
// it unless one is stored for size already, and requires the stored one to
// have the same root.
func (l *Ledger) storeCheckpoint(ctx context.Context, size int64, root tlog.Hash) (*Checkpoint, error) {
	ss := l.store.(SharedStore)
	signed, err := signCheckpoint(l.signer, l.origin, size, root)
	if err != nil {
		return nil, err
	}
	got, err := ss.PutCheckpoint(ctx, Checkpoint{Size: size, Root: root, Note: signed})
	if err != nil {
		if l.shared.unsigned == nil {
			l.shared.unsigned = map[int64]tlog.Hash{}
		}
		l.shared.unsigned[size] = root
		return nil, err
	}
	delete(l.shared.unsigned, size)
	if got.Root != root {
		l.shared.halt = haltf("la base de datos guarda para el tamaño %d otra raíz que la del árbol de este servidor: dos raíces para un tamaño son una bifurcación",
			"the database holds another root for size %d than this server's tree has: two roots for one size are a fork", size)
		return nil, l.shared.halt
	}
	return &got, nil
}

// retryUnsigned stores the checkpoints that could not be stored after
// their commits. Only a fork is returned: a store still failing is retried
// later.
func (l *Ledger) retryUnsigned(ctx context.Context) error {
	sizes := make([]int64, 0, len(l.shared.unsigned))
	for n := range l.shared.unsigned {
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	for _, n := range sizes {
		_, err := l.storeCheckpoint(ctx, n, l.shared.unsigned[n])
		var ce *custody.Error
		if errors.As(err, &ce) {
			return err
		}
		if err != nil {
			return nil
		}
	}
	return nil
}

// signMissing signs and stores the checkpoints of the transaction ends
// given, with their roots, that have none stored.
func (l *Ledger) signMissing(ctx context.Context, ends []int64, roots map[int64]tlog.Hash) error {
	ss, ok := l.store.(SharedStore)
	if !ok || len(ends) == 0 {
		return nil
	}
	missing, err := ss.MissingCheckpoints(ctx, ends)
	if err != nil {
		return err
	}
	for _, n := range missing {
		if _, err := l.storeCheckpoint(ctx, n, roots[n]); err != nil {
			var ce *custody.Error
			if errors.As(err, &ce) {
				return err
			}
			// Kept in unsigned, for the next write or refresh.
		}
	}
	return nil
}

// signLoaded signs, after a load of the whole log from a shared store, the
// checkpoints missing at the ends of its newest transactions (txEnds keeps
// the last few): those of servers that died between a commit and its
// checkpoint while no other server read their events. Their roots are
// computed from the stored hashes.
func (l *Ledger) signLoaded(ctx context.Context, ends *txEnds) error {
	if _, ok := l.store.(SharedStore); !ok {
		return nil
	}
	l.shared.unsigned, l.shared.toCheck = nil, nil
	if l.front.size == 0 {
		return nil
	}
	ends.add(l.front.size)
	ss := l.store.(SharedStore)
	missing, err := ss.MissingCheckpoints(ctx, ends.sizes)
	if err != nil || len(missing) == 0 {
		return err
	}
	roots := map[int64]tlog.Hash{}
	for _, n := range missing {
		if roots[n], err = tlog.TreeHash(n, l.HashReader(ctx)); err != nil {
			return err
		}
	}
	return l.signMissing(ctx, missing, roots)
}

// txEnds keeps the last maxTxEnds transaction ends (sizes) seen in a scan.
type txEnds struct{ sizes []int64 }

const maxTxEnds = 256

func (e *txEnds) add(n int64) {
	if len(e.sizes) == maxTxEnds {
		e.sizes = append(e.sizes[:0], e.sizes[1:]...)
	}
	e.sizes = append(e.sizes, n)
}
