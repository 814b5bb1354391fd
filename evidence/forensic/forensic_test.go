package forensic

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// Test vectors: FIPS 180 examples (the short messages of the NIST "Example
// Algorithms" sheets: "abc", the 448-bit and 896-bit messages, one million
// 'a') for SHA-1 and SHA-256, and the test suite of RFC 1321 appendix A.5
// for MD5.
var (
	msg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
	msg896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
	millA  = strings.Repeat("a", 1_000_000)
)

var vectors = []struct {
	name  string
	input string
	algo  Algos
	want  string
}{
	{"sha256 empty", "", SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"sha256 abc", "abc", SHA256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"sha256 448 bits", msg448, SHA256, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{"sha256 896 bits", msg896, SHA256, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
	{"sha256 million a", millA, SHA256, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	{"sha1 empty", "", SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	{"sha1 abc", "abc", SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
	{"sha1 448 bits", msg448, SHA1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	{"sha1 896 bits", msg896, SHA1, "a49b2446a02c645bf419f995b67091253a04a259"},
	{"sha1 million a", millA, SHA1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
	{"md5 empty", "", MD5, "d41d8cd98f00b204e9800998ecf8427e"},
	{"md5 a", "a", MD5, "0cc175b9c0f1b6a831c399e269772661"},
	{"md5 abc", "abc", MD5, "900150983cd24fb0d6963f7d28e17f72"},
	{"md5 message digest", "message digest", MD5, "f96b697d7cb7938d525a2f31aaf161d0"},
	{"md5 alphabet", "abcdefghijklmnopqrstuvwxyz", MD5, "c3fcd3d76192e4007dfb496cca67e13b"},
	{"md5 alphanumeric", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", MD5, "d174ab98d277d9f5a5611c2c9f419d9f"},
	{"md5 digits", strings.Repeat("1234567890", 8), MD5, "57edf4a22be3c955ac49da2e2107b67a"},
}

func TestVectors(t *testing.T) {
	ctx := context.Background()
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			// Alone, in the full set, and through a reader that returns
			// odd-sized pieces (block boundaries inside the ring).
			cases := []struct {
				how   string
				r     io.Reader
				algos Algos
			}{
				{"alone", strings.NewReader(v.input), v.algo},
				{"all", strings.NewReader(v.input), All},
				{"pieces", iotest.HalfReader(strings.NewReader(v.input)), All},
			}
			for _, c := range cases {
				sums, err := Sum(ctx, c.r, c.algos, nil)
				if err != nil {
					t.Fatalf("%s: %v", c.how, err)
				}
				if got := sums.Hex(v.algo); got != v.want {
					t.Errorf("%s: got %s, want %s", c.how, got, v.want)
				}
				if sums.Size != int64(len(v.input)) {
					t.Errorf("%s: size %d, want %d", c.how, sums.Size, len(v.input))
				}
			}
		})
	}
}

func TestSumOnlyAskedAlgos(t *testing.T) {
	sums, err := Sum(context.Background(), strings.NewReader("abc"), SHA256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sums.MD5 != nil || sums.SHA1 != nil || sums.SHA256 == nil {
		t.Errorf("got md5=%x sha1=%x sha256=%x, want only sha256", sums.MD5, sums.SHA1, sums.SHA256)
	}
}

func TestSumProgress(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 3*blockSize+5)
	var total int64
	calls := 0
	_, err := Sum(context.Background(), bytes.NewReader(data), All, func(n int64) { total += n; calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if total != int64(len(data)) || calls != 4 {
		t.Errorf("progress got %d bytes in %d calls, want %d in 4", total, calls, len(data))
	}
}

func TestSumReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(make([]byte, blockSize+10)), iotest.ErrReader(boom))
	sums, err := Sum(context.Background(), r, All, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if sums.SHA256 != nil {
		t.Errorf("got a digest %x after a read error", sums.SHA256)
	}
}

func TestSumCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Sum(ctx, strings.NewReader("abc"), All, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestSumBadAlgos(t *testing.T) {
	for _, a := range []Algos{0, 8, All | 16} {
		if _, err := Sum(context.Background(), strings.NewReader("x"), a, nil); err == nil {
			t.Errorf("Sum with algos %d: no error", a)
		}
	}
}

func TestParseAlgos(t *testing.T) {
	tests := []struct {
		in      string
		want    Algos
		wantErr string
	}{
		{"md5,sha1,sha256", All, ""},
		{"sha256", SHA256, ""},
		{"SHA-256, md5", SHA256 | MD5, ""},
		{"sha1,sha1", SHA1, ""},
		{"", 0, "vacía"},
		{"md5,", 0, "vacía"},
		{"sha512", 0, `algoritmo desconocido "sha512"`},
	}
	for _, tt := range tests {
		got, err := ParseAlgos(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseAlgos(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAlgos(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if got, want := All.String(), "md5,sha1,sha256"; got != want {
		t.Errorf("All.String() = %q, want %q", got, want)
	}
}

// patternReader yields n bytes of a fixed pattern without allocating.
type patternReader struct {
	n       int64
	pattern []byte
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n == 0 {
		return 0, io.EOF
	}
	k := copy(b[:min(int64(len(b)), p.n)], p.pattern)
	p.n -= int64(k)
	return k, nil
}

// TestSumConstantMemory: hashing 256 MiB allocates the ring (16 MiB) and
// little else, whatever the size of the stream.
func TestSumConstantMemory(t *testing.T) {
	r := &patternReader{n: 256 << 20, pattern: bytes.Repeat([]byte("custodia"), 1<<17)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sums, err := Sum(context.Background(), r, All, nil)
	runtime.ReadMemStats(&after)
	if err != nil || sums.Size != 256<<20 {
		t.Fatalf("Sum: %d bytes, %v", sums.Size, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > ringSize*blockSize+1<<20 {
		t.Errorf("Sum of 256 MiB allocated %d MiB, want at most the ring's %d MiB and a little", alloc>>20, ringSize*blockSize>>20)
	}
}
