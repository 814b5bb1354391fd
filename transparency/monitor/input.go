package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/transparency/witness"
	"golang.org/x/mod/sumdb/note"
)

// maxInputSize bounds an input file; bundles can be large, checkpoints are not.
const maxInputSize = 64 << 20

// Options is what `custodia monitor` is given.
type Options struct {
	// Files are the checkpoints to compare: files or http(s) URLs, each
	// read as ParseInput says.
	Files []string
	// Keys are the log's public keys (note verifier keys); without them the
	// log's signatures are not checked.
	Keys []string
	// LogURL is the log's c2sp.org/tlog-tiles address: its current
	// checkpoint is added and consistency proofs are checked. It needs
	// exactly one key.
	LogURL string
	// Witnesses are known witnesses' cosignature keys.
	Witnesses []string
}

// Run reads every checkpoint of opts and checks them against each other. An
// error is bad input (a key, a file, the log); a fork or an invalid
// checkpoint is in the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Files) == 0 && opts.LogURL == "" {
		return nil, errors.New("faltan puntos de control / no checkpoints given")
	}
	var cfg Config
	for _, k := range opts.Keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			// Not x/mod's English ("malformed verifier id"): what a log
			// key looks like, in both languages.
			return nil, fmt.Errorf("--key %q: no es una clave pública de registro (NOMBRE+HASH+CLAVE, como la de log.pub) / not a log public key (NAME+HASH+KEY, like log.pub's)", k)
		}
		cfg.LogKeys = append(cfg.LogKeys, v)
	}
	for _, k := range opts.Witnesses {
		v, err := witness.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("--witness: %v", err)
		}
		cfg.Witnesses = append(cfg.Witnesses, v)
	}

	var inputs []Input
	if opts.LogURL != "" {
		if len(cfg.LogKeys) != 1 {
			return nil, errors.New("--log requiere exactamente una --key / --log needs exactly one --key")
		}
		src := &TileSource{URL: opts.LogURL, Verifier: cfg.LogKeys[0], HTTP: &http.Client{Timeout: 30 * time.Second}}
		cfg.Proofs = src
		cp, _, err := src.Latest(ctx)
		if err != nil {
			return nil, fmt.Errorf("--log: %v", err)
		}
		inputs = append(inputs, Input{Source: strings.TrimSuffix(opts.LogURL, "/") + "/checkpoint", Note: cp})
	}
	for _, f := range opts.Files {
		data, err := readSource(ctx, f)
		if err != nil {
			return nil, err
		}
		in, err := ParseInput(f, data)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return Check(ctx, cfg, inputs)
}

func readSource(ctx context.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, name, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: HTTP %d", name, resp.StatusCode)
		}
		return readLimited(name, resp.Body)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("leer / read %s: %w", name, err)
	}
	defer f.Close()
	return readLimited(name, f)
}

func readLimited(name string, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("leer / read %s: %w", name, err)
	}
	if len(b) > maxInputSize {
		return nil, fmt.Errorf("%s: más de %d bytes / larger than %d bytes", name, maxInputSize, maxInputSize)
	}
	return b, nil
}

// ParseInput finds the checkpoint note in data, which is one of: a
// checkpoint note; a JSON object (a bundle) whose "checkpoint" member is the
// note as a string, or an object holding it in "note"; an add-checkpoint
// request body (a witness's kept evidence).
func ParseInput(source string, data []byte) (Input, error) {
	bad := func(es, en string) error {
		return fmt.Errorf("%s: %s / %s", source, es, en)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return Input{}, bad("JSON inválido: "+err.Error(), "invalid JSON: "+err.Error())
		}
		raw, ok := doc["checkpoint"]
		if !ok {
			return Input{}, bad("el JSON no tiene campo \"checkpoint\"", "the JSON has no \"checkpoint\" field")
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			var obj map[string]json.RawMessage
			if json.Unmarshal(raw, &obj) != nil || obj["note"] == nil || json.Unmarshal(obj["note"], &s) != nil {
				return Input{}, bad("\"checkpoint\" debe ser la nota como texto, o un objeto con \"note\"",
					"\"checkpoint\" must be the note as a string, or an object with \"note\"")
			}
		}
		return Input{Source: source, Note: []byte(s)}, nil
	case bytes.HasPrefix(data, []byte("old ")):
		req, err := witness.ParseAddCheckpoint(data)
		if ce := (*custody.Error)(nil); errors.As(err, &ce) {
			return Input{}, bad(ce.Message, ce.MessageEN)
		} else if err != nil {
			return Input{}, fmt.Errorf("%s: %w", source, err)
		}
		return Input{Source: source, Note: req.Checkpoint}, nil
	default:
		return Input{Source: source, Note: data}, nil
	}
}

// WriteText writes the report for people: Spanish, then English.
func WriteText(w io.Writer, rep *Report) {
	origins := map[string]bool{}
	for _, o := range rep.Observations {
		origins[o.Origin] = true
	}
	fmt.Fprintf(w, "monitor: %d puntos de control, %d orígenes / %d checkpoints, %d origins\n",
		len(rep.Observations), len(origins), len(rep.Observations), len(origins))
	if !rep.KeyChecked {
		fmt.Fprintln(w, "AVISO: sin --key, las firmas del log no se comprobaron / WARNING: without --key, log signatures were not checked")
	}
	for _, o := range rep.Observations {
		cos := "-"
		if len(o.Cosigners) > 0 {
			cos = strings.Join(o.Cosigners, ", ")
		}
		fmt.Fprintf(w, "  %s: %s tamaño/size %d raíz/root %s cosignantes/cosigners %s\n", o.Source, o.Origin, o.Size, o.Root, cos)
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "\n[%s] %s\n[%s] %s\n", strings.ToUpper(f.Kind), f.Message, strings.ToUpper(f.Kind), f.MessageEN)
		if f.Kind == KindSplitView || f.Kind == KindInconsistent {
			for i, e := range f.Evidence {
				fmt.Fprintf(w, "--- prueba %d / evidence %d: %s\n%s", i+1, i+1, e.Source, e.Note)
				if !strings.HasSuffix(e.Note, "\n") {
					fmt.Fprintln(w)
				}
			}
			fmt.Fprintln(w, "---")
		}
	}
	switch {
	case rep.Forked():
		fmt.Fprintln(w, "\nRESULTADO: el log NO muestra una sola historia / RESULT: the log does NOT show a single history")
	case rep.Invalid():
		fmt.Fprintln(w, "\nRESULTADO: hay entradas inválidas / RESULT: some inputs are invalid")
	default:
		fmt.Fprintln(w, "\nRESULTADO: coherente / RESULT: consistent")
	}
}
