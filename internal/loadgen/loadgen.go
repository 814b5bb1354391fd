// Package loadgen drives a real `custodia serve` process with concurrent
// custody transfers over the HTTP API. It is shared by the load benchmark
// (bench/load) and the crash test (bench/crashtest and its Go test), which
// kill the server with SIGKILL at random moments and check that every
// acknowledged record survived.
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
	"strings"
	"sync"
	"sync/atomic"
	"time"
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
	if _, err := runBin(ctx, bin, "init", "--data", data); err != nil {
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
	return &Deployment{Binary: bin, Data: data, Token: strings.TrimSpace(tok)}, nil
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
	cmd := exec.Command(d.Binary, "serve", "--data", d.Data, "--addr", addr)
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
	Failed    int64 // errors other than a refused connection
	Latencies []time.Duration
	Acks      []Ack
	Elapsed   time.Duration
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

// Run runs clients concurrent clients, each moving its own item back and
// forth between the two officers, until ctx ends. A client that loses the
// server keeps retrying (it resynchronises its item from the API).
func Run(ctx context.Context, addr, token string, clients int) *Stats {
	st := &Stats{}
	var mu sync.Mutex
	var ok, failed atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			item := Item(c)
			var lats []time.Duration
			var acks []Ack
			synced := false
			var cur itemState
			for ctx.Err() == nil {
				if !synced {
					if err := getJSON(ctx, hc, "http://"+addr+"/api/v1/items/"+item, token, &cur); err != nil {
						time.Sleep(20 * time.Millisecond)
						continue
					}
					synced = true
				}
				from, to := cur.Holder, OfficerA
				if from == OfficerA {
					to = OfficerB
				}
				at := base.Add(time.Duration(cur.Events) * time.Second).Format(time.RFC3339)
				body := fmt.Sprintf(`{"from":%q,"to":%q,"at":%q,"purpose":"storage","seal_condition":"none"}`, from, to, at)
				t0 := time.Now()
				var res struct {
					Seq  int64  `json:"seq"`
					Code string `json:"code"`
				}
				status, err := post(ctx, hc, "http://"+addr+"/api/v1/items/"+item+"/transfers", token, body, &res)
				if err != nil || status != 201 {
					if err == nil || !isConnErr(err) {
						if ctx.Err() == nil {
							failed.Add(1)
						}
					}
					synced = false
					continue
				}
				lats = append(lats, time.Since(t0))
				acks = append(acks, Ack{item, res.Seq})
				ok.Add(1)
				cur.Holder = to
				cur.Events++
			}
			mu.Lock()
			st.Latencies = append(st.Latencies, lats...)
			st.Acks = append(st.Acks, acks...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	st.OK, st.Failed = ok.Load(), failed.Load()
	return st
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

func post(ctx context.Context, hc *http.Client, url, token, body string, v any) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	json.Unmarshal(b, v)
	return resp.StatusCode, nil
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
