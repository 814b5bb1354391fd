package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/custodia-ec/custodia"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/verify"
	"github.com/custodia-ec/custodia/verify/report"
)

func cmdVerify(e *env, args []string) error {
	fs, _ := newFlags("verify")
	key := fs.String("key", "", "trusted log key (note verifier format) or a file holding it")
	old := fs.String("checkpoint", "", "an older trusted checkpoint file")
	policy := fs.String("policy", "", "witness policy file")
	asJSON := fs.Bool("json", false, "JSON output")
	requireSigs := fs.Bool("require-signatures", false, "fail on any act without the personal signature of everyone it names")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("falta el archivo del paquete / missing the bundle FILE")
	}
	bundle, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	opts := verify.Options{Now: e.now(), RequireSignatures: *requireSigs}
	if *key != "" {
		opts.TrustedKey = *key
		if b, err := os.ReadFile(*key); err == nil {
			opts.TrustedKey = string(trimSpace(b))
		}
	}
	if *old != "" {
		if opts.OldCheckpoint, err = os.ReadFile(*old); err != nil {
			return err
		}
	}
	if *policy != "" {
		if opts.Policy, err = os.ReadFile(*policy); err != nil {
			return err
		}
	}
	res, err := verifyUntilStopped(e.ctx, bundle, opts)
	if err != nil {
		if ve, ok := err.(*verify.Error); ok {
			return fmt.Errorf("%s", ve.Localized(e.lang))
		}
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	report.WriteIn(e.stdout, res, e.lang, e.zone())
	return nil
}

// verifyUntilStopped runs the verifier with ctx, which main cancels on
// Ctrl-C or SIGTERM. The verifier looks at ctx before every event; the
// command also stops waiting for it as soon as ctx is done, so that a
// signal ends the command at once even inside one long step.
func verifyUntilStopped(ctx context.Context, bundle []byte, opts verify.Options) (*verify.Result, error) {
	type answer struct {
		res *verify.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := verify.VerifyContext(ctx, bundle, opts)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, a.err
	case <-ctx.Done():
		return nil, custody.Errorf(custody.EInvalid, "", "verificación interrumpida, sin veredicto", "verification interrupted, no verdict")
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// cmdDemo shows the whole chain on the Metastasis case in a temporary
// deployment: import, report, bundle, offline verification, audit.
func cmdDemo(e *env, args []string) error {
	fs, _ := newFlags("demo")
	keep := fs.Bool("keep", false, "keep the temporary deployment and print its path")
	if _, err := e.flags(fs, args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "custodia-demo-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	data := filepath.Join(dir, "data")
	say := func(es, en string) { fmt.Fprintf(e.stdout, "\n== %s\n", e.tr(es, en)) }

	say("1. Despliegue nuevo con su clave de registro", "1. A new deployment and its log key")
	vkey, err := deployment.Init(e.ctx, data, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s\n", e.tr("Clave pública:", "Public key:"), vkey)

	say("2. Importación del caso Metástasis (todo o nada)", "2. Import of the Metastasis case file (all or nothing)")
	file := filepath.Join(dir, "metastasis.jsonl")
	if err := os.WriteFile(file, custodia.Metastasis, 0o644); err != nil {
		return err
	}
	d, err := e.open(data)
	if err != nil {
		return err
	}
	defer d.Close()
	res, err := importFile(e, d, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d %s; %s %d\n", res.Events, e.tr("registros importados", "records imported"), e.tr("tamaño del registro", "log size"), res.Size)

	say("3. Informe del operativo OP-METASTASIS al 1 de enero de 2024", "3. Report of operation OP-METASTASIS as of 1 January 2024")
	asOf := time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("-05:00", -5*3600))
	r, err := d.Ledger.OperationReport("OP-METASTASIS", asOf)
	if err != nil {
		return err
	}
	if err := writeReportText(e, r, asOf); err != nil {
		return err
	}

	say("4. Paquete verificable del teléfono E-CHI-03-01 y su imagen forense", "4. Verifiable bundle of phone E-CHI-03-01 and its forensic image")
	b, err := d.Ledger.ExportBundle(e.ctx, "E-CHI-03-01", d.PublicKey)
	if err != nil {
		return err
	}
	bundleFile := filepath.Join(dir, "E-CHI-03-01.bundle.json")
	if err := writeAtomically(bundleFile, func(w io.Writer) error { return writeJSON(w, b) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d %s\n", bundleFile, len(b.Events), e.tr("eventos con sus pruebas", "events with their proofs"))

	say("5. Verificación fuera de línea, sin base de datos, con la clave publicada", "5. Offline verification, with no database, against the published key")
	raw, err := os.ReadFile(bundleFile)
	if err != nil {
		return err
	}
	vres, err := verify.Verify(raw, verify.Options{TrustedKey: vkey, Now: e.now()})
	if err != nil {
		return err
	}
	report.WriteIn(e.stdout, vres, e.lang, e.zone())

	say("6. Auditoría de la base de datos contra el registro", "6. Audit of the database against the log")
	return cmdAudit(e, []string{"--data", data})
}
