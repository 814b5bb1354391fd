package witness_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness"
	"github.com/custodia-ec/custodia/transparency/witness/witnesstest"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
)

// buildWitnessMain builds the custodia command, whose "witness"
// subcommand runs a witness from its data directory (ServeDir).
func buildWitnessMain(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed on PATH to build the custodia binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "custodia")
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/custodia-ec/custodia/cmd/custodia").CombinedOutput()
	if err != nil {
		t.Fatalf("go build custodia: %v\n%s", err, out)
	}
	return bin
}

// proc is a witness running as a separate process.
type proc struct {
	name, data, addr, vkey string
	cmd                    *exec.Cmd
	done                   chan struct{}
	mu                     sync.Mutex
	output                 bytes.Buffer
}

func startProc(t testing.TB, bin, data, name, addr, logVKey string) *proc {
	t.Helper()
	p := &proc{name: name, data: data, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "witness", "serve", "--data", data, "--addr", addr, "--name", name, "--log", logVKey)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &lockedWriter{p: p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.output.WriteString(line + "\n")
			if k, ok := strings.CutPrefix(line, "clave de cosignatura / cosignature key: "); ok {
				p.vkey = k
			}
			if a, ok := strings.CutPrefix(line, "escuchando en / listening on http://"); ok {
				p.addr = a
				close(ready)
			}
			p.mu.Unlock()
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("witness %s exited at start:\n%s", name, p.out())
	case <-time.After(30 * time.Second):
		t.Fatalf("witness %s did not start:\n%s", name, p.out())
	}
	return p
}

func (p *proc) out() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

func (p *proc) url() string { return "http://" + p.addr }

type lockedWriter struct{ p *proc }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.output.Write(b)
}

// servedSize reads the size of the witness's latest cosigned checkpoint.
func servedSize(t testing.TB, p *proc, l *witnesstest.Log) int64 {
	t.Helper()
	resp, err := http.Get(p.url() + "/checkpoint/" + url.PathEscape(l.Origin()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: GET checkpoint %d %s", p.name, resp.StatusCode, b)
	}
	cp, _, err := verify.ParseNote(b)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

// TestThreeWitnessProcesses runs three witnesses as separate processes. One
// is killed (SIGKILL) mid-run: the log keeps appending and checkpoints still
// reach 2-of-3. It is restarted on the same data directory: its state
// survived the kill, and the gatherer catches it up with the right proof.
func TestThreeWitnessProcesses(t *testing.T) {
	bin := buildWitnessMain(t)
	l := newLog(t, "custodia.test/fiscalia", 1)
	names := []string{"judiciary.test/w", "defensoria.test/w", "contraloria.test/w"}
	var procs []*proc
	var ws []witness.Witness
	for _, name := range names {
		p := startProc(t, bin, filepath.Join(t.TempDir(), "data"), name, "127.0.0.1:0", l.VKey())
		procs = append(procs, p)
		w, err := witness.NewWitness(name, p.url(), p.vkey)
		if err != nil {
			t.Fatalf("%v\n%s", err, p.out())
		}
		ws = append(ws, w)
	}
	fi, err := os.Stat(filepath.Join(procs[0].data, "witness.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("witness.key: %v mode %v, want 0600", err, fi.Mode())
	}
	g, err := witness.NewGatherer(witness.GathererConfig{
		Witnesses: ws, Quorum: witness.Threshold{K: 2, Names: names}, Proofs: l, Timeout: 3 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var verifiers []note.Verifier
	for _, w := range ws {
		verifiers = append(verifiers, w.Verifier)
	}

	ctx := context.Background()
	victim := procs[1]
	var sizeAtKill int64
	for i := 0; i < 16; i++ {
		if err := l.AppendN(1 + i); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			// Mid-run, while the log goes on: SIGKILL, no chance to clean up.
			sizeAtKill = servedSize(t, victim, l)
			victim.cmd.Process.Signal(syscall.SIGKILL)
			<-victim.done
		}
		if i == 10 {
			victim = startProc(t, bin, victim.data, victim.name, victim.addr, l.VKey())
			procs[1] = victim
			if got := servedSize(t, victim, l); got != sizeAtKill {
				t.Fatalf("after restart the witness serves size %d, it had cosigned %d before the kill", got, sizeAtKill)
			}
		}
		res, err := g.Gather(ctx, checkpoint(t, l))
		if err != nil {
			t.Fatal(err)
		}
		down := i >= 5 && i < 10
		want := 3
		if down {
			want = 2
		}
		if !res.QuorumMet || len(res.Cosigners) != want {
			t.Fatalf("step %d (size %d): quorum %v, cosigners %v, statuses %+v", i, l.Size(), res.QuorumMet, res.Cosigners, res.Statuses)
		}
		st := statusOf(res, victim.name)
		if down && st.Status != witness.StatusDown {
			t.Fatalf("step %d: killed witness status %+v, want down", i, st)
		}
		if !down && st.Status != witness.StatusOK {
			t.Fatalf("step %d: witness status %+v\n%s", i, st, victim.out())
		}
		n, err := note.Open(res.Checkpoint, note.VerifierList(append([]note.Verifier{l.Verifier()}, verifiers...)...))
		if err != nil || len(n.Sigs) != 1+want {
			t.Fatalf("step %d: published checkpoint: %v (%d signatures)\n%s", i, err, len(n.Sigs), res.Checkpoint)
		}
	}
	for _, p := range procs {
		if got := servedSize(t, p, l); got != l.Size() {
			t.Errorf("%s serves size %d, want %d", p.name, got, l.Size())
		}
	}

	// A log server that restarts knows nothing of the witnesses' sizes:
	// every witness answers 409 and is caught up with the right proof.
	if err := l.AppendN(7); err != nil {
		t.Fatal(err)
	}
	g2, _ := witness.NewGatherer(witness.GathererConfig{Witnesses: ws, Quorum: witness.Threshold{K: 3, Names: names}, Proofs: l})
	res, err := g2.Gather(ctx, checkpoint(t, l))
	if err != nil || !res.QuorumMet {
		t.Fatalf("after log restart: %v %+v", err, res)
	}
	for _, st := range res.Statuses {
		if !st.CaughtUp {
			t.Errorf("%s: not caught up via 409: %+v", st.Name, st)
		}
	}

	// Graceful shutdown on SIGTERM.
	procs[0].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-procs[0].done:
	case <-time.After(15 * time.Second):
		t.Fatal("witness did not stop on SIGTERM")
	}
	if code := procs[0].cmd.ProcessState.ExitCode(); code != 0 || !strings.Contains(procs[0].out(), "witness stopped") {
		t.Fatalf("SIGTERM: exit %d\n%s", code, procs[0].out())
	}
}
