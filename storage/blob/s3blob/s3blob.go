// Package s3blob keeps blobs in any S3-compatible object store (AWS S3,
// MinIO, Ceph, versitygw, ...), through minio-go.
//
// Layout: the blob with key k is the object PREFIX/sha256/k[0:2]/k[2:4]/k in
// the bucket, the same layout as fsblob's, so that a bucket synced to a
// directory is a filesystem store and the other way round.
//
// How a Put is verified before the blob is visible. The object store cannot
// check a SHA-256 of the whole object for a multipart upload, and a blob must
// never appear under a key its bytes do not hash to, not even for a moment.
// So Put streams the bytes, hashing them on the way, to a temporary object
// PREFIX/tmp/<key>.<random> (a multipart upload in parts of Config.PartSize,
// so memory stays at one part whatever the blob's size). Only when the whole
// stream hashed to the key and had the declared size does it copy the
// temporary object to its final key with a server-side copy (no bytes go
// through Custodia again; above 5 GiB minio-go does a multipart copy), then
// delete the temporary object. A refused or failed Put deletes its temporary
// object; a crash may leave one under PREFIX/tmp/, which List never shows and
// an operator may delete (an object store lifecycle rule on PREFIX/tmp/
// expiring objects after a day does it for you).
//
// A second Put of a stored key still reads and hashes its stream, and
// uploads nothing. Two concurrent Puts of a new key may both copy to the
// final key; both copies hold the same verified bytes, so either one wins.
//
// Immutability against other writers of the bucket is the bucket's job:
// give Custodia's credentials no delete permission, and turn on versioning
// or object lock (WORM) where the store has it. Package integrity finds
// what changed anyway.
package s3blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/custodia-ec/custodia/storage/blob"
)

// Config says which store and bucket to use. It is read from Custodia's
// configuration file by the server.
type Config struct {
	// Endpoint is the host and port of the S3 API, without scheme, e.g.
	// "s3.eu-south-2.amazonaws.com" or "127.0.0.1:7070".
	Endpoint string

	// Bucket must exist; Custodia does not create buckets in production.
	Bucket string

	// Prefix, if not empty, is put before every object name, so that one
	// bucket can hold several installations. A trailing "/" is added if
	// missing.
	Prefix string

	// AccessKey and SecretKey are the static credentials of Custodia's
	// account on the store.
	AccessKey string
	SecretKey string

	// Region is the bucket's region; empty lets minio-go discover it.
	Region string

	// DisableTLS talks plain HTTP. Use it only for a store on loopback,
	// as in tests; credentials and evidence otherwise cross the network
	// in the clear.
	DisableTLS bool

	// PartSize is the size of each part of a multipart upload, and so the
	// memory one Put holds. Zero means 16 MiB. S3 allows at most 10,000
	// parts: when a Put declares its size, the part size is raised as
	// needed to fit (49 MiB for a 512 GB image); a Put of unknown size
	// (-1) can store at most 10,000 × PartSize (156 GiB at 16 MiB).
	PartSize uint64
}

// Store is a blob store on an S3-compatible object store. Create it with
// New.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string
	partSize uint64
}

var _ blob.Store = (*Store)(nil)

// New connects to the store described by cfg. It does no I/O: a wrong
// endpoint or credentials show at the first call.
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("s3blob: faltan el endpoint o el bucket / endpoint or bucket missing")
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: !cfg.DisableTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3blob: %s: %w", cfg.Endpoint, err)
	}
	prefix := cfg.Prefix
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	part := cfg.PartSize
	if part == 0 {
		part = 16 << 20
	}
	return &Store{client: client, bucket: cfg.Bucket, prefix: prefix, partSize: part}, nil
}

// Object returns the name of the object that holds the blob with key, for
// tools that must reach it directly (tests that corrupt a store on purpose,
// an operator). key must be valid.
func (s *Store) Object(key string) string {
	return s.prefix + "sha256/" + key[0:2] + "/" + key[2:4] + "/" + key
}

// Client is the underlying minio-go client, for the same tools.
func (s *Store) Client() *minio.Client { return s.client }

// Bucket is the bucket the store uses.
func (s *Store) Bucket() string { return s.bucket }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := blob.CheckKey(key); err != nil {
		return err
	}
	v := blob.NewVerifier(key, size)
	r = blob.ContextReader(ctx, r)

	_, err := s.Stat(ctx, key)
	switch {
	case err == nil:
		// Already stored: hash what arrives, refuse it if it is not the
		// same blob, upload nothing.
		if _, err := io.Copy(v, r); err != nil {
			return fmt.Errorf("blob %s: %w", key, err)
		}
		return v.Check()
	case !errors.Is(err, blob.ErrNotFound):
		return err
	}

	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := s.prefix + "tmp/" + key + "." + hex.EncodeToString(rnd[:])
	// The size given to minio-go is -1 whatever the caller declared: minio-go
	// would otherwise stop reading at the declared size, and a stream longer
	// than declared must be refused, not cut.
	_, err = s.client.PutObject(ctx, s.bucket, tmp, io.TeeReader(r, v), -1, minio.PutObjectOptions{
		PartSize:    partSize(s.partSize, size),
		ContentType: "application/octet-stream",
	})
	if err != nil {
		s.removeTemp(tmp)
		return fmt.Errorf("blob %s: %w", key, translate(err))
	}
	if err := v.Check(); err != nil {
		s.removeTemp(tmp)
		return err
	}
	if err := ctx.Err(); err != nil {
		s.removeTemp(tmp)
		return fmt.Errorf("blob %s: %w", key, err)
	}
	_, err = s.client.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: s.Object(key)},
		minio.CopySrcOptions{Bucket: s.bucket, Object: tmp},
	)
	s.removeTemp(tmp)
	if err != nil {
		return fmt.Errorf("blob %s: %w", key, translate(err))
	}
	return nil
}

// maxParts is the most parts S3 allows in one multipart upload.
const maxParts = 10_000

// partSize returns the configured part size, or a larger one (a whole
// number of MiB) if a blob of the declared size would not fit in maxParts
// parts.
func partSize(configured uint64, size int64) uint64 {
	if size <= 0 || uint64(size) <= configured*maxParts {
		return configured
	}
	need := (uint64(size) + maxParts - 1) / maxParts
	const mib = 1 << 20
	return (need + mib - 1) / mib * mib
}

// removeTemp deletes a temporary object, even when the Put's context is
// done; if that fails too the object stays under tmp/, invisible to List.
func (s *Store) removeTemp(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
}

// Get implements blob.Store. It stats the object first, so that a missing
// blob is an error here, not at the first Read.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.CheckKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.Object(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", key, translate(err))
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, fmt.Errorf("blob %s: %w", key, translate(err))
	}
	return obj, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	if err := blob.CheckKey(key); err != nil {
		return 0, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.Object(key), minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", key, translate(err))
	}
	return info.Size, nil
}

// List implements blob.Store. Objects under PREFIX/sha256/ whose name is not
// that of a blob in its place are skipped.
func (s *Store) List(ctx context.Context, fn func(key string, size int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	root := s.prefix + "sha256/"
	objects := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: root, Recursive: true})
	defer func() {
		cancel()
		for range objects { // let the lister's goroutine end
		}
	}()
	for obj := range objects {
		if obj.Err != nil {
			return fmt.Errorf("s3blob: list: %w", translate(obj.Err))
		}
		key := obj.Key[strings.LastIndexByte(obj.Key, '/')+1:]
		if blob.CheckKey(key) != nil || obj.Key != s.Object(key) {
			continue
		}
		if err := fn(key, obj.Size); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// translate maps the store's "no such key" to blob.ErrNotFound, and keeps
// every other error as it is, wrapped.
func translate(err error) error {
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket" {
		return fmt.Errorf("%w (%s)", blob.ErrNotFound, resp.Code)
	}
	return err
}
