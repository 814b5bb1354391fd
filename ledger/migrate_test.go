package ledger_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// TestMigrationItemChain: a database made before migration 005 (events
// indexed by item, no prev column) is migrated on open: the prev column is
// filled from the events' own prev links, the old index is gone, every
// item's history is what it was, and audit finds the database clean.
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
		`ALTER TABLE events DROP COLUMN prev`,
		`CREATE INDEX events_item ON events(item, seq) WHERE item <> ''`,
		`DELETE FROM schema_migrations WHERE version = 5`,
	} {
		if _, err := d.Store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d.Close()

	d2 := testdeploy.Open(t, d.Dir, nil)
	var n int
	if err := d2.Store.DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'events_item'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("events_item after the migration: %d, %v", n, err)
	}
	if err := d2.Store.DB().QueryRow(`SELECT count(*) FROM events WHERE prev IS NOT NULL`).Scan(&n); err != nil || n != linked {
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
