package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
)

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
