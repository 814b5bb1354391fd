package main

import (
	"errors"
	"flag"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/evidence"
	"github.com/custodia-ec/custodia/evidence/forensic"
)

// recorderFsck records the blob.check events of `custodia fsck`.
const recorderFsck = "system:fsck"

// cmdUpload sends a file to a server as an attachment of an item, resuming
// after dropped connections.
func cmdUpload(e *env, args []string) error {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	srv := fs.String("server", envOr("CUSTODIA_SERVER", "http://127.0.0.1:8080"), "server URL")
	token := fs.String("token", os.Getenv("CUSTODIA_TOKEN"), "API token with write scope (default $CUSTODIA_TOKEN)")
	name := fs.String("name", "", "file name to record (default the file's base name)")
	mediaType := fs.String("media-type", "", "media type (default from the extension)")
	at := fs.String("at", "", "time of the record, RFC 3339 (default now)")
	chunk := fs.Int64("chunk", evidence.DefaultChunk, "bytes per request")
	keyFile := fs.String("key", "", "your key file (custodia key new): required once your officer has a registered key")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("se esperan ITEM y FILE / ITEM and FILE expected")
	}
	if *token == "" {
		return usagef("falta --token (o CUSTODIA_TOKEN) / missing --token (or CUSTODIA_TOKEN)")
	}
	if err := e.plainServer(*srv); err != nil {
		return err
	}
	item, path := pos[0], pos[1]
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %s", path, e.tr("no es un archivo regular", "not a regular file"))
	}
	size := st.Size()
	tty := isTerminal(e.stderr)
	bar := func(desc string) *progressbar.ProgressBar {
		if !tty {
			return nil
		}
		return progressbar.NewOptions64(size, progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(desc), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish())
	}
	// The server checks the file against the sha256 declared up front.
	hb := bar(e.tr("hash", "hash"))
	var progress func(int64)
	if hb != nil {
		progress = func(n int64) { hb.Set64(n) }
	}
	sums, err := forensic.Sum(e.ctx, f, forensic.SHA256, progress)
	if err != nil {
		return err
	}
	if hb != nil {
		hb.Finish()
	}
	sha := sums.Hex(forensic.SHA256)
	if *name == "" {
		*name = filepath.Base(path)
	}
	if *mediaType == "" {
		*mediaType, _, _ = strings.Cut(mime.TypeByExtension(filepath.Ext(path)), ";")
	}
	if *at == "" {
		*at = e.now().Format(time.RFC3339)
	}
	up := &evidence.Uploader{Server: *srv, Token: *token, Chunk: *chunk}
	officer, err := up.Me(e.ctx)
	if err != nil {
		return err
	}
	if officer == "" {
		return errors.New(e.tr("la cuenta del token no tiene funcionario: no puede adjuntar archivos", "the token's account has no officer: it cannot attach files"))
	}
	ub := bar(e.tr("subida", "upload"))
	if ub != nil {
		up.Progress = func(off int64) { ub.Set64(off) }
	}
	rec := &custody.Attach{Name: *name, SHA256: sha, Size: &size, At: *at, By: officer, MediaType: *mediaType}
	if *keyFile != "" {
		// Signed over the record as the server records it: with its item.
		k, err := accounts.LoadOfficerKey(*keyFile)
		if err != nil {
			return err
		}
		signed := *rec
		signed.Item = item
		_, d, err := app.ActDigest(custody.OpAttach, &signed)
		if err != nil {
			return err
		}
		up.Sigs = []custody.Sig{k.Sign(custody.RoleBy, d)}
	}
	seq, err := up.Upload(e.ctx, item, custody.OpAttach, rec, f, size)
	if ub != nil {
		ub.Finish()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s sha256 %s %d bytes: %s %d\n", item, *name, sha, size, e.tr("registro", "record"), seq)
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// cmdFsck re-hashes every file the log references and records each check.
func cmdFsck(e *env, args []string) error {
	fs, data := newFlags("fsck")
	caseID := fs.String("case", "", "only this case")
	rate := fs.Int64("rate", 0, "read at most this many bytes per second (0: no cap)")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("fsck no admite argumentos / takes no arguments")
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	c := &evidence.Checker{Ledger: d.Ledger, Store: d.Blobs, BytesPerSecond: *rate,
		Append: evidence.LedgerAppender(d.Ledger, recorderFsck, e.now)}
	sum, err := c.Run(e.ctx, *caseID, func(ch evidence.Check) error {
		if *asJSON {
			return nil
		}
		es, en := evidence.Describe(ch.BlobCheck)
		mark := "ok"
		if ch.Result != domain.BlobOK {
			mark = "ALERTA/ALERT " + ch.Result
		}
		fmt.Fprintf(e.stdout, "[%s] %s (seq %d)\n", mark, e.tr(es, en), ch.Seq)
		return nil
	})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(e.stdout, sum); err != nil {
			return err
		}
	} else {
		for _, o := range sum.Orphans {
			fmt.Fprintf(e.stdout, "[%s] %s %s (%d bytes)\n", e.tr("AVISO", "WARNING"), e.tr("archivo que ningún registro cita:", "file no record cites:"), o.SHA256, o.Size)
		}
		fmt.Fprintf(e.stdout, "%s: %d %s, %d %s, %d bytes; %d %s\n", e.tr("Verificación", "Check"), sum.Files, e.tr("archivos", "files"),
			sum.Problems, e.tr("con problemas", "with problems"), sum.Bytes, len(sum.Orphans), e.tr("sin registro", "not in the record"))
	}
	if sum.Unreadable > 0 {
		return custody.Errorf(custody.EInternal, "", "%d archivos no se pudieron leer (no se registró nada para ellos; reintente)", "%d files could not be read (nothing recorded for them; retry)", sum.Unreadable)
	}
	if sum.Problems > 0 {
		return custody.Errorf(custody.ETampered, "", "%d archivos de evidencia faltan o cambiaron", "%d evidence files are missing or changed", sum.Problems)
	}
	return nil
}

// isExportDir reports whether an export's -o names a directory: an
// existing one, or a path ending in a separator.
func isExportDir(out string) bool {
	if strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(os.PathSeparator)) {
		return true
	}
	st, err := os.Stat(out)
	return err == nil && st.IsDir()
}

// exportCaseDir writes DIR/case.jsonl and DIR/blobs/.
func exportCaseDir(e *env, d *deployment.Deployment, caseID, dir string) error {
	res, err := evidence.ExportCase(e.ctx, d.Ledger, d.Blobs, caseID, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s: %d %s, %d %s (%d bytes)\n", dir, res.Records, e.tr("registros", "records"), res.Blobs, e.tr("archivos", "files"), res.Bytes)
	if len(res.Missing) > 0 {
		return custody.Errorf(custody.ETampered, "", "faltan %d archivos de evidencia en el almacén; se exportó el resto: %s", "%d evidence files are missing from the store; the rest was exported: %s", len(res.Missing), strings.Join(res.Missing, ", "))
	}
	return nil
}

// importDir imports a case export directory.
func importDir(e *env, d *deployment.Deployment, dir string) error {
	res, err := evidence.ImportDir(e.ctx, d.Ledger, d.Blobs, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d %s, %d %s (%d bytes); %s %d\n", dir, res.Events, e.tr("registros importados", "records imported"),
		res.Blobs, e.tr("archivos verificados", "files verified"), res.Bytes, e.tr("tamaño del registro", "log size"), res.Size)
	if res.Missing > 0 {
		fmt.Fprintf(e.stderr, "%s: %d\n", e.tr("aviso: adjuntos sin archivo en el directorio", "warning: attachments with no file in the directory"), res.Missing)
	}
	return nil
}

// printEvidenceAlerts prints audit's "evidence files" section: the
// latest checks that found a file missing or changed.
func printEvidenceAlerts(e *env, alerts []domain.BlobCheckState) {
	if len(alerts) == 0 {
		return
	}
	fmt.Fprintf(e.stdout, "%s: %d\n", e.tr("Archivos de evidencia con problemas", "Evidence files with problems"), len(alerts))
	for _, a := range alerts {
		es, en := evidence.Describe(a.BlobCheck)
		fmt.Fprintf(e.stdout, "  [%s] %s (blob.check seq %d)\n", a.Result, e.tr(es, en), a.Seq)
	}
}
