// Package blobtest is the conformance suite of blob.Store: every backend
// runs it, against the real storage it adapts (a directory, a real
// S3-compatible server), so that the contract written in blob.Store's doc
// comment is the one each backend actually keeps.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/custodia-ec/custodia/storage/blob"
)

// LargeSize is the size of the blob of the streaming test: 64 MiB + 1, one
// byte past any power-of-two buffer or part size a backend may use.
const LargeSize = 64<<20 + 1

// Run runs the conformance suite. newStore must return a new, empty store
// for each call; it is called once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Empty", testEmpty},
		{"WrongHashRefused", testWrongHash},
		{"WrongSizeRefused", testWrongSize},
		{"InvalidKey", testInvalidKey},
		{"SecondPutSameBytes", testSecondPutSame},
		{"SecondPutDifferentBytes", testSecondPutDifferent},
		{"NotFound", testNotFound},
		{"ReadErrorStoresNothing", testReadError},
		{"CanceledStoresNothing", testCanceled},
		{"LargeStreaming", testLarge},
		{"ConcurrentSameKey", testConcurrentSameKey},
		{"List", testList},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

// Random returns n pseudo-random bytes drawn from seed.
func Random(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
	r.Read(b)
	return b
}

// RandomReader returns a reader of n pseudo-random bytes drawn from seed,
// generated as they are read, so that large blobs need no memory.
func RandomReader(seed uint64, n int64) io.Reader {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24)})
	return io.LimitReader(r, n)
}

func ctx(t *testing.T) context.Context { return t.Context() }

// mustPut stores b and fails the test on error.
func mustPut(t *testing.T, s blob.Store, b []byte) string {
	t.Helper()
	key := blob.KeyOf(b)
	if err := s.Put(ctx(t), key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("Put(%s): %v", key[:12], err)
	}
	return key
}

// mustGet reads the blob under key whole.
func mustGet(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key[:12], err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%s) read: %v", key[:12], err)
	}
	return b
}

// listAll returns every key and size that List reports, in its order.
func listAll(t *testing.T, s blob.Store) ([]string, map[string]int64) {
	t.Helper()
	var keys []string
	sizes := map[string]int64{}
	err := s.List(ctx(t), func(key string, size int64) error {
		keys = append(keys, key)
		sizes[key] = size
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return keys, sizes
}

// assertAbsent checks that key is not stored: Stat and Get say not found
// and List does not show it.
func assertAbsent(t *testing.T, s blob.Store, key string) {
	t.Helper()
	if _, err := s.Stat(ctx(t), key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Stat(%s) = %v, want ErrNotFound", key[:12], err)
	}
	rc, err := s.Get(ctx(t), key)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get(%s) = %v, want ErrNotFound", key[:12], err)
	}
	keys, _ := listAll(t, s)
	if slices.Contains(keys, key) {
		t.Errorf("List shows %s, which should not be stored", key[:12])
	}
}

func testRoundTrip(t *testing.T, s blob.Store) {
	b := Random(1, 100_003)
	key := mustPut(t, s, b)
	if got := mustGet(t, s, key); !bytes.Equal(got, b) {
		t.Errorf("Get returned %d bytes that differ from the %d put", len(got), len(b))
	}
	size, err := s.Stat(ctx(t), key)
	if err != nil || size != int64(len(b)) {
		t.Errorf("Stat = %d, %v; want %d", size, err, len(b))
	}
	// Unknown size (-1) is accepted too.
	b2 := Random(2, 1000)
	key2 := blob.KeyOf(b2)
	if err := s.Put(ctx(t), key2, bytes.NewReader(b2), -1); err != nil {
		t.Fatalf("Put with size -1: %v", err)
	}
	if got := mustGet(t, s, key2); !bytes.Equal(got, b2) {
		t.Errorf("Get after Put with size -1 differs")
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	key := mustPut(t, s, nil)
	if key != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("KeyOf(empty) = %s", key)
	}
	if got := mustGet(t, s, key); len(got) != 0 {
		t.Errorf("empty blob read back as %d bytes", len(got))
	}
	if size, err := s.Stat(ctx(t), key); err != nil || size != 0 {
		t.Errorf("Stat = %d, %v; want 0", size, err)
	}
}

func testWrongHash(t *testing.T, s blob.Store) {
	b := Random(3, 5000)
	other := blob.KeyOf(Random(4, 5000))
	err := s.Put(ctx(t), other, bytes.NewReader(b), int64(len(b)))
	if !errors.Is(err, blob.ErrHashMismatch) {
		t.Fatalf("Put under the wrong key = %v, want ErrHashMismatch", err)
	}
	assertAbsent(t, s, other)
	assertAbsent(t, s, blob.KeyOf(b))
	if keys, _ := listAll(t, s); len(keys) != 0 {
		t.Errorf("List after a refused Put = %v, want nothing", keys)
	}
}

func testWrongSize(t *testing.T, s blob.Store) {
	b := Random(5, 5000)
	key := blob.KeyOf(b)
	for _, size := range []int64{4999, 5001, 0} {
		err := s.Put(ctx(t), key, bytes.NewReader(b), size)
		if !errors.Is(err, blob.ErrSizeMismatch) {
			t.Errorf("Put declaring %d bytes of %d = %v, want ErrSizeMismatch", size, len(b), err)
		}
	}
	assertAbsent(t, s, key)
}

func testInvalidKey(t *testing.T, s blob.Store) {
	good := blob.KeyOf([]byte("x"))
	bad := []string{
		"",
		good[:63],
		good + "0",
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"../../../../../../../../../../../../../../../../../../etc/passwd",
		good[:62] + "/x",
		good[:63] + "g",
	}
	for _, key := range bad {
		if err := s.Put(ctx(t), key, bytes.NewReader([]byte("x")), 1); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(ctx(t), key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
		}
		rc, err := s.Get(ctx(t), key)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if keys, _ := listAll(t, s); len(keys) != 0 {
		t.Errorf("List after invalid keys = %v, want nothing", keys)
	}
}

func testSecondPutSame(t *testing.T, s blob.Store) {
	b := Random(6, 70_000)
	key := mustPut(t, s, b)
	if err := s.Put(ctx(t), key, iotest.HalfReader(bytes.NewReader(b)), int64(len(b))); err != nil {
		t.Fatalf("second Put of the same bytes: %v", err)
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, b) {
		t.Errorf("blob changed after a second Put")
	}
	if keys, _ := listAll(t, s); len(keys) != 1 {
		t.Errorf("List = %v, want one key", keys)
	}
}

func testSecondPutDifferent(t *testing.T, s blob.Store) {
	a := Random(7, 8000)
	key := mustPut(t, s, a)
	for _, b := range [][]byte{Random(8, 8000), Random(9, 8001), a[:7999]} {
		err := s.Put(ctx(t), key, bytes.NewReader(b), -1)
		if !errors.Is(err, blob.ErrHashMismatch) {
			t.Errorf("second Put of different bytes = %v, want ErrHashMismatch", err)
		}
		err = s.Put(ctx(t), key, bytes.NewReader(b), int64(len(b)))
		if !errors.Is(err, blob.ErrHashMismatch) && !errors.Is(err, blob.ErrSizeMismatch) {
			t.Errorf("second Put of different bytes, declared size = %v, want a mismatch", err)
		}
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, a) {
		t.Errorf("stored blob was changed by a refused Put")
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	key := blob.KeyOf([]byte("never stored"))
	assertAbsent(t, s, key)
	var called bool
	if err := s.List(ctx(t), func(string, int64) error { called = true; return nil }); err != nil || called {
		t.Errorf("List on an empty store: err %v, called %v", err, called)
	}
}

func testReadError(t *testing.T, s blob.Store) {
	b := Random(10, 3<<20)
	key := blob.KeyOf(b)
	boom := errors.New("conexión cortada")
	r := io.MultiReader(bytes.NewReader(b[:2<<20]), iotest.ErrReader(boom))
	if err := s.Put(ctx(t), key, r, int64(len(b))); err == nil {
		t.Fatal("Put with a reader that fails: no error")
	}
	assertAbsent(t, s, key)
}

func testCanceled(t *testing.T, s blob.Store) {
	b := Random(11, 1<<20)
	key := blob.KeyOf(b)
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	if err := s.Put(c, key, bytes.NewReader(b), int64(len(b))); err == nil {
		t.Fatal("Put with a canceled context: no error")
	}
	assertAbsent(t, s, key)
}

// testLarge streams a 64 MiB + 1 blob in and out and checks that the
// backend did not hold it in memory: the heap may grow by less than half
// the blob while it is put.
func testLarge(t *testing.T, s blob.Store) {
	h := sha256.New()
	io.Copy(h, RandomReader(12, LargeSize))
	key := hex.EncodeToString(h.Sum(nil))

	peak := measureHeap(t, func() {
		if err := s.Put(ctx(t), key, RandomReader(12, LargeSize), LargeSize); err != nil {
			t.Fatalf("Put of %d bytes: %v", LargeSize, err)
		}
	})
	if limit := uint64(LargeSize / 2); peak > limit {
		t.Errorf("heap grew by %d MiB during a Put of %d MiB, want under %d MiB", peak>>20, LargeSize>>20, limit>>20)
	}
	t.Logf("heap growth during Put of %d bytes: %.1f MiB", LargeSize, float64(peak)/(1<<20))

	if size, err := s.Stat(ctx(t), key); err != nil || size != LargeSize {
		t.Fatalf("Stat = %d, %v; want %d", size, err, LargeSize)
	}
	rc, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h.Reset()
	n, err := io.Copy(h, rc)
	if err != nil || n != LargeSize {
		t.Fatalf("Get read %d bytes, err %v", n, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != key {
		t.Errorf("Get returned bytes that hash to %s, want %s", got, key)
	}
}

// measureHeap runs fn and returns how far the live heap rose above where it
// was before, sampled every few milliseconds with the collector made eager,
// so that garbage does not count as held memory.
func measureHeap(t *testing.T, fn func()) uint64 {
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc

	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base {
				peak = max(peak, ms.HeapAlloc-base)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak
}

func testConcurrentSameKey(t *testing.T, s blob.Store) {
	b := Random(13, 2<<20+17)
	key := blob.KeyOf(b)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Put(ctx(t), key, bytes.NewReader(b), int64(len(b)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Put %d: %v", i, err)
		}
	}
	if got := mustGet(t, s, key); !bytes.Equal(got, b) {
		t.Errorf("blob differs after concurrent Puts")
	}
	keys, sizes := listAll(t, s)
	if len(keys) != 1 || sizes[key] != int64(len(b)) {
		t.Errorf("List after concurrent Puts = %v %v, want just %s", keys, sizes, key[:12])
	}
}

func testList(t *testing.T, s blob.Store) {
	want := map[string]int64{}
	for i := range 12 {
		b := Random(uint64(100+i), 10*i)
		want[mustPut(t, s, b)] = int64(len(b))
	}
	// A refused Put in between leaves no trace in the listing.
	_ = s.Put(ctx(t), blob.KeyOf([]byte("a")), bytes.NewReader([]byte("b")), 1)

	keys, sizes := listAll(t, s)
	if !slices.IsSorted(keys) {
		t.Errorf("List order is not increasing: %v", keys)
	}
	if len(keys) != len(want) {
		t.Errorf("List gave %d keys, want %d", len(keys), len(want))
	}
	for k, size := range want {
		if got, ok := sizes[k]; !ok || got != size {
			t.Errorf("List: %s size %d (listed %v), want %d", k[:12], got, ok, size)
		}
	}

	// An error from fn stops the listing and comes back.
	stop := fmt.Errorf("stop")
	calls := 0
	err := s.List(ctx(t), func(string, int64) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List with fn failing: err %v after %d calls, want stop after 1", err, calls)
	}
}
