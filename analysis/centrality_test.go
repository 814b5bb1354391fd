package analysis

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// testGraph builds a graph of n entities "n0".."n(n-1)" and the given
// links, each at the given minute of 2023-12-14 (0: no time).
func testGraph(n int, links [][3]int) *Graph {
	es := make([]*Entity, n)
	for i := range es {
		es[i] = &Entity{ID: fmt.Sprintf("n%d", i), Name: fmt.Sprintf("Nodo %d", i), Schema: SchemaPerson}
	}
	g := NewGraph(es)
	base := time.Date(2023, 12, 14, 0, 0, 0, 0, Ecuador)
	for i, l := range links {
		at := time.Time{}
		if l[2] != 0 {
			at = base.Add(time.Duration(l[2]) * time.Minute)
		}
		g.AddLink(int32(l[0]), int32(l[1]), LinkMessage, at, Source{Item: "E-T", SHA256: testSHA, Line: i + 1})
	}
	g.Finish()
	return g
}

func TestBetweennessExact(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	// A path a-b-c: b is on the one path between the others.
	if cb := testGraph(3, [][3]int{{0, 1, 1}, {1, 2, 1}}).Betweenness(BetweennessOptions{}); !near(cb[1], 1) || !near(cb[0], 0) {
		t.Errorf("path: %v", cb)
	}
	// A star: the centre is on every path.
	if cb := testGraph(5, [][3]int{{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {4, 0, 1}}).Betweenness(BetweennessOptions{}); !near(cb[0], 1) || !near(cb[3], 0) {
		t.Errorf("star: %v", cb)
	}
	// A square a-b-c-d-a: each pair of opposite nodes has two paths, so
	// each node carries half of one pair: 0.5 / 3 pairs.
	if cb := testGraph(4, [][3]int{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 0, 1}}).Betweenness(BetweennessOptions{}); !near(cb[0], 0.5/3) {
		t.Errorf("square: %v", cb)
	}
}

// barbell is two cliques of k joined through one broker node (the last),
// with extra links repeated so that link counts differ from neighbours.
func barbell(k int) *Graph {
	var links [][3]int
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			links = append(links, [3]int{a, b, a + b + 1}, [3]int{k + a, k + b, a + b + 1})
		}
	}
	broker := 2 * k
	links = append(links, [3]int{0, broker, 100}, [3]int{broker, k, 101})
	return testGraph(2*k+1, links)
}

func TestBrokersAndCommunities(t *testing.T) {
	g := barbell(6)
	brokers := g.Brokers(g.Betweenness(BetweennessOptions{}), 3)
	if brokers[0].Node != 12 {
		t.Errorf("top broker %v, want node 12", brokers)
	}
	comm, q := g.Communities(1)
	again, q2 := g.Communities(1)
	for i := range comm {
		if comm[i] != again[i] {
			t.Fatalf("communities differ with the same seed: %v %v", comm, again)
		}
	}
	if q != q2 || q < 0.3 {
		t.Errorf("modularity %v, %v", q, q2)
	}
	for i := 1; i < 6; i++ {
		if comm[i] != comm[0] || comm[6+i] != comm[6] {
			t.Errorf("a clique was split: %v", comm)
		}
	}
	if comm[0] == comm[6] {
		t.Errorf("the two cliques are one community: %v", comm)
	}
}

// randomGraph has n nodes and m random links (seeded).
func randomGraph(n, m int, seed uint64) *Graph {
	rng := rand.New(rand.NewPCG(seed, seed))
	links := make([][3]int, 0, m)
	for i := 1; i < n && len(links) < m; i++ { // connected: a random tree first
		links = append(links, [3]int{i, rng.IntN(i), 1 + rng.IntN(100000)})
	}
	for len(links) < m {
		a, b := rng.IntN(n), rng.IntN(n)
		if a != b {
			links = append(links, [3]int{a, b, 1 + rng.IntN(100000)})
		}
	}
	return testGraph(n, links)
}

// TestSampledBetweenness: the same seed gives the same scores; the
// sample's estimate is close to the exact scores, and its top brokers are
// mostly the exact ones. The error figures are those BENCHMARKS.md cites.
func TestSampledBetweenness(t *testing.T) {
	g := randomGraph(2000, 6000, 7)
	exact := g.Betweenness(BetweennessOptions{})
	s1 := g.Betweenness(BetweennessOptions{Samples: 400, Seed: 42})
	s2 := g.Betweenness(BetweennessOptions{Samples: 400, Seed: 42})
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("node %d: %v then %v with the same seed", i, s1[i], s2[i])
		}
	}
	top := func(cb []float64) map[int32]bool {
		m := map[int32]bool{}
		for _, r := range g.Brokers(cb, 20) {
			m[r.Node] = true
		}
		return m
	}
	te := top(exact)
	// The brokers are what the question is about: the relative error of
	// the exact top 20's scores, for growing samples.
	prev := math.Inf(1)
	for _, k := range []int{100, 400, 1000} {
		est := g.Betweenness(BetweennessOptions{Samples: k, Seed: 42})
		ts := top(est)
		overlap := 0
		for v := range te {
			if ts[v] {
				overlap++
			}
		}
		var topErr, sumErr, sumExact float64
		for _, r := range g.Brokers(exact, 20) {
			topErr += math.Abs(est[r.Node]-exact[r.Node]) / exact[r.Node] / 20
		}
		for i := range exact {
			sumErr += math.Abs(exact[i] - est[i])
			sumExact += exact[i]
		}
		t.Logf("2,000 nodes, 6,000 links, %4d of 2,000 sources: top-20 overlap %d/20, mean relative error of the top 20 %.3f, relative L1 error of all %.3f",
			k, overlap, topErr, sumErr/sumExact)
		if topErr > prev*1.1 {
			t.Errorf("%d sources: error %.3f, more than with fewer (%.3f)", k, topErr, prev)
		}
		prev = topErr
		if k == 1000 && (overlap < 15 || topErr > 0.1) {
			t.Errorf("%d sources: too far from exact: overlap %d, top-20 relative error %.3f", k, overlap, topErr)
		}
	}
}

func TestPaths(t *testing.T) {
	// 0 -1- 1 -2- 2 -3- 3, and a shortcut 0-3 at minute 0 (no time).
	g := testGraph(5, [][3]int{{0, 1, 10}, {1, 2, 20}, {2, 3, 30}, {0, 3, 0}, {1, 2, 5}})
	p, ok := g.ShortestPath(0, 3)
	if !ok || len(p.Nodes) != 2 {
		t.Fatalf("shortest path 0→3: %+v %v", p, ok)
	}
	if _, ok := g.ShortestPath(0, 4); ok {
		t.Fatalf("a path to an isolated node")
	}
	// In time: the shortcut has no time; 1-2 at minute 5 is before 0-1.
	tp, ok := g.TemporalPath(0, 3, time.Time{}, 0)
	if !ok || fmt.Sprint(tp.Nodes) != "[0 1 2 3]" {
		t.Fatalf("temporal path: %+v %v", tp, ok)
	}
	if got := g.Links[tp.Links[1]].At - g.Links[tp.Links[0]].At; got != 600 {
		t.Errorf("the second hop is %d s after the first, want the link at minute 20", got)
	}
	// A maximum gap of 5 minutes breaks it (each hop is 10 minutes later).
	if p, ok := g.TemporalPath(0, 3, time.Time{}, 5*time.Minute); ok {
		t.Errorf("path with a 5-minute gap: %+v", p)
	}
	if _, ok := g.TemporalPath(0, 3, time.Time{}, 10*time.Minute); !ok {
		t.Errorf("no path with a 10-minute gap")
	}
	// After minute 15 the first hop (minute 10) is gone.
	if p, ok := g.TemporalPath(0, 3, time.Date(2023, 12, 14, 0, 15, 0, 0, Ecuador), 0); ok {
		t.Errorf("path after minute 15: %+v", p)
	}
}

func TestNeighborhoodCapsHubs(t *testing.T) {
	// 0 talks to hub 1; the hub talks to 2..9; 0 also talks to 10.
	links := [][3]int{{0, 1, 1}, {0, 10, 1}, {0, 10, 2}}
	for i := 2; i < 10; i++ {
		links = append(links, [3]int{1, i, 1})
	}
	g := testGraph(11, links)
	nb := g.Neighborhood(0, 2, 5, 0)
	if len(nb) != 2 || nb[0].Node != 10 || nb[0].Links != 2 {
		t.Fatalf("neighbourhood with hubs capped: %+v", nb)
	}
	if all := g.Neighborhood(0, 2, 0, 0); len(all) != 10 {
		t.Fatalf("neighbourhood without a cap: %d", len(all))
	}
}

func TestExportsCarryEvidence(t *testing.T) {
	g, err := Build(SliceRecords(fixtureRecords(t)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ftm bytes.Buffer
	if err := WriteFtM(&ftm, g); err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, line := range strings.Split(strings.TrimSpace(ftm.String()), "\n") {
		var e ftmEntity
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		switch e.Schema {
		case LinkMessage, LinkCall, LinkPayment, LinkMembership:
			links++
			if e.Custodia == nil || e.Custodia.Item != "E-TEST" || !strings.Contains(e.Properties["description"][0], testSHA) {
				t.Fatalf("link without evidence: %s", line)
			}
		}
	}
	if links != len(g.Links) {
		t.Errorf("%d links in FtM, %d in the graph", links, len(g.Links))
	}
	for name, write := range map[string]func(io.Writer, *Graph) error{"gexf": WriteGEXF, "graphml": WriteGraphML} {
		var b bytes.Buffer
		if err := write(&b, g); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&b)
		edges := 0
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", name, err)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "edge" {
				edges++
			}
		}
		if edges != len(g.Links) {
			t.Errorf("%s: %d edges, want %d", name, edges, len(g.Links))
		}
	}
	var nodes, edges bytes.Buffer
	if err := WriteCSV(&nodes, &edges, g); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(edges.String(), "\n"); n != len(g.Links)+1 || !strings.Contains(edges.String(), "E-TEST,"+testSHA) {
		t.Errorf("edges.csv: %d lines for %d links", n, len(g.Links))
	}
	if n := strings.Count(nodes.String(), "\n"); n != len(g.Entities)+1 {
		t.Errorf("nodes.csv: %d lines for %d entities", n, len(g.Entities))
	}
}
