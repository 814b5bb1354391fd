package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
)

// storeState is everything a store holds, read through its interface.
type storeState struct {
	size        int64
	events      []ledger.StoredEvent
	checkpoints []ledger.Checkpoint
	rows        map[string][]domain.Row
}

func readStore(t *testing.T, st ledger.Store) storeState {
	t.Helper()
	ctx := context.Background()
	s := storeState{rows: map[string][]domain.Row{}}
	var err error
	if s.size, err = st.Size(ctx); err != nil {
		t.Fatal(err)
	}
	s.events = allEvents(t, st)
	if s.checkpoints, err = st.Checkpoints(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tab := range domain.Tables {
		if err := st.ScanRows(ctx, tab, func(r domain.Row) error {
			s.rows[tab.Name] = append(s.rows[tab.Name], r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func stateRows(d *deployment.Deployment) map[string][]domain.Row {
	out := map[string][]domain.Row{}
	d.Ledger.View(func(s *domain.State) error {
		for _, tab := range domain.Tables {
			if rows := s.AllRows(tab.Name); len(rows) > 0 {
				out[tab.Name] = rows
			}
		}
		return nil
	})
	return out
}

func TestImportAllOrNothing(t *testing.T) {
	ctx := context.Background()
	d, _ := testdeploy.Metastasis(t, nil)
	before := readStore(t, d.Store)
	memBefore := stateRows(d)
	if !reflect.DeepEqual(before.rows, memBefore) {
		t.Fatal("after a clean import, the stored rows differ from the in-memory state")
	}

	good := []string{
		`{"op": "agency.add", "id": "AG-NEW", "name": "Nueva", "kind": "other"}`,
		`{"op": "officer.add", "id": "new.1", "name": "Nuevo", "agency": "AG-NEW", "role": "custodian"}`,
		`{"op": "custody.transfer", "item": "E-CHI-03-01", "from": "cust.chi", "to": "new.1", "at": "2024-02-01T10:00:00-05:00", "purpose": "storage", "seal_condition": "broken"}`,
		`{"op": "evidence.derive", "id": "E-NEW-1", "parent": "E-CHI-03-01", "type": "photo", "description": "Foto", "at": "2024-02-01T11:00:00-05:00", "by": "new.1"}`,
		`{"op": "detention.update", "detention": "D-02", "at": "2024-02-01T10:00:00-05:00", "by": "new.1", "released_at": "2024-01-02T10:00:00-05:00"}`,
	}
	bad := []struct{ name, line, op string }{
		{"rule", `{"op": "custody.transfer", "item": "E-CHI-03-01", "from": "lab.3", "to": "cust.chi", "at": "2024-02-02T10:00:00-05:00", "purpose": "storage", "seal_condition": "none"}`, "custody.transfer"},
		{"reference", `{"op": "court.present", "item": "E-NONE", "at": "2024-02-02T10:00:00-05:00", "by": "new.1", "hearing": "x"}`, "court.present"},
		{"duplicate of an earlier line", `{"op": "agency.add", "id": "AG-NEW", "name": "Otra", "kind": "other"}`, "agency.add"},
		{"unknown field", `{"op": "statement.add", "id": "ST-N", "case": "METASTASIS", "at": "2024-02-02T10:00:00-05:00", "source": "x", "text": "y", "colour": "z"}`, "statement.add"},
		{"not JSON", `{"op": "statement.add", "id": `, "statement.add"},
		{"no op", `{"id": "ST-N"}`, ""},
		{"time without offset", `{"op": "statement.add", "id": "ST-N", "case": "METASTASIS", "at": "2024-02-02T10:00:00", "source": "x", "text": "y"}`, "statement.add"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			file := strings.Join(append(append([]string{}, good...), "", b.line), "\n") + "\n"
			_, err := d.Ledger.Import(ctx, strings.NewReader(file), custody.FileSHA256([]byte(file)), nil)
			var le *casefile.LineError
			if !errors.As(err, &le) {
				t.Fatalf("Import = %v, want a *casefile.LineError", err)
			}
			if le.Line != len(good)+2 || le.Op != b.op || le.Err == nil || le.Err.MessageEN == "" || le.Err.Message == "" {
				t.Errorf("LineError = line %d op %q err %v; want line %d op %q", le.Line, le.Op, le.Err, len(good)+2, b.op)
			}
			if !strings.Contains(le.Error(), "line ") || !strings.Contains(le.Localized("es"), "línea ") {
				t.Errorf("messages do not name the line: %q / %q", le.Error(), le.Localized("es"))
			}
			after := readStore(t, d.Store)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("a rejected file changed the store: size %d→%d, checkpoints %d→%d", before.size, after.size, len(before.checkpoints), len(after.checkpoints))
			}
			if got := stateRows(d); !reflect.DeepEqual(memBefore, got) {
				t.Error("a rejected file changed the in-memory state")
			}
			if d.Ledger.Size() != before.size {
				t.Errorf("ledger size %d, want %d", d.Ledger.Size(), before.size)
			}
		})
	}

	// The state is still usable: the good lines alone import.
	file := strings.Join(good, "\n") + "\n"
	res, err := d.Ledger.Import(ctx, strings.NewReader(file), custody.FileSHA256([]byte(file)), nil)
	if err != nil {
		t.Fatalf("good import after rejected ones: %v", err)
	}
	if res.Events != len(good) || res.Size != before.size+int64(len(good)) {
		t.Errorf("import result %+v", res)
	}
	after := readStore(t, d.Store)
	if len(after.checkpoints) != len(before.checkpoints)+1 || after.size != res.Size {
		t.Errorf("after the good import: size %d, %d checkpoints", after.size, len(after.checkpoints))
	}
	if !reflect.DeepEqual(after.rows, stateRows(d)) {
		t.Error("stored rows differ from the in-memory state after the good import")
	}
	if !reflect.DeepEqual(after.events[:before.size], before.events) {
		t.Error("the import changed earlier events")
	}
	rep, err := ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit after the imports: %v %+v", err, rep)
	}

	// A fresh open of the same data replays to the same state.
	d.Close()
	d2 := testdeploy.Open(t, d.Dir, nil)
	if !reflect.DeepEqual(stateRows(d2), after.rows) {
		t.Error("reopening the deployment gives another state")
	}
}

// TestImportRecorded checks what the system records beside each event: the
// import's time from the injected clock and the file's SHA-256 and line.
func TestImportRecorded(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("ECT", -5*3600))
	d, data := testdeploy.Metastasis(t, func() time.Time { return now })
	evs := allEvents(t, d.Store)
	sha := custody.FileSHA256(data)
	lines := bytes.Split(data, []byte("\n"))
	for i, se := range evs {
		ev, err := custody.DecodeEvent(se.Data)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Seq != int64(i) || ev.Recorded.At != "2024-03-01T17:00:00Z" || ev.Recorded.Import == nil || ev.Recorded.Import.SHA256 != sha ||
			ev.Recorded.Import.Line != i+1 || ev.Recorded.Account != "" {
			t.Fatalf("event %d: seq %d recorded %+v", i, ev.Seq, ev.Recorded)
		}
		op, rec, cerr := casefile.Decode(lines[i])
		if cerr != nil {
			t.Fatal(cerr)
		}
		want, _ := fastcodec.MarshalCanonical(rec)
		if ev.Op != op || !bytes.Equal(ev.Record, want) {
			t.Errorf("event %d: %s %s, want %s %s", i, ev.Op, ev.Record, op, want)
		}
		if len(ev.Salt) != 32 {
			t.Errorf("event %d: salt %q", i, ev.Salt)
		}
	}
	// Salts differ between events.
	salts := map[string]bool{}
	for _, se := range evs {
		ev, _ := custody.DecodeEvent(se.Data)
		if salts[ev.Salt] {
			t.Fatalf("salt %s used twice", ev.Salt)
		}
		salts[ev.Salt] = true
	}
}

// TestExportCaseRoundTrip exports the Metastasis case and imports it into an
// empty deployment: every item's history and every report are the same.
func TestExportCaseRoundTrip(t *testing.T) {
	ctx := context.Background()
	a, _ := testdeploy.Metastasis(t, nil)
	var buf bytes.Buffer
	n, err := a.Ledger.ExportCase(ctx, "METASTASIS", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != strings.Count(buf.String(), "\n") {
		t.Errorf("ExportCase says %d lines, wrote %d", n, strings.Count(buf.String(), "\n"))
	}
	b := testdeploy.New(t, nil)
	testdeploy.Import(t, b, buf.Bytes())

	for _, asOf := range []string{"2023-12-14T03:00:00-05:00", "2023-12-14T12:00:00-05:00", "2024-01-01T00:00:00-05:00", "2030-01-01T00:00:00Z"} {
		tm, _ := custody.ParseTime(asOf)
		ra, err := a.Ledger.OperationReport("OP-METASTASIS", tm)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Ledger.OperationReport("OP-METASTASIS", tm)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ra, rb) {
			t.Errorf("reports as of %s differ:\n%+v\n%+v", asOf, ra, rb)
		}
	}
	var items []string
	a.Ledger.View(func(s *domain.State) error {
		for id := range s.Items {
			items = append(items, id)
		}
		return nil
	})
	if len(items) != 168 {
		t.Fatalf("%d items, want 155 seized and 13 derived", len(items))
	}
	for _, id := range items {
		ha, err := a.Ledger.ItemHistory(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		hb, err := b.Ledger.ItemHistory(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if len(ha) != len(hb) || len(ha) == 0 {
			t.Fatalf("%s: %d events, then %d", id, len(ha), len(hb))
		}
		for i := range ha {
			x, y := ha[i], hb[i]
			x.Seq, y.Seq, x.RecordedAt, y.RecordedAt, x.RecordedBy, y.RecordedBy = 0, 0, "", "", "", ""
			if !reflect.DeepEqual(x, y) {
				t.Errorf("%s event %d differs:\n%+v\n%+v", id, i, x, y)
			}
		}
	}
	// Exporting the copy gives the same file.
	var again bytes.Buffer
	if _, err := b.Ledger.ExportCase(ctx, "METASTASIS", &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("exporting the imported copy gives another file")
	}
	// Every exported line is a valid case-file line.
	rd := casefile.NewReader(bytes.NewReader(buf.Bytes()))
	for {
		_, _, _, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("exported file: %v", err)
		}
	}
}

// TestImportGenerated imports seeded random case files: one with a bad line
// changes nothing and names that line; the good file then imports, passes
// audit, and reports what the pure domain state reports.
func TestImportGenerated(t *testing.T) {
	ctx := context.Background()
	n := 6
	if testing.Short() || raceEnabled {
		n = 2
	}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			c := testdeploy.GenerateCase(seed)
			d := testdeploy.New(t, nil)
			empty := readStore(t, d.Store)
			lines, lineNo, op := c.WithBadLine(seed)
			bad := strings.Join(lines, "\n") + "\n"
			_, err := d.Ledger.Import(ctx, strings.NewReader(bad), custody.FileSHA256([]byte(bad)), nil)
			var le *casefile.LineError
			if !errors.As(err, &le) || le.Line != lineNo || le.Op != op {
				t.Fatalf("Import = %v, want line %d op %q", err, lineNo, op)
			}
			if got := readStore(t, d.Store); !reflect.DeepEqual(got, empty) || got.size != 0 || len(got.checkpoints) != 0 {
				t.Fatalf("a rejected file changed an empty store: %d events, %d checkpoints", got.size, len(got.checkpoints))
			}
			good := []byte(strings.Join(c.Lines, "\n") + "\n")
			testdeploy.Import(t, d, good)

			st := domain.NewState(domain.DefaultConfig)
			for i, l := range c.Lines {
				op, rec, cerr := casefile.Decode([]byte(l))
				if cerr != nil {
					t.Fatal(cerr)
				}
				if _, err := st.Apply(op, rec, int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			for _, asOf := range []time.Time{c.Start, c.Start.Add(c.End.Sub(c.Start) / 2), c.End.Add(48 * time.Hour)} {
				want, _ := st.OperationReport(c.Operation, asOf)
				got, err := d.Ledger.OperationReport(c.Operation, asOf)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("as of %s: ledger report differs from the domain's (%v)", asOf, err)
				}
			}
			rep, err := ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), domain.DefaultConfig)
			if err != nil || !rep.OK {
				t.Fatalf("audit: %v %+v", err, rep)
			}
		})
	}
}

// TestAppend: records appended through an account are accepted or rejected
// one by one; a rejected one changes nothing, and a batch with none
// accepted signs no checkpoint.
func TestAppend(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	d := testdeploy.New(t, func() time.Time { return now })
	decode := func(line string) ledger.Record {
		op, rec, cerr := casefile.Decode([]byte(line))
		if cerr != nil {
			t.Fatalf("%s: %v", line, cerr)
		}
		return ledger.Record{Op: op, Rec: rec, Recorded: custody.Recorded{At: now.Format(time.RFC3339), Account: "ana"}}
	}
	recs := []ledger.Record{
		decode(`{"op": "agency.add", "id": "PN", "name": "Policía", "kind": "police"}`),
		decode(`{"op": "officer.add", "id": "o1", "name": "Uno", "agency": "NOPE", "role": "agent"}`),
		decode(`{"op": "officer.add", "id": "o1", "name": "Uno", "agency": "PN", "role": "agent"}`),
		decode(`{"op": "agency.add", "id": "PN", "name": "Otra", "kind": "police"}`),
	}
	res, cp, err := d.Ledger.Append(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Err != nil || res[1].Err == nil || res[2].Err != nil || res[3].Err == nil {
		t.Fatalf("results: %+v", res)
	}
	if res[0].Event.Seq != 0 || res[2].Event.Seq != 1 || res[0].Event.Recorded.Account != "ana" {
		t.Errorf("events: %+v %+v", res[0].Event, res[2].Event)
	}
	if cp == nil || cp.Size != 2 || d.Ledger.Size() != 2 {
		t.Fatalf("checkpoint %+v, size %d", cp, d.Ledger.Size())
	}
	before := readStore(t, d.Store)
	res, cp, err = d.Ledger.Append(ctx, recs[1:2])
	if err != nil || cp != nil || len(res) != 1 || res[0].Err == nil {
		t.Fatalf("all rejected: %+v %+v %v", res, cp, err)
	}
	if after := readStore(t, d.Store); !reflect.DeepEqual(before, after) {
		t.Error("a batch with nothing accepted changed the store")
	}
	rep, err := ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), domain.DefaultConfig)
	if err != nil || !rep.OK {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}
