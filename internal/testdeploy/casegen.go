package testdeploy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// CaseFile is a seeded random case file and the facts it encodes, kept
// apart from the lines so that tests can compute the report they expect
// without the domain package: an independent oracle.
type CaseFile struct {
	Lines      []string
	Case       string
	Operation  string // the operation reports are asked about
	Personnel  int64
	Roles      map[string][]string // person → roles
	Sites      []GenSite
	Detentions []GenDetention
	Items      []GenItem
	// Start and End bound every time in the file.
	Start, End time.Time
}

// GenSite is a site and its status changes.
type GenSite struct {
	ID, Operation, Province string
	Statuses                []GenStatus
}

// GenStatus is one site.status.
type GenStatus struct {
	Status string
	At     time.Time
}

// GenDetention is a detention with the times the deadline rules watch (nil
// when never set).
type GenDetention struct {
	ID, Person, Basis         string
	Operation                 string // the operation it belongs to, "" for none
	Arrested                  time.Time
	Rights, Hearing, Released *time.Time
}

// GenItem is an evidence item as the file makes it.
type GenItem struct {
	ID, Type, Parent string
	Site             string // "" for a derived item or one seized elsewhere
	Quantity         int64
	Created          time.Time
	Disposed         *time.Time
	Anomalies        []GenAnomaly
}

// GenAnomaly is a custody anomaly, with its time as written in the file.
type GenAnomaly struct {
	Kind string
	At   string
	T    time.Time
}

var (
	genZones     = []*time.Location{time.FixedZone("", -5*3600), time.UTC, time.FixedZone("", 2*3600), time.FixedZone("", -(3*3600 + 1800))}
	genProvinces = []string{"Pichincha", "Guayas", "Manabí", "Azuay", "Loja"}
	genRoles     = []string{"judge", "prosecutor", "police", "lawyer", "prison_guard", "judiciary_official", "public_official", "trafficker", "gang_member", "business", "other"}
	genTypes     = []string{"phone", "laptop", "computer", "storage", "documents", "financial_records", "cash", "firearm", "drugs", "other"}
	genStatuses  = []string{"en_route", "entered", "secured", "completed"}
)

type gen struct {
	r   *rand.Rand
	c   *CaseFile
	off []string // officers
	n   int      // item counter
}

func (g *gen) add(op string, fields ...any) {
	m := map[string]any{"op": op}
	for i := 0; i < len(fields); i += 2 {
		m[fields[i].(string)] = fields[i+1]
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	g.c.Lines = append(g.c.Lines, string(b))
}

// ts writes t in a random zone: the same instant, written differently.
func (g *gen) ts(t time.Time) string {
	return t.In(genZones[g.r.IntN(len(genZones))]).Format(time.RFC3339)
}

// after returns a time 0 to max minutes (and some seconds) after t.
func (g *gen) after(t time.Time, maxMinutes int) time.Time {
	t = t.Add(time.Duration(g.r.IntN(maxMinutes+1))*time.Minute + time.Duration(g.r.IntN(60))*time.Second)
	if t.After(g.c.End) {
		g.c.End = t
	}
	return t
}

func (g *gen) other(than string) string {
	for {
		if o := g.off[g.r.IntN(len(g.off))]; o != than {
			return o
		}
	}
}

// GenerateCase returns a valid case file drawn from seed: one case, two
// operations, sites with status histories, detentions with and without
// deadline trouble, and items with transfers, seals broken and mismatched,
// derivations (chained), court appearances and disposals, its times written
// in several zones.
func GenerateCase(seed uint64) *CaseFile {
	r := rand.New(rand.NewPCG(seed, 0x6375737464))
	start := time.Date(2024, 5, 1, 5, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(72)) * time.Hour)
	c := &CaseFile{Case: "C-G", Operation: "OP-G", Roles: map[string][]string{}, Start: start, End: start}
	g := &gen{r: r, c: c}
	g.add("agency.add", "id", "PN", "name", "Policía", "kind", "police")
	for i := 1; i <= 6; i++ {
		id := fmt.Sprintf("o%d", i)
		g.off = append(g.off, id)
		g.add("officer.add", "id", id, "name", "Agente "+id, "agency", "PN", "role", "agent")
	}
	g.add("case.open", "id", c.Case, "title", "Caso generado", "at", g.ts(start.Add(-240*time.Hour)), "by", "o1")
	for i := 1; i <= 8; i++ {
		id := fmt.Sprintf("P%d", i)
		var roles []string
		for _, ro := range genRoles {
			if r.IntN(6) == 0 {
				roles = append(roles, ro)
			}
		}
		if len(roles) == 0 {
			roles = []string{genRoles[r.IntN(len(genRoles))]}
		}
		c.Roles[id] = roles
		g.add("person.add", "id", id, "case", c.Case, "name", "Persona "+id, "roles", roles)
	}
	c.Personnel = int64(r.IntN(1000))
	g.add("operation.plan", "id", "OP-G", "case", c.Case, "name", "Operativo", "h_hour", g.ts(start), "personnel", c.Personnel, "agencies", []string{"PN"}, "at", g.ts(start.Add(-48*time.Hour)), "by", "o1")
	g.add("operation.plan", "id", "OP-H", "case", c.Case, "name", "Otro", "h_hour", g.ts(start), "personnel", 3, "agencies", []string{}, "at", g.ts(start.Add(-48*time.Hour)), "by", "o2")

	for i := 0; i < 3+r.IntN(8); i++ {
		s := GenSite{ID: fmt.Sprintf("S-%d", i), Operation: "OP-G", Province: genProvinces[r.IntN(len(genProvinces))]}
		if r.IntN(5) == 0 {
			s.Operation = "OP-H"
		}
		g.add("site.add", "id", s.ID, "operation", s.Operation, "province", s.Province, "city", "Ciudad", "kind", "residence", "lead", g.off[r.IntN(6)])
		t := start
		for _, st := range genStatuses {
			if r.IntN(3) == 0 {
				continue
			}
			t = g.after(t, 90)
			s.Statuses = append(s.Statuses, GenStatus{st, t})
			g.add("site.status", "site", s.ID, "status", st, "at", g.ts(t), "by", g.off[r.IntN(6)])
			if st != "completed" && r.IntN(8) == 0 {
				t = g.after(t, 30)
				s.Statuses = append(s.Statuses, GenStatus{"aborted", t})
				g.add("site.status", "site", s.ID, "status", "aborted", "at", g.ts(t), "by", g.off[r.IntN(6)])
				break
			}
		}
		c.Sites = append(c.Sites, s)
	}

	for i := 0; i < 2+r.IntN(9); i++ {
		d := GenDetention{ID: fmt.Sprintf("D-%02d", i), Person: fmt.Sprintf("P%d", 1+r.IntN(8)), Basis: []string{"warrant", "flagrante"}[r.IntN(2)]}
		d.Arrested = g.after(start, 600)
		fields := []any{"id", d.ID, "case", c.Case, "person", d.Person, "basis", d.Basis, "arrested_at", g.ts(d.Arrested), "arrested_by", g.off[r.IntN(6)]}
		switch r.IntN(4) {
		case 0:
			s := c.Sites[r.IntN(len(c.Sites))]
			fields = append(fields, "site", s.ID)
			d.Operation = s.Operation
		case 1:
			fields = append(fields, "operation", "OP-G")
			d.Operation = "OP-G"
		case 2:
			fields = append(fields, "operation", "OP-H")
			d.Operation = "OP-H"
		}
		var updates []any
		for _, f := range []struct {
			name string
			p    **time.Time
			max  int
			odds int
		}{{"rights_notified_at", &d.Rights, 150, 4}, {"hearing_at", &d.Hearing, 2000, 2}, {"released_at", &d.Released, 2000, 3}} {
			if r.IntN(f.odds) == 0 {
				continue
			}
			t := g.after(d.Arrested, f.max)
			*f.p = &t
			if r.IntN(2) == 0 {
				fields = append(fields, f.name, g.ts(t))
			} else {
				updates = append(updates, f.name, g.ts(t))
			}
		}
		g.add("detention.record", fields...)
		if len(updates) > 0 {
			g.add("detention.update", append([]any{"detention", d.ID, "at", g.ts(g.after(d.Arrested, 3000)), "by", g.off[r.IntN(6)]}, updates...)...)
		}
		c.Detentions = append(c.Detentions, d)
	}

	for _, s := range c.Sites {
		for k := 0; k < r.IntN(5); k++ {
			g.seize(s.ID)
		}
	}
	g.seize("")
	return c
}

func (g *gen) seize(site string) {
	r := g.r
	g.n++
	it := GenItem{ID: fmt.Sprintf("E-%03d", g.n), Type: genTypes[r.IntN(len(genTypes))], Site: site, Quantity: 1, Created: g.after(g.c.Start, 400)}
	holder := g.off[r.IntN(6)]
	fields := []any{"id", it.ID, "case", g.c.Case, "type", it.Type, "description", "Evidencia", "seized_at", g.ts(it.Created), "seized_by", holder}
	if site != "" {
		fields = append(fields, "site", site)
	}
	if r.IntN(3) == 0 {
		it.Quantity = int64(1 + r.IntN(50))
		fields = append(fields, "quantity", it.Quantity)
	}
	seal := ""
	if r.IntN(10) < 7 {
		seal = fmt.Sprintf("K-%d", g.n)
		fields = append(fields, "seal", seal)
	}
	g.add("evidence.seize", fields...)
	g.c.Items = append(g.c.Items, it)
	g.events(len(g.c.Items)-1, holder, seal, 0)
}

// events appends the custody events of item i, held by holder under seal.
func (g *gen) events(i int, holder, seal string, depth int) {
	r := g.r
	t := g.c.Items[i].Created
	id := g.c.Items[i].ID
	for k := 0; k < r.IntN(9); k++ {
		if r.IntN(3) != 0 {
			t = g.after(t, 300) // an event at the same instant is allowed too
		}
		switch r.IntN(7) {
		case 0, 1, 2: // transfer
			to := g.other(holder)
			at := g.ts(t)
			fields := []any{"item", id, "from", holder, "to", to, "at", at, "purpose", "storage"}
			cond := "none"
			var kinds []string
			if seal != "" {
				cond = "intact"
				if r.IntN(5) == 0 {
					cond = "broken"
					kinds = append(kinds, "seal_broken")
				}
				switch r.IntN(4) {
				case 0:
					fields = append(fields, "seal", seal)
				case 1, 2:
					fields = append(fields, "seal", seal+"X")
					kinds = append(kinds, "seal_mismatch")
				}
			}
			fields = append(fields, "seal_condition", cond)
			for _, kd := range kinds {
				g.c.Items[i].Anomalies = append(g.c.Items[i].Anomalies, GenAnomaly{kd, at, t})
			}
			if cond == "broken" {
				seal = ""
			}
			holder = to
			g.add("custody.transfer", fields...)
		case 3: // open or seal
			if seal != "" {
				g.add("custody.open", "item", id, "at", g.ts(t), "by", holder, "reason", "Peritaje")
				seal = ""
			} else {
				seal = fmt.Sprintf("R-%s-%d", id, k)
				g.add("custody.seal", "item", id, "seal", seal, "at", g.ts(t), "by", holder)
			}
		case 4: // derive, and the derived item's own events
			if depth > 2 {
				continue
			}
			g.n++
			child := GenItem{ID: fmt.Sprintf("E-%03d", g.n), Type: "copy", Parent: id, Quantity: 1, Created: t}
			g.add("evidence.derive", "id", child.ID, "parent", id, "type", "copy", "description", "Copia", "at", g.ts(t), "by", holder)
			g.c.Items = append(g.c.Items, child)
			g.events(len(g.c.Items)-1, holder, "", depth+1)
		case 5:
			g.add("court.present", "item", id, "at", g.ts(t), "by", holder, "hearing", "Audiencia")
		case 6:
			if r.IntN(2) == 0 {
				g.add("evidence.attach", "item", id, "name", "foto.jpg", "sha256", fmt.Sprintf("%064x", g.n*7919+k), "size", r.IntN(1<<20), "at", g.ts(t), "by", holder)
				continue
			}
			g.add("evidence.dispose", "item", id, "at", g.ts(t), "by", holder, "method", "returned")
			d := t
			g.c.Items[i].Disposed = &d
			return
		}
	}
}

// BadLines are lines every generated file rejects, whatever precedes them,
// with the op the error must name ("" when the line has none to name).
var BadLines = []struct{ Line, Op string }{
	{`{"op": "agency.add", "id": "-bad", "name": "x", "kind": "police"}`, "agency.add"},
	{`{"op": "evidence.steal", "id": "E-X"}`, ""},
	{`{"op": "custody.transfer", "item": "E-NONE", "from": "o1", "to": "o2", "at": "2024-05-01T10:00:00-05:00", "purpose": "storage", "seal_condition": "none"}`, "custody.transfer"},
	{`{"op": "statement.add", "id": "ST-X", "case": "C-G", "at": "2024-05-01T10:00:00", "source": "x", "text": "y"}`, "statement.add"},
	{`{"op": "site.status", "site": "S-NONE", "status": "entered", "at": "2024-05-01T10:00:00-05:00", "by": "o1"}`, "site.status"},
	{`{"op": "officer.add", "id": "o1", "name": "Otra vez", "agency": "PN", "role": "agent"}`, "officer.add"},
	{`{"op": "person.add", "id": "P-X", "case": "C-G", "name": "x", "roles": ["astronaut"]}`, "person.add"},
	{`{"op": "detention.update", "detention": "D-NONE", "at": "2024-05-01T10:00:00-05:00", "by": "o1", "hearing_at": "2024-05-02T10:00:00-05:00"}`, "detention.update"},
	{`{"op": "agency.add", "id": "AG-X", "name": "x", "kind": "police", "colour": "red"}`, "agency.add"},
	{`not json`, ""},
}

// WithBadLine returns the file's lines with a bad line inserted at a random
// place after the header (so that what it refers to, when anything, exists),
// and the bad line's number from 1 and its op.
func (c *CaseFile) WithBadLine(seed uint64) (lines []string, lineNo int, op string) {
	r := rand.New(rand.NewPCG(seed, 0x626164))
	bad := BadLines[r.IntN(len(BadLines))]
	at := 8 + r.IntN(len(c.Lines)-7)
	lines = append(append(append([]string{}, c.Lines[:at]...), bad.Line), c.Lines[at:]...)
	return lines, at + 1, bad.Op
}
