package s3blob_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/blob/blobtest"
	"github.com/custodia-ec/custodia/storage/blob/s3blob"
	"github.com/custodia-ec/custodia/storage/blob/s3blob/s3test"
)

// TestConformance runs the blob store suite against a real versitygw.
func TestConformance(t *testing.T) {
	gw := s3test.Start(t)
	blobtest.Run(t, func(t *testing.T) blob.Store { return gw.NewStore(t) })
}

// TestNoTemporaryLeft: neither a stored nor a refused Put leaves objects
// under tmp/, and the blob sits at the documented object name.
func TestNoTemporaryLeft(t *testing.T) {
	gw := s3test.Start(t)
	s := gw.NewStore(t)
	ctx := t.Context()
	b := []byte("abc")
	key := blob.KeyOf(b)
	if err := s.Put(ctx, key, bytes.NewReader(b), 3); err != nil {
		t.Fatal(err)
	}
	s.Put(ctx, blob.KeyOf([]byte("x")), bytes.NewReader(b), 3) // refused
	var names []string
	for obj := range gw.Client(t).ListObjects(ctx, gw.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		names = append(names, obj.Key)
	}
	want := "store-1/sha256/ba/78/" + key
	if len(names) != 1 || names[0] != want || s.Object(key) != want {
		t.Errorf("objects in the bucket = %v, want just %s", names, want)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []s3blob.Config{{}, {Endpoint: "127.0.0.1:1"}, {Bucket: "b"}} {
		if _, err := s3blob.New(cfg); err == nil || !strings.Contains(err.Error(), "bucket") {
			t.Errorf("New(%+v) = %v, want an error about endpoint or bucket", cfg, err)
		}
	}
}
