package app

import (
	"context"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// RecordResult is the answer to an accepted record.
type RecordResult struct {
	Seq        int64             `json:"seq"`
	Op         string            `json:"op"`
	RecordedAt string            `json:"recorded_at"`
	Anomalies  []custody.Anomaly `json:"anomalies,omitempty"`
}

// Append appends records as p, through the group committer, and returns
// the first record's event. Extra records (a grant for the opener of a
// case) go in the same transaction.
func (s *Service) Append(ctx context.Context, p *Principal, recs ...ledger.Record) (*custody.Event, error) {
	return s.appendThen(ctx, p, nil, nil, recs...)
}

func (s *Service) appendThen(ctx context.Context, p *Principal, check func(*domain.State) error, after func(*domain.State, []ledger.Result), recs ...ledger.Record) (*custody.Event, error) {
	res, err := s.submit(ctx, p, check, after, recs...)
	if err := firstError(res, err); err != nil {
		return nil, err
	}
	return res[0].Event, nil
}

// submit is appendThen with each record's own result. It is the one path
// of every record a principal appends, so it is where a credential that
// may not change anything (a read-only token) is refused: whatever method
// called it, and whatever that method checked or forgot to. The one record
// such a principal does append is the audit of its own reads
// (access.read, AuditedRead).
func (s *Service) submit(ctx context.Context, p *Principal, check func(*domain.State) error, after func(*domain.State, []ledger.Result), recs ...ledger.Record) ([]ledger.Result, error) {
	if r := s.refusing.Load(); r != nil {
		return nil, r
	}
	if err := mayAppend(p, recs); err != nil {
		return nil, err
	}
	at := s.now().UTC().Format(time.RFC3339Nano)
	for i := range recs {
		recs[i].Recorded = custody.Recorded{At: at, Account: p.Account}
		// Canonicalise here, on the request's goroutine, not in the
		// committer that holds the ledger's lock (on error the ledger
		// tries again and reports it).
		recs[i].Body, _ = fastcodec.MarshalCanonical(recs[i].Rec)
		// Likewise the signatures' cryptography: the committer then checks
		// only the keys and roles against the state.
		if len(recs[i].Sigs) > 0 && recs[i].Body != nil {
			if err := s.verifySigs(&recs[i]); err != nil {
				return nil, err
			}
		}
	}
	return s.Commit.SubmitThen(ctx, recs, check, after)
}

// ErrReadOnly refuses a change made with a read-only token.
func ErrReadOnly() *custody.Error {
	return Forbidden("el token es de solo lectura", "the token is read-only")
}

// ReadOnly refuses a change by a credential that cannot write (a token of
// scope "read"). Every append is refused so (submit); a method that
// changes something also asks first, before it looks at its target, so
// that a read-only token gets the same answer whatever it names and
// learns nothing from it.
func ReadOnly(p *Principal) error {
	if p.CanWrite() {
		return nil
	}
	return ErrReadOnly()
}

// mayAppend refuses records that p's credential does not allow: anything
// but the audit of a read, for a credential that cannot write.
func mayAppend(p *Principal, recs []ledger.Record) error {
	if p.CanWrite() {
		return nil
	}
	for _, r := range recs {
		if r.Op != domain.OpAccessRead {
			return ErrReadOnly()
		}
	}
	return nil
}

// WriteRecord checks rec against the policy and appends it: the one path of
// every case record that arrives over HTTP. check, when not nil, runs first
// (a REST route's path check). Both run in the committer, against the
// state the record is applied to.
func (s *Service) WriteRecord(ctx context.Context, p *Principal, op string, rec any, check func(st *domain.State) error) (*RecordResult, error) {
	return s.writeRecord(ctx, p, op, rec, nil, check)
}

func (s *Service) writeRecord(ctx context.Context, p *Principal, op string, rec any, sigs []custody.Sig, check func(st *domain.State) error) (*RecordResult, error) {
	res, _, err := s.writeRecordWith(ctx, p, op, rec, sigs, check)
	return res, err
}

// writeRecordWith is writeRecord with extra records appended right after
// the act, in the same transaction (a field entry's arrival), and their
// results. The act's refusal is the error; an extra's refusal is its
// result's.
func (s *Service) writeRecordWith(ctx context.Context, p *Principal, op string, rec any, sigs []custody.Sig, check func(st *domain.State) error, extra ...ledger.Record) (*RecordResult, []ledger.Result, error) {
	authorize := func(st *domain.State) error {
		if check != nil {
			if err := check(st); err != nil {
				return err
			}
		}
		_, err := s.Policy.Write(st, p, op, rec)
		return err
	}
	recs := []ledger.Record{{Op: op, Rec: rec, Sigs: sigs}}
	if c, ok := rec.(*casefile.Case); ok {
		recs = append(recs, ledger.Record{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: c.ID, Account: p.Account}})
	}
	recs = append(recs, extra...)
	var anomalies []custody.Anomaly
	after := func(st *domain.State, res []ledger.Result) {
		t, ok := rec.(*custody.Transfer)
		if !ok || len(res) == 0 || res[0].Event == nil {
			return
		}
		if it := st.Items[t.Item]; it != nil {
			for _, a := range it.Anomalies {
				if a.Seq == res[0].Event.Seq {
					anomalies = append(anomalies, a.Anomaly)
				}
			}
		}
	}
	res, err := s.submit(ctx, p, authorize, after, recs...)
	if err == nil {
		err = firstError(res[:len(res)-len(extra)], nil)
	}
	if err != nil {
		return nil, nil, err
	}
	ev := res[0].Event
	return &RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At, Anomalies: anomalies}, res[len(res)-len(extra):], nil
}

// AuditedRead appends an access.read event for each read, as p, and
// returns once they are durable: call it before sending the data.
func (s *Service) AuditedRead(ctx context.Context, p *Principal, reads ...domain.AccessRead) error {
	if len(reads) == 0 {
		return nil
	}
	recs := make([]ledger.Record, len(reads))
	for i := range reads {
		rd := reads[i]
		rd.Account = p.Account
		recs[i] = ledger.Record{Op: domain.OpAccessRead, Rec: &rd}
	}
	_, err := s.Append(ctx, p, recs...)
	return err
}

// verifySigs verifies a record's signatures against the public keys their
// key ids name, and marks it so (ledger.Record.SigsVerified). A key the
// state does not know is left to the ledger, which refuses it.
func (s *Service) verifySigs(r *ledger.Record) error {
	digest := custody.ActDigest(r.Op, r.Body)
	var checks []domain.SigCheck
	s.View(func(st *domain.State) error {
		for _, g := range r.Sigs {
			k := st.Keys[g.Key]
			if k == nil {
				return nil
			}
			checks = append(checks, domain.SigCheck{Key: k.Public, Digest: digest, Sig: g, Officer: k.Officer})
		}
		return nil
	})
	if len(checks) != len(r.Sigs) {
		return nil
	}
	for _, c := range checks {
		if e := c.Check(); e != nil {
			return e
		}
	}
	r.SigsVerified = true
	return nil
}
