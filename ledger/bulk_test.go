package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/casegen"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

// eventIndexes returns the definitions of the events table's indexes.
func eventIndexes(t *testing.T, d *deployment.Deployment) []string {
	t.Helper()
	rows, err := d.Store.(*sqlite.Store).DB().Query(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// checkIndexed: the indexes are all there, SQLite finds them consistent
// with the table, and the item and case queries (which read them, or follow
// the prev column) give what a scan of the log gives.
func checkIndexed(t *testing.T, d *deployment.Deployment, want []string) {
	t.Helper()
	ctx := context.Background()
	if got := eventIndexes(t, d); !reflect.DeepEqual(got, want) {
		t.Fatalf("events indexes after the import:\n got %q\nwant %q", got, want)
	}
	var check string
	if err := d.Store.(*sqlite.Store).DB().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	byItem, byCase := map[string][]int64{}, map[string][]int64{}
	if err := d.Store.ScanEvents(ctx, 0, func(e ledger.StoredEvent) error {
		if e.Item != "" {
			byItem[e.Item] = append(byItem[e.Item], e.Seq)
		}
		if e.Case != "" {
			byCase[e.Case] = append(byCase[e.Case], e.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for item, seqs := range byItem {
		got, err := d.Store.ItemEvents(ctx, item, seqs[len(seqs)-1])
		if err != nil || !reflect.DeepEqual(got, seqs) {
			t.Fatalf("ItemEvents(%s) = %v, %v; want %v", item, got, err, seqs)
		}
		if n++; n == 50 {
			break
		}
	}
	for c, seqs := range byCase {
		got, err := d.Store.CaseEvents(ctx, c, seqs[len(seqs)-1])
		if err != nil || !reflect.DeepEqual(got, seqs) {
			t.Fatalf("CaseEvents(%s) = %d seqs, %v; want %d", c, len(got), err, len(seqs))
		}
	}
	rep, err := ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}

// TestImportBulkIndexes: imports in parts, each larger or smaller than the
// log it joins, through the bulk insert, leave the events indexes and the
// item chains (the prev column) consistent and used; a rejected import,
// rejected at its last line, leaves the store as it was. The last part
// touches more items than one chunk of the projection rows (rowChunk), so
// that audit checks the rows written chunk by chunk.
func TestImportBulkIndexes(t *testing.T) {
	ctx := context.Background()
	var load bytes.Buffer
	if err := casegen.WriteCustodyLoad(&load, 3, 60000); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(load.String(), "\n"), "\n")
	d := testdeploy.New(t, nil)
	want := eventIndexes(t, d)
	if len(want) != 0 {
		t.Fatalf("a new deployment has events indexes %q", want)
	}
	empty := readStore(t, d.Store)

	// Rejected at its last line, long after the bulk inserts began.
	bad := load.String() + `{"op": "custody.transfer", "item": "E-NONE", "from": "a", "to": "b", "at": "2024-02-02T10:00:00-05:00", "purpose": "storage", "seal_condition": "intact"}` + "\n"
	_, err := d.Ledger.Import(ctx, strings.NewReader(bad), custody.FileSHA256([]byte(bad)), nil)
	var le *casefile.LineError
	if !errors.As(err, &le) || le.Line != len(lines)+1 {
		t.Fatalf("Import = %v, want a LineError at line %d", err, len(lines)+1)
	}
	if got := readStore(t, d.Store); !reflect.DeepEqual(got, empty) {
		t.Fatalf("a rejected import changed an empty store: %d events", got.size)
	}
	if got := eventIndexes(t, d); !reflect.DeepEqual(got, want) {
		t.Fatalf("a rejected import left the indexes %q, want %q", got, want)
	}

	// The first part into the empty log, then a small part, then the rest,
	// larger than the log.
	first, small := 5000, 5000+300
	for _, part := range []string{strings.Join(lines[:first], ""), strings.Join(lines[first:small], ""), strings.Join(lines[small:], "")} {
		testdeploy.Import(t, d, []byte(part))
		checkIndexed(t, d, want)
	}
	if d.Ledger.Size() != int64(len(lines)) {
		t.Fatalf("log size %d, want %d", d.Ledger.Size(), len(lines))
	}

	// Reopened, the log replays to the same state.
	rows := stateRows(d)
	d.Close()
	d2 := testdeploy.Open(t, d.Dir, nil)
	if !reflect.DeepEqual(stateRows(d2), rows) {
		t.Error("reopening the deployment gives another state")
	}
}
