package app

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-ec/custodia/custody"
)

// hashGate bounds the password hashes (argon2id, 19 MiB each: see
// accounts.HashPassword) that run at once in the process, and the sign-in
// attempts under way from one client.
//
// Without it, every sign-in holds its 19 MiB while it hashes, and the
// hashes of parallel requests all run at once: requests that a client's
// failures delayed (Service.loginDelay) are released together, and an
// attacker who names a new account each time is never locked out, so a
// few dozen requests from one address held the memory of a few dozen
// hashes. With it, the memory of hashes is at most slots × 19 MiB,
// whatever the number of requests: the others wait, holding a goroutine
// and nothing else, in a queue of bounded length, for a bounded time, or
// are refused at once.
type hashGate struct {
	slots     chan struct{} // one token per hash allowed to run
	maxQueue  int           // requests that may wait for a slot
	maxWait   time.Duration // how long one may wait
	perClient int           // sign-ins under way from one client

	mu      sync.Mutex
	queued  int
	clients map[string]int // sign-ins under way, by client

	running atomic.Int64
	peak    atomic.Int64           // most hashes seen running at once
	hook    atomic.Pointer[func()] // tests: runs inside the slot, before the hash
}

func newHashGate(slots, queue, perClient int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, slots), maxQueue: queue, maxWait: wait, perClient: perClient, clients: map[string]int{}}
}

// ErrSignInsBusy refuses a password check when the server is already
// hashing as many passwords as it allows and its queue is full, or the
// wait would be too long (HTTP 503).
func ErrSignInsBusy() *custody.Error {
	return custody.Errorf(custody.EBusy, "", "demasiados intentos de ingreso en curso; intente en unos segundos", "too many sign-in attempts under way; try again in a few seconds")
}

// ErrClientSignIns refuses a sign-in from a client that already has as
// many under way as it may (HTTP 429).
func ErrClientSignIns() *custody.Error {
	return custody.Errorf(custody.ELimited, "", "demasiados intentos de ingreso en curso desde su dirección; espere a que terminen", "too many sign-in attempts under way from your address; wait for them to finish")
}

// enter counts a sign-in of client as under way, or refuses it when the
// client has perClient under way already. leave ends it.
func (g *hashGate) enter(client string) (leave func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.clients[client] >= g.perClient {
		return nil, ErrClientSignIns()
	}
	g.clients[client]++
	return func() {
		g.mu.Lock()
		if g.clients[client]--; g.clients[client] <= 0 {
			delete(g.clients, client)
		}
		g.mu.Unlock()
	}, nil
}

// run runs hash (one password hash or check) in a slot: at once if one is
// free, else after waiting in the queue, at most maxWait. A full queue or
// a wait that runs out is ErrSignInsBusy, and hash does not run.
func (g *hashGate) run(ctx context.Context, hash func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		g.mu.Lock()
		if g.queued >= g.maxQueue {
			g.mu.Unlock()
			return ErrSignInsBusy()
		}
		g.queued++
		g.mu.Unlock()
		t := time.NewTimer(g.maxWait)
		var err error
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			err = ErrSignInsBusy()
		case <-ctx.Done():
			err = ctx.Err()
		}
		t.Stop()
		g.mu.Lock()
		g.queued--
		g.mu.Unlock()
		if err != nil {
			return err
		}
	}
	defer func() { <-g.slots }()
	n := g.running.Add(1)
	defer g.running.Add(-1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	if h := g.hook.Load(); h != nil {
		(*h)()
	}
	hash()
	return nil
}

// waiting is the number of requests queued for a slot.
func (g *hashGate) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.queued
}
