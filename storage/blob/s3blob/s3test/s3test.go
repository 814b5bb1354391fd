// Package s3test starts a real S3-compatible server for tests: versitygw
// with its POSIX backend, on 127.0.0.1, in a temporary directory. Tests of
// s3blob and of the code above it use it, so that they run against the
// protocol as a real store speaks it, not against a fake.
//
// The versitygw binary must be on PATH; ./scripts/test puts it there
// (scripts/setup-blobhash builds it into .tools/bin). Without it the test
// fails and says so.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/custodia-ec/custodia/storage/blob/s3blob"
)

// Gateway is a running versitygw.
type Gateway struct {
	Endpoint  string // 127.0.0.1:port
	AccessKey string
	SecretKey string
	Bucket    string // created at start

	mu   sync.Mutex
	next int // to give each store its own prefix
}

// Start runs versitygw until the end of the test and returns it once it
// answers S3 requests, with one empty bucket.
func Start(t testing.TB) *Gateway {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		t.Fatalf("versitygw not found on PATH: run ./scripts/test (it installs versitygw) / versitygw no está en el PATH: ejecute ./scripts/test (lo instala)")
	}
	port := freePort(t)
	g := &Gateway{
		Endpoint:  "127.0.0.1:" + strconv.Itoa(port),
		AccessKey: "custodia-test",
		SecretKey: randomHex(20),
		Bucket:    "custodia-blobs",
	}
	dir := t.TempDir()
	var logs bytes.Buffer
	cmd := exec.Command(bin,
		"--port", g.Endpoint,
		"--access", g.AccessKey,
		"--secret", g.SecretKey,
		"--quiet",
		"posix", dir)
	cmd.Env = []string{} // no ROOT_ACCESS_KEY and the like from the caller's environment
	cmd.Stdout = &logs
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	client := g.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := client.ListBuckets(ctx)
		if err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("versitygw exited: %v\n%s", err, logs.String())
		case <-ctx.Done():
			t.Fatalf("versitygw not ready after 30 s: %v\n%s", err, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := client.MakeBucket(ctx, g.Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	return g
}

// Client returns a minio-go client of the gateway, for tests that go behind
// the blob store's back.
func (g *Gateway) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(g.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(g.AccessKey, g.SecretKey, ""),
		Secure: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// NewStore returns an empty store in the gateway's bucket, under a prefix
// of its own.
func (g *Gateway) NewStore(t testing.TB) *s3blob.Store {
	t.Helper()
	g.mu.Lock()
	g.next++
	prefix := fmt.Sprintf("store-%d", g.next)
	g.mu.Unlock()
	s, err := s3blob.New(s3blob.Config{
		Endpoint:   g.Endpoint,
		Bucket:     g.Bucket,
		Prefix:     prefix,
		AccessKey:  g.AccessKey,
		SecretKey:  g.SecretKey,
		DisableTLS: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
