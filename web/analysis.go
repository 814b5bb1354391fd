package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/internal/zone"
)

// The investigation analysis of a case (issue 16): a graph page (the
// entity asked for and its neighbours, the path asked for, the top
// brokers, a timeline) drawn with the vendored cytoscape.js and listed in
// tables that work without it, and a page for the message behind each
// link with its evidence item. Both are one audited read each
// (app.AnalysisPageOf, app.AnalysisMessage), for the roles that read
// analyses; a non-member gets not found.

// analysisQuery is the page's form, as typed.
type analysisQuery struct {
	Entity, From, To, After, Gap string
}

// graphNode and graphEdge are what analysis.js draws.
type graphNode struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Schema string `json:"schema"`
	Center bool   `json:"center,omitempty"`
	Path   bool   `json:"path,omitempty"`
	Broker int    `json:"broker,omitempty"` // rank among the top brokers, from 1
	Href   string `json:"href"`             // its neighbours
}

type graphEdge struct {
	ID     string      `json:"id"`
	Source string      `json:"source"`
	Target string      `json:"target"`
	Count  int         `json:"count"`
	Path   bool        `json:"path,omitempty"`
	Title  string      `json:"title"`
	Links  []graphLink `json:"links"`
}

// graphLink is one link in words, with where it came from.
type graphLink struct {
	Kind    string `json:"kind"`
	At      string `json:"at"`
	Message string `json:"message"` // the message page
	Item    string `json:"item"`    // the item's id
	ItemURL string `json:"item_url"`
	Where   string `json:"where"` // line or byte
}

type analysisData struct {
	Case      string
	CanDecide bool // the user's role decides merges and splits
	Q         analysisQuery
	Page      *app.AnalysisPage
	Graph     string // JSON for analysis.js
	Names     map[string]string
	// Hops are the path's links in words, one per pair of consecutive
	// entities.
	Hops     []graphLink
	Pairs    []pairRow
	Timeline []timelineRow
}

type pairRow struct {
	A, B  string
	Count int
	Links []graphLink
}

type timelineRow struct {
	From, To string
	Link     graphLink
}

func (w *Web) analysisPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	c := r.PathValue("case")
	fq := r.URL.Query()
	q := analysisQuery{Entity: strings.TrimSpace(fq.Get("entidad")), From: strings.TrimSpace(fq.Get("desde")), To: strings.TrimSpace(fq.Get("hasta")),
		After: strings.TrimSpace(fq.Get("despues")), Gap: strings.TrimSpace(fq.Get("brecha"))}
	aq := app.AnalysisPageQuery{Entity: q.Entity, From: q.From, To: q.To}
	if (q.From == "") != (q.To == "") {
		return invalid(map[bool]string{true: "desde", false: "hasta"}[q.From == ""], "indique las dos entidades del camino", "name both entities of the path")
	}
	if q.After != "" {
		t, err := w.parseLocal(q.After)
		if err != nil {
			return invalid("despues", "%q no es una fecha y hora (AAAA-MM-DDTHH:MM)", "%q is not a date and time (YYYY-MM-DDTHH:MM)", q.After)
		}
		aq.After = t
	}
	if q.Gap != "" {
		n, err := strconv.Atoi(q.Gap)
		if err != nil || n < 1 || n > 60*24*365 {
			return invalid("brecha", "la espera máxima va en minutos, de 1 a 525600", "the longest wait is in minutes, 1 to 525600")
		}
		aq.MaxGap = time.Duration(n) * time.Minute
	}
	page, err := w.s.AnalysisPageOf(ctx(r), p, c, aq)
	if err != nil {
		return err
	}
	l := lang(r)
	d := &analysisData{Case: c, Q: q, Page: page, Names: map[string]string{}, CanDecide: w.s.Policy.Can(p.Role, app.ActDecideAnalysis)}
	link := func(al app.AnalysisLink) graphLink {
		return w.graphLink(l, c, al)
	}
	nodes := map[string]*graphNode{}
	var order []string
	addNode := func(e app.AnalysisEntity) *graphNode {
		d.Names[e.Entity] = e.Name
		n := nodes[e.Entity]
		if n == nil {
			n = &graphNode{ID: e.Entity, Label: e.Name, Schema: e.Schema, Href: "/casos/" + url.PathEscape(c) + "/analisis?entidad=" + url.QueryEscape(e.Entity)}
			nodes[e.Entity] = n
			order = append(order, e.Entity)
		}
		return n
	}
	edges := map[string]*graphEdge{}
	var edgeOrder []string
	edgeOf := func(a, b string) *graphEdge {
		if a > b {
			a, b = b, a
		}
		id := "p-" + a + "-" + b
		ed := edges[id]
		if ed == nil {
			ed = &graphEdge{ID: id, Source: a, Target: b, Links: []graphLink{}}
			edges[id] = ed
			edgeOrder = append(edgeOrder, id)
		}
		return ed
	}
	for i, b := range page.Brokers {
		d.Names[b.Entity] = b.Name
		if n := nodes[b.Entity]; n != nil {
			n.Broker = i + 1
		}
	}
	if page.Center != nil {
		for _, e := range page.Center.Entities {
			addNode(e)
		}
		nodes[page.Center.Center.Entity].Center = true
		for _, pr := range page.Center.Pairs {
			ed := edgeOf(pr.A, pr.B)
			ed.Count = pr.Count
			row := pairRow{A: pr.A, B: pr.B, Count: pr.Count}
			for _, al := range pr.Links {
				gl := link(al)
				ed.Links = append(ed.Links, gl)
				row.Links = append(row.Links, gl)
			}
			d.Pairs = append(d.Pairs, row)
		}
	}
	if page.Path != nil {
		for _, e := range page.Path.Path {
			addNode(e).Path = true
		}
		for _, al := range page.Path.Links {
			gl := link(al)
			d.Hops = append(d.Hops, gl)
			ed := edgeOf(al.From, al.To)
			ed.Path = true
			if ed.Count == 0 {
				ed.Count = 1
				ed.Links = append(ed.Links, gl)
			}
		}
	}
	for i, b := range page.Brokers {
		if n := nodes[b.Entity]; n != nil {
			n.Broker = i + 1
		}
	}
	if page.Timeline != nil {
		for _, e := range page.Timeline.Entities {
			d.Names[e.Entity] = e.Name
		}
		for _, al := range page.Timeline.Links {
			d.Timeline = append(d.Timeline, timelineRow{From: al.From, To: al.To, Link: link(al)})
		}
	}
	graph := struct {
		Nodes []*graphNode `json:"nodes"`
		Edges []*graphEdge `json:"edges"`
	}{Nodes: []*graphNode{}, Edges: []*graphEdge{}}
	for _, id := range order {
		graph.Nodes = append(graph.Nodes, nodes[id])
	}
	for _, id := range edgeOrder {
		ed := edges[id]
		ed.Title = fmt.Sprintf("%s — %s (%d)", d.Names[ed.Source], d.Names[ed.Target], ed.Count)
		graph.Edges = append(graph.Edges, ed)
	}
	b, err := json.Marshal(graph)
	if err != nil {
		return err
	}
	d.Graph = string(b)
	return w.render(rw, r, p, "analysis", "analysis.title", d)
}

// graphLink is a link in the page's language, with the addresses of its
// message and of its item's chain-of-custody page.
func (w *Web) graphLink(l, c string, al app.AnalysisLink) graphLink {
	src := al.Source
	q := url.Values{"item": {src.Item}, "sha256": {src.SHA256}}
	where := ""
	if src.Line > 0 {
		q.Set("linea", strconv.Itoa(src.Line))
		where = fmt.Sprintf(w.cat.T(l, "analysis.line"), src.Line)
	} else {
		q.Set("byte", strconv.FormatInt(src.Offset, 10))
		where = fmt.Sprintf(w.cat.T(l, "analysis.byte"), src.Offset)
	}
	gl := graphLink{Kind: w.cat.T(l, "alink."+al.Kind), Message: "/casos/" + url.PathEscape(c) + "/analisis/mensaje?" + q.Encode(),
		Item: src.Item, ItemURL: "/evidencias/" + url.PathEscape(src.Item), Where: where}
	if al.At != "" {
		if t, err := custody.ParseTime(al.At); err == nil {
			gl.At = zone.Show(t, w.cfg.Zone)
		}
	} else {
		gl.At = w.cat.T(l, "analysis.no_time")
	}
	return gl
}

// parseLocal reads a datetime-local value in the deployment's zone, or an
// RFC 3339 time.
func (w *Web) parseLocal(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, w.cfg.Zone); err == nil {
			return t, nil
		}
	}
	return custody.ParseTime(s)
}

type messageData struct {
	Case    string
	Msg     *app.MessageView
	Parties []analysis.Party
	Where   string
	At      string
}

func (w *Web) analysisMessage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	c := r.PathValue("case")
	fq := r.URL.Query()
	src := analysis.Source{Item: fq.Get("item"), SHA256: fq.Get("sha256")}
	if v := fq.Get("linea"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return invalid("linea", "%q no es un número de línea", "%q is not a line number", v)
		}
		src.Line = n
	}
	if v := fq.Get("byte"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return invalid("byte", "%q no es una posición en bytes", "%q is not a byte position", v)
		}
		src.Offset = n
	}
	msg, err := w.s.AnalysisMessage(ctx(r), p, c, src)
	if err != nil {
		return err
	}
	l := lang(r)
	d := &messageData{Case: c, Msg: msg}
	if msg.Source.Line > 0 {
		d.Where = fmt.Sprintf(w.cat.T(l, "analysis.line"), msg.Source.Line)
	} else {
		d.Where = fmt.Sprintf(w.cat.T(l, "analysis.byte"), msg.Source.Offset)
	}
	if msg.At != "" {
		if t, err := custody.ParseTime(msg.At); err == nil {
			d.At = zone.Show(t, w.cfg.Zone)
		}
	}
	return w.render(rw, r, p, "message", "message.title", d)
}

// PartyName is a party in words: its name, or its numbers, or its
// account.
func (v *view) PartyName(pt analysis.Party) string {
	var parts []string
	if pt.Name != "" {
		parts = append(parts, pt.Name)
	}
	parts = append(parts, pt.Phones...)
	if pt.Account != "" {
		parts = append(parts, pt.Account)
	}
	if pt.UserID != "" && len(parts) == 0 {
		parts = append(parts, pt.UserID)
	}
	if len(parts) == 0 {
		return v.T("analysis.unknown_party")
	}
	return strings.Join(parts, " · ")
}

// Score shows a betweenness score.
func (v *view) Score(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }

// analysisDecide records a merge or split of a reviewed pair (the form's
// kind, a and b, identifier keys), in the name of the signed-in account.
func (w *Web) analysisDecide(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	c := r.PathValue("case")
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	if _, err := w.s.Decide(ctx(r), p, c, f("kind"), f("a"), f("b"), f("note")); err != nil {
		return err
	}
	return done(rw, r, "/casos/"+url.PathEscape(c)+"/analisis#review-h")
}

// analysisRevert records that a decision no longer holds.
func (w *Web) analysisRevert(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	c := r.PathValue("case")
	n, err := strconv.ParseInt(r.PathValue("decision"), 10, 64)
	if err != nil || n < 0 {
		return invalid("decision", "debe ser el número de evento de una decisión", "must be the event number of a decision")
	}
	if _, err := w.s.RevertDecision(ctx(r), p, c, n, strings.TrimSpace(r.PostFormValue("note"))); err != nil {
		return err
	}
	return done(rw, r, "/casos/"+url.PathEscape(c)+"/analisis#review-h")
}
