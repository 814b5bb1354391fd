package ledger_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
	"github.com/custodia-ec/custodia/verify"
)

// A tampering is what an insider with write access to the database does
// with plain SQL. Audit must report at least one problem of one of kinds.
type tampering struct {
	name  string
	kinds []string
	// table, when set, is the table every row problem must name.
	table string
	// only, when set, means every problem must be of these kinds.
	only bool
	do   func(t *testing.T, db *sql.DB) error
}

// errNotApplicable makes the generator draw another tampering.
var errNotApplicable = errors.New("not applicable")

var (
	rowKinds   = []string{ledger.PRowModified, ledger.PRowDeleted, ledger.PRowInserted}
	eventKinds = []string{ledger.PEventMissing, ledger.PEventRewritten, ledger.PEventRejected, ledger.PEventColumns, ledger.PHashes,
		ledger.PCheckpointRoot, ledger.PCheckpointCoverage}
	checkpointKinds = []string{ledger.PCheckpointSig, ledger.PCheckpointRoot, ledger.PCheckpointCoverage}
)

// schema is what the generator knows of a table: its columns, how many form
// the key, and the rowids of its rows in the fixture.
type schema struct {
	name    string
	columns []string
	keys    int
	notNull map[string]bool
	rowids  []int64
}

func loadSchemas(t *testing.T, db *sql.DB) []schema {
	t.Helper()
	tables := []schema{
		{name: "events", columns: []string{"seq", "item", "case_id", "data", "hashes", "prev", "case_prev"}, keys: 1},
		{name: "checkpoints", columns: []string{"size", "root", "note"}, keys: 1},
	}
	for _, tab := range domain.Tables {
		tables = append(tables, schema{name: tab.Name, columns: tab.Columns, keys: tab.Keys})
	}
	for i := range tables {
		s := &tables[i]
		s.notNull = map[string]bool{}
		rows, err := db.Query(`SELECT name, "notnull", pk FROM pragma_table_info(?)`, s.name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name string
			var nn, pk int
			if err := rows.Scan(&name, &nn, &pk); err != nil {
				t.Fatal(err)
			}
			s.notNull[name] = nn == 1 || pk > 0
		}
		rows.Close()
		ids, err := db.Query(`SELECT rowid FROM ` + s.name + ` ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
		for ids.Next() {
			var id int64
			if err := ids.Scan(&id); err != nil {
				t.Fatal(err)
			}
			s.rowids = append(s.rowids, id)
		}
		ids.Close()
		if len(s.rowids) < 2 {
			t.Fatalf("fixture table %s has %d rows; every table needs two or more", s.name, len(s.rowids))
		}
	}
	return tables
}

func get(db *sql.DB, table, col string, rowid int64) (any, error) {
	var v any
	err := db.QueryRow(fmt.Sprintf(`SELECT %s FROM %s WHERE rowid = ?`, col, table), rowid).Scan(&v)
	return v, err
}

func set(db *sql.DB, table, col string, rowid int64, v any) error {
	res, err := db.Exec(fmt.Sprintf(`UPDATE %s SET %s = ? WHERE rowid = ?`, table, col), v, rowid)
	if err != nil {
		return errNotApplicable // a constraint refused it; an insider would pick another value
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("update %s.%s rowid %d changed %d rows", table, col, rowid, n)
	}
	return nil
}

// sameType returns a different value of the same SQLite type.
func sameType(r *mrand.Rand, v any) any {
	switch x := v.(type) {
	case int64:
		return x + 1 + r.Int64N(1000)
	case string:
		if x == "" {
			return string(rune('a' + r.IntN(26)))
		}
		b := []byte(x)
		i := r.IntN(len(b))
		c := byte('a' + r.IntN(26))
		for c == b[i] {
			c = byte('a' + r.IntN(26))
		}
		b[i] = c
		return string(b)
	case []byte:
		b := bytes.Clone(x)
		if len(b) == 0 {
			return []byte{1}
		}
		b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		return b
	case float64:
		return x + 1
	}
	return int64(1 + r.IntN(1000)) // NULL: an INTEGER column's, or any column's, first value
}

// otherType returns a value of another SQLite type.
func otherType(r *mrand.Rand, v any, notNull bool) any {
	choices := []func() any{
		func() any { return fmt.Sprintf("t%d", r.IntN(1000)) }, // TEXT
		func() any { return []byte(fmt.Sprint(v)) },            // BLOB with the value's text
		func() any { return 0.5 + float64(r.IntN(100)) },       // REAL
		func() any { return int64(r.IntN(1000)) },              // INTEGER
	}
	if !notNull {
		choices = append(choices, func() any { return nil })
	}
	for {
		nv := choices[r.IntN(len(choices))]()
		switch v.(type) {
		case int64:
			if _, ok := nv.(int64); ok {
				continue
			}
		case string:
			if _, ok := nv.(string); ok {
				continue
			}
			if _, ok := nv.(int64); ok {
				continue // TEXT affinity would store it as text
			}
			if _, ok := nv.(float64); ok {
				continue
			}
		case []byte:
			if _, ok := nv.([]byte); ok {
				continue
			}
		case nil:
			if nv == nil {
				continue
			}
		}
		return nv
	}
}

func pick[T any](r *mrand.Rand, s []T) T { return s[r.IntN(len(s))] }

// generate draws tampering number i: round robin over the tables, a random
// kind of change, a random row and column.
func generate(r *mrand.Rand, i int, tables []schema, f *fixture) tampering {
	s := tables[i%len(tables)]
	for {
		tm, ok := draw(r, s, f)
		if ok {
			return tm
		}
	}
}

func draw(r *mrand.Rand, s schema, f *fixture) (tampering, bool) {
	kinds := rowKinds
	switch s.name {
	case "events":
		kinds = eventKinds
	case "checkpoints":
		kinds = checkpointKinds
	}
	table := ""
	if s.name != "events" && s.name != "checkpoints" {
		table = s.name
	}
	rowid := pick(r, s.rowids)
	nonKey := s.columns[s.keys:]
	if s.name == "checkpoints" {
		nonKey = []string{"root", "note"}
	}
	switch op := r.IntN(7); op {
	case 0, 1: // modify a non-key column: same type, or another type
		col := pick(r, nonKey)
		other := op == 1
		name := fmt.Sprintf("%s/modify/%s/rowid%d", s.name, col, rowid)
		if other {
			name += "/other_type"
		}
		seed := r.Uint64()
		return tampering{name: name, kinds: kinds, table: table, do: func(t *testing.T, db *sql.DB) error {
			rr := mrand.New(mrand.NewPCG(seed, 1))
			v, err := get(db, s.name, col, rowid)
			if err != nil {
				return err
			}
			nv := sameType(rr, v)
			if other {
				nv = otherType(rr, v, s.notNull[col])
			}
			return set(db, s.name, col, rowid, nv)
		}}, true
	case 2: // modify a key column
		col := pick(r, s.columns[:s.keys])
		seed := r.Uint64()
		return tampering{name: fmt.Sprintf("%s/modify_key/%s/rowid%d", s.name, col, rowid), kinds: kinds, table: table, do: func(t *testing.T, db *sql.DB) error {
			rr := mrand.New(mrand.NewPCG(seed, 2))
			v, err := get(db, s.name, col, rowid)
			if err != nil {
				return err
			}
			return set(db, s.name, col, rowid, sameType(rr, v))
		}}, true
	case 3: // delete a row
		return tampering{name: fmt.Sprintf("%s/delete/rowid%d", s.name, rowid), kinds: kinds, table: table, do: func(t *testing.T, db *sql.DB) error {
			_, err := db.Exec(`DELETE FROM `+s.name+` WHERE rowid = ?`, rowid)
			return err
		}}, true
	case 4: // insert a copy of a row under a new key
		key := s.columns[0]
		seed := r.Uint64()
		return tampering{name: fmt.Sprintf("%s/insert_copy/rowid%d", s.name, rowid), kinds: kinds, table: table, do: func(t *testing.T, db *sql.DB) error {
			rr := mrand.New(mrand.NewPCG(seed, 4))
			v, err := get(db, s.name, key, rowid)
			if err != nil {
				return err
			}
			var nk any
			switch x := v.(type) {
			case int64:
				nk = x + 100000 + rr.Int64N(1000)
				if s.name == "events" && rr.IntN(2) == 0 {
					var max int64
					db.QueryRow(`SELECT max(seq) FROM events`).Scan(&max)
					nk = max + 1 // the next seq: a plausible append
				}
			case string:
				nk = x + "-" + fmt.Sprint(rr.IntN(1000))
			default:
				return errNotApplicable
			}
			rest := strings.Join(s.columns[1:], ", ")
			_, err = db.Exec(fmt.Sprintf(`INSERT INTO %s (%s, %s) SELECT ?, %s FROM %s WHERE rowid = ?`, s.name, key, rest, rest, s.name), nk, rowid)
			if err != nil {
				return errNotApplicable
			}
			return nil
		}}, true
	case 5: // insert a row of random values
		seed := r.Uint64()
		return tampering{name: fmt.Sprintf("%s/insert_random", s.name), kinds: kinds, table: table, do: func(t *testing.T, db *sql.DB) error {
			rr := mrand.New(mrand.NewPCG(seed, 5))
			vals := make([]any, len(s.columns))
			for i, c := range s.columns {
				v, err := get(db, s.name, c, pick(rr, s.rowids))
				if err != nil {
					return err
				}
				vals[i] = sameType(rr, v)
			}
			_, err := db.Exec(fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, s.name, strings.Join(s.columns, ", "),
				strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")), vals...)
			if err != nil {
				return errNotApplicable
			}
			return nil
		}}, true
	case 6: // reorder: swap the non-key values of two rows
		other := pick(r, s.rowids)
		if other == rowid {
			return tampering{}, false
		}
		cols := nonKey
		return tampering{name: fmt.Sprintf("%s/swap/rowid%d-rowid%d", s.name, rowid, other), kinds: kinds, table: table, do: func(t *testing.T, db *sql.DB) error {
			var a, b []any
			for _, c := range cols {
				va, err := get(db, s.name, c, rowid)
				if err != nil {
					return err
				}
				vb, err := get(db, s.name, c, other)
				if err != nil {
					return err
				}
				a, b = append(a, va), append(b, vb)
			}
			if fmt.Sprint(a) == fmt.Sprint(b) {
				return errNotApplicable
			}
			for i, c := range cols {
				if err := set(db, s.name, c, rowid, b[i]); err != nil {
					return err
				}
				if err := set(db, s.name, c, other, a[i]); err != nil {
					return err
				}
			}
			return nil
		}}, true
	}
	return tampering{}, false
}

// named are the tamperings every run makes, whatever the random draw.
func named(f *fixture) []tampering {
	first, last := f.sizes[0], f.sizes[len(f.sizes)-1]
	return []tampering{
		{name: "events/swap_seq", kinds: eventKinds, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE events SET seq = -1 WHERE seq = 100`, `UPDATE events SET seq = 100 WHERE seq = 101`, `UPDATE events SET seq = 101 WHERE seq = -1`)
		}},
		{name: "events/swap_data", kinds: eventKinds, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE events SET data = (SELECT data FROM events WHERE seq = 700) WHERE seq = 701`,
				fmt.Sprintf(`UPDATE events SET data = x'%x' WHERE seq = 700`, eventData(t, db, 701)))
		}},
		{name: "events/swap_data_and_hashes", kinds: eventKinds, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE events SET seq = -1 WHERE seq = 500`, `UPDATE events SET seq = 500 WHERE seq = 900`, `UPDATE events SET seq = 900 WHERE seq = -1`)
		}},
		{name: "events/one_byte", kinds: []string{ledger.PEventRewritten, ledger.PHashes}, do: func(t *testing.T, db *sql.DB) error {
			d := eventData(t, db, 42)
			d[len(d)/2] ^= 0x01
			return setEvent(db, 42, d)
		}},
		{name: "events/one_byte_in_last", kinds: []string{ledger.PEventRewritten, ledger.PHashes}, do: func(t *testing.T, db *sql.DB) error {
			d := eventData(t, db, last-1)
			d[10] ^= 0x20
			return setEvent(db, last-1, d)
		}},
		{name: "events/new_salt_rehashed", kinds: []string{ledger.PCheckpointRoot}, only: true, do: func(t *testing.T, db *sql.DB) error {
			return reencode(t, db, 300, func(ev *custody.Event) {
				b := make([]byte, 16)
				rand.Read(b)
				ev.Salt = hex.EncodeToString(b)
			})
		}},
		{name: "events/new_recorded_at_rehashed", kinds: []string{ledger.PCheckpointRoot}, only: true, do: func(t *testing.T, db *sql.DB) error {
			return reencode(t, db, first+3, func(ev *custody.Event) { ev.Recorded.At = "2024-02-08T12:00:00Z" })
		}},
		{name: "events/new_import_line_rehashed", kinds: []string{ledger.PCheckpointRoot}, only: true, do: func(t *testing.T, db *sql.DB) error {
			return reencode(t, db, 10, func(ev *custody.Event) { ev.Recorded.Import.Line = 9999 })
		}},
		{name: "events/new_record_rehashed", kinds: []string{ledger.PCheckpointRoot, ledger.PRowModified, ledger.PEventRejected}, do: func(t *testing.T, db *sql.DB) error {
			seq := seqOf(t, db, "evidence.seize", 0)
			return reencode(t, db, seq, func(ev *custody.Event) {
				var m map[string]any
				json.Unmarshal(ev.Record, &m)
				m["description"] = "Otra cosa"
				ev.Record, _ = fastcodec.MarshalCanonical(m)
			})
		}},
		{name: "events/transfer_redirected_rehashed", kinds: []string{ledger.PCheckpointRoot, ledger.PRowModified, ledger.PEventRejected}, do: func(t *testing.T, db *sql.DB) error {
			seq := seqOf(t, db, "custody.transfer", 5)
			return reencode(t, db, seq, func(ev *custody.Event) {
				var m map[string]any
				json.Unmarshal(ev.Record, &m)
				m["at"] = "2023-12-31T23:59:00-05:00"
				ev.Record, _ = fastcodec.MarshalCanonical(m)
			})
		}},
		{name: "events/hashes_recomputed_wrongly", kinds: []string{ledger.PHashes}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE events SET hashes = (SELECT hashes FROM events WHERE seq = 2) WHERE seq = 3`)
		}},
		{name: "events/item_column", kinds: []string{ledger.PEventColumns}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, fmt.Sprintf(`UPDATE events SET item = CASE item WHEN 'E-CHI-03-01' THEN 'E-CHI-03-02' ELSE 'E-CHI-03-01' END WHERE seq = %d`, seqOf(t, db, "custody.transfer", 3)))
		}},
		{name: "events/item_column_hidden", kinds: []string{ledger.PEventColumns}, do: func(t *testing.T, db *sql.DB) error {
			// The event no longer shows in the item's history.
			return execAll(db, fmt.Sprintf(`UPDATE events SET item = '' WHERE seq = %d`, seqOf(t, db, "custody.transfer", 3)))
		}},
		{name: "events/prev_column_skip", kinds: []string{ledger.PEventColumns}, do: func(t *testing.T, db *sql.DB) error {
			// The item's history, which follows the prev column, skips the
			// event before this one.
			seq := seqOf(t, db, "custody.transfer", 3)
			return execAll(db, fmt.Sprintf(`UPDATE events SET prev = (SELECT p.prev FROM events p WHERE p.seq = events.prev) WHERE seq = %d`, seq))
		}},
		{name: "events/prev_column_cut", kinds: []string{ledger.PEventColumns}, do: func(t *testing.T, db *sql.DB) error {
			// The history ends here, as if the item had been seized now.
			return execAll(db, fmt.Sprintf(`UPDATE events SET prev = NULL WHERE seq = %d`, seqOf(t, db, "custody.transfer", 3)))
		}},
		{name: "events/case_prev_column_skip", kinds: []string{ledger.PEventColumns}, do: func(t *testing.T, db *sql.DB) error {
			// The case's events, which follow case_prev, skip one: an
			// audited read, say, would vanish from custodia access.
			return execAll(db, `UPDATE events SET case_prev = (SELECT p.case_prev FROM events p WHERE p.seq = events.case_prev) WHERE seq = 60`)
		}},
		{name: "events/case_column", kinds: []string{ledger.PEventColumns}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE events SET case_id = 'OTRO' WHERE seq = 40`)
		}},
		{name: "events/delete_middle", kinds: []string{ledger.PEventMissing}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `DELETE FROM events WHERE seq = 600`)
		}},
		{name: "events/delete_first", kinds: []string{ledger.PEventMissing}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `DELETE FROM events WHERE seq = 0`)
		}},
		{name: "events/delete_last", kinds: []string{ledger.PCheckpointCoverage, ledger.PRowModified, ledger.PRowInserted}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, fmt.Sprintf(`DELETE FROM events WHERE seq = %d`, last-1))
		}},
		{name: "events/append_unsigned", kinds: []string{ledger.PCheckpointCoverage, ledger.PEventRewritten}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, fmt.Sprintf(`INSERT INTO events SELECT %d, item, case_id, data, hashes, prev, case_prev FROM events WHERE seq = %d`, last, last-1))
		}},
		{name: "events/delete_last_import_and_checkpoint", kinds: rowKinds, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, fmt.Sprintf(`DELETE FROM events WHERE seq >= %d`, first), fmt.Sprintf(`DELETE FROM checkpoints WHERE size = %d`, last))
		}},
		{name: "checkpoints/other_key", kinds: []string{ledger.PCheckpointSig}, do: func(t *testing.T, db *sql.DB) error {
			return resign(t, db, last, nil, func(text string) string { return text })
		}},
		{name: "checkpoints/other_key_first", kinds: []string{ledger.PCheckpointSig}, do: func(t *testing.T, db *sql.DB) error {
			return resign(t, db, first, nil, func(text string) string { return text })
		}},
		{name: "checkpoints/log_key_wrong_root", kinds: []string{ledger.PCheckpointRoot}, do: func(t *testing.T, db *sql.DB) error {
			var root []byte
			db.QueryRow(`SELECT root FROM checkpoints WHERE size = ?`, first).Scan(&root)
			root[0] ^= 1
			if _, err := db.Exec(`UPDATE checkpoints SET root = ? WHERE size = ?`, root, first); err != nil {
				return err
			}
			return resign(t, db, first, f.signer(t), func(string) string {
				return (&verify.Checkpoint{Origin: f.verifier.Name(), Size: first, Root: [32]byte(root)}).String()
			})
		}},
		{name: "checkpoints/note_text_edited", kinds: []string{ledger.PCheckpointSig}, do: func(t *testing.T, db *sql.DB) error {
			var n []byte
			db.QueryRow(`SELECT note FROM checkpoints WHERE size = ?`, last).Scan(&n)
			i := bytes.IndexByte(n, '\n') + 1 // the size line
			n[i] = '9'
			_, err := db.Exec(`UPDATE checkpoints SET note = ? WHERE size = ?`, n, last)
			return err
		}},
		{name: "checkpoints/signature_edited", kinds: []string{ledger.PCheckpointSig}, do: func(t *testing.T, db *sql.DB) error {
			var n []byte
			db.QueryRow(`SELECT note FROM checkpoints WHERE size = ?`, first).Scan(&n)
			n[len(n)-5] ^= 0x01
			_, err := db.Exec(`UPDATE checkpoints SET note = ? WHERE size = ?`, n, first)
			return err
		}},
		{name: "checkpoints/swap_notes", kinds: []string{ledger.PCheckpointSig}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE checkpoints SET size = -1 WHERE size = `+fmt.Sprint(first),
				`UPDATE checkpoints SET size = `+fmt.Sprint(first)+` WHERE size = `+fmt.Sprint(last),
				`UPDATE checkpoints SET size = `+fmt.Sprint(last)+` WHERE size = -1`)
		}},
		{name: "checkpoints/delete_last", kinds: []string{ledger.PCheckpointCoverage}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, fmt.Sprintf(`DELETE FROM checkpoints WHERE size = %d`, last))
		}},
		{name: "checkpoints/delete_all", kinds: []string{ledger.PCheckpointCoverage}, do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `DELETE FROM checkpoints`)
		}},
		{name: "checkpoints/insert_other_key", kinds: []string{ledger.PCheckpointSig}, do: func(t *testing.T, db *sql.DB) error {
			if err := execAll(db, fmt.Sprintf(`INSERT INTO checkpoints SELECT 7, root, note FROM checkpoints WHERE size = %d`, first)); err != nil {
				return err
			}
			return resign(t, db, 7, nil, func(text string) string { return text })
		}},
		{name: "items/holder", kinds: []string{ledger.PRowModified}, table: "items", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE items SET holder = 'fge.salazar' WHERE id = 'E-CHI-03-01'`)
		}},
		{name: "items/seal_cleared", kinds: []string{ledger.PRowModified}, table: "items", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE items SET seal = '' WHERE id = 'E-PIC-01-01'`)
		}},
		{name: "anomalies/delete_all", kinds: []string{ledger.PRowDeleted}, table: "anomalies", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `DELETE FROM anomalies`)
		}},
		{name: "detentions/rights_earlier", kinds: []string{ledger.PRowModified}, table: "detentions", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE detentions SET rights_notified_at = '2023-12-14T00:30:00-05:00' WHERE id = 'D-01'`)
		}},
		{name: "sites/text_as_blob", kinds: []string{ledger.PRowModified}, table: "sites", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE sites SET province = CAST(province AS BLOB) WHERE rowid = 3`)
		}},
		{name: "items/integer_as_real", kinds: []string{ledger.PRowModified}, table: "items", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE items SET quantity = 1.0 + 0.5 WHERE rowid = 4`)
		}},
		{name: "items/integer_as_text", kinds: []string{ledger.PRowModified}, table: "items", do: func(t *testing.T, db *sql.DB) error {
			return execAll(db, `UPDATE items SET last_seq = 'x' || last_seq WHERE rowid = 5`)
		}},
	}
}

func execAll(db *sql.DB, stmts ...string) error {
	for _, s := range stmts {
		res, err := db.Exec(s)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s changed no row", s)
		}
	}
	return nil
}

func eventData(t *testing.T, db *sql.DB, seq int64) []byte {
	t.Helper()
	var d []byte
	if err := db.QueryRow(`SELECT data FROM events WHERE seq = ?`, seq).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func setEvent(db *sql.DB, seq int64, data []byte) error {
	return execAll(db, fmt.Sprintf(`UPDATE events SET data = x'%x' WHERE seq = %d`, data, seq))
}

// seqOf returns the seq of the n-th event (from 0) of op.
func seqOf(t *testing.T, db *sql.DB, op string, n int) int64 {
	t.Helper()
	var seq int64
	if err := db.QueryRow(`SELECT seq FROM events WHERE json_extract(CAST(data AS TEXT), '$.op') = ? ORDER BY seq LIMIT 1 OFFSET ?`, op, n).Scan(&seq); err != nil {
		t.Fatalf("no %s number %d: %v", op, n, err)
	}
	return seq
}

// reencode rewrites event seq through edit, in canonical form, and then
// recomputes every stored hash, as an insider who knows the format would:
// only the signed checkpoints still remember the old events.
func reencode(t *testing.T, db *sql.DB, seq int64, edit func(*custody.Event)) error {
	t.Helper()
	ev, err := custody.DecodeEvent(eventData(t, db, seq))
	if err != nil {
		t.Fatal(err)
	}
	edit(ev)
	data, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.DecodeEvent(data); err != nil {
		t.Fatalf("the rewritten event does not decode: %v", err)
	}
	if err := setEvent(db, seq, data); err != nil {
		return err
	}
	rows, err := db.Query(`SELECT data FROM events ORDER BY seq`)
	if err != nil {
		return err
	}
	var all [][]byte
	for rows.Next() {
		var d []byte
		rows.Scan(&d)
		all = append(all, d)
	}
	rows.Close()
	_, per := storedHashes(t, all)
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for i := seq; i < int64(len(all)); i++ {
		if _, err := tx.Exec(`UPDATE events SET hashes = ? WHERE seq = ?`, concat(per[i]), i); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// resign replaces checkpoint size's note with text(old text) signed by
// signer, or by a fresh key of the same name when signer is nil.
func resign(t *testing.T, db *sql.DB, size int64, signer note.Signer, text func(string) string) error {
	t.Helper()
	var n []byte
	if err := db.QueryRow(`SELECT note FROM checkpoints WHERE size = ?`, size).Scan(&n); err != nil {
		return err
	}
	old := string(n[:bytes.Index(n, []byte("\n\n"))+1])
	if signer == nil {
		name := strings.SplitN(old, "\n", 2)[0]
		skey, _, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		if signer, err = note.NewSigner(skey); err != nil {
			t.Fatal(err)
		}
	}
	signed, err := note.Sign(&note.Note{Text: text(old)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE checkpoints SET note = ? WHERE size = ?`, signed, size)
	return err
}

// tamperCount is how many random tamperings a run makes: many by default,
// fewer under -short and under the race detector, whose audits are ten
// times slower.
func tamperCount() int {
	n := 320
	if raceEnabled {
		n = 8
	}
	if testing.Short() {
		n /= 3
	}
	return n
}

// TestTamper changes the database behind Custodia's back in many ways, each
// on a fresh copy of a deployment, and checks that Audit finds every one.
func TestTamper(t *testing.T) {
	f := newFixture(t)
	meta := f.copyDB(t)
	tables := loadSchemas(t, meta.DB())

	t.Run("clean", func(t *testing.T) {
		rep := audit(t, f, f.copyDB(t))
		if !rep.OK || len(rep.Problems) != 0 {
			t.Fatalf("clean database: OK %v, problems %+v", rep.OK, rep.Problems)
		}
		if rep.Events != f.sizes[len(f.sizes)-1] || rep.Checkpoints != len(f.sizes) || rep.Rows == 0 {
			t.Errorf("report: %d events, %d checkpoints, %d rows", rep.Events, rep.Checkpoints, rep.Rows)
		}
	})
	t.Run("gaps", func(t *testing.T) { testKnownGaps(t, f) })

	cases := named(f)
	r := mrand.New(mrand.NewPCG(20231214, 75))
	seen := map[string]bool{}
	for i := 0; len(cases) < len(named(f))+tamperCount(); i++ {
		tm := generate(r, i, tables, f)
		if !seen[tm.name] {
			seen[tm.name] = true
			cases = append(cases, tm)
		}
	}
	// Two workers: the machine has two cores, and each case is an audit.
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	skipped := 0
	t.Run("cases", func(t *testing.T) {
		for _, tm := range cases {
			t.Run(tm.name, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				st, ok := tampered(t, f, tm)
				if !ok {
					mu.Lock()
					skipped++
					mu.Unlock()
					return
				}
				checkCaught(t, f, st, tm)
			})
		}
	})
	t.Logf("%d tamperings, %d not applicable", len(cases), skipped)
	if skipped > len(cases)/4 {
		t.Errorf("%d of %d tamperings could not be applied", skipped, len(cases))
	}
}

// tampered copies the fixture's database and applies tm to the copy; ok is
// false when tm does not apply to it.
func tampered(t *testing.T, f *fixture, tm tampering) (st *sqlite.Store, ok bool) {
	t.Helper()
	st = f.copyDB(t)
	if err := tm.do(t, st.DB()); err != nil {
		if errors.Is(err, errNotApplicable) {
			return st, false
		}
		t.Fatalf("tampering failed: %v", err)
	}
	return st, true
}

func checkCaught(t *testing.T, f *fixture, st *sqlite.Store, tm tampering) {
	t.Helper()
	rep, err := ledger.Audit(context.Background(), st, f.verifier, domain.DefaultConfig)
	if err != nil {
		t.Fatalf("Audit failed instead of reporting the change: %v", err)
	}
	if rep.OK {
		t.Fatalf("Audit says OK after %s (%d problems)", tm.name, len(rep.Problems))
	}
	fits := false
	for _, p := range rep.Problems {
		if p.Message == "" || p.MessageEN == "" {
			t.Errorf("problem without a message: %+v", p)
		}
		if p.Kind == ledger.PEventRewritten && (strings.Contains(p.Message, "event ") || strings.Contains(p.Message, "canonical form")) {
			t.Errorf("the Spanish message carries English: %q", p.Message)
		}
		ok := slices.Contains(tm.kinds, p.Kind)
		if ok && tm.table != "" && slices.Contains(rowKinds, p.Kind) && p.Table != tm.table {
			ok = false
		}
		if ok {
			fits = true
		} else if tm.only {
			t.Errorf("unexpected problem %s: %s", p.Kind, p.MessageEN)
		}
	}
	if !fits {
		var got []string
		for _, p := range rep.Problems {
			got = append(got, p.Kind+" "+p.Table+" "+p.MessageEN)
		}
		t.Errorf("no problem of kind %v (table %q); got:\n%s", tm.kinds, tm.table, strings.Join(got, "\n"))
	}
}

// testKnownGaps are tamperings the random draw leaves out, each named so
// that its failure says exactly what audit misses.
func testKnownGaps(t *testing.T, f *fixture) {
	// Every signed checkpoint is kept, so one that disappears is a change to
	// the database.
	t.Run("older_checkpoint_deleted", func(t *testing.T) { tamperOlderCheckpoint(t, f) })
	// An index column rewritten with the same bytes as a BLOB hides the
	// event from `WHERE item = ?`, and so from the item's history and
	// bundle, while its bytes read back the same.
	t.Run("index_column_as_blob", func(t *testing.T) { tamperIndexAsBlob(t, f) })
}

func tamperOlderCheckpoint(t *testing.T, f *fixture) {
	st := f.copyDB(t)
	if err := execAll(st.DB(), `DELETE FROM checkpoints WHERE size = `+fmt.Sprint(f.sizes[0])); err != nil {
		t.Fatal(err)
	}
	checkCaught(t, f, st, tampering{name: "checkpoints/delete_first", kinds: checkpointKinds})
}

func tamperIndexAsBlob(t *testing.T, f *fixture) {
	st := f.copyDB(t)
	seq := seqOf(t, st.DB(), "custody.transfer", 3)
	if err := execAll(st.DB(), fmt.Sprintf(`UPDATE events SET item = CAST(item AS BLOB) WHERE seq = %d`, seq)); err != nil {
		t.Fatal(err)
	}
	checkCaught(t, f, st, tampering{name: "events/item_as_blob", kinds: []string{ledger.PEventColumns}})
}

// TestAuditRejectedInWords: an event rewritten (and the hashes recomputed)
// so that the rules refuse it is reported with the rules' reason in each
// language, not the English in both.
func TestAuditRejectedInWords(t *testing.T) {
	f := newFixture(t)
	st := f.copyDB(t)
	seq := seqOf(t, st.DB(), "custody.transfer", 5)
	if err := reencode(t, st.DB(), seq, func(ev *custody.Event) {
		var m map[string]any
		json.Unmarshal(ev.Record, &m)
		m["from"] = m["to"] // handed over by the one who receives it
		ev.Record, _ = fastcodec.MarshalCanonical(m)
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Audit(context.Background(), st, f.verifier, domain.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range rep.Problems {
		if p.Kind != ledger.PEventRejected {
			continue
		}
		found = true
		_, es, _ := strings.Cut(p.Message, "ya no cumple las reglas: ")
		_, en, _ := strings.Cut(p.MessageEN, "no longer passes the rules: ")
		if es == "" || en == "" || es == en {
			t.Errorf("the reason is not in each language: %q / %q", p.Message, p.MessageEN)
		}
	}
	if !found {
		t.Fatalf("no %s problem: %+v", ledger.PEventRejected, rep.Problems)
	}
}
