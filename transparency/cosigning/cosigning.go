// Package cosigning sends the log's checkpoints to independent witnesses
// (C2SP tlog-witness) and keeps the cosigned checkpoints they return, so that
// the bundles Custodia exports carry checkpoints that other institutions
// vouch for: a log that showed two histories, or was rolled back, could not
// get both cosigned.
//
// The witnesses and the quorum come from a policy file (C2SP tlog-policy, as
// package verify reads it; each witness line names its URL). The log keeps
// working when witnesses are down: checkpoints are still signed and
// published, and Status says which witnesses answered.
package cosigning

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/verify"
)

// Publisher gathers cosignatures for the log's newest checkpoint whenever the
// log has grown.
type Publisher struct {
	l        *ledger.Ledger
	g        *witness.Gatherer
	log      *slog.Logger
	interval time.Duration

	mu     sync.Mutex
	status Status
}

// Status is what the publisher last achieved, for /readyz, metrics and
// operators.
type Status struct {
	Size      int64                   `json:"size"`       // the checkpoint last sent
	Cosigners []string                `json:"cosigners"`  // who cosigned it
	QuorumMet bool                    `json:"quorum_met"` // whether they meet the policy
	Witnesses []witness.WitnessStatus `json:"witnesses"`
	At        time.Time               `json:"at"`
	Err       string                  `json:"error,omitempty"`
}

// proofs serves consistency proofs from the ledger to catch witnesses up.
type proofs struct{ l *ledger.Ledger }

func (p proofs) ConsistencyProof(ctx context.Context, old, size int64) (tlog.TreeProof, error) {
	return p.l.ConsistencyProof(ctx, old, size)
}

// New builds a Publisher from a policy file's contents. Every witness of the
// policy must have a URL.
func New(l *ledger.Ledger, policy []byte, interval time.Duration, log *slog.Logger) (*Publisher, error) {
	p, err := verify.ParsePolicy(policy)
	if err != nil {
		return nil, fmt.Errorf("política de testigos / witness policy: %w", err)
	}
	var ws []witness.Witness
	for _, pw := range p.Witnesses {
		if pw.URL == "" {
			return nil, fmt.Errorf("el testigo %q no tiene URL en la política / witness %q has no URL in the policy", pw.Name, pw.Name)
		}
		w, err := witness.NewWitness(pw.Name, pw.URL, pw.VKey)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("la política no nombra testigos / the policy names no witnesses")
	}
	g, err := witness.NewGatherer(witness.GathererConfig{Witnesses: ws, Quorum: p, Proofs: proofs{l}, Timeout: 5 * time.Second})
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{l: l, g: g, log: log, interval: interval}, nil
}

// Status returns the latest result.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Run publishes until ctx is done.
func (p *Publisher) Run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		if err := p.Once(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("cosigning", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once sends the newest checkpoint to the witnesses if it is newer than the
// last one sent, and stores what comes back. Witnesses that are down or
// behind are reported in Status; the gatherer catches up stale ones with a
// consistency proof.
func (p *Publisher) Once(ctx context.Context) error {
	cp, err := p.l.LatestCheckpoint(ctx)
	if err != nil {
		return nil // an empty log has nothing to cosign
	}
	p.mu.Lock()
	done := p.status.Size == cp.Size && p.status.QuorumMet && len(p.status.Cosigners) == len(p.status.Witnesses)
	p.mu.Unlock()
	if done {
		return nil
	}
	res, err := p.g.Gather(ctx, cp.Note)
	st := Status{Size: cp.Size, At: time.Now().UTC(), Witnesses: p.g.Status()}
	if err != nil {
		st.Err = err.Error()
	}
	if res != nil {
		st.Cosigners, st.QuorumMet = res.Cosigners, res.QuorumMet
		if len(res.Cosigners) > 0 {
			if aerr := p.l.AddCosigned(ctx, res.Checkpoint); aerr != nil {
				err = aerr
				st.Err = aerr.Error()
			}
		}
	}
	p.mu.Lock()
	p.status = st
	p.mu.Unlock()
	return err
}
