package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/custodia-ec/custodia/internal/analysisgen"
	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// TestAnalysisGraphInChromium is issue 16's browser walk, at 360 px (a
// phone) and 1280 px: the prosecutor opens the case's analysis page on
// the synthetic data set, asks for the path between the boss and the
// judge by their numbers as people write them, and sees the planted
// path (boss → broker → clerk → judge) drawn in red and listed, the
// planted broker first among the brokers, and the night's timeline. A tap
// on the graph's first hop lists its messages; the item link there opens
// the extraction's chain-of-custody page. From the path's list, the
// first hop's message page shows the message and its file, and its item
// link opens the item page too. Screenshots: es-analysis-path-*.png and
// es-analysis-message-*.png.
func TestAnalysisGraphInChromium(t *testing.T) {
	e := newEnv(t)
	m := e.withSynthetic()
	b := newBrowser(t)
	fiscal := b.tab(e, "fiscal", "es")
	fiscal.login("fiscal")
	// The tab's helpers fail the test itself, so the two widths are not
	// subtests.
	for _, width := range []int64{360, 1280} {
		fiscal.name = "fiscal at " + strconv.FormatInt(width, 10) + " px"
		fiscal.do("viewport", chromedp.EmulateViewport(width, 800))
		analysisWalk(t, fiscal, m, width == 1280)
	}
}

func analysisWalk(t *testing.T, tb *tab, m *analysisgen.Manifest, shots bool) {
	// From the case page's link.
	tb.open("/casos/METASTASIS")
	tb.do("the analysis link", chromedp.Click(chromedp.CSS("#analysis-link")))
	tb.waitJS("the analysis page and its graph", `location.pathname === "/casos/METASTASIS/analisis" && document.querySelector("#graph") && document.querySelector("#graph").getAttribute("data-ready") === "1"`)
	boss := m.Boss.Phone[4:6] + "-" + m.Boss.Phone[6:9] + "-" + m.Boss.Phone[9:] // "98-010-4729": no country code, dashes
	judge := "0" + m.Judge.Phone[4:6] + " " + m.Judge.Phone[6:9] + " " + m.Judge.Phone[9:]
	tb.do("ask for the path", chromedp.SetValue(chromedp.CSS("#desde"), "0"+boss), chromedp.SetValue(chromedp.CSS("#hasta"), judge), chromedp.Click(chromedp.CSS("#path-submit")))
	tb.waitJS("the path", `!!document.querySelector("#path") && document.querySelector("#graph").getAttribute("data-ready") === "1"`)
	page := tb.eval(`location.pathname + location.search`)
	names := tb.eval(`Array.from(document.querySelectorAll("#path .path-list > li > a.ent")).map(function(a){return a.textContent}).join("|")`)
	if want := strings.Join([]string{m.Boss.Name, m.Broker.Name, m.Clerk.Name, m.Judge.Name}, "|"); names != want {
		t.Fatalf("path %q, want %q", names, want)
	}
	if got := tb.eval(`document.querySelector("#brokers tbody tr td:nth-child(2) a").textContent`); got != m.Broker.Name {
		t.Errorf("top broker %q, want %q", got, m.Broker.Name)
	}
	// The graph draws the path: its four entities and three hops in red.
	if got := tb.eval(`String(custodiaGraph.nodes("[path = 1]").length) + "/" + custodiaGraph.edges("[path = 1]").length`); got != "4/3" {
		t.Errorf("path drawn as %s entities/hops, want 4/3", got)
	}
	if n := tb.eval(`String(document.querySelectorAll("#timeline li").length)`); n == "0" {
		t.Errorf("no timeline")
	}
	tb.checkPage("analysis")
	if shots {
		graphShot(tb, "analysis-path")
	} else if tb.eval(`String(document.documentElement.scrollWidth > window.innerWidth + 1)`) == "true" {
		t.Errorf("the analysis page scrolls sideways at 360 px")
	}

	// A tap on the graph's first hop (boss – broker), where it is drawn.
	tb.eval(`document.getElementById("graph").scrollIntoView({block: "center"}), "ok"`)
	time.Sleep(200 * time.Millisecond)
	xy := tb.eval(`(function(){
		var bossID = document.querySelector("#path .path-list > li > a.ent").getAttribute("href").split("entidad=")[1];
		var e = custodiaGraph.edges("[path = 1]").filter(function(e){return e.source().id() === bossID || e.target().id() === bossID})[0];
		custodiaGraph.fit(e.connectedNodes(), 60);
		var mid = e.renderedMidpoint(), r = document.getElementById("graph").getBoundingClientRect();
		return Math.round(r.left + mid.x) + "," + Math.round(r.top + mid.y) + "," + e.id();
	})()`)
	var x, y float64
	var edgeID string
	parts := strings.SplitN(xy, ",", 3)
	if len(parts) != 3 {
		t.Fatalf("the first hop's position: %q", xy)
	}
	fmt.Sscan(parts[0], &x)
	fmt.Sscan(parts[1], &y)
	edgeID = parts[2]
	tb.do("tap the first hop", chromedp.MouseClickXY(x, y))
	tb.waitJS("its messages", fmt.Sprintf(`!document.getElementById("link-panel").hidden && document.getElementById("link-panel").getAttribute("data-edge") === %q`, edgeID))
	item := tb.eval(`document.querySelector("#link-panel a.item-link").getAttribute("href")`)
	if !strings.HasPrefix(item, "/evidencias/"+testdeploy.SyntheticItem+"-") {
		t.Fatalf("the hop's item link: %q", item)
	}
	tb.do("open the hop's item", chromedp.Click(chromedp.CSS("#link-panel a.item-link")))
	itemID := strings.TrimPrefix(item, "/evidencias/")
	tb.waitJS("the item's chain of custody", fmt.Sprintf(`location.pathname === %q && !!document.querySelector("h1") && document.querySelector("h1").textContent.includes(%q)`, item, itemID))
	tb.open(page)
	tb.waitJS("the analysis page again", `!!document.querySelector("#path")`)

	// The first hop's message, from the path's list.
	tb.do("open the first hop's message", chromedp.Click(chromedp.CSS("#path .msg-link")))
	tb.waitJS("the message page", `location.pathname === "/casos/METASTASIS/analisis/mensaje" && !!document.querySelector("#msg-item")`)
	if txt := tb.eval(`(document.querySelector("#msg-text") || {}).textContent || ""`); txt == "" {
		t.Errorf("the message page shows no text: %s", tb.bodyText())
	}
	tb.checkPage("message")
	if shots {
		graphShot(tb, "analysis-message")
	}
	msgItem := tb.eval(`document.getElementById("msg-item").textContent`)
	tb.do("open the message's item", chromedp.Click(chromedp.CSS("#msg-item")))
	tb.waitJS("the item page", fmt.Sprintf(`location.pathname === "/evidencias/%s" && document.querySelector("h1").textContent.includes(%q)`, msgItem, msgItem))
}

// graphShot is tab.shot for a page that may hold the graph: at each
// width the graph is fitted to its new box before the screenshot (a
// canvas keeps its old size until it is told), and the page must not
// scroll sideways at 360 px.
func graphShot(tb *tab, name string) {
	tb.b.t.Helper()
	for _, w := range []int64{360, 1280} {
		tb.do("viewport", chromedp.EmulateViewport(w, 800))
		tb.eval(`window.custodiaGraph && (custodiaGraph.resize(), custodiaGraph.fit(undefined, 16)), window.scrollTo(0, 0), "ok"`)
		time.Sleep(300 * time.Millisecond)
		ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			tb.b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.MkdirAll(artifacts, 0o755); err != nil {
			tb.b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, fmt.Sprintf("%s-%s-%d.png", tb.lang, name, w)), png, 0o644); err != nil {
			tb.b.t.Fatal(err)
		}
		if w == 360 && tb.eval(`String(document.documentElement.scrollWidth > window.innerWidth + 1)`) == "true" {
			tb.b.t.Errorf("%s: %s scrolls sideways at 360 px", tb.name, name)
		}
	}
	tb.do("viewport", chromedp.EmulateViewport(1280, 800))
}
