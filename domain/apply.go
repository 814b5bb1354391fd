package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
)

// Applied is what an accepted record did, as the write path needs it.
type Applied struct {
	Case string // the case the event belongs to; "" for agencies and officers
	// Item is the item whose history the event continues (the parent, for a
	// derivation) or opens (a seizure); "" for events of no item.
	Item string
	// Prev links each item the event acts on to that item's previous event,
	// for the event envelope.
	Prev      map[string]int64
	Touched   []Key // rows to write
	Anomalies []custody.Anomaly
}

// kind names a kind of record as "Spanish/English".
func split(kind string) (es, en string) {
	es, en, _ = strings.Cut(kind, "/")
	return es, en
}

func ref(field, kind, id string) *custody.Error {
	es, en := split(kind)
	return &custody.Error{Code: custody.EReference, Field: field,
		Message:   fmt.Sprintf("%s %q no existe (debe definirse antes)", es, id),
		MessageEN: fmt.Sprintf("%s %q does not exist (it must be defined earlier)", capitalize(en), id)}
}

// UnknownRef is the answer to a reference that names no record, and to one
// naming a record its writer may not see (the policy gives the same), so
// that the two cannot be told apart.
func UnknownRef(field, kind, id string) *custody.Error { return ref(field, kind, id) }

// refIn is the answer to a reference that must name a record of case c:
// the same whether the id names nothing or a record of another case, so that
// a write cannot learn what another case holds (issue 12, point 4).
func refIn(field, kind, id, c string) *custody.Error {
	es, en := split(kind)
	return &custody.Error{Code: custody.EReference, Field: field,
		Message:   fmt.Sprintf("%s %q no existe en el caso %s", es, id, c),
		MessageEN: fmt.Sprintf("%s %q does not exist in case %s", capitalize(en), id, c)}
}

// dup is the answer to a new record whose id is taken. Ids are global, per
// kind of record, as the case-file spec says: transfers, statuses, updates
// and derivations name their item, site, detention or parent by id alone,
// and an evidence label cited in court must name one item in the whole
// deployment, so per-case id spaces are not an option. The answer therefore
// names neither the case nor anything of the record holding the id, and is
// byte for byte the same whether that record is in a case the writer may
// see or not: it cannot confirm which case, or that another case, holds it.
// That an id of that kind is in use is what any refusal of a caller-chosen
// global id tells; ids are labels, not secrets, and must not carry secret
// facts (see issue 12, point 4, and the report of that work).
func dup(kind, id string) *custody.Error {
	es, en := split(kind)
	return &custody.Error{Code: custody.EDuplicate, Field: "id",
		Message:   fmt.Sprintf("ya existe %s con id %q", es, id),
		MessageEN: fmt.Sprintf("%s %q already exists", capitalize(en), id)}
}

func rule(field, es, en string, args ...any) *custody.Error {
	return custody.Errorf(custody.ERule, field, es, en, args...)
}

func mustTime(s string) time.Time {
	t, err := custody.ParseTime(s)
	if err != nil {
		// Records reach Apply only after casefile.Validate checked their times.
		panic("domain: unvalidated time " + s)
	}
	return t
}

func (s *State) officer(field, id string) *custody.Error {
	if _, ok := s.Officers[id]; !ok {
		return ref(field, "el funcionario/the officer", id)
	}
	return nil
}

func (s *State) caseRef(id string) *custody.Error {
	if _, ok := s.Cases[id]; !ok {
		return ref("case", "el caso/the case", id)
	}
	return nil
}

// party resolves the from/to of a link: a person or an organization of the
// case.
func (s *State) party(field, caseID, id string) *custody.Error {
	// Only the case's own persons and organizations are looked at: one of
	// another case is answered as unknown (refIn).
	p, isPerson := s.Persons[id]
	o, isOrg := s.Organizations[id]
	isPerson = isPerson && p.Case == caseID
	isOrg = isOrg && o.Case == caseID
	switch {
	case isPerson && isOrg:
		return rule(field, "%q es a la vez una persona y una organización; el vínculo sería ambiguo", "%q is both a person and an organization; the link would be ambiguous", id)
	case isPerson, isOrg:
		return nil
	}
	return refIn(field, "la persona u organización/the person or organization", id, caseID)
}

// Apply checks rec (already validated by casefile.Validate) against the state
// and, when it is accepted, applies it as event seq. A rejected record
// returns a *custody.Error and leaves the state unchanged.
func (s *State) Apply(op string, rec any, seq int64) (*Applied, error) {
	a, err := s.apply(op, rec, seq)
	if err != nil {
		return nil, err
	}
	s.last = lastApplied{seq: seq, op: op, rec: rec, kase: a.Case}
	return a, nil
}

func (s *State) apply(op string, rec any, seq int64) (*Applied, *custody.Error) {
	switch r := rec.(type) {
	case *casefile.Agency:
		if _, ok := s.Agencies[r.ID]; ok {
			return nil, dup("la agencia/the agency", r.ID)
		}
		s.Agencies[r.ID] = &Agency{*r, seq}
		return &Applied{Touched: []Key{{TAgencies, r.ID}}}, nil

	case *casefile.Officer:
		if _, ok := s.Officers[r.ID]; ok {
			return nil, dup("el funcionario/the officer", r.ID)
		}
		if _, ok := s.Agencies[r.Agency]; !ok {
			return nil, ref("agency", "la agencia/the agency", r.Agency)
		}
		s.Officers[r.ID] = &Officer{*r, seq}
		return &Applied{Touched: []Key{{TOfficers, r.ID}}}, nil

	case *casefile.Case:
		if _, ok := s.Cases[r.ID]; ok {
			return nil, dup("el caso/the case", r.ID)
		}
		if err := s.officer("by", r.By); err != nil {
			return nil, err
		}
		s.Cases[r.ID] = &Case{*r, seq}
		return &Applied{Case: r.ID, Touched: []Key{{TCases, r.ID}}}, nil

	case *casefile.Person:
		if _, ok := s.Persons[r.ID]; ok {
			return nil, dup("la persona/the person", r.ID)
		}
		if err := s.caseRef(r.Case); err != nil {
			return nil, err
		}
		s.Persons[r.ID] = &Person{*r, seq}
		return &Applied{Case: r.Case, Touched: []Key{{TPersons, r.ID}}}, nil

	case *casefile.Organization:
		if _, ok := s.Organizations[r.ID]; ok {
			return nil, dup("la organización/the organization", r.ID)
		}
		if err := s.caseRef(r.Case); err != nil {
			return nil, err
		}
		s.Organizations[r.ID] = &Organization{*r, seq}
		return &Applied{Case: r.Case, Touched: []Key{{TOrganizations, r.ID}}}, nil

	case *casefile.Link:
		if _, ok := s.Links[r.ID]; ok {
			return nil, dup("el vínculo/the link", r.ID)
		}
		if err := s.caseRef(r.Case); err != nil {
			return nil, err
		}
		if err := s.party("from", r.Case, r.From); err != nil {
			return nil, err
		}
		if err := s.party("to", r.Case, r.To); err != nil {
			return nil, err
		}
		if r.Source != "" {
			it, isItem := s.Items[r.Source]
			st, isStmt := s.Statements[r.Source]
			if !(isItem && it.Case == r.Case) && !(isStmt && st.Case == r.Case) {
				return nil, refIn("source", "la evidencia o declaración/the item or statement", r.Source, r.Case)
			}
		}
		s.Links[r.ID] = &Link{*r, seq}
		return &Applied{Case: r.Case, Touched: []Key{{TLinks, r.ID}}}, nil

	case *casefile.Statement:
		if _, ok := s.Statements[r.ID]; ok {
			return nil, dup("la declaración/the statement", r.ID)
		}
		if err := s.caseRef(r.Case); err != nil {
			return nil, err
		}
		s.Statements[r.ID] = &Statement{*r, seq}
		return &Applied{Case: r.Case, Touched: []Key{{TStatements, r.ID}}}, nil

	case *casefile.Operation:
		if _, ok := s.Operations[r.ID]; ok {
			return nil, dup("el operativo/the operation", r.ID)
		}
		if err := s.caseRef(r.Case); err != nil {
			return nil, err
		}
		for _, ag := range r.Agencies {
			if _, ok := s.Agencies[ag]; !ok {
				return nil, ref("agencies", "la agencia/the agency", ag)
			}
		}
		if err := s.officer("by", r.By); err != nil {
			return nil, err
		}
		s.Operations[r.ID] = &Operation{Operation: *r, Seq: seq}
		return &Applied{Case: r.Case, Touched: []Key{{TOperations, r.ID}}}, nil

	case *casefile.Site:
		if _, ok := s.Sites[r.ID]; ok {
			return nil, dup("el sitio/the site", r.ID)
		}
		op, ok := s.Operations[r.Operation]
		if !ok {
			return nil, ref("operation", "el operativo/the operation", r.Operation)
		}
		if err := s.officer("lead", r.Lead); err != nil {
			return nil, err
		}
		for _, m := range r.Team {
			if err := s.officer("team", m); err != nil {
				return nil, err
			}
		}
		s.Sites[r.ID] = &Site{Site: *r, Seq: seq}
		op.Sites = append(op.Sites, r.ID)
		return &Applied{Case: op.Case, Touched: []Key{{TSites, r.ID}}}, nil

	case *casefile.SiteStatus:
		site, ok := s.Sites[r.Site]
		if !ok {
			return nil, ref("site", "el sitio/the site", r.Site)
		}
		if err := s.officer("by", r.By); err != nil {
			return nil, err
		}
		if err := checkStatus(site.Current(), r.Status); err != nil {
			return nil, err
		}
		at := mustTime(r.At)
		// The spec orders statuses; a court would also expect their times in
		// that order: a site is not entered before its team was on the way.
		if n := len(site.History); n > 0 && at.Before(site.History[n-1].T) {
			prev := site.History[n-1]
			return nil, rule("at", "%s es anterior al estado anterior del sitio (%s a las %s)", "%s is earlier than the site's previous status (%s at %s)", r.At, prev.Status, prev.At)
		}
		site.History = append(site.History, StatusChange{Seq: seq, Status: r.Status, At: r.At, T: at, By: r.By, Note: r.Note})
		return &Applied{Case: s.Operations[site.Operation].Case, Touched: []Key{{TSites, r.Site}, {TSiteStatuses, statusKey{seq, r.Site}}}}, nil

	case *casefile.Detention:
		return s.applyDetention(r, seq)
	case *casefile.DetentionUpdate:
		return s.applyDetentionUpdate(r, seq)
	}
	if a, err, ok := s.applySystem(rec, seq); ok {
		return a, err
	}
	return s.applyItem(op, rec, seq)
}

var statusRank = map[string]int{"planned": 0, "en_route": 1, "entered": 2, "secured": 3, "completed": 4}

// checkStatus applies the spec's site status rules.
func checkStatus(cur, next string) *custody.Error {
	switch {
	case cur == "completed" || cur == "aborted":
		return rule("status", "el sitio ya está %s; ese estado es final", "the site is already %s, a final status", cur)
	case next == "aborted":
		return nil
	case statusRank[next] <= statusRank[cur]:
		return rule("status", "el estado %s no avanza desde %s", "status %s does not move forward from %s", next, cur)
	}
	return nil
}

func (s *State) applyDetention(r *casefile.Detention, seq int64) (*Applied, *custody.Error) {
	if _, ok := s.Detentions[r.ID]; ok {
		return nil, dup("la detención/the detention", r.ID)
	}
	if err := s.caseRef(r.Case); err != nil {
		return nil, err
	}
	if p, ok := s.Persons[r.Person]; !ok || p.Case != r.Case {
		return nil, refIn("person", "la persona/the person", r.Person, r.Case)
	}
	if err := s.officer("arrested_by", r.ArrestedBy); err != nil {
		return nil, err
	}
	if r.Operation != "" {
		if op, ok := s.Operations[r.Operation]; !ok || op.Case != r.Case {
			return nil, refIn("operation", "el operativo/the operation", r.Operation, r.Case)
		}
	}
	if r.Site != "" {
		if site, ok := s.Sites[r.Site]; !ok || s.Operations[site.Operation].Case != r.Case {
			return nil, refIn("site", "el sitio/the site", r.Site, r.Case)
		}
	}
	arrested := mustTime(r.ArrestedAt)
	for _, f := range []struct{ name, v string }{{"rights_notified_at", r.RightsNotifiedAt}, {"hearing_at", r.HearingAt}, {"released_at", r.ReleasedAt}} {
		if f.v != "" && mustTime(f.v).Before(arrested) {
			return nil, rule(f.name, "%s es anterior a la detención (%s)", "%s is before the arrest (%s)", f.v, r.ArrestedAt)
		}
	}
	s.Detentions[r.ID] = &Detention{Detention: *r, Seq: seq}
	return &Applied{Case: r.Case, Touched: []Key{{TDetentions, r.ID}}}, nil
}

func (s *State) applyDetentionUpdate(r *casefile.DetentionUpdate, seq int64) (*Applied, *custody.Error) {
	d, ok := s.Detentions[r.Detention]
	if !ok {
		return nil, ref("detention", "la detención/the detention", r.Detention)
	}
	if err := s.officer("by", r.By); err != nil {
		return nil, err
	}
	arrested := mustTime(d.ArrestedAt)
	fields := []struct {
		name     string
		cur, new string
	}{{"rights_notified_at", d.RightsNotifiedAt, r.RightsNotifiedAt}, {"hearing_at", d.HearingAt, r.HearingAt}, {"released_at", d.ReleasedAt, r.ReleasedAt}}
	for _, f := range fields {
		if f.new == "" {
			continue
		}
		if f.cur != "" {
			return nil, rule(f.name, "ya estaba registrado (%s); solo puede registrarse una vez", "already set (%s); it can be set once only", f.cur)
		}
		if mustTime(f.new).Before(arrested) {
			return nil, rule(f.name, "%s es anterior a la detención (%s)", "%s is before the arrest (%s)", f.new, d.ArrestedAt)
		}
	}
	if r.RightsNotifiedAt != "" {
		d.RightsNotifiedAt = r.RightsNotifiedAt
	}
	if r.HearingAt != "" {
		d.HearingAt = r.HearingAt
	}
	if r.ReleasedAt != "" {
		d.ReleasedAt = r.ReleasedAt
	}
	d.Updates = append(d.Updates, seq)
	return &Applied{Case: d.Case, Touched: []Key{{TDetentions, d.ID}}}, nil
}

func (s *State) item(field, id string) (*Item, *custody.Error) {
	it, ok := s.Items[id]
	if !ok {
		return nil, ref(field, "la evidencia/the item", id)
	}
	return it, nil
}

func asError(err error) *custody.Error {
	if err == nil {
		return nil
	}
	if ce, ok := err.(*custody.Error); ok {
		return ce
	}
	return custody.Errorf(custody.ERule, "", "%v", "%v", err)
}

func (s *State) applyItem(op string, rec any, seq int64) (*Applied, *custody.Error) {
	switch r := rec.(type) {
	case *custody.Seize:
		if _, ok := s.Items[r.ID]; ok {
			return nil, dup("la evidencia/the item", r.ID)
		}
		if err := s.caseRef(r.Case); err != nil {
			return nil, err
		}
		if err := s.officer("seized_by", r.SeizedBy); err != nil {
			return nil, err
		}
		if r.Site != "" {
			if site, ok := s.Sites[r.Site]; !ok || s.Operations[site.Operation].Case != r.Case {
				return nil, refIn("site", "el sitio/the site", r.Site, r.Case)
			}
		}
		s.Items[r.ID] = &Item{Item: *custody.NewSeized(r, mustTime(r.SeizedAt), seq), Seize: r, OriginSeq: seq}
		return &Applied{Case: r.Case, Item: r.ID, Touched: []Key{{TItems, r.ID}}}, nil

	case *custody.Transfer:
		it, err := s.item("item", r.Item)
		if err != nil {
			return nil, err
		}
		if err := s.officer("to", r.To); err != nil {
			return nil, err
		}
		prev := it.LastSeq
		anomalies, cerr := it.Transfer(r, mustTime(r.At), seq)
		if cerr != nil {
			return nil, asError(cerr)
		}
		s.closeOffer(r, seq)
		a := s.itemApplied(it, prev)
		for _, an := range anomalies {
			it.Anomalies = append(it.Anomalies, ItemAnomaly{an, seq, mustTime(an.At)})
			a.Touched = append(a.Touched, Key{TAnomalies, anomalyKey{seq, an.Kind, it.ID}})
		}
		a.Anomalies = anomalies
		return a, nil

	case *custody.Open:
		it, err := s.item("item", r.Item)
		if err != nil {
			return nil, err
		}
		prev := it.LastSeq
		if err := it.Open(r, mustTime(r.At), seq); err != nil {
			return nil, asError(err)
		}
		return s.itemApplied(it, prev), nil

	case *custody.Seal:
		it, err := s.item("item", r.Item)
		if err != nil {
			return nil, err
		}
		prev := it.LastSeq
		if err := it.SealWith(r, mustTime(r.At), seq); err != nil {
			return nil, asError(err)
		}
		return s.itemApplied(it, prev), nil

	case *custody.Derive:
		if _, ok := s.Items[r.ID]; ok {
			return nil, dup("la evidencia/the item", r.ID)
		}
		parent, err := s.item("parent", r.Parent)
		if err != nil {
			return nil, err
		}
		prev := parent.LastSeq
		at := mustTime(r.At)
		if err := parent.Act("by", r.By, at, seq, false); err != nil {
			return nil, asError(err)
		}
		parent.Children = append(parent.Children, r.ID)
		s.Items[r.ID] = &Item{Item: *custody.NewDerived(r, &parent.Item, at, seq), Derive: r, OriginSeq: seq}
		a := s.itemApplied(parent, prev)
		a.Touched = append(a.Touched, Key{TItems, r.ID})
		return a, nil

	case *custody.Attach:
		it, err := s.item("item", r.Item)
		if err != nil {
			return nil, err
		}
		prev := it.LastSeq
		if err := it.Act("by", r.By, mustTime(r.At), seq, false); err != nil {
			return nil, asError(err)
		}
		s.Attachments[seq] = &Attachment{*r, seq}
		a := s.itemApplied(it, prev)
		a.Touched = append(a.Touched, Key{TAttachments, seq})
		return a, nil

	case *custody.Present:
		it, err := s.item("item", r.Item)
		if err != nil {
			return nil, err
		}
		prev := it.LastSeq
		if err := it.Act("by", r.By, mustTime(r.At), seq, false); err != nil {
			return nil, asError(err)
		}
		it.Presented++
		return s.itemApplied(it, prev), nil

	case *custody.Dispose:
		it, err := s.item("item", r.Item)
		if err != nil {
			return nil, err
		}
		prev := it.LastSeq
		if err := it.Act("by", r.By, mustTime(r.At), seq, true); err != nil {
			return nil, asError(err)
		}
		it.Disposal = r
		return s.itemApplied(it, prev), nil
	}
	return nil, custody.Errorf(custody.EInvalid, "op", "operación desconocida %q", "unknown op %q", op)
}

func (s *State) itemApplied(it *Item, prev int64) *Applied {
	return &Applied{Case: it.Case, Item: it.ID, Prev: map[string]int64{it.ID: prev}, Touched: []Key{{TItems, it.ID}}}
}

// Claimed returns what a record claims about itself: when it happened and
// which officer did it. Reports show it beside what the system recorded.
func Claimed(rec any) (at, by string) {
	switch r := rec.(type) {
	case *casefile.Case:
		return r.At, r.By
	case *casefile.Link:
		return r.At, ""
	case *casefile.Statement:
		return r.At, ""
	case *casefile.Operation:
		return r.At, r.By
	case *casefile.SiteStatus:
		return r.At, r.By
	case *casefile.Detention:
		return r.ArrestedAt, r.ArrestedBy
	case *casefile.DetentionUpdate:
		return r.At, r.By
	case *custody.Seize:
		return r.SeizedAt, r.SeizedBy
	case *custody.Transfer:
		return r.At, r.To
	case *custody.Open:
		return r.At, r.By
	case *custody.Seal:
		return r.At, r.By
	case *custody.Derive:
		return r.At, r.By
	case *custody.Attach:
		return r.At, r.By
	case *custody.Present:
		return r.At, r.By
	case *custody.Dispose:
		return r.At, r.By
	}
	return "", ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
