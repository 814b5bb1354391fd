package witness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/internal/durable"
)

// Files in the witness's data directory.
const (
	keyFile  = "witness.key" // the cosigner's private key, mode 0600
	dbFile   = "witness.db"  // the witness's SQLite state
	logsFile = "logs"        // the configured logs, one "ORIGIN=VKEY" or "VKEY" per line
)

// DefaultAddr is where a witness listens unless told otherwise.
const DefaultAddr = "127.0.0.1:7380"

// DirOptions says how to run a witness from its own data directory, as
// `custodia witness serve` does.
type DirOptions struct {
	// Dir holds witness.key (0600, created on first start), witness.db and
	// the optional logs file (one log per line as ParseLog reads it, "#"
	// comments).
	Dir string
	// Addr is the listen address; "" is DefaultAddr.
	Addr string
	// Name is the key's name, used only when the key is created (default
	// custodia-witness-XXXXXXXX); an existing key of another name is refused.
	Name string
	// Logs are accepted logs as ParseLog reads them, beside those of the
	// logs file.
	Logs []string
}

// ServeDir runs the witness of opts.Dir: it serves c2sp.org/tlog-witness
// and the latest cosigned checkpoint per log until ctx is cancelled, then
// shuts down gracefully. What it is doing is written to stdout.
func ServeDir(ctx context.Context, opts DirOptions, stdout io.Writer) error {
	if opts.Dir == "" {
		return errors.New("falta el directorio del testigo / missing the witness directory")
	}
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	return serve(ctx, opts.Dir, addr, opts.Name, opts.Logs, stdout)
}

// KeyOfDir returns the cosigner of the witness in dir, creating the
// directory (0700) and the key (0600, named name or a generated name) when
// there is none yet.
func KeyOfDir(dir, name string) (*Cosigner, error) {
	if dir == "" {
		return nil, errors.New("falta el directorio del testigo / missing the witness directory")
	}
	return loadOrCreateKey(dir, name)
}

func serve(ctx context.Context, data, addr, name string, logArgs []string, stdout io.Writer) error {
	cos, err := loadOrCreateKey(data, name)
	if err != nil {
		return err
	}
	logs, err := readLogs(filepath.Join(data, logsFile))
	if err != nil {
		return err
	}
	for _, a := range logArgs {
		l, err := ParseLog(a)
		if err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		logs = append(logs, l)
	}
	if len(logs) == 0 {
		return fmt.Errorf("ningún log configurado (--log o %s) / no log configured (--log or %s)",
			filepath.Join(data, logsFile), filepath.Join(data, logsFile))
	}
	logs = dedupLogs(logs)
	srv, err := NewServer(ctx, filepath.Join(data, dbFile), Config{Cosigner: cos, Logs: logs})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("escuchar en %s / listen on %s: %w", addr, addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	fmt.Fprintf(stdout, "testigo / witness %s\n", cos.Name())
	fmt.Fprintf(stdout, "clave de cosignatura / cosignature key: %s\n", cos.VerifierKey())
	for _, l := range logs {
		fmt.Fprintf(stdout, "log: %s\n", l.Origin)
	}
	fmt.Fprintf(stdout, "escuchando en / listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("cierre / shutdown: %w", err)
	}
	fmt.Fprintln(stdout, "testigo detenido / witness stopped")
	return nil
}

// loadOrCreateKey reads DIR/witness.key, creating the directory (0700) and a
// new key (0600) on first start.
func loadOrCreateKey(dir, name string) (*Cosigner, error) {
	path := filepath.Join(dir, keyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		cos, err := NewCosigner(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if name != "" && name != cos.Name() {
			return nil, fmt.Errorf("%s: la clave se llama %q, no %q / the key is named %q, not %q", path, cos.Name(), name, cos.Name(), name)
		}
		return cos, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("leer / read %s: %w", path, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("crear / create %s: %w", dir, err)
	}
	if name == "" {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		name = "custodia-witness-" + hex.EncodeToString(pub[:4])
	}
	skey, _, err := GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, err
	}
	if err := writeFileDurable(path, []byte(skey+"\n"), 0o600); err != nil {
		return nil, err
	}
	return NewCosigner(skey)
}

// writeFileDurable creates path exclusively (never overwriting a key).
func writeFileDurable(path string, data []byte, perm os.FileMode) error {
	if err := durable.Create(path, data, perm); err != nil {
		return fmt.Errorf("crear / create %s: %w", path, err)
	}
	return nil
}

// readLogs reads the logs file: one log per line as ParseLog reads it;
// blank lines and lines starting with '#' are ignored. A missing file is no
// logs.
func readLogs(path string) ([]Log, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("leer / read %s: %w", path, err)
	}
	var logs []Log
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l, err := ParseLog(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		logs = append(logs, l)
	}
	return logs, sc.Err()
}

// dedupLogs drops repeated configurations of the same key (file and flag).
func dedupLogs(logs []Log) []Log {
	seen := make(map[string]bool)
	var out []Log
	for _, l := range logs {
		k := fmt.Sprintf("%s+%08x", l.Origin, l.Verifier.KeyHash())
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, l)
	}
	return out
}
