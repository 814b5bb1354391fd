package casegen

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestWriteCustodyLoad(t *testing.T) {
	const events = 10_000
	var buf bytes.Buffer
	if err := WriteCustodyLoad(&buf, 7, events); err != nil {
		t.Fatal(err)
	}
	if err := Validate(buf.Bytes()); err != nil {
		t.Fatalf("load file is invalid: %v", err)
	}
	var seize, transfer, other, itemBytes int
	for _, l := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
		switch {
		case bytes.HasPrefix(l, []byte(`{"op": "evidence.seize"`)):
			seize++
			itemBytes += len(l) + 1
		case bytes.HasPrefix(l, []byte(`{"op": "custody.transfer"`)):
			transfer++
			itemBytes += len(l) + 1
		default:
			other++
		}
	}
	if seize+transfer != events {
		t.Errorf("%d seizures + %d transfers = %d custody events, want %d", seize, transfer, seize+transfer, events)
	}
	if want := (events + 10) / 11; seize != want {
		t.Errorf("%d seizures, want %d", seize, want)
	}
	if other > 400 {
		t.Errorf("%d setup lines, want a few hundred", other)
	}
	if avg := itemBytes / events; avg < 180 || avg > 300 {
		t.Errorf("custody lines average %d bytes, want about 200-300", avg)
	}
	// The oracle sees every seized item at the operation's sites, none disposed.
	rep, err := Oracle(buf.Bytes(), LoadOperation, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if rep["evidence_items"] != float64(seize) || rep["open_items"] != float64(seize) || rep["sites"] != float64(loadSites) {
		t.Errorf("report: %d items, %v open, %v sites; want %d, %d, %d", rep["evidence_items"], rep["open_items"], rep["sites"], seize, seize, loadSites)
	}
	if len(rep["custody_anomalies"].([]any)) != 0 {
		t.Errorf("load file has anomalies: %v", rep["custody_anomalies"])
	}

	var again bytes.Buffer
	if err := WriteCustodyLoad(&again, 7, events); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("WriteCustodyLoad is not deterministic for one seed")
	}
}

func TestWriteCustodyLoadEdges(t *testing.T) {
	for _, n := range []int{0, 1, 11, 12, 5000} {
		var buf bytes.Buffer
		if err := WriteCustodyLoad(&buf, 1, n); err != nil {
			t.Fatal(err)
		}
		if err := Validate(buf.Bytes()); err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		got := bytes.Count(buf.Bytes(), []byte(`"op": "evidence.seize"`)) + bytes.Count(buf.Bytes(), []byte(`"op": "custody.transfer"`))
		if got != n {
			t.Errorf("%d events requested, %d written", n, got)
		}
	}
	if err := WriteCustodyLoad(io.Discard, 1, -1); err == nil {
		t.Error("negative events accepted")
	}
}

// BenchmarkWriteCustodyLoad measures writing the import benchmark's file;
// B/op staying flat from 100k to 1M events shows memory does not grow.
func BenchmarkWriteCustodyLoad(b *testing.B) {
	for _, events := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
			b.ReportAllocs()
			var n countWriter
			for b.Loop() {
				n = 0
				if err := WriteCustodyLoad(&n, 1, events); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(n))
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
