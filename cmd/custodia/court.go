package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/court/caseuco"
	"github.com/custodia-ec/custodia/court/courtdata"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/internal/zone"
)

// Court documents (issue 7): `report item`, `report detentions`, the PDF and
// CSV forms of `report operation`, `label` and `export case-uco`. The data
// comes from package courtdata, the layout from courtdoc and caseuco.
//
// The command line runs as the deployment's operator, who holds its
// database and its log, where every site's address and warrant are written
// (and which `export case` writes out whole): its documents show every
// site's target (courtdata.EveryTarget). The server's doors print the same
// documents for the signed-in account, with the targets it may not see
// withheld (app's Policy.SiteTarget).

// docLang checks --lang. Documents are Spanish unless English is asked for:
// they are written for an Ecuadorian court, whatever the operator's locale.
func docLang(s string) (string, error) {
	switch s {
	case "", "es":
		return "es", nil
	case "en":
		return "en", nil
	}
	return "", usagef("--lang %q: es o/or en", s)
}

// outFormat is the format an output file's extension asks for, among allowed.
func outFormat(path string, allowed ...string) (string, error) {
	ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	for _, a := range allowed {
		if ext == a {
			return a, nil
		}
	}
	return "", usagef("-o %s: la extensión debe ser / the extension must be .%s", path, strings.Join(allowed, " | ."))
}

// wrote tells the operator where a document went.
func (e *env) wrote(path, what string) {
	fmt.Fprintf(e.stderr, "%s: %s\n", path, what)
}

// reportItem is `report item ITEM -o FILE.pdf [--lang es|en]`.
func reportItem(e *env, data, id, out, lang string) error {
	if _, err := outFormat(out, "pdf"); err != nil {
		return err
	}
	d, err := e.open(data)
	if err != nil {
		return err
	}
	defer d.Close()
	rec, err := courtdata.Item(e.ctx, d.Ledger, d.PublicKey, id, courtdata.Options{Lang: lang, Now: e.now(), Zone: e.zone(), Targets: courtdata.EveryTarget})
	if err != nil {
		return err
	}
	if err := writeAtomically(out, func(w io.Writer) error { return courtdoc.WriteItemPDF(w, rec, lang) }); err != nil {
		return err
	}
	e.wrote(out, fmt.Sprintf("%s, %s %d", e.many(len(rec.Events), "evento", "eventos", "event", "events"), e.tr("punto de control de tamaño", "checkpoint of size"), rec.Verification.CheckpointSize))
	return nil
}

// reportDetentions is `report detentions CASE -o FILE.pdf|FILE.csv`.
func reportDetentions(e *env, data, caseID, out, lang, asOf string) error {
	return reportFile(e, data, out, asOf,
		func(d *deployment.Deployment, t time.Time) (courtdoc.DetentionReport, error) {
			return courtdata.Detentions(d.Ledger, caseID, t, courtdata.Options{Lang: lang, Now: e.now(), Zone: e.zone()})
		},
		func(w io.Writer, rep courtdoc.DetentionReport, csv bool) error {
			if csv {
				return courtdoc.WriteDetentionsCSV(w, rep, lang)
			}
			return courtdoc.WriteDetentionsPDF(w, rep, lang)
		},
		func(rep courtdoc.DetentionReport) string {
			with := 0
			for _, r := range rep.Rows {
				if len(r.Violations) > 0 {
					with++
				}
			}
			return fmt.Sprintf("%d %s, %d %s", len(rep.Rows), e.tr("detenciones", "detentions"), with, e.tr("con incumplimientos", "with violations"))
		})
}

// reportOperationFile is `report operation OP -o FILE.pdf|FILE.csv`.
func reportOperationFile(e *env, data, op, out, lang, asOf string) error {
	return reportFile(e, data, out, asOf,
		func(d *deployment.Deployment, t time.Time) (courtdoc.OperationReport, error) {
			return courtdata.Operation(d.Ledger, op, t, courtdata.Options{Lang: lang, Now: e.now(), Zone: e.zone()})
		},
		func(w io.Writer, r courtdoc.OperationReport, csv bool) error {
			if csv {
				return courtdoc.WriteOperationCSV(w, r, lang)
			}
			return courtdoc.WriteOperationPDF(w, r, lang)
		},
		func(r courtdoc.OperationReport) string {
			return fmt.Sprintf("%d %s, %d %s, %d %s", r.Sites, e.tr("sitios", "sites"), r.Detentions, e.tr("detenciones", "detentions"), len(r.Timeline), e.tr("entradas de cronología", "timeline entries"))
		})
}

// reportFile writes a report as of asOf to out, a PDF or a CSV file by its
// name: build makes it from the deployment in data, write lays it out, and
// summary says what was written.
func reportFile[R any](e *env, data, out, asOf string, build func(*deployment.Deployment, time.Time) (R, error),
	write func(w io.Writer, r R, csv bool) error, summary func(R) string) error {
	format, err := outFormat(out, "pdf", "csv")
	if err != nil {
		return err
	}
	t, err := parseAsOf(e, asOf)
	if err != nil {
		return err
	}
	d, err := e.open(data)
	if err != nil {
		return err
	}
	defer d.Close()
	r, err := build(d, t)
	if err != nil {
		return err
	}
	if err := writeAtomically(out, func(w io.Writer) error { return write(w, r, format == "csv") }); err != nil {
		return err
	}
	e.wrote(out, summary(r))
	return nil
}

// sheet is the label stock `label --sheet` names: thermal (one 100×50 mm
// label per page) or a4 (3×8 labels of 70×37 mm).
func sheet(name string) (courtdoc.Sheet, bool) {
	switch name {
	case "thermal":
		return courtdoc.SheetThermal100x50, true
	case "a4":
		return courtdoc.SheetA4x24, true
	}
	return courtdoc.Sheet{}, false
}

// cmdLabel is `label ITEM... -o FILE.pdf [--sheet thermal|a4]`.
func cmdLabel(e *env, args []string) error {
	fs, data := newFlags("label")
	out := fs.String("o", "", "output file (.pdf)")
	sheetName := fs.String("sheet", "thermal", "thermal (100×50 mm) or a4 (3×8 labels of 70×37 mm)")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("falta al menos un ITEM / missing ITEM")
	}
	if *out == "" {
		return usagef("falta -o FILE.pdf / missing -o FILE.pdf")
	}
	if _, err := outFormat(*out, "pdf"); err != nil {
		return err
	}
	sh, ok := sheet(*sheetName)
	if !ok {
		return usagef("--sheet %q: thermal o/or a4", *sheetName)
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	labels, err := courtdata.Labels(d.Ledger, pos)
	if err != nil {
		return err
	}
	if err := writeAtomically(*out, func(w io.Writer) error { return courtdoc.WriteLabelsPDF(w, labels, sh, e.now()) }); err != nil {
		return err
	}
	e.wrote(*out, fmt.Sprintf("%s (%s)", e.many(len(labels), "etiqueta", "etiquetas", "label", "labels"), sh.Name))
	return nil
}

// exportCaseUCO is `export case-uco CASE -o FILE.jsonld`.
func exportCaseUCO(e *env, data, caseID, out, base string) error {
	if _, err := outFormat(out, "jsonld", "json"); err != nil {
		return err
	}
	d, err := e.open(data)
	if err != nil {
		return err
	}
	defer d.Close()
	cd, err := courtdata.CaseUCO(e.ctx, d.Ledger, caseID, base, courtdata.EveryTarget)
	if err != nil {
		return err
	}
	if err := writeAtomically(out, func(w io.Writer) error { return caseuco.Export(w, cd) }); err != nil {
		return err
	}
	e.wrote(out, fmt.Sprintf("CASE 1.4.0: %d %s, %d %s", len(cd.Items), e.tr("indicios", "items"), len(cd.Events), e.tr("eventos de custodia", "custody events")))
	return nil
}

// zone is the zone documents show times in: --zone, else $CUSTODIA_ZONE
// when it names one, else America/Guayaquil (an unknown name in the
// environment is said on stderr).
func (e *env) zone() *time.Location {
	if e.loc != nil {
		return e.loc
	}
	loc, err := zone.Load(os.Getenv("CUSTODIA_ZONE"))
	if err != nil {
		fmt.Fprintf(e.stderr, "CUSTODIA_ZONE: %v\n", err)
		return zone.Default()
	}
	return loc
}

// showTime shows an RFC 3339 time in loc with its offset, as the web and
// the documents do ("2023-12-14 06:30 -05:00"); what does not parse is
// shown as it is.
func showTime(s string, loc *time.Location) string {
	if t, err := custody.ParseTime(s); err == nil {
		return zone.Show(t, loc)
	}
	return s
}
