// Package forensic computes the digests that forensic reports quote (MD5,
// SHA-1 and SHA-256) over a stream, in one read, at the speed of the
// hardware.
//
// A lab hashing a 512 GB image will not read it three times, nor wait for
// three digests computed one after the other on one core. [Sum] reads the
// stream once, into a small ring of reused buffers (constant memory whatever
// the size of the stream), and feeds each buffer to one goroutine per
// algorithm, so that each digest runs on its own core and the wall time is
// about that of the slowest algorithm alone. With a single algorithm the
// read and the hash are still overlapped: one goroutine reads the next block
// while another hashes the last one.
//
// SHA-256 is the one Custodia itself relies on (blobs are addressed by it);
// MD5 and SHA-1 are computed only because reports and older tools still
// quote them. They are not used to prove anything.
//
// [HashFile] and [WriteBSD] are what `custodia hash` runs.
package forensic

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// Algos is a set of digest algorithms, so that one read can feed several.
type Algos uint8

// The algorithms Sum knows. Their order here is the order of output.
const (
	MD5 Algos = 1 << iota
	SHA1
	SHA256

	// All is what a forensic report quotes: MD5, SHA-1 and SHA-256.
	All = MD5 | SHA1 | SHA256
)

// algoList is every single algorithm, in output order.
var algoList = [...]Algos{MD5, SHA1, SHA256}

// String gives the lowercase name used on the command line and in JSON
// ("md5", "sha1", "sha256"); for a set of several it joins them with commas.
func (a Algos) String() string {
	var names []string
	for _, x := range algoList {
		if a&x != 0 {
			names = append(names, x.name())
		}
	}
	return strings.Join(names, ",")
}

func (a Algos) name() string {
	switch a {
	case MD5:
		return "md5"
	case SHA1:
		return "sha1"
	case SHA256:
		return "sha256"
	}
	return fmt.Sprintf("algos(%d)", uint8(a))
}

// tag is the label of BSD-style output lines, the one coreutils writes with
// --tag and reads back with -c.
func (a Algos) tag() string {
	switch a {
	case MD5:
		return "MD5"
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	}
	return strings.ToUpper(a.name())
}

func (a Algos) new() hash.Hash {
	switch a {
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic("forensic: not a single algorithm: " + a.String())
}

// ParseAlgos reads a comma-separated list such as "md5,sha1,sha256", as the
// --algo flag takes it. Names are case-insensitive; "sha-1" and "sha-256"
// are accepted too. An empty list or an unknown name is an error that names
// it, in Spanish and English.
func ParseAlgos(s string) (Algos, error) {
	var set Algos
	for _, f := range strings.Split(s, ",") {
		name := strings.ToLower(strings.TrimSpace(f))
		switch name {
		case "md5":
			set |= MD5
		case "sha1", "sha-1":
			set |= SHA1
		case "sha256", "sha-256":
			set |= SHA256
		case "":
			return 0, fmt.Errorf("lista de algoritmos vacía o con un elemento vacío en %q (se admiten md5, sha1, sha256) / empty algorithm list or empty item in %q (md5, sha1, sha256 are supported)", s, s)
		default:
			return 0, fmt.Errorf("algoritmo desconocido %q (se admiten md5, sha1, sha256) / unknown algorithm %q (md5, sha1, sha256 are supported)", f, f)
		}
	}
	return set, nil
}

// Sums holds the digests of one stream. A digest not asked for is nil.
type Sums struct {
	Size   int64 // bytes read
	MD5    []byte
	SHA1   []byte
	SHA256 []byte
}

// Get returns the digest of one algorithm, nil if it was not computed.
func (s *Sums) Get(a Algos) []byte {
	switch a {
	case MD5:
		return s.MD5
	case SHA1:
		return s.SHA1
	case SHA256:
		return s.SHA256
	}
	return nil
}

// Hex returns the lowercase hexadecimal digest of one algorithm, "" if it
// was not computed.
func (s *Sums) Hex(a Algos) string {
	if d := s.Get(a); d != nil {
		return hex.EncodeToString(d)
	}
	return ""
}

func (s *Sums) set(a Algos, d []byte) {
	switch a {
	case MD5:
		s.MD5 = d
	case SHA1:
		s.SHA1 = d
	case SHA256:
		s.SHA256 = d
	}
}

// Buffer sizes. Four blocks of 4 MiB give each algorithm goroutine enough
// slack to absorb scheduling noise on a busy machine while keeping memory at
// 16 MiB whatever the stream's size. Measured on the target machine, blocks
// smaller than 1 MiB cost throughput in read system calls, larger ones give
// nothing more.
const (
	blockSize = 4 << 20
	ringSize  = 4
)

// Sum reads r to its end once and returns the digests of every algorithm in
// algos. progress, if not nil, is called after each block with the number of
// bytes just read, from the calling goroutine, so it need not be safe for
// concurrent use. Memory use is constant (a ring of 4 blocks of 4 MiB).
//
// Sum stops at the first read error, or when ctx is done, and returns it
// with the number of bytes read so far in Sums.Size and no digests.
func Sum(ctx context.Context, r io.Reader, algos Algos, progress func(n int64)) (Sums, error) {
	if algos == 0 || algos&^All != 0 {
		return Sums{}, fmt.Errorf("forensic: conjunto de algoritmos no válido %d / invalid algorithm set %d", uint8(algos), uint8(algos))
	}
	if progress == nil {
		progress = func(int64) {}
	}

	// One block in flight: who reads it, and how many algorithms still
	// have to hash it before it can be reused.
	type block struct {
		buf  []byte
		n    int
		refs atomic.Int32
	}
	free := make(chan *block, ringSize)
	for range ringSize {
		free <- &block{buf: make([]byte, blockSize)}
	}

	var singles []Algos
	for _, a := range algoList {
		if algos&a != 0 {
			singles = append(singles, a)
		}
	}
	feeds := make([]chan *block, len(singles))
	digests := make([][]byte, len(singles))
	var wg sync.WaitGroup
	for i, a := range singles {
		feeds[i] = make(chan *block, ringSize) // never blocks: at most ringSize blocks exist
		wg.Go(func() {
			h := a.new()
			for b := range feeds[i] {
				h.Write(b.buf[:b.n])
				if b.refs.Add(-1) == 0 {
					free <- b
				}
			}
			digests[i] = h.Sum(nil)
		})
	}
	finish := func() {
		for _, f := range feeds {
			close(f)
		}
		wg.Wait()
	}

	var sums Sums
	for {
		if err := ctx.Err(); err != nil {
			finish()
			return Sums{Size: sums.Size}, err
		}
		var b *block
		select {
		case b = <-free:
		case <-ctx.Done():
			finish()
			return Sums{Size: sums.Size}, ctx.Err()
		}
		n, err := io.ReadFull(r, b.buf)
		if n > 0 {
			b.n = n
			b.refs.Store(int32(len(feeds)))
			for _, f := range feeds {
				f <- b
			}
			sums.Size += int64(n)
			progress(int64(n))
		} else {
			free <- b
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			finish()
			return Sums{Size: sums.Size}, err
		}
	}
	finish()
	for i, a := range singles {
		sums.set(a, digests[i])
	}
	return sums, nil
}
