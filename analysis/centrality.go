package analysis

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// BetweennessOptions says how to compute brokers.
type BetweennessOptions struct {
	// Samples is how many source nodes to start from; 0 or at least the
	// number of nodes means all of them (exact betweenness).
	Samples int
	// Seed chooses the sample, so that the same graph, samples and seed
	// give the same scores on any machine.
	Seed uint64
}

// chunks is how many parts the sources are split into. It is fixed, not
// the number of cores, so that the floating-point sums are added in the
// same order everywhere and the scores are reproducible.
const chunks = 8

// Betweenness returns each node's betweenness centrality (Brandes'
// algorithm on the undirected graph of distinct neighbours), normalised
// to [0, 1] by the number of pairs of other nodes: the share of shortest
// paths between others that pass through the node. A broker between
// groups scores high. With opts.Samples below the number of nodes, the
// sums run from a seeded uniform sample of sources and are scaled by
// n/samples (an unbiased estimate).
func (g *Graph) Betweenness(opts BetweennessOptions) []float64 {
	n := len(g.Entities)
	cb := make([]float64, n)
	if n < 3 {
		return cb
	}
	sources := make([]int32, n)
	for i := range sources {
		sources[i] = int32(i)
	}
	scale := 1.0
	if opts.Samples > 0 && opts.Samples < n {
		rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
		rng.Shuffle(n, func(i, j int) { sources[i], sources[j] = sources[j], sources[i] })
		sources = sources[:opts.Samples]
		sort.Slice(sources, func(i, j int) bool { return sources[i] < sources[j] })
		scale = float64(n) / float64(opts.Samples)
	}
	parts := make([][]float64, chunks)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for c := 0; c < chunks; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			lo, hi := len(sources)*c/chunks, len(sources)*(c+1)/chunks
			if lo < hi {
				parts[c] = g.brandes(sources[lo:hi])
			}
		}(c)
	}
	wg.Wait()
	for _, p := range parts {
		for i, v := range p {
			cb[i] += v
		}
	}
	// Each pair is counted from both ends on an undirected graph.
	norm := scale / 2 / (float64(n-1) * float64(n-2) / 2)
	for i := range cb {
		cb[i] *= norm
	}
	return cb
}

// brandesNode is a node's state in one source's pass, kept together so
// that a visit touches one cache line instead of three arrays.
type brandesNode struct {
	sigma, delta float64
	dist         int32
}

// brandes accumulates the dependencies of the given sources.
func (g *Graph) brandes(sources []int32) []float64 {
	n := len(g.Entities)
	cb := make([]float64, n)
	st := make([]brandesNode, n)
	for i := range st {
		st[i].dist = -1
	}
	order := make([]int32, 0, n)
	start, nbr := g.start, g.nbr
	for _, s := range sources {
		order = order[:0]
		st[s].dist, st[s].sigma = 0, 1
		order = append(order, s)
		for head := 0; head < len(order); head++ {
			v := order[head]
			dv, sv := st[v].dist, st[v].sigma
			for _, w := range nbr[start[v]:start[v+1]] {
				x := &st[w]
				if x.dist < 0 {
					x.dist = dv + 1
					order = append(order, w)
				}
				if x.dist == dv+1 {
					x.sigma += sv
				}
			}
		}
		for k := len(order) - 1; k >= 0; k-- {
			w := order[k]
			y := &st[w]
			coef := (1 + y.delta) / y.sigma
			for _, v := range nbr[start[w]:start[w+1]] {
				x := &st[v]
				if x.dist == y.dist-1 {
					x.delta += x.sigma * coef
				}
			}
			if w != s {
				cb[w] += y.delta
			}
		}
		for _, v := range order {
			st[v] = brandesNode{dist: -1}
		}
	}
	return cb
}

// Ranked is a node and its score.
type Ranked struct {
	Node  int32
	Score float64
}

// Brokers are the top nodes by betweenness, highest first (ties by node
// order), leaving out chat groups, which broker by construction.
func (g *Graph) Brokers(scores []float64, top int) []Ranked {
	var out []Ranked
	for i, s := range scores {
		if g.Entities[i].Chat != "" {
			continue
		}
		out = append(out, Ranked{int32(i), s})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	return out
}

// Communities partitions the graph with the Louvain method (modularity,
// links counted as weights), visiting nodes in an order drawn from seed
// so that the partition is reproducible. It returns each node's community
// (numbered from 0 by first node) and the partition's modularity.
func (g *Graph) Communities(seed uint64) ([]int, float64) {
	n := len(g.Entities)
	// The weighted undirected graph: weight = links between two nodes.
	type edge struct {
		to int
		w  float64
	}
	adj := make([][]edge, n)
	for v := 0; v < n; v++ {
		counts := map[int32]float64{}
		for _, li := range g.LinksOf(int32(v)) {
			l := &g.Links[li]
			w := l.To
			if w == int32(v) {
				w = l.From
			}
			if w != int32(v) {
				counts[w]++
			}
		}
		for _, w := range g.Neighbors(int32(v)) {
			adj[v] = append(adj[v], edge{int(w), counts[w]})
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc909))
	member := make([]int, n) // original node → community
	for i := range member {
		member[i] = i
	}
	for level := 0; level < 32; level++ {
		m := len(adj)
		comm := make([]int, m)
		for i := range comm {
			comm[i] = i
		}
		k := make([]float64, m)
		var total float64
		for v := range adj {
			for _, e := range adj[v] {
				k[v] += e.w
			}
			total += k[v]
		}
		if total == 0 {
			break
		}
		tot := append([]float64(nil), k...) // sum of degrees per community
		order := rng.Perm(m)
		moved := false
		for pass := 0; pass < 100; pass++ {
			changed := false
			for _, v := range order {
				cv := comm[v]
				links := map[int]float64{}
				for _, e := range adj[v] {
					links[comm[e.to]] += e.w
				}
				tot[cv] -= k[v]
				best, bestGain := cv, links[cv]-tot[cv]*k[v]/total
				cands := make([]int, 0, len(links))
				for c := range links {
					cands = append(cands, c)
				}
				sort.Ints(cands)
				for _, c := range cands {
					if gain := links[c] - tot[c]*k[v]/total; gain > bestGain+1e-12 {
						best, bestGain = c, gain
					}
				}
				tot[best] += k[v]
				if best != cv {
					comm[v] = best
					changed, moved = true, true
				}
			}
			if !changed {
				break
			}
		}
		if !moved {
			break
		}
		// Renumber and aggregate.
		renum := map[int]int{}
		for v := 0; v < m; v++ {
			if _, ok := renum[comm[v]]; !ok {
				renum[comm[v]] = len(renum)
			}
		}
		for i := range member {
			member[i] = renum[comm[member[i]]]
		}
		agg := make([]map[int]float64, len(renum))
		for i := range agg {
			agg[i] = map[int]float64{}
		}
		for v := range adj {
			cv := renum[comm[v]]
			for _, e := range adj[v] {
				agg[cv][renum[comm[e.to]]] += e.w
			}
		}
		next := make([][]edge, len(renum))
		for c, ws := range agg {
			keys := make([]int, 0, len(ws))
			for d := range ws {
				keys = append(keys, d)
			}
			sort.Ints(keys)
			for _, d := range keys {
				next[c] = append(next[c], edge{d, ws[d]})
			}
		}
		adj = next
	}
	// Number communities by their first node.
	renum := map[int]int{}
	out := make([]int, n)
	for i, c := range member {
		if _, ok := renum[c]; !ok {
			renum[c] = len(renum)
		}
		out[i] = renum[c]
	}
	return out, g.modularity(out)
}

// modularity of a partition, with links as weights.
func (g *Graph) modularity(comm []int) float64 {
	var m2 float64
	deg := make([]float64, len(g.Entities))
	var inside float64
	for _, l := range g.Links {
		if l.From == l.To {
			continue
		}
		deg[l.From]++
		deg[l.To]++
		m2 += 2
		if comm[l.From] == comm[l.To] {
			inside += 2
		}
	}
	if m2 == 0 {
		return 0
	}
	tot := map[int]float64{}
	for v, d := range deg {
		tot[comm[v]] += d
	}
	q := inside / m2
	for _, t := range tot {
		q -= (t / m2) * (t / m2)
	}
	return q
}
