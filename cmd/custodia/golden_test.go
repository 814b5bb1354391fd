package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// runCLI runs the command in-process and returns its exit status, stdout and
// stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("custodia %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// metastasisDir is a data dir with the Metastasis case file imported through
// the CLI.
func metastasisDir(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	mustRun(t, "init", "--data", data)
	mustRun(t, "import", testdeploy.MetastasisPath(t), "--data", data)
	return data
}

func TestGoldenMetastasisReport(t *testing.T) {
	data := metastasisDir(t)
	out := mustRun(t, "report", "operation", "OP-METASTASIS", "--as-of", "2024-01-01T00:00:00-05:00", "--json", "--data", data)
	golden(t, "metastasis-report.json", []byte(out))

	// The expectations, checked one by one as well, so that a wrong
	// golden file cannot hide them.
	var r struct {
		Operation          string         `json:"operation"`
		Case               string         `json:"case"`
		Sites              int            `json:"sites"`
		Provinces          int            `json:"provinces"`
		SitesByProvince    map[string]int `json:"sites_by_province"`
		SitesByStatus      map[string]int `json:"sites_by_status"`
		Personnel          int            `json:"personnel"`
		Detentions         int            `json:"detentions"`
		DetentionsByBasis  map[string]int `json:"detentions_by_basis"`
		DetaineesByRole    map[string]int `json:"detainees_by_role"`
		EvidenceItems      int            `json:"evidence_items"`
		EvidenceUnits      int            `json:"evidence_units"`
		EvidenceByType     map[string]int `json:"evidence_by_type"`
		DerivedItems       int            `json:"derived_items"`
		OpenItems          int            `json:"open_items"`
		CustodyAnomalies   []any          `json:"custody_anomalies"`
		DeadlineViolations []struct {
			Detention string `json:"detention"`
			Person    string `json:"person"`
			Rule      string `json:"rule"`
			Limit     *int   `json:"limit_minutes"`
			Actual    *int   `json:"actual_minutes"`
		} `json:"deadline_violations"`
		LateSynced []any `json:"late_synced"` // acts from field devices: none in a case file
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("report JSON: %v", err)
	}
	sum := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"operation", r.Operation, "OP-METASTASIS"},
		{"case", r.Case, "METASTASIS"},
		{"sites", r.Sites, 75},
		{"provinces", r.Provinces, 7},
		{"len(sites_by_province)", len(r.SitesByProvince), 7},
		{"sum(sites_by_province)", sum(r.SitesByProvince), 75},
		{"sites_by_status.completed", r.SitesByStatus["completed"], 75},
		{"len(sites_by_status)", len(r.SitesByStatus), 1},
		{"personnel", r.Personnel, 900},
		{"detentions", r.Detentions, 30},
		{"detentions_by_basis.warrant", r.DetentionsByBasis["warrant"], 29},
		{"detentions_by_basis.flagrante", r.DetentionsByBasis["flagrante"], 1},
		{"len(detentions_by_basis)", len(r.DetentionsByBasis), 2},
		{"evidence_items", r.EvidenceItems, 155},
		{"sum(evidence_by_type)", sum(r.EvidenceByType), 155},
		{"derived_items", r.DerivedItems, 13},
		{"custody_anomalies", len(r.CustodyAnomalies), 0},
		{"deadline_violations", len(r.DeadlineViolations), 1},
		{"late_synced", len(r.LateSynced), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.CustodyAnomalies == nil || r.LateSynced == nil {
		t.Errorf("custody_anomalies or late_synced is null, want []")
	}
	if len(r.DeadlineViolations) == 1 {
		v := r.DeadlineViolations[0]
		if v.Detention != "D-01" || v.Person != "P-TERAN" || v.Rule != "rights_notice_late" || v.Limit == nil || *v.Limit != 60 || v.Actual == nil || *v.Actual != 240 {
			t.Errorf("violation = %+v, want D-01 P-TERAN rights_notice_late 60 240", v)
		}
	}
	for name, m := range map[string]map[string]int{"sites_by_province": r.SitesByProvince, "sites_by_status": r.SitesByStatus,
		"detentions_by_basis": r.DetentionsByBasis, "detainees_by_role": r.DetaineesByRole, "evidence_by_type": r.EvidenceByType} {
		for k, v := range m {
			if v <= 0 {
				t.Errorf("%s[%s] = %d: counts objects list only keys above zero", name, k, v)
			}
		}
	}

	// The readable table says the same.
	text := mustRun(t, "report", "operation", "OP-METASTASIS", "--as-of", "2024-01-01T00:00:00-05:00", "--data", data)
	for _, want := range []string{"OP-METASTASIS", "75", "900", "D-01", "P-TERAN", "derechos leídos tarde"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q:\n%s", want, text)
		}
	}
}

var recordedAtRE = regexp.MustCompile(`"recorded_at": "([^"]*)"`)

func TestGoldenItemHistory(t *testing.T) {
	start := time.Now().Add(-time.Second)
	data := metastasisDir(t)
	end := time.Now().Add(time.Second)
	out := mustRun(t, "item", "history", "E-CHI-03-01", "--json", "--data", data)

	// recorded_at is the import's wall-clock time: check it, then mask it.
	times := recordedAtRE.FindAllStringSubmatch(out, -1)
	if len(times) == 0 {
		t.Fatalf("no recorded_at in the history:\n%s", out)
	}
	for _, m := range times {
		rt, err := custody.ParseTime(m[1])
		if err != nil {
			t.Fatalf("recorded_at %q: %v", m[1], err)
		}
		if rt.Before(start.Truncate(time.Second)) || rt.After(end) || !strings.HasSuffix(m[1], "Z") {
			t.Errorf("recorded_at %s is not the import's UTC time (between %s and %s)", m[1], start, end)
		}
		if m[1] != times[0][1] {
			t.Errorf("recorded_at %s differs from %s: one import records one time", m[1], times[0][1])
		}
	}
	masked := recordedAtRE.ReplaceAllString(out, `"recorded_at": "RECORDED_AT"`)
	golden(t, "e-chi-03-01-history.json", []byte(masked))

	var h struct {
		Item   string `json:"item"`
		Events []struct {
			Seq        int64    `json:"seq"`
			Op         string   `json:"op"`
			At         string   `json:"at"`
			By         string   `json:"by"`
			From       string   `json:"from"`
			RecordedBy string   `json:"recorded_by"`
			Holder     string   `json:"holder"`
			Seal       string   `json:"seal"`
			Derived    string   `json:"derived"`
			Anomalies  []string `json:"anomalies"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	type step struct{ op, at, holder, seal, derived string }
	// Lines 696 and 852-857 of testdata/metastasis.jsonl.
	want := []step{
		{"evidence.seize", "2023-12-14T01:40:00-05:00", "pn.s-chi-03.1", "PN-100001", ""},
		{"custody.transfer", "2023-12-14T16:44:00-05:00", "cust.chi", "PN-100001", ""},
		{"custody.transfer", "2023-12-18T09:00:00-05:00", "lab.3", "PN-100001", ""},
		{"custody.open", "2023-12-18T09:30:00-05:00", "lab.3", "", ""},
		{"evidence.derive", "2023-12-18T13:00:00-05:00", "lab.3", "", "E-CHI-03-01-IMG"},
		{"custody.seal", "2023-12-18T14:00:00-05:00", "lab.3", "PN-100156", ""},
		{"custody.transfer", "2023-12-19T10:00:00-05:00", "cust.chi", "PN-100156", ""},
	}
	lines := []int{696, 852, 853, 854, 855, 856, 857}
	if h.Item != "E-CHI-03-01" || len(h.Events) != len(want) {
		t.Fatalf("history of %s has %d events, want %d", h.Item, len(h.Events), len(want))
	}
	sha := custody.FileSHA256(mustRead(t, testdeploy.MetastasisPath(t)))
	for i, e := range h.Events {
		w := want[i]
		got := step{e.Op, e.At, e.Holder, e.Seal, e.Derived}
		if got != w {
			t.Errorf("event %d = %+v, want %+v", i, got, w)
		}
		if i > 0 && e.Seq <= h.Events[i-1].Seq {
			t.Errorf("event %d: seq %d does not follow %d", i, e.Seq, h.Events[i-1].Seq)
		}
		if e.Seq != int64(lines[i]-1) {
			t.Errorf("event %d: seq %d, want %d (line %d of the file)", i, e.Seq, lines[i]-1, lines[i])
		}
		if wantBy := "import:" + sha + ":" + itoa(lines[i]); e.RecordedBy != wantBy {
			t.Errorf("event %d: recorded_by %q, want %q", i, e.RecordedBy, wantBy)
		}
		if len(e.Anomalies) != 0 {
			t.Errorf("event %d: anomalies %v, want none", i, e.Anomalies)
		}
	}
	if h.Events[1].From != "pn.s-chi-03.1" || h.Events[1].By != "cust.chi" {
		t.Errorf("first transfer: from %q by %q", h.Events[1].From, h.Events[1].By)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestCheckpointVerifies: the key `init` prints verifies the checkpoint
// `checkpoint` prints, a C2SP tlog-checkpoint of the whole log.
func TestCheckpointVerifies(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	vkey := strings.TrimSpace(mustRun(t, "init", "--data", data, "--origin", "custodia.test/golden"))
	mustRun(t, "import", testdeploy.MetastasisPath(t), "--data", data)
	cp := mustRun(t, "checkpoint", "--data", data)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("init printed %q, not a note verifier key: %v", vkey, err)
	}
	n, c, err := verify.OpenNote([]byte(cp), note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint does not verify with the init key: %v\n%s", err, cp)
	}
	if c.Origin != "custodia.test/golden" || c.Size != 1071 {
		t.Errorf("checkpoint: origin %q size %d", c.Origin, c.Size)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != "custodia.test/golden" {
		t.Errorf("signatures: %+v", n.Sigs)
	}
	// The same again after a second import: a new checkpoint, and the log
	// still verifies.
	extra := filepath.Join(t.TempDir(), "extra.jsonl")
	if err := os.WriteFile(extra, []byte(`{"op": "agency.add", "id": "AG-X", "name": "X", "kind": "other"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "import", extra, "--data", data)
	cp2 := mustRun(t, "checkpoint", "--data", data)
	_, c2, err := verify.OpenNote([]byte(cp2), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	if c2.Size != 1072 {
		t.Errorf("second checkpoint size %d, want 1072", c2.Size)
	}
	if code, out, _ := runCLI(t, "audit", "--data", data); code != 0 {
		t.Errorf("audit exit %d:\n%s", code, out)
	}
}

// TestTextOutputsInTheUsersWords: the operation report and an item's
// history on the terminal name every value in the reader's language (no
// code such as completed or rights_notice_late under a Spanish header),
// show times in the deployment's zone with its offset, and give the same
// counts as the JSON report.
func TestTextOutputsInTheUsersWords(t *testing.T) {
	data := metastasisDir(t)
	asOf := "2024-01-01T00:00:00-05:00"
	for lang, want := range map[string][]string{
		"es": {"Al                                2024-01-01 00:00 -05:00", "  concluido                       75", "  orden judicial                  29",
			"  flagrancia                      1", "  juez                            5", "  teléfono                        35", "D-01  P-TERAN  derechos leídos tarde  límite 60 min, 240 min"},
		"en": {"As of                             2024-01-01 00:00 -05:00", "  completed                       75", "  warrant                         29",
			"  in flagrante                    1", "  judge                           5", "  phone                           35", "D-01  P-TERAN  rights read late  limit 60 min, 240 min"},
	} {
		out := mustRun(t, "report", "operation", "OP-METASTASIS", "--as-of", asOf, "--lang", lang, "--data", data)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("report operation --lang %s lacks %q:\n%s", lang, w, out)
			}
		}
		// No value is shown as its code: codes have an underscore or are
		// the English words a Spanish reader must not see.
		if regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`).MatchString(out) {
			t.Errorf("report operation --lang %s shows a code: %q\n%s", lang, regexp.MustCompile(`\b[a-z]+_[a-z_]+\b`).FindString(out), out)
		}
		if lang == "es" {
			for _, code := range []string{"completed", "warrant", "judge", "phone", "laptop", "cash", "prosecutor"} {
				if regexp.MustCompile(`(?m)^\s+` + code + `\s`).MatchString(out) {
					t.Errorf("report operation in Spanish shows the code %q:\n%s", code, out)
				}
			}
		}
	}
	hist := mustRun(t, "item", "history", "E-CHI-03-01", "--data", data)
	if !strings.Contains(hist, "2023-12-14 01:40 -05:00  incautación") {
		t.Errorf("item history does not show the seizure's time in the zone:\n%s", hist)
	}
	if regexp.MustCompile(`\d{2}:\d{2}:\d{2}(\.\d+)?Z`).MatchString(hist) {
		t.Errorf("item history shows a raw UTC time:\n%s", hist)
	}
}
