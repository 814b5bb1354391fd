package forensic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Result is one file's line of `custodia hash --json`. Digests not asked for
// are omitted.
type Result struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// FileOptions says how HashFile reads and reports.
type FileOptions struct {
	// Algos are the digests to compute.
	Algos Algos
	// Stdin is what the name "-" reads.
	Stdin io.Reader
	// Progress, when set, receives a progress bar (meant for a terminal).
	Progress io.Writer
}

// HashFile hashes the file called name ("-" is opts.Stdin). Its errors are
// one line that names the file, Spanish first.
func HashFile(ctx context.Context, name string, opts FileOptions) (Result, error) {
	return hashFile(ctx, name, opts.Algos, opts.Stdin, opts.Progress)
}

// WriteBSD writes res as coreutils' --tag does, one line per algorithm of
// algos in output order (MD5, SHA1, SHA256), so that md5sum, sha1sum and
// sha256sum -c read them back.
func WriteBSD(w io.Writer, res Result, algos Algos) error {
	sums := map[Algos]string{MD5: res.MD5, SHA1: res.SHA1, SHA256: res.SHA256}
	for _, a := range algoList {
		if algos&a != 0 {
			if _, err := fmt.Fprintln(w, bsdLine(a, res.File, sums[a])); err != nil {
				return err
			}
		}
	}
	return nil
}

// hashFile hashes one file ("-" is stdin); a progress bar goes to barTo
// when it is set.
func hashFile(ctx context.Context, name string, algos Algos, stdin io.Reader, barTo io.Writer) (Result, error) {
	var r io.Reader
	size := int64(-1)
	if name == "-" {
		if stdin == nil {
			return Result{}, fmt.Errorf("%q: sin entrada estándar / no standard input", name)
		}
		r = stdin
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
	if barTo != nil {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(barTo),
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
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(barTo) }),
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
