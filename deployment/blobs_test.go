package deployment_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
	"github.com/custodia-ec/custodia/storage/blob/s3blob"
)

func TestBlobStoreConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := deployment.Init(ctx, dir, "custodia.test/blobs"); err != nil {
		t.Fatal(err)
	}
	d, err := deployment.Open(ctx, dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	fs, ok := d.Blobs.(*fsblob.Store)
	if !ok {
		t.Fatalf("default store is %T, want *fsblob.Store", d.Blobs)
	}
	b := []byte("hola")
	if err := d.Blobs.Put(ctx, blob.KeyOf(b), bytes.NewReader(b), 4); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, deployment.BlobsDir, "sha256"); !strings.HasPrefix(fs.Path(blob.KeyOf(b)), want) {
		t.Errorf("blob at %s, want under %s", fs.Path(blob.KeyOf(b)), want)
	}
	d.Close()

	// A relative directory is inside the data directory.
	if err := deployment.SetBlobs(dir, &deployment.BlobConfig{Backend: "fs", Dir: "otros"}); err != nil {
		t.Fatal(err)
	}
	d, err = deployment.Open(ctx, dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if p := d.Blobs.(*fsblob.Store).Path(blob.KeyOf(b)); !strings.HasPrefix(p, filepath.Join(dir, "otros")) {
		t.Errorf("blob at %s, want under DATA/otros", p)
	}
	if d.Config.Blobs == nil || d.Config.Blobs.Dir != "otros" {
		t.Errorf("config: %+v", d.Config.Blobs)
	}
	d.Close()

	for _, tc := range []struct {
		cfg  deployment.BlobConfig
		want string
	}{
		{deployment.BlobConfig{Backend: "ftp"}, `"ftp"`},
		{deployment.BlobConfig{Backend: "s3", Endpoint: "127.0.0.1:1", Bucket: "b"}, deployment.EnvS3AccessKey},
		{deployment.BlobConfig{Backend: "s3", Endpoint: "127.0.0.1:1", Bucket: "b", AccessKeyEnv: "MY_AK", SecretKeyEnv: "MY_SK"}, "MY_SK"},
	} {
		t.Setenv(deployment.EnvS3AccessKey, "")
		if _, err := deployment.OpenBlobs(dir, &tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenBlobs(%+v) = %v, want an error naming %s", tc.cfg, err, tc.want)
		}
	}
	t.Setenv("MY_AK", "ak")
	t.Setenv("MY_SK", "sekrit-value")
	st, err := deployment.OpenBlobs(dir, &deployment.BlobConfig{Backend: "s3", Endpoint: "127.0.0.1:1", Bucket: "b", AccessKeyEnv: "MY_AK", SecretKeyEnv: "MY_SK", Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*s3blob.Store); !ok {
		t.Errorf("s3 config gives %T", st)
	}
	// The secret never reaches config.json.
	if err := deployment.SetBlobs(dir, &deployment.BlobConfig{Backend: "s3", Endpoint: "127.0.0.1:1", Bucket: "b", AccessKeyEnv: "MY_AK", SecretKeyEnv: "MY_SK"}); err != nil {
		t.Fatal(err)
	}
	d, err = deployment.Open(ctx, dir, time.Now)
	if err != nil {
		t.Fatalf("open with S3 config: %v", err)
	}
	d.Close()
	cj, err := os.ReadFile(filepath.Join(dir, deployment.ConfigFile))
	if err != nil || strings.Contains(string(cj), "sekrit") || !strings.Contains(string(cj), `"MY_SK"`) {
		t.Errorf("config.json: %v\n%s", err, cj)
	}
}
