package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Committer is the group commit: concurrent requests queue their records,
// and one goroutine appends everything queued in one ledger transaction (one
// fsync, one signed checkpoint), then answers each request with its own
// results. A request is answered only after its batch is durable.
//
// When idle it commits a lone request at once. Under load it waits, up to
// MaxDelay, for the write requests already being handled (Enter/Leave) to
// queue theirs, so that a batch takes everything in flight: the ledger holds
// its lock while it commits, and requests that are checking their
// authorization would otherwise miss the batch and wait for the next.
//
// It also waits, up to MaxDelay, while a batch holds fewer than half the
// records of recent batches: under steady load from many clients, those
// answered by the last commit are on their way back. A commit costs 0.6-1
// ms of CPU whatever it holds (the fsync, the signed checkpoint, the last
// pages of each table and index), and under load the CPU is what bounds
// the throughput; see bench/server.md.
type Committer struct {
	l        *ledger.Ledger
	maxDelay time.Duration
	metrics  *Metrics
	log      *slog.Logger
	onCommit func([]*custody.Event)

	queue   chan *pending
	arrive  chan struct{}
	writers atomic.Int64 // write requests being handled
	waiting atomic.Int64 // of them, those queued and waiting for a commit
	recent  int          // records per batch, moving average ×16 (committer goroutine only)
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

type pending struct {
	recs  []ledger.Record
	res   []ledger.Result
	err   error
	check func(st *domain.State) error
	after func(st *domain.State, res []ledger.Result)
	done  chan struct{}
}

// maxBatch bounds the records of one transaction.
const maxBatch = 8192

var errClosed = custody.Errorf(custody.EInternal, "", "el servidor se está cerrando", "the server is shutting down")

// NewCommitter returns a committer over l that waits at most maxDelay to
// fill a batch (0: 5 ms). onCommit, when not nil, is called with the
// accepted events of each durable batch, in log order, from the committer
// goroutine: it must not block (see Broker).
func NewCommitter(l *ledger.Ledger, maxDelay time.Duration, m *Metrics, log *slog.Logger, onCommit func([]*custody.Event)) *Committer {
	if maxDelay <= 0 {
		maxDelay = 5 * time.Millisecond
	}
	return &Committer{l: l, maxDelay: maxDelay, metrics: m, log: log, onCommit: onCommit,
		queue: make(chan *pending, 4096), arrive: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// Enter and Leave bracket the handling of a request that will probably
// submit records, so that the committer can wait for it.
func (c *Committer) Enter() { c.writers.Add(1) }

// Leave ends what Enter began.
func (c *Committer) Leave() {
	c.writers.Add(-1)
	c.signal()
}

func (c *Committer) signal() {
	select {
	case c.arrive <- struct{}{}:
	default:
	}
}

// Submit queues records and waits until they are durable (or rejected).
// Each record gets its own Result; err is for the batch as a whole (the
// transaction failed, or the server is closing).
func (c *Committer) Submit(ctx context.Context, recs []ledger.Record) ([]ledger.Result, error) {
	return c.SubmitThen(ctx, recs, nil, nil)
}

// SubmitThen is Submit with two functions the committer calls with the
// state: check just before the batch is appended (an error from it is the
// request's error, and its records are not appended), and after once the
// batch is durable. Run by the committer, the sole writer, check sees the
// very state the records will be applied to, and neither waits for the
// ledger's lock. Check does not see the other records of its batch.
func (c *Committer) SubmitThen(ctx context.Context, recs []ledger.Record, check func(*domain.State) error, after func(*domain.State, []ledger.Result)) ([]ledger.Result, error) {
	p := &pending{recs: recs, check: check, after: after, done: make(chan struct{})}
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	select {
	case c.queue <- p:
		c.signal()
	case <-c.stop:
		return nil, errClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, wait for the outcome even if the client goes away: the
	// records may be committed, and the answer must not claim otherwise.
	<-p.done
	return p.res, p.err
}

// Run commits batches until Close. Requests still queued at Close are
// committed before it returns.
func (c *Committer) Run() {
	defer close(c.done)
	for {
		var first *pending
		select {
		case first = <-c.queue:
		case <-c.stop:
			for {
				select {
				case p := <-c.queue:
					c.commit([]*pending{p})
				default:
					return
				}
			}
		}
		batch := []*pending{first}
		n := len(first.recs)
		take := func() {
			for n < maxBatch {
				select {
				case p := <-c.queue:
					batch = append(batch, p)
					n += len(p.recs)
				default:
					return
				}
			}
		}
		take()
		// Wait while write requests are in flight but not yet queued, or
		// while the batch is small for the recent load. Every change of
		// the condition signals arrive (Submit, Leave), so the only timer
		// is the deadline's: polling would wake a thread for nothing.
		var deadline *time.Timer
		expired := false
	wait:
		for n < maxBatch && (c.writers.Load() > c.waiting.Load() || 2*16*n < c.recent) {
			if deadline == nil {
				deadline = time.NewTimer(c.maxDelay)
			}
			select {
			case <-c.arrive:
				take()
			case <-deadline.C:
				take()
				expired = true
				break wait
			}
		}
		if deadline != nil {
			deadline.Stop()
		}
		if expired && 2*16*n < c.recent {
			// The load has dropped: a whole delay brought too few records.
			// Forget the average, so that the requests that follow do not
			// each wait the delay while it decays.
			c.recent = 16 * n
		} else {
			c.recent += n - c.recent/16
		}
		c.commit(batch)
	}
}

func (c *Committer) commit(all []*pending) {
	// On a database other servers write, read what they committed first,
	// so that the checks see their grants and revocations too (the append
	// then reads anything committed in between). A failure here is the
	// append's to report.
	c.l.Refresh(context.Background())
	// Authorization checks first, against the state the batch will see.
	c.l.View(func(st *domain.State) error {
		for _, p := range all {
			if p.check != nil {
				p.err = p.check(st)
			}
		}
		return nil
	})
	var batch []*pending
	var recs []ledger.Record
	for _, p := range all {
		if p.err == nil {
			batch = append(batch, p)
			recs = append(recs, p.recs...)
		}
	}
	var res []ledger.Result
	var err error
	if len(recs) > 0 {
		ctx := context.Background()
		start := time.Now()
		res, _, err = c.l.Append(ctx, recs)
		if err != nil {
			// The ledger rolled back and reloaded its state from the store
			// (another process, the CLI, may have appended): try once more.
			c.log.Warn("batch failed, retrying once", "records", len(recs), "err", err.Error())
			res, _, err = c.l.Append(ctx, recs)
		}
		c.metrics.observeBatch(len(recs), time.Since(start))
		if err != nil {
			c.log.Error("batch failed", "records", len(recs), "err", err.Error())
		}
	}
	var accepted []*custody.Event
	i := 0
	for _, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.res = res[i : i+len(p.recs)]
			for _, r := range p.res {
				if r.Err == nil {
					accepted = append(accepted, r.Event)
				}
			}
		}
		i += len(p.recs)
	}
	if err == nil && len(batch) > 0 {
		c.l.View(func(st *domain.State) error {
			for _, p := range batch {
				if p.after != nil {
					p.after(st, p.res)
				}
			}
			return nil
		})
	}
	for _, p := range all {
		close(p.done)
	}
	if len(accepted) > 0 && c.onCommit != nil {
		c.onCommit(accepted)
	}
}

// Close stops accepting requests, commits those queued and waits for the
// committer to finish. Run must have been started.
func (c *Committer) Close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

// firstError returns the first record error of results, or the batch error.
func firstError(res []ledger.Result, err error) error {
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	if len(res) == 0 {
		return errors.New("server: empty commit result")
	}
	return nil
}
