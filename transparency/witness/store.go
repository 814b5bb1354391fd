package witness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// migrations are applied in order; PRAGMA user_version counts those applied.
// Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: the latest cosigned checkpoint per log, and the refused requests
	// that might be evidence of log misbehaviour (c2sp.org/tlog-witness
	// allows a witness to keep them).
	`CREATE TABLE checkpoints (
		origin   TEXT PRIMARY KEY,
		size     INTEGER NOT NULL CHECK (size >= 0),
		root     BLOB NOT NULL CHECK (length(root) = 32),
		cosigned TEXT NOT NULL,
		updated  TEXT NOT NULL
	) STRICT;
	CREATE TABLE refusals (
		id       INTEGER PRIMARY KEY,
		origin   TEXT NOT NULL,
		received TEXT NOT NULL,
		status   INTEGER NOT NULL,
		reason   TEXT NOT NULL,
		request  BLOB NOT NULL
	) STRICT;`,
}

// store is the witness's own SQLite database. Every change is one
// transaction that is durable (WAL, synchronous=FULL) when it commits.
type store struct {
	db *sql.DB
}

// logState is what the witness remembers about one log: the size and root
// of the latest checkpoint it cosigned, and that checkpoint as it served it.
type logState struct {
	Size     int64
	Root     tlog.Hash
	Cosigned []byte
	Updated  time.Time
}

func openStore(ctx context.Context, path string) (*store, error) {
	dsn := path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("abrir %s / open %s: %w", path, path, err)
	}
	s := &store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("base de datos del testigo %s / witness database %s: %w", path, path, err)
	}
	return s, nil
}

func (s *store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("versión de esquema %d más nueva que este programa (%d) / schema version %d is newer than this program (%d)",
			version, len(migrations), version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migración %d / migration %d: %w", i+1, i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *store) Close() error { return s.db.Close() }

// begin starts a write transaction; with _txlock=immediate it holds the
// database's write lock from the start, so that reading the stored size and
// writing the new one are one atomic step, even across processes.
func (s *store) begin(ctx context.Context) (*sql.Tx, error) {
	return s.db.BeginTx(ctx, nil)
}

// errNoState means the witness has never cosigned a checkpoint of the log.
var errNoState = errors.New("sin estado / no state")

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getState(ctx context.Context, q querier, origin string) (logState, error) {
	var st logState
	var root []byte
	var cosigned, updated string
	err := q.QueryRowContext(ctx, "SELECT size, root, cosigned, updated FROM checkpoints WHERE origin = ?", origin).
		Scan(&st.Size, &root, &cosigned, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return st, errNoState
	}
	if err != nil {
		return st, err
	}
	if len(root) != len(st.Root) {
		return st, fmt.Errorf("raíz almacenada corrupta para %q / stored root corrupt for %q", origin, origin)
	}
	copy(st.Root[:], root)
	st.Cosigned = []byte(cosigned)
	st.Updated, err = time.Parse(time.RFC3339Nano, updated)
	return st, err
}

func putState(ctx context.Context, tx *sql.Tx, origin string, st logState) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (origin, size, root, cosigned, updated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,
			cosigned = excluded.cosigned, updated = excluded.updated`,
		origin, st.Size, st.Root[:], string(st.Cosigned), st.Updated.UTC().Format(time.RFC3339Nano))
	return err
}

func putRefusal(ctx context.Context, tx *sql.Tx, origin string, at time.Time, status int, reason string, request []byte) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO refusals (origin, received, status, reason, request) VALUES (?, ?, ?, ?, ?)",
		origin, at.UTC().Format(time.RFC3339Nano), status, reason, request)
	return err
}

// Refusal is a request the witness refused although the log had signed it:
// kept as possible evidence of a fork or a rollback.
type Refusal struct {
	Origin   string
	Received time.Time
	Status   int
	Reason   string
	Request  []byte // the add-checkpoint body as received
}

func listRefusals(ctx context.Context, db *sql.DB, origin string) ([]Refusal, error) {
	rows, err := db.QueryContext(ctx, "SELECT origin, received, status, reason, request FROM refusals WHERE origin = ? ORDER BY id", origin)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		var r Refusal
		var received string
		if err := rows.Scan(&r.Origin, &received, &r.Status, &r.Reason, &r.Request); err != nil {
			return nil, err
		}
		r.Received, _ = time.Parse(time.RFC3339Nano, received)
		out = append(out, r)
	}
	return out, rows.Err()
}
