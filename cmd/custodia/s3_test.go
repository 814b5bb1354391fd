package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob/s3blob"
	"github.com/custodia-ec/custodia/storage/blob/s3blob/s3test"
)

// TestFsckS3 configures a deployment's blob store on a real versitygw with
// `custodia init --s3-...` (credentials from the environment), stores
// files there, and runs `custodia fsck` before and after changing objects
// behind Custodia's back.
func TestFsckS3(t *testing.T) {
	gw := s3test.Start(t)
	t.Setenv(deployment.EnvS3AccessKey, gw.AccessKey)
	t.Setenv(deployment.EnvS3SecretKey, gw.SecretKey)
	dir := t.TempDir()
	code, _, errOut := runEv(t, "init", "--data", dir, "--s3-endpoint", gw.Endpoint, "--s3-bucket", gw.Bucket, "--s3-prefix", "dep1", "--s3-insecure")
	if code != 0 {
		t.Fatalf("init: %s", errOut)
	}
	ctx := context.Background()
	now := func() time.Time { return time.Now().UTC() }
	d, err := deployment.Open(ctx, dir, now)
	if err != nil {
		t.Fatal(err)
	}
	s3, ok := d.Blobs.(*s3blob.Store)
	if !ok {
		t.Fatalf("the deployment's store is %T, want *s3blob.Store", d.Blobs)
	}
	data, err := os.ReadFile(testdeploy.MetastasisPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ledger.Import(ctx, bytes.NewReader(data), custody.FileSHA256(data), nil); err != nil {
		t.Fatal(err)
	}
	var recs []ledger.Record
	recs = append(recs, ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "UP-1", Case: "METASTASIS", Type: "phone", Description: "teléfono", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: evOfficer}})
	files := [][]byte{bytes.Repeat([]byte("uno "), 5000), bytes.Repeat([]byte("dos "), 5000), bytes.Repeat([]byte("tres"), 5000)}
	for i, b := range files {
		if err := d.Blobs.Put(ctx, sha(b), bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		n := int64(len(b))
		recs = append(recs, ledger.Record{Op: custody.OpAttach, Rec: &custody.Attach{Item: "UP-1", Name: string(rune('a' + i)), SHA256: sha(b), Size: &n, At: "2024-05-02T10:00:00-05:00", By: evOfficer}})
	}
	for i := range recs {
		recs[i].Recorded = custody.Recorded{At: now().Format(time.RFC3339), Account: "system:test"}
	}
	res, _, err := d.Ledger.Append(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	d.Close()

	code, out, errOut := runEv(t, "fsck", "--data", dir)
	if code != 0 || strings.Count(out, "[ok]") != 3 || !strings.Contains(out, "; 0 sin registro") {
		t.Fatalf("fsck on S3: %d\n%s%s", code, out, errOut)
	}
	// A file in the store that no record cites (a refused upload, or one
	// put there behind the system's back) is reported as such.
	stray := bytes.Repeat([]byte("sin registro "), 100)
	if err := s3.Put(ctx, sha(stray), bytes.NewReader(stray), int64(len(stray))); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runEv(t, "fsck", "--data", dir)
	if code != 0 || !strings.Contains(out, "[AVISO] archivo que ningún registro cita: "+sha(stray)) || !strings.Contains(out, "; 1 sin registro") {
		t.Errorf("fsck with an orphan: %d\n%s", code, out)
	}
	// Behind Custodia's back: delete one object, replace another with
	// different bytes of the same size.
	cl := gw.Client(t)
	if err := cl.RemoveObject(ctx, gw.Bucket, s3.Object(sha(files[0])), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	swap := bytes.Repeat([]byte("xxxx"), 5000)
	if _, err := cl.PutObject(ctx, gw.Bucket, s3.Object(sha(files[1])), bytes.NewReader(swap), int64(len(swap)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runEv(t, "fsck", "--data", dir)
	if code != 1 || !strings.Contains(out, "missing] evidencia UP-1: falta el archivo sha256 "+sha(files[0])) ||
		!strings.Contains(out, "mismatch] evidencia UP-1: el archivo sha256 "+sha(files[1])) || strings.Count(out, "[ok]") != 1 {
		t.Errorf("fsck after damage: %d\n%s", code, out)
	}
	code, out, _ = runEv(t, "audit", "--data", dir)
	if code != 1 || !strings.Contains(out, "Archivos de evidencia con problemas: 2") {
		t.Errorf("audit after damage: %d\n%s", code, out)
	}
	// Without credentials the deployment does not open, and says why.
	t.Setenv(deployment.EnvS3SecretKey, "")
	if code, _, errOut := runEv(t, "fsck", "--data", dir); code != 1 || !strings.Contains(errOut, deployment.EnvS3SecretKey) || strings.Contains(errOut, gw.SecretKey) {
		t.Errorf("fsck without credentials: %d %s", code, errOut)
	}
}
