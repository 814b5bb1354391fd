// Package postgres is the PostgreSQL storage of Custodia, for deployments
// that outgrow one machine: several servers share one log in one database.
// It implements ledger.Store with jackc/pgx. All of Custodia's PostgreSQL
// SQL lives here.
//
// The log is sequenced through the database, one writer at a time: every
// write transaction locks the one row of log_lock (SELECT ... FOR UPDATE)
// and only then reads the log's size, so a second server's transaction
// waits for the first to commit or roll back and continues the log after
// it. Seqs therefore have no gap and no repeat whichever server writes;
// there is no SEQUENCE, whose numbers a rolled-back transaction would
// waste. Transactions are READ COMMITTED, so the read after the lock sees
// everything the previous holder committed.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a PostgreSQL database holding one deployment's log and
// projection. Any number of Stores, in any number of processes, may share
// one database.
type Store struct {
	pool *pgxpool.Pool
	// q is what the reads run on: the pool, or the transaction of a
	// Snapshot that sees one moment of the database.
	q querier
	// cols are the SQL types of each projection table's columns, by
	// table, in domain.Tables' column order ("text" or "bigint"); Open
	// reads them from the database and checks them against domain.Tables.
	cols map[string][]string
}

var _ ledger.Store = (*Store)(nil)

// Open connects to the database that dsn names (a postgres:// URL or
// key=value connection string) and brings its schema up to date. The
// database must exist and use the UTF8 encoding; Open creates the tables.
// No error it returns holds the password.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, redactError(fmt.Errorf("postgres: %s: %w", Redact(dsn), err), o.password)
	}
	if o.password != "" {
		cfg.ConnConfig.Password = o.password
	}
	pw := cfg.ConnConfig.Password
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, redactError(fmt.Errorf("postgres: %s: %w", Redact(dsn), err), pw)
	}
	s := &Store{pool: pool, q: pool}
	if err := s.open(ctx); err != nil {
		pool.Close()
		return nil, redactError(fmt.Errorf("%w (database %s)", err, Redact(dsn)), pw)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	var enc string
	if err := s.pool.QueryRow(ctx, `SHOW server_encoding`).Scan(&enc); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if enc != "UTF8" {
		return fmt.Errorf("postgres: the database's encoding is %s; Custodia needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)", enc)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	return s.readColumns(ctx)
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrationsLock is the advisory lock key under which migrations run, so
// that servers starting together on a new database do not race to create
// it. Advisory locks are per database.
const migrationsLock = 0x637573746f646961 // "custodia"

// Migrations returns the numbered migrations, in order.
func Migrations() ([]int, error) {
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = n.version
	}
	return out, nil
}

type migration struct {
	name    string
	version int
}

func migrationNames() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, len(names))
	for i, name := range names {
		var v int
		if _, err := fmt.Sscanf(strings.TrimPrefix(name, "migrations/"), "%d_", &v); err != nil {
			return nil, fmt.Errorf("postgres: migration %s is not numbered", name)
		}
		if i > 0 && v <= out[i-1].version {
			return nil, fmt.Errorf("postgres: migration %s repeats or goes back on number %d", name, out[i-1].version)
		}
		out[i] = migration{name, v}
	}
	return out, nil
}

// migrate applies each migration not yet applied, each in its own
// transaction under the migrations' advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrationNames()
	if err != nil {
		return err
	}
	for _, m := range ms {
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationsLock)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil || n > 0 {
				return err
			}
			// No arguments: the simple protocol, which runs a file of
			// several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version) VALUES ($1)`, m.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// readColumns reads the SQL type of every projection column and checks
// that each table of domain.Tables has exactly its columns, text or
// bigint: what PutRows and ScanRows rely on.
func (s *Store) readColumns(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`)
	if err != nil {
		return fmt.Errorf("postgres: columns: %w", err)
	}
	types := map[string]map[string]string{}
	for rows.Next() {
		var tab, col, typ string
		if err := rows.Scan(&tab, &col, &typ); err != nil {
			return err
		}
		if types[tab] == nil {
			types[tab] = map[string]string{}
		}
		types[tab][col] = typ
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.cols = map[string][]string{}
	for _, t := range domain.Tables {
		have := types[t.Name]
		if len(have) != len(t.Columns) {
			return fmt.Errorf("postgres: table %s has %d columns, the projection %d", t.Name, len(have), len(t.Columns))
		}
		cts := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			switch have[c] {
			case "text", "bigint":
				cts[i] = have[c]
			default:
				return fmt.Errorf("postgres: column %s.%s is %q, want text or bigint", t.Name, c, have[c])
			}
		}
		s.cols[t.Name] = cts
	}
	return nil
}

// Size returns the number of committed events.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	if err := s.q.QueryRow(ctx, sqlSize).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	return n, nil
}

const (
	sqlSize      = `SELECT coalesce(max(seq) + 1, 0) FROM events`
	sqlEventCols = `seq, item, case_id, data, hashes, prev, case_prev`
)

// prev reads the prev and case_prev columns: NULL is -1 (no link), and a
// negative value, which the store never writes, is -2 (as in the SQLite
// store), which differs from every value the ledger writes, so that audit
// reports it.
func prev(v pgtype.Int8) int64 {
	switch {
	case !v.Valid:
		return -1
	case v.Int64 < 0:
		return -2
	}
	return v.Int64
}

// ScanEvents calls fn for each event from seq from, in order. It reads
// the log a page of scanPage events at a time (keyset pagination on seq),
// so that a scan fn stops early reads at most one page more: a PostgreSQL
// query closed early still sends the rest of its rows, and audit reads
// the log in chunks that each stop where the next one starts. Each
// event's Data and Hashes are copied out of the driver's buffer, which
// the next row overwrites, since fn may keep them (ledger.Store).
func (s *Store) ScanEvents(ctx context.Context, from int64, fn func(ledger.StoredEvent) error) error {
	for {
		next, full, err := s.scanPage(ctx, from, fn)
		if err != nil || !full {
			return err
		}
		from = next
	}
}

// scanPage is how many events one query of ScanEvents reads.
const scanPage = 8192

// scanPage calls fn for up to scanPage events from seq from; it returns
// the seq after the last one read and whether the page was full (more
// may follow).
func (s *Store) scanPage(ctx context.Context, from int64, fn func(ledger.StoredEvent) error) (next int64, full bool, err error) {
	rows, err := s.q.Query(ctx, `SELECT `+sqlEventCols+` FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, scanPage)
	if err != nil {
		return 0, false, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var (
			e             ledger.StoredEvent
			prevs, cprevs pgtype.Int8
		)
		if err := rows.Scan(&e.Seq, &e.Item, &e.Case, &e.Data, &e.Hashes, &prevs, &cprevs); err != nil {
			return 0, false, fmt.Errorf("postgres: event row: %w", err)
		}
		e.Prev, e.CasePrev = prev(prevs), prev(cprevs)
		n++
		next = e.Seq + 1
		if err := fn(e); err != nil {
			return 0, false, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("postgres: %w", err)
	}
	return next, n == scanPage, nil
}

// ReadEvents returns the events with the given seqs, in that order.
func (s *Store) ReadEvents(ctx context.Context, seqs []int64) ([]ledger.StoredEvent, error) {
	rows, err := s.q.Query(ctx, `SELECT `+sqlEventCols+` FROM events WHERE seq = ANY($1)`, seqs)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	got := make(map[int64]ledger.StoredEvent, len(seqs))
	for rows.Next() {
		var e ledger.StoredEvent
		var p, cp pgtype.Int8
		if err := rows.Scan(&e.Seq, &e.Item, &e.Case, &e.Data, &e.Hashes, &p, &cp); err != nil {
			return nil, fmt.Errorf("postgres: event row: %w", err)
		}
		e.Prev, e.CasePrev = prev(p), prev(cp)
		got[e.Seq] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	out := make([]ledger.StoredEvent, len(seqs))
	for i, q := range seqs {
		e, ok := got[q]
		if !ok {
			return nil, fmt.Errorf("postgres: event %d: %w", q, ledger.ErrNotFound)
		}
		out[i] = e
	}
	return out, nil
}

// EventHashes returns the hashes column of the given events, in one query.
func (s *Store) EventHashes(ctx context.Context, seqs []int64) ([][]byte, error) {
	rows, err := s.q.Query(ctx, `SELECT seq, hashes FROM events WHERE seq = ANY($1)`, seqs)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	got := make(map[int64][]byte, len(seqs))
	for rows.Next() {
		var seq int64
		var h []byte
		if err := rows.Scan(&seq, &h); err != nil {
			return nil, err
		}
		got[seq] = h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	out := make([][]byte, len(seqs))
	for i, q := range seqs {
		h, ok := got[q]
		if !ok {
			return nil, fmt.Errorf("postgres: event %d: %w", q, ledger.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

// chainSQL walks a chain of events back from the one with seq $2 and key
// column $1, by its link column, one primary-key lookup per event. A link
// must point back (link < seq), so that even a tampered database cannot
// make the walk loop.
func chainSQL(key, link string) string {
	return fmt.Sprintf(`WITH RECURSIVE chain(seq) AS (
	SELECT seq FROM events WHERE seq = $2 AND %[1]s = $1
	UNION ALL
	SELECT e.%[2]s FROM events e JOIN chain c ON e.seq = c.seq WHERE e.%[1]s = $1 AND e.%[2]s < e.seq
)
SELECT seq FROM chain ORDER BY seq`, key, link)
}

var (
	sqlItemChain = chainSQL("item", "prev")
	sqlCaseChain = chainSQL("case_id", "case_prev")
)

func (s *Store) seqs(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return out, nil
}

// ItemEvents returns the seqs of an item's history, following the prev
// links back from last (see ledger.Store).
func (s *Store) ItemEvents(ctx context.Context, item string, last int64) ([]int64, error) {
	if item == "" {
		return nil, nil
	}
	return s.seqs(ctx, sqlItemChain, item, last)
}

// CaseEvents returns the seqs of a case's events, following the case_prev
// links back from last (see ledger.Store).
func (s *Store) CaseEvents(ctx context.Context, c string, last int64) ([]int64, error) {
	if c == "" {
		return nil, nil
	}
	return s.seqs(ctx, sqlCaseChain, c, last)
}

// Checkpoints returns every signed checkpoint by size.
func (s *Store) Checkpoints(ctx context.Context) ([]ledger.Checkpoint, error) {
	rows, err := s.q.Query(ctx, `SELECT size, root, note FROM checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	var out []ledger.Checkpoint
	for rows.Next() {
		var c ledger.Checkpoint
		var root []byte
		if err := rows.Scan(&c.Size, &root, &c.Note); err != nil {
			return nil, err
		}
		copy(c.Root[:], root)
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutCosigned stores (or replaces) the cosigned checkpoint of a size.
func (s *Store) PutCosigned(ctx context.Context, size int64, note []byte) error {
	_, err := s.q.Exec(ctx, `INSERT INTO cosigned(size, note) VALUES ($1, $2) ON CONFLICT (size) DO UPDATE SET note = excluded.note`, size, note)
	if err != nil {
		return fmt.Errorf("postgres: cosigned checkpoint %d: %w", size, err)
	}
	return nil
}

// Cosigned returns the cosigned checkpoints by size (Root is not set).
func (s *Store) Cosigned(ctx context.Context) ([]ledger.Checkpoint, error) {
	rows, err := s.q.Query(ctx, `SELECT size, note FROM cosigned ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	var out []ledger.Checkpoint
	for rows.Next() {
		var c ledger.Checkpoint
		if err := rows.Scan(&c.Size, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ScanRows calls fn for each row of a projection table in key order (by
// bytes, the columns' collation being "C"). Values are string, int64 or
// nil: the columns are text or bigint (readColumns).
func (s *Store) ScanRows(ctx context.Context, t domain.Table, fn func(domain.Row) error) error {
	if _, ok := s.cols[t.Name]; !ok {
		return fmt.Errorf("postgres: %s is not a projection table", t.Name)
	}
	q := fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s`, strings.Join(t.Columns, ", "), t.Name, strings.Join(t.Columns[:t.Keys], ", "))
	rows, err := s.q.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", t.Name, err)
		}
		if err := fn(domain.Row(vals)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// querier is the reads' half of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// errLockRow is returned by Begin when log_lock has lost its row: without
// it no transaction could keep another out, so none may write.
var errLockRow = errors.New("postgres: the log's lock row (table log_lock) is missing; the database was changed outside Custodia")
