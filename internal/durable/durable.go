// Package durable writes files so that they survive a crash: the whole new
// content or the whole old content is on disk afterwards, never a partial file.
package durable

import (
	"fmt"
	"io"
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
func (w Writer) WriteFile(path string, data []byte, perm fs.FileMode) error {
	return w.write(path, perm, false, func(f io.Writer) error { _, err := f.Write(data); return err })
}

// WriteFunc is WriteFile with the content written by fn (a streamed export).
func WriteFunc(path string, perm fs.FileMode, fn func(io.Writer) error) error {
	return Writer{SyncDir: SyncDir}.write(path, perm, false, fn)
}

// Create is WriteFile that never replaces an existing file (a key): the temp
// file is linked to path, which fails with fs.ErrExist if path exists.
func Create(path string, data []byte, perm fs.FileMode) error {
	return Writer{SyncDir: SyncDir}.write(path, perm, true, func(f io.Writer) error { _, err := f.Write(data); return err })
}

func (w Writer) write(path string, perm fs.FileMode, exclusive bool, fn func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("durable: temp file for %s: %w", path, err)
	}
	name := tmp.Name()
	renamed := false
	defer func() {
		if err != nil || exclusive {
			_ = tmp.Close()
			if !renamed || exclusive {
				_ = os.Remove(name)
			}
		}
	}()
	if err = fn(tmp); err != nil {
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
	if exclusive {
		if err = os.Link(name, path); err != nil {
			return fmt.Errorf("durable: create %s: %w", path, err)
		}
		if err = os.Remove(name); err != nil {
			return fmt.Errorf("durable: remove temp of %s: %w", path, err)
		}
	} else if err = os.Rename(name, path); err != nil {
		return fmt.Errorf("durable: rename to %s: %w", path, err)
	}
	renamed = true
	sync := w.SyncDir
	if sync == nil {
		sync = SyncDir
	}
	if err = sync(dir); err != nil {
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
