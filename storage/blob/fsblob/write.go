package fsblob

import (
	"errors"
	"io"
	"os"
	"sync"
	"unsafe"

	"github.com/custodia-ec/custodia/storage/blob"
)

// How a Put writes its temporary file: in blocks of writeBlock bytes, of
// which up to writeDepth are being written while the next one is read and
// hashed. Where the filesystem allows it the file is written with direct
// I/O (O_DIRECT on Linux): the bytes go from the block to the disk without
// a copy into the page cache, which cost more CPU than the SHA-256 itself,
// and the writes happen during the upload instead of in the final fsync.
// A Put holds (writeDepth+1) × writeBlock bytes at most: 12 MiB.
const (
	writeBlock = 4 << 20
	writeDepth = 2
	// dioAlign is the alignment direct I/O asks of a buffer's address, a
	// write's offset and its length: the largest logical block size of
	// common disks.
	dioAlign = 4096
)

// alignedBuf returns n bytes whose address is a multiple of dioAlign.
func alignedBuf(n int) []byte {
	b := make([]byte, n+dioAlign)
	skip := (dioAlign - int(uintptr(unsafe.Pointer(&b[0]))%dioAlign)) % dioAlign
	return b[skip : skip+n : skip+n]
}

// blockFor is the block size for a blob of size bytes (-1: unknown): small
// blobs do not need a large buffer.
func blockFor(size int64) int {
	if size < 0 || size >= writeBlock {
		return writeBlock
	}
	return max(dioAlign, int((size+dioAlign-1)/dioAlign*dioAlign))
}

// writeHashed reads r to its end, hashes every byte into v and writes them
// to f from offset 0, and returns the first error of either side. f is a
// fresh temporary file that nothing else uses.
func writeHashed(f *os.File, r io.Reader, v *blob.Verifier, size int64) error {
	block := blockFor(size)
	dw := &directWriter{f: f, direct: setDirect(f, true) == nil}

	free := make(chan []byte, writeDepth+1)
	allocated := 0
	type job struct {
		b   []byte
		off int64
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var werr error
	failed := make(chan struct{})
	for range writeDepth {
		wg.Go(func() {
			for j := range jobs {
				mu.Lock()
				stop := werr != nil
				mu.Unlock()
				if !stop {
					if err := dw.writeAt(j.b, j.off); err != nil {
						mu.Lock()
						if werr == nil {
							werr = err
							close(failed)
						}
						mu.Unlock()
					}
				}
				free <- j.b[:cap(j.b)]
			}
		})
	}
	finish := func(rerr error) error {
		close(jobs)
		wg.Wait()
		if rerr != nil {
			return rerr
		}
		return werr
	}

	var off int64
	for {
		var b []byte
		select {
		case b = <-free:
		default:
			if allocated < writeDepth+1 {
				allocated++
				b = alignedBuf(block)
			} else {
				select {
				case b = <-free:
				case <-failed:
					return finish(nil)
				}
			}
		}
		n, err := io.ReadFull(r, b)
		v.Write(b[:n])
		if err == nil {
			select {
			case jobs <- job{b, off}:
			case <-failed:
				return finish(nil)
			}
			off += int64(n)
			continue
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return finish(err)
		}
		// The last, short block: its aligned part like the others, then
		// the tail once every write before it is done.
		head := n / dioAlign * dioAlign
		if head > 0 {
			select {
			case jobs <- job{b[:head], off}:
			case <-failed:
				return finish(nil)
			}
		}
		if err := finish(nil); err != nil {
			return err
		}
		if head == n {
			return nil
		}
		// b is not reused: the writer that took b[:head] put it back in
		// free, but nothing takes from free any more.
		return dw.writeTail(b[head:n], off+int64(head))
	}
}

// directWriter writes blocks at offsets, with direct I/O while the file
// system accepts it.
type directWriter struct {
	f      *os.File
	mu     sync.Mutex
	direct bool
}

func (w *directWriter) isDirect() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.direct
}

// buffered turns direct I/O off for the rest of the file.
func (w *directWriter) buffered() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.direct {
		return nil
	}
	w.direct = false
	return setDirect(w.f, false)
}

// writeAt writes b, whose address and length are multiples of dioAlign, at
// off, a multiple too. A file system that refuses the direct write (EINVAL:
// it does not do direct I/O after all) gets it, and the rest, buffered.
func (w *directWriter) writeAt(b []byte, off int64) error {
	direct := w.isDirect()
	_, err := w.f.WriteAt(b, off)
	if err != nil && direct && isInvalid(err) {
		if err := w.buffered(); err != nil {
			return err
		}
		_, err = w.f.WriteAt(b, off)
	}
	return err
}

// writeTail writes the last bytes of the file, whose length direct I/O
// would refuse, buffered.
func (w *directWriter) writeTail(b []byte, off int64) error {
	if err := w.buffered(); err != nil {
		return err
	}
	_, err := w.f.WriteAt(b, off)
	return err
}
