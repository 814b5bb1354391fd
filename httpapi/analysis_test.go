package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/internal/analysisgen"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/storage/analysisdb"
)

// analysisEnv is a server whose METASTASIS case holds issue 16's
// synthetic data set, and a prosecutor's token.
func analysisEnv(t *testing.T, cfg func(*app.Config)) (*testEnv, *analysisgen.Manifest, string) {
	t.Helper()
	e := newEnvWith(t, cfg)
	m, _ := testdeploy.Synthetic(t, e.d, "METASTASIS", "lab.1", testNow.Add(-24*time.Hour))
	e.account("fiscal-a", "prosecutor", "fge.salazar", "METASTASIS")
	return e, m, e.token("fiscal-a", "write")
}

// getJSON does a GET and decodes a 200 answer into v, failing otherwise.
func (e *testEnv) getJSON(path, token string, v any) {
	e.t.Helper()
	code, body := e.do("GET", path, token, "")
	if code != 200 {
		e.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
}

// TestAnalysisAPI: the questions of issue 16 over the API find the
// planted path (from phone numbers as people write them), the planted
// broker, the boss among the broker's neighbours with the evidence of
// each link, the night's timeline in order, the message behind a link,
// and a search without accents; each answer is an audited read of the
// case.
func TestAnalysisAPI(t *testing.T) {
	e, m, tok := analysisEnv(t, nil)
	const base = "/api/v1/cases/METASTASIS/analysis"
	reads := func() int {
		n := 0
		log, err := e.d.Ledger.AccessLog(t.Context(), "METASTASIS", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range log {
			if a.Kind == "analysis" && a.Account == "fiscal-a" && a.ID == "METASTASIS" {
				n++
			}
		}
		return n
	}
	before := reads()

	judge := "0" + m.Judge.Phone[4:6] + " " + m.Judge.Phone[6:9] + " " + m.Judge.Phone[9:]
	var path app.PathView
	e.getJSON(base+"/path?from="+url.QueryEscape(m.Boss.Phone)+"&to="+url.QueryEscape(judge), tok, &path)
	var names []string
	for _, p := range path.Path {
		names = append(names, p.Name)
	}
	if want := []string{m.Boss.Name, m.Broker.Name, m.Clerk.Name, m.Judge.Name}; fmt.Sprint(names) != fmt.Sprint(want) || len(path.Links) != 3 {
		t.Fatalf("path %v, want %v", names, want)
	}
	for _, l := range path.Links {
		if !strings.HasPrefix(l.Source.Item, testdeploy.SyntheticItem+"-") || len(l.Source.SHA256) != 64 || l.Source.Line == 0 && l.Source.Offset == 0 || l.At == "" {
			t.Errorf("a link of the path without its evidence: %+v", l)
		}
	}
	var timed app.PathView
	e.getJSON(base+"/path?from="+url.QueryEscape(m.Boss.Phone)+"&to="+url.QueryEscape(m.Judge.Phone)+"&after="+url.QueryEscape(m.PathNight.Add(-time.Hour).Format(time.RFC3339))+"&max_gap=1h", tok, &timed)
	if len(timed.Links) != 3 {
		t.Errorf("time-respecting path: %+v", timed)
	}

	var brokers app.BrokersView
	e.getJSON(base+"/brokers?top=3", tok, &brokers)
	if len(brokers.Brokers) != 3 || brokers.Brokers[0].Name != m.Broker.Name {
		t.Errorf("brokers: %+v", brokers)
	}

	var nb app.Neighbourhood
	e.getJSON(base+"/neighbours?entity="+url.QueryEscape(m.Broker.Phone), tok, &nb)
	boss := path.Path[0].Entity
	found := false
	for _, p := range nb.Pairs {
		if (p.A == boss || p.B == boss) && (p.A == nb.Center.Entity || p.B == nb.Center.Entity) {
			found = p.Count > 0 && len(p.Links) > 0 && p.Links[0].Source.Item != ""
		}
	}
	if nb.Center.Name != m.Broker.Name || !found {
		t.Errorf("the broker's neighbourhood lacks the boss with evidence: %+v", nb.Center)
	}

	var tl app.TimelineView
	e.getJSON(base+"/timeline?entity="+url.QueryEscape(m.Boss.Phone)+"&entity="+url.QueryEscape(m.Broker.Phone)+"&limit=50", tok, &tl)
	if len(tl.Links) == 0 || tl.Total < len(tl.Links) {
		t.Fatalf("timeline: %+v", tl)
	}
	for i := 1; i < len(tl.Links); i++ {
		if tl.Links[i].At < tl.Links[i-1].At && tl.Links[i].At != "" {
			t.Errorf("timeline out of order at %d: %s after %s", i, tl.Links[i].At, tl.Links[i-1].At)
		}
	}

	src := path.Links[0].Source
	var msg app.MessageView
	e.getJSON(fmt.Sprintf("%s/message?item=%s&sha256=%s&line=%d&offset=%d", base, src.Item, src.SHA256, src.Line, src.Offset), tok, &msg)
	if msg.Source != src || msg.At == "" || msg.Text == "" && msg.Kind == "message" {
		t.Errorf("the message of the path's first link: %+v (source %+v)", msg, src)
	}

	var hits struct{ Hits []app.SearchHit }
	e.getJSON(base+"/search?q=noche+JUEZ", tok, &hits)
	if len(hits.Hits) == 0 || !strings.Contains(strings.ToLower(hits.Hits[0].Snippet), "[juez]") {
		t.Errorf("search: %+v", hits)
	}

	var sum app.AnalysisSummary
	e.getJSON(base, tok, &sum)
	if sum.Entities < 40 || sum.Links < 1000 || len(sum.Files) == 0 || len(sum.Files) > len(m.Files) {
		t.Errorf("summary: %d entities, %d links, %d files", sum.Entities, sum.Links, len(sum.Files))
	}
	if got := reads() - before; got != 8 {
		t.Errorf("%d audited reads of the analysis, want 8 (one per answer)", got)
	}
}

// TestAnalysisAPIRefusesBadInput: each bound gives 400 naming its field,
// an entity no one is gives 404 naming its side, and nothing is recorded
// as read for a refused question.
func TestAnalysisAPIRefusesBadInput(t *testing.T) {
	e, m, tok := analysisEnv(t, nil)
	const base = "/api/v1/cases/METASTASIS/analysis"
	for _, c := range []struct {
		path  string
		code  int
		field string
	}{
		{base + "/neighbours?entity=" + url.QueryEscape(m.Boss.Phone) + "&depth=9", 400, "depth"},
		{base + "/neighbours?entity=" + url.QueryEscape(m.Boss.Phone) + "&limit=100000", 400, "limit"},
		{base + "/neighbours?entity=" + url.QueryEscape(m.Boss.Phone) + "&depth=uno", 400, "depth"},
		{base + "/neighbours?entity=" + strings.Repeat("x", 300), 400, "entity"},
		{base + "/neighbours", 400, "entity"},
		{base + "/path?from=0990000000&to=" + url.QueryEscape(m.Judge.Phone), 404, "from"},
		{base + "/path?from=" + url.QueryEscape(m.Boss.Phone) + "&to=" + url.QueryEscape(m.Judge.Phone) + "&after=ayer", 400, "after"},
		{base + "/path?from=" + url.QueryEscape(m.Boss.Phone) + "&to=" + url.QueryEscape(m.Judge.Phone) + "&max_gap=-1h", 400, "max_gap"},
		{base + "/brokers?top=1000", 400, "top"},
		{base + "/brokers?samples=99999", 400, "samples"},
		{base + "/brokers?seed=-1", 400, "seed"},
		{base + "/timeline?entity=" + url.QueryEscape(m.Boss.Phone), 400, "entity"},
		{base + "/search?q=" + strings.Repeat("a", 600), 400, "q"},
		{base + "/search?q=", 400, "q"},
		{base + "/message?item=E-SYN-01&sha256=zz&line=1", 400, "sha256"},
		{base + "/message?item=E-SYN-01&sha256=" + strings.Repeat("a", 64) + "&line=1", 404, ""},
	} {
		code, body := e.do("GET", c.path, tok, "")
		var eb struct{ Code, Field, Message string }
		json.Unmarshal(body, &eb)
		if code != c.code || eb.Field != c.field || eb.Message == "" {
			t.Errorf("GET %.120s: %d %s, want %d on field %q", c.path, code, body, c.code, c.field)
		}
	}
	code, body := e.do("POST", base+"/merges", tok, `{"a":"nada","b":"phone:+593990000000"}`)
	if code != 400 || !strings.Contains(string(body), `"field":"a"`) {
		t.Errorf("a merge of no key: %d %s", code, body)
	}
	code, body = e.do("POST", base+"/merges", tok, `{"a":"phone:+593990000001","b":"x","extra":1}`)
	if code != 400 || !strings.Contains(string(body), `"field":"extra"`) {
		t.Errorf("a merge with an unknown field: %d %s", code, body)
	}
}

// TestAnalysisAPIDecisions: a merge over the API is recorded in the
// name of the caller and listed in force; its pair then resolves to one
// entity; a read-only token may not decide; the revert undoes it.
func TestAnalysisAPIDecisions(t *testing.T) {
	e, m, tok := analysisEnv(t, nil)
	const base = "/api/v1/cases/METASTASIS/analysis"
	a, b := m.People[0], m.People[1]
	ro := e.token("fiscal-a", "read")
	if code, body := e.do("POST", base+"/merges", ro, fmt.Sprintf(`{"a":%q,"b":%q}`, a.Phone, b.Phone)); code != 403 {
		t.Errorf("a merge with a read-only token: %d %s", code, body)
	}
	code, body := e.do("POST", base+"/merges", tok, fmt.Sprintf(`{"a":%q,"b":%q,"note":"misma tarjeta SIM"}`, a.Phone, b.Phone))
	if code != 201 {
		t.Fatalf("merge: %d %s", code, body)
	}
	var res app.RecordResult
	json.Unmarshal(body, &res)
	var ds struct{ Decisions []app.DecisionView }
	e.getJSON(base+"/decisions", tok, &ds)
	if len(ds.Decisions) != 1 || ds.Decisions[0].Decision != res.Seq || ds.Decisions[0].By != "fiscal-a" || ds.Decisions[0].Note != "misma tarjeta SIM" {
		t.Fatalf("decisions in force: %+v (merge event %d)", ds.Decisions, res.Seq)
	}
	var p app.PathView
	e.getJSON(base+"/path?from="+url.QueryEscape(a.Phone)+"&to="+url.QueryEscape(b.Phone), tok, &p)
	if len(p.Path) != 1 {
		t.Errorf("merged pair is %d entities apart", len(p.Path))
	}
	if code, body := e.do("POST", base+"/merges", tok, fmt.Sprintf(`{"a":%q,"b":%q}`, a.Phone, b.Phone)); code != 409 {
		t.Errorf("the same merge again: %d %s", code, body)
	}
	if code, body := e.do("POST", fmt.Sprintf("%s/decisions/%d/revert", base, res.Seq), tok, `{"note":"error"}`); code != 201 {
		t.Fatalf("revert: %d %s", code, body)
	}
	e.getJSON(base+"/decisions", tok, &ds)
	if len(ds.Decisions) != 0 {
		t.Errorf("decisions after the revert: %+v", ds.Decisions)
	}
	e.getJSON(base+"/path?from="+url.QueryEscape(a.Phone)+"&to="+url.QueryEscape(b.Phone), tok, &p)
	if len(p.Path) < 2 {
		t.Errorf("after the revert the pair is still one entity")
	}
	if code, _ := e.do("POST", base+"/decisions/abc/revert", tok, `{}`); code != 400 {
		t.Errorf("a revert of decision abc: %d", code)
	}
}

// TestAnalysisAPIBudget: a question over its time budget is answered 503
// with the reason, not left running.
func TestAnalysisAPIBudget(t *testing.T) {
	e, _, tok := analysisEnv(t, func(c *app.Config) { c.AnalysisTimeout = time.Nanosecond })
	code, body := e.do("GET", "/api/v1/cases/METASTASIS/analysis/brokers", tok, "")
	if code != 503 || !strings.Contains(string(body), "superó su tiempo") {
		t.Errorf("a question over its budget: %d %s", code, body)
	}
}

// TestAnalysisAPIReviewQueue: two address-book entries of one name with
// different numbers, and a chat sender of that name, are not merged but
// queued for review; splitting a queued pair over the API takes it off
// the queue, and reverting the split puts it back.
func TestAnalysisAPIReviewQueue(t *testing.T) {
	e, _, tok := analysisEnv(t, nil)
	const base = "/api/v1/cases/METASTASIS/analysis"
	at := testNow.Add(-12 * time.Hour)
	vcf := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:José Pérez\r\nTEL:0991111111\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jose Perez\r\nTEL:0992222222\r\nEND:VCARD\r\n"
	chat := "14/12/2023, 22:11 - José Pérez: ¿mañana?\n14/12/2023, 22:12 - Ana Ruiz: sí\n"
	testdeploy.ImportFile(t, e.d, analysisDB(t, e), testdeploy.SyntheticItem, "E-REV-VCF", "lab.1", at, "vcard", []byte(vcf), analysis.ImportOptions{})
	testdeploy.ImportFile(t, e.d, analysisDB(t, e), testdeploy.SyntheticItem, "E-REV-WA", "lab.1", at, "whatsapp", []byte(chat), analysis.ImportOptions{})
	type queue struct{ Review []app.ReviewItem }
	pairOf := func(q queue) *app.ReviewItem {
		for i, r := range q.Review {
			keys := r.KeyA + " " + r.KeyB
			if strings.Contains(keys, "phone:+593991111111") && strings.Contains(keys, "phone:+593992222222") {
				return &q.Review[i]
			}
		}
		return nil
	}
	var q queue
	e.getJSON(base+"/review", tok, &q)
	rv := pairOf(q)
	if rv == nil {
		t.Fatalf("the two numbers of one name are not reviewed: %+v", q.Review)
	}
	if rv.Reason == "" || rv.ReasonEN == "" || rv.Score <= 0 || rv.A.Entity == rv.B.Entity {
		t.Errorf("review item %+v", rv)
	}
	code, body := e.do("POST", base+"/splits", tok, fmt.Sprintf(`{"a":%q,"b":%q,"note":"dos personas"}`, rv.KeyA, rv.KeyB))
	if code != 201 {
		t.Fatalf("split: %d %s", code, body)
	}
	var res app.RecordResult
	json.Unmarshal(body, &res)
	e.getJSON(base+"/review", tok, &q)
	if pairOf(q) != nil {
		t.Errorf("a split pair is still in the review queue")
	}
	if code, body := e.do("POST", fmt.Sprintf("%s/decisions/%d/revert", base, res.Seq), tok, `{}`); code != 201 {
		t.Fatalf("revert: %d %s", code, body)
	}
	e.getJSON(base+"/review", tok, &q)
	if pairOf(q) == nil {
		t.Errorf("after the revert the pair is not reviewed again")
	}
}

// analysisDB opens the env's analysis database, as a second handle.
func analysisDB(t *testing.T, e *testEnv) *analysisdb.DB {
	t.Helper()
	db, err := analysisdb.Open(t.Context(), filepath.Join(e.d.Dir, analysisdb.File))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
