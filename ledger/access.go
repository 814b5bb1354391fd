package ledger

import (
	"context"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// AccessEntry is one audited read: who read what in a case, and when the
// system recorded it.
type AccessEntry struct {
	Seq     int64  `json:"seq"`
	At      string `json:"at"` // recorded at, RFC 3339 UTC
	Account string `json:"account"`
	Kind    string `json:"kind"`
	ID      string `json:"id"`
}

// AccessLog returns the access.read events of a case recorded at or after
// since (zero: all), in log order.
func (l *Ledger) AccessLog(ctx context.Context, caseID string, since time.Time) ([]AccessEntry, error) {
	seqs, err := l.caseSeqs(ctx, caseID)
	if err != nil {
		return nil, err
	}
	evs, _, err := l.readEvents(ctx, seqs)
	if err != nil {
		return nil, err
	}
	out := []AccessEntry{}
	for _, ev := range evs {
		if ev.Op != domain.OpAccessRead {
			continue
		}
		if !since.IsZero() {
			t, err := custody.ParseTime(ev.Recorded.At)
			if err != nil || t.Before(since) {
				continue
			}
		}
		rec, err := domain.DecodeSystemRecord(ev.Op, ev.Record)
		if err != nil {
			return nil, err
		}
		rd := rec.(*domain.AccessRead)
		out = append(out, AccessEntry{Seq: ev.Seq, At: ev.Recorded.At, Account: rd.Account, Kind: rd.Kind, ID: rd.ID})
	}
	return out, nil
}
