// Package analysisdb keeps a deployment's investigation analysis (package
// analysis) in its own SQLite file, beside the ledger's database: the
// records each import read, the lines it rejected, and a full-text index
// of the messages that folds accents (FTS5, remove_diacritics 2), so that
// "policia" finds "Policía".
//
// It is derived data: what was imported is in the ledger too
// (analysis.import events name the item, the file's SHA-256 and the
// counts), and the evidence files can be read again. The analysts' merge
// and split decisions are events of the ledger, not rows here. The
// ledger's tables stay a function of the log; this file is not part of it.
//
// Layout (schema version 2). Records are stored as columns, one row each,
// and an import's records take consecutive row ids, kept as the import's
// range: a case's records are read by ranges of the primary key, with no
// secondary index to maintain while a million rows go in. Within an
// import, records are in file order, so the record at a line (or byte
// offset) is found by a binary search of its range. The full-text index
// is contentless (content=”): it holds the words, the records table holds
// the text once.
package analysisdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/custodia-ec/custodia/analysis"
)

// File is the database's name inside a deployment's data directory.
const File = "analysis.db"

// schemaVersion is PRAGMA user_version of the layout this package writes.
const schemaVersion = 2

// DB is an open analysis database.
type DB struct {
	db   *sql.DB
	path string
}

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
		first_record INTEGER NOT NULL DEFAULT 0,
		last_record INTEGER NOT NULL DEFAULT -1,
		UNIQUE (item, sha256, format)
	)`,
	`CREATE INDEX IF NOT EXISTS imports_case ON imports (case_id, id)`,
	// at is Unix nanoseconds (NULL for none) and at_offset the seconds
	// east of UTC the file wrote it in; line or byte_offset is the
	// source's position. parties holds From and To (encodeParties);
	// extra what only some records have (encodeExtra: a chat's title,
	// media, a system line, a call's duration and direction, a payment's
	// amount, currency and reference), NULL for none.
	`CREATE TABLE IF NOT EXISTS records (
		id INTEGER PRIMARY KEY,
		kind TEXT NOT NULL,
		platform TEXT NOT NULL,
		at INTEGER,
		at_offset INTEGER,
		line INTEGER,
		byte_offset INTEGER,
		parties TEXT NOT NULL,
		chat TEXT,
		text TEXT,
		extra TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS rejects (
		import_id INTEGER NOT NULL REFERENCES imports(id),
		line INTEGER,
		offset INTEGER,
		field TEXT,
		reason TEXT NOT NULL,
		reason_en TEXT NOT NULL,
		text TEXT
	)`,
	// detail=none: the index keeps which records hold each word, not
	// where in them; a search asks for words, one at a time (Search
	// splits the query as the tokenizer does), and the snippet is made
	// from the text itself.
	`CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(text, content='', detail=none, tokenize='unicode61 remove_diacritics 2')`,
}

// ErrOldLayout is returned by Open for a file written by an earlier
// version (records as JSON): it must be moved aside and the files
// imported again.
var ErrOldLayout = errors.New("analysisdb: earlier layout")

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
		if err == nil {
			_, err = db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion))
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
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("analysisdb: %s: %w", path, err)
	}
	if version != schemaVersion {
		db.Close()
		return nil, fmt.Errorf("%w: %s was written by an earlier version of Custodia (layout %d, this one reads %d); move it aside and import the files again (custodia analyze import) / %s lo escribió una versión anterior de Custodia; apártelo y vuelva a importar los archivos",
			ErrOldLayout, path, version, schemaVersion, path)
	}
	for _, q := range schema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("analysisdb: %s: %w", path, err)
		}
	}
	return &DB{db: db, path: path}, nil
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
	conn    *sql.Conn
	id      int64
	first   int64 // the row id of the import's first record
	next    int64 // the row id of the next record
	batch   *sql.Stmt
	rej     *sql.Stmt
	pending []any // the columns of records not yet inserted
	summary analysis.Summary
	ctx     context.Context
	done    bool
}

// recordCols is the number of columns an insert gives per record.
const recordCols = 11

// batchRows records go in one prepared INSERT: the per-statement cost of
// the driver is most of an import's time otherwise. 90 × 11 = 990
// parameters stay within SQLite's default limit of 999 on any build.
const batchRows = 90

// Begin starts an import; nothing is kept unless Commit is called. The
// import holds the database's write lock until Commit or Rollback.
func (d *DB) Begin(ctx context.Context, imp Import) (*Tx, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	t := &Tx{tx: tx, conn: conn, ctx: ctx}
	fail := func(err error) (*Tx, error) {
		t.Rollback()
		return nil, err
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM imports WHERE item = ? AND sha256 = ? AND format = ?`, imp.Item, imp.SHA256, imp.Format).Scan(&exists); err != nil {
		return fail(err)
	}
	if exists > 0 {
		return fail(ErrImported)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM records`).Scan(&t.first); err != nil {
		return fail(err)
	}
	t.next = t.first
	res, err := tx.ExecContext(ctx, `INSERT INTO imports (case_id, item, sha256, format, at, first_record) VALUES (?, ?, ?, ?, ?, ?)`,
		imp.Case, imp.Item, imp.SHA256, imp.Format, imp.At.UTC().Format(time.RFC3339Nano), t.first)
	if err != nil {
		return fail(err)
	}
	if t.id, err = res.LastInsertId(); err != nil {
		return fail(err)
	}
	if t.batch, err = tx.PrepareContext(ctx, insertRecords(batchRows)); err != nil {
		return fail(err)
	}
	if t.rej, err = tx.PrepareContext(ctx, `INSERT INTO rejects (import_id, line, offset, field, reason, reason_en, text) VALUES (?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return fail(err)
	}
	t.pending = make([]any, 0, recordCols*batchRows)
	return t, nil
}

// insertRecords is an INSERT of n records.
func insertRecords(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO records (id, kind, platform, at, at_offset, line, byte_offset, parties, chat, text, extra) VALUES `)
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", recordCols), ",") + ")"
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// Record implements analysis.Sink. The item and hash of a record's source
// are the import's, kept once in imports; Records puts them back.
func (t *Tx) Record(r *analysis.Record) error {
	var at, off any
	if !r.At.IsZero() {
		_, o := r.At.Zone()
		at, off = r.At.UnixNano(), o
	}
	t.pending = append(t.pending, t.next, r.Kind, r.Platform, at, off, nullInt(int64(r.Source.Line)), nullInt(r.Source.Offset),
		encodeParties(r.From, r.To), nullStr(r.Chat), nullStr(r.Text), encodeExtra(r))
	t.next++
	t.summary.Records++
	if len(t.pending) == recordCols*batchRows {
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
	if len(t.pending) == recordCols*batchRows {
		_, err = t.batch.ExecContext(t.ctx, t.pending...)
	} else {
		_, err = t.tx.ExecContext(t.ctx, insertRecords(len(t.pending)/recordCols), t.pending...)
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

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ID is the import's id.
func (t *Tx) ID() int64 { return t.id }

// Commit keeps the import, with the ledger event that recorded it (seq).
func (t *Tx) Commit(seq int64) error {
	err := t.flush()
	if err == nil {
		// The messages' index, in one statement for the whole import.
		_, err = t.tx.ExecContext(t.ctx, `INSERT INTO records_fts (rowid, text) SELECT id, text FROM records WHERE id BETWEEN ? AND ? AND text IS NOT NULL`, t.first, t.next-1)
	}
	if err == nil {
		_, err = t.tx.ExecContext(t.ctx, `UPDATE imports SET records = ?, rejects = ?, seq = ?, last_record = ? WHERE id = ?`, t.summary.Records, t.summary.Rejects, seq, t.next-1, t.id)
	}
	if err != nil {
		t.Rollback()
		return err
	}
	err = t.tx.Commit()
	t.release()
	return err
}

// Rollback drops the import.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	t.release()
	return err
}

func (t *Tx) release() {
	if t.done {
		return
	}
	t.done = true
	t.conn.Close()
}

// span is an import's records: their row ids and their source's item and
// hash.
type span struct {
	first, last  int64
	item, sha256 string
}

// spans are a case's committed imports, in import order.
func (d *DB) spans(ctx context.Context, caseID string) ([]span, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT first_record, last_record, item, sha256 FROM imports WHERE case_id = ? AND seq IS NOT NULL ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []span
	for rows.Next() {
		var s span
		if err := rows.Scan(&s.first, &s.last, &s.item, &s.sha256); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Version says which of a case's imports are in the database: it changes
// when one is committed. A graph built from the records at one version is
// the graph of that version until it changes.
func (d *DB) Version(ctx context.Context, caseID string) (string, error) {
	var n, last int64
	err := d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM imports WHERE case_id = ? AND seq IS NOT NULL`, caseID).Scan(&n, &last)
	return fmt.Sprintf("%d.%d", n, last), err
}

const recordColumns = `id, kind, platform, at, at_offset, line, byte_offset, parties, chat, text, extra`

// scanner reads rows of recordColumns into a Record, reusing its buffers.
type scanner struct {
	at, off, line, offset sql.NullInt64
	chat, text, extra     sql.NullString
	parties               string
	id                    int64
	zones                 map[int]*time.Location
}

func (s *scanner) scan(rows interface{ Scan(...any) error }, rec *analysis.Record) error {
	*rec = analysis.Record{}
	if err := rows.Scan(&s.id, &rec.Kind, &rec.Platform, &s.at, &s.off, &s.line, &s.offset, &s.parties, &s.chat, &s.text, &s.extra); err != nil {
		return err
	}
	if s.at.Valid {
		rec.At = time.Unix(0, s.at.Int64).In(s.zone(int(s.off.Int64)))
	}
	rec.Source.Line, rec.Source.Offset = int(s.line.Int64), s.offset.Int64
	var err error
	if rec.From, rec.To, err = decodeParties(s.parties); err != nil {
		return fmt.Errorf("analysisdb: record %d: %w", s.id, err)
	}
	rec.Chat, rec.Text = s.chat.String, s.text.String
	if s.extra.Valid {
		if err := decodeExtra(s.extra.String, rec); err != nil {
			return fmt.Errorf("analysisdb: record %d: %w", s.id, err)
		}
	}
	return nil
}

// zone is the fixed zone of an offset, one value per offset.
func (s *scanner) zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if s.zones == nil {
		s.zones = map[int]*time.Location{}
	}
	z := s.zones[off]
	if z == nil {
		z = time.FixedZone("", off)
		s.zones[off] = z
	}
	return z
}

// Records reads a case's records, in import order, as many times as the
// caller asks (analysis.Build reads them twice).
func (d *DB) Records(ctx context.Context, caseID string) analysis.Records {
	return func(fn func(*analysis.Record) error) error {
		spans, err := d.spans(ctx, caseID)
		if err != nil {
			return err
		}
		var sc scanner
		var rec analysis.Record
		for _, sp := range spans {
			rows, err := d.db.QueryContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id BETWEEN ? AND ? ORDER BY id`, sp.first, sp.last)
			if err != nil {
				return err
			}
			for rows.Next() {
				if err := sc.scan(rows, &rec); err != nil {
					rows.Close()
					return err
				}
				rec.Source.Item, rec.Source.SHA256 = sp.item, sp.sha256
				if err := fn(&rec); err != nil {
					rows.Close()
					return err
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// ErrNoRecord is returned by Record when no record starts at the place
// asked for.
var ErrNoRecord = analysis.ErrNoRecord

// Record returns the record of a case read from the file sha256 of item
// at line (or, for a JSON file, at byte offset): the message, call or
// payment a link of the graph came from.
func (d *DB) Record(ctx context.Context, caseID, item, sha256 string, line int, offset int64) (*analysis.Record, error) {
	spans, err := d.spans(ctx, caseID)
	if err != nil {
		return nil, err
	}
	pos := int64(line)
	col := "line"
	if line == 0 {
		pos, col = offset, "byte_offset"
	}
	for _, sp := range spans {
		if sp.item != item || sp.sha256 != sha256 || sp.last < sp.first {
			continue
		}
		// Records are in file order: the first whose position is at or
		// after pos, by binary search of the import's row ids.
		var probeErr error
		n := int(sp.last - sp.first + 1)
		i := sort.Search(n, func(i int) bool {
			var v sql.NullInt64
			if err := d.db.QueryRowContext(ctx, `SELECT `+col+` FROM records WHERE id = ?`, sp.first+int64(i)).Scan(&v); err != nil && probeErr == nil {
				probeErr = err
			}
			return v.Int64 >= pos
		})
		if probeErr != nil {
			return nil, probeErr
		}
		if i == n {
			continue
		}
		var sc scanner
		rec := &analysis.Record{}
		if err := sc.scan(d.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = ?`, sp.first+int64(i)), rec); err != nil {
			return nil, err
		}
		if int64(rec.Source.Line) != int64(line) || rec.Source.Offset != offset && line == 0 {
			continue
		}
		rec.Source.Item, rec.Source.SHA256 = sp.item, sp.sha256
		return rec, nil
	}
	return nil, ErrNoRecord
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
type Hit = analysis.Hit

// Search finds a case's messages whose text has every word of query,
// without regard to case or accents, best matches first. The query is
// split into words as the index splits text (analysis.Words), so quotes
// and operators are not operators: "AND" is the word and.
func (d *DB) Search(ctx context.Context, caseID, query string, limit int) ([]Hit, error) {
	var terms, words []string
	for _, w := range analysis.Words(query) {
		terms = append(terms, `"`+w+`"`)
		words = append(words, w)
	}
	if len(terms) == 0 {
		return nil, nil
	}
	if limit <= 0 {
		limit = 50
	}
	spans, err := d.spans(ctx, caseID)
	if err != nil || len(spans) == 0 {
		return nil, err
	}
	// The case's records are the row ids of its imports' ranges.
	var where []string
	args := []any{strings.Join(terms, " ")}
	for _, sp := range spans {
		where = append(where, "rowid BETWEEN ? AND ?")
		args = append(args, sp.first, sp.last)
	}
	args = append(args, limit)
	rows, err := d.db.QueryContext(ctx, `SELECT rowid FROM records_fts WHERE records_fts MATCH ? AND (`+strings.Join(where, " OR ")+`) ORDER BY rank LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}
	out := make([]Hit, 0, len(ids))
	var sc scanner
	for _, id := range ids {
		var h Hit
		if err := sc.scan(d.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = ?`, id), &h.Record); err != nil {
			return nil, err
		}
		for _, sp := range spans {
			if sp.first <= id && id <= sp.last {
				h.Record.Source.Item, h.Record.Source.SHA256 = sp.item, sp.sha256
			}
		}
		h.Snippet = analysis.Snippet(h.Record.Text, words, 12)
		out = append(out, h)
	}
	return out, nil
}

// Parties are stored as fields separated by unit separators (0x1F)
// within a party, list items by record separators (0x1E), and parties by
// group separators (0x1D), From first: a fraction of JSON's cost to read
// back. A party whose text holds one of those bytes is stored as JSON
// instead, marked by a leading '['.
const (
	sepField = "\x1f"
	sepList  = "\x1e"
	sepParty = "\x1d"
)

func encodeParties(from analysis.Party, to []analysis.Party) string {
	all := append([]analysis.Party{from}, to...)
	var b strings.Builder
	for i, p := range all {
		if i > 0 {
			b.WriteString(sepParty)
		}
		fields := []string{p.Name, strings.Join(p.Phones, sepList), strings.Join(p.Emails, sepList), p.IDNumber, p.Account, p.Bank,
			strings.Join(p.Aliases, sepList), p.Org, p.UserID}
		for j, f := range fields {
			if strings.ContainsAny(f, "\x1d\x1e\x1f") || j == 0 && strings.HasPrefix(f, "[") && i == 0 {
				js, _ := json.Marshal(all)
				return "[" + string(js)
			}
			if j > 0 {
				b.WriteString(sepField)
			}
			b.WriteString(f)
		}
	}
	return b.String()
}

func decodeParties(s string) (analysis.Party, []analysis.Party, error) {
	if strings.HasPrefix(s, "[") {
		var all []analysis.Party
		if err := json.Unmarshal([]byte(s[1:]), &all); err != nil || len(all) == 0 {
			return analysis.Party{}, nil, fmt.Errorf("stored parties: %v", err)
		}
		return all[0], all[1:], nil
	}
	list := func(f string) []string {
		if f == "" {
			return nil
		}
		return strings.Split(f, sepList)
	}
	var from analysis.Party
	var to []analysis.Party
	for i, ps := range strings.Split(s, sepParty) {
		f := strings.Split(ps, sepField)
		if len(f) != 9 {
			return from, nil, fmt.Errorf("stored parties: %d fields", len(f))
		}
		p := analysis.Party{Name: f[0], Phones: list(f[1]), Emails: list(f[2]), IDNumber: f[3], Account: f[4], Bank: f[5], Aliases: list(f[6]), Org: f[7], UserID: f[8]}
		if i == 0 {
			from = p
		} else {
			to = append(to, p)
		}
	}
	return from, to, nil
}

// encodeExtra holds what only some records have, in the parties' compact
// form (or JSON, marked by '{', when a value holds a separator); nil when
// the record has none of it.
func encodeExtra(r *analysis.Record) any {
	if r.ChatTitle == "" && r.Media == "" && !r.System && r.Duration == 0 && r.Direction == "" && r.Amount == "" && r.Currency == "" && r.Reference == "" {
		return nil
	}
	system := ""
	if r.System {
		system = "1"
	}
	fields := []string{r.ChatTitle, r.Media, system, strconv.FormatInt(int64(r.Duration), 10), r.Direction, r.Amount, r.Currency, r.Reference}
	for _, f := range fields {
		if strings.ContainsAny(f, "\x1d\x1e\x1f") || strings.HasPrefix(fields[0], "{") {
			js, _ := json.Marshal(extraJSON{r.ChatTitle, r.Media, r.System, int64(r.Duration), r.Direction, r.Amount, r.Currency, r.Reference})
			return string(js)
		}
	}
	return strings.Join(fields, sepField)
}

type extraJSON struct {
	ChatTitle, Media  string
	System            bool
	Duration          int64
	Direction, Amount string
	Currency, Ref     string
}

func decodeExtra(s string, r *analysis.Record) error {
	var x extraJSON
	if strings.HasPrefix(s, "{") {
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return fmt.Errorf("stored extra: %v", err)
		}
	} else {
		f := strings.Split(s, sepField)
		if len(f) != 8 {
			return fmt.Errorf("stored extra: %d fields", len(f))
		}
		d, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return fmt.Errorf("stored extra: duration %q", f[3])
		}
		x = extraJSON{f[0], f[1], f[2] == "1", d, f[4], f[5], f[6], f[7]}
	}
	r.ChatTitle, r.Media, r.System, r.Duration = x.ChatTitle, x.Media, x.System, time.Duration(x.Duration)
	r.Direction, r.Amount, r.Currency, r.Reference = x.Direction, x.Amount, x.Currency, x.Ref
	return nil
}
