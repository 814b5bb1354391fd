package integrity_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/custodia-ec/custodia/evidence/integrity"
	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/blob/blobtest"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
	"github.com/custodia-ec/custodia/storage/blob/s3blob/s3test"
)

// corruption is one way of damaging a stored blob behind the store's back,
// and the problem a check must then find.
type corruption struct {
	name string
	want integrity.Problem
	// damage changes the blob with key whose bytes were b.
	damage func(t *testing.T, key string, b []byte)
}

// runCorruptions stores a fresh blob per case, damages it, and checks that
// Check and a Scanner find exactly the expected problem, while an untouched
// blob stays OK.
func runCorruptions(t *testing.T, store blob.Store, cases []corruption) {
	ctx := t.Context()
	good := blobtest.Random(1, 300_000)
	goodKey := blob.KeyOf(good)
	if err := store.Put(ctx, goodKey, bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatal(err)
	}
	want := map[string]integrity.Problem{goodKey: ""}
	sizes := map[string]int64{goodKey: int64(len(good))}
	var order []string
	for i, c := range cases {
		b := blobtest.Random(uint64(10+i), 200_000+i)
		key := blob.KeyOf(b)
		if err := store.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		if res, err := integrity.Check(ctx, store, key, int64(len(b))); err != nil || !res.OK {
			t.Fatalf("%s: before damage: %+v, %v", c.name, res, err)
		}
		c.damage(t, key, b)
		want[key] = c.want
		sizes[key] = int64(len(b))
		order = append(order, key)

		t.Run(c.name, func(t *testing.T) {
			res, err := integrity.Check(ctx, store, key, int64(len(b)))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if res.OK || res.Problem != c.want {
				t.Errorf("Check = %+v, want problem %q", res, c.want)
			}
			if c.want == integrity.Missing && (res.GotSHA256 != "" || res.GotSize != -1) {
				t.Errorf("missing blob with a hash or size: %+v", res)
			}
			if c.want != integrity.Missing && (res.GotSHA256 == key || len(res.GotSHA256) != 64) {
				t.Errorf("GotSHA256 = %q, want the hash of the damaged bytes", res.GotSHA256)
			}
		})
	}
	order = append(order, goodKey)

	// The scanner over all of them: each found, the scan going on past
	// each problem, the good blob OK.
	sc := integrity.Scanner{Store: store}
	got := map[string]integrity.Problem{}
	sum, err := sc.Scan(ctx, seq(order, sizes), func(r integrity.CheckResult) error {
		got[r.Key] = r.Problem
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for key, p := range want {
		if g, ok := got[key]; !ok || g != p {
			t.Errorf("Scan: %s got %q (reported %v), want %q", key[:12], g, ok, p)
		}
	}
	if sum.Checked != len(want) || sum.Problems != len(cases) {
		t.Errorf("Summary = %+v, want %d checked, %d problems", sum, len(want), len(cases))
	}
}

// seq yields keys in order with their sizes.
func seq(keys []string, sizes map[string]int64) iter.Seq2[string, int64] {
	return func(yield func(string, int64) bool) {
		for _, k := range keys {
			if !yield(k, sizes[k]) {
				return
			}
		}
	}
}

// writeFile overwrites a read-only blob file.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptionFS(t *testing.T) {
	s, err := fsblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runCorruptions(t, s, []corruption{
		{"flip a byte", integrity.Mismatch, func(t *testing.T, key string, b []byte) {
			c := bytes.Clone(b)
			c[len(c)/2] ^= 0x01
			writeFile(t, s.Path(key), c)
		}},
		{"delete", integrity.Missing, func(t *testing.T, key string, b []byte) {
			if err := os.Remove(s.Path(key)); err != nil {
				t.Fatal(err)
			}
		}},
		{"replace same size", integrity.Mismatch, func(t *testing.T, key string, b []byte) {
			writeFile(t, s.Path(key), blobtest.Random(999, len(b)))
		}},
		{"truncate", integrity.Size, func(t *testing.T, key string, b []byte) {
			writeFile(t, s.Path(key), b[:len(b)-1])
		}},
		{"append", integrity.Size, func(t *testing.T, key string, b []byte) {
			writeFile(t, s.Path(key), append(bytes.Clone(b), 0))
		}},
	})
}

func TestCorruptionS3(t *testing.T) {
	gw := s3test.Start(t)
	s := gw.NewStore(t)
	client := gw.Client(t)
	replace := func(t *testing.T, key string, b []byte) {
		_, err := client.PutObject(t.Context(), gw.Bucket, s.Object(key), bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	runCorruptions(t, s, []corruption{
		{"replace same size", integrity.Mismatch, func(t *testing.T, key string, b []byte) {
			replace(t, key, blobtest.Random(999, len(b)))
		}},
		{"flip a byte", integrity.Mismatch, func(t *testing.T, key string, b []byte) {
			c := bytes.Clone(b)
			c[0] ^= 0x80
			replace(t, key, c)
		}},
		{"delete", integrity.Missing, func(t *testing.T, key string, b []byte) {
			if err := client.RemoveObject(t.Context(), gw.Bucket, s.Object(key), minio.RemoveObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"replace other size", integrity.Size, func(t *testing.T, key string, b []byte) {
			replace(t, key, b[:100])
		}},
	})
}

// TestRateLimit: a scan capped at 4 MiB/s over 6 MiB takes about 1.5 s
// (less the first burst), and unlimited it takes far less.
func TestRateLimit(t *testing.T) {
	s, _ := fsblob.Open(t.TempDir())
	sizes := map[string]int64{}
	var keys []string
	for i := range 3 {
		b := blobtest.Random(uint64(i), 2<<20)
		key := blob.KeyOf(b)
		s.Put(t.Context(), key, bytes.NewReader(b), int64(len(b)))
		keys = append(keys, key)
		sizes[key] = int64(len(b))
	}
	scan := func(bps int64) time.Duration {
		sc := integrity.Scanner{Store: s, BytesPerSecond: bps}
		start := time.Now()
		sum, err := sc.Scan(t.Context(), seq(keys, sizes), func(r integrity.CheckResult) error {
			if !r.OK {
				t.Errorf("%+v", r)
			}
			return nil
		})
		if err != nil || sum.Bytes != 6<<20 {
			t.Fatalf("Scan: %+v, %v", sum, err)
		}
		return time.Since(start)
	}
	limited := scan(4 << 20)
	if limited < 1300*time.Millisecond || limited > 15*time.Second {
		t.Errorf("scan of 6 MiB at 4 MiB/s took %v, want about 1.45 s", limited)
	}
	if free := scan(0); free > limited/2 {
		t.Errorf("unlimited scan took %v, limited %v", free, limited)
	}
}

// TestScanStops: an error from report, or ctx done, stops the scan.
func TestScanStops(t *testing.T) {
	s, _ := fsblob.Open(t.TempDir())
	var keys []string
	sizes := map[string]int64{}
	for i := range 3 {
		b := blobtest.Random(uint64(i), 10)
		key := blob.KeyOf(b)
		s.Put(t.Context(), key, bytes.NewReader(b), 10)
		keys = append(keys, key)
		sizes[key] = 10
	}
	stop := errors.New("stop")
	sc := integrity.Scanner{Store: s}
	n := 0
	sum, err := sc.Scan(t.Context(), seq(keys, sizes), func(integrity.CheckResult) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 || sum.Checked != 1 {
		t.Errorf("report error: err %v, %d reports, %+v", err, n, sum)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = sc.Scan(ctx, seq(keys, sizes), func(integrity.CheckResult) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled scan: %v", err)
	}

	// A slow limit and a deadline: the wait for the limiter gives up too.
	slow := integrity.Scanner{Store: s, BytesPerSecond: 1}
	ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err = slow.Scan(ctx, seq(keys, sizes), func(integrity.CheckResult) error { return nil })
	if err == nil {
		t.Errorf("scan at 1 B/s finished within 200 ms")
	}
}

func TestCheckInvalidKey(t *testing.T) {
	s, _ := fsblob.Open(t.TempDir())
	if _, err := integrity.Check(t.Context(), s, "../etc/passwd", -1); !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("Check with a bad key: %v", err)
	}
}

// TestUnreadable: a blob that cannot be read (here its file replaced by a
// directory, which fails on read) is reported as Unreadable by a scan, which
// goes on to the next blob; Check itself returns the error.
func TestUnreadable(t *testing.T) {
	s, _ := fsblob.Open(t.TempDir())
	var keys []string
	sizes := map[string]int64{}
	for i := range 2 {
		b := blobtest.Random(uint64(i), 10)
		key := blob.KeyOf(b)
		s.Put(t.Context(), key, bytes.NewReader(b), 10)
		keys = append(keys, key)
		sizes[key] = 10
	}
	os.Remove(s.Path(keys[0]))
	if err := os.Mkdir(s.Path(keys[0]), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := integrity.Check(t.Context(), s, keys[0], 10); err == nil {
		t.Errorf("Check of an unreadable blob: no error")
	}
	var got []integrity.CheckResult
	sc := integrity.Scanner{Store: s}
	if _, err := sc.Scan(t.Context(), seq(keys, sizes), func(r integrity.CheckResult) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Problem != integrity.Unreadable || got[0].Detail == "" || !got[1].OK {
		t.Errorf("Scan = %+v, want unreadable then OK", got)
	}
}
