package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/evidence"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
)

// TestIntegrityJob: the scheduled job finds a flipped byte, a deleted
// file, a same-size swap and a truncation, records a blob.check event for
// each file, logs the alerts, and the item's data shows them.
func TestIntegrityJob(t *testing.T) {
	e, tok := uploadEnv(t)
	up := &evidence.Uploader{Server: e.ts.URL, Token: tok}
	files := map[string][]byte{}
	for i, n := range []string{"flip", "gone", "swap", "cut", "fine"} {
		b := bytes.Repeat([]byte{byte('A' + i)}, 200000+i)
		files[n] = b
		if _, err := up.Upload(t.Context(), "UP-1", custody.OpAttach, attachRecord(b, n), bytes.NewReader(b), int64(len(b))); err != nil {
			t.Fatalf("upload %s: %v", n, err)
		}
	}
	fs := e.d.Blobs.(*fsblob.Store)
	path := func(n string) string {
		p := fs.Path(attachRecord(files[n], n).SHA256)
		os.Chmod(p, 0o644)
		return p
	}
	flipped := bytes.Clone(files["flip"])
	flipped[1000] ^= 1
	must(t, os.WriteFile(path("flip"), flipped, 0o444))
	must(t, os.Remove(path("gone")))
	must(t, os.WriteFile(path("swap"), bytes.Repeat([]byte{'z'}, len(files["swap"])), 0o444))
	must(t, os.Truncate(path("cut"), 10))

	// A second server on the same ledger, with the job every 20 ms.
	logs := &syncBuffer{}
	s2, err := newServer(app.Config{Ledger: e.d.Ledger, Credentials: e.d.Store.Credentials(), Now: e.s.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Blobs:  e.d.Blobs, CheckInterval: 20 * time.Millisecond, CheckBytesPerSecond: 100 << 20})
	if err != nil {
		t.Fatal(err)
	}
	before := e.d.Ledger.Size()
	s2.Start()
	want := map[string]string{"flip": domain.BlobMismatch, "gone": domain.BlobMissing, "swap": domain.BlobMismatch, "cut": domain.BlobSize, "fine": domain.BlobOK}
	deadline := time.Now().Add(20 * time.Second)
	for {
		done := true
		e.d.Ledger.View(func(st *domain.State) error {
			for n, w := range want {
				c := st.BlobCheckOf("UP-1", attachRecord(files[n], n).SHA256)
				if c == nil || c.Result != w {
					done = false
				}
			}
			return nil
		})
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not record every result in 20 s; logs:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	s2.Close()
	if after := e.d.Ledger.Size(); after < before+5 {
		t.Errorf("%d events recorded, want at least 5", after-before)
	}
	if n := strings.Count(logs.String(), "evidence file alert"); n < 4 {
		t.Errorf("%d alerts logged, want at least 4:\n%s", n, logs.String())
	}
	// The item's data shows the alerts.
	code, body := e.do("GET", "/api/v1/items/UP-1", tok, "")
	var v app.ItemView
	if err := json.Unmarshal(body, &v); code != 200 || err != nil {
		t.Fatalf("item: %d %v %s", code, err, body)
	}
	alerts := 0
	for _, f := range v.Files {
		if f.Alert {
			alerts++
		}
	}
	if len(v.Files) != 5 || alerts != 4 {
		t.Errorf("item files: %d, alerts %d: %+v", len(v.Files), alerts, v.Files)
	}
}

// TestIntegrityRate: the job's reads respect its byte rate.
func TestIntegrityRate(t *testing.T) {
	e, tok := uploadEnv(t)
	b := bytes.Repeat([]byte("r"), 3<<20)
	up := &evidence.Uploader{Server: e.ts.URL, Token: tok}
	if _, err := up.Upload(t.Context(), "UP-1", custody.OpAttach, attachRecord(b, "r"), bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	s2, err := newServer(app.Config{Ledger: e.d.Ledger, Credentials: e.d.Store.Credentials(), Blobs: e.d.Blobs, CheckBytesPerSecond: 2 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s2.Start()
	defer s2.Close()
	start := time.Now()
	sum, err := s2.CheckFiles(context.Background())
	if err != nil || sum.Files != 1 || !sum.OK() {
		t.Fatalf("check: %+v %v", sum, err)
	}
	// 3 MiB at 2 MiB/s, less the limiter's initial burst (256 KiB).
	if d := time.Since(start); d < 1200*time.Millisecond {
		t.Errorf("3 MiB checked in %v at 2 MiB/s: the rate is not applied", d)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
