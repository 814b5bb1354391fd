package analysisdb

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/analysis"
)

const sha = "1111111111111111111111111111111111111111111111111111111111111111"

func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), File))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

const chat = "14/12/2023, 22:11 - Fabricio Colón: ¿Hablaste con la Policía?\n" +
	"14/12/2023, 22:12 - Leandro Norero: Sí, con el jefe de policía\n" +
	"sin fecha? no: continúa\n" +
	"31/02/2023, 22:13 - Leandro Norero: imposible\n" +
	"14/12/2023, 22:14 - Leandro Norero: \"comillas\" y AND OR NOT\n"

func importChat(t *testing.T, db *DB, item string) *Tx {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx, Import{Case: "C1", Item: item, SHA256: sha, Format: "whatsapp", At: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := analysis.ImportWhatsApp(strings.NewReader(chat), analysis.Source{Item: item, SHA256: sha}, analysis.WhatsAppOptions{}, tx); err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestImportSearchAndRecords: an import's records come back as they were
// read (text and source), its rejects are kept, the search folds accents
// and case and takes the query's words literally, and a file is imported
// once.
func TestImportSearchAndRecords(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	tx := importChat(t, db, "E1")
	if err := tx.Commit(42); err != nil {
		t.Fatal(err)
	}
	var got []analysis.Record
	if err := db.Records(ctx, "C1")(func(r *analysis.Record) error { got = append(got, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Text != "Sí, con el jefe de policía\nsin fecha? no: continúa" || got[1].Source.Line != 2 || got[1].Source.SHA256 != sha {
		t.Fatalf("records: %+v", got)
	}
	imps, err := db.Imports(ctx, "C1")
	if err != nil || len(imps) != 1 || imps[0].Records != 3 || imps[0].Rejects != 1 || imps[0].Seq == nil || *imps[0].Seq != 42 {
		t.Fatalf("imports: %+v %v", imps, err)
	}
	rej, err := db.Rejects(ctx, imps[0].ID)
	if err != nil || len(rej) != 1 || rej[0].Line != 4 || rej[0].EN == "" {
		t.Fatalf("rejects: %+v %v", rej, err)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"policia", 2}, {"POLICÍA jefe", 1}, {"colon", 0}, {`"comillas"`, 1}, {"AND OR", 1}, {"NOT", 1}, {"", 0}, {"inexistente", 0}} {
		hits, err := db.Search(ctx, "C1", tc.q, 10)
		if err != nil || len(hits) != tc.want {
			t.Errorf("search %q: %d hits, %v; want %d", tc.q, len(hits), err, tc.want)
		}
		for _, h := range hits {
			if h.Record.Source.Item != "E1" || h.Snippet == "" {
				t.Errorf("hit without its source or snippet: %+v", h)
			}
		}
	}
	if hits, _ := db.Search(ctx, "C2", "policia", 10); len(hits) != 0 {
		t.Errorf("another case's search found %d", len(hits))
	}
	if _, err := db.Begin(ctx, Import{Case: "C1", Item: "E1", SHA256: sha, Format: "whatsapp"}); !errors.Is(err, ErrImported) {
		t.Errorf("second import: %v", err)
	}
}

func TestRollbackKeepsNothing(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	tx := importChat(t, db, "E2")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	n := 0
	db.Records(ctx, "C1")(func(*analysis.Record) error { n++; return nil })
	if hits, _ := db.Search(ctx, "C1", "policia", 10); n != 0 || len(hits) != 0 {
		t.Fatalf("%d records and %d hits after a rollback", n, len(hits))
	}
	if imps, _ := db.Imports(ctx, "C1"); len(imps) != 0 {
		t.Fatalf("imports after a rollback: %+v", imps)
	}
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	id, err := db.AddDecision(ctx, "C1", analysis.Decision{Kind: "merge", A: "name:x", B: "phone:+593991112233", By: "analista"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddDecision(ctx, "C1", analysis.Decision{Kind: "join", A: "a", B: "b", By: "x"}, time.Now()); err == nil {
		t.Error("a decision of kind join was stored")
	}
	ds, _ := db.Decisions(ctx, "C1")
	if len(ds) != 1 || ds[0].ID != id || ds[0].By != "analista" {
		t.Fatalf("decisions: %+v", ds)
	}
	if err := db.RemoveDecision(ctx, "C1", id); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.Decisions(ctx, "C1"); len(ds) != 0 {
		t.Fatalf("decisions after undoing: %+v", ds)
	}
}
