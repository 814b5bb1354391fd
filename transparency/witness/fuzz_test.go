package witness

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
)

// seeds adds every file of testdata/dir to the fuzz corpus.
func seeds(f *testing.F, dir string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/%s: %v", dir, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, v := range terminates.Variants(b) {
			f.Add(v)
		}
	}
}

func FuzzParseAddCheckpoint(f *testing.F) {
	seeds(f, "add-checkpoint")
	f.Add([]byte("old 0\n\n"))
	f.Add([]byte("old 00\n\nx\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var req *AddCheckpointRequest
		var err error
		terminates.Within(t, body, func() { req, err = ParseAddCheckpoint(body) })
		if err != nil {
			if req != nil {
				t.Fatal("non-nil request with an error")
			}
			return
		}
		// A body that parses is exactly what Marshal writes.
		if got := req.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("round trip:\n%q\n%q", body, got)
		}
		if req.OldSize < 0 || len(req.Proof) > MaxProofLines || len(req.Checkpoint) == 0 {
			t.Fatalf("parsed an impossible request: %+v", req)
		}
	})
}

// FuzzParseSignatureLines: what verify's parser accepts from a witness, the
// witness's own formatting writes back byte for byte.
func FuzzParseSignatureLines(f *testing.F) {
	seeds(f, "cosignatures")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sigs []note.Signature
		var err error
		terminates.Within(t, data, func() { sigs, err = verify.ParseSignatureLines(data) })
		if err != nil {
			return
		}
		var b bytes.Buffer
		for _, s := range sigs {
			b.WriteString(formatSig(s))
		}
		if !bytes.Equal(b.Bytes(), data) {
			t.Fatalf("round trip:\n%q\n%q", data, b.Bytes())
		}
	})
}

// FuzzServerAddCheckpoint feeds arbitrary bodies to a real witness: it must
// answer every one with a RequestError or a cosignature, never panic.
func FuzzServerAddCheckpoint(f *testing.F) {
	seeds(f, "add-checkpoint")
	l, err := witnesstest.NewLog("custodia.example/fiscalia")
	if err != nil {
		f.Fatal(err)
	}
	l.AppendN(3)
	cp, _ := l.Checkpoint()
	f.Add((&AddCheckpointRequest{Checkpoint: cp}).Marshal())
	skey, _, _ := GenerateKey(rand.Reader, "witness.test/fuzz")
	cos, _ := NewCosigner(skey)
	lg, _ := ParseLog(l.VKey())
	srv, err := NewServer(context.Background(), filepath.Join(f.TempDir(), "w.db"), Config{Cosigner: cos, Logs: []Log{lg}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		var lines []byte
		var err error
		terminates.Within(t, body, func() { lines, err = srv.AddCheckpoint(context.Background(), body) })
		var re *RequestError
		switch {
		case err == nil:
			if _, err := verify.ParseSignatureLines(lines); err != nil {
				t.Fatalf("bad answer %q: %v", lines, err)
			}
		case !errors.As(err, &re) || re.Status < 400 || re.Status == 500:
			t.Fatalf("error %v is not a client refusal", err)
		}
	})
}
