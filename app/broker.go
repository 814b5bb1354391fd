package app

import (
	"sync"
	"sync/atomic"
	"time"
)

// Broker fans committed events out to live streams, by topic (an operation
// id). Publish never blocks and costs the same however many streams are
// open: it appends to the topic's pending messages, and the broker's own
// goroutine (Run) hands them out every interval, one message per topic and
// tick, so a stream wakes at most once per interval whatever the write rate.
// A subscriber whose buffer is full is dropped (its channel closed, its
// stream ends and the client reconnects): a slow client never slows anyone.
type Broker struct {
	mu       sync.Mutex
	subs     map[string]map[*Subscription]struct{}
	pending  map[string][]byte
	order    []string
	buf      int
	interval time.Duration
	dropped  atomic.Int64
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

// Subscription is one stream's queue. C is closed when the subscriber is
// dropped or unsubscribed.
type Subscription struct {
	C      chan []byte
	topic  string
	closed bool
}

// NewBroker returns a broker whose subscribers buffer buf messages,
// delivering every interval (0: at once, from Publish itself).
func NewBroker(buf int, interval time.Duration) *Broker {
	return &Broker{subs: map[string]map[*Subscription]struct{}{}, pending: map[string][]byte{}, buf: buf, interval: interval,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Run delivers pending messages every interval until Close.
func (b *Broker) Run() {
	defer close(b.done)
	if b.interval <= 0 {
		<-b.stop
		return
	}
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.mu.Lock()
			for _, topic := range b.order {
				b.deliver(topic, b.pending[topic])
			}
			clear(b.pending)
			b.order = b.order[:0]
			b.mu.Unlock()
		case <-b.stop:
			return
		}
	}
}

// Close stops Run.
func (b *Broker) Close() {
	b.once.Do(func() { close(b.stop) })
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

// Publish queues msg for every subscriber of topic, without blocking. With
// an interval, messages of one tick are concatenated (they must be whole SSE
// frames).
func (b *Broker) Publish(topic string, msg []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.interval <= 0 {
		b.deliver(topic, msg)
		return
	}
	if len(b.subs[topic]) == 0 {
		return // nobody listens: keep nothing
	}
	if _, ok := b.pending[topic]; !ok {
		b.order = append(b.order, topic)
	}
	b.pending[topic] = append(b.pending[topic], msg...)
}

// PublishAll queues msg for every subscriber of every topic, as Publish
// does for one.
func (b *Broker) PublishAll(msg []byte) {
	b.mu.Lock()
	topics := make([]string, 0, len(b.subs))
	for t := range b.subs {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	for _, t := range topics {
		b.Publish(t, msg)
	}
}

// deliver sends msg to the subscribers of topic; b.mu is held.
func (b *Broker) deliver(topic string, msg []byte) {
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
