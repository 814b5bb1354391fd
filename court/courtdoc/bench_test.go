package courtdoc

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// bigItem is E-CHI-03-01 with n custody events: transfers back and forth
// between the warehouse and the lab, with an open/seal pair now and then.
func bigItem(t testing.TB, n int) ItemRecord {
	rec := metastasisItem(t)
	evs := rec.Events[:1]
	at := rec.Events[0].At
	holders := []Person{custChi, lab3}
	for i := 1; i < n; i++ {
		at = at.Add(90 * time.Minute)
		from, to := holders[(i+1)%2], holders[i%2]
		e := CustodyEvent{Leaf: int64(1000 + 3*i), Op: "custody.transfer", At: at, By: from, To: to,
			Purpose: "analysis", SealCondition: "intact", Seal: "PN-100001", Place: "Laboratorio de informática forense",
			RecordedAt: at.Add(2 * time.Hour), RecordedBy: fmt.Sprintf("cuenta.%d", i%7)}
		if i%50 == 0 {
			e.SealCondition, e.Anomalies = "broken", []string{"seal_broken"}
		}
		evs = append(evs, e)
	}
	rec.Events = evs
	return rec
}

func BenchmarkItemPDF1000Events(b *testing.B) {
	rec := bigItem(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		if err := WriteItemPDF(io.Discard, rec, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOperationPDF1000Sites(b *testing.B) {
	r := operationReport(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		if err := WriteOperationPDF(io.Discard, r, ""); err != nil {
			b.Fatal(err)
		}
	}
}
