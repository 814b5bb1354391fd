package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/court/courtdata"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// bigItemCase is a case file whose item E-BIG has n custody events: its
// seizure, then transfers back and forth between two custodians, one a day.
func bigItemCase(n int) []byte {
	var b bytes.Buffer
	// Agency PN comes from the Metastasis case file, imported first.
	b.WriteString(`{"op": "officer.add", "id": "pn.1", "name": "Agente Álex Núñez", "agency": "PN", "role": "agent"}
{"op": "officer.add", "id": "cust.a", "name": "Custodio de la bodega de Quito", "agency": "PN", "role": "custodian"}
{"op": "officer.add", "id": "cust.b", "name": "Custodia de la bodega de Guayaquil", "agency": "PN", "role": "custodian"}
{"op": "case.open", "id": "C-BIG", "title": "Caso de mil eventos", "at": "2020-01-01T08:00:00-05:00", "by": "pn.1"}
{"op": "evidence.seize", "id": "E-BIG", "case": "C-BIG", "type": "phone", "description": "Teléfono celular", "seized_at": "2020-01-01T09:00:00-05:00", "seized_by": "pn.1", "place": "Vía pública", "seal": "PN-1"}
`)
	at := time.Date(2020, 1, 2, 9, 0, 0, 0, time.FixedZone("", -5*3600))
	holders := []string{"pn.1", "cust.a", "cust.b"}
	from := 0
	for i := 1; i < n; i++ {
		to := 1 + i%2
		fmt.Fprintf(&b, `{"op": "custody.transfer", "item": "E-BIG", "from": %q, "to": %q, "at": %q, "purpose": "transport", "seal_condition": "intact", "seal": "PN-1", "location": "Ruta Quito–Guayaquil"}`+"\n",
			holders[from], holders[to], at.Format(time.RFC3339))
		from = to
		at = at.Add(24 * time.Hour)
	}
	return b.Bytes()
}

// bigItemDir is a deployment with the Metastasis case file and E-BIG with
// 1,000 events, made through the CLI.
func bigItemDir(b *testing.B) string {
	dir := b.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "big.jsonl")
	if err := os.WriteFile(file, bigItemCase(1000), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, args := range [][]string{{"init"}, {"import", testdeploy.MetastasisPath(b)}, {"import", file}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append(args, "--data", data), &out, &errb); code != 0 {
			b.Fatalf("custodia %v: %s", args, errb.String())
		}
	}
	return data
}

// BenchmarkReportItem1000 is `custodia report item` of an item with 1,000
// events, end to end: opening the deployment (which replays its log), the
// history, the bundle with 1,000 inclusion proofs, the PDF, the atomic write.
func BenchmarkReportItem1000(b *testing.B) {
	data := bigItemDir(b)
	out := filepath.Join(b.TempDir(), "big.pdf")
	b.ResetTimer()
	for b.Loop() {
		var so, se bytes.Buffer
		if code := run(context.Background(), []string{"report", "item", "E-BIG", "-o", out, "--data", data}, &so, &se); code != 0 {
			b.Fatal(se.String())
		}
	}
	b.StopTimer()
	st, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/1024, "KiB/pdf")
}

// BenchmarkCourtdataItem1000 and BenchmarkItemPDF1000 split the report into
// its two halves on an open deployment: reading the ledger, and rendering.
func BenchmarkCourtdataItem1000(b *testing.B) {
	d := testdeploy.Open(b, bigItemDir(b), nil)
	b.ResetTimer()
	for b.Loop() {
		rec, err := courtdata.Item(context.Background(), d.Ledger, d.PublicKey, "E-BIG", courtdata.Options{Now: time.Now()})
		if err != nil || len(rec.Events) != 1000 {
			b.Fatalf("%d events, %v", len(rec.Events), err)
		}
	}
}

func BenchmarkItemPDF1000(b *testing.B) {
	d := testdeploy.Open(b, bigItemDir(b), nil)
	rec, err := courtdata.Item(context.Background(), d.Ledger, d.PublicKey, "E-BIG", courtdata.Options{Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var buf bytes.Buffer
		if err := courtdoc.WriteItemPDF(&buf, rec, "es"); err != nil {
			b.Fatal(err)
		}
	}
}
