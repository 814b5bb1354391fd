package evidence_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/evidence"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob"
)

// TestExpected: derived images recorded by hash only are not checked until
// their blob has been seen; from then on their loss is an alert.
func TestExpected(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) }
	d, _ := testdeploy.Metastasis(t, now)
	defer d.Close()
	refs, err := evidence.Expected(ctx, d.Ledger, d.Blobs, "METASTASIS")
	if err != nil || len(refs) != 0 {
		t.Fatalf("no blob stored yet: %d refs, %v; want none (13 derived images recorded by hash only)", len(refs), err)
	}
	// Store the bytes of one derived image: now it is expected.
	img := []byte("imagen")
	key := blobKey(img)
	n := int64(len(img))
	app := evidence.LedgerAppender(d.Ledger, "system:test", now)
	res, err := app(ctx, []ledger.Record{{Op: custody.OpDerive, Rec: &custody.Derive{ID: "IMG-TEST", Parent: "E-CHI-03-01-IMG", Type: "forensic_image",
		Description: "copia de trabajo", At: "2023-12-19T10:00:00-05:00", By: "lab.3", SHA256: key, Size: &n}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("derive: %v %+v", err, res[0])
	}
	if err := d.Blobs.Put(ctx, key, bytes.NewReader(img), n); err != nil {
		t.Fatal(err)
	}
	c := &evidence.Checker{Ledger: d.Ledger, Store: d.Blobs, Append: app}
	sum, err := c.Run(ctx, "METASTASIS", nil)
	if err != nil || sum.Files != 1 || !sum.OK() {
		t.Fatalf("first check: %+v %v", sum, err)
	}
	// Seen once, its disappearance is missing, not "recorded by hash only".
	refs, _ = evidence.Expected(ctx, d.Ledger, d.Blobs, "")
	if len(refs) != 1 || refs[0].Item != "IMG-TEST" || refs[0].Kind != "derived" {
		t.Fatalf("expected: %+v", refs)
	}
	if _, err := evidence.Expected(ctx, d.Ledger, d.Blobs, "NO-SUCH-CASE"); err == nil {
		t.Error("an unknown case is not an error")
	}
	alerts := evidence.Alerts(d.Ledger, "")
	if len(alerts) != 0 {
		t.Errorf("alerts after an ok check: %+v", alerts)
	}
	d.Ledger.View(func(st *domain.State) error {
		if c := st.BlobCheckOf("IMG-TEST", key); c == nil || c.Result != domain.BlobOK {
			t.Errorf("latest check: %+v", c)
		}
		return nil
	})
	// An image recorded by hash only that a check once recorded (as
	// present) is expected too: gone now, it is an alert.
	const recorded = "dea646b82c9819eccd0d589aa0d9f449129e350fc61b02c1d5e63eaaf0c28c02"
	if res, err := app(ctx, []ledger.Record{{Op: domain.OpBlobCheck, Rec: &domain.BlobCheck{Item: "E-CHI-03-01-IMG", SHA256: recorded, Result: domain.BlobOK}}}); err != nil || res[0].Err != nil {
		t.Fatalf("blob.check: %v %+v", err, res)
	}
	sum, err = c.Run(ctx, "", nil)
	if err != nil || sum.Files != 2 || sum.Problems != 1 {
		t.Fatalf("second check: %+v %v", sum, err)
	}
	alerts = evidence.Alerts(d.Ledger, "METASTASIS")
	if len(alerts) != 1 || alerts[0].Item != "E-CHI-03-01-IMG" || alerts[0].Result != domain.BlobMissing {
		t.Errorf("alerts: %+v", alerts)
	}
	// A check of a hash the item never recorded is refused.
	if res, _ := app(ctx, []ledger.Record{{Op: domain.OpBlobCheck, Rec: &domain.BlobCheck{Item: "E-CHI-03-01", SHA256: key, Result: domain.BlobOK}}}); res == nil || res[0].Err == nil {
		t.Error("a blob.check of a file the item does not have was accepted")
	}
}

func blobKey(b []byte) string { return blob.KeyOf(b) }

// TestOrphansReported: a blob in the filesystem store that no event cites
// (the bytes of a refused upload) is reported by a run over every case,
// and a cited one is not.
func TestOrphansReported(t *testing.T) {
	ctx := context.Background()
	d := testdeploy.New(t, testdeploy.Clock(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)))
	stray := []byte("bytes of a refused upload")
	sum := sha256.Sum256(stray)
	key := hex.EncodeToString(sum[:])
	if err := d.Blobs.Put(ctx, key, bytes.NewReader(stray), int64(len(stray))); err != nil {
		t.Fatal(err)
	}
	got, err := evidence.Orphans(ctx, d.Ledger, d.Blobs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].SHA256 != key || got[0].Size != int64(len(stray)) {
		t.Errorf("orphans %+v, want the one stray blob", got)
	}
}
