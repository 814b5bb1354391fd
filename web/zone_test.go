package web

import (
	"regexp"
	"strings"
	"testing"
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
	late := regexp.MustCompile(`\d+ min \(límite 60\)`)
	if !late.MatchString(body) {
		t.Errorf("a late rights notice does not show its minutes against the limit")
	}
}
