package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/ledger"
)

// Committer is the group commit: concurrent requests queue their records,
// and one goroutine appends everything queued in one ledger transaction (one
// fsync, one signed checkpoint), then answers each request with its own
// results. A request is answered only after its batch is durable.
//
// When idle it commits a lone request at once; under load, the requests
// that arrive while a commit runs form the next batch, so batches grow with
// the load without a timer.
type Committer struct {
	l        *ledger.Ledger
	delay    time.Duration
	metrics  *Metrics
	log      *slog.Logger
	onCommit func([]*custody.Event)

	queue chan *pending
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

type pending struct {
	recs []ledger.Record
	res  []ledger.Result
	err  error
	done chan struct{}
}

// maxBatch bounds the records of one transaction.
const maxBatch = 8192

// ErrClosed is returned for requests submitted after Close.
var errClosed = custody.Errorf(custody.EInternal, "", "el servidor se está cerrando", "the server is shutting down")

// NewCommitter returns a committer over l. onCommit, when not nil, is called
// with the accepted events of each durable batch, in log order, from the
// committer goroutine: it must not block (see Broker).
func NewCommitter(l *ledger.Ledger, delay time.Duration, m *Metrics, log *slog.Logger, onCommit func([]*custody.Event)) *Committer {
	return &Committer{l: l, delay: delay, metrics: m, log: log, onCommit: onCommit,
		queue: make(chan *pending, 4096), stop: make(chan struct{}), done: make(chan struct{})}
}

// Submit queues records and waits until they are durable (or rejected).
// Each record gets its own Result; err is for the batch as a whole (the
// transaction failed, or the server is closing).
func (c *Committer) Submit(ctx context.Context, recs []ledger.Record) ([]ledger.Result, error) {
	p := &pending{recs: recs, done: make(chan struct{})}
	select {
	case c.queue <- p:
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
		if c.delay > 0 {
			t := time.NewTimer(c.delay)
		wait:
			for n < maxBatch {
				select {
				case p := <-c.queue:
					batch = append(batch, p)
					n += len(p.recs)
				case <-t.C:
					break wait
				}
			}
			t.Stop()
		}
	drain:
		for n < maxBatch {
			select {
			case p := <-c.queue:
				batch = append(batch, p)
				n += len(p.recs)
			default:
				break drain
			}
		}
		c.commit(batch)
	}
}

func (c *Committer) commit(batch []*pending) {
	var recs []ledger.Record
	for _, p := range batch {
		recs = append(recs, p.recs...)
	}
	ctx := context.Background()
	res, _, err := c.l.Append(ctx, recs)
	if err != nil {
		// The ledger rolled back and reloaded its state from the store
		// (another process, the CLI, may have appended): try once more.
		c.log.Warn("batch failed, retrying once", "records", len(recs), "err", err.Error())
		res, _, err = c.l.Append(ctx, recs)
	}
	c.metrics.observeBatch(len(recs))
	if err != nil {
		c.log.Error("batch failed", "records", len(recs), "err", err.Error())
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
