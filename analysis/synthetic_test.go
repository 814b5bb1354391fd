package analysis

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-ec/custodia/internal/analysisgen"
)

// syntheticDir is the data set of issue 16, written by analysisgen with
// seed 16 (go test ./analysis -run Synthetic -update rewrites it).
const syntheticDir = "testdata/synthetic"

// loadSynthetic imports every file of the synthetic data set, each as an
// evidence item named after its file, with its real SHA-256.
func loadSynthetic(t testing.TB, dir string) (*analysisgen.Manifest, []Record, Summary) {
	t.Helper()
	m, err := analysisgen.Generate(t.TempDir(), 16)
	if err != nil {
		t.Fatal(err)
	}
	var all []Record
	var total Summary
	for _, f := range m.Files {
		data, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		var mapping *Mapping
		if f.Mapping != "" {
			b, err := os.ReadFile(filepath.Join(dir, f.Mapping))
			if err != nil {
				t.Fatal(err)
			}
			if mapping, err = ParseMapping(b); err != nil {
				t.Fatal(err)
			}
		}
		c := &Collector{}
		s, err := Import(f.Format, bytes.NewReader(data), Source{Item: "E-SYN-" + filepath.Base(f.Path), SHA256: hex.EncodeToString(sum[:])}, ImportOptions{Mapping: mapping}, c)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if s.Rejects > 0 {
			t.Errorf("%s: %d rejects: %+v", f.Path, s.Rejects, c.Rejects[0])
		}
		total.Records += s.Records
		all = append(all, c.Records...)
	}
	return m, all, total
}

// TestSyntheticDataIsCurrent: the committed data set is what the
// generator writes.
func TestSyntheticDataIsCurrent(t *testing.T) {
	tmp := t.TempDir()
	m, err := analysisgen.Generate(tmp, 16)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"manifest.json", "banco-mapeo.json"}
	for _, f := range m.Files {
		files = append(files, f.Path)
	}
	for _, f := range files {
		got, _ := os.ReadFile(filepath.Join(tmp, f))
		if *update {
			os.MkdirAll(filepath.Dir(filepath.Join(syntheticDir, f)), 0o755)
			if err := os.WriteFile(filepath.Join(syntheticDir, f), got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(filepath.Join(syntheticDir, f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what analysisgen writes (%v); go test ./analysis -run Synthetic -update", f, err)
		}
	}
}

// TestSyntheticFindsThePlantedPathAndBroker: from a few thousand messages,
// calls and payments across seven files in five formats, with numbers
// written every which way, the analysis finds the boss → broker → clerk →
// judge path (also in time order, on the planted night, within the hour),
// and the broker as the top broker.
func TestSyntheticFindsThePlantedPathAndBroker(t *testing.T) {
	m, recs, sum := loadSynthetic(t, syntheticDir)
	t.Logf("%d records (%d messages, %d calls, %d payments planted)", sum.Records, m.Messages, m.Calls, m.Payments)
	g, err := Build(SliceRecords(recs), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	find := func(ref string) int32 {
		v, err := g.Find(ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Each person is one entity, found by number however it is written.
	boss, broker, clerk, judge := find(m.Boss.Phone), find(m.Broker.Phone), find(m.Clerk.Phone), find(m.Judge.Phone)
	if find(m.Boss.Name) != boss || find("0"+m.Broker.Phone[4:]) != broker {
		t.Errorf("the boss or the broker is more than one entity")
	}
	for _, p := range m.People {
		v, err := g.Find(p.Phone)
		if err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		// People seen only in the carrier's records are known by number.
		if e := g.Entities[v]; e.Name != p.Name && e.Name != p.Phone {
			t.Errorf("%s is named %q", p.Phone, e.Name)
		}
	}
	want := []int32{boss, broker, clerk, judge}
	p, ok := g.ShortestPath(boss, judge)
	if !ok || !equalNodes(p.Nodes, want) {
		t.Errorf("shortest path boss → judge: %v, want %v", names(g, p.Nodes), names(g, want))
	}
	tp, ok := g.TemporalPath(boss, judge, m.PathNight.Add(-time1), m.PathGap)
	if !ok || !equalNodes(tp.Nodes, want) {
		t.Fatalf("time-respecting path: %v, want %v", names(g, tp.Nodes), names(g, want))
	}
	for i, li := range tp.Links {
		at := g.Links[li].Time()
		if at.Before(m.PathNight.Add(-time1)) || at.After(m.PathNight.Add(2*m.PathGap)) {
			t.Errorf("hop %d at %v, not on the planted night", i, at)
		}
		if src := g.Source(&g.Links[li]); src.Item == "" || len(src.SHA256) != 64 || src.Line == 0 && src.Offset == 0 {
			t.Errorf("hop %d without evidence: %+v", i, src)
		}
	}
	exact := g.Betweenness(BetweennessOptions{})
	if top := g.Brokers(exact, 1); top[0].Node != broker {
		t.Errorf("top broker %s, want the broker %s", g.Entities[top[0].Node], g.Entities[broker])
	}
	sampled := g.Betweenness(BetweennessOptions{Samples: len(g.Entities) / 3, Seed: 16})
	if top := g.Brokers(sampled, 1); top[0].Node != broker {
		t.Errorf("sampled top broker %s, want the broker %s", g.Entities[top[0].Node], g.Entities[broker])
	}
	comm, q := g.Communities(16)
	if comm[boss] == comm[judge] || q < 0.3 {
		t.Errorf("communities: the boss and the judge together, or modularity %.2f", q)
	}
}

const time1 = 3600 * 1e9 // an hour, as a time.Duration constant

func equalNodes(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func names(g *Graph, nodes []int32) []string {
	var out []string
	for _, v := range nodes {
		out = append(out, g.Entities[v].Name+" "+g.Entities[v].ID)
	}
	return out
}
