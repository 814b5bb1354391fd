package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/analysisdb"
)

// The analysis database is the server's analysis store.
var _ app.AnalysisStore = (*analysisdb.DB)(nil)

// recorderAnalyze records the analysis.import events of `custodia analyze
// import`.
const recorderAnalyze = "system:analyze"

// cmdAnalyze is `custodia analyze SUBCOMMAND`: the investigation analysis
// of issue 16 (package analysis, stored by storage/analysisdb).
func cmdAnalyze(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("falta la suborden (import, path, brokers, search, export, review, merge, split, revert) / missing subcommand")
	}
	switch args[0] {
	case "import":
		return cmdAnalyzeImport(e, args[1:])
	case "path":
		return cmdAnalyzePath(e, args[1:])
	case "brokers":
		return cmdAnalyzeBrokers(e, args[1:])
	case "search":
		return cmdAnalyzeSearch(e, args[1:])
	case "export":
		return cmdAnalyzeExport(e, args[1:])
	case "review":
		return cmdAnalyzeReview(e, args[1:])
	case "merge", "split":
		return cmdAnalyzeDecide(e, args[0], args[1:])
	case "revert":
		return cmdAnalyzeRevert(e, args[1:])
	}
	return usagef("suborden desconocida %q / unknown subcommand", args[0])
}

// openAnalysis opens the deployment and its analysis database.
func (e *env) openAnalysis(dir string) (*deployment.Deployment, *analysisdb.DB, error) {
	d, err := e.open(dir)
	if err != nil {
		return nil, nil, err
	}
	db, err := analysisdb.Open(e.ctx, filepath.Join(dir, analysisdb.File))
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, db, nil
}

func cmdAnalyzeImport(e *env, args []string) error {
	fs, data := newFlags("analyze import")
	format := fs.String("format", "", "whatsapp, telegram, vcard, calls-csv or payments-csv")
	mappingPath := fs.String("mapping", "", "column mapping (JSON) of a CSV file")
	dateOrder := fs.String("date-order", "", "WhatsApp dates: dmy or mdy (default: from the file)")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("se esperan ITEM y ARCHIVO / ITEM and FILE expected")
	}
	if !slices.Contains(analysis.Formats, *format) {
		return usagef("--format debe ser uno de / must be one of: %s", strings.Join(analysis.Formats, ", "))
	}
	if *dateOrder != "" && *dateOrder != "dmy" && *dateOrder != "mdy" {
		return usagef("--date-order: dmy, mdy")
	}
	item, path := pos[0], pos[1]
	opts := analysis.ImportOptions{DateOrder: *dateOrder}
	if *mappingPath != "" {
		b, err := os.ReadFile(*mappingPath)
		if err != nil {
			return err
		}
		if opts.Mapping, err = analysis.ParseMapping(b); err != nil {
			return fmt.Errorf("%s: %w", *mappingPath, err)
		}
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	var caseID string
	var files []domain.FileRef
	d.Ledger.View(func(st *domain.State) error {
		if it := st.Items[item]; it != nil {
			caseID = it.Case
			files = st.ItemFiles(item)
		}
		return nil
	})
	if caseID == "" {
		return custody.Errorf(custody.ENotFound, "item", "la evidencia %q no existe", "item %q does not exist", item)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sha, err := fileSHA256(f)
	if err != nil {
		return err
	}
	if err := matchItemFile(item, path, sha, files); err != nil {
		return err
	}
	tx, err := db.Begin(e.ctx, analysisdb.Import{Case: caseID, Item: item, SHA256: sha, Format: *format, At: e.now()})
	if errors.Is(err, analysisdb.ErrImported) {
		return custody.Errorf(custody.EDuplicate, "", "el archivo %s de la evidencia %s ya se importó como %s", "file %s of item %s was already imported as %s", sha, item, *format)
	}
	if err != nil {
		return err
	}
	// The bytes imported are hashed as they are read, so that a file
	// changed after the check above is refused too.
	h := sha256.New()
	rd := io.TeeReader(f, h)
	rejects := &rejectList{Sink: tx}
	sum, err := analysis.Import(*format, rd, analysis.Source{Item: item, SHA256: sha}, opts, rejects)
	if err == nil {
		_, err = io.Copy(h, rd)
	}
	if err == nil && hex.EncodeToString(h.Sum(nil)) != sha {
		err = custody.Errorf(custody.ETampered, "", "%s cambió mientras se importaba: no se guardó nada", "%s changed while it was imported: nothing was kept", path)
	}
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("%s: %w", path, err)
	}
	rec := &domain.AnalysisImport{Item: item, SHA256: sha, Format: *format, Records: int64(sum.Records), Rejects: int64(sum.Rejects)}
	res, _, err := d.Ledger.Append(e.ctx, []ledger.Record{{Op: domain.OpAnalysisImport, Rec: rec,
		Recorded: custody.Recorded{At: e.now().UTC().Format(time.RFC3339Nano), Account: recorderAnalyze}}})
	if err == nil && res[0].Err != nil {
		err = res[0].Err
	}
	if err != nil {
		tx.Rollback()
		return err
	}
	seq := res[0].Event.Seq
	if err := tx.Commit(seq); err != nil {
		return fmt.Errorf("%s (%s %d) / %s: %w", e.tr("la importación quedó en el registro pero no en la base de análisis; vuelva a importar", "the import is in the log but not in the analysis database; import again"),
			e.tr("evento n.º", "event no."), seq, path, err)
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"item": item, "case": caseID, "sha256": sha, "format": *format,
			"records": sum.Records, "rejects": rejects.list, "rejected": sum.Rejects, "event": seq})
	}
	fmt.Fprintf(e.stdout, "%s %s (sha256 %s): %d %s, %d %s; %s %d %s\n", item, path, sha, sum.Records, e.tr("registros", "records"),
		sum.Rejects, e.tr("líneas rechazadas", "rejected lines"), e.tr("evento n.º", "event no."), seq, e.tr("del registro", "of the log"))
	for i, r := range rejects.list {
		if i == 20 {
			fmt.Fprintf(e.stderr, "%s\n", e.tr(fmt.Sprintf("… y %d rechazos más (--json los lista todos)", len(rejects.list)-20), fmt.Sprintf("… and %d more rejects (--json lists them all)", len(rejects.list)-20)))
			break
		}
		fmt.Fprintf(e.stderr, "%s: %s\n", e.tr("rechazo", "reject"), strings.ReplaceAll(r.Localized(e.lang), "\n", " "))
	}
	return nil
}

// matchItemFile refuses a file whose hash is not one the log recorded for
// the item.
func matchItemFile(item, path, sha string, files []domain.FileRef) error {
	if len(files) == 0 {
		return custody.Errorf(custody.ERule, "item", "la evidencia %s no tiene archivos registrados (un adjunto, o el sha256 de una derivación): no se puede comprobar %s", "item %s has no recorded file (an attachment, or a derivation's sha256): %s cannot be checked", item, path)
	}
	var known []string
	for _, f := range files {
		if f.SHA256 == sha {
			return nil
		}
		known = append(known, f.SHA256)
	}
	return custody.Errorf(custody.ETampered, "sha256", "el SHA-256 de %s (%s) no es el de ningún archivo registrado para la evidencia %s (%s): no se importa", "the SHA-256 of %s (%s) is not that of any file recorded for item %s (%s): not imported",
		path, sha, item, strings.Join(known, ", "))
}

// rejectList keeps the rejects for the report (at most maxListed; the
// database keeps them all).
type rejectList struct {
	analysis.Sink
	list []analysis.Reject
}

const maxListed = 10000

func (r *rejectList) Reject(x analysis.Reject) error {
	if len(r.list) < maxListed {
		r.list = append(r.list, x)
	}
	return r.Sink.Reject(x)
}

// caseGraph builds a case's graph from its imports and the decisions in
// force in the log, tying entities to the case's persons and
// organizations (app.CaseParties: reserved identities never).
func (e *env) caseGraph(d *deployment.Deployment, db *analysisdb.DB, caseID string) (*analysis.Graph, error) {
	var parties []analysis.CaseParty
	var decisions []analysis.Decision
	found := false
	d.Ledger.View(func(st *domain.State) error {
		_, found = st.Cases[caseID]
		parties, decisions = app.CaseParties(st, caseID), app.CaseDecisions(st, caseID)
		return nil
	})
	if !found {
		return nil, custody.Errorf(custody.ENotFound, "case", "el caso %q no existe", "case %q does not exist", caseID)
	}
	return analysis.Build(db.Records(e.ctx, caseID), decisions, parties)
}

func cmdAnalyzePath(e *env, args []string) error {
	fs, data := newFlags("analyze path")
	afterFlag := fs.String("after", "", "RFC 3339 time: the first contact at or after it")
	maxGap := fs.Duration("max-gap", 0, "longest wait between two contacts (e.g. 2h)")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("se esperan CASO, DESDE y HASTA / CASE, FROM and TO expected")
	}
	if *maxGap < 0 {
		return usagef("--max-gap no puede ser negativo / cannot be negative")
	}
	var after time.Time
	if *afterFlag != "" {
		if after, err = custody.ParseTime(*afterFlag); err != nil {
			return usagef("--after %q: %s / %s", *afterFlag, "se espera RFC 3339 con zona (2023-12-14T21:00:00-05:00)", "RFC 3339 with an offset expected (2023-12-14T21:00:00-05:00)")
		}
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	g, err := e.caseGraph(d, db, pos[0])
	if err != nil {
		return err
	}
	from, err := g.Find(pos[1])
	if err != nil {
		return custody.Errorf(custody.ENotFound, "from", "%v", "%v", err)
	}
	to, err := g.Find(pos[2])
	if err != nil {
		return custody.Errorf(custody.ENotFound, "to", "%v", "%v", err)
	}
	var p analysis.Path
	var ok bool
	if *afterFlag != "" || *maxGap > 0 {
		p, ok = g.TemporalPath(from, to, after, *maxGap)
	} else {
		p, ok = g.ShortestPath(from, to)
	}
	if !ok {
		return custody.Errorf(custody.ENotFound, "", "no hay camino entre %s y %s con esas condiciones", "there is no path between %s and %s under those conditions", g.Entities[from], g.Entities[to])
	}
	out := app.PathOf(g, p, e.zone())
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	for i, ent := range out.Path {
		fmt.Fprintf(e.stdout, "%d. %s (%s", i+1, ent.Name, ent.Entity)
		if len(ent.Phones) > 0 {
			fmt.Fprintf(e.stdout, ", %s", strings.Join(ent.Phones, " "))
		}
		fmt.Fprintln(e.stdout, ")")
		if i < len(out.Links) {
			l := out.Links[i]
			at := l.At
			if at == "" {
				at = e.tr("sin hora", "no time")
			}
			fmt.Fprintf(e.stdout, "   %s %s — %s\n", l.Kind, at, describeEvidence(e, l.Source))
		}
	}
	return nil
}

func describeEvidence(e *env, ev analysis.Evidence) string {
	where := fmt.Sprintf("%s %d", e.tr("línea", "line"), ev.Line)
	if ev.Line == 0 {
		where = fmt.Sprintf("byte %d", ev.Offset)
	}
	return fmt.Sprintf("%s %s, sha256 %s, %s", e.tr("evidencia", "item"), ev.Item, ev.SHA256, where)
}

func cmdAnalyzeBrokers(e *env, args []string) error {
	fs, data := newFlags("analyze brokers")
	top := fs.Int("top", 10, "how many")
	samples := fs.Int("samples", 0, "sources sampled (0: exact up to 5,000 entities, else 1,000)")
	seed := fs.Uint64("seed", 1, "the sample's seed")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("se espera CASO / CASE expected")
	}
	if *top < 1 || *samples < 0 {
		return usagef("--top debe ser al menos 1 y --samples no negativo / --top must be at least 1 and --samples not negative")
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	g, err := e.caseGraph(d, db, pos[0])
	if err != nil {
		return err
	}
	scores, opts, err := app.BrokersOf(e.ctx, g, *samples, *seed)
	if err != nil {
		return err
	}
	out := app.BrokersView{Brokers: []app.BrokerView{}, Samples: opts.Samples, Seed: opts.Seed}
	for _, r := range g.Brokers(scores, *top) {
		out.Brokers = append(out.Brokers, app.BrokerView{AnalysisEntity: app.EntityView(g, r.Node), Score: r.Score})
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	how := e.tr("exacta", "exact")
	if opts.Samples > 0 && opts.Samples < len(g.Entities) {
		how = e.tr(fmt.Sprintf("muestra de %d orígenes, semilla %d", opts.Samples, opts.Seed), fmt.Sprintf("sample of %d sources, seed %d", opts.Samples, opts.Seed))
	}
	fmt.Fprintf(e.stdout, "%s (%s; %d %s, %d %s)\n", e.tr("Intermediarios: centralidad de intermediación", "Brokers: betweenness centrality"), how,
		len(g.Entities), e.tr("entidades", "entities"), len(g.Links), e.tr("vínculos", "links"))
	for i, b := range out.Brokers {
		fmt.Fprintf(e.stdout, "%2d. %.4f  %s (%s)\n", i+1, b.Score, b.Name, b.Entity)
	}
	return nil
}

func cmdAnalyzeSearch(e *env, args []string) error {
	fs, data := newFlags("analyze search")
	limit := fs.Int("limit", 50, "most hits")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("se esperan CASO y CONSULTA / CASE and QUERY expected")
	}
	if *limit < 1 {
		return usagef("--limit debe ser al menos 1 / must be at least 1")
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	found := false
	d.Ledger.View(func(st *domain.State) error { _, found = st.Cases[pos[0]]; return nil })
	if !found {
		return custody.Errorf(custody.ENotFound, "case", "el caso %q no existe", "case %q does not exist", pos[0])
	}
	hits, err := db.Search(e.ctx, pos[0], strings.Join(pos[1:], " "), *limit)
	if err != nil {
		return err
	}
	loc := e.zone()
	out := struct {
		Hits []app.SearchHit `json:"hits"`
	}{Hits: []app.SearchHit{}}
	for _, h := range hits {
		out.Hits = append(out.Hits, app.HitView(h, loc))
	}
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	for _, h := range out.Hits {
		from := h.From.Name
		if from == "" && len(h.From.Phones) > 0 {
			from = h.From.Phones[0]
		}
		fmt.Fprintf(e.stdout, "%s  %s: %s\n   %s\n", h.At, from, strings.ReplaceAll(h.Snippet, "\n", " "), describeEvidence(e, h.Source))
	}
	fmt.Fprintf(e.stderr, "%d %s\n", len(out.Hits), e.tr("resultados", "hits"))
	return nil
}

func cmdAnalyzeExport(e *env, args []string) error {
	fs, data := newFlags("analyze export")
	format := fs.String("format", "", "ftm, gexf, graphml or csv")
	out := fs.String("o", "", "output file")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("se espera CASO / CASE expected")
	}
	if *out == "" {
		return usagef("falta -o ARCHIVO / missing -o FILE")
	}
	write := map[string]func(io.Writer, *analysis.Graph) error{"ftm": analysis.WriteFtM, "gexf": analysis.WriteGEXF, "graphml": analysis.WriteGraphML, "csv": nil}
	if _, ok := write[*format]; !ok {
		return usagef("--format debe ser ftm, gexf, graphml o csv / must be ftm, gexf, graphml or csv")
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	g, err := e.caseGraph(d, db, pos[0])
	if err != nil {
		return err
	}
	var written []string
	if *format == "csv" {
		base := strings.TrimSuffix(*out, ".csv")
		nodes, edges := base+"-nodes.csv", base+"-edges.csv"
		// Each file is written whole or not at all.
		var eb strings.Builder
		if err := writeAtomically(nodes, func(w io.Writer) error { return analysis.WriteCSV(w, &eb, g) }); err != nil {
			return err
		}
		if err := writeAtomically(edges, func(w io.Writer) error { _, err := io.WriteString(w, eb.String()); return err }); err != nil {
			return err
		}
		written = []string{nodes, edges}
	} else {
		if err := writeAtomically(*out, func(w io.Writer) error { return write[*format](w, g) }); err != nil {
			return err
		}
		written = []string{*out}
	}
	fmt.Fprintf(e.stderr, "%s: %d %s, %d %s\n", strings.Join(written, ", "), len(g.Entities), e.tr("entidades", "entities"), len(g.Links), e.tr("vínculos con su evidencia", "links with their evidence"))
	return nil
}

// cmdAnalyzeReview lists a case's uncertain matches, with the keys a
// merge or split would name, and the decisions in force.
func cmdAnalyzeReview(e *env, args []string) error {
	fs, data := newFlags("analyze review")
	limit := fs.Int("limit", 50, "most pairs listed")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("se espera CASO / CASE expected")
	}
	if *limit < 1 || *limit > app.MaxReview {
		return usagef("--limit: de 1 a %d / 1 to %d", app.MaxReview, app.MaxReview)
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	g, err := e.caseGraph(d, db, pos[0])
	if err != nil {
		return err
	}
	out := struct {
		Review    []app.ReviewItem   `json:"review"`
		Decisions []app.DecisionView `json:"decisions"`
	}{Review: app.ReviewOf(g, *limit), Decisions: []app.DecisionView{}}
	d.Ledger.View(func(st *domain.State) error {
		for _, x := range st.AnalysisDecisions(pos[0]) {
			out.Decisions = append(out.Decisions, app.DecisionView{Decision: x.Seq, Kind: x.Kind, A: x.A, B: x.B, By: x.By, Note: x.Note})
		}
		return nil
	})
	if *asJSON {
		return writeJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "%s (%d)\n", e.tr("Por revisar: ¿son la misma entidad?", "To review: are they one entity?"), len(out.Review))
	for i, r := range out.Review {
		reason := r.Reason
		if e.lang == "en" {
			reason = r.ReasonEN
		}
		fmt.Fprintf(e.stdout, "%2d. %.2f  %s (%s) — %s (%s)\n    %s\n    custodia analyze merge|split %s %q %q --by CUENTA\n", i+1, r.Score, r.A.Name, r.A.Entity, r.B.Name, r.B.Entity, reason, pos[0], r.KeyA, r.KeyB)
	}
	fmt.Fprintf(e.stdout, "%s (%d)\n", e.tr("Decisiones en vigor", "Decisions in force"), len(out.Decisions))
	for _, x := range out.Decisions {
		fmt.Fprintf(e.stdout, "  n.º %d %s %s %s — %s %s %s\n", x.Decision, decisionWord(e, x.Kind), x.A, x.B, e.tr("por", "by"), x.By, x.Note)
	}
	return nil
}

func decisionWord(e *env, kind string) string {
	if kind == "merge" {
		return e.tr("unir", "merge")
	}
	return e.tr("separar", "split")
}

// cmdAnalyzeDecide records a merge or split in the log, in the name of
// the account that decided (--by): a member of the case whose role
// decides on analyses.
func cmdAnalyzeDecide(e *env, kind string, args []string) error {
	fs, data := newFlags("analyze " + kind)
	by := fs.String("by", "", "the account that decided (a member of the case)")
	note := fs.String("note", "", "why (a contact card, a statement)")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 || *by == "" {
		return usagef("analyze %s CASO A B --by CUENTA / CASE A B --by ACCOUNT", kind)
	}
	d, db, err := e.openAnalysis(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	defer db.Close()
	if err := canDecide(d, pos[0], *by); err != nil {
		return err
	}
	g, err := e.caseGraph(d, db, pos[0])
	if err != nil {
		return err
	}
	ka, kb, err := app.CheckDecision(g, kind, pos[1], pos[2])
	if err != nil {
		return err
	}
	dec := domain.AnalysisDecision{Case: pos[0], A: ka, B: kb, By: *by, Note: strings.TrimSpace(*note)}
	var rec any
	op := domain.OpAnalysisMerge
	if kind == "merge" {
		m := domain.AnalysisMerge(dec)
		rec = &m
	} else {
		sp := domain.AnalysisSplit(dec)
		rec, op = &sp, domain.OpAnalysisSplit
	}
	seq, err := e.appendAnalysis(d, op, rec)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, app.DecisionView{Decision: seq, Kind: kind, A: ka, B: kb, By: *by, Note: dec.Note})
	}
	fmt.Fprintf(e.stdout, "%s n.º %d: %s %s %s (%s %s)\n", e.tr("decisión", "decision"), seq, decisionWord(e, kind), ka, kb, e.tr("por", "by"), *by)
	return nil
}

// cmdAnalyzeRevert records that a decision no longer holds.
func cmdAnalyzeRevert(e *env, args []string) error {
	fs, data := newFlags("analyze revert")
	by := fs.String("by", "", "the account that decided (a member of the case)")
	note := fs.String("note", "", "why")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || *by == "" {
		return usagef("analyze revert CASO DECISIÓN --by CUENTA / CASE DECISION --by ACCOUNT")
	}
	var n int64
	if _, err := fmt.Sscan(pos[1], &n); err != nil || n < 0 || fmt.Sprint(n) != pos[1] {
		return usagef("DECISIÓN es el número de evento de la decisión (custodia analyze review lo muestra) / DECISION is the decision's event number (custodia analyze review shows it): %q", pos[1])
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := canDecide(d, pos[0], *by); err != nil {
		return err
	}
	seq, err := e.appendAnalysis(d, domain.OpAnalysisRevert, &domain.AnalysisRevert{Case: pos[0], Decision: n, By: *by, Note: strings.TrimSpace(*note)})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s n.º %d %s (%s n.º %d)\n", e.tr("decisión", "decision"), n, e.tr("revertida", "reverted"), e.tr("evento", "event"), seq)
	return nil
}

// canDecide checks that account may decide on case c's analysis: an
// active account whose role decides (the domain checks the membership).
func canDecide(d *deployment.Deployment, c, account string) error {
	var role string
	d.Ledger.View(func(st *domain.State) error {
		if a := st.Accounts[account]; a != nil && !a.Disabled {
			role = a.Role
		}
		return nil
	})
	if role == "" {
		return custody.Errorf(custody.ENotFound, "by", "la cuenta %q no existe o está deshabilitada", "account %q does not exist or is disabled", account)
	}
	if !(&app.Policy{}).Can(role, app.ActDecideAnalysis) {
		return custody.Errorf(custody.EForbidden, "by", "el rol %s no decide uniones ni separaciones (fiscales, investigadores y peritos sí)", "role %s does not decide merges or splits (prosecutors, investigators and forensic analysts do)", role)
	}
	return nil
}

// appendAnalysis validates and appends a decision or revert, recorded by
// the CLI; the record names who decided.
func (e *env) appendAnalysis(d *deployment.Deployment, op string, rec any) (int64, error) {
	if ce := domain.ValidateSystem(rec); ce != nil {
		return 0, ce
	}
	res, _, err := d.Ledger.Append(e.ctx, []ledger.Record{{Op: op, Rec: rec,
		Recorded: custody.Recorded{At: e.now().UTC().Format(time.RFC3339Nano), Account: recorderCLI}}})
	if err == nil && res[0].Err != nil {
		err = res[0].Err
	}
	if err != nil {
		return 0, err
	}
	return res[0].Event.Seq, nil
}
