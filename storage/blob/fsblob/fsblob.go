// Package fsblob is the default blob store: files in a directory of the
// local filesystem.
//
// Layout: the blob with key k is the file DIR/sha256/k[0:2]/k[2:4]/k,
// read-only (mode 0444) once written. Two levels of fan-out keep
// directories small at millions of blobs, and the same layout is used by
// case exports, so that an export's blobs/ directory is itself a store.
//
// Writes are durable and atomic, through internal/durable: the bytes go to a
// temporary file in the blob's own directory (named ".KEY.tmp-*", never
// listed), which is hashed while written (with direct I/O where the file
// system allows it: see writeHashed), made read-only, synced, and only if
// the hash matches linked to its final name; then the directory is synced.
// A crash leaves either no blob or the whole blob, never a partial one under
// a key; it may leave a ".KEY.tmp-*" file behind, which is harmless and may
// be removed.
//
// Immutability here is a promise of the code and of the file mode, not a
// defence against root: whoever can write to DIR can change a blob. Package
// integrity finds such changes.
package fsblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/custodia-ec/custodia/internal/durable"
	"github.com/custodia-ec/custodia/storage/blob"
)

// Store keeps blobs under one directory. Its zero value is not usable; call
// Open.
type Store struct {
	root string // DIR/sha256
}

var _ blob.Store = (*Store)(nil)

// Open returns the store kept in dir, creating dir/sha256 if needed.
func Open(dir string) (*Store, error) {
	root := filepath.Join(dir, "sha256")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("fsblob: no se puede crear el almacén en %s / cannot create the store in %s: %w", dir, dir, err)
	}
	return &Store{root: root}, nil
}

// Path returns the file that holds the blob with key, whether it exists or
// not, for tools that must touch the file itself (tests that corrupt a
// store on purpose, an operator's repair). key must be valid.
func (s *Store) Path(key string) string {
	return filepath.Join(s.root, key[0:2], key[2:4], key)
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := blob.CheckKey(key); err != nil {
		return err
	}
	final := s.Path(key)
	v := blob.NewVerifier(key, size)
	r = blob.ContextReader(ctx, r)

	if _, err := os.Stat(final); err == nil {
		// Already stored: hash what arrives, refuse it if it is not the
		// same blob, and keep the stored file as it is.
		if _, err := io.Copy(v, r); err != nil {
			return fmt.Errorf("blob %s: %w", key, err)
		}
		return v.Check()
	}

	dir := filepath.Dir(final)
	if err := s.mkdirs(dir); err != nil {
		return fmt.Errorf("blob %s: %w", key, err)
	}
	// Keep: a blob already there (a concurrent Put of the same bytes) is
	// kept untouched, never replaced.
	return durable.Write(final, 0o444, durable.Keep, func(f *os.File) error {
		if err := writeHashed(f, r, v, size); err != nil {
			return fmt.Errorf("blob %s: %w", key, err)
		}
		return v.Check()
	})
}

// mkdirs creates dir and its parent below root if missing, and syncs each
// parent of a directory it created, so that the new entries survive a
// crash along with the blob.
func (s *Store) mkdirs(dir string) error {
	parent := filepath.Dir(dir)
	for _, d := range []string{parent, dir} {
		err := os.Mkdir(d, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := durable.SyncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// Get implements blob.Store. The reader is the blob's *os.File.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.CheckKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(s.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", key, err)
	}
	return f, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (int64, error) {
	if err := blob.CheckKey(key); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("blob %s: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", key, err)
	}
	return fi.Size(), nil
}

// List implements blob.Store. It lists the files whose name is a valid key
// and that sit in the directory that key belongs in; anything else under
// DIR (temporary files, stray files) is skipped.
func (s *Store) List(ctx context.Context, fn func(key string, size int64) error) error {
	// WalkDir visits entries in lexical order, and with this layout that
	// is the order of keys.
	return filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		key := d.Name()
		if blob.CheckKey(key) != nil || path != s.Path(key) || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the directory was read
		}
		if err != nil {
			return err
		}
		return fn(key, fi.Size())
	})
}
