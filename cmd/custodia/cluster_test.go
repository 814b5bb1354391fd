package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/loadgen"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/blob/s3blob/s3test"
	"github.com/custodia-ec/custodia/storage/postgres"
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
	"github.com/custodia-ec/custodia/verify"
)

// cluster is one deployment served by several `custodia serve` processes
// (each with its own data directory: a copy of the log key and
// config.json) on one PostgreSQL database and one S3 bucket, sending its
// checkpoints to a witness that runs as a process of its own.
type cluster struct {
	t       *testing.T
	bin     string
	dsn     string
	dep     *loadgen.Deployment
	dirs    []string
	addrs   []string
	servers []*loadgen.Server
	policy  string // the witness policy file
	logKey  string
}

const clusterClients = 8

func newCluster(t *testing.T, dsn string, servers int) *cluster {
	t.Helper()
	ctx := context.Background()
	c := &cluster{t: t, bin: buildBinary(t), dsn: dsn}
	gw := s3test.Start(t)
	t.Setenv(deployment.EnvS3AccessKey, gw.AccessKey)
	t.Setenv(deployment.EnvS3SecretKey, gw.SecretKey)
	root := t.TempDir()
	for i := range servers {
		c.dirs = append(c.dirs, filepath.Join(root, fmt.Sprintf("server%d", i+1)))
	}
	var err error
	c.dep, err = loadgen.PrepareWith(ctx, c.bin, c.dirs[0], clusterClients, "--db", dsn, "--origin", "custodia.test/cluster",
		"--s3-endpoint", gw.Endpoint, "--s3-bucket", gw.Bucket, "--s3-prefix", "cluster", "--s3-insecure")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.dirs[0], deployment.DBFile)); err == nil {
		t.Fatal("the deployment made a SQLite database: it is on PostgreSQL")
	}
	// Adding a server: a data directory with the key, the public key and
	// config.json.
	for _, dir := range c.dirs[1:] {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{deployment.KeyFile, deployment.PubFile, deployment.ConfigFile} {
			b, err := os.ReadFile(filepath.Join(c.dirs[0], f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c.logKey, err = deployment.ReadPublicKey(c.dirs[0]); err != nil {
		t.Fatal(err)
	}
	c.policy = c.startWitness(root)
	for range c.dirs {
		addr, err := loadgen.FreeAddr()
		if err != nil {
			t.Fatal(err)
		}
		c.addrs = append(c.addrs, addr)
	}
	c.servers = make([]*loadgen.Server, servers)
	for i := range c.dirs {
		c.start(i)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			if s != nil {
				s.Kill()
			}
		}
	})
	return c
}

// start starts server i (again, after a kill) and waits until it is ready.
func (c *cluster) start(i int) {
	c.t.Helper()
	s, err := c.dep.StartServer(context.Background(), c.dirs[i], c.addrs[i], "--policy", c.policy)
	if err != nil {
		c.t.Fatalf("server %d: %v", i+1, err)
	}
	c.servers[i] = s
}

// startWitness runs `custodia witness serve` for the log and returns the
// path of a policy file naming it, with a quorum of it.
func (c *cluster) startWitness(root string) string {
	t := c.t
	t.Helper()
	dir := filepath.Join(root, "witness")
	out, err := exec.Command(c.bin, "witness", "key", "--data", dir, "--name", "testigo-1").Output()
	if err != nil {
		t.Fatalf("witness key: %v", err)
	}
	wkey := strings.TrimSpace(string(out))
	cmd := exec.Command(c.bin, "witness", "serve", "--data", dir, "--addr", "127.0.0.1:0", "--name", "testigo-1", "--log", c.logKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "escuchando en / listening on http://"); ok {
				found <- a
			}
		}
	}()
	var addr string
	select {
	case addr = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("the witness did not start")
	}
	policy := filepath.Join(root, "testigos.txt")
	body := fmt.Sprintf("log %s\nwitness testigo-1 %s http://%s\nquorum testigo-1\n", c.logKey, wkey, addr)
	if err := os.WriteFile(policy, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return policy
}

// load runs the load's clients against every server that is up, each
// client sending its requests to the servers in turn, while during runs.
func (c *cluster) load(ctx context.Context) *loadgen.Stats {
	return loadgen.RunWith(ctx, loadgen.Options{Addrs: c.addrs, Token: c.dep.Token, Clients: clusterClients, Keys: c.dep.Keys})
}

// custodia runs the binary and fails the test unless it exits 0.
func (c *cluster) custodia(args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("custodia %s: %v\n%s%s", strings.Join(args, " "), err, out, errb.String())
	}
	return string(out)
}

// checkAcked reads the log straight from the database and checks that its
// seqs follow each other from 0, that every acknowledged transfer is there
// at the seq it was acknowledged with, each once, and returns the
// transfers of each item the log holds.
func (c *cluster) checkAcked(dsn string, acks []loadgen.Ack) map[string]int {
	t := c.t
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	transfers := map[int64]string{}
	perItem := map[string]int{}
	var next int64
	err = st.ScanEvents(ctx, 0, func(se ledger.StoredEvent) error {
		if se.Seq != next {
			return fmt.Errorf("event %d where %d belongs: the log has a gap", se.Seq, next)
		}
		next++
		ev, err := fastcodec.DecodeEvent(se.Data)
		if err != nil {
			return err
		}
		if ev.Op == custody.OpTransfer {
			var tr custody.Transfer
			if err := json.Unmarshal(ev.Record, &tr); err != nil {
				return err
			}
			transfers[se.Seq] = tr.Item
			perItem[tr.Item]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, a := range acks {
		if seen[a.Seq] {
			t.Fatalf("two acknowledgements name event %d", a.Seq)
		}
		seen[a.Seq] = true
		if transfers[a.Seq] != a.Item {
			t.Fatalf("the transfer of %s acknowledged as event %d is not in the log (event %d is %q)", a.Item, a.Seq, a.Seq, transfers[a.Seq])
		}
	}
	return perItem
}

// logSize reads the log's size straight from a database.
func (c *cluster) logSize(dsn string) int64 {
	c.t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Size(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// cosignedSize waits up to a minute for the database to hold a checkpoint
// the witness cosigned, and returns the largest size of one.
func (c *cluster) cosignedSize(dsn string) int64 {
	t := c.t
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 300 {
		cos, err := st.Cosigned(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(cos); n > 0 {
			if strings.Count(string(cos[n-1].Note), "\n— ") != 2 {
				t.Fatalf("cosigned checkpoint %d has no witness signature:\n%s", cos[n-1].Size, cos[n-1].Note)
			}
			return cos[n-1].Size
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the witness cosigned nothing")
	return 0
}

// waitCosigned waits until server i publishes a checkpoint of at least size
// min that the witness cosigned, and returns it.
func (c *cluster) waitCosigned(i int, min int64) []byte {
	t := c.t
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + c.addrs[i] + "/log/checkpoint")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Count(string(b), "\n— ") == 2 {
				_, cp, err := verify.OpenNote(b, note.VerifierList(mustVerifier(t, c.logKey)))
				if err != nil {
					t.Fatalf("server %d's checkpoint: %v", i+1, err)
				}
				if cp.Size >= min {
					return b
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("server %d never published a cosigned checkpoint of size %d or more", i+1, min)
	return nil
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// verifyIndependently checks the log as an outside client would, with
// x/mod's tlog only: the checkpoint (signed by the log) from server i, the
// hash tiles from server j, which must hash to the checkpoint's root, and
// an inclusion proof of event seq computed from those tiles.
func (c *cluster) verifyIndependently(i, j int, cpNote []byte, seq int64, leaf []byte) {
	t := c.t
	t.Helper()
	_, cp, err := verify.OpenNote(cpNote, note.VerifierList(mustVerifier(t, c.logKey)))
	if err != nil {
		t.Fatal(err)
	}
	tree := tlog.Tree{N: cp.Size, Hash: cp.Root}
	thr := tlog.TileHashReader(tree, httpTiles{base: "http://" + c.addrs[j]})
	root, err := tlog.TreeHash(cp.Size, thr)
	if err != nil {
		t.Fatalf("the tiles of server %d for server %d's checkpoint: %v", j+1, i+1, err)
	}
	if root != cp.Root {
		t.Fatalf("the tiles of server %d hash to another root than server %d's checkpoint", j+1, i+1)
	}
	p, err := tlog.ProveRecord(cp.Size, seq, thr)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p, cp.Size, cp.Root, seq, tlog.RecordHash(leaf)); err != nil {
		t.Fatalf("event %d is not in server %d's checkpoint by server %d's tiles: %v", seq, i+1, j+1, err)
	}
}

// httpTiles is a tlog.TileReader over a server's /log/tile/ endpoint.
type httpTiles struct{ base string }

func (h httpTiles) Height() int { return 8 }

func (h httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		resp, err := http.Get(h.base + "/log/tile/" + strings.TrimPrefix(tl.Path(), "tile/8/"))
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %d %s", tl.Path(), resp.StatusCode, b)
		}
		out[i] = b
	}
	return out, nil
}

func (h httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// eventData reads event seq's bytes straight from the database.
func eventData(t *testing.T, dsn string, seq int64) []byte {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.ReadEvents(context.Background(), []int64{seq})
	if err != nil {
		t.Fatal(err)
	}
	return evs[0].Data
}

// checkVerified exports an item's bundle through server dir and verifies
// it with the verifier (custodia verify exits non-zero on any failure),
// with the witness policy, whose quorum the cosignature must meet.
func (c *cluster) checkVerified(dir string) {
	c.t.Helper()
	bundle := filepath.Join(c.t.TempDir(), "bundle.json")
	c.custodia("export", "bundle", loadgen.Item(0), "-o", bundle, "--data", dir)
	out := c.custodia("verify", bundle, "--key", c.logKey, "--policy", c.policy, "--json")
	var res verify.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		c.t.Fatal(err)
	}
	if res.Witnesses == nil || len(res.Witnesses.Signed) != 1 || res.Witnesses.Signed[0].Witness != "testigo-1" {
		c.t.Fatalf("verify of a bundle exported through %s: witnesses %+v, want testigo-1's cosignature", dir, res.Witnesses)
	}
}

// TestTwoServersOneLog: two `custodia serve` processes on one PostgreSQL
// database and one S3 bucket, written to at once through the API (each
// client alternating servers, so that one item's consecutive transfers go
// through different servers). Every acknowledged transfer is in the log
// once, at the index it was acknowledged with, and nothing else is; the
// indexes follow each other; custodia audit is clean from either data
// directory, during the load and after it; an outside client verifies one server's checkpoint with the
// other's tiles; bundles exported through either pass the verifier with
// the witness's cosignature.
func TestTwoServersOneLog(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	c := newCluster(t, dsn, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	res := make(chan *loadgen.Stats, 1)
	go func() { res <- c.load(ctx) }()
	// An audit while both servers write sees one moment of the database.
	time.Sleep(2 * time.Second)
	if out := c.custodia("audit", "--data", c.dirs[1]); !strings.Contains(out, "Correcto") {
		t.Fatalf("audit during the load:\n%s", out)
	}
	st := <-res
	cancel()
	if st.OK < 50 || st.Failed != 0 {
		t.Fatalf("%d transfers acknowledged, %d failed (first: %v): the load did not run cleanly", st.OK, st.Failed, st.FirstError)
	}
	perItem := c.checkAcked(dsn, st.Acks)
	acked := map[string]int{}
	for _, a := range st.Acks {
		acked[a.Item]++
	}
	// Nothing is in the log that was not acknowledged, but for each
	// client's request in flight when the load stopped: its answer was
	// not awaited.
	for item, n := range perItem {
		if n != acked[item] && n != acked[item]+1 {
			t.Errorf("the log holds %d transfers of %s, %d were acknowledged", n, item, acked[item])
		}
	}
	for _, dir := range c.dirs {
		if out := c.custodia("audit", "--data", dir); !strings.Contains(out, "Correcto") {
			t.Fatalf("audit --data %s:\n%s", dir, out)
		}
	}
	size := int64(0)
	for _, a := range st.Acks {
		size = max(size, a.Seq+1)
	}
	cp := c.waitCosigned(0, size)
	c.waitCosigned(1, size)
	last := st.Acks[len(st.Acks)-1]
	c.verifyIndependently(0, 1, cp, last.Seq, eventData(t, dsn, last.Seq))
	for _, dir := range c.dirs {
		c.checkVerified(dir)
	}
}

// pgPair starts a primary and its synchronous replica
// (scripts/pg-replicated) for one test, and removes them after it.
func pgPair(t *testing.T) map[string]string {
	t.Helper()
	pgtest.Server(t) // fails under CUSTODIA_REQUIRE_POSTGRES, skips otherwise, when there is no PostgreSQL
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "pg-replicated"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script, "start").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("pg-replicated start: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("pg-replicated start: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	if env["DIR"] == "" || env["BOTH"] == "" {
		t.Fatalf("pg-replicated start printed %q", out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "remove", env["DIR"]).CombinedOutput(); err != nil {
			t.Errorf("pg-replicated remove: %v\n%s", err, out)
		}
	})
	env["script"] = script
	return env
}

// TestFailover: under load through two servers on a primary with a
// synchronous replica, one server is killed with SIGKILL; then the
// primary is stopped at once and the replica promoted (the servers'
// connection string names both, and follows whichever accepts writes).
// The surviving server goes on; the killed one is restarted. Every
// acknowledged transfer is in the promoted database, audit is clean from
// both data directories, and there is no fork: the witness, which
// cosigned checkpoints before the failover, cosigns one after it.
func TestFailover(t *testing.T) {
	pair := pgPair(t)
	c := newCluster(t, pair["BOTH"], 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan *loadgen.Stats, 1)
	go func() { res <- c.load(ctx) }()
	t0 := time.Now()
	step := func(what string, d time.Duration) {
		t.Logf("%6.1fs %s", time.Since(t0).Seconds(), what)
		time.Sleep(d)
	}
	step("load on both servers", 2*time.Second)
	// Under load the newest checkpoint changes faster than a witness
	// answers, so what the witness cosigned is read from the database.
	before := c.cosignedSize(pair["PRIMARY"])
	c.servers[0].Kill()
	c.servers[0] = nil
	step("server 1 killed with SIGKILL; load on server 2", 1500*time.Millisecond)
	if out, err := exec.Command(pair["script"], "stop-primary", pair["DIR"]).CombinedOutput(); err != nil {
		t.Fatalf("stop-primary: %v\n%s", err, out)
	}
	step("primary stopped (immediate)", 500*time.Millisecond)
	if out, err := exec.Command(pair["script"], "promote", pair["DIR"]).CombinedOutput(); err != nil {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	promoted := c.logSize(pair["REPLICA"])
	step("replica promoted", 3*time.Second)
	c.start(0)
	step("server 1 restarted", 2*time.Second)
	cancel()
	st := <-res
	t.Logf("%6.1fs %d transfers acknowledged, %d failed (first: %v)", time.Since(t0).Seconds(), st.OK, st.Failed, st.FirstError)
	if st.OK < 50 {
		t.Fatalf("only %d transfers acknowledged: the load did not run", st.OK)
	}
	// Writes were acknowledged after the promotion: find the largest seq.
	var size int64
	for _, a := range st.Acks {
		size = max(size, a.Seq+1)
	}
	if size <= promoted {
		t.Fatalf("no write was acknowledged after the promotion (log size %d then, largest acknowledged %d)", promoted, size)
	}
	c.checkAcked(pair["REPLICA"], st.Acks)
	t.Logf("%6.1fs every acknowledged transfer is in the promoted database", time.Since(t0).Seconds())
	for _, dir := range c.dirs {
		if out := c.custodia("audit", "--data", dir); !strings.Contains(out, "Correcto") {
			t.Fatalf("audit --data %s after the failover:\n%s", dir, out)
		}
	}
	t.Logf("%6.1fs audit clean from both data directories", time.Since(t0).Seconds())
	after := c.waitCosigned(0, size)
	_, cur, _ := verify.OpenNote(after, note.VerifierList(mustVerifier(t, c.logKey)))
	t.Logf("%6.1fs the witness cosigned size %d (%d before the failover)", time.Since(t0).Seconds(), cur.Size, before)
	if before == 0 || cur.Size <= before {
		t.Fatalf("the witness cosigned size %d before the failover and %d after: want a later checkpoint cosigned after an earlier one", before, cur.Size)
	}
	c.verifyIndependently(0, 1, after, size-1, eventData(t, pair["REPLICA"], size-1))
	c.checkVerified(c.dirs[1])
}
