package analysis

import (
	"testing"
	"time"
)

// TestBuildLinksCarryTheirEvidence: every link of the fixture's graph
// names an evidence file and a line or offset in it, and joins the
// entities its record named.
func TestBuildLinksCarryTheirEvidence(t *testing.T) {
	g, err := Build(SliceRecords(fixtureRecords(t)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Links) == 0 {
		t.Fatal("no links")
	}
	for i := range g.Links {
		l := &g.Links[i]
		src := g.Source(l)
		if src.Item != "E-TEST" || src.SHA256 != testSHA || (src.Line == 0 && src.Offset == 0) {
			t.Fatalf("link %d without its evidence: %+v", i, src)
		}
		if l.From == l.To {
			t.Fatalf("link %d joins %s to itself", i, g.Entities[l.From])
		}
	}
	leo := g.Node(mustFind(t, g, "0991112233"))
	wilman := g.Node(mustFind(t, g, "+593 98 222 3344"))
	// The Telegram call of 23:10 and the carrier's record of the same call.
	calls := 0
	for _, li := range g.Timeline([]int32{leo, wilman}, time.Time{}, time.Time{}) {
		l := &g.Links[li]
		if l.Schema() == LinkCall && l.Time().Equal(time.Date(2023, 12, 14, 23, 10, 0, 0, Ecuador)) {
			calls++
			if x := g.Extra(l); x == nil || x.Duration != 95*time.Second {
				t.Errorf("call without its duration: %+v", x)
			}
		}
	}
	if calls != 2 {
		t.Errorf("%d calls at 23:10 between Leandro and Wilman, want 2 (Telegram and the carrier)", calls)
	}
	// The WhatsApp chat of two writers links them to each other.
	fab := g.Node(mustFind(t, g, "Fabricio Colón Pico"))
	if _, ok := g.ShortestPath(fab, leo); !ok {
		t.Errorf("no path from Fabricio to Leandro")
	}
}

func mustFind(t *testing.T, g *Graph, ref string) string {
	t.Helper()
	v, err := g.Find(ref)
	if err != nil {
		t.Fatal(err)
	}
	return g.Entities[v].ID
}
