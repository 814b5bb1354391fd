package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/transparency/monitor"
)

// TestMonitorCommand: against the log's tiles, an honest older checkpoint
// exits 0 and a forked one exits 1, with the evidence printed.
func TestMonitorCommand(t *testing.T) {
	ctx := context.Background()
	l := witnessLog(t, "custodia.test/fiscalia", 40)
	dir := t.TempDir()
	old := filepath.Join(dir, "old.txt")
	cp17, err := l.CheckpointAt(17)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(old, cp17, 0o644)
	l.AppendN(300)
	hs := httptest.NewServer(l.Handler())
	defer hs.Close()

	var out, errb bytes.Buffer
	if code := run(ctx, []string{"monitor", old, "--log", hs.URL, "--key", l.VKey()}, &out, &errb); code != 0 {
		t.Fatalf("honest log: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "coherente / RESULT: consistent") {
		t.Fatalf("output:\n%s", out.String())
	}
	fork, _ := l.Fork(20)
	fork.Append([]byte("x"))
	fork.AppendN(9)
	cp30, _ := fork.CheckpointAt(30)
	forked := filepath.Join(dir, "forked.txt")
	os.WriteFile(forked, cp30, 0o644)
	out.Reset()
	if code := run(ctx, []string{"monitor", "--log=" + hs.URL, "--key=" + l.VKey(), forked}, &out, &errb); code != 1 {
		t.Fatalf("forked checkpoint: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "INCONSISTENT") || !strings.Contains(out.String(), string(cp30)) {
		t.Fatalf("output lacks the evidence:\n%s", out.String())
	}
	// --json before the subcommand, as a common flag.
	out.Reset()
	if code := run(ctx, []string{"--json", "monitor", "--log", hs.URL, "--key", l.VKey(), forked}, &out, &errb); code != 1 {
		t.Fatalf("--json monitor: exit %d\n%s", code, errb.String())
	}
	var rep monitor.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !rep.Forked() {
		t.Fatalf("--json monitor: %v\n%s", err, out.String())
	}
}

func TestMonitorUsage(t *testing.T) {
	l := witnessLog(t, "custodia.test/fiscalia", 3)
	dir := t.TempDir()
	good := filepath.Join(dir, "cp.txt")
	cp, _ := l.CheckpointAt(3)
	os.WriteFile(good, cp, 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no checkpoints"},
		{[]string{good, "--key"}, 2, "flag --key needs a value"},
		{[]string{good, "--key", "bad"}, 2, "no es una clave pública de registro"},
		{[]string{good, "--frobnicate"}, 2, "unknown flag --frobnicate (custodia monitor --help)"},
		{[]string{filepath.Join(dir, "missing")}, 2, "missing"},
		{[]string{good, "--witness", "bad"}, 2, "invalid witness public key"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"monitor"}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) || out.Len() != 0 {
			t.Errorf("monitor %q = %d %q %q, want %d and %q", tc.args, code, out.String(), errb.String(), tc.code, tc.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"monitor", good}, &out, &errb); code != 0 || !strings.Contains(out.String(), "WARNING") {
		t.Fatalf("no key: %d\n%s", code, out.String())
	}
}

// TestMonitorKeyFile: --key takes the log's key file, as verify's --key
// does (a new user passed DATA/log.pub and was told "clave inválida /
// invalid key: malformed verifier id", x/mod's English); a key that is
// not one says what a key looks like, without the library's words; a
// missing checkpoint file is named in Spanish, not the system's English.
func TestMonitorKeyFile(t *testing.T) {
	l := witnessLog(t, "custodia.test/fiscalia", 3)
	dir := t.TempDir()
	good, pub := filepath.Join(dir, "cp.txt"), filepath.Join(dir, "log.pub")
	cp, _ := l.CheckpointAt(3)
	os.WriteFile(good, cp, 0o644)
	os.WriteFile(pub, []byte(l.VKey()+"\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"monitor", good, "--key", pub}, &out, &errb); code != 0 || strings.Contains(out.String(), "AVISO") || !strings.Contains(out.String(), "coherente") {
		t.Errorf("monitor --key FILE: exit %d\n%s%s", code, out.String(), errb.String())
	}
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"monitor", good, "--key", "custodia.test/x+0000"}, "no es una clave pública de registro", "malformed"},
		{[]string{"monitor", filepath.Join(dir, "falta.txt")}, "custodia monitor: no existe", "no such file"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(context.Background(), tc.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) || strings.Contains(errb.String(), tc.not) {
			t.Errorf("%q: exit %d %q, want %q without %q", tc.args, code, errb.String(), tc.want, tc.not)
		}
	}
}
