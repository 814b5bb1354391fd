// Package analysisdb keeps a deployment's investigation analysis (package
// analysis) in its own SQLite file, beside the ledger's database: the
// records each import read, the lines it rejected, the analysts' merge and
// split decisions, and a full-text index of the messages that folds
// accents (FTS5, remove_diacritics 2), so that "policia" finds "Policía".
//
// It is derived data: what was imported is in the ledger too
// (analysis.import events name the item, the file's SHA-256 and the
// counts), and the evidence files can be read again. The ledger's tables
// stay a function of the log; this file is not part of it.
package analysisdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/custodia-ec/custodia/analysis"
)

// File is the database's name inside a deployment's data directory.
const File = "analysis.db"

// DB is an open analysis database.
type DB struct{ db *sql.DB }

var schema = []string{
	`CREATE TABLE IF NOT EXISTS imports (
		id INTEGER PRIMARY KEY,
		case_id TEXT NOT NULL,
		item TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		format TEXT NOT NULL,
		records INTEGER NOT NULL DEFAULT 0,
		rejects INTEGER NOT NULL DEFAULT 0,
		at TEXT NOT NULL,
		seq INTEGER,
		UNIQUE (item, sha256, format)
	)`,
	`CREATE TABLE IF NOT EXISTS records (
		id INTEGER PRIMARY KEY,
		import_id INTEGER NOT NULL REFERENCES imports(id),
		case_id TEXT NOT NULL,
		data TEXT NOT NULL,
		text TEXT NOT NULL DEFAULT ''
	)`,
	`CREATE INDEX IF NOT EXISTS records_case ON records (case_id, id)`,
	`CREATE TABLE IF NOT EXISTS rejects (
		import_id INTEGER NOT NULL REFERENCES imports(id),
		line INTEGER,
		offset INTEGER,
		field TEXT,
		reason TEXT NOT NULL,
		reason_en TEXT NOT NULL,
		text TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS decisions (
		id INTEGER PRIMARY KEY,
		case_id TEXT NOT NULL,
		kind TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
		a TEXT NOT NULL,
		b TEXT NOT NULL,
		by TEXT NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		at TEXT NOT NULL
	)`,
	`CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(text, content='records', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`,
}

// Open opens (creating it if needed) the analysis database at path.
func Open(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// The page size must be set before the first table and WAL.
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			return nil, err
		}
		_, err = db.ExecContext(ctx, "PRAGMA page_size = 16384")
		if err == nil {
			_, err = db.ExecContext(ctx, "PRAGMA journal_mode = WAL")
		}
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("analysisdb: create %s: %w", path, err)
		}
	}
	// 64 MiB of page cache, as the ledger's database has.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=cache_size(-65536)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	for _, q := range schema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("analysisdb: %s: %w", path, err)
		}
	}
	return &DB{db: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Import is one file being read.
type Import struct {
	Case   string
	Item   string
	SHA256 string
	Format string
	At     time.Time
}

// ErrImported is returned when the same file of the same item was already
// imported in that format.
var ErrImported = errors.New("analysisdb: already imported")

// Tx is an import in progress: a Sink that writes what the importer reads,
// in one transaction that Commit ends.
type Tx struct {
	tx      *sql.Tx
	id      int64
	caseID  string
	item    string
	sha256  string
	batch   *sql.Stmt // inserts batchRows records
	rej     *sql.Stmt
	pending []any // the arguments of records not yet inserted
	summary analysis.Summary
	ctx     context.Context
}

// batchRows records go in one INSERT: the per-statement cost of the driver
// is most of an import's time otherwise.
const batchRows = 64

// Begin starts an import; nothing is kept unless Commit is called.
func (d *DB) Begin(ctx context.Context, imp Import) (*Tx, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM imports WHERE item = ? AND sha256 = ? AND format = ?`, imp.Item, imp.SHA256, imp.Format).Scan(&exists); err != nil {
		tx.Rollback()
		return nil, err
	}
	if exists > 0 {
		tx.Rollback()
		return nil, ErrImported
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO imports (case_id, item, sha256, format, at) VALUES (?, ?, ?, ?, ?)`,
		imp.Case, imp.Item, imp.SHA256, imp.Format, imp.At.UTC().Format(time.RFC3339Nano))
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	t := &Tx{tx: tx, caseID: imp.Case, item: imp.Item, sha256: imp.SHA256, ctx: ctx}
	if t.id, err = res.LastInsertId(); err != nil {
		tx.Rollback()
		return nil, err
	}
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&t.batch, insertRecords(batchRows)},
		{&t.rej, `INSERT INTO rejects (import_id, line, offset, field, reason, reason_en, text) VALUES (?, ?, ?, ?, ?, ?, ?)`},
	} {
		if *p.s, err = tx.PrepareContext(ctx, p.q); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return t, nil
}

// insertRecords is an INSERT of n records.
func insertRecords(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO records (import_id, case_id, data, text) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?)")
	}
	return b.String()
}

// Record implements analysis.Sink. The item and hash of a record's source
// are the import's, kept once in imports; Records puts them back.
func (t *Tx) Record(r *analysis.Record) error {
	r2 := *r
	r2.Text = ""
	r2.Source.Item, r2.Source.SHA256 = "", ""
	data, err := json.Marshal(&r2)
	if err != nil {
		return err
	}
	t.pending = append(t.pending, t.id, t.caseID, data, r.Text)
	t.summary.Records++
	if len(t.pending) == 4*batchRows {
		return t.flush()
	}
	return nil
}

// flush inserts the pending records.
func (t *Tx) flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	var err error
	if len(t.pending) == 4*batchRows {
		_, err = t.batch.ExecContext(t.ctx, t.pending...)
	} else {
		_, err = t.tx.ExecContext(t.ctx, insertRecords(len(t.pending)/4), t.pending...)
	}
	t.pending = t.pending[:0]
	return err
}

// Reject implements analysis.Sink.
func (t *Tx) Reject(r analysis.Reject) error {
	_, err := t.rej.ExecContext(t.ctx, t.id, nullInt(int64(r.Line)), nullInt(r.Offset), r.Field, r.Reason, r.EN, r.Text)
	t.summary.Rejects++
	return err
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// ID is the import's id.
func (t *Tx) ID() int64 { return t.id }

// Commit keeps the import, with the ledger event that recorded it (seq).
func (t *Tx) Commit(seq int64) error {
	err := t.flush()
	if err == nil {
		// The messages' index, in one statement for the whole import.
		_, err = t.tx.ExecContext(t.ctx, `INSERT INTO records_fts (rowid, text) SELECT id, text FROM records WHERE import_id = ? AND text != ''`, t.id)
	}
	if err != nil {
		t.tx.Rollback()
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE imports SET records = ?, rejects = ?, seq = ? WHERE id = ?`, t.summary.Records, t.summary.Rejects, seq, t.id); err != nil {
		t.tx.Rollback()
		return err
	}
	return t.tx.Commit()
}

// Rollback drops the import.
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// Records reads a case's records, in import order, as many times as the
// caller asks (analysis.Build reads them twice).
func (d *DB) Records(ctx context.Context, caseID string) analysis.Records {
	return func(fn func(*analysis.Record) error) error {
		rows, err := d.db.QueryContext(ctx, `SELECT r.data, r.text, i.item, i.sha256 FROM records r JOIN imports i ON i.id = r.import_id WHERE r.case_id = ? ORDER BY r.id`, caseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var rec analysis.Record
		for rows.Next() {
			var data []byte
			var text, item, sha string
			if err := rows.Scan(&data, &text, &item, &sha); err != nil {
				return err
			}
			rec = analysis.Record{}
			if err := json.Unmarshal(data, &rec); err != nil {
				return fmt.Errorf("analysisdb: a stored record: %w", err)
			}
			rec.Text, rec.Source.Item, rec.Source.SHA256 = text, item, sha
			if err := fn(&rec); err != nil {
				return err
			}
		}
		return rows.Err()
	}
}

// ImportRow is an import as stored.
type ImportRow struct {
	ID      int64  `json:"id"`
	Case    string `json:"case"`
	Item    string `json:"item"`
	SHA256  string `json:"sha256"`
	Format  string `json:"format"`
	Records int    `json:"records"`
	Rejects int    `json:"rejects"`
	At      string `json:"at"`
	Seq     *int64 `json:"seq,omitempty"`
}

// Imports lists a case's imports.
func (d *DB) Imports(ctx context.Context, caseID string) ([]ImportRow, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, case_id, item, sha256, format, records, rejects, at, seq FROM imports WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ImportRow
	for rows.Next() {
		var r ImportRow
		var seq sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Case, &r.Item, &r.SHA256, &r.Format, &r.Records, &r.Rejects, &r.At, &seq); err != nil {
			return nil, err
		}
		if seq.Valid {
			r.Seq = &seq.Int64
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rejects lists an import's rejected lines.
func (d *DB) Rejects(ctx context.Context, importID int64) ([]analysis.Reject, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT coalesce(line, 0), coalesce(offset, 0), coalesce(field, ''), reason, reason_en, coalesce(text, '') FROM rejects WHERE import_id = ? ORDER BY rowid`, importID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []analysis.Reject
	for rows.Next() {
		var r analysis.Reject
		if err := rows.Scan(&r.Line, &r.Offset, &r.Field, &r.Reason, &r.EN, &r.Text); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Hit is a message that matched a search.
type Hit struct {
	Record  analysis.Record `json:"record"`
	Snippet string          `json:"snippet"`
}

// Search finds a case's messages whose text has every word of query,
// without regard to case or accents, best matches first. Each word is
// searched as given (quotes and operators are taken literally).
func (d *DB) Search(ctx context.Context, caseID, query string, limit int) ([]Hit, error) {
	var terms []string
	for _, w := range strings.Fields(query) {
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	if len(terms) == 0 {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := d.db.QueryContext(ctx, `SELECT r.data, r.text, i.item, i.sha256, snippet(records_fts, 0, '[', ']', '…', 12)
		FROM records_fts JOIN records r ON r.id = records_fts.rowid JOIN imports i ON i.id = r.import_id
		WHERE records_fts MATCH ? AND r.case_id = ? ORDER BY rank LIMIT ?`, strings.Join(terms, " "), caseID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var data []byte
		var h Hit
		var text, item, sha string
		if err := rows.Scan(&data, &text, &item, &sha, &h.Snippet); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &h.Record); err != nil {
			return nil, err
		}
		h.Record.Text, h.Record.Source.Item, h.Record.Source.SHA256 = text, item, sha
		out = append(out, h)
	}
	return out, rows.Err()
}

// AddDecision records an analyst's merge or split and returns its id.
func (d *DB) AddDecision(ctx context.Context, caseID string, dec analysis.Decision, at time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, `INSERT INTO decisions (case_id, kind, a, b, by, note, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		caseID, dec.Kind, dec.A, dec.B, dec.By, dec.Note, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// RemoveDecision undoes a decision.
func (d *DB) RemoveDecision(ctx context.Context, caseID string, id int64) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM decisions WHERE case_id = ? AND id = ?`, caseID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("analysisdb: no decision %d in case %s", id, caseID)
	}
	return nil
}

// Decisions lists a case's decisions in the order they were taken.
func (d *DB) Decisions(ctx context.Context, caseID string) ([]analysis.Decision, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, kind, a, b, by, note FROM decisions WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []analysis.Decision
	for rows.Next() {
		var dec analysis.Decision
		if err := rows.Scan(&dec.ID, &dec.Kind, &dec.A, &dec.B, &dec.By, &dec.Note); err != nil {
			return nil, err
		}
		out = append(out, dec)
	}
	return out, rows.Err()
}
