package courtdoc

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/custodia-ec/custodia/casefile"

	"github.com/go-pdf/fpdf"
)

// OperationReport is the spec's `custodia report operation` (see
// shared/spec/scenario.md), plus the night's timeline and, optionally, the
// sites by province and status together. Its JSON tags are the spec's keys,
// so the JSON report (`--json`) decodes straight into it. Counts maps list only keys above
// zero, as in the JSON report; keys are the case file's codes.
type OperationReport struct {
	Operation string    `json:"operation"`       // operation id, e.g. "OP-METASTASIS"
	Name      string    `json:"name,omitempty"`  // e.g. "Operativo Metástasis"; may be empty
	Case      string    `json:"case"`            // case id
	AsOf      time.Time `json:"as_of"`           // the instant the report describes (deadlines are measured to it)
	HHour     time.Time `json:"h_hour,omitzero"` // the plan's H hour; zero when unknown

	Sites           int            `json:"sites"`
	Provinces       int            `json:"provinces"`
	SitesByProvince map[string]int `json:"sites_by_province"` // {province: sites}
	SitesByStatus   map[string]int `json:"sites_by_status"`   // {status: sites}, "planned" for no status yet
	// SitesByProvinceStatus is {province: {status: sites}}. Optional: when
	// given, the province chart stacks each bar by status.
	SitesByProvinceStatus map[string]map[string]int `json:"sites_by_province_status,omitempty"`

	Personnel         int            `json:"personnel"`
	Detentions        int            `json:"detentions"`
	DetentionsByBasis map[string]int `json:"detentions_by_basis"` // {warrant|flagrante: detentions}
	DetaineesByRole   map[string]int `json:"detainees_by_role"`   // {role: distinct detained persons}

	EvidenceItems  int            `json:"evidence_items"`   // seized at the operation's sites (not derived)
	EvidenceUnits  int            `json:"evidence_units"`   // sum of their quantities
	EvidenceByType map[string]int `json:"evidence_by_type"` // {type: items}
	DerivedItems   int            `json:"derived_items"`
	OpenItems      int            `json:"open_items"`

	CustodyAnomalies   []AnomalyRow   `json:"custody_anomalies"`   // sorted by item, at, kind
	DeadlineViolations []ViolationRow `json:"deadline_violations"` // sorted by detention, rule

	// Timeline is the night of the operation: site status changes,
	// detentions, seizures... one line each. The documents print it in time
	// order (as instants; equal instants keep the order given).
	Timeline []TimelineEntry `json:"timeline,omitempty"`

	GeneratedAt time.Time `json:"generated_at,omitzero"`
	// Log is the signed checkpoint the report was drawn from; the PDF
	// prints it and its QR code.
	Log *LogState `json:"log,omitempty"`
}

// AnomalyRow is one custody anomaly: {item, kind, at}.
type AnomalyRow struct {
	Item string    `json:"item"`
	Kind string    `json:"kind"` // seal_broken, seal_mismatch
	At   time.Time `json:"at"`
}

// ViolationRow is one detention-deadline violation.
type ViolationRow struct {
	Detention    string `json:"detention"`
	Person       string `json:"person"` // the person's name, or "identidad reservada" for a reserved identity
	Rule         string `json:"rule"`   // rights_notice_late, rights_notice_missing, hearing_late, hearing_missing
	LimitMinutes int    `json:"limit_minutes"`
	// ActualMinutes is nil for a missing act (rights never notified, no hearing).
	ActualMinutes *int `json:"actual_minutes"`
}

// TimelineEntry is one line of the night's timeline.
type TimelineEntry struct {
	At    time.Time `json:"at"`
	Site  string    `json:"site,omitempty"` // site id, or empty for an event not tied to a site
	Event string    `json:"event"`          // what happened, in the document's language, e.g. "Sitio asegurado"
}

var (
	tOpTitle      = msg{"Informe del operativo", "Operation report"}
	tOperation    = msg{"Operativo", "Operation"}
	tAsOf         = msg{"Situación al", "As of"}
	tHHour        = msg{"Hora H", "H hour"}
	tSecSummary   = msg{"1. Resumen", "1. Summary"}
	tSecProvince  = msg{"2. Sitios por provincia", "2. Sites by province"}
	tSecStatus    = msg{"3. Sitios por estado", "3. Sites by status"}
	tSecDetainees = msg{"4. Detenidos por rol", "4. Detainees by role"}
	tSecEvidence  = msg{"5. Indicios por tipo", "5. Evidence by type"}
	tSecAnomalies = msg{"6. Anomalías de custodia", "6. Custody anomalies"}
	tSecViol      = msg{"7. Incumplimiento de plazos de detención", "7. Detention deadline violations"}
	tSecTimeline  = msg{"8. Cronología del operativo", "8. Timeline of the operation"}
	tSites        = msg{"Sitios", "Sites"}
	tProvinces    = msg{"Provincias", "Provinces"}
	tPersonnel    = msg{"Personal", "Personnel"}
	tDetentions   = msg{"Detenciones", "Detentions"}
	tByBasis      = msg{"Detenciones por fundamento", "Detentions by basis"}
	tEvItems      = msg{"Indicios incautados", "Evidence items seized"}
	tEvUnits      = msg{"Unidades", "Units"}
	tDerived      = msg{"Indicios derivados", "Derived items"}
	tOpenItems    = msg{"Indicios abiertos (no dispuestos)", "Open items (not disposed)"}
	tNoAnomalies  = msg{"No hay anomalías de custodia.", "No custody anomalies."}
	tNoViol       = msg{"No hay incumplimientos de plazos.", "No deadline violations."}
	tNoTimeline   = msg{"Sin cronología.", "No timeline."}
	tColStatus    = msg{"Estado", "Status"}
	tColRole      = msg{"Rol", "Role"}
	tColType      = msg{"Tipo", "Type"}
	tColCount     = msg{"Cantidad", "Count"}
	tColItem      = msg{"Indicio", "Item"}
	tColKind      = msg{"Tipo de anomalía", "Kind"}
	tColDetention = msg{"Detención", "Detention"}
	tColPerson    = msg{"Persona", "Person"}
	tColRule      = msg{"Regla", "Rule"}
	tColLimit     = msg{"Límite (min)", "Limit (min)"}
	tColActual    = msg{"Real (min)", "Actual (min)"}
	tColEvent     = msg{"Evento", "Event"}
	tMissing      = msg{"no consta", "missing"}
)

// WriteOperationPDF writes the operation report as a document: summary, sites
// by province (bar chart) and by status, detainees by role, evidence by type,
// anomalies, deadline violations and the night's timeline.
func WriteOperationPDF(w io.Writer, r OperationReport, lang string) error {
	if r.Operation == "" {
		return errors.New("courtdoc: operation report: Operation is empty")
	}
	l := langOf(lang)
	title := l.t(tOpTitle) + " — " + r.Operation
	d := newDoc(l, "P", fpdf.SizeType{Wd: 210, Ht: 297}, title, r.Case+" · "+r.Operation, r.GeneratedAt)
	p := d.pdf
	d.labelW = 72
	p.AddPage()
	d.font("B", 12)
	d.cellFormat(d.width, 6, "Fiscalía General del Estado", "", 1, "C", false, 0, "")
	d.font("B", 15)
	d.cellFormat(d.width, 8, l.t(tOpTitle), "", 1, "C", false, 0, "")
	p.Ln(2)
	name := r.Operation
	if r.Name != "" {
		name += " — " + r.Name
	}
	d.field(l.t(tOperation), name)
	d.field(l.t(tCase), r.Case)
	if !r.HHour.IsZero() {
		d.field(l.t(tHHour), l.fmtTime(r.HHour))
	}
	d.field(l.t(tAsOf), l.fmtTime(r.AsOf))

	d.section(l.t(tSecSummary), 20)
	d.field(l.t(tSites), l.thousands(int64(r.Sites)))
	d.field(l.t(tProvinces), l.thousands(int64(r.Provinces)))
	d.field(l.t(tPersonnel), l.thousands(int64(r.Personnel)))
	d.field(l.t(tDetentions), l.thousands(int64(r.Detentions)))
	if len(r.DetentionsByBasis) > 0 {
		d.field(l.t(tByBasis), countsInline(l, basisNames, r.DetentionsByBasis))
	}
	d.field(l.t(tEvItems), fmt.Sprintf("%s (%s: %s)", l.thousands(int64(r.EvidenceItems)), l.t(tEvUnits), l.thousands(int64(r.EvidenceUnits))))
	d.field(l.t(tDerived), l.thousands(int64(r.DerivedItems)))
	d.field(l.t(tOpenItems), l.thousands(int64(r.OpenItems)))
	d.field(l.t(tSecAnomalies)[3:], l.thousands(int64(len(r.CustodyAnomalies))))
	d.field(l.t(tSecViol)[3:], l.thousands(int64(len(r.DeadlineViolations))))

	d.section(l.t(tSecProvince), 30)
	d.barChart(sortedCounts(r.SitesByProvince, nil), r.SitesByProvinceStatus, l)
	d.section(l.t(tSecStatus), 30)
	d.barChart(sortedCounts(r.SitesByStatus, statusOrder), nil, l)
	d.countTable(l, l.t(tColStatus), statusNames, sortedCounts(r.SitesByStatus, statusOrder))

	d.section(l.t(tSecDetainees), tableKeep(8.5))
	d.countTable(l, l.t(tColRole), roleNames, sortedCounts(r.DetaineesByRole, nil))
	d.section(l.t(tSecEvidence), tableKeep(8.5))
	d.countTable(l, l.t(tColType), typeNames, sortedCounts(r.EvidenceByType, nil))

	d.section(fmt.Sprintf("%s (%d)", l.t(tSecAnomalies), len(r.CustodyAnomalies)), tableKeep(8))
	if len(r.CustodyAnomalies) == 0 {
		d.para("", 9, l.t(tNoAnomalies))
	} else {
		t := d.newTable(8, column{l.t(tColItem), 30, ""}, column{l.t(tColKind), 30, ""}, column{l.t(tColTime), 30, ""})
		for _, a := range r.CustodyAnomalies {
			t.row([]string{a.Item, l.word(anomalyNames, a.Kind), l.fmtTime(a.At)}, []cellStyle{{bold: true}, {red: true}}, "")
		}
	}

	d.section(fmt.Sprintf("%s (%d)", l.t(tSecViol), len(r.DeadlineViolations)), tableKeep(8))
	if len(r.DeadlineViolations) == 0 {
		d.para("", 9, l.t(tNoViol))
	} else {
		t := d.newTable(8, column{l.t(tColDetention), 18, ""}, column{l.t(tColPerson), 34, ""},
			column{l.t(tColRule), 34, ""}, column{l.t(tColLimit), 14, "R"}, column{l.t(tColActual), 14, "R"})
		for _, v := range r.DeadlineViolations {
			t.row([]string{v.Detention, v.Person, l.word(ruleNames, v.Rule), strconv.Itoa(v.LimitMinutes), actual(l, v.ActualMinutes)},
				[]cellStyle{{bold: true}, {}, {red: true}}, "")
		}
	}

	d.section(fmt.Sprintf("%s (%d)", l.t(tSecTimeline), len(r.Timeline)), tableKeep(8))
	if len(r.Timeline) == 0 {
		d.para("", 9, l.t(tNoTimeline))
	} else {
		t := d.newTable(8, column{l.t(tColTime), 24, ""}, column{l.t(tSite), 18, ""}, column{l.t(tColEvent), 70, ""})
		for _, e := range sortedTimeline(r.Timeline) {
			t.row([]string{l.fmtTime(e.At), e.Site, e.Event}, nil, "")
		}
	}
	if err := d.logSection(r.Log); err != nil {
		return err
	}
	return d.finish(w)
}

func sortedTimeline(tl []TimelineEntry) []TimelineEntry {
	out := append([]TimelineEntry(nil), tl...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func actual(l lang, m *int) string {
	if m == nil {
		return l.t(tMissing)
	}
	return strconv.Itoa(*m)
}

// statusOrder is the order of site statuses on the chart: the way a site moves.
var statusOrder = []string{"planned", "en_route", "entered", "secured", "completed", "aborted"}

// statusColor gives each status one colour, the same on every chart, web
// and PDF (casefile.StatusColors).
var statusColor = func() map[string][3]int {
	out := map[string][3]int{}
	for st, hex := range casefile.StatusColors {
		var c [3]int
		fmt.Sscanf(hex, "#%02x%02x%02x", &c[0], &c[1], &c[2])
		out[st] = c
	}
	return out
}()

type kv struct {
	k string
	v int
}

// sortedCounts orders a count map by order when given (unknown keys after,
// alphabetically), else by count descending then key.
func sortedCounts(m map[string]int, order []string) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	rank := map[string]int{}
	for i, k := range order {
		rank[k] = i + 1
	}
	sort.Slice(out, func(i, j int) bool {
		if order != nil {
			ri, rj := rank[out[i].k], rank[out[j].k]
			if ri == 0 {
				ri = len(order) + 1
			}
			if rj == 0 {
				rj = len(order) + 1
			}
			if ri != rj {
				return ri < rj
			}
			return out[i].k < out[j].k
		}
		if out[i].v != out[j].v {
			return out[i].v > out[j].v
		}
		return out[i].k < out[j].k
	})
	return out
}

func countsInline(l lang, names map[string]msg, m map[string]int) string {
	s := ""
	for _, e := range sortedCounts(m, nil) {
		if s != "" {
			s += "; "
		}
		s += fmt.Sprintf("%s: %s", l.word(names, e.k), l.thousands(int64(e.v)))
	}
	return s
}

func (d *doc) countTable(l lang, head string, names map[string]msg, rows []kv) {
	if len(rows) == 0 {
		d.para("", 9, l.t(tNone))
		return
	}
	t := d.newTable(8.5, column{head, 60, ""}, column{l.t(tColCount), 20, "R"}, column{"", 100, ""})
	for _, e := range rows {
		t.row([]string{l.word(names, e.k), l.thousands(int64(e.v)), ""}, nil, "")
	}
}

// barChart draws horizontal bars, one per row, drawn with fpdf primitives.
// With stack (for provinces), each bar is split by status in statusOrder,
// with a legend.
func (d *doc) barChart(rows []kv, stack map[string]map[string]int, l lang) {
	if len(rows) == 0 {
		d.para("", 9, l.t(tNone))
		return
	}
	p := d.pdf
	const valueW, barH, gap = 14.0, 4.2, 1.3
	max, labelW := 0, 20.0
	d.font("", 8)
	for _, r := range rows {
		if r.v > max {
			max = r.v
		}
		labelW = math.Max(labelW, d.stringWidth(l.word(statusNames, r.k))+4)
	}
	labelW = math.Min(labelW, d.width/2)
	chartW := d.width - labelW - valueW
	if stack != nil {
		// Legend first.
		d.need(6)
		x, y := d.left, p.GetY()
		d.font("", 7.5)
		for _, s := range statusOrder {
			c := statusColor[s]
			p.SetFillColor(c[0], c[1], c[2])
			p.Rect(x, y+0.8, 3, 3, "F")
			name := l.word(statusNames, s)
			p.SetXY(x+3.8, y)
			d.cellFormat(d.stringWidth(name)+2, 4.6, name, "", 0, "L", false, 0, "")
			x += 3.8 + d.stringWidth(name) + 5
		}
		p.SetY(y + 6)
	}
	for _, r := range rows {
		d.need(barH + gap)
		y := p.GetY()
		d.font("", 8)
		p.SetXY(d.left, y)
		d.cellFormat(labelW-2, barH, l.word(statusNames, r.k), "", 0, "R", false, 0, "")
		w := chartW * float64(r.v) / float64(max)
		x := d.left + labelW
		if byStatus, ok := stack[r.k]; ok {
			for _, s := range statusOrder {
				n := byStatus[s]
				if n == 0 {
					continue
				}
				c := statusColor[s]
				p.SetFillColor(c[0], c[1], c[2])
				sw := chartW * float64(n) / float64(max)
				p.Rect(x, y, sw, barH, "F")
				x += sw
			}
		} else {
			c, ok := statusColor[r.k]
			if !ok {
				c = [3]int{60, 100, 160}
			}
			p.SetFillColor(c[0], c[1], c[2])
			p.Rect(x, y, w, barH, "F")
		}
		p.SetXY(d.left+labelW+w+1, y)
		d.font("B", 8)
		d.cellFormat(valueW, barH, l.thousands(int64(r.v)), "", 0, "L", false, 0, "")
		p.SetY(y + barH + gap)
	}
	p.Ln(2)
}

// WriteOperationCSV writes the operation report as CSV for a spreadsheet.
//
// It is one file of stacked tables, the way a clerk reads it: each table
// starts with a title row (one cell, in brackets, e.g. "[sitios_por_provincia]"),
// then a header row, then data rows, then an empty row. Sections, in order:
//
//	[resumen]                  clave, valor         (operativo, caso, fecha_de_corte, sitios, provincias, efectivos, detenciones, indicios, unidades, indicios_derivados, indicios_abiertos)
//	[sitios_por_provincia]     provincia, sitios
//	[sitios_por_estado]        estado, sitios, codigo
//	[detenciones_por_fundamento] fundamento, detenciones, codigo
//	[detenidos_por_rol]        rol, personas, codigo
//	[indicios_por_tipo]        tipo, indicios, codigo
//	[anomalias_de_custodia]    indicio, tipo, fecha_hora, codigo
//	[incumplimientos_de_plazos] detencion, persona, regla, limite_minutos, minutos_reales, codigo
//	[cronologia]               fecha_hora, sitio, evento
//
// Statuses, roles, types and rules are in the reader's words, as in the
// PDF, and the case file's code follows in a last column, so that the
// file still sorts and filters the same in any language; times are RFC
// 3339 with their offset; a missing minutos_reales is empty. With lang
// "en" the section, column and summary names and the words are English.
func WriteOperationCSV(w io.Writer, r OperationReport, lang string) error {
	l := langOf(lang)
	cw := csv.NewWriter(w)
	n := func(names ...string) []string { // pick es or en from pairs
		out := make([]string, 0, len(names)/2)
		for i := 0; i+1 < len(names); i += 2 {
			out = append(out, l.t(msg{names[i], names[i+1]}))
		}
		return out
	}
	var rows [][]string
	section := func(title []string, head []string, data [][]string) {
		rows = append(rows, []string{"[" + title[0] + "]"}, head)
		rows = append(rows, data...)
		rows = append(rows, []string{""})
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	itoa := strconv.Itoa
	key := func(es, en string) string { return l.t(msg{es, en}) }
	section(n("resumen", "summary"), n("clave", "key", "valor", "value"), [][]string{
		{key("operativo", "operation"), r.Operation}, {key("caso", "case"), r.Case}, {key("fecha_de_corte", "as_of"), tm(r.AsOf)},
		{key("sitios", "sites"), itoa(r.Sites)}, {key("provincias", "provinces"), itoa(r.Provinces)}, {key("efectivos", "personnel"), itoa(r.Personnel)},
		{key("detenciones", "detentions"), itoa(r.Detentions)}, {key("indicios", "evidence_items"), itoa(r.EvidenceItems)},
		{key("unidades", "evidence_units"), itoa(r.EvidenceUnits)}, {key("indicios_derivados", "derived_items"), itoa(r.DerivedItems)},
		{key("indicios_abiertos", "open_items"), itoa(r.OpenItems)},
	})
	// counts lists a count per value: in words, with the code last when
	// table names the values (a province is a name already).
	counts := func(m map[string]int, order []string, table map[string]msg) [][]string {
		var out [][]string
		for _, e := range sortedCounts(m, order) {
			if table == nil {
				out = append(out, []string{e.k, itoa(e.v)})
			} else {
				out = append(out, []string{l.word(table, e.k), itoa(e.v), e.k})
			}
		}
		return out
	}
	code := key("codigo", "code")
	section(n("sitios_por_provincia", "sites_by_province"), n("provincia", "province", "sitios", "sites"), counts(r.SitesByProvince, nil, nil))
	section(n("sitios_por_estado", "sites_by_status"), append(n("estado", "status", "sitios", "sites"), code), counts(r.SitesByStatus, statusOrder, statusNames))
	section(n("detenciones_por_fundamento", "detentions_by_basis"), append(n("fundamento", "basis", "detenciones", "detentions"), code), counts(r.DetentionsByBasis, nil, basisNames))
	section(n("detenidos_por_rol", "detainees_by_role"), append(n("rol", "role", "personas", "persons"), code), counts(r.DetaineesByRole, nil, roleNames))
	section(n("indicios_por_tipo", "evidence_by_type"), append(n("tipo", "type", "indicios", "items"), code), counts(r.EvidenceByType, nil, typeNames))
	var an [][]string
	for _, a := range r.CustodyAnomalies {
		an = append(an, []string{a.Item, l.word(anomalyNames, a.Kind), tm(a.At), a.Kind})
	}
	section(n("anomalias_de_custodia", "custody_anomalies"), append(n("indicio", "item", "tipo", "kind", "fecha_hora", "at"), code), an)
	var vs [][]string
	for _, v := range r.DeadlineViolations {
		act := ""
		if v.ActualMinutes != nil {
			act = itoa(*v.ActualMinutes)
		}
		vs = append(vs, []string{v.Detention, v.Person, l.word(ruleNames, v.Rule), itoa(v.LimitMinutes), act, v.Rule})
	}
	section(n("incumplimientos_de_plazos", "deadline_violations"),
		append(n("detencion", "detention", "persona", "person", "regla", "rule", "limite_minutos", "limit_minutes", "minutos_reales", "actual_minutes"), code), vs)
	var tl [][]string
	for _, e := range sortedTimeline(r.Timeline) {
		tl = append(tl, []string{tm(e.At), e.Site, e.Event})
	}
	section(n("cronologia", "timeline"), n("fecha_hora", "at", "sitio", "site", "evento", "event"), tl)
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("courtdoc: writing operation CSV: %w", err)
	}
	return nil
}
