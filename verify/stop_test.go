package verify

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/terminates"
)

// hangEvent is the event of issue 12: its record has the wrong closer, and
// it once made custody's skip loop for ever.
const hangEvent = `{"op":"","record":{]}`

// hangBundleFile is a bundle signed by its own key holding hangEvent, as an
// attacker with no account can make and post to /verificar. The web and
// command line tests use it too.
const hangBundleFile = "bundle-hang.json"

// writeHangBundle regenerates it: go test -run TestHangBundle -update
func writeHangBundle(t *testing.T) {
	l := newTestLog(t)
	l.appendBytes([]byte(hangEvent))
	b := &Bundle{Format: FormatV1, Item: "E-1", PublicKey: l.vkey, Checkpoint: l.checkpoint(1),
		Events: []BundleEvent{l.proven(0, 1)}}
	if err := os.WriteFile(filepath.Join("testdata", hangBundleFile), marshal(t, b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHangBundle: the self-signed bundle passes every check up to the event
// (its proof and checkpoint are good) and is then refused, promptly, as a
// malformed event.
func TestHangBundle(t *testing.T) {
	if *update {
		writeHangBundle(t)
	}
	data := readTestdata(t, hangBundleFile)
	var err error
	terminates.Within(t, data, func() { _, err = Verify(data, Options{}) })
	var ve *Error
	if !errors.As(err, &ve) {
		t.Fatalf("Verify = %v; want *Error", err)
	}
	wantCheck(t, ve, CheckEvent, 0, "event", "malformed")
}

// countdown is a context that reports itself cancelled after n calls to
// Err: it shows that VerifyContext looks at ctx inside its loop over the
// events, not only before and after.
type countdown struct {
	context.Context
	n atomic.Int64
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestVerifyContextStops(t *testing.T) {
	l := newTestLog(t)
	history(l)
	data := marshal(t, l.bundle("E-CHI-03-01"))
	if _, err := VerifyContext(context.Background(), data, Options{}); err != nil {
		t.Fatalf("valid bundle: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := VerifyContext(ctx, data, Options{})
	var ve *Error
	if !errors.As(err, &ve) || ve.Check != CheckStopped || ve.Code != custody.EInvalid || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %#v; want check %s, code invalid, unwrapping to context.Canceled", err, CheckStopped)
	}

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = VerifyContext(ctx, data, Options{})
	if !errors.As(err, &ve) || ve.Check != CheckStopped || ve.Code != custody.ETooLarge || !errors.Is(err, context.DeadlineExceeded) ||
		ve.Message == "" || ve.MessageEN == "" {
		t.Fatalf("past deadline: %#v; want check %s, code too_large, unwrapping to context.DeadlineExceeded", err, CheckStopped)
	}

	// Done after the checks before the events and two events: stopped at
	// an event of the bundle, named by its index (the events are checked
	// on every core, so which one meets the stop first is the scheduler's
	// choice), and never with a verdict.
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	c := &countdown{Context: context.Background()}
	c.n.Store(4)
	_, err = VerifyContext(c, data, Options{})
	ve = nil
	atEvent := false
	if errors.As(err, &ve) {
		for _, e := range b.Events {
			atEvent = atEvent || ve.Index == e.Index
		}
	}
	if ve == nil || ve.Check != CheckStopped || !atEvent {
		t.Fatalf("stopped mid-way: %#v; want check %s at one of the bundle's events", err, CheckStopped)
	}
}
