package httpapi

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// maxStreamsPerAccount is how many live boards one account may hold open
// at once: a board per screen of a command room, with room to spare. Each
// holds a connection, a goroutine and a subscription for as long as it
// lasts, so without a bound one account (a read-only token will do) could
// hold thousands and take the server's connections and file descriptors.
const maxStreamsPerAccount = 32

// streams counts the live boards open per account.
type streams struct {
	mu sync.Mutex
	n  map[string]int
}

// enter takes one of account's slots, or says false when all are taken.
func (t *streams) enter(account string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n[account] >= maxStreamsPerAccount {
		return false
	}
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[account]++
	return true
}

func (t *streams) leave(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n[account]--; t.n[account] <= 0 {
		delete(t.n, account)
	}
}

// streamOperation serves the live board of an operation as Server-Sent
// Events. A client too slow to keep up is dropped by the app.Broker; it
// reconnects and reloads the board. The stream ends as soon as its caller
// may no longer read the operation.
func (s *Server) streamOperation(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	opID := r.PathValue("operation")
	c, err := s.OperationCase(p, opID)
	if err != nil {
		return err
	}
	if !s.streams.enter(p.Account) {
		return custody.Errorf(custody.ELimited, "", "esta cuenta ya tiene %d tableros en vivo abiertos; cierre alguno",
			"this account already has %d live boards open; close one", maxStreamsPerAccount)
	}
	defer s.streams.leave(p.Account)
	if err := s.AuditedRead(r.Context(), p, domain.AccessRead{Case: c, Kind: "operation", ID: opID}); err != nil {
		return err
	}
	sub := s.Broker.Subscribe(opID)
	defer s.Broker.Unsubscribe(sub)
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's timeouts
	rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, ": %s\n\n", opID)
	rc.Flush()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	// Access is re-checked before anything more is sent, and whenever it
	// may have changed (a membership revoked, an account disabled, a
	// credential changed, a session or token ended): a stream never
	// outlives its caller's right to see the operation.
	changed := s.AccessChanged()
	for {
		select {
		case <-changed:
			changed = s.AccessChanged()
			if s.Recheck(r.Context(), p, c) != nil {
				return nil
			}
		case b, ok := <-sub.C:
			if !ok {
				return nil // dropped as too slow
			}
			if s.Recheck(r.Context(), p, c) != nil {
				return nil
			}
			// Write whatever else is queued too, then flush once.
			for more := true; more && ok; {
				if _, err := w.Write(b); err != nil {
					return nil
				}
				select {
				case b, ok = <-sub.C:
				default:
					more = false
				}
			}
			rc.Flush()
			if !ok {
				return nil
			}
		case <-ping.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return nil
			}
			rc.Flush()
		case <-r.Context().Done():
			return nil
		case <-s.Done():
			return nil
		}
	}
}
