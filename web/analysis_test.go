package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/analysisgen"
	"github.com/custodia-ec/custodia/internal/testdeploy"
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
