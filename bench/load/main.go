// Command load runs custody transfers through the HTTP API of a real
// `custodia serve` with concurrent clients and reports durable events per
// second, latency percentiles and the group-commit batch sizes the server
// saw.
//
//	go build -o /tmp/custodia ./cmd/custodia
//	go run ./bench/load -bin /tmp/custodia -clients 64 -duration 20s
//
// By default the clients use the load generator's own lean HTTP/1.1 client,
// which leaves more of a shared machine's CPU to the server under test;
// -client nethttp uses net/http's client instead, to compare.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/custodia-ec/custodia/internal/loadgen"
)

func main() {
	bin := flag.String("bin", "./custodia", "custodia binary")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "how long to run")
	warmup := flag.Duration("warmup", 2*time.Second, "load before measuring")
	clientName := flag.String("client", "lean", "HTTP client: lean (the generator's own) or nethttp (net/http's)")
	cpuprofile := flag.String("cpuprofile", "", "write the generator's CPU profile of the measured run to this file")
	db := flag.String("db", "", "run on this PostgreSQL database (new and empty) instead of SQLite")
	servers := flag.Int("servers", 1, "custodia serve processes on the one database (PostgreSQL only beyond 1); client c keeps to server c mod servers")
	asJSON := flag.Bool("json", false, "also print one line of JSON with the results")
	flag.Parse()
	if *servers < 1 || (*servers > 1 && *db == "") {
		fmt.Fprintln(os.Stderr, "load: -servers above 1 needs -db (servers share a PostgreSQL database)")
		os.Exit(2)
	}
	client, err := loadgen.ParseClient(*clientName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	if err := run(*bin, *clients, *duration, *warmup, client, *cpuprofile, *db, *servers, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(bin string, clients int, duration, warmup time.Duration, client loadgen.Client, cpuprofile, db string, servers int, asJSON bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custodia-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var initArgs []string
	if db != "" {
		initArgs = []string{"--db", db}
	}
	d, err := loadgen.PrepareWith(ctx, bin, dir+"/data", clients, initArgs...)
	if err != nil {
		return err
	}
	// More servers: data directories with the key and config.json.
	datas := []string{d.Data}
	for i := 2; i <= servers; i++ {
		data := fmt.Sprintf("%s/data%d", dir, i)
		if err := os.MkdirAll(data, 0o700); err != nil {
			return err
		}
		for _, f := range []string{"log.key", "log.pub", "config.json"} {
			b, err := os.ReadFile(filepath.Join(d.Data, f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(data, f), b, 0o600); err != nil {
				return err
			}
		}
		datas = append(datas, data)
	}
	var addrs []string
	var pids []int
	for _, data := range datas {
		addr, err := loadgen.FreeAddr()
		if err != nil {
			return err
		}
		s, err := d.StartServer(ctx, data, addr)
		if err != nil {
			return err
		}
		defer s.Stop()
		addrs = append(addrs, addr)
		pids = append(pids, serverPID(data))
	}
	addr := addrs[0]
	opts := loadgen.Options{Addr: addr, Addrs: addrs, Sticky: true, Token: d.Token, Clients: clients, Client: client, Keys: d.Keys}
	if warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, warmup)
		loadgen.RunWith(wctx, opts)
		cancel()
		// The warm-up's last requests, whose answers it did not await,
		// commit meanwhile; the measured clients then read their items'
		// state afresh (from servers that have read those commits).
		time.Sleep(500 * time.Millisecond)
	}
	before, _ := loadgen.Metric(addr, "custodia_commit_")
	pid := pids[0]
	srvAll0 := 0 * time.Second
	for _, p := range pids {
		srvAll0 += procCPU(p)
	}
	srv0, gen0, io0 := procCPU(pid), selfCPU(), procWritten(pid)
	genSys0 := selfSys()
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	rctx, cancel := context.WithTimeout(ctx, duration)
	st := loadgen.RunWith(rctx, opts)
	cancel()
	srvAll := -srvAll0
	for _, p := range pids {
		srvAll += procCPU(p)
	}
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	srvCPU, genCPU, written := procCPU(pid)-srv0, selfCPU()-gen0, procWritten(pid)-io0
	genSys := selfSys() - genSys0
	after, err := loadgen.Metric(addr, "custodia_commit_")
	if err != nil {
		return err
	}

	fmt.Printf("client %s, clients %d, %v: %d transfers acknowledged durable, %d failed\n", client, clients, st.Elapsed.Round(time.Millisecond), st.OK, st.Failed)
	if st.FirstError != nil {
		fmt.Printf("first failure: %v\n", st.FirstError)
	}
	fmt.Printf("throughput: %.0f durable events/s (each transfer is one event; plus a few audited reads at start)\n", float64(st.OK)/st.Elapsed.Seconds())
	fmt.Printf("latency: p50 %v  p90 %v  p99 %v  max %v\n", st.Percentile(50).Round(10*time.Microsecond), st.Percentile(90).Round(10*time.Microsecond),
		st.Percentile(99).Round(10*time.Microsecond), st.Percentile(100).Round(10*time.Microsecond))
	if pid > 0 && st.OK > 0 {
		fmt.Printf("cpu: server %.2f s (%.0f µs/event), generator %.2f s (%.0f µs/event, %.0f of them in the kernel), over %.1f s wall on %d cores\n",
			srvCPU.Seconds(), srvCPU.Seconds()*1e6/float64(st.OK), genCPU.Seconds(), genCPU.Seconds()*1e6/float64(st.OK),
			genSys.Seconds()*1e6/float64(st.OK), st.Elapsed.Seconds(), runtime.NumCPU())
		fmt.Printf("server wrote %.0f MB to storage (WAL and database), %.1f KiB/event\n", float64(written)/1e6, float64(written)/1024/float64(st.OK))
	}
	fmt.Println("group commit during the measured run (first server): records per transaction and seconds per transaction (cumulative buckets):")
	fmt.Print(diff(before, after))
	if asJSON {
		store := "sqlite"
		if db != "" {
			store = "postgres"
		}
		us := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b, _ := json.Marshal(map[string]any{"store": store, "servers": servers, "clients": clients, "ok": st.OK, "failed": st.Failed,
			"seconds": st.Elapsed.Seconds(), "per_s": float64(st.OK) / st.Elapsed.Seconds(),
			"p50_ms": us(st.Percentile(50)), "p99_ms": us(st.Percentile(99)), "max_ms": us(st.Percentile(100)),
			"servers_cpu_us_per_event": srvAll.Seconds() * 1e6 / float64(max(st.OK, 1)), "first_error": fmt.Sprint(st.FirstError)})
		fmt.Printf("json %s\n", b)
	}
	return nil
}

// diff subtracts two scrapes of the batch histogram, line by line.
func diff(before, after []string) string {
	prev := map[string]float64{}
	for _, l := range before {
		k, v, _ := strings.Cut(l, " ")
		var f float64
		fmt.Sscan(v, &f)
		prev[k] = f
	}
	var b strings.Builder
	for _, l := range after {
		k, v, _ := strings.Cut(l, " ")
		var f float64
		fmt.Sscan(v, &f)
		fmt.Fprintf(&b, "  %s %.0f\n", k, f-prev[k])
	}
	return b.String()
}

// serverPID finds the `custodia serve` process using data, from /proc (0 if
// none: the CPU line is then left out).
func serverPID(data string) int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 2 && args[1] == "serve" && strings.Contains(string(b), "\x00"+data+"\x00") {
			pid, _ := strconv.Atoi(filepath.Base(d))
			return pid
		}
	}
	return 0
}

// procCPU is the user+system CPU time a process has used so far, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfSys is this process's system (kernel) CPU time so far.
func selfSys() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Stime.Nano())
}

// procWritten is how many bytes a process has caused to be written to
// storage so far (write_bytes in /proc/PID/io).
func procWritten(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
