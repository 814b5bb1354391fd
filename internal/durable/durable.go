// Package durable writes files so that they survive a crash: the whole new
// content or the whole old content is on disk afterwards, never a partial file.
// It is the module's one durable file write (temp file, fsync, rename or
// link, fsync of the directory): the deployment, the witness, the CLI's
// exports, case exports and the file blob store all write through it, and
// unique_test.go fails if a rename, link or temp file appears anywhere else.
package durable

import (
	"errors"
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

// Mode says how a written file takes its name.
type Mode int

const (
	// Replace renames the new file over path: a reader sees the whole old
	// file or the whole new one.
	Replace Mode = iota
	// Exclusive links the new file to path and never replaces an existing
	// one (a key): the write fails with fs.ErrExist if path exists.
	Exclusive
	// Keep is Exclusive for content-addressed files, where the name says
	// the content: an existing path already holds these bytes, is kept as
	// it is, and the write succeeds.
	Keep
)

// WriteFile writes data to path with mode perm: a temp file in the same
// directory, write, fsync, chmod, rename over path, fsync of the directory.
// On any failure the temp file is removed and path is left as it was.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Writer{SyncDir: SyncDir}.WriteFile(path, data, perm)
}

// WriteFile is the package-level WriteFile with w's directory sync.
func (w Writer) WriteFile(path string, data []byte, perm fs.FileMode) error {
	return w.Write(path, perm, Replace, func(f *os.File) error { _, err := f.Write(data); return err })
}

// WriteFunc is WriteFile with the content written by fn (a streamed export).
// An error of fn is returned as it is.
func WriteFunc(path string, perm fs.FileMode, fn func(io.Writer) error) error {
	return Writer{SyncDir: SyncDir}.Write(path, perm, Replace, func(f *os.File) error { return fn(f) })
}

// Write is Writer.Write with the real directory sync.
func Write(path string, perm fs.FileMode, mode Mode, fn func(f *os.File) error) error {
	return Writer{SyncDir: SyncDir}.Write(path, perm, mode, fn)
}

// Create is WriteFile that never replaces an existing file (a key): the temp
// file is linked to path, which fails with fs.ErrExist if path exists.
func Create(path string, data []byte, perm fs.FileMode) error {
	return Writer{SyncDir: SyncDir}.Write(path, perm, Exclusive, func(f *os.File) error { _, err := f.Write(data); return err })
}

// Write is the one durable write the others are made of. fn writes the
// content into f, a new temporary file in path's directory (named
// ".NAME.tmp-*"), as it likes: Write, WriteAt, direct I/O. An error of fn
// (a failed read, content that failed its check) is returned as it is, and
// leaves nothing behind. Then f is given mode perm, fsynced and closed, put
// at path as mode says, and the directory is fsynced. A crash at any point
// leaves path as it was or whole, and at worst a temporary file.
func (w Writer) Write(path string, perm fs.FileMode, mode Mode, fn func(f *os.File) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("durable: temp file for %s: %w", path, err)
	}
	name := tmp.Name()
	gone := false // the temporary name, renamed or removed
	defer func() {
		if err != nil {
			_ = tmp.Close()
		}
		if !gone {
			_ = os.Remove(name)
		}
	}()
	if err = fn(tmp); err != nil {
		return err
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
	switch mode {
	case Replace:
		if err = os.Rename(name, path); err != nil {
			return fmt.Errorf("durable: rename to %s: %w", path, err)
		}
		gone = true
	case Exclusive, Keep:
		// link(2), not rename(2): it never replaces an existing file. The
		// temporary name goes before the directory's fsync, so that the
		// synced directory holds path only.
		err = os.Link(name, path)
		if mode == Keep && errors.Is(err, fs.ErrExist) {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("durable: create %s: %w", path, err)
		}
		if err = os.Remove(name); err != nil {
			return fmt.Errorf("durable: remove the temp file of %s: %w", path, err)
		}
		gone = true
	default:
		return fmt.Errorf("durable: %s: unknown mode %d", path, mode)
	}
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
