package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
)

func witnessLog(t testing.TB, origin string, n int) *witnesstest.Log {
	t.Helper()
	l, err := witnesstest.NewLog(origin)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AppendN(n); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestWitnessUsage covers the witness command's refusals, and its logs file.
func TestWitnessUsage(t *testing.T) {
	l := witnessLog(t, "custodia.test/fiscalia", 1)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve"}, 2, "--data"},
		{[]string{"bogus", "--data", dir}, 2, "unknown command"},
		{[]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, 1, "no log configured"},
		{[]string{"serve", "--data", dir, "--log", "nonsense"}, 1, "invalid public key"},
		{[]string{"serve", "--data", dir, "--log", l.VKey(), "--addr", "256.0.0.1:1"}, 1, "listen"},
		{[]string{"key", "--data", dir, "--name", "other.test/w"}, 1, "is named"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"witness"}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("custodia witness %q = %d, %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
	// The logs file in the data directory configures logs too.
	if err := os.WriteFile(filepath.Join(dir, "logs"), []byte("# custodia\n"+l.Origin()+"="+l.VKey()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"witness", "serve", "--data", dir, "--addr", "127.0.0.1:0"}, &out, &errb)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "log: "+l.Origin()) {
		t.Fatalf("serve with logs file: %d\n%s%s", code, out.String(), errb.String())
	}
	var kout bytes.Buffer
	if code := run(context.Background(), []string{"witness", "key", "--data", dir}, &kout, &errb); code != 0 || !strings.Contains(out.String(), strings.TrimSpace(kout.String())) {
		t.Fatalf("key: %d %q", code, kout.String())
	}
	// --data before the subcommand names the same directory.
	var kout2 bytes.Buffer
	if code := run(context.Background(), []string{"--data", dir, "witness", "key"}, &kout2, &errb); code != 0 || kout2.String() != kout.String() {
		t.Fatalf("--data DIR witness key: %d %q, want %q", code, kout2.String(), kout.String())
	}
}
