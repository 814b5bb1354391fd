package analysis

import (
	"fmt"
	"sort"
	"time"
)

// Link schemas, FollowTheMoney's.
const (
	LinkMessage        = "Message"
	LinkCall           = "Call"
	LinkPayment        = "Payment"
	LinkOwnership      = "Ownership"
	LinkMembership     = "Membership"
	LinkRepresentation = "Representation"
)

// linkSchemas indexes Link.Kind.
var linkSchemas = []string{LinkMessage, LinkCall, LinkPayment, LinkOwnership, LinkMembership, LinkRepresentation}

// Link is one message, call, payment or membership between two entities
// (node indexes of the graph), kept small: a graph of a million links
// holds no text. Its evidence is the file (an index of Graph.Files) and
// the line or byte offset.
type Link struct {
	From, To int32
	At       int64 // Unix seconds; 0 when the record had no time
	Kind     uint8 // index of linkSchemas
	File     int32 // index of Graph.Files
	Line     int32 // line in the file (text formats), or 0
	Offset   int64 // byte offset (JSON), or 0
	Extra    int32 // index of Graph.Extras + 1; 0 for none
}

// Schema is the link's FtM schema name.
func (l *Link) Schema() string { return linkSchemas[l.Kind] }

// Time is the link's time, or the zero time.
func (l *Link) Time() time.Time {
	if l.At == 0 {
		return time.Time{}
	}
	return time.Unix(l.At, 0)
}

// LinkExtra holds what only some links have.
type LinkExtra struct {
	Amount   string
	Currency string
	Duration time.Duration
	Media    string
}

// File is an evidence item's file: where links came from.
type File struct {
	Item   string `json:"item"`
	SHA256 string `json:"sha256"`
}

// Graph is the network of a case's entities and links.
type Graph struct {
	Entities []*Entity
	Links    []Link
	Files    []File
	Extras   []LinkExtra
	Review   []Review

	index map[string]int32 // entity id → node
	files map[File]int32
	// Unique neighbours (undirected), compressed: node n's are
	// nbr[start[n]:start[n+1]], with the first link between them in
	// first.
	start []int32
	nbr   []int32
	first []int32
	// inc[istart[n]:istart[n+1]] are the links of node n, by time.
	istart []int32
	inc    []int32
}

// Records is a source of records that can be read more than once (a
// database query, a slice): graph building reads it twice, to resolve
// and then to link.
type Records func(fn func(*Record) error) error

// SliceRecords reads a slice.
func SliceRecords(recs []Record) Records {
	return func(fn func(*Record) error) error {
		for i := range recs {
			if err := fn(&recs[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// Build resolves the records' parties into entities (Resolver.Resolve)
// and links them: a message or call from its sender to each recipient
// (for a chat message, the chat's other writer, or the chat group when
// more than two wrote), a payment from payer to beneficiary, and a
// membership from each writer of a group to it.
func Build(recs Records, decisions []Decision, caseParties []CaseParty) (*Graph, error) {
	r := NewResolver()
	if err := recs(func(rec *Record) error { r.Observe(rec); return nil }); err != nil {
		return nil, err
	}
	res := r.Resolve(decisions, caseParties)
	g := NewGraph(res.Entities)
	g.Review = res.Review
	members := map[[2]int32]bool{}
	err := recs(func(rec *Record) error {
		if rec.Kind == KindContact || rec.System {
			return nil
		}
		from := res.Of(rec.From)
		if from == nil {
			return nil
		}
		var kind uint8
		switch rec.Kind {
		case KindMessage:
			kind = 0
		case KindCall:
			kind = 1
		case KindPayment:
			kind = 2
		default:
			return nil
		}
		var extra *LinkExtra
		if rec.Amount != "" || rec.Duration != 0 || rec.Media != "" {
			extra = &LinkExtra{Amount: rec.Amount, Currency: rec.Currency, Duration: rec.Duration, Media: rec.Media}
		}
		var tos []*Entity
		for _, p := range rec.To {
			if e := res.Of(p); e != nil {
				tos = append(tos, e)
			}
		}
		if len(rec.To) == 0 && rec.Chat != "" {
			if grp := res.groups[rec.Chat]; grp != nil {
				tos = append(tos, grp)
				k := [2]int32{g.index[from.ID], g.index[grp.ID]}
				if !members[k] {
					members[k] = true
					g.add(from, grp, 4, rec, nil)
				}
			} else {
				for _, e := range res.peers[rec.Chat] {
					if e != from {
						tos = append(tos, e)
					}
				}
			}
		}
		for _, to := range tos {
			if to != from {
				g.add(from, to, kind, rec, extra)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.Finish()
	return g, nil
}

// NewGraph returns a graph of entities without links; add links with
// AddLink and call Finish before asking questions.
func NewGraph(entities []*Entity) *Graph {
	g := &Graph{Entities: entities, index: make(map[string]int32, len(entities)), files: map[File]int32{}}
	for i, e := range entities {
		g.index[e.ID] = int32(i)
	}
	return g
}

func (g *Graph) add(from, to *Entity, kind uint8, rec *Record, extra *LinkExtra) {
	l := Link{From: g.index[from.ID], To: g.index[to.ID], Kind: kind, File: g.file(rec.Source), Line: int32(rec.Source.Line), Offset: rec.Source.Offset}
	if !rec.At.IsZero() {
		l.At = rec.At.Unix()
	}
	if extra != nil {
		g.Extras = append(g.Extras, *extra)
		l.Extra = int32(len(g.Extras))
	}
	g.Links = append(g.Links, l)
}

// AddLink adds a link between nodes.
func (g *Graph) AddLink(from, to int32, schema string, at time.Time, src Source) {
	var kind uint8
	for i, s := range linkSchemas {
		if s == schema {
			kind = uint8(i)
		}
	}
	l := Link{From: from, To: to, Kind: kind, File: g.file(src), Line: int32(src.Line), Offset: src.Offset}
	if !at.IsZero() {
		l.At = at.Unix()
	}
	g.Links = append(g.Links, l)
}

func (g *Graph) file(s Source) int32 {
	f := File{Item: s.Item, SHA256: s.SHA256}
	i, ok := g.files[f]
	if !ok {
		i = int32(len(g.Files))
		g.Files = append(g.Files, f)
		g.files[f] = i
	}
	return i
}

// Source is a link's evidence reference.
func (g *Graph) Source(l *Link) Source {
	f := g.Files[l.File]
	return Source{Item: f.Item, SHA256: f.SHA256, Line: int(l.Line), Offset: l.Offset}
}

// Extra is a link's amount, duration or media, if any.
func (g *Graph) Extra(l *Link) *LinkExtra {
	if l.Extra == 0 {
		return nil
	}
	return &g.Extras[l.Extra-1]
}

// Node is an entity's node index, or -1.
func (g *Graph) Node(id string) int32 {
	if i, ok := g.index[id]; ok {
		return i
	}
	return -1
}

// Finish builds the adjacency the questions read.
func (g *Graph) Finish() {
	n := len(g.Entities)
	// Links of each node, by time.
	deg := make([]int32, n+1)
	for _, l := range g.Links {
		deg[l.From]++
		if l.To != l.From {
			deg[l.To]++
		}
	}
	g.istart = make([]int32, n+1)
	for i := 0; i < n; i++ {
		g.istart[i+1] = g.istart[i] + deg[i]
	}
	g.inc = make([]int32, g.istart[n])
	fill := append([]int32(nil), g.istart[:n]...)
	for i, l := range g.Links {
		g.inc[fill[l.From]] = int32(i)
		fill[l.From]++
		if l.To != l.From {
			g.inc[fill[l.To]] = int32(i)
			fill[l.To]++
		}
	}
	for v := 0; v < n; v++ {
		s := g.inc[g.istart[v]:g.istart[v+1]]
		sort.Slice(s, func(a, b int) bool {
			la, lb := &g.Links[s[a]], &g.Links[s[b]]
			if la.At != lb.At {
				return la.At < lb.At
			}
			return s[a] < s[b]
		})
	}
	// Unique neighbours, with the earliest link between them.
	g.start = make([]int32, n+1)
	var nbr, first []int32
	last := make(map[int32]int, 64)
	for v := 0; v < n; v++ {
		clear(last)
		base := len(nbr)
		for _, li := range g.inc[g.istart[v]:g.istart[v+1]] {
			l := &g.Links[li]
			w := l.To
			if w == int32(v) {
				w = l.From
			}
			if w == int32(v) {
				continue
			}
			if _, ok := last[w]; ok {
				continue
			}
			last[w] = len(nbr)
			nbr = append(nbr, w)
			first = append(first, li)
		}
		// Neighbours in node order, for reproducible traversals.
		seg := nbr[base:]
		fseg := first[base:]
		idx := make([]int, len(seg))
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return seg[idx[a]] < seg[idx[b]] })
		ns, fs := make([]int32, len(seg)), make([]int32, len(seg))
		for i, j := range idx {
			ns[i], fs[i] = seg[j], fseg[j]
		}
		copy(seg, ns)
		copy(fseg, fs)
		g.start[v+1] = int32(len(nbr))
	}
	g.nbr, g.first = nbr, first
}

// Degree is the number of distinct neighbours of node v.
func (g *Graph) Degree(v int32) int { return int(g.start[v+1] - g.start[v]) }

// Neighbors are the distinct neighbours of v.
func (g *Graph) Neighbors(v int32) []int32 { return g.nbr[g.start[v]:g.start[v+1]] }

// LinksOf are the links of v, by time.
func (g *Graph) LinksOf(v int32) []int32 { return g.inc[g.istart[v]:g.istart[v+1]] }

// Neighbor is one entity near another, with how many links join them to
// the one they were reached from.
type Neighbor struct {
	Node  int32
	Via   int32 // the node it was reached from
	Depth int
	Links int // links between Via and Node
}

// Neighborhood lists the entities within depth hops of v, breadth first.
// A hub (more than maxDegree distinct neighbours; 0 means no cap) is
// listed but not expanded, so that a switchboard or a group of hundreds
// does not bring in everyone; and at most perNode neighbours of each
// expanded node are listed, those with most links first.
func (g *Graph) Neighborhood(v int32, depth, maxDegree, perNode int) []Neighbor {
	seen := map[int32]bool{v: true}
	var out []Neighbor
	frontier := []int32{v}
	for d := 1; d <= depth && len(frontier) > 0; d++ {
		var next []int32
		for _, u := range frontier {
			if u != v && maxDegree > 0 && g.Degree(u) > maxDegree {
				continue
			}
			counts := map[int32]int{}
			for _, li := range g.LinksOf(u) {
				l := &g.Links[li]
				w := l.To
				if w == u {
					w = l.From
				}
				if w != u {
					counts[w]++
				}
			}
			ws := make([]int32, 0, len(counts))
			for w := range counts {
				ws = append(ws, w)
			}
			sort.Slice(ws, func(a, b int) bool {
				if counts[ws[a]] != counts[ws[b]] {
					return counts[ws[a]] > counts[ws[b]]
				}
				return ws[a] < ws[b]
			})
			if perNode > 0 && len(ws) > perNode {
				ws = ws[:perNode]
			}
			for _, w := range ws {
				if seen[w] {
					continue
				}
				seen[w] = true
				out = append(out, Neighbor{Node: w, Via: u, Depth: d, Links: counts[w]})
				next = append(next, w)
			}
		}
		frontier = next
	}
	return out
}

// Path is a chain of entities with one link between each consecutive
// two.
type Path struct {
	Nodes []int32
	Links []int32
}

// ShortestPath finds a path with fewest hops between two nodes, treating
// links as undirected (a call or a message joins both ends), by breadth-
// first search. Each hop's link is the earliest between the two. ok is
// false when no path exists.
func (g *Graph) ShortestPath(from, to int32) (Path, bool) {
	if from == to {
		return Path{Nodes: []int32{from}}, true
	}
	n := len(g.Entities)
	prev := make([]int32, n)
	for i := range prev {
		prev[i] = -1
	}
	via := make([]int32, n)
	prev[from] = from
	queue := []int32{from}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for i := g.start[u]; i < g.start[u+1]; i++ {
			w := g.nbr[i]
			if prev[w] >= 0 {
				continue
			}
			prev[w], via[w] = u, g.first[i]
			if w == to {
				return g.trace(from, to, prev, via), true
			}
			queue = append(queue, w)
		}
	}
	return Path{}, false
}

func (g *Graph) trace(from, to int32, prev, via []int32) Path {
	var p Path
	for v := to; v != from; v = prev[v] {
		p.Nodes = append(p.Nodes, v)
		p.Links = append(p.Links, via[v])
	}
	p.Nodes = append(p.Nodes, from)
	reverse(p.Nodes)
	reverse(p.Links)
	return p
}

func reverse(s []int32) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// TemporalPath finds a path with fewest hops whose links happen in order:
// the first at or after after, each later one at or after the one before
// and, when maxGap > 0, at most maxGap after it. It searches breadth
// first over links (a link is reached once, by its fewest hops), so the
// answer is the shortest path that respects time. Links without a time
// are not used.
func (g *Graph) TemporalPath(from, to int32, after time.Time, maxGap time.Duration) (Path, bool) {
	if from == to {
		return Path{Nodes: []int32{from}}, true
	}
	var afterUnix int64 = 1
	if !after.IsZero() {
		afterUnix = after.Unix()
	}
	gap := int64(maxGap / time.Second)
	// prevLink[l] is the link before l on the search tree (-1 for a first
	// hop); at[l] the node l arrives at.
	prevLink := make([]int32, len(g.Links))
	for i := range prevLink {
		prevLink[i] = unseen
	}
	arrive := make([]int32, len(g.Links))
	type state struct{ link, node int32 }
	var queue []state
	expand := func(node int32, t int64, prev int32) (int32, bool) {
		links := g.LinksOf(node)
		// The first link at or after t.
		lo := sort.Search(len(links), func(i int) bool { return g.Links[links[i]].At >= t })
		for _, li := range links[lo:] {
			l := &g.Links[li]
			if prev >= 0 && gap > 0 && l.At-t > gap {
				break
			}
			if prevLink[li] != unseen {
				continue
			}
			w := l.To
			if w == node {
				w = l.From
			}
			if w == node {
				continue
			}
			prevLink[li] = prev
			arrive[li] = w
			if w == to {
				return li, true
			}
			queue = append(queue, state{li, w})
		}
		return -1, false
	}
	end, found := expand(from, afterUnix, -1)
	for !found && len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		end, found = expand(s.node, g.Links[s.link].At, s.link)
	}
	if !found {
		return Path{}, false
	}
	var p Path
	for li := end; li >= 0; li = prevLink[li] {
		p.Links = append(p.Links, li)
		p.Nodes = append(p.Nodes, arrive[li])
	}
	p.Nodes = append(p.Nodes, from)
	reverse(p.Nodes)
	reverse(p.Links)
	return p, true
}

// unseen marks a link the temporal search has not reached.
const unseen = -2

// Timeline is the links among a set of nodes (both ends in it) between
// two times (zero for no bound), by time.
func (g *Graph) Timeline(nodes []int32, from, until time.Time) []int32 {
	in := map[int32]bool{}
	for _, v := range nodes {
		in[v] = true
	}
	var out []int32
	seen := map[int32]bool{}
	for _, v := range nodes {
		for _, li := range g.LinksOf(v) {
			l := &g.Links[li]
			if seen[li] || !in[l.From] || !in[l.To] {
				continue
			}
			if !from.IsZero() && l.At < from.Unix() || !until.IsZero() && l.At > until.Unix() {
				continue
			}
			seen[li] = true
			out = append(out, li)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		la, lb := &g.Links[out[a]], &g.Links[out[b]]
		if la.At != lb.At {
			return la.At < lb.At
		}
		return out[a] < out[b]
	})
	return out
}

// Find returns the node of an entity named by its id, an identifier key,
// a phone number as written in any usual form, a case person's id, or an
// exact name (folded); an error says which of them matched none or
// several.
func (g *Graph) Find(ref string) (int32, error) {
	if v := g.Node(ref); v >= 0 {
		return v, nil
	}
	var match []int32
	add := func(v int32) {
		for _, m := range match {
			if m == v {
				return
			}
		}
		match = append(match, v)
	}
	phone, perr := NormalizePhone(ref)
	folded := Fold(ref)
	for i, e := range g.Entities {
		v := int32(i)
		if e.Case == ref || contains(e.Keys, ref) {
			add(v)
			continue
		}
		if perr == nil && contains(e.Phones, phone) {
			add(v)
			continue
		}
		for _, n := range e.Names {
			if Fold(n) == folded && folded != "" {
				add(v)
				break
			}
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return -1, fmt.Errorf("%q no corresponde a ninguna entidad (id, teléfono, persona del caso o nombre) / %q matches no entity (id, phone, case person or name)", ref, ref)
	}
	return -1, fmt.Errorf("%q corresponde a %d entidades; use su id / %q matches %d entities; use its id", ref, len(match), ref, len(match))
}
