// Command ledgerbench measures the core ledger for BENCHMARKS.md; bench/ledger.sh
// runs it. Each measurement runs in its own process so that its peak memory
// (VmHWM) is its own.
//
//	ledgerbench gen FILE EVENTS         write a custody load case file
//	ledgerbench raw FILE DB ROWBYTES    raw SQLite baseline: one row per line, no ledger
//	ledgerbench import FILE DIR [DSN]   custodia import into a new deployment (on PostgreSQL: DSN, new and empty)
//	ledgerbench rawpg SRC DST TMPFILE   raw PostgreSQL baseline: COPY the events table of database SRC into a
//	                                    table of the same schema in the empty database DST, in one transaction
//	ledgerbench audit DIR [PROFILE]     custodia audit (PROFILE: write a CPU profile there)
//	ledgerbench proofs DIR N            N random inclusion proofs against the latest checkpoint
//	ledgerbench bundle DIR N OUT        a deployment whose item has N events; write its bundle
//	ledgerbench verify BUNDLE RUNS      verify a bundle RUNS times
//
// Each prints one line of JSON. With LEDGERBENCH_CPUPROFILE=FILE set, a
// subcommand also writes its CPU profile to FILE, and with
// LEDGERBENCH_MEMPROFILE=FILE its allocation profile.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"

	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/casegen"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
	"github.com/custodia-ec/custodia/verify"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ledgerbench:", err)
		os.Exit(1)
	}
}

func peakMB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// statusMB reads a memory line of /proc/self/status in MB.
func statusMB(key string) float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, key+":") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func emit(v map[string]any) error {
	v["peak_mb"] = peakMB()
	// Resident memory at the end, split: anonymous (the heap: what the
	// process holds) and file-backed (database pages mapped by SQLite's
	// mmap, which the kernel drops under pressure).
	v["rss_anon_mb"], v["rss_file_mb"] = statusMB("RssAnon"), statusMB("RssFile")

	return json.NewEncoder(os.Stdout).Encode(v)
}

// cpuSeconds is the process's CPU time so far (user + system, every
// thread): on a shared machine it varies far less than elapsed time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func run(args []string) error {
	ctx := context.Background()
	if len(args) == 0 {
		return fmt.Errorf("usage: see the package doc")
	}
	// LEDGERBENCH_CPUPROFILE=FILE writes a CPU profile of the whole
	// subcommand, for the per-stage breakdown in bench/ledger.md.
	if path := os.Getenv("LEDGERBENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	// LEDGERBENCH_MEMPROFILE=FILE writes a heap profile at the end (its
	// alloc_space view is every allocation the subcommand made).
	if path := os.Getenv("LEDGERBENCH_MEMPROFILE"); path != "" {
		defer func() {
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	switch args[0] {
	case "gen":
		f, err := os.Create(args[1])
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := casegen.WriteCustodyLoad(w, 1, atoi(args[2])); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Close()

	case "raw":
		// The baseline: the same number of rows, each as large as a stored
		// event (ROWBYTES, measured on the ledger's database), inserted in
		// one durable transaction with the same pragmas, and nothing else.
		rowBytes := atoi(args[3])
		// The same page size, journal and durability as Custodia's store.
		db0, err := sql.Open("sqlite", "file:"+args[2])
		if err != nil {
			return err
		}
		for _, q := range []string{"PRAGMA page_size = 16384", "PRAGMA journal_mode = WAL", `CREATE TABLE raw (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)`} {
			if _, err := db0.Exec(q); err != nil {
				return err
			}
		}
		db0.Close()
		db, err := sql.Open("sqlite", "file:"+args[2]+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-65536)&_txlock=immediate")
		if err != nil {
			return err
		}
		defer db.Close()
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		start, cpu0 := time.Now(), cpuSeconds()
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		st, err := tx.Prepare(`INSERT INTO raw(seq, data) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		n := 0
		row := make([]byte, rowBytes)
		for sc.Scan() {
			copy(row, sc.Bytes())
			if _, err := st.Exec(n, row); err != nil {
				return err
			}
			n++
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		el, cpu := time.Since(start), cpuSeconds()-cpu0
		return emit(map[string]any{"what": "raw", "rows": n, "seconds": el.Seconds(), "per_s": float64(n) / el.Seconds(),
			"cpu_s": cpu, "cpu_us_per_row": cpu / float64(n) * 1e6})

	case "import":
		opts := deployment.InitOptions{Origin: "bench.local/import"}
		if len(args) > 3 {
			db, err := deployment.PostgresConfig(args[3])
			if err != nil {
				return err
			}
			opts.Database = db
		}
		if _, err := deployment.InitWith(ctx, args[2], opts); err != nil {
			return err
		}
		d, err := deployment.Open(ctx, args[2], time.Now)
		if err != nil {
			return err
		}
		defer d.Close()
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		// As custodia import does (cmd/custodia, importGCPercent); GOGC in
		// the environment, when set, wins, to compare.
		if os.Getenv("GOGC") == "" {
			defer debug.SetGCPercent(debug.SetGCPercent(200))
		}
		start, cpu0 := time.Now(), cpuSeconds()
		res, err := d.Ledger.Import(ctx, f, strings.Repeat("0", 64), nil)
		if err != nil {
			return err
		}
		el, cpu := time.Since(start), cpuSeconds()-cpu0
		var rowBytes float64
		if sq, ok := d.Store.(*sqlite.Store); ok {
			sq.DB().QueryRow(`SELECT avg(length(data) + length(hashes)) FROM events`).Scan(&rowBytes)
		}
		return emit(map[string]any{"what": "import", "events": res.Events, "seconds": el.Seconds(), "per_s": float64(res.Events) / el.Seconds(), "event_row_bytes": rowBytes,
			"cpu_s": cpu, "cpu_us_per_event": cpu / float64(res.Events) * 1e6})

	case "rawpg":
		return rawPostgres(ctx, args[1], args[2], args[3])

	case "audit":
		st, cfg, v, err := deployment.OpenStore(ctx, args[1], sqlite.WithMmap(auditMmap))
		if err != nil {
			return err
		}
		defer st.Close()
		if len(args) > 2 {
			pf, err := os.Create(args[2])
			if err != nil {
				return err
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		// As custodia audit does (cmd/custodia, auditGCPercent); GOGC in the
		// environment, when set, wins, to compare.
		if os.Getenv("GOGC") == "" {
			defer debug.SetGCPercent(debug.SetGCPercent(200))
		}
		cpu0 := cpuSeconds()
		start := time.Now()
		rep, err := ledger.Audit(ctx, st, v, cfg.Rules())
		if err != nil {
			return err
		}
		if !rep.OK {
			return fmt.Errorf("audit found problems: %+v", rep.Problems[:1])
		}
		el := time.Since(start)
		cpu := cpuSeconds() - cpu0
		return emit(map[string]any{"what": "audit", "events": rep.Events, "seconds": el.Seconds(), "per_s": float64(rep.Events) / el.Seconds(),
			"cpu_seconds": cpu, "cpu_us_per_event": cpu * 1e6 / float64(rep.Events)})

	case "proofs":
		d, err := deployment.Open(ctx, args[1], time.Now)
		if err != nil {
			return err
		}
		defer d.Close()
		cp, err := d.Ledger.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		n := atoi(args[2])
		rng := rand.New(rand.NewPCG(1, 2))
		lat := make([]time.Duration, n)
		for i := range lat {
			seq := rng.Int64N(cp.Size)
			start := time.Now()
			p, err := d.Ledger.InclusionProof(ctx, cp.Size, seq)
			lat[i] = time.Since(start)
			if err != nil {
				return err
			}
			evs, err := d.Store.ReadEvents(ctx, []int64{seq})
			if err != nil {
				return err
			}
			if err := tlog.CheckRecord(p, cp.Size, cp.Root, seq, tlog.RecordHash(evs[0].Data)); err != nil {
				return fmt.Errorf("proof of %d does not check: %v", seq, err)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(f float64) float64 { return float64(lat[int(f*float64(n-1))].Microseconds()) / 1000 }
		return emit(map[string]any{"what": "proofs", "tree_size": cp.Size, "n": n, "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": q(1)})

	case "bundle":
		dir, n, out := args[1], atoi(args[2]), args[3]
		if _, err := deployment.Init(ctx, dir, "bench.local/bundle"); err != nil {
			return err
		}
		d, err := deployment.Open(ctx, dir, time.Now)
		if err != nil {
			return err
		}
		defer d.Close()
		var buf bytes.Buffer
		buf.WriteString(`{"op":"agency.add","id":"PN","name":"Policía Nacional","kind":"police"}` + "\n")
		buf.WriteString(`{"op":"officer.add","id":"a","name":"Agente A","agency":"PN","role":"agent"}` + "\n")
		buf.WriteString(`{"op":"officer.add","id":"b","name":"Agente B","agency":"PN","role":"custodian"}` + "\n")
		buf.WriteString(`{"op":"case.open","id":"C","title":"Caso","at":"2023-12-01T00:00:00-05:00","by":"a"}` + "\n")
		buf.WriteString(`{"op":"evidence.seize","id":"E-1","case":"C","type":"phone","description":"Teléfono","seized_at":"2023-12-14T01:00:00-05:00","seized_by":"a","seal":"S-1"}` + "\n")
		t0 := time.Date(2023, 12, 14, 2, 0, 0, 0, time.FixedZone("", -5*3600))
		holder, other := "a", "b"
		for i := 1; i < n; i++ {
			fmt.Fprintf(&buf, `{"op":"custody.transfer","item":"E-1","from":"%s","to":"%s","at":"%s","purpose":"storage","seal_condition":"intact","seal":"S-1","location":"Bodega"}`+"\n",
				holder, other, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
			holder, other = other, holder
		}
		if _, err := d.Ledger.Import(ctx, &buf, strings.Repeat("0", 64), nil); err != nil {
			return err
		}
		b, err := d.Ledger.ExportBundle(ctx, "E-1", d.PublicKey)
		if err != nil {
			return err
		}
		data, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, data, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(filepath.Dir(out), "bundle.key"), []byte(d.PublicKey+"\n"), 0o644)

	case "verify":
		data, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		runs := atoi(args[2])
		lat := make([]time.Duration, runs)
		var events int
		for i := range lat {
			start := time.Now()
			res, err := verify.Verify(data, verify.Options{})
			lat[i] = time.Since(start)
			if err != nil {
				return err
			}
			events = res.EventCount
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return emit(map[string]any{"what": "verify", "events": events, "runs": runs, "median_ms": float64(lat[runs/2].Microseconds()) / 1000, "max_ms": float64(lat[runs-1].Microseconds()) / 1000})
	}
	return fmt.Errorf("unknown subcommand %q", args[0])
}

// auditMmap maps the whole database for audit's full scan (up to 4 GiB):
// resident memory grows with the file, but the pages are the kernel's to
// drop, and the scan is about twice as fast as through reads.
const auditMmap = 4 << 30

// rawPostgres is the baseline of an import into PostgreSQL: the very rows
// the ledger stored in the events table of src (dumped first, in COPY's
// binary format, into tmp, untimed) loaded into a table of the same schema
// and primary key in dst with one COPY in one durable transaction, and
// nothing else: no decoding, no rules, no hashing, no projection rows.
func rawPostgres(ctx context.Context, src, dst, tmp string) error {
	sc, err := pgx.Connect(ctx, src)
	if err != nil {
		return err
	}
	defer sc.Close(ctx)
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<20)
	tag, err := sc.PgConn().CopyTo(ctx, w, "COPY events TO STDOUT (FORMAT binary)")
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	rows := tag.RowsAffected()
	dc, err := pgx.Connect(ctx, dst)
	if err != nil {
		return err
	}
	defer dc.Close(ctx)
	if _, err := dc.Exec(ctx, `CREATE TABLE raw_events (
	seq BIGINT PRIMARY KEY, item TEXT COLLATE "C" NOT NULL, case_id TEXT COLLATE "C" NOT NULL,
	data BYTEA NOT NULL, hashes BYTEA NOT NULL, prev BIGINT, case_prev BIGINT)`); err != nil {
		return err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	start, cpu0 := time.Now(), cpuSeconds()
	tx, err := dc.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), "COPY raw_events FROM STDIN (FORMAT binary)"); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	el, cpu := time.Since(start), cpuSeconds()-cpu0
	return emit(map[string]any{"what": "rawpg", "rows": rows, "seconds": el.Seconds(), "per_s": float64(rows) / el.Seconds(), "cpu_s": cpu})
}
