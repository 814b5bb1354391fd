package server

import (
	"sync"
	"sync/atomic"
)

// Broker fans committed events out to live streams, by topic (an operation
// id). Publish never blocks: a subscriber whose buffer is full is dropped
// (its channel closed, its stream ends and the client reconnects), so that a
// slow client can never slow the committer.
type Broker struct {
	mu      sync.Mutex
	subs    map[string]map[*Subscription]struct{}
	buf     int
	dropped atomic.Int64
}

// Subscription is one stream's queue. C is closed when the subscriber is
// dropped or unsubscribed.
type Subscription struct {
	C      chan []byte
	topic  string
	closed bool
}

// NewBroker returns a broker whose subscribers buffer buf messages.
func NewBroker(buf int) *Broker {
	return &Broker{subs: map[string]map[*Subscription]struct{}{}, buf: buf}
}

// Subscribe opens a subscription to topic.
func (b *Broker) Subscribe(topic string) *Subscription {
	s := &Subscription{C: make(chan []byte, b.buf), topic: topic}
	b.mu.Lock()
	if b.subs[topic] == nil {
		b.subs[topic] = map[*Subscription]struct{}{}
	}
	b.subs[topic][s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Unsubscribe closes a subscription (idempotent).
func (b *Broker) Unsubscribe(s *Subscription) {
	b.mu.Lock()
	b.remove(s)
	b.mu.Unlock()
}

func (b *Broker) remove(s *Subscription) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.C)
	delete(b.subs[s.topic], s)
	if len(b.subs[s.topic]) == 0 {
		delete(b.subs, s.topic)
	}
}

// Publish sends msg to every subscriber of topic without blocking.
func (b *Broker) Publish(topic string, msg []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[topic] {
		select {
		case s.C <- msg:
		default:
			b.remove(s)
			b.dropped.Add(1)
		}
	}
}

// Subscribers returns the number of open subscriptions.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	return n
}

// Dropped returns how many slow subscribers were dropped.
func (b *Broker) Dropped() int64 { return b.dropped.Load() }
