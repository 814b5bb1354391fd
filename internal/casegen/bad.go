package casegen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// BadLine is a case file with exactly one invalid line: the first line that
// an import must reject, by its 1-based number and op.
type BadLine struct {
	File   []byte
	Line   int    // 1-based number of the bad line
	Op     string // its op; "" when the line cannot be parsed (not JSON, no op)
	Kind   string // which violation, one of BadKinds
	Reason string // what is wrong, in English
}

// GenerateBad returns Generate(seed, opts) with exactly one line made
// invalid, in a way drawn from seed among BadKinds: the file, the 1-based
// line number and op the import error must name (op "" when the line is not
// parseable), and what is wrong with it. The lines before it are valid and
// every other line still parses, so any importer, one pass or two, must stop
// at this line. A kind either changes one line, inserts one line, or (for
// ref_defined_later) moves a definition just after its first use.
func GenerateBad(seed int64, opts Options) (file []byte, line int, op string, reason string) {
	b := generateBad(seed, opts)
	return b.File, b.Line, b.Op, b.Reason
}

func generateBad(seed int64, opts Options) BadLine {
	lines := generate(seed, opts)
	r := rand.New(rand.NewPCG(uint64(seed), 0x626164))
	order := r.Perm(len(badKinds))
	for _, k := range order {
		if b, ok := makeBad(lines, r, k); ok {
			return b
		}
	}
	panic("casegen: no kind of bad line applies") // unknown_op applies to every file
}

// BadKinds lists the kinds of invalid line that GenerateBad and MakeBad make.
func BadKinds() []string {
	out := make([]string, len(badKinds))
	for i, k := range badKinds {
		out[i] = k.name
	}
	return out
}

// MakeBad is GenerateBad for one chosen kind. It fails when the kind does not
// apply to the file the seed gives (for instance after_dispose when no item
// was disposed early enough); try another seed.
func MakeBad(seed int64, opts Options, kind string) (BadLine, error) {
	i := slices.IndexFunc(badKinds, func(k badKind) bool { return k.name == kind })
	if i < 0 {
		return BadLine{}, fmt.Errorf("casegen: unknown kind of bad line %q", kind)
	}
	lines := generate(seed, opts)
	r := rand.New(rand.NewPCG(uint64(seed), 0x626164+uint64(i)))
	if b, ok := makeBad(lines, r, i); ok {
		return b, nil
	}
	return BadLine{}, fmt.Errorf("casegen: kind %s does not apply to the file of seed %d", kind, seed)
}

func makeBad(valid []*line, r *rand.Rand, k int) (BadLine, bool) {
	b := &badCtx{r: r, lines: slices.Clone(valid)}
	for range 20 {
		if badKinds[k].make(b) {
			return BadLine{File: renderFile(b.lines), Line: b.at + 1, Op: b.op, Kind: badKinds[k].name, Reason: b.reason}, true
		}
	}
	return BadLine{}, false
}

// badCtx is a valid file being made invalid at one line.
type badCtx struct {
	r      *rand.Rand
	lines  []*line
	at     int // 0-based index of the bad line
	op     string
	reason string
}

type badKind struct {
	name string
	make func(b *badCtx) bool
}

// modify replaces line i by l.
func (b *badCtx) modify(i int, l *line, reason string) bool {
	b.lines[i] = l
	b.at, b.op, b.reason = i, l.op, reason
	if l.raw != nil {
		b.op = ""
	}
	return true
}

// insert puts l before line i.
func (b *badCtx) insert(i int, l *line, reason string) bool {
	b.lines = slices.Insert(b.lines, i, l)
	b.at, b.op, b.reason = i, l.op, reason
	return true
}

// pickLine is a random line that satisfies ok, or -1.
func (b *badCtx) pickLine(ok func(*line) bool) int {
	var idx []int
	for i, l := range b.lines {
		if ok(l) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[b.r.IntN(len(idx))]
}

func (b *badCtx) pick(list []string) string { return list[b.r.IntN(len(list))] }

// state replays the first p lines (all valid) and gives a late position p.
func (b *badCtx) state() (*model, int) {
	n := len(b.lines)
	p := n/3 + b.r.IntN(n-n/3+1)
	m, err := replay(bytes.NewReader(renderFile(b.lines[:p])), -1)
	if err != nil {
		panic("casegen: generated file is invalid: " + err.Error()) // a bug in this package
	}
	return m, p
}

func (b *badCtx) later(t time.Time) string {
	return stamp(t.Add(time.Duration(b.r.IntN(600))*time.Minute), b.r.IntN(len(zones)))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (b *badCtx) officerBut(m *model, not ...string) string {
	all := sortedKeys(m.officers)
	for {
		if o := b.pick(all); !slices.Contains(not, o) {
			return o
		}
	}
}

// item is a random item of m that satisfies ok, or nil.
func (b *badCtx) item(m *model, ok func(*mItem) bool) *mItem {
	var out []*mItem
	for _, id := range m.itemOrder {
		if it := m.items[id]; ok(it) {
			out = append(out, it)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out[b.r.IntN(len(out))]
}

func live(it *mItem) bool { return !it.disposed }

// fitting is the seal_condition a transfer of it needs.
func fitting(it *mItem) string {
	if it.seal != "" {
		return "intact"
	}
	return "none"
}

func (b *badCtx) transferOf(it *mItem, from, to, at string) *line {
	return newLine("custody.transfer", "item", it.id, "from", from, "to", to, "at", at,
		"purpose", b.pick(purposes), "seal_condition", fitting(it))
}

// itemEvent is an event of it by by at at, of an op that fits its seal state.
func (b *badCtx) itemEvent(m *model, it *mItem, by, at string) *line {
	switch b.r.IntN(5) {
	case 0:
		return b.transferOf(it, by, b.officerBut(m, by), at)
	case 1:
		return newLine("evidence.attach", "item", it.id, "name", "acta.pdf", "sha256", strings.Repeat("ab", 32), "size", int64(1024), "at", at, "by", by)
	case 2:
		return newLine("court.present", "item", it.id, "at", at, "by", by, "hearing", "Audiencia")
	case 3:
		if it.seal != "" {
			return newLine("custody.open", "item", it.id, "at", at, "by", by, "reason", "Peritaje")
		}
		return newLine("custody.seal", "item", it.id, "seal", "PN-777777", "at", at, "by", by)
	}
	return newLine("evidence.dispose", "item", it.id, "at", at, "by", by, "method", b.pick(disposeMethod))
}

// refFields are the reference fields present in l.
func refFields(l *line) []fspec {
	var out []fspec
	for _, f := range schemas[l.op] {
		if _, ok := l.get(f.name); ok && (f.typ == tRef || f.typ == tRefList) {
			out = append(out, f)
		}
	}
	return out
}

// refersTo reports whether l names id as a record of kind.
func refersTo(l *line, kind, id string) bool {
	for _, f := range refFields(l) {
		if !slices.Contains(f.ref, kind) {
			continue
		}
		v, _ := l.get(f.name)
		switch v := v.(type) {
		case string:
			if v == id {
				return true
			}
		case []string:
			if slices.Contains(v, id) {
				return true
			}
		}
	}
	return false
}

func fieldsWhere(l *line, ok func(fspec) bool) []fspec {
	var out []fspec
	for _, f := range schemas[l.op] {
		if _, present := l.get(f.name); present && ok(f) {
			out = append(out, f)
		}
	}
	return out
}

func isOp(ops ...string) func(*line) bool {
	return func(l *line) bool { return l.raw == nil && slices.Contains(ops, l.op) }
}

var badKinds = []badKind{
	{"unknown_op", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		l.op = b.pick([]string{"evidence.seized", "custody.handover", "site.delete", "officer.remove", "Evidence.Seize", "detention.release"})
		return b.modify(i, l, fmt.Sprintf("unknown op %q", l.op))
	}},
	{"unknown_field", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		name := b.pick([]string{"notes", "comment", "observaciones", "timestamp", "sealed_by", "hora"})
		l.set(name, "x")
		return b.modify(i, l, fmt.Sprintf("unknown field %q", name))
	}},
	{"unknown_field_case", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		f := l.f[b.r.IntN(len(l.f))]
		up := strings.ToUpper(f.k[:1]) + f.k[1:]
		l.del(f.k)
		l.set(up, f.v)
		return b.modify(i, l, fmt.Sprintf("unknown field %q (field names are case-sensitive)", up))
	}},
	{"missing_field", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		var reqd []string
		for _, f := range schemas[l.op] {
			if f.req {
				reqd = append(reqd, f.name)
			}
		}
		name := b.pick(reqd)
		l.del(name)
		return b.modify(i, l, fmt.Sprintf("missing required field %q", name))
	}},
	{"missing_op", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		l.raw = bytes.Replace(l.render(), []byte(`"op": "`+l.op+`", `), nil, 1)
		return b.modify(i, l, `no "op" field`)
	}},
	{"malformed_json", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		raw := l.render()
		switch b.r.IntN(3) {
		case 0:
			raw = raw[:len(raw)-1]
		case 1:
			raw = append(raw[:len(raw)-1:len(raw)-1], []byte(", }")...)
		default:
			raw = bytes.Replace(raw, []byte(`": `), []byte(`" `), 1)
		}
		l.raw = raw
		return b.modify(i, l, "malformed JSON")
	}},
	{"not_object", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		l.raw = []byte(b.pick([]string{`["op", "agency.add"]`, `"agency.add"`, `42`, `null`, `true`}))
		return b.modify(i, l, "the line is not a JSON object")
	}},
	{"wrong_type", func(b *badCtx) bool {
		i := b.r.IntN(len(b.lines))
		l := b.lines[i].clone()
		f := b.pickField(fieldsWhere(l, func(fspec) bool { return true }))
		switch f.typ {
		case tInt:
			l.set(f.name, fmt.Sprint(b.r.IntN(100)))
		case tBool:
			l.set(f.name, "yes")
		case tRefList, tEnumList:
			v, _ := l.get(f.name)
			if list := v.([]string); len(list) > 0 {
				l.set(f.name, list[0])
			} else {
				l.set(f.name, "x")
			}
		default:
			l.set(f.name, int64(42))
		}
		return b.modify(i, l, fmt.Sprintf("field %q has the wrong JSON type", f.name))
	}},
	{"bad_id", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool { _, ok := definesKind[l.op]; return ok })
		l := b.lines[i].clone()
		id := b.pick([]string{"-X1", "A B", "Ñandú-1", "x/y", ".dot", strings.Repeat("a", 65), "", "id\u00e9"})
		l.set("id", id)
		return b.modify(i, l, fmt.Sprintf("%q is not a valid id", id))
	}},
	{"duplicate_id", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool { _, ok := definesKind[l.op]; return ok })
		kind := definesKind[b.lines[i].op]
		var earlier []string
		for _, l := range b.lines[:i] {
			if definesKind[l.op] == kind {
				earlier = append(earlier, l.str("id"))
			}
		}
		if len(earlier) == 0 {
			return false
		}
		l := b.lines[i].clone()
		id := b.pick(earlier)
		l.set("id", id)
		return b.modify(i, l, fmt.Sprintf("duplicate %s id %q", kind, id))
	}},
	{"time_no_offset", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool { return len(fieldsWhere(l, isTime)) > 0 })
		l := b.lines[i].clone()
		f := b.pickField(fieldsWhere(l, isTime))
		t, _ := parseTime(l.str(f.name))
		l.set(f.name, t.Format("2006-01-02T15:04:05"))
		return b.modify(i, l, fmt.Sprintf("field %q: time without an offset", f.name))
	}},
	{"time_malformed", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool { return len(fieldsWhere(l, isTime)) > 0 })
		l := b.lines[i].clone()
		f := b.pickField(fieldsWhere(l, isTime))
		v := b.pick([]string{"2023-02-30T10:00:00-05:00", "2023-12-14T25:00:00Z", "14/12/2023 06:30", "ayer",
			"2023-12-14T06:30-05:00", "2023-12-14 06:30:00-05:00", "2023-12-14T06:30:00-0500"})
		l.set(f.name, v)
		return b.modify(i, l, fmt.Sprintf("field %q: %q is not an RFC 3339 time", f.name, v))
	}},
	{"bad_enum", func(b *badCtx) bool {
		isEnum := func(f fspec) bool { return f.typ == tEnum || f.typ == tEnumList }
		i := b.pickLine(func(l *line) bool { return len(fieldsWhere(l, isEnum)) > 0 })
		l := b.lines[i].clone()
		f := b.pickField(fieldsWhere(l, isEnum))
		v := b.pick([]string{"unknown", "sealed", "raided", "Phone", "narco", "otro", "PLANNED"})
		if f.typ == tEnumList {
			l.set(f.name, []string{v})
		} else {
			l.set(f.name, v)
		}
		return b.modify(i, l, fmt.Sprintf("field %q: %q is not allowed", f.name, v))
	}},
	{"empty_roles", func(b *badCtx) bool {
		i := b.pickLine(isOp("person.add"))
		l := b.lines[i].clone()
		l.set("roles", []string{})
		return b.modify(i, l, "roles must list at least one role")
	}},
	{"undefined_ref", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool { return len(refFields(l)) > 0 })
		l := b.lines[i].clone()
		f := b.pickField(refFields(l))
		id := fmt.Sprintf("NO-SUCH-%d", b.r.IntN(1000))
		if f.typ == tRefList {
			v, _ := l.get(f.name)
			list := slices.Clone(v.([]string))
			list[b.r.IntN(len(list))] = id
			l.set(f.name, list)
		} else {
			l.set(f.name, id)
		}
		return b.modify(i, l, fmt.Sprintf("field %q names %s, which is not defined", f.name, id))
	}},
	{"ref_defined_later", func(b *badCtx) bool {
		j := b.pickLine(func(l *line) bool { _, ok := definesKind[l.op]; return ok })
		def := b.lines[j]
		kind, id := definesKind[def.op], def.str("id")
		u := slices.IndexFunc(b.lines[j+1:], func(l *line) bool { return refersTo(l, kind, id) })
		if u < 0 {
			return false
		}
		u += j + 1
		use := b.lines[u]
		b.lines = slices.Delete(b.lines, j, j+1)
		b.lines = slices.Insert(b.lines, u, def)
		b.at, b.op = u-1, use.op
		b.reason = fmt.Sprintf("%s %s is referenced before the line that defines it", kind, id)
		return true
	}},
	{"link_other_case", func(b *badCtx) bool {
		i := b.pickLine(isOp("link.add"))
		l := b.lines[i].clone()
		var others []string
		for _, d := range b.lines[:i] {
			if (d.op == "person.add" || d.op == "organization.add") && d.str("case") != l.str("case") {
				others = append(others, d.str("id"))
			}
		}
		if len(others) == 0 {
			return false
		}
		f := b.pick([]string{"from", "to"})
		l.set(f, b.pick(others))
		return b.modify(i, l, fmt.Sprintf("field %q names a party of another case", f))
	}},
	{"personnel_negative", func(b *badCtx) bool {
		i := b.pickLine(isOp("operation.plan"))
		l := b.lines[i].clone()
		l.set("personnel", -int64(1+b.r.IntN(900)))
		return b.modify(i, l, "personnel is negative")
	}},
	{"quantity_invalid", func(b *badCtx) bool {
		i := b.pickLine(isOp("evidence.seize"))
		l := b.lines[i].clone()
		l.set("quantity", -int64(b.r.IntN(3)))
		return b.modify(i, l, "quantity must be at least 1")
	}},
	{"size_negative", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool {
			_, ok := l.get("size")
			return ok && (l.op == "evidence.attach" || l.op == "evidence.derive")
		})
		if i < 0 {
			return false
		}
		l := b.lines[i].clone()
		l.set("size", int64(-1-b.r.IntN(1000)))
		return b.modify(i, l, "size is negative")
	}},
	{"bad_sha256", func(b *badCtx) bool {
		i := b.pickLine(func(l *line) bool { _, ok := l.get("sha256"); return ok })
		if i < 0 {
			return false
		}
		l := b.lines[i].clone()
		h := l.str("sha256")
		v := b.pick([]string{strings.ToUpper(h), h[:63], h + "0", "sha256:" + h, "z" + h[1:]})
		l.set("sha256", v)
		return b.modify(i, l, "sha256 is not 64 lowercase hex digits")
	}},
	{"status_backwards", func(b *badCtx) bool {
		i := b.pickLine(isOp("site.status"))
		m, err := replay(bytes.NewReader(renderFile(b.lines[:i])), -1)
		if err != nil {
			return false
		}
		prev := m.sites[b.lines[i].str("site")].current()
		if siteRank[prev] < 2 {
			return false
		}
		l := b.lines[i].clone()
		lower := siteStatuses[b.r.IntN(siteRank[prev]-1)]
		l.set("status", lower)
		return b.modify(i, l, fmt.Sprintf("site status goes back from %s to %s", prev, lower))
	}},
	{"status_after_final", func(b *badCtx) bool {
		m, p := b.state()
		var final []*mSite
		for _, id := range m.siteOrder {
			if c := m.sites[id].current(); c == "completed" || c == "aborted" {
				final = append(final, m.sites[id])
			}
		}
		if len(final) == 0 {
			return false
		}
		s := final[b.r.IntN(len(final))]
		last := s.statuses[len(s.statuses)-1]
		st := b.pick(siteStatuses)
		l := newLine("site.status", "site", s.id, "status", st, "at", b.later(last.at), "by", b.officerBut(m))
		return b.insert(p, l, fmt.Sprintf("site %s is %s: %s may not follow", s.id, last.status, st))
	}},
	{"update_twice", func(b *badCtx) bool {
		m, p := b.state()
		type pair struct {
			d *mDetention
			f string
		}
		var set []pair
		for _, id := range m.detOrder {
			for _, f := range deadlineFields {
				if m.detentions[id].times[f] != nil {
					set = append(set, pair{m.detentions[id], f})
				}
			}
		}
		if len(set) == 0 {
			return false
		}
		x := set[b.r.IntN(len(set))]
		v := x.d.arrested.Add(time.Duration(b.r.IntN(600)) * time.Minute)
		l := newLine("detention.update", "detention", x.d.id, "at", b.later(v), "by", b.officerBut(m), x.f, b.later(v))
		return b.insert(p, l, fmt.Sprintf("%s of %s is already set", x.f, x.d.id))
	}},
	{"update_before_arrest", func(b *badCtx) bool {
		m, p := b.state()
		type pair struct {
			d *mDetention
			f string
		}
		var unset []pair
		for _, id := range m.detOrder {
			for _, f := range deadlineFields {
				if m.detentions[id].times[f] == nil {
					unset = append(unset, pair{m.detentions[id], f})
				}
			}
		}
		if len(unset) == 0 {
			return false
		}
		x := unset[b.r.IntN(len(unset))]
		v := stamp(x.d.arrested.Add(-time.Duration(1+b.r.IntN(600))*time.Minute), b.r.IntN(len(zones)))
		l := newLine("detention.update", "detention", x.d.id, "at", b.later(x.d.arrested), "by", b.officerBut(m), x.f, v)
		return b.insert(p, l, fmt.Sprintf("%s of %s is before arrested_at", x.f, x.d.id))
	}},
	{"update_none", func(b *badCtx) bool {
		m, p := b.state()
		if len(m.detOrder) == 0 {
			return false
		}
		d := m.detentions[b.pick(m.detOrder)]
		l := newLine("detention.update", "detention", d.id, "at", b.later(d.arrested), "by", b.officerBut(m))
		return b.insert(p, l, "detention.update sets none of rights_notified_at, hearing_at, released_at")
	}},
	{"transfer_non_holder", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil {
			return false
		}
		from := b.officerBut(m, it.holder)
		l := b.transferOf(it, from, b.officerBut(m, from), b.later(it.last))
		return b.insert(p, l, fmt.Sprintf("%s does not hold %s", from, it.id))
	}},
	{"transfer_to_self", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil {
			return false
		}
		return b.insert(p, b.transferOf(it, it.holder, it.holder, b.later(it.last)), "to equals from")
	}},
	{"transfer_to_non_officer", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil || len(m.persons) == 0 {
			return false
		}
		to := b.pick(sortedKeys(m.persons))
		return b.insert(p, b.transferOf(it, it.holder, to, b.later(it.last)), fmt.Sprintf("%s is not an officer", to))
	}},
	{"seal_condition_mismatch", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil {
			return false
		}
		l := b.transferOf(it, it.holder, b.officerBut(m, it.holder), b.later(it.last))
		if it.seal != "" {
			l.set("seal_condition", "none")
		} else {
			l.set("seal_condition", b.pick([]string{"intact", "broken"}))
		}
		return b.insert(p, l, "seal_condition does not fit the item's seal state")
	}},
	{"seal_on_unsealed", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, func(it *mItem) bool { return live(it) && it.seal == "" })
		if it == nil {
			return false
		}
		l := b.transferOf(it, it.holder, b.officerBut(m, it.holder), b.later(it.last))
		l.set("seal", "PN-123456")
		return b.insert(p, l, "a seal is given for an unsealed item")
	}},
	{"open_unsealed", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, func(it *mItem) bool { return live(it) && it.seal == "" })
		if it == nil {
			return false
		}
		l := newLine("custody.open", "item", it.id, "at", b.later(it.last), "by", it.holder, "reason", "Peritaje")
		return b.insert(p, l, fmt.Sprintf("item %s is not sealed", it.id))
	}},
	{"seal_sealed", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, func(it *mItem) bool { return live(it) && it.seal != "" })
		if it == nil {
			return false
		}
		l := newLine("custody.seal", "item", it.id, "seal", "PN-654321", "at", b.later(it.last), "by", it.holder)
		return b.insert(p, l, fmt.Sprintf("item %s is already sealed", it.id))
	}},
	{"act_non_holder", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil {
			return false
		}
		by := b.officerBut(m, it.holder)
		l := b.itemEvent(m, it, by, b.later(it.last))
		for l.op == "custody.transfer" {
			l = b.itemEvent(m, it, by, b.later(it.last))
		}
		return b.insert(p, l, fmt.Sprintf("%s does not hold %s", by, it.id))
	}},
	{"derive_non_holder", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil {
			return false
		}
		by := b.officerBut(m, it.holder)
		l := newLine("evidence.derive", "id", it.id+"-X", "parent", it.id, "type", b.pick(derivedTypes),
			"description", "Copia", "at", b.later(it.last), "by", by)
		return b.insert(p, l, fmt.Sprintf("%s does not hold the parent %s", by, it.id))
	}},
	{"event_before_previous", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, live)
		if it == nil {
			return false
		}
		at := stamp(it.last.Add(-time.Duration(1+b.r.IntN(600))*time.Minute), b.r.IntN(len(zones)))
		return b.insert(p, b.itemEvent(m, it, it.holder, at), fmt.Sprintf("earlier than the previous event of %s", it.id))
	}},
	{"after_dispose", func(b *badCtx) bool {
		m, p := b.state()
		it := b.item(m, func(it *mItem) bool { return it.disposed })
		if it == nil {
			return false
		}
		var l *line
		if b.r.IntN(6) == 0 {
			l = newLine("evidence.derive", "id", it.id+"-X", "parent", it.id, "type", b.pick(derivedTypes),
				"description", "Copia", "at", b.later(it.last), "by", it.holder)
		} else {
			l = b.itemEvent(m, it, it.holder, b.later(it.last))
		}
		return b.insert(p, l, fmt.Sprintf("item %s is disposed", it.id))
	}},
}

func isTime(f fspec) bool { return f.typ == tTime }

func (b *badCtx) pickField(fs []fspec) fspec { return fs[b.r.IntN(len(fs))] }
