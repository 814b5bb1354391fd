package loadgen

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRealServer runs both clients against a real `custodia serve` built
// from this tree, and the crash test's kill and restart on the lean client.
func TestRealServer(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "custodia")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/custodia")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	for _, client := range []Client{Lean, NetHTTP} {
		t.Run(client.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			const clients = 4
			d, err := Prepare(ctx, bin, filepath.Join(t.TempDir(), "data"), clients)
			if err != nil {
				t.Fatal(err)
			}
			addr, err := FreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			s, err := d.Start(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Stop()
			rctx, rcancel := context.WithTimeout(ctx, 1500*time.Millisecond)
			st := RunWith(rctx, Options{Addr: addr, Token: d.Token, Clients: clients, Client: client, Keys: d.Keys})
			rcancel()
			if st.OK < 10 || st.Failed != 0 || st.FirstError != nil {
				t.Fatalf("%d acknowledged, %d failed (%v); want at least 10 and no failure", st.OK, st.Failed, st.FirstError)
			}
			if len(st.Acks) != int(st.OK) || len(st.Latencies) != int(st.OK) {
				t.Errorf("%d acks and %d latencies for %d acknowledged", len(st.Acks), len(st.Latencies), st.OK)
			}
			// Every acknowledged seq is a transfer of its item in the log,
			// and no seq was acknowledged twice.
			seen := map[int64]bool{}
			hist := map[string]map[int64]string{}
			for _, a := range st.Acks {
				if seen[a.Seq] {
					t.Errorf("seq %d acknowledged twice", a.Seq)
				}
				seen[a.Seq] = true
				h, ok := hist[a.Item]
				if !ok {
					if h, err = History(ctx, addr, d.Token, a.Item); err != nil {
						t.Fatal(err)
					}
					hist[a.Item] = h
				}
				if h[a.Seq] != "custody.transfer" {
					t.Errorf("acknowledged seq %d of %s is %q in the item's history", a.Seq, a.Item, h[a.Seq])
				}
			}
			if len(hist) != clients {
				t.Errorf("acknowledgements for %d items, want %d", len(hist), clients)
			}
		})
	}
	// The crash test's load runs on the lean client: killed servers and
	// refused connections while it restarts are not failures, and every
	// acknowledged transfer survives.
	t.Run("crash", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var log strings.Builder
		n, err := Crash(ctx, CrashConfig{
			Binary: bin, Data: filepath.Join(t.TempDir(), "data"), Rounds: 2, Clients: 8,
			MinRun: 300 * time.Millisecond, MaxRun: 800 * time.Millisecond, Log: &log,
		})
		t.Log(log.String())
		if err != nil {
			t.Fatal(err)
		}
		if n < 20 {
			t.Errorf("only %d transfers acknowledged across the kills", n)
		}
		if got := strings.Count(log.String(), ", 0 failed;"); got != 2 {
			t.Errorf("%d of 2 rounds without failures, want both", got)
		}
	})
}
