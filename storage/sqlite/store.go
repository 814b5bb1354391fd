// Package sqlite is the SQLite storage of Custodia, the embedded default. It
// implements ledger.Store with modernc.org/sqlite (pure Go, no cgo), in WAL
// mode with synchronous=FULL, so that a committed transaction survives a
// crash or a power cut. All of Custodia's SQLite SQL lives here.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a SQLite database holding one deployment's log and projection.
type Store struct {
	db    *sql.DB
	stmts stmtCache // the write path's statements, prepared once
}

// stmtCache holds the write transactions' statements, prepared once per
// Store: database/sql prepares each on a connection the first time a
// transaction on that connection uses it, and reuses it after, instead of
// parsing the SQL again in every transaction.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns the transaction's handle of the statement named key, whose
// SQL query returns.
func (c *stmtCache) stmt(ctx context.Context, db *sql.DB, tx *sql.Tx, key string, query func() string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[key]
	if !ok {
		var err error
		if st, err = db.PrepareContext(ctx, query()); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[key] = st
	}
	c.mu.Unlock()
	return tx.StmtContext(ctx, st), nil
}

var _ ledger.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its schema
// up to date.
// Option changes how a Store opens its database.
type Option func(*options)

type options struct{ mmap int64 }

// WithMmap sets how much of the database file SQLite reads through a memory
// map. Mapped pages count in the process's resident memory, so the default
// is modest (128 MiB); a one-off full scan such as audit is faster with the
// whole file mapped.
func WithMmap(bytes int64) Option { return func(o *options) { o.mmap = bytes } }

func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{mmap: 128 << 20}
	for _, f := range opts {
		f(&o)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_pragma=mmap_size(" + fmt.Sprint(o.mmap) + ")&_txlock=immediate"
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := create(ctx, path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// pageSize is the page size of new databases. Events are about 550 bytes
// with their hashes; 16 KiB pages quarter the writes of 4 KiB ones, which
// is most of an import's system time.
const pageSize = 16384

// create makes a new, empty database file with the page size set, which
// must happen before the first table and before WAL mode.
func create(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{fmt.Sprintf("PRAGMA page_size = %d", pageSize), "PRAGMA journal_mode = WAL",
		"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite: create %s: %w", path, err)
		}
	}
	return db.Close()
}

// DB exposes the database handle, for tests that tamper with it.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		var v int
		if _, err := fmt.Sscanf(strings.TrimPrefix(name, "migrations/"), "%d_", &v); err != nil {
			return fmt.Errorf("sqlite: migration %s is not numbered", name)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Size returns the number of events.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&n); err != nil {
		return 0, err
	}
	if !n.Valid {
		return 0, nil
	}
	return n.Int64 + 1, nil
}

// WatchLog calls changed with the log's size every poll until ctx ends,
// then returns ctx's error. SQLite announces no commits, and the command
// line may write a deployment beside its running server (a setting, a
// token, an import): deployment.Follow has the server read what it wrote.
// A size that cannot be read is given as -1, on which the follower reads
// the log itself and reports what failed.
func (s *Store) WatchLog(ctx context.Context, poll time.Duration, changed func(size int64)) error {
	if poll <= 0 {
		poll = 2 * time.Second
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		n, err := s.Size(ctx)
		if err != nil {
			n = -1
		}
		changed(n)
	}
}

// ScanEvents calls fn for each event from seq from, in order.
func (s *Store) ScanEvents(ctx context.Context, from int64, fn func(ledger.StoredEvent) error) error {
	// Audit and start-up read every event through here. The driver's own
	// rows skip database/sql's per-row locking and conversion, and its
	// copy of each BLOB (which Scan into an any would copy again); its
	// values keep their SQL types, which text and blob check.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("sqlite: the driver's connection %T cannot query", dc)
		}
		rows, err := q.QueryContext(ctx, `SELECT seq, item, case_id, data, hashes, prev, case_prev FROM events WHERE seq >= ? ORDER BY seq`,
			[]driver.NamedValue{{Ordinal: 1, Value: from}})
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 7)
		for {
			if err := rows.Next(dest); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			seq, ok := dest[0].(int64) // an INTEGER PRIMARY KEY is always an integer
			if !ok {
				return fmt.Errorf("sqlite: event row: seq %v is not an integer", dest[0])
			}
			e := ledger.StoredEvent{Seq: seq, Item: text(dest[1]), Case: text(dest[2]),
				Data: blob(dest[3]), Hashes: blob(dest[4]), Prev: prev(dest[5]), CasePrev: prev(dest[6])}
			if err := fn(e); err != nil {
				return err
			}
		}
	})
}

// text and blob read a column that must have one SQL type. A value of
// another type (a number or a BLOB where TEXT belongs, say) is returned
// marked, so that it differs from anything the ledger wrote and audit
// reports it, instead of being quietly converted.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprintf("\x00%T:%v", v, v)
}

// prev reads the prev and case_prev columns: NULL is -1 (no link), and anything but a
// link (a negative integer, a value of another type) is -2, which differs
// from every value the ledger writes.
func prev(v any) int64 {
	switch x := v.(type) {
	case nil:
		return -1
	case int64:
		if x >= 0 {
			return x
		}
	}
	return -2
}

// prevArg is the prev column's value for a StoredEvent.Prev.
func prevArg(p int64) any {
	if p < 0 {
		return nil
	}
	return p
}

func blob(v any) []byte {
	if b, ok := v.([]byte); ok {
		return b
	}
	return []byte(fmt.Sprintf("\x00%T:%v", v, v))
}

// ReadEvents returns the events with the given seqs.
func (s *Store) ReadEvents(ctx context.Context, seqs []int64) ([]ledger.StoredEvent, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return readEvents(ctx, conn, seqs)
}

// EventHashes returns the hashes column of the given events, in one query.
func (s *Store) EventHashes(ctx context.Context, seqs []int64) ([][]byte, error) {
	args := make([]any, len(seqs))
	for i, q := range seqs {
		args[i] = q
	}
	q := `SELECT seq, hashes FROM events WHERE seq IN (` + strings.TrimSuffix(strings.Repeat("?,", len(seqs)), ",") + `)`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	out := make([][]byte, len(seqs))
	for i, q := range seqs {
		h, ok := got[q]
		if !ok {
			return nil, fmt.Errorf("sqlite: event %d: %w", q, ledger.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

type queryer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func readEvents(ctx context.Context, q queryer, seqs []int64) ([]ledger.StoredEvent, error) {
	stmt, err := q.PrepareContext(ctx, `SELECT seq, item, case_id, data, hashes, prev, case_prev FROM events WHERE seq = ?`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	out := make([]ledger.StoredEvent, len(seqs))
	for i, seq := range seqs {
		e := &out[i]
		var p, cp any
		err := stmt.QueryRowContext(ctx, seq).Scan(&e.Seq, &e.Item, &e.Case, &e.Data, &e.Hashes, &p, &cp)
		e.Prev, e.CasePrev = prev(p), prev(cp)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqlite: event %d: %w", seq, ledger.ErrNotFound)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) seqs(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// chainSQL walks a chain of events back from the one with seq ?2 and key
// column ?1, by its link column, one primary-key lookup per event. A link
// must point back (link < seq), so that even a tampered database cannot
// make the walk loop.
func chainSQL(key, link string) string {
	return fmt.Sprintf(`WITH RECURSIVE chain(seq) AS (
	SELECT seq FROM events WHERE seq = ?2 AND %[1]s = ?1
	UNION ALL
	SELECT e.%[2]s FROM events e JOIN chain c ON e.seq = c.seq WHERE e.%[1]s = ?1 AND e.%[2]s < e.seq
)
SELECT seq FROM chain ORDER BY seq`, key, link)
}

var (
	sqlItemChain = chainSQL("item", "prev")
	sqlCaseChain = chainSQL("case_id", "case_prev")
)

// ItemEvents returns the seqs of an item's history, following the prev
// links back from last (see ledger.Store). The chain's first seq may be
// an event of another item: a derived item's derivation, which names its
// parent in the item column.
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
	rows, err := s.db.QueryContext(ctx, `SELECT size, root, note FROM checkpoints ORDER BY size`)
	if err != nil {
		return nil, err
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
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO cosigned(size, note) VALUES (?, ?)`, size, note)
	return err
}

// Cosigned returns the cosigned checkpoints by size (Root is not set).
func (s *Store) Cosigned(ctx context.Context) ([]ledger.Checkpoint, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT size, note FROM cosigned ORDER BY size`)
	if err != nil {
		return nil, err
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

// ScanRows calls fn for each row of a projection table in key order.
func (s *Store) ScanRows(ctx context.Context, t domain.Table, fn func(domain.Row) error) error {
	q := fmt.Sprintf(`SELECT %s FROM %s ORDER BY %s`, strings.Join(t.Columns, ", "), t.Name, strings.Join(t.Columns[:t.Keys], ", "))
	// Read through the driver's own rows, as ScanEvents does: its values
	// are what Scan into an any gives, without the second copy of BLOBs.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		dq, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("sqlite: the driver's connection %T cannot query", dc)
		}
		rows, err := dq.QueryContext(ctx, q, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(t.Columns)) // Next sets every one
		for {
			if err := rows.Next(vals); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			row := make(domain.Row, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok { // a BLOB where TEXT belongs: keep it visibly different
					v = "blob:" + string(b)
				}
				row[i] = v
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	})
}

// Begin starts a write transaction (BEGIN IMMEDIATE, which holds the
// database's write lock until the transaction ends) and reads, under that
// lock, the log's size and its last event's stored hashes. Another process
// may have appended since this one last read the log (the command line
// beside a running server): the ledger reads what it did not write before
// it appends (ledger.SharedTx), so that both continue one log.
func (s *Store) Begin(ctx context.Context) (ledger.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	t := &Tx{s: s, tx: tx}
	tip, err := s.stmts.stmt(ctx, s.db, tx, "tip", func() string { return sqlTip })
	if err == nil {
		var seq int64
		err = tip.QueryRowContext(ctx).Scan(&seq, &t.tip)
		t.size = seq + 1
	}
	if errors.Is(err, sql.ErrNoRows) {
		t.size, t.tip, err = 0, nil, nil
	}
	if err != nil {
		return nil, errors.Join(err, tx.Rollback())
	}
	t.next = t.size
	return t, nil
}

var _ ledger.SharedTx = (*Tx)(nil)

// LogSize is the log's size when the transaction began.
func (t *Tx) LogSize() int64 { return t.size }

// TipHashes are the stored hashes of the log's last event when the
// transaction began (nil for an empty log).
func (t *Tx) TipHashes() []byte { return t.tip }

// Tx is a write transaction.
type Tx struct {
	s      *Store
	tx     *sql.Tx
	size   int64                      // the log's size at Begin
	tip    []byte                     // the stored hashes of its last event then
	next   int64                      // the next event's seq
	insert [len(insertRows)]*sql.Stmt // by insertRows
	args   []any                      // AppendEvents' arguments, reused
}

const (
	sqlTip        = `SELECT seq, hashes FROM events ORDER BY seq DESC LIMIT 1`
	sqlCheckpoint = `INSERT INTO checkpoints(size, root, note) VALUES (?, ?, ?)`
)

// replaceSQL inserts a row of tab, replacing the row with its key.
//
// INSERT ... ON CONFLICT DO UPDATE, which updates a row where it is, was
// measured and wrote more: REPLACE deletes the old row and inserts it again
// at the end of the table, so the rows that change often (the items being
// moved) end up together on a few pages, and a commit rewrites fewer of
// them (BenchmarkAppend64: 8.6 KiB written per event with REPLACE, 9.7 with
// the update in place; see bench/server.md).
func replaceSQL(tab domain.Table) string {
	return fmt.Sprintf(`INSERT OR REPLACE INTO %s (%s) VALUES (%s)`, tab.Name, strings.Join(tab.Columns, ", "),
		strings.TrimSuffix(strings.Repeat("?, ", len(tab.Columns)), ", "))
}

// PutRows inserts or replaces projection rows.
func (t *Tx) PutRows(ctx context.Context, tab domain.Table, rows []domain.Row) error {
	st, err := t.s.stmts.stmt(ctx, t.s.db, t.tx, "put "+tab.Name, func() string { return replaceSQL(tab) })
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return fmt.Errorf("sqlite: %s: %w", tab.Name, err)
		}
	}
	return nil
}

// AddCheckpoint stores a signed checkpoint; a second one for a size fails.
func (t *Tx) AddCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	st, err := t.s.stmts.stmt(ctx, t.s.db, t.tx, "add checkpoint", func() string { return sqlCheckpoint })
	if err != nil {
		return err
	}
	if _, err = st.ExecContext(ctx, c.Size, c.Root[:], c.Note); err != nil {
		return fmt.Errorf("sqlite: checkpoint of size %d (the log never signs two roots for one size): %w", c.Size, err)
	}
	return nil
}

// Commit commits the transaction durably.
func (t *Tx) Commit() error {
	return t.tx.Commit()
}

// Rollback abandons the transaction.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
