package ledger_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// TestCoveringCheckpoint: a document drawn from the log carries the newest
// cosigned checkpoint that holds every event it read, and the log-signed
// latest one when no cosigned one does, never a cosigned one that is too
// small.
func TestCoveringCheckpoint(t *testing.T) {
	ctx := context.Background()
	d, _ := testdeploy.Metastasis(t, nil)
	l := d.Ledger
	latest, err := l.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := l.Size()
	if got, err := l.CoveringCheckpoint(ctx, size); err != nil || !bytes.Equal(got.Note, latest.Note) {
		t.Fatalf("without cosignatures: %v, %v; want the latest signed checkpoint", got, err)
	}

	// The ledger does not judge cosignatures: any well-formed extra line
	// stands for a witness's.
	line := "— witness.test/w1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	cosigned := append(bytes.Clone(latest.Note), line...)
	if err := l.AddCosigned(ctx, cosigned); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1, size} {
		got, err := l.CoveringCheckpoint(ctx, n)
		if err != nil || !bytes.Equal(got.Note, cosigned) || got.Size != size || got.Root != latest.Root {
			t.Errorf("CoveringCheckpoint(%d) with a cosigned latest: %v, %v; want the cosigned note", n, got, err)
		}
	}

	// Events after the cosigned checkpoint: a document that read them gets
	// the newer, log-signed checkpoint; one that read only the older
	// events still gets the cosigned one.
	testdeploy.Import(t, d, []byte(`{"op": "agency.add", "id": "AG-2", "name": "Segunda", "kind": "other"}`+"\n"))
	newer, err := l.LatestCheckpoint(ctx)
	if err != nil || newer.Size != size+1 {
		t.Fatalf("after one more event: %v, %v", newer, err)
	}
	if got, err := l.CoveringCheckpoint(ctx, size+1); err != nil || !bytes.Equal(got.Note, newer.Note) || strings.Contains(string(got.Note), "witness.test") {
		t.Errorf("CoveringCheckpoint(%d): %v, %v; want the latest, uncosigned", size+1, got, err)
	}
	if got, err := l.CoveringCheckpoint(ctx, size); err != nil || !bytes.Equal(got.Note, cosigned) {
		t.Errorf("CoveringCheckpoint(%d): %v, %v; want the cosigned checkpoint of that size", size, got, err)
	}
}
