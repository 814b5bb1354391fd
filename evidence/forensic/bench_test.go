package forensic

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkSum measures Sum from memory (no file system), per algorithm
// set: the ceiling of what `custodia hash` can do on this CPU. Compare
// "all" with the slowest single algorithm: with one core per algorithm it
// should take about as long.
func BenchmarkSum(b *testing.B) {
	data := bytes.Repeat([]byte("custodia"), 32<<20/8) // 32 MiB
	for _, a := range []Algos{MD5, SHA1, SHA256, All} {
		b.Run(a.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Sum(context.Background(), bytes.NewReader(data), a, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
