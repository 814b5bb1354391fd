package caseuco

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// bigCase is the Metastasis case with n custody events over n/10 items.
func bigCase(t testing.TB, n int) CaseData {
	c := metastasis(t)
	c.Events = nil
	items := n / 10
	base := mustTime(t, "2023-12-14T01:40:00-05:00")
	c.Items = c.Items[:0]
	for i := 0; i < items; i++ {
		c.Items = append(c.Items, Item{ID: fmt.Sprintf("E-%06d", i), Type: "phone", Description: "Teléfono celular", Site: "S-CHI-03", Size: -1})
	}
	holders := []string{"cust.chi", "lab.3"}
	for i := 0; i < n; i++ {
		it := c.Items[i%items].ID
		at := base.Add(time.Duration(i) * time.Minute)
		if i < items {
			c.Events = append(c.Events, Event{Leaf: int64(i), Op: "evidence.seize", Item: it, At: at, By: "pn.s-chi-03.1", Site: "S-CHI-03", Seal: "PN-1"})
			continue
		}
		c.Events = append(c.Events, Event{Leaf: int64(i), Op: "custody.transfer", Item: it, At: at,
			By: holders[(i/items+1)%2], To: holders[(i/items)%2], Purpose: "storage", SealCondition: "intact",
			Place: "Bodega de evidencias de Chimborazo"})
	}
	return c
}

func BenchmarkExport100000Events(b *testing.B) {
	c := bigCase(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if err := Export(io.Discard, c); err != nil {
			b.Fatal(err)
		}
	}
}
