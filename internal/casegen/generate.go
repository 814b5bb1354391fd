package casegen

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Options shape a generated case file. A zero field takes its default; for
// the probabilities, a negative value means "never".
type Options struct {
	Cases         int // cases, 1 or 2 (default: 1 or 2, from the seed)
	Operations    int // operations over all cases, at least Cases (default: Cases+1)
	Sites         int // sites per operation (default 5)
	ItemsPerSite  int // each site gets 0..ItemsPerSite seized items, the first at least 1 (default 3)
	EventsPerItem int // about this many custody events per item after its seizure (default 5)
	Detentions    int // detentions recorded per operation (default 5)

	PAbort    float64 // a site's raid is aborted (default 0.1)
	PSkip     float64 // a site skips an intermediate status (default 0.2)
	PStop     float64 // a site never gets a status, or stops before completed (default 0.1)
	PBroken   float64 // a transfer of a sealed item finds the seal broken (default 0.05)
	PMismatch float64 // a transfer reads a seal number other than the recorded one (default 0.05)
	PDerive   float64 // a custody step derives a new item (default 0.15)
	PDispose  float64 // an item is disposed at the end of its chain (default 0.15)
	PLate     float64 // a detention deadline is met late (default 0.2)
	PMissing  float64 // a detention deadline is never met (default 0.15)
}

func (o Options) withDefaults(r *rand.Rand) Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Cases, 1+r.IntN(2))
	o.Cases = min(o.Cases, 2)
	def(&o.Operations, o.Cases+1)
	o.Operations = max(o.Operations, o.Cases)
	def(&o.Sites, 5)
	def(&o.ItemsPerSite, 3)
	def(&o.EventsPerItem, 5)
	def(&o.Detentions, 5)
	p := func(v *float64, d float64) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	p(&o.PAbort, 0.1)
	p(&o.PSkip, 0.2)
	p(&o.PStop, 0.1)
	p(&o.PBroken, 0.05)
	p(&o.PMismatch, 0.05)
	p(&o.PDerive, 0.15)
	p(&o.PDispose, 0.15)
	p(&o.PLate, 0.2)
	p(&o.PMissing, 0.15)
	return o
}

// newRand is the seeded source of every generator: math/rand/v2's PCG, so a
// seed gives the same file on every platform and Go version that keeps PCG.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), 0x637573746f646961))
}

// Generate returns a valid case file drawn from seed: the same seed and
// options give the same bytes. Every op of the spec appears in it, with seal
// anomalies, aborted and skipped sites, and detentions that trip every
// deadline rule; lines of different items and sites are interleaved, so line
// order is not time order across items.
func Generate(seed int64, opts Options) []byte {
	return renderFile(generate(seed, opts))
}

// stream is a run of lines that must keep their order (one item's events,
// one site's statuses, one detention's record and updates). It may start
// only once gate has been written.
type stream struct {
	lines []*line
	gate  *line
	pos   int
}

type gCase struct {
	id, prosecutor string
	opened         time.Time
	persons        []string
	parties        []string // persons and organizations
	statements     []string
	ops            []*gOp
	items          []*line // seizures, for item-sourced links
}

type gOp struct {
	id, num string
	c       *gCase
	h       time.Time
	sites   []*gSite
}

type gSite struct {
	id, lead string
	team     []string
	start    time.Time // when evidence starts being seized
}

type gItem struct {
	id, holder, seal, caseID string
	last                     time.Time
	depth                    int
}

type gen struct {
	r       *rand.Rand
	o       Options
	setup   []*line
	streams []*stream
	pool    []string // officers who receive evidence
	seals   int
	hex     [32]byte
}

var provinces = []struct{ name, city string }{
	{"Pichincha", "Quito"}, {"Guayas", "Guayaquil"}, {"Manabí", "Portoviejo"}, {"Chimborazo", "Riobamba"},
	{"Cotopaxi", "Latacunga"}, {"Loja", "Loja"}, {"Santo Domingo de los Tsáchilas", "Santo Domingo"},
	{"Azuay", "Cuenca"}, {"El Oro", "Machala"}, {"Esmeraldas", "Esmeraldas"}, {"Imbabura", "Ibarra"},
}

func generate(seed int64, opts Options) []*line {
	r := newRand(seed)
	g := &gen{r: r, o: opts.withDefaults(r)}
	base := time.Date(2023, 1, 1, 6, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(700)) * 24 * time.Hour)

	g.agencies()
	g.officers()
	cases := g.cases(base)
	for i := range g.o.Operations {
		c := cases[i%len(cases)]
		g.operation(c, i+1, base.Add(time.Duration(i*r.IntN(4))*24*time.Hour+g.minutes(0, 180)))
	}
	for ci, c := range cases {
		for oi, op := range c.ops {
			for si, s := range op.sites {
				g.siteStatuses(op, s, ci == 0 && oi == 0, si)
			}
		}
		for oi, op := range c.ops {
			for di := range g.o.Detentions {
				g.detention(op, ci == 0 && oi == 0, di)
			}
		}
		for oi, op := range c.ops {
			for si, s := range op.sites {
				n := r.IntN(g.o.ItemsPerSite + 1)
				if si == 0 {
					n = max(n, 1)
				}
				for k := range n {
					g.seizure(c, s, fmt.Sprintf("E-%s-%02d-%02d", op.num, si+1, k+1), ci == 0 && oi == 0 && si == 0 && k == 0)
				}
			}
		}
		for k := range 1 + r.IntN(2) {
			g.seizure(c, nil, fmt.Sprintf("E-%s-X%d", c.id, k+1), false)
		}
		g.itemLinks(c)
	}
	return g.merge()
}

func (g *gen) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+g.r.IntN(hi-lo+1)) * time.Minute
}

func (g *gen) stamp(t time.Time) string { return stamp(t, g.r.IntN(len(zones))) }

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) sha() string {
	for i := range g.hex {
		g.hex[i] = byte(g.r.Uint32())
	}
	return hex.EncodeToString(g.hex[:])
}

func (g *gen) seal() string {
	g.seals++
	return fmt.Sprintf("PN-%06d", 100000+g.seals)
}

func (g *gen) add(l *line) { g.setup = append(g.setup, l) }

func (g *gen) agencies() {
	for _, a := range [][3]string{
		{"FGE", "Fiscalía General del Estado", "prosecution"},
		{"PN", "Policía Nacional", "police"},
		{"SNMLCF", "Servicio Nacional de Medicina Legal y Ciencias Forenses", "forensics"},
		{"CJ", "Consejo de la Judicatura", "judiciary"},
		{"SNAI", "Servicio Nacional de Atención Integral", "prison"},
		{"DP", "Defensoría Pública", "defense"},
		{"MDI", "Ministerio del Interior", "other"},
	} {
		g.add(newLine("agency.add", "id", a[0], "name", a[1], "kind", a[2]))
	}
}

func (g *gen) officers() {
	add := func(id, name, agency, role string, pool bool) {
		g.add(newLine("officer.add", "id", id, "name", name, "agency", agency, "role", role))
		if pool {
			g.pool = append(g.pool, id)
		}
	}
	for i := 1; i <= 3; i++ {
		add(fmt.Sprintf("fge.%d", i), fmt.Sprintf("Fiscal %d", i), "FGE", "prosecutor", true)
	}
	add("inv.1", "Investigador 1", "PN", "investigator", true)
	for i := 1; i <= 4; i++ {
		add(fmt.Sprintf("cust.%d", i), fmt.Sprintf("Custodio de bodega %d", i), "PN", "custodian", true)
	}
	for i := 1; i <= 3; i++ {
		add(fmt.Sprintf("lab.%d", i), fmt.Sprintf("Perito informático %d", i), "SNMLCF", "forensic_analyst", true)
	}
	add("jud.1", "Juez de garantías 1", "CJ", "judge", true)
	add("jud.2", "Juez de garantías 2", "CJ", "judge", false)
	add("clerk.1", "Secretario de la unidad judicial", "CJ", "clerk", true)
	add("def.1", "Defensor público", "DP", "defense", false)
	add("aud.1", "Auditor interno", "FGE", "auditor", false)
	add("adm.1", "Administrador del sistema", "MDI", "admin", false)
	add("snai.1", "Guía penitenciario", "SNAI", "agent", false)
}

func (g *gen) cases(base time.Time) []*gCase {
	r := g.r
	var out []*gCase
	for i := range g.o.Cases {
		c := &gCase{id: []string{"CASO-A", "CASO-B"}[i], prosecutor: fmt.Sprintf("fge.%d", i+1),
			opened: base.Add(-time.Duration(100+r.IntN(300)) * 24 * time.Hour)}
		l := newLine("case.open", "id", c.id, "title", "Caso "+c.id, "at", g.stamp(c.opened), "by", c.prosecutor)
		if g.chance(0.5) {
			l.set("summary", "Delincuencia organizada (generado)")
		}
		g.add(l)
		for k := range 8 + r.IntN(5) {
			c.persons = append(c.persons, g.person(c, fmt.Sprintf("P-%s-%02d", c.id[5:], k+1), &g.setup))
		}
		c.parties = slices.Clone(c.persons)
		for k := range 3 {
			id := fmt.Sprintf("O-%s-%d", c.id[5:], k+1)
			l := newLine("organization.add", "id", id, "case", c.id, "name", "Organización "+id, "kind", g.pick(orgKinds))
			if g.chance(0.5) {
				l.set("jurisdiction", g.pick([]string{"Ecuador", "México", "Panamá"}))
			}
			g.add(l)
			c.parties = append(c.parties, id)
		}
		for k := range 1 + r.IntN(2) {
			id := fmt.Sprintf("ST-%s-%d", c.id[5:], k+1)
			l := newLine("statement.add", "id", id, "case", c.id, "at", g.stamp(c.opened.Add(g.minutes(60, 90*24*60))),
				"source", "Cuenta oficial en redes sociales", "text", "Declaración pública sobre el caso.")
			if g.chance(0.6) {
				l.set("speaker", "Vocero "+id)
			}
			g.add(l)
			c.statements = append(c.statements, id)
		}
		for k := range 2 + r.IntN(2) {
			l := g.link(c, fmt.Sprintf("L-%s-%d", c.id[5:], k+1))
			if g.chance(0.5) {
				l.set("source", g.pick(c.statements))
			}
			g.add(l)
		}
		out = append(out, c)
	}
	return out
}

func (g *gen) person(c *gCase, id string, to *[]*line) string {
	roles := []string{g.pick(personRoles)}
	if g.chance(0.3) {
		if r := g.pick(personRoles); r != roles[0] {
			roles = append(roles, r)
		}
	}
	l := newLine("person.add", "id", id, "case", c.id, "name", "Persona "+id, "roles", roles)
	switch g.r.IntN(4) {
	case 0:
		l.set("reserved", true)
	case 1:
		l.set("reserved", false)
	}
	if g.chance(0.3) {
		l.set("institution", "Institución pública")
		l.set("position", "Funcionario")
	}
	*to = append(*to, l)
	return id
}

func (g *gen) link(c *gCase, id string) *line {
	from := g.pick(c.parties)
	to := g.pick(c.parties)
	for to == from {
		to = g.pick(c.parties)
	}
	l := newLine("link.add", "id", id, "case", c.id, "from", from, "to", to,
		"kind", g.pick([]string{"financed", "supported", "member_of", "owns", "paid", "communicated_with"}))
	if g.chance(0.5) {
		l.set("at", g.stamp(c.opened.Add(g.minutes(0, 60*24*60))))
	}
	if g.chance(0.3) {
		l.set("note", "Vínculo según la investigación")
	}
	return l
}

func (g *gen) operation(c *gCase, n int, h time.Time) {
	op := &gOp{id: fmt.Sprintf("OP-%d", n), num: fmt.Sprint(n), c: c, h: h}
	c.ops = append(c.ops, op)
	personnel := int64(g.r.IntN(900))
	if g.chance(0.1) {
		personnel = 0
	}
	agencies := []string{"FGE", "PN"}
	if g.chance(0.5) {
		agencies = append(agencies, "SNMLCF")
	}
	g.add(newLine("operation.plan", "id", op.id, "case", c.id, "name", "Operativo "+op.id, "h_hour", g.stamp(h),
		"personnel", personnel, "agencies", agencies, "at", g.stamp(h.Add(-g.minutes(180, 10*24*60))), "by", c.prosecutor))
	nprov := 1 + g.r.IntN(4)
	first := g.r.IntN(len(provinces))
	for si := range g.o.Sites {
		p := provinces[(first+g.r.IntN(nprov))%len(provinces)]
		s := &gSite{id: fmt.Sprintf("S-%d-%02d", n, si+1)}
		s.lead = fmt.Sprintf("pn.s-%d-%02d.lead", n, si+1)
		g.add(newLine("officer.add", "id", s.lead, "name", "Jefe de equipo "+s.id, "agency", "PN", "role", "agent"))
		for k := 1; k <= 2; k++ {
			id := fmt.Sprintf("pn.s-%d-%02d.%d", n, si+1, k)
			g.add(newLine("officer.add", "id", id, "name", fmt.Sprintf("Agente %d de %s", k, s.id), "agency", "PN", "role", "agent"))
			s.team = append(s.team, id)
		}
		l := newLine("site.add", "id", s.id, "operation", op.id, "province", p.name, "city", p.city,
			"kind", g.pick(siteKinds), "lead", s.lead)
		if g.chance(0.7) {
			l.set("address", "Dirección reservada ("+p.city+")")
		}
		if g.chance(0.7) {
			l.set("warrant", "Orden de allanamiento "+s.id)
		}
		if g.chance(0.8) {
			l.set("team", s.team)
		}
		g.add(l)
		op.sites = append(op.sites, s)
	}
}

// siteStatuses makes a site's status history. The first sites of the first
// operation are scripted so that every file has a full raid, an aborted one,
// a skip and a site with no status.
func (g *gen) siteStatuses(op *gOp, s *gSite, scripted bool, si int) {
	mode := -1
	if scripted {
		mode = si
	}
	t := op.h.Add(g.minutes(0, 60) - 20*time.Minute)
	s.start = t.Add(30 * time.Minute)
	var seq []string
	switch {
	case mode == 3 || (mode < 0 && g.chance(g.o.PStop/2)):
		return
	case mode == 0:
		seq = []string{"en_route", "entered", "secured", "completed"}
	case mode == 1:
		seq = []string{"en_route", "entered", "aborted"}
	case mode == 2:
		seq = []string{"entered", "completed"}
	default:
		for _, st := range []string{"en_route", "entered", "secured"} {
			if !g.chance(g.o.PSkip) {
				seq = append(seq, st)
			}
		}
		switch {
		case g.chance(g.o.PAbort):
			seq = append(seq[:g.r.IntN(len(seq)+1)], "aborted")
		case g.chance(g.o.PStop / 2):
			if len(seq) == 0 {
				seq = []string{"en_route"}
			}
		default:
			seq = append(seq, "completed")
		}
	}
	var lines []*line
	for _, st := range seq {
		t = t.Add(g.minutes(1, 90))
		if st == "entered" {
			s.start = t
		}
		l := newLine("site.status", "site", s.id, "status", st, "at", g.stamp(t), "by", s.lead)
		if g.chance(0.2) {
			l.set("note", "Novedad: "+st)
		}
		lines = append(lines, l)
	}
	g.streams = append(g.streams, &stream{lines: lines})
}

// detention makes a detention and its updates. The first detentions of the
// first operation are scripted so that every deadline rule fires.
func (g *gen) detention(op *gOp, scripted bool, di int) {
	mode := -1
	if scripted && di <= 4 {
		mode = di
	}
	c := op.c
	var lines []*line
	person := g.pick(c.persons)
	if g.chance(0.3) {
		person = g.person(c, fmt.Sprintf("P-%s-D%s-%02d", c.id[5:], op.num, di+1), &lines)
	}
	arrested := op.h.Add(g.minutes(0, 480) - 120*time.Minute)
	basis := "warrant"
	if g.chance(0.2) {
		basis = "flagrante"
	}
	site := g.pick(siteIDs(op.sites))
	rec := newLine("detention.record", "id", fmt.Sprintf("D-%s-%02d", op.num, di+1), "case", c.id, "person", person,
		"basis", basis, "arrested_at", g.stamp(arrested), "arrested_by", op.sites[0].lead)
	switch b := g.r.Float64(); {
	case mode >= 0 || b < 0.35: // scripted detentions belong to the operation, so their deadlines show
		rec.set("site", site)
		if g.chance(0.5) {
			rec.set("operation", op.id)
		}
	case b < 0.65:
		rec.set("operation", op.id)
		rec.set("place", "Ciudad")
	case b < 0.8 || len(c.ops) < 2:
		rec.set("place", "Fuera del operativo")
	default:
		other := c.ops[g.r.IntN(len(c.ops))]
		if other == op {
			rec.set("operation", op.id)
		} else {
			rec.set("site", g.pick(siteIDs(other.sites)))
		}
	}
	if g.chance(0.5) {
		rec.set("charge", "Delincuencia organizada")
	}
	// Deadline times: on time, late, or missing.
	when := func(late, missing bool, ontimeLo, limit int) *time.Time {
		var d time.Duration
		switch {
		case missing:
			return nil
		case late:
			d = g.minutes(limit+1, limit+2000)
		case g.chance(0.1):
			d = time.Duration(limit) * time.Minute // exactly the limit: not late
		default:
			d = g.minutes(ontimeLo, limit)
		}
		t := arrested.Add(d)
		return &t
	}
	rights := when(mode == 0 || (mode < 0 && g.chance(g.o.PLate)), mode == 1 || (mode < 0 && g.chance(g.o.PMissing)), 0, RightsLimitMinutes)
	hearing := when(mode == 2 || (mode < 0 && g.chance(g.o.PLate)), mode == 3 || mode == 4 || (mode < 0 && g.chance(g.o.PMissing)), 60, HearingLimitMinutes)
	var released *time.Time
	if mode == 4 || (mode < 0 && g.chance(0.3)) {
		t := arrested.Add(g.minutes(30, 3000))
		released = &t
	}
	type set struct {
		f string
		t time.Time
	}
	var updates []set
	for _, s := range []struct {
		f string
		t *time.Time
	}{{"rights_notified_at", rights}, {"hearing_at", hearing}, {"released_at", released}} {
		if s.t == nil {
			continue
		}
		if mode == 2 || mode == 4 || (mode != 0 && g.chance(0.5)) {
			updates = append(updates, set{s.f, *s.t})
		} else {
			rec.set(s.f, g.stamp(*s.t))
		}
	}
	if g.chance(0.2) {
		rec.set("note", "Detención registrada (generada)")
	}
	lines = append(lines, rec)
	for len(updates) > 0 {
		n := 1 + g.r.IntN(len(updates))
		u := newLine("detention.update", "detention", rec.str("id"))
		var latest time.Time
		for _, s := range updates[:n] {
			latest = maxTime(latest, s.t)
		}
		u.set("at", g.stamp(latest.Add(g.minutes(0, 60))))
		u.set("by", g.pick([]string{"clerk.1", "jud.1", c.prosecutor}))
		for _, s := range updates[:n] {
			u.set(s.f, g.stamp(s.t))
		}
		lines = append(lines, u)
		updates = updates[n:]
	}
	g.streams = append(g.streams, &stream{lines: lines})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func siteIDs(sites []*gSite) []string {
	var out []string
	for _, s := range sites {
		out = append(out, s.id)
	}
	return out
}

var descriptions = map[string]string{
	"phone": "Teléfono celular", "laptop": "Computadora portátil", "computer": "Computadora de escritorio",
	"storage": "Memoria USB", "documents": "Documentos", "financial_records": "Registros financieros",
	"corporate_records": "Escrituras de compañías", "agenda": "Agenda manuscrita", "firearm": "Arma de fuego",
	"ammunition": "Municiones", "cash": "Dinero en efectivo", "vehicle": "Vehículo", "drugs": "Sustancias sujetas a fiscalización",
	"other": "Otro objeto",
}

// seizure makes an item's seizure and its custody chain. showcase scripts
// the chain so that every custody op and anomaly kind occurs.
func (g *gen) seizure(c *gCase, s *gSite, id string, showcase bool) {
	typ := g.pick(itemTypes)
	var at time.Time
	var by string
	if s != nil {
		at = s.start.Add(g.minutes(0, 240))
		by = g.pick(append([]string{s.lead}, s.team...))
	} else {
		at = c.ops[0].h.Add(g.minutes(-600, 600))
		by = "inv.1"
	}
	l := newLine("evidence.seize", "id", id, "case", c.id, "type", typ, "description", descriptions[typ],
		"seized_at", g.stamp(at), "seized_by", by)
	if s != nil {
		l.set("site", s.id)
		if g.chance(0.2) {
			l.set("place", "Habitación principal")
		}
	} else {
		l.set("place", "Aeropuerto")
	}
	switch typ {
	case "documents", "cash", "ammunition", "drugs", "financial_records":
		if g.chance(0.6) {
			l.set("quantity", int64(1+g.r.IntN(200)))
		}
	default:
		if g.chance(0.1) {
			l.set("quantity", int64(1))
		}
	}
	it := &gItem{id: id, holder: by, caseID: c.id, last: at}
	if showcase || g.chance(0.85) {
		it.seal = g.seal()
		l.set("seal", it.seal)
	}
	if g.chance(0.2) {
		l.set("digital", g.chance(0.5))
	}
	c.items = append(c.items, l)
	st := &stream{lines: []*line{l}}
	g.streams = append(g.streams, st)
	if showcase {
		st.lines = append(st.lines, g.showcase(it)...)
		return
	}
	st.lines = append(st.lines, g.chain(it, g.r.IntN(2*g.o.EventsPerItem+1))...)
}

// step advances an item's clock: sometimes not at all (equal times are
// allowed), mostly by minutes or days.
func (g *gen) step(it *gItem) string {
	switch x := g.r.IntN(10); {
	case x == 0:
	case x < 6:
		it.last = it.last.Add(g.minutes(1, 180))
	default:
		it.last = it.last.Add(time.Duration(1+g.r.IntN(5))*24*time.Hour + g.minutes(0, 600))
	}
	return g.stamp(it.last)
}

func (g *gen) receiver(not string) string {
	for {
		if to := g.pick(g.pool); to != not {
			return to
		}
	}
}

func (g *gen) transfer(it *gItem, to, cond, seal string) *line {
	if cond == "" {
		cond = "none"
		if it.seal != "" {
			cond = "intact"
			if g.chance(g.o.PBroken) {
				cond = "broken"
			}
		}
	}
	if seal == "" && it.seal != "" {
		switch {
		case g.chance(g.o.PMismatch):
			seal = fmt.Sprintf("PN-9%05d", g.r.IntN(100000))
		case g.chance(0.4):
			seal = it.seal
		}
	}
	l := newLine("custody.transfer", "item", it.id, "from", it.holder, "to", to, "at", g.step(it),
		"purpose", g.pick(purposes), "seal_condition", cond)
	if seal != "" {
		l.set("seal", seal)
	}
	if g.chance(0.6) {
		l.set("location", "Bodega de evidencias")
	}
	if cond == "broken" {
		it.seal = ""
	}
	it.holder = to
	return l
}

func (g *gen) open(it *gItem) *line {
	it.seal = ""
	return newLine("custody.open", "item", it.id, "at", g.step(it), "by", it.holder, "reason", "Análisis forense")
}

func (g *gen) sealItem(it *gItem) *line {
	it.seal = g.seal()
	return newLine("custody.seal", "item", it.id, "seal", it.seal, "at", g.step(it), "by", it.holder)
}

func (g *gen) attach(it *gItem) *line {
	l := newLine("evidence.attach", "item", it.id, "name", "foto-"+it.id+".jpg", "sha256", g.sha(),
		"size", int64(g.r.IntN(5_000_000)), "at", g.step(it), "by", it.holder)
	if g.chance(0.5) {
		l.set("media_type", "image/jpeg")
	}
	return l
}

func (g *gen) present(it *gItem) *line {
	return newLine("court.present", "item", it.id, "at", g.step(it), "by", it.holder, "hearing", "Audiencia de juicio")
}

func (g *gen) dispose(it *gItem) *line {
	l := newLine("evidence.dispose", "item", it.id, "at", g.step(it), "by", it.holder, "method", g.pick(disposeMethod))
	if g.chance(0.5) {
		l.set("order", "Resolución judicial")
	}
	return l
}

// derive makes a new item from it; the new item's events form a stream that
// starts after the derive line. events is the length of its chain, or -1 for
// a scripted one.
func (g *gen) derive(it *gItem, n int, rest func(d *gItem) []*line) *line {
	id := fmt.Sprintf("%s-D%d", it.id, n)
	typ := g.pick(derivedTypes)
	l := newLine("evidence.derive", "id", id, "parent", it.id, "type", typ, "description", "Derivado de "+it.id,
		"at", g.step(it), "by", it.holder)
	if g.chance(0.8) {
		l.set("sha256", g.sha())
	}
	if g.chance(0.6) {
		l.set("size", int64(g.r.IntN(1<<40)))
	}
	if g.chance(0.5) {
		l.set("tool", "Herramienta de adquisición forense")
	}
	d := &gItem{id: id, holder: it.holder, caseID: it.caseID, last: it.last, depth: it.depth + 1}
	g.streams = append(g.streams, &stream{lines: rest(d), gate: l})
	return l
}

// chain makes n random custody events for it, then perhaps its disposal.
func (g *gen) chain(it *gItem, n int) []*line {
	var out []*line
	derived := 0
	for range n {
		switch {
		case it.depth < 3 && g.chance(g.o.PDerive):
			derived++
			out = append(out, g.derive(it, derived, func(d *gItem) []*line { return g.chain(d, g.r.IntN(n/2+2)) }))
		default:
			switch x := g.r.IntN(10); {
			case x < 6:
				out = append(out, g.transfer(it, g.receiver(it.holder), "", ""))
			case x < 8 && it.seal != "":
				out = append(out, g.open(it))
			case x < 8:
				out = append(out, g.sealItem(it))
			case x < 9:
				out = append(out, g.attach(it))
			default:
				out = append(out, g.present(it))
			}
		}
	}
	if g.chance(g.o.PDispose) {
		out = append(out, g.dispose(it))
	}
	return out
}

// showcase is a scripted chain with every custody op: a clean transfer, a
// seal mismatch, open, a derivation whose derived item is derived again,
// attach, seal, a broken seal, court and disposal.
func (g *gen) showcase(it *gItem) []*line {
	var out []*line
	out = append(out, g.transfer(it, "cust.1", "intact", it.seal))
	out = append(out, g.transfer(it, "lab.1", "intact", "PN-999999"))
	out = append(out, g.open(it))
	out = append(out, g.derive(it, 1, func(d *gItem) []*line {
		var sub []*line
		sub = append(sub, g.transfer(d, "lab.2", "none", ""))
		sub = append(sub, g.derive(d, 1, func(dd *gItem) []*line {
			return []*line{g.attach(dd), g.sealItem(dd), g.transfer(dd, "cust.2", "broken", dd.seal), g.dispose(dd)}
		}))
		sub = append(sub, g.attach(d), g.sealItem(d), g.transfer(d, "cust.1", "intact", ""))
		return sub
	}))
	out = append(out, g.attach(it), g.sealItem(it))
	out = append(out, g.transfer(it, "cust.1", "broken", it.seal))
	out = append(out, g.sealItem(it), g.transfer(it, "fge.1", "intact", ""), g.present(it))
	out = append(out, g.dispose(it))
	return out
}

// itemLinks adds links whose source is a seized item, written after it.
func (g *gen) itemLinks(c *gCase) {
	if len(c.items) == 0 {
		return
	}
	seize := c.items[g.r.IntN(len(c.items))]
	l := g.link(c, fmt.Sprintf("L-%s-E1", c.id[5:]))
	l.set("source", seize.str("id"))
	g.streams = append(g.streams, &stream{lines: []*line{l}, gate: seize})
}

// merge writes the setup lines, then interleaves the streams at random,
// keeping each stream's order and each gate before its stream.
func (g *gen) merge() []*line {
	out := slices.Clone(g.setup)
	written := map[*line]bool{}
	for {
		var ready []*stream
		for _, s := range g.streams {
			if s.pos < len(s.lines) && (s.gate == nil || written[s.gate]) {
				ready = append(ready, s)
			}
		}
		if len(ready) == 0 {
			break
		}
		s := ready[g.r.IntN(len(ready))]
		for k := 1 + g.r.IntN(3); k > 0 && s.pos < len(s.lines); k-- {
			out = append(out, s.lines[s.pos])
			written[s.lines[s.pos]] = true
			s.pos++
		}
	}
	for _, s := range g.streams {
		if s.pos < len(s.lines) {
			panic("casegen: a stream's gate was never written") // a bug in this package, not bad input
		}
	}
	return out
}
