package analysisdb

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/internal/analysisgen"
)

// BenchmarkImportWhatsApp1MToDB: what `custodia analyze import` does with
// a 1,000,000-message export, less the hashing and the ledger event: read
// it as a stream and store every message and its full-text entry in one
// transaction.
func BenchmarkImportWhatsApp1MToDB(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "chat.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := analysisgen.WhatsAppStream(f, 1_000_000, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := Open(ctx, filepath.Join(dir, "a.db"))
		if err != nil {
			b.Fatal(err)
		}
		tx, err := db.Begin(ctx, Import{Case: "C", Item: "E", SHA256: sha, Format: "whatsapp", At: time.Now()})
		if err != nil {
			b.Fatal(err)
		}
		f, _ := os.Open(path)
		sum, err := analysis.ImportWhatsApp(bufio.NewReader(f), analysis.Source{Item: "E", SHA256: sha}, analysis.WhatsAppOptions{}, tx)
		f.Close()
		if err != nil || sum.Records != 1_000_000 {
			b.Fatal(sum, err)
		}
		if err := tx.Commit(1); err != nil {
			b.Fatal(err)
		}
		db.Close()
		b.StopTimer()
		os.Remove(filepath.Join(dir, "a.db"))
		os.Remove(filepath.Join(dir, "a.db-wal"))
		os.Remove(filepath.Join(dir, "a.db-shm"))
		b.StartTimer()
	}
	b.ReportMetric(float64(1_000_000*b.N)/b.Elapsed().Seconds(), "messages/s")
}
