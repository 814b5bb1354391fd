package deployment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/postgres"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// Store is a deployment's database: the log with its tables (ledger.Store)
// and the sign-in secrets kept beside them, outside the log.
type Store interface {
	ledger.Store
	Credentials() accounts.Store
}

var (
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)

// Database backends of DatabaseConfig.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// EnvDBPassword holds the database password unless DatabaseConfig names
// another variable. The password never goes in config.json, in flags or in
// logs; without the variable, the driver's own PGPASSWORD and password
// file (~/.pgpass) apply.
const EnvDBPassword = "CUSTODIA_DB_PASSWORD"

// DatabaseConfig is the "database" object of config.json: where the log,
// its tables and the sign-in secrets are kept. The default (no object, or
// backend "sqlite") is the SQLite file DATA/custodia.db. Backend
// "postgres" keeps them in a PostgreSQL database that several servers
// (several data directories holding the same log key) may share; its
// connection string has no password (see EnvDBPassword).
type DatabaseConfig struct {
	Backend     string `json:"backend"`                // "sqlite" (default) or "postgres"
	DSN         string `json:"dsn,omitempty"`          // postgres: a postgres:// URL or key=value string, without password
	PasswordEnv string `json:"password_env,omitempty"` // postgres: the variable holding the password; default CUSTODIA_DB_PASSWORD
}

// IsPostgres reports whether c names a PostgreSQL database.
func (c *DatabaseConfig) IsPostgres() bool { return c != nil && c.Backend == BackendPostgres }

// PostgresConfig checks a PostgreSQL connection string given on the command
// line (custodia init --db, custodia migrate --to) and returns the
// configuration that records it. A password in it is refused: it would go
// into config.json and be seen in the list of processes.
func PostgresConfig(dsn string) (*DatabaseConfig, error) {
	if dsn == "" {
		return nil, custody.Errorf(custody.EInvalid, "db", "falta la cadena de conexión de PostgreSQL (postgres://USUARIO@HOST/BASE)", "the PostgreSQL connection string is missing (postgres://USER@HOST/DB)")
	}
	if postgres.HasPassword(dsn) {
		return nil, custody.Errorf(custody.EInvalid, "db",
			"%s lleva una contraseña: quedaría en config.json y en la lista de procesos; quítela y defínala en %s (o PGPASSWORD, o ~/.pgpass)",
			"%s holds a password: it would go into config.json and the list of processes; remove it and set %s (or PGPASSWORD, or ~/.pgpass)",
			postgres.Redact(dsn), EnvDBPassword)
	}
	return &DatabaseConfig{Backend: BackendPostgres, DSN: dsn}, nil
}

// check validates a configuration read from config.json.
func (c *DatabaseConfig) check() error {
	if c == nil || c.Backend == "" || c.Backend == BackendSQLite {
		return nil
	}
	if c.Backend != BackendPostgres {
		return custody.Errorf(custody.EInvalid, "database.backend", "%s: base de datos %q desconocida (sqlite o postgres)", "%s: unknown database %q (sqlite or postgres)", ConfigFile, c.Backend)
	}
	if c.DSN == "" {
		return custody.Errorf(custody.EInvalid, "database.dsn", "%s: falta la cadena de conexión de PostgreSQL", "%s: the PostgreSQL connection string is missing", ConfigFile)
	}
	if postgres.HasPassword(c.DSN) {
		return custody.Errorf(custody.EInvalid, "database.dsn", "%s: la cadena de conexión lleva una contraseña (%s); quítela y defínala en %s",
			"%s: the connection string holds a password (%s); remove it and set %s", ConfigFile, postgres.Redact(c.DSN), c.passwordEnv())
	}
	return nil
}

func (c *DatabaseConfig) passwordEnv() string {
	if c.PasswordEnv != "" {
		return c.PasswordEnv
	}
	return EnvDBPassword
}

// Describe names the database for people: the SQLite file, or the
// PostgreSQL connection string without its password.
func (c *DatabaseConfig) Describe(dir string) string {
	if c.IsPostgres() {
		return "postgres " + postgres.Redact(c.DSN)
	}
	return filepath.Join(dir, DBFile)
}

// openPostgres connects to the database of c, with the password from the
// environment.
func openPostgres(ctx context.Context, c *DatabaseConfig) (*postgres.Store, error) {
	var opts []postgres.Option
	if pw := os.Getenv(c.passwordEnv()); pw != "" {
		opts = append(opts, postgres.WithPassword(pw))
	}
	st, err := postgres.Open(ctx, c.DSN, opts...)
	if err != nil {
		// The driver's text says what failed (it names the database
		// and never its password).
		return nil, custody.Errorf(custody.EBusy, "database", "no se puede usar la base de datos PostgreSQL: %v", "cannot use the PostgreSQL database: %v", err)
	}
	return st, nil
}

// openDatabase opens the store that cfg names and, for PostgreSQL, checks
// that the database holds this deployment's log (its origin and public
// key), not another's, and not none.
func openDatabase(ctx context.Context, dir string, cfg Config, vkey string, opts ...sqlite.Option) (Store, error) {
	if err := cfg.Database.check(); err != nil {
		return nil, err
	}
	if !cfg.Database.IsPostgres() {
		return sqlite.Open(ctx, filepath.Join(dir, DBFile), opts...)
	}
	st, err := openPostgres(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	origin, pub, err := st.Identity(ctx)
	switch {
	case errors.Is(err, postgres.ErrNoIdentity):
		err = custody.Errorf(custody.EInvalid, "database", "la base de datos %s no tiene ningún registro: créelo con custodia init --db o custodia migrate --to",
			"the database %s holds no log: create it with custodia init --db or custodia migrate --to", postgres.Redact(cfg.Database.DSN))
	case err != nil:
	case origin != cfg.Origin || pub != vkey:
		err = custody.Errorf(custody.EConflict, "database", "la base de datos %s guarda el registro %q con otra clave, no el de %s (%q): no se escribe en el registro de otro",
			"the database %s holds the log %q with another key, not the one of %s (%q): no one writes to another's log", postgres.Redact(cfg.Database.DSN), origin, dir, cfg.Origin)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// claimPostgres makes the empty database of c the home of the log with
// this origin and public key (custodia init --db, custodia migrate).
func claimPostgres(ctx context.Context, c *DatabaseConfig, origin, vkey string) (*postgres.Store, error) {
	st, err := openPostgres(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := st.Claim(ctx, origin, vkey); err != nil {
		st.Close()
		if errors.Is(err, postgres.ErrClaimed) {
			return nil, custody.Errorf(custody.EConflict, "db", "la base de datos %s no está vacía (%v): un registro no se crea sobre la historia de otro; use una base de datos nueva",
				"the database %s is not empty (%v): a log is never created over another's history; use a new database", postgres.Redact(c.DSN), err)
		}
		return nil, fmt.Errorf("%s: %w", postgres.Redact(c.DSN), err)
	}
	return st, nil
}
