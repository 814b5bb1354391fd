package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// CrashConfig configures a crash test.
type CrashConfig struct {
	Binary  string // a built custodia binary
	Data    string // an empty directory
	Rounds  int
	Clients int
	// MinRun and MaxRun bound how long the load runs before each kill.
	MinRun, MaxRun time.Duration
	Log            io.Writer
}

// Crash runs the crash test: in each round it starts the server, checks
// that every transfer acknowledged so far is in the log, runs concurrent
// load, kills the server with SIGKILL at a random moment, and runs
// `custodia audit`, which must exit 0. It returns the total of acknowledged
// transfers checked.
func Crash(ctx context.Context, cfg CrashConfig) (int, error) {
	d, err := Prepare(ctx, cfg.Binary, cfg.Data, cfg.Clients)
	if err != nil {
		return 0, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return 0, err
	}
	var acked []Ack
	check := func(s *Server) error {
		byItem := map[string][]int64{}
		for _, a := range acked {
			byItem[a.Item] = append(byItem[a.Item], a.Seq)
		}
		for item, seqs := range byItem {
			h, err := History(ctx, s.Addr, d.Token, item)
			if err != nil {
				return err
			}
			for _, seq := range seqs {
				if h[seq] != "custody.transfer" {
					return fmt.Errorf("acknowledged transfer of %s at seq %d is not in the log after a crash", item, seq)
				}
			}
		}
		return nil
	}
	for round := 1; round <= cfg.Rounds; round++ {
		s, err := d.Start(ctx, addr)
		if err != nil {
			return len(acked), fmt.Errorf("round %d: %w", round, err)
		}
		if err := check(s); err != nil {
			s.Kill()
			return len(acked), fmt.Errorf("round %d: %w", round, err)
		}
		lctx, cancel := context.WithCancel(ctx)
		res := make(chan *Stats, 1)
		go func() { res <- Run(lctx, d, s.Addr, cfg.Clients) }()
		wait := cfg.MinRun + time.Duration(rand.Int64N(int64(cfg.MaxRun-cfg.MinRun)+1))
		time.Sleep(wait)
		s.Kill() // under load, mid-request
		time.Sleep(50 * time.Millisecond)
		cancel()
		st := <-res
		acked = append(acked, st.Acks...)
		if _, err := runBin(ctx, cfg.Binary, "audit", "--data", cfg.Data); err != nil {
			return len(acked), fmt.Errorf("round %d: audit after kill -9: %w", round, err)
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "round %d: killed after %v; %d transfers acknowledged (%d in all), %d failed; audit ok\n", round, wait.Round(time.Millisecond), st.OK, len(acked), st.Failed)
			if st.FirstError != nil {
				fmt.Fprintf(cfg.Log, "round %d: first failure: %v\n", round, st.FirstError)
			}
		}
	}
	s, err := d.Start(ctx, addr)
	if err != nil {
		return len(acked), err
	}
	defer s.Stop()
	if err := check(s); err != nil {
		return len(acked), err
	}
	return len(acked), nil
}
