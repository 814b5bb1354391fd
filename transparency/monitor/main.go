package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/transparency/witness"
	"golang.org/x/mod/sumdb/note"
)

// maxInputSize bounds an input file; bundles can be large, checkpoints are not.
const maxInputSize = 64 << 20

const usage = `uso / usage:
  custodia monitor FILE... [--key VKEY]... [--log URL] [--witness VKEY]... [--json]

Comprueba que todos los puntos de control sean compatibles entre sí. Dos del
mismo origen y tamaño con raíces distintas prueban una vista dividida: se
imprimen ambos, con sus firmas.
/ Checks that all checkpoints are consistent with each other. Two of the same
origin and size with different roots prove a split view: both are printed,
with their signatures.

FILE       nota de punto de control, JSON de paquete con campo "checkpoint",
           cuerpo add-checkpoint, o una URL http(s) (p. ej. el /checkpoint/...
           de un testigo) / checkpoint note, bundle JSON with a "checkpoint"
           field, add-checkpoint body, or an http(s) URL.
--key      clave pública del log (vkey) / the log's public key.
--log URL  el log en formato c2sp.org/tlog-tiles: añade su punto de control
           actual y comprueba pruebas de consistencia (requiere --key)
           / the log's tiles: adds its current checkpoint and checks
           consistency proofs (needs --key).
--witness  clave de cosignatura de un testigo conocido / a known witness's
           cosignature key.
--json     salida JSON / JSON output.

Salida / exit: 0 coherente / consistent; 1 bifurcación / fork; 2 error de
uso o entrada inválida / usage error or invalid input.
`

// Main runs "custodia monitor": args are what follows "monitor". It returns
// the exit status: 0 consistent, 1 a fork or inconsistency, 2 bad usage or
// input.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files, keys, witnesses []string
	var logURL string
	asJSON := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || a == "-" {
			files = append(files, a)
			continue
		}
		takesValue := name == "key" || name == "log" || name == "witness"
		if takesValue && !hasVal {
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "falta el valor de %s / missing value for %s\n", a, a)
				return 2
			}
			i++
			val = args[i]
		}
		switch name {
		case "key":
			keys = append(keys, val)
		case "log":
			logURL = val
		case "witness":
			witnesses = append(witnesses, val)
		case "json":
			asJSON = true
		case "h", "help":
			fmt.Fprint(stdout, usage)
			return 0
		default:
			fmt.Fprintf(stderr, "opción desconocida %s / unknown option %s\n%s", a, a, usage)
			return 2
		}
	}
	if len(files) == 0 && logURL == "" {
		fmt.Fprint(stderr, "faltan puntos de control / no checkpoints given\n"+usage)
		return 2
	}

	var cfg Config
	for _, k := range keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fmt.Fprintf(stderr, "--key %q: clave inválida / invalid key: %v\n", k, err)
			return 2
		}
		cfg.LogKeys = append(cfg.LogKeys, v)
	}
	for _, k := range witnesses {
		v, err := witness.NewVerifier(k)
		if err != nil {
			fmt.Fprintf(stderr, "--witness: %v\n", err)
			return 2
		}
		cfg.Witnesses = append(cfg.Witnesses, v)
	}

	var inputs []Input
	if logURL != "" {
		if len(cfg.LogKeys) != 1 {
			fmt.Fprintln(stderr, "--log requiere exactamente una --key / --log needs exactly one --key")
			return 2
		}
		src := &TileSource{URL: logURL, Verifier: cfg.LogKeys[0], HTTP: &http.Client{Timeout: 30 * time.Second}}
		cfg.Proofs = src
		cp, _, err := src.Latest(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "--log: %v\n", err)
			return 2
		}
		inputs = append(inputs, Input{Source: strings.TrimSuffix(logURL, "/") + "/checkpoint", Note: cp})
	}
	for _, f := range files {
		data, err := readSource(ctx, f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		in, err := ParseInput(f, data)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		inputs = append(inputs, in)
	}

	rep, err := Check(ctx, cfg, inputs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	} else {
		WriteText(stdout, rep)
	}
	switch {
	case rep.Forked():
		return 1
	case rep.Invalid():
		return 2
	}
	return 0
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
		if err != nil {
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
