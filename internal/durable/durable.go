// Package durable writes files so that they survive a crash: the whole new
// content or the whole old content is on disk afterwards, never a partial file.
package durable

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Writer is WriteFile with a chosen directory sync, so tests can observe it.
type Writer struct {
	SyncDir func(dir string) error
}

// WriteFile writes data to path with mode perm: a temp file in the same
// directory, write, fsync, chmod, rename over path, fsync of the directory.
// On any failure the temp file is removed and path is left as it was.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Writer{SyncDir: SyncDir}.WriteFile(path, data, perm)
}

// WriteFile is the package-level WriteFile with w's directory sync.
func (w Writer) WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("durable: temp file for %s: %w", path, err)
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("durable: write %s: %w", path, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("durable: chmod %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("durable: fsync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("durable: close %s: %w", path, err)
	}
	if err = os.Rename(name, path); err != nil {
		return fmt.Errorf("durable: rename to %s: %w", path, err)
	}
	sync := w.SyncDir
	if sync == nil {
		sync = SyncDir
	}
	if err := sync(dir); err != nil {
		return fmt.Errorf("durable: fsync directory %s: %w", dir, err)
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename in it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}
