package witness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"github.com/custodia-ec/custodia/internal/durable"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files in the witness's data directory.
const (
	keyFile    = "witness.key" // the cosigner's private key, mode 0600
	dbFile     = "witness.db"  // the witness's SQLite state
	logsFile   = "logs"        // the configured logs, one "ORIGIN=VKEY" or "VKEY" per line
	defaultAdr = "127.0.0.1:7380"
)

const usage = `uso / usage:
  custodia witness serve --data DIR [--addr 127.0.0.1:7380] [--name NAME] [--log ORIGIN=VKEY]...
  custodia witness key --data DIR [--name NAME]

serve: atiende c2sp.org/tlog-witness (POST /add-checkpoint) y
       GET /checkpoint/{origen}. / serves c2sp.org/tlog-witness and the latest
       cosigned checkpoint per log.
key:   crea la clave si falta e imprime la clave pública de cosignatura.
       / creates the key if missing and prints the cosignature public key.

--data DIR   directorio propio del testigo: witness.key (0600), witness.db, logs
             / the witness's own directory.
--name NAME  nombre de la clave, solo al crearla (por defecto custodia-witness-XXXXXXXX)
             / key name, used only when the key is created.
--log L      log aceptado (repetible): "ORIGEN=VKEY" o "VKEY" (el nombre de la
             clave del log es su origen). También se leen del fichero DIR/logs,
             una por línea, con comentarios "#".
             / accepted log (repeatable); also read from DIR/logs, one per line.
`

// Main runs the witness command line: args are what follows "custodia
// witness" ("serve ..." or "key ..."). It returns the exit status. serve runs
// until ctx is cancelled, then shuts down gracefully.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fl := flag.NewFlagSet("witness "+cmd, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, usage) }
	data := fl.String("data", "", "")
	addr := fl.String("addr", defaultAdr, "")
	name := fl.String("name", "", "")
	var logArgs multiFlag
	fl.Var(&logArgs, "log", "")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "argumento inesperado %q / unexpected argument %q\n", fl.Arg(0), fl.Arg(0))
		return 2
	}
	if *data == "" {
		fmt.Fprint(stderr, "falta --data / missing --data\n"+usage)
		return 2
	}
	switch cmd {
	case "key":
		cos, err := loadOrCreateKey(*data, *name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintln(stdout, cos.VerifierKey())
		return 0
	case "serve":
		if err := serve(ctx, *data, *addr, *name, logArgs, stdout); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "orden desconocida %q / unknown command %q\n%s", cmd, cmd, usage)
		return 2
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

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
