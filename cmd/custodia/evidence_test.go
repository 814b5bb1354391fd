package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
)

const evOfficer = "pn.s-pic-02.lead"

// evidenceDeployment is a deployment with the Metastasis case, an agent
// account holding item UP-1, and a running server; it returns the data
// directory, the server URL, a write token and a function that stops the
// server and closes the deployment.
func evidenceDeployment(t *testing.T) (dir, url, token string, stop func()) {
	t.Helper()
	now := func() time.Time { return time.Now().UTC() }
	d, _ := testdeploy.Metastasis(t, now)
	ctx := context.Background()
	appendRecs := app.LedgerAppender(d.Ledger, "system:test", now)
	if _, err := app.CreateAccount(ctx, appendRecs, d.Store.Credentials(), now, domainAccount("uploader", "agent", evOfficer)); err != nil {
		t.Fatal(err)
	}
	grant(t, appendRecs, "uploader")
	if err := appendRecs(ctx, []ledger.Record{{Op: custody.OpSeize, Rec: &custody.Seize{ID: "UP-1", Case: "METASTASIS", Type: "phone", Description: "teléfono", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: evOfficer}}}); err != nil {
		t.Fatal(err)
	}
	tok, err := app.IssueToken(ctx, appendRecs, d.Store.Credentials(), now, "uploader", app.TokenRequest{Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newStack(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicKey: d.PublicKey,
		Blobs: d.Blobs})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ts := httptest.NewServer(s.Handler())
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		s.CloseStreams()
		ts.Close()
		s.Close()
		d.Close()
	}
	t.Cleanup(stop)
	return d.Dir, ts.URL, tok.Token, stop
}

func runEv(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestEvidenceFilesCorruption uploads files with `custodia upload`, exports
// and re-imports the case with its files, then damages the store behind
// Custodia's back: a flipped byte, a deleted file, a file replaced by
// another of the same size, a truncated file. `custodia fsck` detects and
// records each, `custodia audit` fails naming them, and the item API shows
// them.
func TestEvidenceFilesCorruption(t *testing.T) {
	dir, url, tok, stop := evidenceDeployment(t)
	files := map[string][]byte{}
	names := []string{"flip.bin", "gone.bin", "swap.bin", "cut.bin", "fine.txt"}
	src := t.TempDir()
	for i, n := range names {
		b := bytes.Repeat([]byte{byte('a' + i)}, 100000+i)
		b = append(b, []byte(n)...)
		files[n] = b
		p := filepath.Join(src, n)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runEv(t, "upload", "UP-1", p, "--server", url, "--token", tok, "--chunk", "30000")
		if code != 0 || !strings.Contains(out, sha(b)) {
			t.Fatalf("upload %s: %d %s %s", n, code, out, errOut)
		}
	}
	stop()

	// A clean check first: every file ok, and audit passes.
	code, out, errOut := runEv(t, "fsck", "--data", dir)
	if code != 0 || strings.Count(out, "[ok]") != len(names) {
		t.Fatalf("fsck on a clean store: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runEv(t, "audit", "--data", dir); code != 0 {
		t.Fatalf("audit on a clean store: %d\n%s%s", code, out, errOut)
	}

	// Export the case with its files, and import it elsewhere.
	exp := filepath.Join(t.TempDir(), "export") + "/"
	if code, out, errOut := runEv(t, "export", "case", "METASTASIS", "--data", dir, "-o", exp); code != 0 {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	for n, b := range files {
		p := (&fsblobPath{filepath.Join(exp, "blobs")}).path(sha(b))
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("export lacks %s at %s: %v", n, p, err)
		}
	}
	other := t.TempDir()
	if code, _, errOut := runEv(t, "init", "--data", other); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, errOut := runEv(t, "import", exp, "--data", other); code != 0 || !strings.Contains(out, "5 ") {
		t.Fatalf("import of the export: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runEv(t, "fsck", "--data", other); code != 0 || strings.Count(out, "[ok]") != len(names) {
		t.Fatalf("fsck of the imported copy: %d %s %s", code, out, errOut)
	}
	// A wrong blob in an export aborts its import: nothing is recorded.
	third := t.TempDir()
	runEv(t, "init", "--data", third)
	bad := (&fsblobPath{filepath.Join(exp, "blobs")}).path(sha(files["fine.txt"]))
	os.Chmod(bad, 0o644)
	tampered := bytes.Clone(files["fine.txt"])
	tampered[10] ^= 1
	if err := os.WriteFile(bad, tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runEv(t, "import", exp, "--data", third)
	if code == 0 || !strings.Contains(errOut, sha(files["fine.txt"])) {
		t.Fatalf("import of a tampered export: %d %s %s", code, out, errOut)
	}
	if n := logSize(t, third); n != 0 {
		t.Errorf("a failed import left %d events", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(third, deployment.BlobsDir, "sha256")); len(entries) != 0 {
		t.Errorf("a failed import left blobs: %v", entries)
	}

	// Damage the store.
	store := &fsblobPath{filepath.Join(dir, deployment.BlobsDir)}
	damage := func(name string, fn func(p string, b []byte) error) {
		p := store.path(sha(files[name]))
		os.Chmod(p, 0o644)
		if err := fn(p, files[name]); err != nil {
			t.Fatal(err)
		}
	}
	damage("flip.bin", func(p string, b []byte) error {
		c := bytes.Clone(b)
		c[len(c)/2] ^= 0x20
		return os.WriteFile(p, c, 0o444)
	})
	damage("gone.bin", func(p string, _ []byte) error { return os.Remove(p) })
	damage("swap.bin", func(p string, b []byte) error {
		return os.WriteFile(p, bytes.Repeat([]byte{'z'}, len(b)), 0o444)
	})
	damage("cut.bin", func(p string, b []byte) error { return os.Truncate(p, int64(len(b)-1)) })

	before := logSize(t, dir)
	code, out, _ = runEv(t, "fsck", "--data", dir)
	if code != 1 {
		t.Errorf("fsck of a damaged store exited %d, want 1", code)
	}
	want := map[string]string{"flip.bin": "mismatch", "gone.bin": "missing", "swap.bin": "mismatch", "cut.bin": "size"}
	for n, res := range want {
		if !strings.Contains(out, "ALERTA/ALERT "+res+"] evidencia UP-1: ") || !strings.Contains(out, sha(files[n])) {
			t.Errorf("fsck output lacks %s for %s:\n%s", res, n, out)
		}
	}
	if strings.Count(out, "[ok]") != 1 {
		t.Errorf("fsck: want exactly one ok file:\n%s", out)
	}
	if after := logSize(t, dir); after != before+int64(len(names)) {
		t.Errorf("fsck recorded %d events, want %d", after-before, len(names))
	}
	// The recorded checks, as the log holds them.
	checkLatest(t, dir, files, want)

	code, out, errOut = runEv(t, "audit", "--data", dir)
	if code != 1 || !strings.Contains(out, "Archivos de evidencia con problemas: 4") || !strings.Contains(errOut, "4 archivos de evidencia faltan o cambiaron") {
		t.Errorf("audit: %d\n%s%s", code, out, errOut)
	}
	for n := range want {
		if !strings.Contains(out, sha(files[n])) {
			t.Errorf("audit output does not name %s", n)
		}
	}
	code, out, _ = runEv(t, "audit", "--data", dir, "--json")
	var rep struct {
		OK            bool                    `json:"ok"`
		EvidenceFiles []domain.BlobCheckState `json:"evidence_files"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || len(rep.EvidenceFiles) != 4 || !rep.OK {
		t.Errorf("audit --json: %d %v %+v", code, err, rep)
	}

	// The item API shows the alerts.
	_, url2, tok2, _ := reopenServer(t, dir)
	req, _ := http.NewRequest("GET", url2+"/api/v1/items/UP-1/files", nil)
	req.Header.Set("Authorization", "Bearer "+tok2)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var views []app.FileView
	if err := json.NewDecoder(resp.Body).Decode(&views); err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, v := range views {
		if v.Alert {
			alerts++
			if v.Check == nil || v.Check.Result != want[nameOf(files, v.SHA256)] {
				t.Errorf("file %s: check %+v", v.SHA256, v.Check)
			}
		}
	}
	if len(views) != len(names) || alerts != 4 {
		t.Errorf("item files: %d files, %d alerts: %+v", len(views), alerts, views)
	}
}

func nameOf(files map[string][]byte, h string) string {
	for n, b := range files {
		if sha(b) == h {
			return n
		}
	}
	return ""
}

// fsblobPath names a blob's file in a filesystem store, fsblob's layout.
type fsblobPath struct{ dir string }

func (f *fsblobPath) path(key string) string {
	s, err := fsblob.Open(f.dir)
	if err != nil {
		panic(err)
	}
	return s.Path(key)
}

func logSize(t *testing.T, dir string) int64 {
	t.Helper()
	d, err := deployment.Open(context.Background(), dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return d.Ledger.Size()
}

func checkLatest(t *testing.T, dir string, files map[string][]byte, want map[string]string) {
	t.Helper()
	d, err := deployment.Open(context.Background(), dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Ledger.View(func(st *domain.State) error {
		for n, b := range files {
			c := st.BlobCheckOf("UP-1", sha(b))
			w := want[n]
			if w == "" {
				w = domain.BlobOK
			}
			if c == nil || c.Result != w {
				t.Errorf("%s: latest check %+v, want %s", n, c, w)
			}
		}
		return nil
	})
}

// reopenServer serves an existing deployment with a fresh read token.
func reopenServer(t *testing.T, dir string) (*deployment.Deployment, string, string, func()) {
	t.Helper()
	now := func() time.Time { return time.Now().UTC() }
	d, err := deployment.Open(context.Background(), dir, now)
	if err != nil {
		t.Fatal(err)
	}
	appendRecs := app.LedgerAppender(d.Ledger, "system:test", now)
	tok, err := app.IssueToken(context.Background(), appendRecs, d.Store.Credentials(), now, "uploader", app.TokenRequest{Scope: "read"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newStack(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicKey: d.PublicKey, Blobs: d.Blobs})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ts := httptest.NewServer(s.Handler())
	stop := func() { s.CloseStreams(); ts.Close(); s.Close(); d.Close() }
	t.Cleanup(stop)
	return d, ts.URL, tok.Token, stop
}
