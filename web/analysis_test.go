package web

import (
	"fmt"
	"html"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/analysisgen"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/storage/analysisdb"
)

// withSynthetic imports issue 16's synthetic data set into METASTASIS.
func (e *testEnv) withSynthetic() *analysisgen.Manifest {
	e.t.Helper()
	m, _ := testdeploy.Synthetic(e.t, e.d, "METASTASIS", "lab.1", startAt.Add(-4*time.Hour))
	return m
}

// TestAnalysisPages: the prosecutor's analysis page finds the planted
// path from phone numbers as written, lists the broker first, and links
// every hop to its message and its item; the message page shows the text
// and the item's file; an agent of the case is refused, a non-member
// finds nothing; each view is one audited read.
func TestAnalysisPages(t *testing.T) {
	e := newEnv(t)
	m := e.withSynthetic()
	c := e.client()
	c.login("fiscal")
	reads := func() int {
		log, err := e.d.Ledger.AccessLog(t.Context(), "METASTASIS", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range log {
			if a.Kind == "analysis" && a.Account == "fiscal" {
				n++
			}
		}
		return n
	}
	judge := "0" + m.Judge.Phone[4:6] + " " + m.Judge.Phone[6:9] + " " + m.Judge.Phone[9:]
	page := "/casos/METASTASIS/analisis?desde=" + url.QueryEscape(m.Boss.Phone) + "&hasta=" + url.QueryEscape(judge)
	code, body, _ := c.do("GET", page, nil, nil)
	if code != 200 {
		t.Fatalf("analysis page: %d %s", code, body)
	}
	i := strings.Index(body, `id="path"`)
	if i < 0 {
		t.Fatalf("no path on the page")
	}
	last := i
	for _, name := range []string{m.Boss.Name, m.Broker.Name, m.Clerk.Name, m.Judge.Name} {
		j := strings.Index(body[last:], name)
		if j < 0 {
			t.Fatalf("the path lacks %s, or it is out of order", name)
		}
		last += j
	}
	if n := strings.Count(body[i:strings.Index(body[i:], "</section>")+i], `class="msg-link"`); n != 3 {
		t.Errorf("%d message links on the path's 3 hops", n)
	}
	b := strings.Index(body, `id="brokers"`)
	first := body[b:]
	first = first[strings.Index(first, "<tbody>"):]
	if first = first[:strings.Index(first, "</tr>")]; b < 0 || !strings.Contains(first, m.Broker.Name) {
		t.Errorf("the broker is not first among the brokers: %s", first)
	}
	if strings.Contains(body, "⟦") {
		t.Errorf("a missing catalogue key on the page")
	}
	if reads() != 1 {
		t.Errorf("%d audited reads for one view of the page", reads())
	}
	// The first hop's message.
	k := strings.Index(body[i:], `href="/casos/METASTASIS/analisis/mensaje?`)
	href := body[i+k+6:]
	href = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
	code, msg, _ := c.do("GET", href, nil, nil)
	if code != 200 || !strings.Contains(msg, `id="msg-text"`) || !strings.Contains(msg, `href="/evidencias/`+testdeploy.SyntheticItem+"-") {
		t.Fatalf("message page %s: %d %.800s", href, code, msg)
	}
	if reads() != 2 {
		t.Errorf("%d audited reads after the message", reads())
	}
	// A phone number no one has: the page says so beside the field.
	code, body, _ = c.do("GET", "/casos/METASTASIS/analisis?entidad=0990000000", nil, nil)
	if code != 200 || !strings.Contains(body, `id="entidad-error"`) {
		t.Errorf("an unknown entity: %d, no error beside the field", code)
	}
	code, _, _ = c.do("GET", "/casos/METASTASIS/analisis?brecha=-3&desde=a&hasta=b", nil, nil)
	if code != 400 {
		t.Errorf("a negative gap: %d", code)
	}
	agent := e.client()
	agent.login("agente")
	if code, _, _ := agent.do("GET", "/casos/METASTASIS/analisis", nil, nil); code != 403 {
		t.Errorf("an agent of the case: %d, want 403", code)
	}
	other := e.client()
	other.login("ajeno")
	if code, _, _ := other.do("GET", "/casos/METASTASIS/analisis", nil, nil); code != 404 {
		t.Errorf("a non-member: %d, want 404", code)
	}
	if code, _, _ := other.do("GET", href, nil, nil); code != 404 {
		t.Errorf("a non-member's message: %d, want 404", code)
	}
}

// TestAnalysisReviewOnThePage: the page lists an uncertain match with
// buttons for those who decide (a forensic analyst) and none for those
// who only read (an auditor, whose post is refused); "they are two"
// records the split in the analyst's name, shown among the decisions in
// force, and its revert removes it.
func TestAnalysisReviewOnThePage(t *testing.T) {
	e := newEnv(t)
	e.withSynthetic()
	db, err := analysisdb.Open(t.Context(), filepath.Join(e.d.Dir, analysisdb.File))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := startAt.Add(-3 * time.Hour)
	vcf := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:José Pérez\r\nTEL:0991111111\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jose Perez\r\nTEL:0992222222\r\nEND:VCARD\r\n"
	testdeploy.ImportFile(t, e.d, db, testdeploy.SyntheticItem, "E-REV-VCF", "lab.1", at, "vcard", []byte(vcf), analysis.ImportOptions{})
	perito := e.client()
	perito.login("perito")
	code, body, _ := perito.do("GET", "/casos/METASTASIS/analisis", nil, nil)
	body = html.UnescapeString(body)
	if code != 200 || !strings.Contains(body, `id="review-queue"`) || !strings.Contains(body, "phone:+593991111111") || !strings.Contains(body, `class="decide-split"`) {
		t.Fatalf("the analyst's page lacks the pair to review or its buttons: %d", code)
	}
	auditora := e.client()
	auditora.login("auditora")
	_, body, _ = auditora.do("GET", "/casos/METASTASIS/analisis", nil, nil)
	if !strings.Contains(body, `id="review-queue"`) || strings.Contains(body, `class="decide-split"`) {
		t.Errorf("the auditor's page: the queue must show, without buttons")
	}
	split := url.Values{"csrf_token": {auditora.csrf}, "kind": {"split"}, "a": {"phone:+593991111111"}, "b": {"phone:+593992222222"}}
	if code, _, _ := auditora.do("POST", "/casos/METASTASIS/analisis/decisiones", split, nil); code != 403 {
		t.Errorf("an auditor's split: %d, want 403", code)
	}
	split.Set("csrf_token", perito.csrf)
	if code, _, hdr := perito.do("POST", "/casos/METASTASIS/analisis/decisiones", split, nil); code != 303 || !strings.HasPrefix(hdr.Get("Location"), "/casos/METASTASIS/analisis") {
		t.Fatalf("the analyst's split: %d %s", code, hdr.Get("Location"))
	}
	_, body, _ = perito.do("GET", "/casos/METASTASIS/analisis", nil, nil)
	body = html.UnescapeString(body)
	i := strings.Index(body, `id="decisions"`)
	if i < 0 || !strings.Contains(body[i:], "perito") || !strings.Contains(body[i:], "phone:+593992222222") {
		t.Fatalf("the split is not among the decisions in force")
	}
	var seq int64
	e.d.Ledger.View(func(st *domain.State) error {
		if ds := st.AnalysisDecisions("METASTASIS"); len(ds) == 1 && ds[0].By == "perito" && ds[0].Kind == "split" {
			seq = ds[0].Seq
		}
		return nil
	})
	if seq == 0 {
		t.Fatal("the log does not hold the analyst's split")
	}
	if code, _, _ := perito.do("POST", fmt.Sprintf("/casos/METASTASIS/analisis/decisiones/%d/revertir", seq), url.Values{"csrf_token": {perito.csrf}}, nil); code != 303 {
		t.Fatalf("revert: %d", code)
	}
	_, body, _ = perito.do("GET", "/casos/METASTASIS/analisis", nil, nil)
	if strings.Contains(body, `id="decisions"`) {
		t.Errorf("the reverted split is still in force")
	}
}
