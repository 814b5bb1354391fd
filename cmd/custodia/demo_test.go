package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// serveOnce starts `custodia serve` with args, waits for its address, and
// returns it with the output; stop shuts it down and checks the exit.
func serveOnce(t *testing.T, args ...string) (addr string, out, errb *lockedBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a test that fails early still stops its server
	out, errb = &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), out, errb) }()
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(60 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("serve did not start: %s", errb.String())
	}
	return addr, out, errb, func() {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not shut down")
		}
	}
}

func demoPassword(out string, account string) string {
	m := regexp.MustCompile(`(?m)^\s+` + account + `\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

func loginStatus(t *testing.T, addr, account, password string) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/api/v1/login", "application/json", strings.NewReader(fmt.Sprintf(`{"account":%q,"password":%q}`, account, password)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeDemoReset: a second `serve --demo` says how to get passwords
// again; `serve --demo --reset-demo` prints new ones, which sign in while
// the old ones no longer do, and the change is in the audited record.
func TestServeDemoReset(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, out, _, stop := serveOnce(t, "--demo", "--data", dir)
	stop()
	first := demoPassword(out.String(), "demo-auditor")
	if first == "" {
		t.Fatalf("no demo password printed:\n%s", out.String())
	}

	_, out, errb, stop := serveOnce(t, "--demo", "--data", dir)
	stop()
	if demoPassword(out.String(), "demo-auditor") != "" || !strings.Contains(errb.String(), "custodia serve --demo --reset-demo") {
		t.Errorf("second start: out %q, stderr lacks the --reset-demo hint:\n%s", out.String(), errb.String())
	}

	addr, out, _, stop := serveOnce(t, "--demo", "--reset-demo", "--data", dir)
	second := demoPassword(out.String(), "demo-auditor")
	if second == "" || second == first {
		t.Fatalf("reset printed %q (first %q):\n%s", second, first, out.String())
	}
	for _, a := range []string{"demo-prosecutor", "demo-agent", "demo-forensic", "demo-defense"} {
		if demoPassword(out.String(), a) == "" {
			t.Errorf("no new password for %s", a)
		}
	}
	if st := loginStatus(t, addr, "demo-auditor", first); st == 200 {
		t.Error("the old demo password still signs in")
	}
	if st := loginStatus(t, addr, "demo-auditor", second); st != 200 {
		t.Errorf("the new demo password: %d", st)
	}
	stop()
	if code, _, e := runCLI(t, "audit", "--data", dir); code != 0 {
		t.Errorf("audit after the reset: %d %s", code, e)
	}
	if code, _, e := runCLI(t, "serve", "--reset-demo", "--data", dir); code != 2 || !strings.Contains(e, "--demo") {
		t.Errorf("--reset-demo without --demo: %d %s", code, e)
	}
	if code, _, e := runCLI(t, "serve", "--zone", "Mars/Olympus", "--data", dir); code != 2 || !strings.Contains(e, "Mars/Olympus") {
		t.Errorf("unknown zone: %d %s", code, e)
	}
}
