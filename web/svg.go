package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/custodia-ec/custodia/casefile"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
)

// chartSVG is server-drawn SVG, safe to embed: every text in it is escaped.
type chartSVG = template.HTML

// statusColors fill the chart's bars; each has at least 3:1 contrast with
// the white page (WCAG non-text contrast), and the legend names them.
var statusColors = casefile.StatusColors

func esc(s string) string { return template.HTMLEscapeString(s) }

// statusChart draws sites by province and status: one stacked bar per
// province, a legend of the statuses, a title and a description for screen
// readers (the same numbers are in the table beside it).
func (w *Web) statusChart(provs []string, grid map[string]map[string]int, lang string) chartSVG {
	const rowH, labelW, barW, top = 30, 178, 210, 8
	max := 1
	for _, pr := range provs {
		n := 0
		for _, c := range grid[pr] {
			n += c
		}
		if n > max {
			max = n
		}
	}
	legendY := top + len(provs)*rowH + 10
	h := legendY + 26*((len(statusOrder)+1)/2) + 6
	var b strings.Builder
	title := w.cat.T(lang, "board.chart_title")
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-t" xmlns="http://www.w3.org/2000/svg"><title id="chart-t">%s</title>`,
		labelW+barW+40, h, esc(title))
	for i, pr := range provs {
		y := top + i*rowH
		short := pr
		if r := []rune(pr); len(r) > 15 {
			short = string(r[:14]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="17" fill="#111827">%s<title>%s</title></text>`, labelW-6, y+19, esc(short), esc(pr))
		x := float64(labelW)
		total := 0
		for _, st := range statusOrder {
			n := grid[pr][st]
			if n == 0 {
				continue
			}
			wd := float64(barW) * float64(n) / float64(max)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="24" fill="%s"><title>%s: %s %d</title></rect>`,
				x, y+2, wd, statusColors[st], esc(pr), esc(casefile.Word("status", st, lang)), n)
			x += wd
			total += n
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="17" fill="#111827">%d</text>`, x+4, y+19, total)
	}
	for i, st := range statusOrder {
		x, y := 10+(i%2)*215, legendY+(i/2)*26
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="16" height="16" fill="%s"/><text x="%d" y="%d" font-size="17" fill="#111827">%s</text>`,
			x, y, statusColors[st], x+22, y+14, esc(casefile.Word("status", st, lang)))
	}
	b.WriteString(`</svg>`)
	return chartSVG(b.String())
}

// linkGraph draws persons and organizations on a circle and their links as
// lines: a simple view of who is tied to whom (the list beside it has the
// same facts, for screen readers and for reading).
func (w *Web) linkGraph(persons []app.PersonView, orgs []*domain.Organization, links []linkRow, lang string) chartSVG {
	type node struct {
		id, label string
		org       bool
		x, y      float64
	}
	linked := map[string]bool{}
	for _, l := range links {
		linked[l.From], linked[l.To] = true, true
	}
	var nodes []*node
	for _, o := range orgs {
		nodes = append(nodes, &node{id: o.ID, label: o.Name, org: true})
	}
	for _, p := range persons {
		if linked[p.ID] || len(links) == 0 && len(persons) <= 40 {
			nodes = append(nodes, &node{id: p.ID, label: p.Name})
		}
	}
	const size, r = 640.0, 200.0
	pos := map[string]*node{}
	for i, n := range nodes {
		a := 2 * math.Pi * float64(i) / float64(max(len(nodes), 1))
		n.x, n.y = size/2+r*math.Cos(a), size/2+r*math.Sin(a)
		pos[n.id] = n
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="graph" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="graph-t" xmlns="http://www.w3.org/2000/svg"><title id="graph-t">%s</title>`,
		size, size, esc(w.cat.T(lang, "graph.title")))
	for _, l := range links {
		a, c := pos[l.From], pos[l.To]
		if a == nil || c == nil {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#6b7280" stroke-width="1.2"><title>%s — %s: %s</title></line>`,
			a.x, a.y, c.x, c.y, esc(a.label), esc(c.label), esc(w.linkKind(lang, l.Kind)))
	}
	for _, n := range nodes {
		fill := "#1d4ed8"
		if n.org {
			fill = "#b45309"
		}
		anchor := "start"
		dx := 9.0
		if n.x < size/2 {
			anchor, dx = "end", -9
		}
		fmt.Fprintf(&b, `<g><circle cx="%.1f" cy="%.1f" r="6" fill="%s"/><text x="%.1f" y="%.1f" font-size="15" text-anchor="%s" fill="#111827">%s</text><title>%s</title></g>`,
			n.x, n.y, fill, n.x+dx, n.y+4, anchor, esc(n.id), esc(n.id+" "+n.label))
	}
	fmt.Fprintf(&b, `<circle cx="16" cy="%.0f" r="6" fill="#1d4ed8"/><text x="26" y="%.0f" font-size="15" fill="#111827">%s</text>`, size-30, size-26, esc(w.cat.T(lang, "graph.person")))
	fmt.Fprintf(&b, `<circle cx="16" cy="%.0f" r="6" fill="#b45309"/><text x="26" y="%.0f" font-size="15" fill="#111827">%s</text>`, size-12, size-8, esc(w.cat.T(lang, "graph.org")))
	b.WriteString(`</svg>`)
	return chartSVG(b.String())
}
