package courtdoc

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// ReservedIdentity is what the detention report shows instead of the name of
// a person whose identity is protected.
const ReservedIdentity = "identidad reservada"

// DetentionRow is one detainee's arrest, rights notice and hearing against
// the legal limits (spec: "Detention deadlines").
type DetentionRow struct {
	Detention string // detention id, e.g. "D-30"
	// Person is the detainee's name, or ReservedIdentity when the identity
	// is reserved: the caller decides, this package prints what it gets.
	Person   string
	PersonID string // person id, e.g. "P-30"; may be empty (and should be, when reserved)
	Basis    string // warrant, flagrante
	Site     string // site id; may be empty
	Charge   string // may be empty

	ArrestedAt       time.Time
	RightsNotifiedAt time.Time // zero when not (yet) notified
	HearingAt        time.Time // zero when not held
	ReleasedAt       time.Time // zero when not released

	RightsLimitMinutes  int // e.g. 60
	HearingLimitMinutes int // e.g. 1440
	// RightsMinutes and HearingMinutes are the actual delays in whole
	// minutes (rounded down); nil when the act has not happened.
	RightsMinutes  *int
	HearingMinutes *int

	// Violations are the rule codes broken: rights_notice_late,
	// rights_notice_missing, hearing_late, hearing_missing.
	Violations []string
}

// DetentionReport is the heading of the detention-compliance report.
type DetentionReport struct {
	Case        string
	AsOf        time.Time // missing acts are measured to this instant
	GeneratedAt time.Time
	Rows        []DetentionRow
	// Log is the signed checkpoint the report was drawn from.
	Log *LogState
}

var (
	tDetTitle   = msg{"Informe de cumplimiento de plazos de detención", "Detention deadline compliance report"}
	tDetIntro   = msg{"Para cada persona detenida: la hora de la aprehensión, de la notificación de derechos y de la audiencia, frente a los límites legales. Las detenciones con incumplimientos se listan primero.", "For each detainee: the time of arrest, of the rights notice and of the hearing, against the legal limits. Detentions with violations are listed first."}
	tColBasis   = msg{"Fundamento", "Basis"}
	tColArrest  = msg{"Aprehensión", "Arrest"}
	tColRights  = msg{"Derechos", "Rights notice"}
	tColHearing = msg{"Audiencia / libertad", "Hearing / release"}
	tColViol    = msg{"Incumplimientos", "Violations"}
	tLimit      = msg{"límite", "limit"}
	tDetWith    = msg{"Con incumplimientos: %d de %d", "With violations: %d of %d"}
	tNoDet      = msg{"No hay detenciones.", "No detentions."}
	tOK         = msg{"ninguno", "none"}
	tReleased   = msg{"(libertad)", "(released)"}
)

// sortDetentions puts detentions with violations first, then by id.
func sortDetentions(rows []DetentionRow) []DetentionRow {
	out := append([]DetentionRow(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		vi, vj := len(out[i].Violations) > 0, len(out[j].Violations) > 0
		if vi != vj {
			return vi
		}
		return out[i].Detention < out[j].Detention
	})
	return out
}

// hearingOrRelease is the earlier of the hearing and the release: the act
// that ends the 24-hour clock.
func (r DetentionRow) hearingOrRelease() time.Time {
	switch {
	case r.HearingAt.IsZero():
		return r.ReleasedAt
	case r.ReleasedAt.IsZero() || r.HearingAt.Before(r.ReleasedAt):
		return r.HearingAt
	}
	return r.ReleasedAt
}

// WriteDetentionsPDF writes the detention-compliance report, landscape A4.
func WriteDetentionsPDF(w io.Writer, rep DetentionReport, lang string) error {
	l := langOf(lang)
	rows := sortDetentions(rep.Rows)
	for i, r := range rows {
		if r.Detention == "" || r.ArrestedAt.IsZero() {
			return fmt.Errorf("courtdoc: detention row %d: detention id and arrest time are required", i+1)
		}
	}
	d := newDoc(l, "L", fpdf.SizeType{Wd: 210, Ht: 297}, l.t(tDetTitle)+" — "+rep.Case, rep.Case, rep.GeneratedAt)
	p := d.pdf
	p.AddPage()
	d.font("B", 12)
	d.cellFormat(d.width, 6, "Fiscalía General del Estado", "", 1, "C", false, 0, "")
	d.font("B", 14)
	d.cellFormat(d.width, 8, l.t(tDetTitle), "", 1, "C", false, 0, "")
	p.Ln(1)
	d.field(l.t(tCase), rep.Case)
	d.field(l.t(tAsOf), l.fmtTime(rep.AsOf))
	with := 0
	for _, r := range rows {
		if len(r.Violations) > 0 {
			with++
		}
	}
	d.field(l.t(tDetentions), fmt.Sprintf(l.t(tDetWith), with, len(rows)))
	p.Ln(1)
	d.para("", 8, l.t(tDetIntro))
	p.Ln(2)
	if len(rows) == 0 {
		d.para("", 9, l.t(tNoDet))
		if err := d.logSection(rep.Log); err != nil {
			return err
		}
		return d.finish(w)
	}
	t := d.newTable(7.5,
		column{l.t(tColDetention), 13, ""},
		column{l.t(tColPerson), 30, ""},
		column{l.t(tColBasis), 16, ""},
		column{l.t(tColArrest), 25, ""},
		column{l.t(tColRights), 27, ""},
		column{l.t(tColHearing), 27, ""},
		column{l.t(tColViol), 32, ""},
	)
	for _, r := range rows {
		person := r.Person
		if r.Site != "" {
			person += "\n" + l.t(tSite) + ": " + r.Site
		}
		if r.Charge != "" {
			person += "\n" + r.Charge
		}
		rights := l.fmtTime(r.RightsNotifiedAt) + "\n" + delay(l, r.RightsMinutes, r.RightsLimitMinutes)
		end := l.fmtTime(r.hearingOrRelease())
		if !r.ReleasedAt.IsZero() && r.hearingOrRelease().Equal(r.ReleasedAt) {
			end += " " + l.t(tReleased)
		}
		hearing := end + "\n" + delay(l, r.HearingMinutes, r.HearingLimitMinutes)
		viol := l.t(tOK)
		if len(r.Violations) > 0 {
			var names []string
			for _, v := range r.Violations {
				names = append(names, l.word(ruleNames, v))
			}
			viol = strings.Join(names, "\n")
		}
		style := make([]cellStyle, 7)
		style[0].bold = true
		if len(r.Violations) > 0 {
			for i := range style {
				style[i].highlight = true
			}
			style[6].red, style[6].bold = true, true
		}
		t.row([]string{r.Detention, person, l.word(basisNames, r.Basis), l.fmtTime(r.ArrestedAt), rights, hearing, viol}, style, "")
	}
	if err := d.logSection(rep.Log); err != nil {
		return err
	}
	return d.finish(w)
}

// delay prints "75 min (límite 60)", or "no consta (límite 60)".
func delay(l lang, m *int, limit int) string {
	return fmt.Sprintf("%s (%s %d)", minutes(l, m), l.t(tLimit), limit)
}

func minutes(l lang, m *int) string {
	if m == nil {
		return l.t(tMissing)
	}
	return strconv.Itoa(*m) + " min"
}

// WriteDetentionsCSV writes one row per detention, violations first, with
// this header (English column names with lang "en"):
//
//	detencion, persona, fundamento, sitio, aprehension, notificacion_derechos,
//	audiencia, libertad, limite_derechos_min, derechos_min,
//	limite_audiencia_min, audiencia_min, incumplimientos,
//	codigo_fundamento, codigos_incumplimientos
//
// Times are RFC 3339 with their offset, empty when absent; minutes are
// empty when the act has not happened; fundamento and incumplimientos
// are in the reader's words ("orden judicial", "derechos leídos tarde",
// the latter separated by "; "), and the last two columns give the case
// file's codes (the rules separated by ";"), for filtering in any
// language.
func WriteDetentionsCSV(w io.Writer, rep DetentionReport, lang string) error {
	l := langOf(lang)
	head := []msg{
		{"detencion", "detention"}, {"persona", "person"}, {"fundamento", "basis"}, {"sitio", "site"},
		{"aprehension", "arrested_at"}, {"notificacion_derechos", "rights_notified_at"},
		{"audiencia", "hearing_at"}, {"libertad", "released_at"},
		{"limite_derechos_min", "rights_limit_minutes"}, {"derechos_min", "rights_minutes"},
		{"limite_audiencia_min", "hearing_limit_minutes"}, {"audiencia_min", "hearing_minutes"},
		{"incumplimientos", "violations"},
		{"codigo_fundamento", "basis_code"}, {"codigos_incumplimientos", "violation_codes"},
	}
	cw := csv.NewWriter(w)
	var hs []string
	for _, h := range head {
		hs = append(hs, l.t(h))
	}
	rows := [][]string{hs}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	mn := func(m *int) string {
		if m == nil {
			return ""
		}
		return strconv.Itoa(*m)
	}
	for _, r := range sortDetentions(rep.Rows) {
		words := make([]string, len(r.Violations))
		for i, v := range r.Violations {
			words[i] = l.word(ruleNames, v)
		}
		rows = append(rows, []string{
			r.Detention, r.Person, l.word(basisNames, r.Basis), r.Site, tm(r.ArrestedAt), tm(r.RightsNotifiedAt),
			tm(r.HearingAt), tm(r.ReleasedAt), strconv.Itoa(r.RightsLimitMinutes), mn(r.RightsMinutes),
			strconv.Itoa(r.HearingLimitMinutes), mn(r.HearingMinutes), strings.Join(words, "; "),
			r.Basis, strings.Join(r.Violations, ";"),
		})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("courtdoc: writing detentions CSV: %w", err)
	}
	return nil
}
