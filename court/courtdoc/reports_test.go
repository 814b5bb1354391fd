package courtdoc

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func intp(n int) *int { return &n }

var provinces = []string{"Pichincha", "Guayas", "Manabí", "Chimborazo", "Santo Domingo de los Tsáchilas", "Cotopaxi", "Loja"}

// operationReport builds a report like the Metastasis operation's, with
// sites spread over the seven provinces; n is the number of sites.
func operationReport(t testing.TB, n int) OperationReport {
	hh := mustTime(t, "2023-12-14T01:00:00-05:00")
	r := OperationReport{
		Operation: "OP-METASTASIS", Name: "Operativo Metástasis", Case: "METASTASIS",
		AsOf: mustTime(t, "2023-12-16T12:00:00-05:00"), HHour: hh, Sites: n, Provinces: len(provinces),
		SitesByProvince: map[string]int{}, SitesByStatus: map[string]int{}, SitesByProvinceStatus: map[string]map[string]int{},
		Personnel: 900, Detentions: 30, DetentionsByBasis: map[string]int{"warrant": 29, "flagrante": 1},
		DetaineesByRole: map[string]int{"judge": 5, "judiciary_official": 4, "lawyer": 6, "prison_guard": 3, "police": 4, "trafficker": 2, "other": 6},
		EvidenceItems:   140, EvidenceUnits: 151,
		EvidenceByType: map[string]int{"phone": 60, "laptop": 14, "documents": 30, "cash": 6, "firearm": 3, "agenda": 9, "storage": 18},
		DerivedItems:   22, OpenItems: 162,
		CustodyAnomalies: []AnomalyRow{
			{Item: "E-GUA-02-03", Kind: "seal_broken", At: mustTime(t, "2023-12-15T10:20:00-05:00")},
			{Item: "E-PIC-05-01", Kind: "seal_mismatch", At: mustTime(t, "2023-12-14T18:00:00-05:00")},
		},
		DeadlineViolations: []ViolationRow{
			{Detention: "D-01", Person: "Wilman Terán", Rule: "rights_notice_late", LimitMinutes: 60, ActualMinutes: intp(240)},
			{Detention: "D-17", Person: ReservedIdentity, Rule: "hearing_missing", LimitMinutes: 1440},
		},
		GeneratedAt: mustTime(t, "2026-11-26T18:30:00-05:00"),
	}
	statuses := []string{"completed", "completed", "completed", "secured", "entered", "aborted", "planned"}
	for i := 0; i < n; i++ {
		p := provinces[i%len(provinces)]
		if i%3 == 0 {
			p = "Pichincha"
		}
		s := statuses[i%len(statuses)]
		r.SitesByProvince[p]++
		r.SitesByStatus[s]++
		if r.SitesByProvinceStatus[p] == nil {
			r.SitesByProvinceStatus[p] = map[string]int{}
		}
		r.SitesByProvinceStatus[p][s]++
		site := fmt.Sprintf("S-%s-%02d", strings.ToUpper(p[:3]), i+1)
		at := hh.Add(time.Duration(i) * time.Minute)
		r.Timeline = append(r.Timeline,
			TimelineEntry{At: at, Site: site, Event: "Ingreso al inmueble (allanamiento)"},
			TimelineEntry{At: at.Add(28 * time.Minute), Site: site, Event: "Sitio asegurado; aprehensión de Álex Palacios"})
	}
	return r
}

func TestOperationPDF(t *testing.T) {
	r := operationReport(t, 75)
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteOperationPDF(&buf, r, lang); err != nil {
				t.Fatal(err)
			}
			renderPNG(t, buf.Bytes(), artifacts(t), "operation-"+lang, 80)
			text := pdfText(t, buf.Bytes())
			want := map[string][]string{
				"es": {"Informe del operativo", "Operativo Metástasis", "Manabí", "Santo Domingo de los Tsáchilas", "concluido", "juez", "teléfono", "sello roto", "Wilman Terán", "identidad reservada", "no consta", "derechos leídos tarde", "Álex Palacios", "Página 1 de "},
				"en": {"Operation report", "Manabí", "completed", "judge", "phone", "seal broken", "rights read late", "missing", "Page 1 of "},
			}[lang]
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			// Sections in order.
			last := -1
			for i := 1; i <= 8; i++ {
				at := strings.Index(text, fmt.Sprintf("%d. ", i))
				if at < last {
					t.Errorf("section %d is before section %d", i, i-1)
				}
				last = at
			}
		})
	}
}

func TestOperationCSV(t *testing.T) {
	r := operationReport(t, 75)
	var buf bytes.Buffer
	if err := WriteOperationCSV(&buf, r, ""); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(artifacts(t), "operation.csv"), buf.Bytes(), 0o644)
	cr := csv.NewReader(&buf)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][][]string{}
	var cur string
	for _, rec := range recs {
		switch {
		case len(rec) == 1 && strings.HasPrefix(rec[0], "["):
			cur = strings.Trim(rec[0], "[]")
		case len(rec) == 1 && rec[0] == "":
			cur = ""
		case cur != "":
			sections[cur] = append(sections[cur], rec)
		}
	}
	for name, want := range map[string][]string{
		"resumen":                   {"clave", "valor"},
		"sitios_por_provincia":      {"provincia", "sitios"},
		"sitios_por_estado":         {"estado", "sitios", "codigo"},
		"detenidos_por_rol":         {"rol", "personas", "codigo"},
		"indicios_por_tipo":         {"tipo", "indicios", "codigo"},
		"anomalias_de_custodia":     {"indicio", "tipo", "fecha_hora", "codigo"},
		"incumplimientos_de_plazos": {"detencion", "persona", "regla", "limite_minutos", "minutos_reales", "codigo"},
		"cronologia":                {"fecha_hora", "sitio", "evento"},
	} {
		got := sections[name]
		if len(got) == 0 || strings.Join(got[0], ",") != strings.Join(want, ",") {
			t.Errorf("section %s header = %v, want %v", name, got, want)
		}
	}
	sum := 0
	for _, row := range sections["sitios_por_provincia"][1:] {
		var n int
		fmt.Sscan(row[1], &n)
		sum += n
	}
	if sum != 75 {
		t.Errorf("sites by province add up to %d, want 75", sum)
	}
	v := sections["incumplimientos_de_plazos"]
	if len(v) != 3 || strings.Join(v[1], ",") != "D-01,Wilman Terán,derechos leídos tarde,60,240,rights_notice_late" || v[2][4] != "" {
		t.Errorf("violations = %v", v)
	}
	if got := sections["anomalias_de_custodia"][1]; got[2] != "2023-12-15T10:20:00-05:00" || got[1] != "sello roto" || got[3] != "seal_broken" {
		t.Errorf("anomaly %v: want its time with the offset, its kind in words and its code", got)
	}
	// Every value a clerk reads is a word of theirs; the code is the last
	// column (a new user found completed, warrant, laptop... in Spanish CSVs).
	for name, want := range map[string]string{"sitios_por_estado": "concluido", "detenidos_por_rol": "abogado", "indicios_por_tipo": "teléfono"} {
		found := false
		for _, row := range sections[name][1:] {
			found = found || row[0] == want
		}
		if !found {
			t.Errorf("[%s] has no row %q: %v", name, want, sections[name])
		}
	}
	if n := len(sections["cronologia"]) - 1; n != 150 {
		t.Errorf("timeline has %d rows, want 150", n)
	}
	for i := 2; i < len(sections["cronologia"]); i++ {
		if sections["cronologia"][i][0] < sections["cronologia"][i-1][0] {
			t.Errorf("timeline row %d (%s) is before the row above it", i, sections["cronologia"][i][0])
		}
	}
}

func detentionReport(t testing.TB) DetentionReport {
	at := func(s string) time.Time { return mustTime(t, s) }
	return DetentionReport{
		Case: "METASTASIS", AsOf: at("2023-12-16T12:00:00-05:00"), GeneratedAt: at("2026-11-26T18:30:00-05:00"),
		Rows: []DetentionRow{
			{Detention: "D-02", Person: "Álex Palacios", Basis: "warrant", ArrestedAt: at("2023-12-14T05:00:00-05:00"),
				RightsNotifiedAt: at("2023-12-14T05:10:00-05:00"), HearingAt: at("2023-12-14T23:00:00-05:00"),
				RightsLimitMinutes: 60, HearingLimitMinutes: 1440, RightsMinutes: intp(10), HearingMinutes: intp(1080)},
			{Detention: "D-01", Person: "Wilman Terán", Basis: "warrant", ArrestedAt: at("2023-12-14T00:00:00-05:00"),
				RightsNotifiedAt: at("2023-12-14T04:00:00-05:00"), HearingAt: at("2023-12-14T23:00:00-05:00"),
				RightsLimitMinutes: 60, HearingLimitMinutes: 1440, RightsMinutes: intp(240), HearingMinutes: intp(1380),
				Violations: []string{"rights_notice_late"}},
			{Detention: "D-30", Person: "Persona 30", Basis: "flagrante", Site: "S-CHI-03", Charge: "Tenencia y porte de arma de fuego sin permiso", ArrestedAt: at("2023-12-14T01:20:00-05:00"),
				RightsNotifiedAt: at("2023-12-14T01:25:00-05:00"), HearingAt: at("2023-12-14T15:00:00-05:00"),
				RightsLimitMinutes: 60, HearingLimitMinutes: 1440, RightsMinutes: intp(5), HearingMinutes: intp(820)},
			{Detention: "D-17", Person: ReservedIdentity, Basis: "warrant", ArrestedAt: at("2023-12-14T02:00:00-05:00"),
				RightsNotifiedAt: at("2023-12-14T02:30:00-05:00"), ReleasedAt: at("2023-12-16T02:30:00-05:00"),
				RightsLimitMinutes: 60, HearingLimitMinutes: 1440, RightsMinutes: intp(30), HearingMinutes: intp(2880),
				Violations: []string{"hearing_late"}},
		},
	}
}

func TestDetentionsPDF(t *testing.T) {
	rep := detentionReport(t)
	for _, lang := range []string{"es", "en"} {
		t.Run(lang, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteDetentionsPDF(&buf, rep, lang); err != nil {
				t.Fatal(err)
			}
			renderPNG(t, buf.Bytes(), artifacts(t), "detentions-"+lang, 80)
			text := pdfText(t, buf.Bytes())
			inOrder(t, text, []string{"D-17", "2023-12-16 02:30 -05:00", map[string]string{"es": "(libertad)", "en": "(released)"}[lang], "2880 min", "D-02"})
			// Violations first, then by id: D-01, D-17, D-02, D-30.
			order := regexp.MustCompile(`D-\d\d`).FindAllString(text, -1)
			if got := strings.Join(order, " "); got != "D-01 D-17 D-02 D-30" {
				t.Errorf("detentions in order %q, want violations first: D-01 D-17 D-02 D-30", got)
			}
			for _, w := range []string{"Wilman Terán", "Álex Palacios", "identidad reservada", "240 min", "2023-12-14 00:00 -05:00",
				map[string]string{"es": "(libertad)", "en": "(released)"}[lang], "Tenencia y porte de arma"} {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
		})
	}
}

func TestDetentionsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDetentionsCSV(&buf, detentionReport(t), ""); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0][0] != "detencion" || recs[0][12] != "incumplimientos" || recs[0][14] != "codigos_incumplimientos" {
		t.Fatalf("header/rows = %v", recs)
	}
	var ids []string
	for _, r := range recs[1:] {
		ids = append(ids, r[0])
	}
	if got := strings.Join(ids, " "); got != "D-01 D-17 D-02 D-30" {
		t.Errorf("rows in order %q, want violations first", got)
	}
	if recs[2][6] != "" || recs[2][7] != "2023-12-16T02:30:00-05:00" || recs[2][11] != "2880" || recs[2][12] != "audiencia tardía" || recs[2][2] != "orden judicial" || recs[2][13] != "warrant" || recs[2][14] != "hearing_late" || recs[2][1] != ReservedIdentity {
		t.Errorf("D-17 row = %v", recs[2])
	}
	if recs[1][4] != "2023-12-14T00:00:00-05:00" || recs[1][9] != "240" {
		t.Errorf("D-01 row = %v", recs[1])
	}
}

// TestOperationReportFromSpecJSON decodes a report in the spec's JSON form
// (`custodia report operation --json`) into OperationReport.
func TestOperationReportFromSpecJSON(t *testing.T) {
	const js = `{"operation":"OP-METASTASIS","case":"METASTASIS","as_of":"2023-12-16T12:00:00-05:00",
	"sites":75,"provinces":7,"sites_by_province":{"Pichincha":30},"sites_by_status":{"completed":70,"aborted":5},
	"personnel":900,"detentions":30,"detentions_by_basis":{"warrant":29,"flagrante":1},"detainees_by_role":{"judge":5},
	"evidence_items":140,"evidence_units":151,"evidence_by_type":{"phone":60},"derived_items":22,"open_items":162,
	"custody_anomalies":[{"item":"E-GUA-02-03","kind":"seal_broken","at":"2023-12-15T10:20:00-05:00"}],
	"deadline_violations":[{"detention":"D-17","person":"identidad reservada","rule":"hearing_missing","limit_minutes":1440,"actual_minutes":null},
	{"detention":"D-01","person":"Wilman Terán","rule":"rights_notice_late","limit_minutes":60,"actual_minutes":240}]}`
	var r OperationReport
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	if r.Sites != 75 || r.SitesByStatus["aborted"] != 5 || r.DeadlineViolations[0].ActualMinutes != nil ||
		*r.DeadlineViolations[1].ActualMinutes != 240 || r.CustodyAnomalies[0].At.Format(time.RFC3339) != "2023-12-15T10:20:00-05:00" {
		t.Errorf("decoded %+v", r)
	}
	if err := WriteOperationPDF(io.Discard, r, ""); err != nil {
		t.Error(err)
	}
}
