// Command uploadbench measures an evidence upload through the HTTP API of a
// real `custodia serve` process to its filesystem blob store on loopback:
// throughput, and the server's peak memory (VmHWM of /proc/PID/status).
//
//	go build -o /tmp/custodia ./cmd/custodia
//	go run ./bench/uploadbench -bin /tmp/custodia -size 4GiB
//
// The file is generated first (pseudo-random bytes, hashed as written,
// synced; -file keeps it for the next run) and is in the page cache when
// the upload starts; the upload is the tus
// protocol of `custodia upload` (evidence.Uploader) in 64 MiB chunks. The
// time counts from the creation request to the answer that carries the
// record's seq: every byte received, streamed into the blob store while
// hashed and verified, fsynced, and the evidence.attach record durable.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/evidence"
	"github.com/custodia-ec/custodia/internal/loadgen"
)

func main() {
	bin := flag.String("bin", "./custodia", "custodia binary")
	sizeFlag := flag.String("size", "4GiB", "file size (bytes, or with MiB/GiB)")
	chunk := flag.Int64("chunk", evidence.DefaultChunk, "bytes per PATCH")
	work := flag.String("dir", "", "work directory (default a temporary one; needs about 3× size free)")
	src := flag.String("file", "", "file to upload, generated if missing or of another size (default one in the work directory)")
	label := flag.String("label", "", "label of the result line")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err == nil {
		err = run(*bin, size, *chunk, *work, *src, *label)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "uploadbench:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// sourceFile returns the SHA-256 of the file to upload, generating it (and a
// PATH.sha256 beside it) unless both are there with the right size already,
// so that the runs of one benchmark share one file.
func sourceFile(path string, size int64) (string, error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() == size {
		if b, err := os.ReadFile(path + ".sha256"); err == nil && len(b) == 64 {
			return string(b), nil
		}
	}
	sum, err := genFile(path, size)
	if err != nil {
		return "", err
	}
	return sum, os.WriteFile(path+".sha256", []byte(sum), 0o644)
}

// genFile writes size pseudo-random bytes and returns their SHA-256. The
// file is synced, so that its writeback does not compete with the upload
// for the disk; it stays in the page cache.
func genFile(path string, size int64) (string, error) {
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 4<<20)
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		r.Read(buf[:n])
		if _, err := w.Write(buf[:n]); err != nil {
			return "", err
		}
		left -= n
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func status(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// cpuTime is the user+system CPU time of a process so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func run(bin string, size, chunk int64, work, file, label string) error {
	ctx := context.Background()
	if work == "" {
		d, err := os.MkdirTemp("", "custodia-upload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	data := filepath.Join(work, "data")
	dep, err := loadgen.Prepare(ctx, bin, data, 1)
	if err != nil {
		return err
	}
	if file == "" {
		file = filepath.Join(work, "image.bin")
	}
	t0 := time.Now()
	sum, err := sourceFile(file, size)
	if err != nil {
		return err
	}
	fmt.Printf("file: %d bytes, sha256 %s (generated in %v)\n", size, sum, time.Since(t0).Round(time.Millisecond))

	addr, err := loadgen.FreeAddr()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--check-interval", "0")
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 600 {
			return fmt.Errorf("server not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	fmt.Printf("server before upload: VmRSS %.1f MB, VmHWM %.1f MB\n", float64(status(pid, "VmRSS"))/1e6, float64(status(pid, "VmHWM"))/1e6)

	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var lastChunk time.Time
	up := &evidence.Uploader{Server: "http://" + addr, Token: dep.Token, Chunk: chunk,
		Progress: func(off int64) {
			if off < size {
				lastChunk = time.Now()
			}
		}}
	n := size
	rec := &custody.Attach{Name: "image.bin", SHA256: sum, Size: &n, At: time.Now().UTC().Format(time.RFC3339), By: loadgen.OfficerA, MediaType: "application/octet-stream"}
	cpu0 := cpuTime(pid)
	start := time.Now()
	seq, err := up.Upload(ctx, loadgen.Item(0), custody.OpAttach, rec, f, size)
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("upload: %d bytes in %v: %.0f MB/s (record seq %d, chunks of %d MiB)\n", size, el.Round(time.Millisecond), float64(size)/el.Seconds()/1e6, seq, chunk>>20)
	if !lastChunk.IsZero() {
		fmt.Printf("  of which the last chunk and the finish (store, hash, fsync, record): %v\n", time.Since(lastChunk).Round(time.Millisecond)-time.Since(start.Add(el)).Round(time.Millisecond))
	}
	cpu := cpuTime(pid) - cpu0
	fmt.Printf("server CPU time: %v (%.0f MB per CPU-second: the server's own rate if it had a core to itself)\n", cpu.Round(10*time.Millisecond), float64(size)/cpu.Seconds()/1e6)
	hwm := float64(status(pid, "VmHWM")) / 1e6
	fmt.Printf("server peak memory: VmHWM %.1f MB (VmRSS now %.1f MB)\n", hwm, float64(status(pid, "VmRSS"))/1e6)
	// One line for scripts: label, seconds, MB/s, server CPU-seconds,
	// MB per server CPU-second, VmHWM in MB.
	fmt.Printf("result: %s %.3f %.0f %.2f %.0f %.1f\n", cmp.Or(label, "-"), el.Seconds(), float64(size)/el.Seconds()/1e6, cpu.Seconds(), float64(size)/cpu.Seconds()/1e6, hwm)
	return nil
}
