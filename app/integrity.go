package app

import (
	"context"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/evidence"
	"github.com/custodia-ec/custodia/ledger"
)

// IntegrityAccount records the background job's blob.check events.
const IntegrityAccount = "system:integrity"

// defaultCheckRate is the job's read cap when Config.CheckBytesPerSecond
// is 0: a fraction of a disk's sequential throughput.
const defaultCheckRate = 64 << 20

// startIntegrity runs the scheduled integrity check every CheckInterval
// until the server closes.
func (s *Service) startIntegrity() {
	if s.cfg.Blobs == nil || s.cfg.CheckInterval <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.done
		cancel()
	}()
	go func() {
		t := time.NewTicker(s.cfg.CheckInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := s.CheckFiles(ctx); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "integrity check failed", "err", err.Error())
			}
		}
	}()
}

// CheckFiles re-hashes every file the log references, at most
// CheckBytesPerSecond, and records each result as a blob.check event
// through the committer. Files found missing or changed are logged at
// error level; the item's data and the audit show them.
func (s *Service) CheckFiles(ctx context.Context) (*evidence.Summary, error) {
	rate := s.cfg.CheckBytesPerSecond
	if rate == 0 {
		rate = defaultCheckRate
	}
	c := &evidence.Checker{Ledger: s.l, Store: s.cfg.Blobs, BytesPerSecond: rate,
		Append: func(ctx context.Context, recs []ledger.Record) ([]ledger.Result, error) {
			at := s.now().UTC().Format(time.RFC3339Nano)
			for i := range recs {
				recs[i].Recorded = custody.Recorded{At: at, Account: IntegrityAccount}
			}
			return s.Commit.Submit(ctx, recs)
		}}
	start := time.Now()
	sum, err := c.Run(ctx, "", func(ch evidence.Check) error {
		if ch.Result != domain.BlobOK {
			_, en := evidence.Describe(ch.BlobCheck)
			s.log.ErrorContext(ctx, "evidence file alert", "item", ch.Item, "sha256", ch.SHA256, "result", ch.Result, "seq", ch.Seq, "msg", en)
		}
		return nil
	})
	if sum != nil {
		s.log.InfoContext(ctx, "integrity check", "files", sum.Files, "problems", sum.Problems, "unreadable", sum.Unreadable, "bytes", sum.Bytes, "ms", time.Since(start).Milliseconds())
	}
	return sum, err
}
