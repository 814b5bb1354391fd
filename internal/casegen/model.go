package casegen

import (
	"fmt"
	"slices"
	"time"
)

// model is the state of a replayed case file: every record, in file order,
// with what the oracle needs to answer "as of" questions later.
type model struct {
	ids map[string]map[string]bool // kind -> id -> defined

	officers   map[string]bool
	cases      map[string]bool
	persons    map[string]*mPerson
	orgs       map[string]string // id -> case
	operations map[string]*mOperation
	opOrder    []string
	sites      map[string]*mSite
	siteOrder  []string
	detentions map[string]*mDetention
	detOrder   []string
	items      map[string]*mItem
	itemOrder  []string
	statements map[string]string // id -> case
}

type mPerson struct {
	id, caseID string
	roles      []string
}

type mOperation struct {
	id, caseID string
	personnel  int64
	hHour      time.Time
}

type mStatus struct {
	status string
	at     time.Time
}

type mSite struct {
	id, operation, province string
	statuses                []mStatus // in file order
}

// current is the site's latest status, "" when it has none.
func (s *mSite) current() string {
	if len(s.statuses) == 0 {
		return ""
	}
	return s.statuses[len(s.statuses)-1].status
}

type mDetention struct {
	id, caseID, person, basis string
	operation, site           string
	arrested                  time.Time
	// The three deadline times, nil until set (by the record or an update).
	times map[string]*time.Time
}

type mAnomaly struct {
	kind string
	at   time.Time
	text string // as given in the record
}

type mItem struct {
	id, caseID, typ, parent, site string
	quantity                      int64
	seizedAt                      time.Time // derive time for a derived item
	holder, seal                  string
	disposed                      bool
	disposedAt                    time.Time
	last                          time.Time
	anomalies                     []mAnomaly
}

func newModel() *model {
	return &model{
		ids:      map[string]map[string]bool{},
		officers: map[string]bool{}, cases: map[string]bool{}, persons: map[string]*mPerson{},
		orgs: map[string]string{}, operations: map[string]*mOperation{}, sites: map[string]*mSite{},
		detentions: map[string]*mDetention{}, items: map[string]*mItem{}, statements: map[string]string{},
	}
}

func (m *model) defined(kind, id string) bool { return m.ids[kind][id] }

// siteRank orders site statuses; aborted is handled apart.
var siteRank = map[string]int{"": 0, "en_route": 1, "entered": 2, "secured": 3, "completed": 4}

// deadlineFields are detention times that can each be set once.
var deadlineFields = []string{"rights_notified_at", "hearing_at", "released_at"}

// apply checks one parsed record against the state and, when it passes,
// changes the state. It returns the reason for a rejection, or "".
func (m *model) apply(r *rec) string {
	op := r.op
	// References first: every tRef names a defined record of an allowed kind.
	for _, f := range schemas[op] {
		if f.typ != tRef && f.typ != tRefList {
			continue
		}
		names := r.list[f.name]
		if f.typ == tRef {
			if s, ok := r.str[f.name]; ok {
				names = []string{s}
			}
		}
		for _, id := range names {
			if !slices.ContainsFunc(f.ref, func(k string) bool { return m.defined(k, id) }) {
				return fmt.Sprintf("field %q: %q names no %s defined earlier", f.name, id, kindsText(f.ref))
			}
		}
	}
	if kind, ok := definesKind[op]; ok {
		id := r.str["id"]
		if m.defined(kind, id) {
			return fmt.Sprintf("duplicate %s id %q", kind, id)
		}
	}
	if reason := m.check(r); reason != "" {
		return reason
	}
	if kind, ok := definesKind[op]; ok {
		if m.ids[kind] == nil {
			m.ids[kind] = map[string]bool{}
		}
		m.ids[kind][r.str["id"]] = true
	}
	return ""
}

func kindsText(kinds []string) string {
	if len(kinds) == 1 {
		return kinds[0]
	}
	return kinds[0] + " or " + kinds[1]
}

// check applies the op's own rules (references are already known to exist).
func (m *model) check(r *rec) string {
	s, t := r.str, r.times
	switch r.op {
	case "agency.add":
	case "officer.add":
		m.officers[s["id"]] = true
	case "case.open":
		m.cases[s["id"]] = true
	case "person.add":
		roles := slices.Clone(r.list["roles"])
		slices.Sort(roles)
		m.persons[s["id"]] = &mPerson{id: s["id"], caseID: s["case"], roles: slices.Compact(roles)}
	case "organization.add":
		m.orgs[s["id"]] = s["case"]
	case "statement.add":
		m.statements[s["id"]] = s["case"]
	case "link.add":
		for _, f := range []string{"from", "to"} {
			if c := m.caseOfParty(s[f]); c != s["case"] {
				return fmt.Sprintf("field %q: %s belongs to case %s, not %s", f, s[f], c, s["case"])
			}
		}
	case "operation.plan":
		m.operations[s["id"]] = &mOperation{id: s["id"], caseID: s["case"], personnel: r.num["personnel"], hHour: r.times["h_hour"]}
		m.opOrder = append(m.opOrder, s["id"])
	case "site.add":
		m.sites[s["id"]] = &mSite{id: s["id"], operation: s["operation"], province: s["province"]}
		m.siteOrder = append(m.siteOrder, s["id"])
	case "site.status":
		return m.siteStatus(r)
	case "detention.record":
		return m.detentionRecord(r)
	case "detention.update":
		d := m.detentions[s["detention"]]
		n := 0
		for _, f := range deadlineFields {
			v, ok := t[f]
			if !ok {
				continue
			}
			n++
			if d.times[f] != nil {
				return fmt.Sprintf("%s of %s is already set", f, d.id)
			}
			if v.Before(d.arrested) {
				return fmt.Sprintf("%s is before arrested_at of %s", f, d.id)
			}
		}
		if n == 0 {
			return "detention.update sets none of rights_notified_at, hearing_at, released_at"
		}
		for _, f := range deadlineFields {
			if v, ok := t[f]; ok {
				d.times[f] = &v
			}
		}
	case "evidence.seize":
		if site, ok := s["site"]; ok {
			if c := m.operations[m.sites[site].operation].caseID; c != s["case"] {
				return fmt.Sprintf("site %s belongs to case %s, not %s", site, c, s["case"])
			}
		}
		q, ok := r.num["quantity"]
		if !ok {
			q = 1
		}
		at := t["seized_at"]
		m.items[s["id"]] = &mItem{id: s["id"], caseID: s["case"], typ: s["type"], site: s["site"], quantity: q,
			seizedAt: at, holder: s["seized_by"], seal: s["seal"], last: at}
		m.itemOrder = append(m.itemOrder, s["id"])
	default:
		return m.itemEvent(r)
	}
	return ""
}

func (m *model) caseOfParty(id string) string {
	if p, ok := m.persons[id]; ok {
		return p.caseID
	}
	return m.orgs[id]
}

func (m *model) siteStatus(r *rec) string {
	site := m.sites[r.str["site"]]
	status, at := r.str["status"], r.times["at"]
	prev := site.current()
	switch {
	case prev == "completed" || prev == "aborted":
		return fmt.Sprintf("site %s is %s; no status may follow", site.id, prev)
	case status != "aborted" && siteRank[status] <= siteRank[prev]:
		return fmt.Sprintf("site %s cannot go from %s to %s: statuses move forward only", site.id, prev, status)
	case len(site.statuses) > 0 && at.Before(site.statuses[len(site.statuses)-1].at):
		return fmt.Sprintf("status of site %s is earlier than its previous status", site.id)
	}
	site.statuses = append(site.statuses, mStatus{status: status, at: at})
	return ""
}

func (m *model) detentionRecord(r *rec) string {
	s := r.str
	if c := m.persons[s["person"]].caseID; c != s["case"] {
		return fmt.Sprintf("person %s belongs to case %s, not %s", s["person"], c, s["case"])
	}
	if op, ok := s["operation"]; ok && m.operations[op].caseID != s["case"] {
		return fmt.Sprintf("operation %s belongs to another case", op)
	}
	if site, ok := s["site"]; ok && m.operations[m.sites[site].operation].caseID != s["case"] {
		return fmt.Sprintf("site %s belongs to another case", site)
	}
	d := &mDetention{id: s["id"], caseID: s["case"], person: s["person"], basis: s["basis"],
		operation: s["operation"], site: s["site"], arrested: r.times["arrested_at"], times: map[string]*time.Time{}}
	for _, f := range deadlineFields {
		if v, ok := r.times[f]; ok {
			if v.Before(d.arrested) {
				return fmt.Sprintf("%s is before arrested_at", f)
			}
			d.times[f] = &v
		}
	}
	m.detentions[d.id] = d
	m.detOrder = append(m.detOrder, d.id)
	return ""
}

// itemEvent applies the custody rules to an event of an existing item.
func (m *model) itemEvent(r *rec) string {
	s, at := r.str, r.times["at"]
	itemID := s["item"]
	if r.op == "evidence.derive" {
		itemID = s["parent"]
	}
	it := m.items[itemID]
	if it.disposed {
		return fmt.Sprintf("item %s is disposed; nothing may happen to it", it.id)
	}
	if at.Before(it.last) {
		return fmt.Sprintf("%s is earlier than the previous event of item %s", s["at"], it.id)
	}
	if r.op == "custody.transfer" {
		return m.transfer(it, r)
	}
	if s["by"] != it.holder {
		return fmt.Sprintf("%s does not hold item %s (held by %s)", s["by"], it.id, it.holder)
	}
	switch r.op {
	case "custody.open":
		if it.seal == "" {
			return fmt.Sprintf("item %s is not sealed", it.id)
		}
		it.seal = ""
	case "custody.seal":
		if it.seal != "" {
			return fmt.Sprintf("item %s is already sealed", it.id)
		}
		it.seal = s["seal"]
	case "evidence.derive":
		m.items[s["id"]] = &mItem{id: s["id"], caseID: it.caseID, typ: s["type"], parent: it.id, quantity: 1,
			seizedAt: at, holder: s["by"], last: at}
		m.itemOrder = append(m.itemOrder, s["id"])
	case "evidence.dispose":
		it.disposed, it.disposedAt = true, at
	}
	it.last = at
	return ""
}

func (m *model) transfer(it *mItem, r *rec) string {
	s, at := r.str, r.times["at"]
	switch cond, seal := s["seal_condition"], s["seal"]; {
	case s["from"] != it.holder:
		return fmt.Sprintf("%s is not the holder of item %s (held by %s)", s["from"], it.id, it.holder)
	case s["to"] == s["from"]:
		return "to equals from"
	case it.seal != "" && cond == "none":
		return fmt.Sprintf("item %s is sealed: seal_condition must be intact or broken", it.id)
	case it.seal == "" && cond != "none":
		return fmt.Sprintf("item %s is unsealed: seal_condition must be none", it.id)
	case it.seal == "" && seal != "":
		return fmt.Sprintf("item %s is unsealed: no seal to compare with %q", it.id, seal)
	}
	if seal, ok := s["seal"]; ok && seal != it.seal {
		it.anomalies = append(it.anomalies, mAnomaly{kind: "seal_mismatch", at: at, text: s["at"]})
	}
	if s["seal_condition"] == "broken" {
		it.anomalies = append(it.anomalies, mAnomaly{kind: "seal_broken", at: at, text: s["at"]})
		it.seal = ""
	}
	it.holder = s["to"]
	it.last = at
	return ""
}
