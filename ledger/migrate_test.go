package ledger_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// TestMigrationItemChain: a database made before migrations 005 to 007
// (events indexed by item and by case, no prev or case_prev column, an op
// column) is migrated on open: prev is filled from the events' own prev links and
// case_prev from the case column, the old indexes are gone, every item's
// history and the case's export are what they were, and audit finds the
// database clean.
func TestMigrationItemChain(t *testing.T) {
	ctx := context.Background()
	d, _ := testdeploy.Metastasis(t, nil)
	items := map[string]bool{}
	linked := 0
	if err := d.Store.ScanEvents(ctx, 0, func(e ledger.StoredEvent) error {
		if e.Item != "" {
			items[e.Item] = true
		}
		if e.Prev >= 0 {
			linked++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(items) < 100 || linked == 0 {
		t.Fatalf("fixture: %d items, %d linked events", len(items), linked)
	}
	var export bytes.Buffer
	if _, err := d.Ledger.ExportCase(ctx, "METASTASIS", &export); err != nil {
		t.Fatal(err)
	}
	before := map[string][]domain.HistoryEntry{}
	for id := range items {
		h, err := d.Ledger.ItemHistory(ctx, id)
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		before[id] = h
	}

	// The schema as version 4 left it.
	for _, q := range []string{
		`ALTER TABLE events ADD COLUMN op TEXT NOT NULL DEFAULT ''`,
		`UPDATE events SET op = json_extract(CAST(data AS TEXT), '$.op')`,
		`ALTER TABLE events DROP COLUMN prev`,
		`ALTER TABLE events DROP COLUMN case_prev`,
		`CREATE INDEX events_item ON events(item, seq) WHERE item <> ''`,
		`CREATE INDEX events_case ON events(case_id, seq) WHERE case_id <> ''`,
		`DELETE FROM schema_migrations WHERE version IN (5, 6, 7)`,
	} {
		if _, err := d.Store.(*sqlite.Store).DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d.Close()

	d2 := testdeploy.Open(t, d.Dir, nil)
	var n int
	if err := d2.Store.(*sqlite.Store).DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name IN ('events_item', 'events_case')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d old indexes after the migration (%v)", n, err)
	}
	if err := d2.Store.(*sqlite.Store).DB().QueryRow(`SELECT count(*) FROM pragma_table_info('events') WHERE name = 'op'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the op column is still there after the migration (%v)", err)
	}
	var export2 bytes.Buffer
	if _, err := d2.Ledger.ExportCase(ctx, "METASTASIS", &export2); err != nil || !bytes.Equal(export2.Bytes(), export.Bytes()) {
		t.Fatalf("the case's export after the migration differs (%d bytes, want %d; %v)", export2.Len(), export.Len(), err)
	}
	if err := d2.Store.(*sqlite.Store).DB().QueryRow(`SELECT count(*) FROM events WHERE prev IS NOT NULL`).Scan(&n); err != nil || n != linked {
		t.Fatalf("%d events with a prev link after the migration, want %d (%v)", n, linked, err)
	}
	for id, want := range before {
		got, err := d2.Ledger.ItemHistory(ctx, id)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("history of %s after the migration: %d entries, %v; want %d", id, len(got), err, len(want))
		}
	}
	rep, err := ledger.Audit(ctx, d2.Store, d2.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit after the migration: %v %+v", err, rep.Problems)
	}
}
