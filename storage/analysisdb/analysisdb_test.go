package analysisdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// TestRecordAtSourceAndVersion: the record a link names (item, hash,
// line) is found, a line with no record is not, another case sees
// nothing, and the version changes with each committed import only.
func TestRecordAtSourceAndVersion(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	v0, err := db.Version(ctx, "C1")
	if err != nil {
		t.Fatal(err)
	}
	tx := importChat(t, db, "E1")
	if v, _ := db.Version(ctx, "C1"); v != v0 {
		t.Errorf("the version changed before the commit: %s → %s", v0, v)
	}
	if err := tx.Commit(7); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.Version(ctx, "C1")
	if v1 == v0 {
		t.Errorf("the version did not change with a commit: %s", v1)
	}
	for _, c := range []struct {
		line int
		want string
	}{{1, "¿Hablaste con la Policía?"}, {2, "Sí, con el jefe de policía\nsin fecha? no: continúa"}, {5, `"comillas" y AND OR NOT`}} {
		r, err := db.Record(ctx, "C1", "E1", sha, c.line, 0)
		if err != nil || r.Text != c.want || r.Source.Line != c.line || r.Source.Item != "E1" || r.At.IsZero() {
			t.Errorf("line %d: %+v %v", c.line, r, err)
		}
	}
	for _, c := range []struct {
		caseID, item string
		line         int
	}{{"C1", "E1", 3}, {"C1", "E1", 4}, {"C1", "E1", 99}, {"C2", "E1", 1}, {"C1", "E9", 1}} {
		if r, err := db.Record(ctx, c.caseID, c.item, sha, c.line, 0); !errors.Is(err, ErrNoRecord) {
			t.Errorf("%s %s line %d: %+v %v, want ErrNoRecord", c.caseID, c.item, c.line, r, err)
		}
	}
}

// TestPartiesRoundTrip: parties come back as they went in, including
// text holding the separators the compact form uses.
func TestPartiesRoundTrip(t *testing.T) {
	for _, c := range []struct {
		from analysis.Party
		to   []analysis.Party
	}{
		{analysis.Party{Name: "Ana", Phones: []string{"099 111 2233", "+593 2 222"}}, nil},
		{analysis.Party{Account: "2281560229", IDNumber: "1907647844", Bank: "Pichincha"}, []analysis.Party{{Name: "B", Emails: []string{"b@x.ec"}}, {UserID: "user9", Aliases: []string{"Flaco"}, Org: "S.A."}}},
		{analysis.Party{Name: "sep\x1etrick"}, []analysis.Party{{Name: "x"}}},
		{analysis.Party{Name: "[bracket"}, nil},
	} {
		from, to, err := decodeParties(encodeParties(c.from, c.to))
		if err != nil || fmt.Sprintf("%+v %+v", from, to) != fmt.Sprintf("%+v %+v", c.from, c.to) {
			t.Errorf("%+v %+v came back as %+v %+v (%v)", c.from, c.to, from, to, err)
		}
	}
}

// TestOldLayoutRefused: a file of the earlier layout (records as JSON) is
// refused with what to do, not read wrongly.
func TestOldLayoutRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE records (id INTEGER PRIMARY KEY, data TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrOldLayout) || !strings.Contains(err.Error(), "import the files again") {
		t.Fatalf("old layout: %v", err)
	}
}

// TestExtraRoundTrip: what only calls, payments and chat lines have comes
// back as it went in, separators in the text included; a plain message
// stores nothing there.
func TestExtraRoundTrip(t *testing.T) {
	for _, r := range []analysis.Record{
		{Kind: analysis.KindCall, Duration: 95 * time.Second, Direction: "incoming"},
		{Kind: analysis.KindPayment, Amount: "1500.00", Currency: "USD", Reference: "pago\x1fraro"},
		{Kind: analysis.KindMessage, ChatTitle: "{Grupo}", Media: "image", System: true},
	} {
		x := encodeExtra(&r)
		s, ok := x.(string)
		var got analysis.Record
		if !ok || decodeExtra(s, &got) != nil {
			t.Fatalf("%+v encoded as %v", r, x)
		}
		got.Kind = r.Kind
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", r) {
			t.Errorf("%+v came back as %+v", r, got)
		}
	}
	if x := encodeExtra(&analysis.Record{Kind: analysis.KindMessage, Text: "hola"}); x != nil {
		t.Errorf("a plain message stores extra %v", x)
	}
}
