package forensic

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// usage is the help of `custodia hash`, Spanish first.
const usage = `uso: custodia hash [--algo md5,sha1,sha256] [--json] ARCHIVO...
usage: custodia hash [--algo md5,sha1,sha256] [--json] FILE...

Calcula MD5, SHA-1 y SHA-256 de cada archivo en una sola lectura ("-" es la
entrada estándar). Salida de texto: una línea por algoritmo y archivo, en el
formato BSD que escriben y comprueban md5sum/sha1sum/sha256sum --tag:
  SHA256 (archivo) = hex
Computes MD5, SHA-1 and SHA-256 of each file in one read ("-" is standard
input). Text output: one line per algorithm and file, in the BSD format that
md5sum/sha1sum/sha256sum --tag write and check.

  --algo LISTA   algoritmos, separados por comas / algorithms, comma-separated
                 (por defecto / default: md5,sha1,sha256)
  --json         un arreglo JSON de {file,size,md5,sha1,sha256} / a JSON array
`

// Result is one file's line of `custodia hash --json`. Digests not asked for
// are omitted.
type Result struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// Main runs `custodia hash`. args are the arguments after "hash"; flags may
// come before or after the files, and "--" ends the flags. It writes the
// digests to stdout, and to stderr a progress bar (only when stderr is a
// terminal) and one line per error. It returns the exit status: 0 when every
// file was hashed, 1 otherwise (bad flags, or any file that could not be
// read, after hashing the others, as sha256sum does).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "custodia hash: "+format+"\n", a...)
		return 1
	}

	fset := flag.NewFlagSet("custodia hash", flag.ContinueOnError)
	fset.SetOutput(io.Discard) // errors are reported below, in one line
	algoFlag := fset.String("algo", "md5,sha1,sha256", "")
	jsonFlag := fset.Bool("json", false, "")
	files, err := parseInterspersed(fset, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		return fail("%s / %s (custodia hash --help)", flagErrorES(err), err)
	}
	algos, err := ParseAlgos(*algoFlag)
	if err != nil {
		return fail("--algo: %v", err)
	}
	if len(files) == 0 {
		return fail("falta ARCHIVO / missing FILE (custodia hash --help)")
	}

	showBar := isTerminal(stderr)
	status := 0
	var results []Result
	for _, name := range files {
		res, err := hashFile(ctx, name, algos, stderr, showBar)
		if err != nil {
			status = fail("%v", err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if *jsonFlag {
			results = append(results, res)
			continue
		}
		sums := map[Algos]string{MD5: res.MD5, SHA1: res.SHA1, SHA256: res.SHA256}
		for _, a := range algoList {
			if algos&a != 0 {
				fmt.Fprintln(stdout, bsdLine(a, name, sums[a]))
			}
		}
	}
	if *jsonFlag {
		if results == nil {
			results = []Result{}
		}
		out, _ := json.MarshalIndent(results, "", "  ")
		fmt.Fprintf(stdout, "%s\n", out)
	}
	return status
}

// hashFile hashes one file ("-" is standard input, which Main does not have
// as a parameter and so reads from os.Stdin).
func hashFile(ctx context.Context, name string, algos Algos, stderr io.Writer, showBar bool) (Result, error) {
	var r io.Reader
	size := int64(-1)
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return Result{}, fileError(name, err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return Result{}, fileError(name, err)
		}
		if fi.IsDir() {
			return Result{}, fmt.Errorf("%q es un directorio / %q is a directory", name, name)
		}
		if fi.Mode().IsRegular() {
			size = fi.Size()
			adviseSequential(f)
		}
		r = f
	}

	progress := func(int64) {}
	if showBar {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }),
		)
		progress = func(n int64) { _ = bar.Add64(n) }
		defer func() { _ = bar.Finish() }()
	}

	sums, err := Sum(ctx, r, algos, progress)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("%q: interrumpido / interrupted", name)
		}
		return Result{}, fileError(name, err)
	}
	return Result{
		File:   name,
		Size:   sums.Size,
		MD5:    sums.Hex(MD5),
		SHA1:   sums.Hex(SHA1),
		SHA256: sums.Hex(SHA256),
	}, nil
}

// fileError turns an I/O error into one line that names the file, Spanish
// first.
func fileError(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%q: no existe / does not exist", name)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%q: permiso denegado / permission denied", name)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%q: error de lectura / read error: %v", name, err)
}

// bsdLine formats one digest as coreutils' --tag does, escaping a name that
// holds a newline, a carriage return or a backslash the way coreutils does
// (the line then starts with a backslash), so that `sha256sum -c` reads it
// back.
func bsdLine(a Algos, name, hexsum string) string {
	prefix := ""
	if strings.ContainsAny(name, "\\\n\r") {
		prefix = `\`
		name = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(name)
	}
	return fmt.Sprintf("%s%s (%s) = %s", prefix, a.tag(), name, hexsum)
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments, as users of sha256sum expect; "--" ends the flags.
func parseInterspersed(fset *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return nil, err
		}
		rest := fset.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagErrorES gives the Spanish half of a flag package error, whose text is
// English only.
func flagErrorES(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		return "opción desconocida " + strings.TrimPrefix(msg, "flag provided but not defined: ")
	case strings.HasPrefix(msg, "flag needs an argument: "):
		return "a la opción le falta su valor: " + strings.TrimPrefix(msg, "flag needs an argument: ")
	case strings.HasPrefix(msg, "invalid boolean value "):
		return "valor booleano no válido " + strings.TrimPrefix(msg, "invalid boolean value ")
	case strings.HasPrefix(msg, "invalid value "):
		return "valor no válido " + strings.TrimPrefix(msg, "invalid value ")
	}
	return "opción no válida"
}

// isTerminal reports whether w is a terminal, where a progress bar helps; on
// a pipe or a file it would only be noise.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
