package analysis

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-ec/custodia/internal/analysisgen"
)

// BenchmarkImportWhatsApp1M: the WhatsApp importer on a generated export of
// 1,000,000 messages (a tenth of them on two lines), read from disk as a
// stream, records counted and dropped. Issue 16's target: 10 s.
func BenchmarkImportWhatsApp1M(b *testing.B) {
	path := filepath.Join(b.TempDir(), "chat.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := analysisgen.WhatsAppStream(f, 1_000_000, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		sum, err := ImportWhatsApp(bufio.NewReader(f), Source{Item: "E", SHA256: testSHA}, WhatsAppOptions{}, funcSink(func(*Record) error { n++; return nil }))
		f.Close()
		if err != nil || sum.Records != 1_000_000 || sum.Rejects != 0 {
			b.Fatalf("%+v %v", sum, err)
		}
	}
	b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "messages/s")
}

// benchGraph is a random graph of n nodes and m links with times, built
// once per benchmark (not timed).
func benchGraph(b *testing.B, n, m int) *Graph {
	b.Helper()
	return randomGraph(n, m, 99)
}

// BenchmarkShortestPath1MEdges: breadth-first paths between random pairs
// on a graph of 200,000 entities and 1,000,000 links. Target: 100 ms.
func BenchmarkShortestPath1MEdges(b *testing.B) {
	g := benchGraph(b, 200_000, 1_000_000)
	rng := rand.New(rand.NewPCG(5, 5))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from, to := int32(rng.IntN(200_000)), int32(rng.IntN(200_000))
		if _, ok := g.ShortestPath(from, to); !ok {
			b.Fatal("the graph is connected")
		}
	}
}

// BenchmarkTemporalPath1MEdges: time-respecting paths (any gap) on the
// same graph.
func BenchmarkTemporalPath1MEdges(b *testing.B) {
	g := benchGraph(b, 200_000, 1_000_000)
	rng := rand.New(rand.NewPCG(5, 5))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from, to := int32(rng.IntN(200_000)), int32(rng.IntN(200_000))
		g.TemporalPath(from, to, g.Links[0].Time().AddDate(-1, 0, 0), 0)
	}
}

// BenchmarkBetweennessSampled100k: brokers on 100,000 entities and 300,000
// links from a seeded sample of 500 sources. Target: 10 s. The sample's
// error against exact scores is TestSampledBetweenness's.
func BenchmarkBetweennessSampled100k(b *testing.B) {
	g := benchGraph(b, 100_000, 300_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g.Betweenness(BetweennessOptions{Samples: 500, Seed: 1})
	}
}
