package monitor_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/transparency/monitor"
	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func newLog(t *testing.T, n int) *witnesstest.Log {
	t.Helper()
	l, err := witnesstest.NewLog("custodia.test/fiscalia")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendN(n); err != nil {
		t.Fatal(err)
	}
	return l
}

func cpAt(t *testing.T, l *witnesstest.Log, n int64) []byte {
	t.Helper()
	cp, err := l.CheckpointAt(n)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func TestCheckConsistentHistory(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, 700)
	var inputs []monitor.Input
	for _, n := range []int64{0, 1, 5, 256, 256, 300, 513, 700} {
		inputs = append(inputs, monitor.Input{Source: "cp", Note: cpAt(t, l, n)})
	}
	cfg := monitor.Config{LogKeys: []note.Verifier{l.Verifier()}, Proofs: l}
	rep, err := monitor.Check(ctx, cfg, inputs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || len(rep.Observations) != len(inputs) {
		t.Fatalf("findings on an honest history: %+v", rep.Findings)
	}
	// Without a proof source, different sizes are reported as unchecked,
	// not as a fork.
	rep, _ = monitor.Check(ctx, monitor.Config{LogKeys: cfg.LogKeys}, inputs)
	if rep.Forked() || len(rep.Findings) == 0 || rep.Findings[0].Kind != monitor.KindUnchecked {
		t.Fatalf("without proofs: %+v", rep.Findings)
	}
	// A different origin is compared only with itself.
	other, _ := witnesstest.NewLog("other.test/log")
	other.AppendN(256)
	rep, _ = monitor.Check(ctx, monitor.Config{LogKeys: []note.Verifier{l.Verifier(), other.Verifier()}},
		[]monitor.Input{{Source: "a", Note: cpAt(t, l, 256)}, {Source: "b", Note: cpAt(t, other, 256)}})
	if len(rep.Findings) != 0 {
		t.Fatalf("two origins compared: %+v", rep.Findings)
	}
}

func TestCheckSignedByWrongKey(t *testing.T) {
	l := newLog(t, 3)
	impostor := newLog(t, 3) // same origin, another key
	rep, err := monitor.Check(context.Background(), monitor.Config{LogKeys: []note.Verifier{l.Verifier()}},
		[]monitor.Input{{Source: "good", Note: cpAt(t, l, 3)}, {Source: "impostor", Note: cpAt(t, impostor, 3)}})
	if err != nil {
		t.Fatal(err)
	}
	// A checkpoint the log did not sign proves nothing about the log.
	if rep.Forked() || !rep.Invalid() || len(rep.Observations) != 1 {
		t.Fatalf("%+v", rep)
	}
}

func TestTileSource(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, 600)
	hs := httptest.NewServer(l.Handler())
	defer hs.Close()
	src := &monitor.TileSource{URL: hs.URL, Verifier: l.Verifier()}
	for _, pair := range [][2]int64{{1, 2}, {5, 256}, {255, 257}, {256, 512}, {300, 600}, {600, 600}} {
		p, err := src.ConsistencyProof(ctx, pair[0], pair[1])
		if err != nil {
			t.Fatalf("%v: %v", pair, err)
		}
		a, _ := l.Tree(pair[0])
		b, _ := l.Tree(pair[1])
		if err := tlog.CheckTree(p, b.N, b.Hash, a.N, a.Hash); err != nil {
			t.Fatalf("%v: proof from tiles does not verify: %v", pair, err)
		}
	}
	if _, err := src.ConsistencyProof(ctx, 5, 601); err == nil {
		t.Fatal("proof beyond the log's size")
	}
	// A log that serves a tampered tile is caught by the tile hash reader.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		l.Handler().ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		if strings.HasPrefix(r.URL.Path, "/tile/") && len(b) > 0 {
			b[0] ^= 1
		}
		w.WriteHeader(rec.Code)
		w.Write(b)
	}))
	defer bad.Close()
	if _, err := (&monitor.TileSource{URL: bad.URL, Verifier: l.Verifier()}).ConsistencyProof(ctx, 5, 600); err == nil {
		t.Fatal("tampered tiles accepted")
	}
}

func TestRunWithLogURL(t *testing.T) {
	ctx := context.Background()
	l := newLog(t, 40)
	dir := t.TempDir()
	old := filepath.Join(dir, "old.txt")
	os.WriteFile(old, cpAt(t, l, 17), 0o644)
	l.AppendN(300)
	hs := httptest.NewServer(l.Handler())
	defer hs.Close()

	rep, err := monitor.Run(ctx, monitor.Options{Files: []string{old}, LogURL: hs.URL, Keys: []string{l.VKey()}})
	if err != nil || rep.Forked() || rep.Invalid() {
		t.Fatalf("honest log: %v %+v", err, rep)
	}
	var out bytes.Buffer
	monitor.WriteText(&out, rep)
	if !strings.Contains(out.String(), "coherente / RESULT: consistent") {
		t.Fatalf("output:\n%s", out.String())
	}
	// A checkpoint of size 30 from a fork: the log's tiles cannot reconcile it.
	fork, _ := l.Fork(20)
	fork.Append([]byte("x"))
	fork.AppendN(9)
	forked := filepath.Join(dir, "forked.txt")
	os.WriteFile(forked, cpAt(t, fork, 30), 0o644)
	rep, err = monitor.Run(ctx, monitor.Options{Files: []string{forked}, LogURL: hs.URL, Keys: []string{l.VKey()}})
	if err != nil || !rep.Forked() {
		t.Fatalf("forked checkpoint: %v %+v", err, rep)
	}
	out.Reset()
	monitor.WriteText(&out, rep)
	if !strings.Contains(out.String(), "INCONSISTENT") || !strings.Contains(out.String(), string(cpAt(t, fork, 30))) {
		t.Fatalf("output lacks the evidence:\n%s", out.String())
	}
}

func TestRunBadInput(t *testing.T) {
	l := newLog(t, 3)
	dir := t.TempDir()
	good := filepath.Join(dir, "cp.txt")
	os.WriteFile(good, cpAt(t, l, 3), 0o644)
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`{"nope": 1}`), 0o644)
	for _, tc := range []struct {
		opts monitor.Options
		want string
	}{
		{monitor.Options{}, "no checkpoints"},
		{monitor.Options{Files: []string{good}, Keys: []string{"bad"}}, "not a log public key"},
		{monitor.Options{Files: []string{filepath.Join(dir, "missing")}}, "missing"},
		{monitor.Options{Files: []string{garbage}}, "no \"checkpoint\" field"},
		{monitor.Options{Files: []string{good}, Witnesses: []string{"bad"}}, "invalid witness public key"},
		{monitor.Options{Files: []string{good}, LogURL: "http://127.0.0.1:1"}, "exactly one --key"},
	} {
		_, err := monitor.Run(context.Background(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%+v) = %v, want %q", tc.opts, err, tc.want)
		}
	}
	// Without keys the report says that signatures were not checked.
	rep, err := monitor.Run(context.Background(), monitor.Options{Files: []string{good}})
	if err != nil || rep.KeyChecked {
		t.Fatalf("no key: %v %+v", err, rep)
	}
	var out bytes.Buffer
	monitor.WriteText(&out, rep)
	if !strings.Contains(out.String(), "WARNING") {
		t.Fatalf("no key:\n%s", out.String())
	}
}

func TestParseInput(t *testing.T) {
	l := newLog(t, 3)
	cp := cpAt(t, l, 3)
	js := func(s string) []byte { return []byte(s) }
	body := (&witness.AddCheckpointRequest{OldSize: 2, Checkpoint: cp}).Marshal()
	quoted := strings.ReplaceAll(strings.ReplaceAll(string(cp), "\n", `\n`), "—", `\u2014`)
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"note", cp, true},
		{"bundle", js(`{"checkpoint": "` + quoted + `", "events": []}`), true},
		{"bundle with object", js(`{"checkpoint": {"note": "` + quoted + `"}}`), true},
		{"add-checkpoint body", body, true},
		{"bundle without checkpoint", js(`{"events": []}`), false},
		{"bad JSON", js(`{"checkpoint": `), false},
		{"checkpoint of wrong type", js(`{"checkpoint": 7}`), false},
		{"broken body", []byte("old x\n"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := monitor.ParseInput(tc.name, tc.data)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && !bytes.Equal(in.Note, cp) {
				t.Fatalf("note %q, want %q", in.Note, cp)
			}
		})
	}
}
