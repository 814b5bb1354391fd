// Package loadgen drives a real `custodia serve` process with concurrent
// custody transfers over the HTTP API. It is shared by the load benchmark
// (bench/load) and the crash test (bench/crashtest and its Go test), which
// kill the server with SIGKILL at random moments and check that every
// acknowledged record survived.
//
// The load runs on its own small HTTP/1.1 client by default (lean.go): the
// generator shares the machine with the server it measures, and net/http's
// client spent about twice its CPU per request. Options.Client picks
// net/http's client instead, to compare.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
)

// Case and officers of the load's own case file.
const (
	Case     = "LOAD"
	OfficerA = "load.a"
	OfficerB = "load.b"
)

// base is the time of the items' seizure; transfer n of an item happens n
// seconds later, so that each item's events stay in time order.
var base = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Item names the item of client c.
func Item(c int) string { return fmt.Sprintf("LOAD-%d", c) }

// Deployment is a data directory prepared for load, with a write token.
type Deployment struct {
	Binary string
	Data   string
	Token  string
	// Keys are the two officers' registered signing keys: every
	// handover of the load carries both signatures.
	Keys map[string]*accounts.OfficerKey
}

func runBin(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// Prepare creates a deployment in data with the load case (items for
// clients clients) and an agent account with a write token.
func Prepare(ctx context.Context, bin, data string, clients int) (*Deployment, error) {
	return PrepareWith(ctx, bin, data, clients)
}

// PrepareWith is Prepare with more arguments for custodia init (a
// PostgreSQL database, an S3 store).
func PrepareWith(ctx context.Context, bin, data string, clients int, initArgs ...string) (*Deployment, error) {
	if _, err := runBin(ctx, bin, append([]string{"init", "--data", data}, initArgs...)...); err != nil {
		return nil, err
	}
	var f bytes.Buffer
	fmt.Fprintf(&f, `{"op":"agency.add","id":"LOADAG","name":"Load","kind":"police"}`+"\n")
	for _, o := range []string{OfficerA, OfficerB} {
		fmt.Fprintf(&f, `{"op":"officer.add","id":%q,"name":%q,"agency":"LOADAG","role":"agent"}`+"\n", o, o)
	}
	fmt.Fprintf(&f, `{"op":"case.open","id":%q,"title":"Load","at":%q,"by":%q}`+"\n", Case, base.Format(time.RFC3339), OfficerA)
	for c := 0; c < clients; c++ {
		fmt.Fprintf(&f, `{"op":"evidence.seize","id":%q,"case":%q,"type":"phone","description":"load","seized_at":%q,"seized_by":%q}`+"\n", Item(c), Case, base.Format(time.RFC3339), OfficerA)
	}
	path := filepath.Join(data, "load.jsonl")
	if err := os.WriteFile(path, f.Bytes(), 0o600); err != nil {
		return nil, err
	}
	if _, err := runBin(ctx, bin, "import", path, "--data", data); err != nil {
		return nil, err
	}
	if _, err := runBin(ctx, bin, "user", "add", "loader", "--role", "agent", "--officer", OfficerA, "--case", Case, "--data", data); err != nil {
		return nil, err
	}
	tok, err := runBin(ctx, bin, "user", "token", "loader", "--scope", "write", "--data", data)
	if err != nil {
		return nil, err
	}
	keys := map[string]*accounts.OfficerKey{}
	for _, o := range []string{OfficerA, OfficerB} {
		path := filepath.Join(data, o+".key")
		if _, err := runBin(ctx, bin, "key", "new", "-o", path); err != nil {
			return nil, err
		}
		if _, err := runBin(ctx, bin, "key", "add", path, "--officer", o, "--data", data); err != nil {
			return nil, err
		}
		if keys[o], err = accounts.LoadOfficerKey(path); err != nil {
			return nil, err
		}
	}
	return &Deployment{Binary: bin, Data: data, Token: strings.TrimSpace(tok), Keys: keys}, nil
}

// FreeAddr returns a free 127.0.0.1 address.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Server is a running `custodia serve`.
type Server struct {
	cmd  *exec.Cmd
	Addr string
	done chan error
}

// Start starts the server and waits until /readyz answers.
func (d *Deployment) Start(ctx context.Context, addr string) (*Server, error) {
	return d.StartServer(ctx, d.Data, addr)
}

// StartServer starts a server of the deployment on the data directory
// data (another server's copy of the key and config.json, when the
// database is shared), with more serve arguments, and waits until /readyz
// answers.
func (d *Deployment) StartServer(ctx context.Context, data, addr string, args ...string) (*Server, error) {
	cmd := exec.Command(d.Binary, append([]string{"serve", "--data", data, "--addr", addr}, args...)...)
	// Output goes to the null device directly (a Go writer would add a pipe).
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, Addr: addr, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("serve exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.Kill()
	return nil, errors.New("serve did not become ready")
}

// Kill kills the server with SIGKILL (no chance to clean up) and waits.
func (s *Server) Kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// Stop stops the server with SIGTERM (graceful) and waits.
func (s *Server) Stop() error {
	s.cmd.Process.Signal(os.Interrupt)
	return <-s.done
}

// Ack is a transfer the server acknowledged as durable.
type Ack struct {
	Item string
	Seq  int64
}

// Stats summarises a run.
type Stats struct {
	OK        int64
	Failed    int64 // requests answered wrongly; a lost or refused connection is not counted
	Latencies []time.Duration
	Acks      []Ack
	Elapsed   time.Duration
	// FirstError is one of the failures counted in Failed (nil if none),
	// so that a failing run says why.
	FirstError error
}

// Percentile returns the p-th percentile latency (0 < p ≤ 100).
func (s *Stats) Percentile(p float64) time.Duration {
	if len(s.Latencies) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), s.Latencies...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	i := int(float64(len(l))*p/100+0.5) - 1
	return l[max(0, min(i, len(l)-1))]
}

type itemState struct {
	Holder string `json:"holder"`
	Events int    `json:"events"`
}

// Client picks the HTTP client the load runs on.
type Client int

const (
	// Lean is the load's own keep-alive HTTP/1.1 client (lean.go): it
	// spends a fraction of net/http's CPU per request, CPU the server under
	// test shares on one machine. It is the default.
	Lean Client = iota
	// NetHTTP is the standard library's client, kept to compare with.
	NetHTTP
)

func (c Client) String() string {
	switch c {
	case Lean:
		return "lean"
	case NetHTTP:
		return "nethttp"
	}
	return fmt.Sprintf("Client(%d)", int(c))
}

// ParseClient parses a client name as String writes it.
func ParseClient(s string) (Client, error) {
	switch s {
	case "lean":
		return Lean, nil
	case "nethttp":
		return NetHTTP, nil
	}
	return 0, fmt.Errorf("cliente desconocido %q (lean o nethttp) / unknown client %q (lean or nethttp)", s, s)
}

// Options configures a run.
type Options struct {
	Addr string // the server's host:port
	// Addrs, when set, are several servers of one deployment: each
	// client sends its requests to them in turn, so that consecutive
	// writes of one item go through different servers; with Sticky, client
	// c keeps to server c mod len(Addrs), as a keep-alive connection
	// through a load balancer does (and moves on when it fails).
	Addrs   []string
	Sticky  bool
	Token   string // a write token for the load's case
	Clients int    // concurrent clients, each with its own item and connection
	Client  Client // which HTTP client; the zero value is Lean
	// Keys sign each handover for its giver and its receiver.
	Keys map[string]*accounts.OfficerKey
}

// requester sends one request of a client and returns the response's
// status and body; the body is valid until the next call. A failure to
// reach the server is returned as the net package reports it (see
// isConnErr). A requester is used by one goroutine; Close releases it.
type requester interface {
	Do(ctx context.Context, method, path string, body []byte) (int, []byte, error)
	Close()
}

var _ requester = (*leanConn)(nil)
var _ requester = (*netHTTPClient)(nil)

// netHTTPClient is a requester on net/http's client.
type netHTTPClient struct {
	hc          *http.Client
	base, token string
	body        []byte
}

func (c *netHTTPClient) Do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	buf := bytes.NewBuffer(c.body[:0])
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return 0, nil, err
	}
	c.body = buf.Bytes()
	return resp.StatusCode, c.body, nil
}

func (c *netHTTPClient) Close() {}

// Run runs clients concurrent clients on the lean client; see RunWith.
func Run(ctx context.Context, d *Deployment, addr string, clients int) *Stats {
	return RunWith(ctx, Options{Addr: addr, Token: d.Token, Clients: clients, Keys: d.Keys})
}

// RunWith runs opts.Clients concurrent clients, each moving its own item
// back and forth between the two officers, until ctx ends. A client that
// loses the server keeps retrying (it resynchronises its item from the API);
// failures to reach the server are not counted as failed.
func RunWith(ctx context.Context, opts Options) *Stats {
	st := &Stats{}
	var mu sync.Mutex
	var ok, failed atomic.Int64
	addrs := opts.Addrs
	if len(addrs) == 0 {
		addrs = []string{opts.Addr}
	}
	newClient := func(addr string) requester { return newLeanConn(addr, opts.Token) }
	if opts.Client == NetHTTP {
		tr := &http.Transport{MaxIdleConnsPerHost: opts.Clients, MaxConnsPerHost: opts.Clients}
		hc := &http.Client{Transport: tr, Timeout: requestTimeout}
		defer tr.CloseIdleConnections()
		newClient = func(addr string) requester { return &netHTTPClient{hc: hc, base: "http://" + addr, token: opts.Token} }
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < opts.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rqs := make([]requester, len(addrs))
			for i, a := range addrs {
				rqs[i] = newClient(a)
				defer rqs[i].Close()
			}
			next := c // the server of the client's next request
			var rq requester
			item := Item(c)
			statePath := "/api/v1/items/" + item
			transferPath := statePath + "/transfers"
			var lats []time.Duration
			var acks []Ack
			var firstErr error
			synced := false
			var cur itemState
			var body []byte
			for ctx.Err() == nil {
				rq = rqs[next%len(rqs)]
				if !opts.Sticky || !synced {
					next++
				}
				if !synced {
					status, b, err := rq.Do(ctx, "GET", statePath, nil)
					if err == nil && status != 200 {
						err = fmt.Errorf("GET %s: %d", statePath, status)
					}
					if err == nil {
						cur = itemState{}
						err = json.Unmarshal(b, &cur)
					}
					if err != nil {
						time.Sleep(20 * time.Millisecond)
						continue
					}
					synced = true
				}
				from, to := cur.Holder, OfficerA
				if from == OfficerA {
					to = OfficerB
				}
				body = appendTransfer(body[:0], item, from, to, base.Add(time.Duration(cur.Events)*time.Second), opts.Keys)
				t0 := time.Now()
				status, b, err := rq.Do(ctx, "POST", transferPath, body)
				var seq int64
				if err == nil && status == 201 {
					seq, err = transferSeq(b)
				} else if err == nil {
					err = fmt.Errorf("POST %s: %d %s", transferPath, status, b)
				}
				if err != nil {
					if !isConnErr(err) && ctx.Err() == nil {
						failed.Add(1)
						if firstErr == nil {
							firstErr = err
						}
					}
					synced = false
					continue
				}
				lats = append(lats, time.Since(t0))
				acks = append(acks, Ack{item, seq})
				ok.Add(1)
				cur.Holder = to
				cur.Events++
			}
			mu.Lock()
			st.Latencies = append(st.Latencies, lats...)
			st.Acks = append(st.Acks, acks...)
			if st.FirstError == nil {
				st.FirstError = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	st.OK, st.Failed = ok.Load(), failed.Load()
	return st
}

// appendTransfer appends the body of a transfer of the load's item,
// signed by its giver and its receiver when keys has their keys.
func appendTransfer(b []byte, item, from, to string, at time.Time, keys map[string]*accounts.OfficerKey) []byte {
	b = append(b, `{"from":`...)
	b = strconv.AppendQuote(b, from)
	b = append(b, `,"to":`...)
	b = strconv.AppendQuote(b, to)
	b = append(b, `,"at":"`...)
	b = at.AppendFormat(b, time.RFC3339)
	b = append(b, `","purpose":"storage","seal_condition":"none"`...)
	if g, r := keys[from], keys[to]; g != nil && r != nil {
		t := &custody.Transfer{Item: item, From: from, To: to, At: at.UTC().Format(time.RFC3339), Purpose: "storage", SealCondition: "none"}
		if rec, err := fastcodec.MarshalCanonical(t); err == nil {
			d := custody.ActDigest(custody.OpTransfer, rec)
			sigs, _ := json.Marshal([]custody.Sig{g.Sign(custody.RoleFrom, d), r.Sign(custody.RoleTo, d)})
			b = append(b, `,"sigs":`...)
			b = append(b, sigs...)
		}
	}
	return append(b, '}')
}

func isConnErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset")
}

func getJSON(ctx context.Context, hc *http.Client, url, token string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// History returns the seqs of an item's events, from the API.
func History(ctx context.Context, addr, token, item string) (map[int64]string, error) {
	var h []struct {
		Seq int64  `json:"seq"`
		Op  string `json:"op"`
	}
	if err := getJSON(ctx, http.DefaultClient, "http://"+addr+"/api/v1/items/"+item+"/history", token, &h); err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, e := range h {
		out[e.Seq] = e.Op
	}
	return out, nil
}

// Metric returns the lines of the server's /metrics that start with prefix.
func Metric(addr, prefix string) ([]string, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			out = append(out, sc.Text())
		}
	}
	return out, sc.Err()
}
