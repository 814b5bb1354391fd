package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/evidence"
	"github.com/custodia-ec/custodia/internal/terminates"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob"
)

const uploadOfficer = "pn.s-pic-02.lead"

// uploadEnv is a server with an agent account that holds item UP-1.
func uploadEnv(t *testing.T) (*testEnv, string) {
	e := newEnv(t)
	e.account("uploader", "agent", uploadOfficer, "METASTASIS")
	e.append(ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "UP-1", Case: "METASTASIS", Type: "phone", Description: "teléfono", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: uploadOfficer}})
	return e, e.token("uploader", "write")
}

func attachRecord(data []byte, name string) *custody.Attach {
	sum := sha256.Sum256(data)
	n := int64(len(data))
	return &custody.Attach{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: &n, At: "2024-05-02T10:00:00-05:00", By: uploadOfficer}
}

// cutProxy forwards TCP connections to target and, for the first cuts
// connections, closes both sides after a random number of bytes from the
// client, at most maxCut: a connection dropped mid-upload.
type cutProxy struct {
	ln      net.Listener
	target  string
	cuts    atomic.Int64 // connections still to cut
	done    atomic.Int64 // connections cut
	maxCut  int
	mu      sync.Mutex
	rnd     *rand.Rand
	wg      sync.WaitGroup
	offsets []int
	conns   []net.Conn
}

func newCutProxy(t *testing.T, target string, cuts, maxCut int) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, maxCut: maxCut, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))}
	p.cuts.Store(int64(cuts))
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

func (p *cutProxy) handle(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	limit := int64(-1)
	if p.cuts.Add(-1) >= 0 {
		p.mu.Lock()
		limit = int64(p.rnd.IntN(p.maxCut))
		p.offsets = append(p.offsets, int(limit))
		p.mu.Unlock()
	}
	go func() {
		io.Copy(c, s)
		c.Close()
	}()
	if limit < 0 {
		io.Copy(s, c)
		return
	}
	if _, err := io.CopyN(s, c, limit); err == nil {
		p.done.Add(1)
	}
	// Cut: both sides see the connection end mid-request.
}

// storeTemps lists the filesystem store's temporary files.
func storeTemps(e *testEnv) []string {
	left, _ := filepath.Glob(filepath.Join(e.dir, "blobs", "sha256", "*", "*", ".tmp-*"))
	return left
}

func blobCount(t *testing.T, st blob.Store) int {
	n := 0
	if err := st.List(t.Context(), func(string, int64) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestResumableUploadCuts uploads a file through a proxy that drops the
// connection at random offsets many times: the client resumes each time,
// the stored blob hashes right, and exactly one record is appended.
func TestResumableUploadCuts(t *testing.T) {
	t.Run("bytes", func(t *testing.T) { resumableUploadCuts(t, false) })
	// From a file, as `custodia upload` sends: a cut must not shift the
	// next chunk's bytes.
	t.Run("file", func(t *testing.T) { resumableUploadCuts(t, true) })
}

func resumableUploadCuts(t *testing.T, fromFile bool) {
	e, tok := uploadEnv(t)
	data := make([]byte, 8<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	var src io.ReaderAt = bytes.NewReader(data)
	if fromFile {
		path := filepath.Join(t.TempDir(), "volcado.bin")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		src = f
	}
	const cuts = 30
	px := newCutProxy(t, strings.TrimPrefix(e.ts.URL, "http://"), cuts, 512<<10)
	before := e.d.Ledger.Size()
	blobsBefore := blobCount(t, e.d.Blobs)
	var progress []int64
	up := &evidence.Uploader{Server: "http://" + px.ln.Addr().String(), Token: tok, Chunk: 1 << 20,
		Client: &http.Client{Timeout: 20 * time.Second}, Retries: 100, RetryDelay: time.Millisecond,
		Progress: func(off int64) { progress = append(progress, off) }}
	rec := attachRecord(data, "volcado.bin")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	seq, err := up.Upload(ctx, "UP-1", custody.OpAttach, rec, src, int64(len(data)))
	if err != nil {
		t.Fatalf("upload: %v (cuts made: %d)", err, px.done.Load())
	}
	if got := px.done.Load(); got < 20 {
		t.Fatalf("only %d connections were cut, want at least 20", got)
	}
	px.mu.Lock() // proxy goroutines may still be appending
	offsets := append([]int(nil), px.offsets...)
	px.mu.Unlock()
	t.Logf("%d cuts at client offsets %v", px.done.Load(), offsets)
	if after := e.d.Ledger.Size(); after != before+1 || seq != before {
		t.Fatalf("log size %d → %d, record seq %d: want exactly one event, seq %d", before, after, seq, before)
	}
	if n := blobCount(t, e.d.Blobs); n != blobsBefore+1 {
		t.Errorf("blobs %d → %d, want one more", blobsBefore, n)
	}
	rc, err := e.d.Blobs.Get(t.Context(), rec.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	io.Copy(h, rc)
	rc.Close()
	if got := hex.EncodeToString(h.Sum(nil)); got != rec.SHA256 {
		t.Errorf("stored blob hashes to %s, want %s", got, rec.SHA256)
	}
	var atts int
	e.d.Ledger.View(func(st *domain.State) error {
		for _, a := range st.Attachments {
			if a.Item == "UP-1" && a.SHA256 == rec.SHA256 {
				atts++
			}
		}
		return nil
	})
	if atts != 1 {
		t.Errorf("%d attachments recorded, want 1", atts)
	}
	if len(progress) == 0 || progress[len(progress)-1] != int64(len(data)) {
		t.Errorf("progress ended at %v, want %d", progress[max(0, len(progress)-1):], len(data))
	}
	if left := storeTemps(e); len(left) != 0 {
		t.Errorf("temporary files left in the store: %v", left)
	}
	// The files API shows the attachment.
	code, body := e.do("GET", "/api/v1/items/UP-1/files", tok, "")
	if code != 200 || !strings.Contains(string(body), rec.SHA256) {
		t.Errorf("files: %d %s", code, body)
	}
}

// TestUploadMismatch: a wrong declared sha256 or size is refused and
// records nothing: the log and the blob store are unchanged.
func TestUploadMismatch(t *testing.T) {
	e, tok := uploadEnv(t)
	data := bytes.Repeat([]byte("evidencia "), 100000)
	up := &evidence.Uploader{Server: e.ts.URL, Token: tok, Chunk: 300000}
	other := attachRecord([]byte("otro archivo"), "x")
	wrongSize := int64(len(data) - 1)
	for _, tc := range []struct {
		name  string
		rec   *custody.Attach
		size  int64 // Upload-Length
		field string
	}{
		{"wrong sha256", &custody.Attach{Name: "a", SHA256: other.SHA256, Size: attachRecord(data, "").Size, At: "2024-05-02T10:00:00-05:00", By: uploadOfficer}, int64(len(data)), "sha256"},
		{"size differs from Upload-Length", &custody.Attach{Name: "a", SHA256: attachRecord(data, "").SHA256, Size: &wrongSize, At: "2024-05-02T10:00:00-05:00", By: uploadOfficer}, int64(len(data)), "size"},
		// The declared size is one byte short: what arrives (the first
		// size bytes) cannot hash to the file's sha256.
		{"declared size short", &custody.Attach{Name: "a", SHA256: attachRecord(data, "").SHA256, Size: &wrongSize, At: "2024-05-02T10:00:00-05:00", By: uploadOfficer}, wrongSize, "sha256"},
		{"another officer", &custody.Attach{Name: "a", SHA256: attachRecord(data, "").SHA256, Size: attachRecord(data, "").Size, At: "2024-05-02T10:00:00-05:00", By: "lab.2"}, int64(len(data)), "by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, blobs := e.d.Ledger.Size(), blobCount(t, e.d.Blobs)
			_, err := up.Upload(t.Context(), "UP-1", custody.OpAttach, tc.rec, bytes.NewReader(data), tc.size)
			var ae *evidence.APIError
			if !errors.As(err, &ae) || ae.Field != tc.field || (ae.Status != 400 && ae.Status != 422) {
				t.Fatalf("err = %v, want a 400/422 on field %s", err, tc.field)
			}
			if strings.Contains(ae.Message, " / ") || strings.Contains(ae.Message, "does not") {
				t.Errorf("the Spanish message carries English: %q", ae.Message)
			}
			if tc.name == "wrong sha256" && !strings.Contains(ae.Message, "llegó "+attachRecord(data, "").SHA256) {
				t.Errorf("the message does not say what arrived: %q", ae.Message)
			}
			if after := e.d.Ledger.Size(); after != before {
				t.Errorf("log size %d → %d: something was recorded", before, after)
			}
			if n := blobCount(t, e.d.Blobs); n != blobs {
				t.Errorf("blob store %d → %d blobs", blobs, n)
			}
			if left := storeTemps(e); len(left) != 0 {
				t.Errorf("temporary files left in the store: %v", left)
			}
		})
	}
}

// TestUploadProtocol: the tus rules the server enforces.
func TestUploadProtocol(t *testing.T) {
	e, tok := uploadEnv(t)
	data := []byte("hola")
	meta, err := UploadMetadata(custody.OpAttach, attachRecord(data, "h.txt"))
	if err != nil {
		t.Fatal(err)
	}
	req := func(method, path string, hdr map[string]string, body string) *http.Response {
		r, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if r := req("POST", "/api/v1/items/UP-1/uploads", map[string]string{"Upload-Length": "4", "Upload-Metadata": meta}, ""); r.StatusCode != 412 {
		t.Errorf("no Tus-Resumable: %d, want 412", r.StatusCode)
	}
	r := req("POST", "/api/v1/items/UP-1/uploads", map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "4", "Upload-Metadata": meta}, "")
	loc := r.Header.Get("Location")
	if r.StatusCode != 201 || loc == "" {
		t.Fatalf("create: %d %q", r.StatusCode, loc)
	}
	tus := map[string]string{"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range tus {
			m[a] = b
		}
		m[k] = v
		return m
	}
	if r := req("PATCH", loc, with("Content-Type", "text/plain"), "ho"); r.StatusCode != 415 {
		t.Errorf("wrong content type: %d, want 415", r.StatusCode)
	}
	if r := req("PATCH", loc, with("Upload-Offset", "0"), "ho"); r.StatusCode != 204 || r.Header.Get("Upload-Offset") != "2" {
		t.Errorf("first half: %d offset %q", r.StatusCode, r.Header.Get("Upload-Offset"))
	}
	if r := req("PATCH", loc, with("Upload-Offset", "0"), "ho"); r.StatusCode != 409 || r.Header.Get("Upload-Offset") != "2" {
		t.Errorf("stale offset: %d offset %q, want 409 at 2", r.StatusCode, r.Header.Get("Upload-Offset"))
	}
	if r := req("HEAD", loc, map[string]string{"Tus-Resumable": "1.0.0"}, ""); r.StatusCode != 200 || r.Header.Get("Upload-Offset") != "2" || r.Header.Get("Upload-Length") != "4" {
		t.Errorf("HEAD: %d %q/%q", r.StatusCode, r.Header.Get("Upload-Offset"), r.Header.Get("Upload-Length"))
	}
	// Someone else's upload does not exist for them.
	e.account("other", "agent", "pn.s-pic-03.lead", "METASTASIS")
	otherTok := e.token("other", "write")
	if code, _ := e.do("HEAD", loc, otherTok, ""); code != 404 {
		t.Errorf("HEAD by another account: %d, want 404", code)
	}
	r = req("PATCH", loc, with("Upload-Offset", "2"), "la")
	if r.StatusCode != 204 || r.Header.Get(SeqHeader) == "" {
		t.Fatalf("last half: %d seq %q", r.StatusCode, r.Header.Get(SeqHeader))
	}
	seq := r.Header.Get(SeqHeader)
	size := e.d.Ledger.Size()
	// A client that missed the answer asks again: same seq, nothing new.
	if r := req("HEAD", loc, map[string]string{"Tus-Resumable": "1.0.0"}, ""); r.Header.Get(SeqHeader) != seq {
		t.Errorf("HEAD after the end: seq %q, want %q", r.Header.Get(SeqHeader), seq)
	}
	if r := req("PATCH", loc, with("Upload-Offset", "4"), ""); r.StatusCode != 204 || r.Header.Get(SeqHeader) != seq {
		t.Errorf("PATCH after the end: %d seq %q", r.StatusCode, r.Header.Get(SeqHeader))
	}
	if e.d.Ledger.Size() != size {
		t.Errorf("a repeated final request recorded again")
	}
	if r := req("DELETE", loc, map[string]string{"Tus-Resumable": "1.0.0"}, ""); r.StatusCode != 204 {
		t.Errorf("DELETE: %d", r.StatusCode)
	}
	if r := req("HEAD", loc, map[string]string{"Tus-Resumable": "1.0.0"}, ""); r.StatusCode != 404 {
		t.Errorf("HEAD after DELETE: %d", r.StatusCode)
	}
	// A cancelled upload leaves nothing in the store.
	r = req("POST", "/api/v1/items/UP-1/uploads", map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "4", "Upload-Metadata": meta}, "")
	loc = r.Header.Get("Location")
	req("PATCH", loc, with("Upload-Offset", "0"), "ho")
	if r := req("DELETE", loc, map[string]string{"Tus-Resumable": "1.0.0"}, ""); r.StatusCode != 204 {
		t.Errorf("DELETE mid-way: %d", r.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(storeTemps(e)) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if left := storeTemps(e); len(left) != 0 {
		t.Errorf("temporary files left after DELETE: %v", left)
	}
}

// TestUploadDerive uploads the image behind an evidence.derive: the item is
// created only once its file is stored and verified, and the integrity
// check then covers it.
func TestUploadDerive(t *testing.T) {
	e, _ := uploadEnv(t)
	giver, lab := testkeys.Ed25519(uploadOfficer), testkeys.Ed25519("lab.2")
	e.enrol(giver, lab)
	tr := &custody.Transfer{Item: "UP-1", From: uploadOfficer, To: "lab.2", At: "2024-05-03T10:00:00-05:00", Purpose: "analysis", SealCondition: "none"}
	e.append(ledger.Record{Op: custody.OpTransfer, Rec: tr, Sigs: []custody.Sig{giver.SignAct(custody.RoleFrom, custody.OpTransfer, tr), lab.SignAct(custody.RoleTo, custody.OpTransfer, tr)}})
	e.account("analyst", "forensic_analyst", "lab.2", "METASTASIS")
	tok := e.token("analyst", "write")
	img := bytes.Repeat([]byte("imagen forense "), 70000)
	n := int64(len(img))
	sum := sha256.Sum256(img)
	rec := &custody.Derive{ID: "UP-1-IMG", Type: "forensic_image", Description: "Imagen forense de UP-1", At: "2024-05-03T12:00:00-05:00", By: "lab.2", SHA256: hex.EncodeToString(sum[:]), Size: &n, Tool: "dd"}
	// lab.2 has a key: the derivation carries its signature, made over the
	// record with its parent (the path's item).
	signed := *rec
	signed.Parent = "UP-1"
	up := &evidence.Uploader{Server: e.ts.URL, Token: tok, Chunk: 100000, Sigs: []custody.Sig{lab.SignAct(custody.RoleBy, custody.OpDerive, &signed)}}
	if _, err := up.Upload(t.Context(), "UP-1", custody.OpDerive, rec, bytes.NewReader(img), n); err != nil {
		t.Fatal(err)
	}
	var got *custody.Derive
	e.d.Ledger.View(func(st *domain.State) error {
		if it := st.Items["UP-1-IMG"]; it != nil {
			got = it.Derive
		}
		return nil
	})
	if got == nil || got.SHA256 != rec.SHA256 || got.Parent != "UP-1" {
		t.Fatalf("derived item: %+v", got)
	}
	if size, err := e.d.Blobs.Stat(t.Context(), rec.SHA256); err != nil || size != n {
		t.Fatalf("blob: %d %v", size, err)
	}
	sumr, err := e.s.CheckFiles(t.Context())
	if err != nil || sumr.Problems != 0 {
		t.Fatalf("check: %+v %v", sumr, err)
	}
	found := false
	for _, c := range sumr.Checks {
		found = found || (c.Item == "UP-1-IMG" && c.Kind == "derived" && c.Result == domain.BlobOK)
	}
	if !found {
		t.Errorf("the derived image was not checked: %+v", sumr.Checks)
	}
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{"", "op ZXZpZGVuY2UuYXR0YWNo,record e30=", "a", "a b,c", " , ", "k =,k ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		var m map[string]string
		var err error
		terminates.Within(t, h, func() { m, err = parseMetadata(h) })
		if err != nil {
			return
		}
		// What parsed re-encodes to something that parses the same.
		var parts []string
		for k, v := range m {
			parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
		}
		m2, err := parseMetadata(strings.Join(parts, ","))
		if err != nil || len(m2) != len(m) {
			t.Fatalf("round trip of %q: %v %v", h, m2, err)
		}
		for k, v := range m {
			if m2[k] != v {
				t.Fatalf("round trip of %q: key %q", h, k)
			}
		}
	})
}

// TestUploadShares: one account cannot hold every upload slot (it gets
// maxUploadsPerAccount, then 429 naming why), another account still gets a
// slot, and an idle upload expires and gives its slot back.
func TestUploadShares(t *testing.T) {
	e, tok := uploadEnv(t)
	e.account("other", "agent", "pn.s-pic-03.lead", "METASTASIS")
	other := e.token("other", "write")
	start := func(token string, n int) (*http.Response, string) {
		data := []byte(fmt.Sprintf("file %d", n))
		rec := attachRecord(data, fmt.Sprintf("f%d", n))
		if token == other {
			rec.By = "pn.s-pic-03.lead"
		}
		meta, err := UploadMetadata(custody.OpAttach, rec)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/items/UP-1/uploads", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("Tus-Resumable", "1.0.0")
		r.Header.Set("Upload-Length", strconv.Itoa(len(data)))
		r.Header.Set("Upload-Metadata", meta)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	e.s.uploads.mu.Lock()
	e.s.uploads.idle = 300 * time.Millisecond
	e.s.uploads.mu.Unlock()
	for i := range maxUploadsPerAccount {
		if r, b := start(tok, i); r.StatusCode != 201 {
			t.Fatalf("upload %d: %d %s", i, r.StatusCode, b)
		}
	}
	if r, b := start(tok, 99); r.StatusCode != 429 || !strings.Contains(b, "subidas en curso") {
		t.Errorf("one upload too many: %d %s, want 429 saying why", r.StatusCode, b)
	}
	if r, b := start(other, 100); r.StatusCode != 201 {
		t.Errorf("another account: %d %s, want 201", r.StatusCode, b)
	}
	// Idle uploads expire and free the account's slots.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, _ := start(tok, 200)
		if r.StatusCode == 201 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle uploads never expired")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
