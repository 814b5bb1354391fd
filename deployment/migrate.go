package deployment

import (
	"context"
	"errors"
	"fmt"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/postgres"
)

// MigrateResult says what Migrate copied and what the audit of the copy
// found.
type MigrateResult struct {
	Copied postgres.CopyCounts `json:"copied"`
	Audit  *ledger.AuditReport `json:"audit"`
	Target string              `json:"target"` // the database, password-free
	Config *DatabaseConfig     `json:"-"`
}

// Migrate moves the log of the SQLite deployment in dir to the new, empty
// PostgreSQL database that to names: it claims the database for the log,
// copies everything verbatim (postgres.Store.CopyLog), audits the copy
// as custodia audit would (every event, hash, checkpoint, row and sign-in
// row, and the checkpoint held in dir), and only when the audit is clean
// records the database in config.json, so that every later command uses
// it. The SQLite file is left as it was. A copy the audit finds fault with
// is returned with a nil error and the report, and config.json is not
// changed: the database then holds a copy no server uses, to be dropped.
func Migrate(ctx context.Context, dir string, to *DatabaseConfig, progress func(events int64)) (*MigrateResult, error) {
	if !to.IsPostgres() {
		return nil, errors.New("deployment: migrate needs a PostgreSQL database")
	}
	if err := to.check(); err != nil {
		return nil, err
	}
	src, cfg, v, err := OpenStore(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if cfg.Database.IsPostgres() {
		return nil, custody.Errorf(custody.EConflict, "data", "el despliegue de %s ya usa PostgreSQL (%s)", "the deployment in %s already uses PostgreSQL (%s)", dir, postgres.Redact(cfg.Database.DSN))
	}
	vkey, err := ReadPublicKey(dir)
	if err != nil {
		return nil, err
	}
	// The source's write lock, held while it is read: nothing can be
	// written to it meanwhile (a server still running there waits, then
	// fails), so the copy is of one state of the log. Servers must be
	// stopped before a migration anyway: after it, they would go on
	// writing to the file no command reads any more.
	lock, err := src.Begin(ctx)
	if err != nil {
		return nil, custody.Errorf(custody.EBusy, "data", "no se pudo bloquear la base de datos de %s (¿hay un servidor en marcha? deténgalo antes de migrar): %v",
			"could not lock the database of %s (is a server running? stop it before migrating): %v", dir, err)
	}
	defer lock.Rollback()
	dst, err := claimPostgres(ctx, to, cfg.Origin, vkey)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	res := &MigrateResult{Target: postgres.Redact(to.DSN), Config: to}
	if res.Copied, err = dst.CopyLog(ctx, src, src.Credentials(), progress); err != nil {
		return nil, fmt.Errorf("%s: %w (the database holds this log's identity and nothing else: drop it and create it again before retrying)", res.Target, err)
	}
	if res.Audit, err = Audit(ctx, dir, dst, cfg, v); err != nil {
		return nil, err
	}
	if !res.Audit.OK {
		return res, nil
	}
	cur, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	cur.Database = to
	if err := writeConfig(dir, cur); err != nil {
		return nil, err
	}
	return res, nil
}
