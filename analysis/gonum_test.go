package analysis

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/simple"
)

// TestBetweennessAgainstGonum holds this package's exact betweenness to an
// independent implementation, gonum's, on the random graph of
// TestSampledBetweenness (2,000 entities, 6,000 links, repeated links
// between a pair counted once, as the neighbour lists do), and measures
// the seeded sample's error against gonum's exact scores.
func TestBetweennessAgainstGonum(t *testing.T) {
	g := randomGraph(2000, 6000, 7)
	n := len(g.start) - 1
	ug := simple.NewUndirectedGraph()
	for v := range n {
		ug.AddNode(simple.Node(v))
	}
	for v := range n {
		for _, w := range g.Neighbors(int32(v)) {
			if int(w) != v && ug.Edge(int64(v), int64(w)) == nil {
				ug.SetEdge(simple.Edge{F: simple.Node(v), T: simple.Node(w)})
			}
		}
	}
	// gonum sums over ordered pairs and does not normalise; this package
	// gives the share of the (n-1)(n-2)/2 pairs of other entities.
	raw := network.Betweenness(ug)
	ref := make([]float64, n)
	for v := range n {
		ref[v] = raw[int64(v)] / float64((n-1)*(n-2))
	}
	exact := g.Betweenness(BetweennessOptions{})
	var worst float64
	for v := range n {
		want := ref[v]
		if d := math.Abs(exact[v] - want); d > 1e-9 {
			t.Fatalf("entity %d: betweenness %.6f, gonum says %.6f", v, exact[v], want)
		}
		worst = math.Max(worst, math.Abs(exact[v]-want))
	}
	t.Logf("exact betweenness of 2,000 entities equal to gonum's (largest difference %.2g)", worst)
	for _, k := range []int{100, 400, 1000} {
		est := g.Betweenness(BetweennessOptions{Samples: k, Seed: 42})
		var sumErr, sumRef float64
		for v := range n {
			sumErr += math.Abs(est[v] - ref[v])
			sumRef += ref[v]
		}
		t.Logf("%4d of 2,000 sources: relative L1 error against gonum's exact scores %.3f", k, sumErr/sumRef)
		if k == 1000 && sumErr/sumRef > 0.2 {
			t.Errorf("1,000 sources: relative L1 error %.3f against gonum's exact scores", sumErr/sumRef)
		}
	}
}
