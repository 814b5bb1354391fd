package cosigning_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custodia-ec/custodia"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
	"github.com/custodia-ec/custodia/transparency/cosigning"
	"github.com/custodia-ec/custodia/verify"
)

// buildCustodia builds the real binary: the witnesses run as separate
// processes, as they would at other institutions.
func buildCustodia(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "custodia")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/custodia").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type witnessProc struct {
	name, dir, url, vkey string
	addr                 string
	cmd                  *exec.Cmd
}

func (w *witnessProc) start(t *testing.T, bin, logKey string) {
	t.Helper()
	addr := w.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	cmd := exec.Command(bin, "witness", "serve", "--data", w.dir, "--addr", addr, "--name", w.name, "--log", logKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.cmd = cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	deadline := time.After(30 * time.Second)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "escuchando en / listening on http://"); ok {
				found <- a
			}
		}
	}()
	select {
	case a := <-found:
		w.addr = a
		w.url = "http://" + a
	case <-deadline:
		t.Fatalf("witness %s did not start", w.name)
	}
}

// TestThreeWitnesses runs a log with three witness processes and a 2-of-3
// policy. One witness is killed mid-run: the log keeps accepting events and
// its checkpoints still reach 2-of-3; the witness comes back on the same
// address and state, and is caught up with a consistency proof.
func TestThreeWitnesses(t *testing.T) {
	ctx := context.Background()
	bin := buildCustodia(t)
	dir := filepath.Join(t.TempDir(), "log")
	if _, err := deployment.Init(ctx, dir, "custodia.test/witnessed"); err != nil {
		t.Fatal(err)
	}
	d, err := deployment.Open(ctx, dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	logKey := d.PublicKey

	ws := make([]*witnessProc, 3)
	var policy bytes.Buffer
	fmt.Fprintf(&policy, "log %s\n", logKey)
	for i := range ws {
		w := &witnessProc{name: fmt.Sprintf("testigo-%d", i+1), dir: filepath.Join(t.TempDir(), fmt.Sprint("w", i+1))}
		out, err := exec.Command(bin, "witness", "key", "--data", w.dir, "--name", w.name).Output()
		if err != nil {
			t.Fatalf("witness key: %v", err)
		}
		w.vkey = strings.TrimSpace(string(out))
		w.start(t, bin, logKey)
		ws[i] = w
		fmt.Fprintf(&policy, "witness %s %s %s\n", w.name, w.vkey, w.url)
	}
	fmt.Fprintf(&policy, "group tres 2 testigo-1 testigo-2 testigo-3\nquorum tres\n")

	pub, err := cosigning.New(d.Ledger, policy.Bytes(), time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ledger.Import(ctx, bytes.NewReader(custodia.Metastasis), custody.FileSHA256(custodia.Metastasis), nil); err != nil {
		t.Fatal(err)
	}
	if err := pub.Once(ctx); err != nil {
		t.Fatalf("first publication: %v", err)
	}
	if st := pub.Status(); len(st.Cosigners) != 3 || !st.QuorumMet {
		t.Fatalf("all three witnesses up: cosigners %v, quorum %v (%s)", st.Cosigners, st.QuorumMet, st.Err)
	}

	// Kill one witness mid-run. The log keeps accepting events.
	ws[2].cmd.Process.Signal(syscall.SIGKILL)
	ws[2].cmd.Wait()
	holder, other := "cust.chi", "lab.1"
	// Both parties sign each handover with keys registered in the log.
	keys := map[string]*testkeys.Key{holder: testkeys.Ed25519(holder), other: testkeys.Ed25519(other)}
	by := custody.Recorded{At: time.Now().UTC().Format(time.RFC3339Nano), Account: "test"}
	var enrol []ledger.Record
	for _, k := range keys {
		enrol = append(enrol, ledger.Record{Op: custody.OpKeyRequest, Rec: k.Request(time.Now().Add(-time.Hour)), Recorded: by},
			ledger.Record{Op: custody.OpKeyApprove, Rec: k.Approve(time.Now().Add(-time.Hour)), Recorded: by})
	}
	if res, _, err := d.Ledger.Append(ctx, enrol); err != nil || res[0].Err != nil {
		t.Fatalf("enrolling keys: %v %v", err, res)
	}
	transfer := func(at string) {
		t.Helper()
		rec := &custody.Transfer{Item: "E-CHI-03-07", From: holder, To: other, At: at, Purpose: "analysis", SealCondition: "intact", Location: "Laboratorio"}
		sigs := []custody.Sig{keys[holder].SignAct(custody.RoleFrom, custody.OpTransfer, rec), keys[other].SignAct(custody.RoleTo, custody.OpTransfer, rec)}
		holder, other = other, holder
		res, _, err := d.Ledger.Append(ctx, []ledger.Record{{Op: custody.OpTransfer, Rec: rec, Sigs: sigs, Recorded: custody.Recorded{At: time.Now().UTC().Format(time.RFC3339Nano), Account: "test"}}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("append while a witness is down: %v %v", err, res)
		}
	}
	transfer("2024-01-10T09:00:00-05:00")
	if err := pub.Once(ctx); err != nil {
		t.Fatalf("publication with a witness down: %v", err)
	}
	st := pub.Status()
	if len(st.Cosigners) != 2 || !st.QuorumMet {
		t.Fatalf("one witness down: cosigners %v, quorum %v, want 2-of-3 met", st.Cosigners, st.QuorumMet)
	}
	for _, s := range st.Witnesses {
		if s.Name == "testigo-3" && s.Status == "ok" {
			t.Errorf("the killed witness is reported ok: %+v", s)
		}
	}

	// The bundle carries the 2-of-3 cosigned checkpoint and passes the policy.
	b, err := d.Ledger.ExportBundle(ctx, "E-CHI-03-07", logKey)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(b)
	res, err := verify.Verify(raw, verify.Options{TrustedKey: logKey, Policy: policy.Bytes()})
	if err != nil {
		t.Fatalf("verify with the policy: %v", err)
	}
	if res.Witnesses == nil || len(res.Witnesses.Signed) != 2 || len(res.Witnesses.Missing) != 1 || res.Witnesses.Missing[0] != "testigo-3" {
		t.Fatalf("verify's witness result: %+v", res.Witnesses)
	}

	// The witness comes back with its state, behind; it is caught up.
	ws[2].start(t, bin, logKey)
	transfer("2024-01-11T09:00:00-05:00")
	if err := pub.Once(ctx); err != nil {
		t.Fatalf("publication after the restart: %v", err)
	}
	if st := pub.Status(); len(st.Cosigners) != 3 {
		t.Fatalf("after the restart: cosigners %v, want all three (%+v)", st.Cosigners, st.Witnesses)
	}

	// The log publishes the cosigned checkpoint of its latest size.
	pubcp, err := d.Ledger.PublishedCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(pubcp.Note), "\n— "); got != 4 {
		t.Errorf("published checkpoint has %d signature lines, want the log's and three witnesses':\n%s", got, pubcp.Note)
	}

	// A cosigned checkpoint edited in the database is found by audit.
	rep, err := ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), d.Config.Rules())
	if err != nil || !rep.OK {
		t.Fatalf("audit of the witnessed log: %v %+v", err, rep)
	}
	if _, err := d.Store.(*sqlite.Store).DB().Exec(`UPDATE cosigned SET note = replace(note, X'0a', X'0a0a') WHERE size = (SELECT max(size) FROM cosigned)`); err != nil {
		t.Fatal(err)
	}
	rep, err = ledger.Audit(ctx, d.Store, d.Ledger.Verifier(), d.Config.Rules())
	if err != nil || rep.OK {
		t.Fatalf("audit after editing a cosigned checkpoint: OK %v, %v", rep.OK, err)
	}
}
