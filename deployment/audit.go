package deployment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/postgres"
	"golang.org/x/mod/sumdb/note"
)

// Audit replays the log of the deployment in dir (ledger.Audit: every
// event, hash, checkpoint and projection row) and adds what only the
// deployment can compare with it:
//   - the settings of config.json against those the log applies (a
//     deadline edited in the file, behind the log's back);
//   - the sign-in rows (credentials, API tokens) against the commitments
//     the log recorded for them;
//   - the checkpoint held beside the database (HeldFile) against the log
//     (a database restored from a backup, or forked).
func Audit(ctx context.Context, dir string, st Store, cfg Config, v note.Verifier) (*ledger.AuditReport, error) {
	return AuditSince(ctx, dir, st, cfg, v, 0)
}

// auditSettle is how long an audit of a database that servers are writing
// waits for a moment when the newest transaction's checkpoint is stored
// (see postgres.Store.Snapshot).
const auditSettle = 10 * time.Second

// AuditSince is Audit verifying signatures only from event since on (see
// ledger.AuditSince): since must be the size of a signed checkpoint that an
// earlier audit found clean.
func AuditSince(ctx context.Context, dir string, st Store, cfg Config, v note.Verifier, since int64) (*ledger.AuditReport, error) {
	if ps, ok := st.(*postgres.Store); ok {
		// Servers may be writing: audit one moment of the database.
		snap, err := ps.Snapshot(ctx, auditSettle)
		if err != nil {
			return nil, err
		}
		defer snap.Close()
		st = snap
	}
	rep, err := ledger.AuditSince(ctx, st, v, RecordRules, since)
	if err != nil {
		return nil, err
	}
	problem := func(p ledger.Problem) {
		rep.OK = false
		rep.Problems = append(rep.Problems, p)
	}
	if rep.State != nil {
		for _, m := range settingMismatches(rep.State.Config(), cfg.Rules()) {
			problem(m)
		}
		ps, err := credentialMismatches(ctx, rep.State, st.Credentials())
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			problem(p)
		}
	}
	if held, err := os.ReadFile(filepath.Join(dir, HeldFile)); err == nil {
		if err := ledger.CheckHeldStore(ctx, st, v, cfg.Origin, rep.Events, held); err != nil {
			var ce *custody.Error
			if !errors.As(err, &ce) {
				return nil, err
			}
			problem(ledger.Problem{Kind: "held_checkpoint", Message: ce.Message, MessageEN: ce.MessageEN})
		}
	}
	return rep, nil
}
