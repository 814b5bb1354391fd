// Package blob defines where Custodia keeps the bytes of digital evidence:
// a content-addressed store of immutable blobs, each named by the SHA-256 of
// its content.
//
// The custody records name a blob by its SHA-256. A store that let those
// bytes change, or kept bytes under a name they do not hash to, would make
// the records worthless, so every backend holds to the contract of [Store]:
// a blob is stored only after its bytes were hashed on their way in and
// matched its key; once stored it is never replaced by different bytes and
// never deleted through this interface. Checking that the bytes are still
// right later, against rot or tampering behind the store's back, is the job
// of package integrity.
//
// Backends live in their own packages (fsblob for a local filesystem, the
// default; s3blob for any S3-compatible object store), and every one passes
// the same conformance suite, blobtest.Run.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Store is a content-addressed store of immutable blobs. A key is the
// lowercase hexadecimal SHA-256 of the blob's bytes (64 characters); any
// other key is refused with an error that wraps ErrInvalidKey.
//
// Every method must be safe for concurrent use, including concurrent Puts of
// the same key.
//
// There is deliberately no Delete: blobs are evidence. Removing one is an
// operator's act outside Custodia, and package integrity reports it.
type Store interface {
	// Put stores the bytes read from r under key. size is the number of
	// bytes the caller declares, or -1 if unknown.
	//
	// Put reads r to its end and hashes what it reads. If the bytes do not
	// hash to key it returns an error wrapping ErrHashMismatch; if size is
	// not -1 and a different number of bytes arrived, one wrapping
	// ErrSizeMismatch. In both cases, and on any read or write error or
	// when ctx is done, nothing is stored: a later Stat or Get of key
	// finds what was there before (nothing, or the earlier blob), and List
	// shows no partial blob.
	//
	// Put is idempotent: if key is already stored, Put still reads and
	// hashes r, refuses it as above if it does not match, and otherwise
	// returns nil without writing. The stored bytes are never replaced.
	//
	// When Put returns nil the blob is durable: it survives a crash of the
	// process or of the machine (for fsblob, the file and its directory are
	// synced; for s3blob, the object store acknowledged it).
	Put(ctx context.Context, key string, r io.Reader, size int64) error

	// Get opens the blob stored under key. The caller must close it. It
	// returns an error wrapping ErrNotFound if there is none. Get does not
	// verify the bytes as it reads them; package integrity does.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// Stat returns the size in bytes of the blob stored under key, or an
	// error wrapping ErrNotFound if there is none.
	Stat(ctx context.Context, key string) (int64, error)

	// List calls fn for every stored blob, in increasing order of key,
	// with its size. Blobs whose Put has not returned may or may not be
	// listed; a failed Put's bytes never are. If fn returns an error, List
	// stops and returns that error.
	List(ctx context.Context, fn func(key string, size int64) error) error
}

// The errors a Store returns, wrapped with the key they concern; test them
// with errors.Is. Their text is Spanish first, English second, like every
// message a user may see.
var (
	ErrNotFound     = errors.New("blob no encontrado / blob not found")
	ErrInvalidKey   = errors.New("clave no válida, se esperan 64 dígitos hexadecimales en minúscula (SHA-256) / invalid key, 64 lowercase hexadecimal digits (SHA-256) expected")
	ErrHashMismatch = errors.New("el contenido no coincide con su SHA-256 / content does not match its SHA-256")
	ErrSizeMismatch = errors.New("el tamaño no coincide con el declarado / size does not match the declared size")
)

// KeyLen is the length of a key: a SHA-256 in hexadecimal.
const KeyLen = 2 * sha256.Size

// CheckKey returns nil if key is a well-formed key (64 lowercase hex
// digits), or an error wrapping ErrInvalidKey that quotes it. Backends call
// it first, so that no key can name a path or an object outside the store.
func CheckKey(key string) error {
	if len(key) != KeyLen {
		return fmt.Errorf("blob %.80q: %w", key, ErrInvalidKey)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("blob %.80q: %w", key, ErrInvalidKey)
		}
	}
	return nil
}

// KeyOf returns the key of a blob held in memory, for tests and small
// records.
func KeyOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Verifier hashes the bytes of a Put as they stream through it (it is an
// io.Writer, for an io.TeeReader), so that a backend can check them against
// the key and the declared size before it makes the blob visible.
type Verifier struct {
	key  string
	size int64
	h    hash.Hash
	n    int64
}

// NewVerifier starts the check of a blob that should hash to key and, if
// size is not -1, be size bytes long.
func NewVerifier(key string, size int64) *Verifier {
	return &Verifier{key: key, size: size, h: sha256.New()}
}

// Write hashes p. It never fails.
func (v *Verifier) Write(p []byte) (int, error) {
	v.h.Write(p)
	v.n += int64(len(p))
	return len(p), nil
}

// Written is the number of bytes hashed so far.
func (v *Verifier) Written() int64 { return v.n }

// Check returns nil if the bytes written hash to the key and have the
// declared size, else an error wrapping ErrSizeMismatch or ErrHashMismatch
// that says what arrived.
func (v *Verifier) Check() error {
	if v.size >= 0 && v.n != v.size {
		return &Mismatch{Key: v.key, Size: v.size, Written: v.n}
	}
	if got := hex.EncodeToString(v.h.Sum(nil)); got != v.key {
		return &Mismatch{Key: v.key, Got: got, Size: v.size, Written: v.n}
	}
	return nil
}

// Mismatch is Check's error: what was declared and what arrived. It wraps
// ErrHashMismatch when Got is set, else ErrSizeMismatch.
type Mismatch struct {
	Key     string // the declared SHA-256
	Got     string // the SHA-256 of what arrived; "" when the size differs
	Size    int64  // the declared size, -1 when none
	Written int64  // the bytes that arrived
}

func (m *Mismatch) Error() string {
	if m.Got == "" {
		return fmt.Sprintf("blob %s: %v (declarado %d bytes, llegaron %d / declared %d bytes, got %d)", m.Key, ErrSizeMismatch, m.Size, m.Written, m.Size, m.Written)
	}
	return fmt.Sprintf("blob %s: %v (llegó sha256 %s / got sha256 %s)", m.Key, ErrHashMismatch, m.Got, m.Got)
}

func (m *Mismatch) Unwrap() error {
	if m.Got == "" {
		return ErrSizeMismatch
	}
	return ErrHashMismatch
}

// ContextReader returns a reader that fails with ctx's error once ctx is
// done, so that a Put of a long stream stops between two reads when its
// caller gives up.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return ctxReader{ctx, r}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
