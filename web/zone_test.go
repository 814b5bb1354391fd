package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/domain"
)

// TestTimesCarryTheirZone: every time a page shows carries the offset of
// the deployment's zone (America/Guayaquil, -05:00), and a late rights
// notice shows its minutes against the limit, as the PDF does.
func TestTimesCarryTheirZone(t *testing.T) {
	e := newEnvAt(t, fileEnd) // the night is over: D-01's rights notice was late
	c := e.client()
	c.login("fiscal")
	bare := regexp.MustCompile(`\b\d{4}-\d\d-\d\d \d\d:\d\d\b(?: -05:00)?`)
	for _, p := range []string{"/casos", "/casos/METASTASIS", "/casos/METASTASIS/detenciones", "/evidencias/E-PIC-01-01", "/sitios/S-PIC-01"} {
		st, body, _ := c.do("GET", p, nil, nil)
		if st != 200 {
			t.Fatalf("%s: %d", p, st)
		}
		shown := bare.FindAllString(body, -1)
		if len(shown) == 0 {
			t.Errorf("%s shows no time", p)
		}
		for _, s := range shown {
			if !strings.HasSuffix(s, " -05:00") {
				t.Errorf("%s shows %q without its zone", p, s)
			}
		}
	}
	_, body, _ := c.do("GET", "/casos/METASTASIS/detenciones", nil, nil)
	late := regexp.MustCompile(`\d+ min, límite 60`)
	if !late.MatchString(body) {
		t.Errorf("a late rights notice does not show its minutes against the limit")
	}
}

// TestCountsSayWhatTheyCount: one operation is "1 operativo", and the case
// list says that its item count holds the derived items the board leaves
// out, with both parts.
func TestCountsSayWhatTheyCount(t *testing.T) {
	e := newEnvAt(t, fileEnd)
	c := e.client()
	c.login("fiscal")
	_, body, _ := c.do("GET", "/casos", nil, nil)
	m := regexp.MustCompile(`1 operativo · (\d+) evidencias en el caso \((\d+) incautadas en sitios, (\d+) derivadas`).FindStringSubmatch(body)
	if m == nil || strings.Contains(body, "1 operativos") {
		t.Fatalf("case list counts: %s", body)
	}
	if atoi(m[1]) != atoi(m[2])+atoi(m[3]) || atoi(m[3]) == 0 {
		t.Errorf("the parts do not add up: %v", m[1:])
	}
	_, body, _ = c.do("GET", "/casos/METASTASIS", nil, nil)
	b := regexp.MustCompile(`id="items-OP-METASTASIS">(\d+)</span> evidencias incautadas en los sitios del operativo`).FindStringSubmatch(body)
	if b == nil || atoi(b[1]) > atoi(m[2]) {
		t.Errorf("board count %v against %v seized", b, m[2])
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestFavicon: every page links the icon, which is served as SVG, and
// /favicon.ico leads to it.
func TestFavicon(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	_, body, _ := c.do("GET", "/entrar", nil, nil)
	m := regexp.MustCompile(`<link rel="icon" href="(/static/favicon\.[0-9a-f]+\.svg)" type="image/svg\+xml">`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the sign-in page links no icon")
	}
	st, svg, h := c.do("GET", m[1], nil, nil)
	if st != 200 || h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(svg, "<svg") {
		t.Errorf("icon: %d %q", st, h.Get("Content-Type"))
	}
	st, _, h = c.do("GET", "/favicon.ico", nil, nil)
	if st != 301 || h.Get("Location") != m[1] {
		t.Errorf("/favicon.ico: %d %q", st, h.Get("Location"))
	}
}

// TestNoRawCodesOnPages: the case page names link kinds in words, in each
// language, never as the case file's codes.
func TestNoRawCodesOnPages(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	_, body, _ := c.do("GET", "/casos/METASTASIS", nil, nil)
	for _, code := range []string{">financed<", ">allied_with<", ">employed_by<", ">held_deeds_of<", ": financed<", ": allied_with<"} {
		if strings.Contains(body, code) {
			t.Errorf("the case page shows the code %q", code)
		}
	}
	for _, w := range []string{"financió a", "aliado de", "empleado de"} {
		if !strings.Contains(body, w) {
			t.Errorf("the case page lacks %q", w)
		}
	}
}

// TestOneNumbering: an event is named by its log number, the same number
// the CLI, the PDF and the verifier give; an imported event says its file
// line as a line of the file, never as a bare number.
func TestOneNumbering(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	_, body, _ := c.do("GET", "/evidencias/E-PIC-01-01", nil, nil)
	var seq int64 = -1
	e.w.l.View(func(st *domain.State) error {
		seq = st.Items["E-PIC-01-01"].LastSeq
		return nil
	})
	if want := fmt.Sprintf("evento n.º %d del registro", seq); !strings.Contains(body, want) {
		t.Errorf("the item page lacks %q", want)
	}
	if regexp.MustCompile(`· #\d+<`).MatchString(body) || strings.Contains(body, "import:") {
		t.Errorf("a bare number or a raw import reference on the page")
	}
	if !regexp.MustCompile(`importación, línea \d+ del archivo [0-9a-f]{12}…`).MatchString(body) {
		t.Errorf("the import reference is not said as a file line")
	}
}
