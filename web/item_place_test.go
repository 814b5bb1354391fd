package web

import (
	"regexp"
	"strings"
	"testing"
)

var evRE = regexp.MustCompile(`(?s)<li class="ev[^"]*" data-op="([^"]+)">(.*?)</li>`)

// TestItemPageConditionAndPlaces is issue 15, point 8, on the page: the
// original state states the condition at collection, and the opening,
// derivation and resealing in the laboratory show where they happened,
// said to be where the item was.
func TestItemPageConditionAndPlaces(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	st, body, _ := c.do("GET", "/evidencias/E-CHI-01-02", nil, nil)
	if st != 200 {
		t.Fatalf("item page: %d", st)
	}
	if !strings.Contains(body, `<dd id="origin-condition">Equipo de cómputo de escritorio; 1 unidad(es); sellada con PN-100009; contiene datos digitales</dd>`) {
		t.Errorf("the original state does not give the condition at collection:\n%s", body)
	}
	const lab = "Lugar: Laboratorio de informática forense <small>(donde estaba la evidencia: el acto no registra lugar propio)</small>"
	places := map[string]int{}
	for _, m := range evRE.FindAllStringSubmatch(body, -1) {
		switch m[1] {
		case "custody.open", "evidence.derive", "custody.seal":
			if strings.Contains(m[2], lab) {
				places[m[1]]++
			}
		case "custody.transfer":
			if strings.Contains(m[2], "donde estaba") {
				t.Errorf("a transfer's own location is marked as inferred: %s", m[2])
			}
		}
	}
	for _, op := range []string{"custody.open", "evidence.derive", "custody.seal"} {
		if places[op] != 1 {
			t.Errorf("%s: the laboratory is not shown as its place", op)
		}
	}

	// The image: made where its parent was.
	_, body, _ = c.do("GET", "/evidencias/E-CHI-01-02-IMG", nil, nil)
	if !strings.Contains(body, "donde estaba E-CHI-01-02: Laboratorio de informática forense") || !strings.Contains(body, "Estado al derivar") {
		t.Errorf("the image's original state does not say where it was made:\n%s", body)
	}
}
