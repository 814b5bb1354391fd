package web

import (
	"net/http"
	"sort"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/domain"
)

type caseRow struct {
	ID, Title, OpenedAt string
	// Items counts every item of the case the user may see: the ones
	// seized at a site and the ones derived from them (copies,
	// extractions), which the operation boards do not count.
	Operations, Items, Seized, Derived int
	// Restricted is a reader who may see some of the case's items but not
	// the case (the defence, its disclosed items): the card lists those
	// items instead of linking a case page it cannot open.
	Restricted bool
	Listed     []string
}

func (w *Web) cases(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var out []caseRow
	var reads []domain.AccessRead
	w.l.View(func(st *domain.State) error {
		for id, c := range st.Cases {
			if w.s.Policy.Case(st, p, id) != nil {
				continue
			}
			row := caseRow{ID: id, Title: c.Title, OpenedAt: c.At, Restricted: w.s.Policy.Read(st, p, id) != nil}
			for _, op := range st.Operations {
				if op.Case == id {
					row.Operations++
				}
			}
			for _, it := range st.Items {
				if it.Case == id && w.s.Policy.ItemListed(st, p, it) {
					row.Items++
					if row.Restricted {
						row.Listed = append(row.Listed, it.ID)
					}
					if it.Parent != "" {
						row.Derived++
					} else {
						row.Seized++
					}
				}
			}
			sort.Strings(row.Listed)
			out = append(out, row)
			reads = append(reads, domain.AccessRead{Case: id, Kind: "case", ID: id})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err := w.s.AuditedRead(ctx(r), p, reads...); err != nil {
		return err
	}
	return w.render(rw, r, p, "cases", "cases.title", out)
}

// board is one operation's live board.
type board struct {
	Operation, Name, HHour string
	Sites                  int
	Provinces              []provinceSites
	ByStatus               []count
	Chart                  chartSVG
	Detentions             []detentionRow
	ItemsByType            []count
	Items                  int
	Stream, Src            string
	// Late are the acts that arrived from field devices well after
	// their own time (domain.LateEntries): "sincronizado tarde".
	Late []domain.LateEntry
}

type provinceSites struct {
	Province string
	Sites    []app.SiteView
}

type count struct {
	Key string
	N   int
}

func counts(m map[string]int, order []string) []count {
	var out []count
	seen := map[string]bool{}
	for _, k := range order {
		if m[k] > 0 {
			out = append(out, count{k, m[k]})
		}
		seen[k] = true
	}
	var rest []string
	for k := range m {
		if !seen[k] && m[k] > 0 {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, count{k, m[k]})
	}
	return out
}

// statusOrder is the order of site statuses on the board.
var statusOrder = []string{"planned", "en_route", "entered", "secured", "completed", "aborted"}

// detentionRow is a detention with its deadlines and state as of now.
type detentionRow struct {
	ID, Person, PersonName, Basis, Site string
	ArrestedAt, Rights, Hearing         string
	Released                            string
	RightsDue, HearingDue               time.Time
	Violations                          []domain.DeadlineViolation
	// Clock is the deadline still running (the hearing, or the rights
	// notice), zero when none is.
	Clock     time.Time
	ClockRule string
	// Field is how the detention came from a field device, if it did.
	Field *domain.FieldArrival
}

// dedupReads drops repeated reads, keeping the first of each: a page that
// shows a reserved identity twice (in the persons and in a detention) read
// it once.
func dedupReads(reads []domain.AccessRead) []domain.AccessRead {
	seen := make(map[domain.AccessRead]bool, len(reads))
	out := reads[:0]
	for _, rd := range reads {
		if !seen[rd] {
			seen[rd] = true
			out = append(out, rd)
		}
	}
	return out
}

// detentionRow is a detention as the pages list it, with the person's name
// (a reserved identity redacted unless p's role may see it), and the read to
// record when a reserved identity is shown (nil otherwise), which the
// caller records with the page's other reads.
func (w *Web) detentionRow(st *domain.State, p *app.Principal, d domain.DetentionStatus) (detentionRow, *domain.AccessRead) {
	cfg := st.Config()
	arrested, _ := time.Parse(time.RFC3339Nano, d.ArrestedAt)
	row := detentionRow{ID: d.ID, Person: d.Person, Basis: d.Basis, Site: d.Site, ArrestedAt: d.ArrestedAt, Rights: d.RightsNotifiedAt,
		Hearing: d.HearingAt, Released: d.ReleasedAt, Violations: d.Violations, Field: st.ArrivalOf(d.Seq),
		RightsDue:  arrested.Add(time.Duration(cfg.RightsNoticeMinutes) * time.Minute),
		HearingDue: arrested.Add(time.Duration(cfg.HearingMinutes) * time.Minute)}
	var rd *domain.AccessRead
	if pe, ok := st.Persons[d.Person]; ok {
		var v app.PersonView
		v, rd = w.s.PersonViewOf(pe, p)
		row.PersonName = v.Name
	}
	switch {
	case d.ReleasedAt != "":
	case d.RightsNotifiedAt == "":
		row.Clock, row.ClockRule = row.RightsDue, "rights"
	case d.HearingAt == "":
		row.Clock, row.ClockRule = row.HearingDue, "hearing"
	}
	return row, rd
}

// buildBoard computes an operation's board as of now; st is read-locked.
func (w *Web) buildBoard(st *domain.State, p *app.Principal, op *domain.Operation, lang string) (*board, []domain.AccessRead) {
	now := w.now()
	b := &board{Operation: op.ID, Name: op.Name, HHour: op.HHour, Sites: len(op.Sites),
		Stream: "/api/v1/operations/" + op.ID + "/events", Src: "/operativos/" + op.ID + "/tablero"}
	reads := []domain.AccessRead{{Case: op.Case, Kind: "report", ID: op.ID}}
	byProv := map[string][]app.SiteView{}
	byStatus := map[string]int{}
	grid := map[string]map[string]int{}
	for _, id := range op.Sites {
		site := st.Sites[id]
		v, rd := w.s.SiteViewOf(st, p, site, op.Case)
		v.Address, v.Warrant = "", "" // the board never shows targets
		_ = rd
		byProv[v.Province] = append(byProv[v.Province], v)
		byStatus[v.Status]++
		if grid[v.Province] == nil {
			grid[v.Province] = map[string]int{}
		}
		grid[v.Province][v.Status]++
	}
	var provs []string
	for pr := range byProv {
		provs = append(provs, pr)
	}
	sort.Strings(provs)
	for _, pr := range provs {
		b.Provinces = append(b.Provinces, provinceSites{pr, byProv[pr]})
	}
	b.ByStatus = counts(byStatus, statusOrder)
	b.Chart = w.statusChart(provs, grid, lang)
	for _, d := range st.CaseDetentions(op.Case, now) {
		if st.BelongsTo(d.Detention, op.ID) {
			row, rd := w.detentionRow(st, p, d)
			b.Detentions = append(b.Detentions, row)
			if rd != nil {
				reads = append(reads, *rd)
			}
		}
	}
	if len(b.Detentions) > 0 {
		reads = append(reads, domain.AccessRead{Case: op.Case, Kind: "detentions", ID: op.Case})
	}
	byType := map[string]int{}
	for _, it := range st.Items {
		if it.Case != op.Case || it.Seize == nil || it.Seize.Site == "" || !w.s.Policy.ItemListed(st, p, it) {
			continue
		}
		if site, ok := st.Sites[it.Seize.Site]; ok && site.Operation == op.ID {
			byType[it.Type]++
			b.Items++
		}
	}
	b.ItemsByType = counts(byType, nil)
	for _, le := range st.LateEntries(op.ID, now) {
		if it := st.Items[le.Ref]; it != nil && !w.s.Policy.ItemListed(st, p, it) {
			continue
		}
		b.Late = append(b.Late, le)
	}
	return b, reads
}

// caseData is the case overview.
type caseData struct {
	ID, Title, OpenedAt, Summary string
	Boards                       []*board
	Persons                      []app.PersonView
	Orgs                         []*domain.Organization
	Links                        []linkRow
	Graph                        chartSVG
	CanAccessLog                 bool
	CanAnalysis                  bool // the case's investigation analysis (analysis.go)
}

type linkRow struct {
	ID, From, FromName, To, ToName, Kind, At, Note string
}

func (w *Web) casePage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("case")
	var d caseData
	reads := []domain.AccessRead{{Case: id, Kind: "case", ID: id}, {Case: id, Kind: "persons", ID: id}}
	l := lang(r)
	err := w.l.View(func(st *domain.State) error {
		if err := w.s.Policy.Read(st, p, id); err != nil {
			return err
		}
		c := st.Cases[id]
		d = caseData{ID: id, Title: c.Title, OpenedAt: c.At, Summary: c.Summary, CanAccessLog: w.s.Policy.Can(p.Role, app.ActReadAccessLog), CanAnalysis: w.s.Policy.Can(p.Role, app.ActReadAnalysis)}
		var ops []*domain.Operation
		for _, op := range st.Operations {
			if op.Case == id {
				ops = append(ops, op)
			}
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].ID < ops[j].ID })
		for _, op := range ops {
			b, rd := w.buildBoard(st, p, op, l)
			d.Boards = append(d.Boards, b)
			reads = append(reads, rd...)
		}
		names := map[string]string{}
		for _, pe := range st.Persons {
			if pe.Case != id {
				continue
			}
			v, rd := w.s.PersonViewOf(pe, p)
			d.Persons = append(d.Persons, v)
			names[v.ID] = v.Name
			if rd != nil {
				reads = append(reads, *rd)
			}
		}
		sort.Slice(d.Persons, func(i, j int) bool { return d.Persons[i].ID < d.Persons[j].ID })
		for _, o := range st.Organizations {
			if o.Case == id {
				d.Orgs = append(d.Orgs, o)
				names[o.ID] = o.Name
			}
		}
		sort.Slice(d.Orgs, func(i, j int) bool { return d.Orgs[i].ID < d.Orgs[j].ID })
		for _, lk := range st.Links {
			if lk.Case == id {
				d.Links = append(d.Links, linkRow{ID: lk.ID, From: lk.From, FromName: names[lk.From], To: lk.To, ToName: names[lk.To], Kind: lk.Kind, At: lk.At, Note: lk.Note})
			}
		}
		sort.Slice(d.Links, func(i, j int) bool { return d.Links[i].ID < d.Links[j].ID })
		d.Graph = w.linkGraph(d.Persons, d.Orgs, d.Links, l)
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.s.AuditedRead(ctx(r), p, dedupReads(reads)...); err != nil {
		return err
	}
	return w.render(rw, r, p, "case", "case.title", d)
}

// boardFragment is one board, re-rendered when the stream says it changed.
func (w *Web) boardFragment(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	opID := r.PathValue("operation")
	var b *board
	var reads []domain.AccessRead
	err := w.l.View(func(st *domain.State) error {
		op, ok := st.Operations[opID]
		if !ok {
			return notFound()
		}
		if err := w.s.Policy.Read(st, p, op.Case); err != nil {
			return err
		}
		b, reads = w.buildBoard(st, p, op, lang(r))
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.s.AuditedRead(ctx(r), p, dedupReads(reads)...); err != nil {
		return err
	}
	return w.fragment(rw, r, p, "case", "board", b)
}

func (w *Web) detentions(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("case")
	var rows []detentionRow
	var title string
	reads := []domain.AccessRead{{Case: id, Kind: "detentions", ID: id}}
	err := w.l.View(func(st *domain.State) error {
		if err := w.s.Policy.Read(st, p, id); err != nil {
			return err
		}
		title = st.Cases[id].Title
		for _, d := range st.CaseDetentions(id, w.now()) {
			row, rd := w.detentionRow(st, p, d)
			rows = append(rows, row)
			if rd != nil {
				reads = append(reads, *rd)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.s.AuditedRead(ctx(r), p, dedupReads(reads)...); err != nil {
		return err
	}
	return w.render(rw, r, p, "detentions", "detentions.title", struct {
		Case, Title string
		Rows        []detentionRow
		CanUpdate   bool
	}{id, title, rows, w.s.Policy.Can(p.Role, casefile.OpDetentionUpd) && p.Officer != ""})
}

// detentionUpdate records when rights were read, the hearing held or the
// person released (detention.update), as the signed-in officer.
func (w *Web) detentionUpdate(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PostFormValue("detention")
	if id == "" {
		return invalid("detention", "elija la detención", "choose the detention")
	}
	var c string
	if err := w.l.View(func(st *domain.State) error {
		d, ok := st.Detentions[id]
		if !ok {
			return notFound()
		}
		c = d.Case
		return w.s.Policy.Read(st, p, c)
	}); err != nil {
		return err
	}
	field := r.PostFormValue("what")
	if field != "rights_notified_at" && field != "hearing_at" && field != "released_at" {
		return invalid("what", "elija qué se registra", "choose what to record")
	}
	at, err := w.formTime(r, "at", true)
	if err != nil {
		return err
	}
	rec := &casefile.DetentionUpdate{Detention: id, At: at, By: p.Officer}
	switch field {
	case "rights_notified_at":
		rec.RightsNotifiedAt = at
	case "hearing_at":
		rec.HearingAt = at
	default:
		rec.ReleasedAt = at
	}
	if _, err := w.write(r, p, casefile.OpDetentionUpd, rec); err != nil {
		return err
	}
	return done(rw, r, "/casos/"+c+"/detenciones")
}
