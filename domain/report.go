package domain

import (
	"sort"
	"time"

	"github.com/custodia-ec/custodia/custody"
)

// OperationReport is the spec's `report operation` object. Its JSON keys and
// meanings are exactly the spec's; maps list only keys with a count above
// zero.
type OperationReport struct {
	Operation          string              `json:"operation"`
	Case               string              `json:"case"`
	Sites              int                 `json:"sites"`
	Provinces          int                 `json:"provinces"`
	SitesByProvince    map[string]int      `json:"sites_by_province"`
	SitesByStatus      map[string]int      `json:"sites_by_status"`
	Personnel          int64               `json:"personnel"`
	Detentions         int                 `json:"detentions"`
	DetentionsByBasis  map[string]int      `json:"detentions_by_basis"`
	DetaineesByRole    map[string]int      `json:"detainees_by_role"`
	EvidenceItems      int                 `json:"evidence_items"`
	EvidenceUnits      int64               `json:"evidence_units"`
	EvidenceByType     map[string]int      `json:"evidence_by_type"`
	DerivedItems       int                 `json:"derived_items"`
	OpenItems          int                 `json:"open_items"`
	CustodyAnomalies   []AnomalyEntry      `json:"custody_anomalies"`
	DeadlineViolations []DeadlineViolation `json:"deadline_violations"`
	// LateSynced are the acts that arrived from field devices more than
	// LateSync after their own time (field.go): the report counts them
	// by their own time, and says when each arrived.
	LateSynced []LateEntry `json:"late_synced"`
}

// AnomalyEntry is one custody anomaly in a report.
type AnomalyEntry struct {
	Item string `json:"item"`
	Kind string `json:"kind"`
	At   string `json:"at"`
}

// DeadlineViolation is a detention deadline rule broken, as of the report's
// time. Actual is nil for a missing notice or hearing.
type DeadlineViolation struct {
	Detention string `json:"detention"`
	Person    string `json:"person"`
	Rule      string `json:"rule"`
	Limit     int64  `json:"limit_minutes"`
	Actual    *int64 `json:"actual_minutes"`
}

// Deadline rule names.
const (
	RuleRightsLate     = "rights_notice_late"
	RuleRightsMissing  = "rights_notice_missing"
	RuleHearingLate    = "hearing_late"
	RuleHearingMissing = "hearing_missing"
)

func notAfter(s string, asOf time.Time) bool {
	return s != "" && !mustTime(s).After(asOf)
}

// BelongsTo reports whether detention d belongs to operation op: its site
// belongs to it, or it names the operation.
func (s *State) BelongsTo(d *Detention, op string) bool {
	if d.Operation == op {
		return true
	}
	if site, ok := s.Sites[d.Site]; ok && site.Operation == op {
		return true
	}
	return false
}

// Violations returns the deadline rules detention d breaks as of asOf, in
// rule order. Times later than asOf count as not yet happened.
func (s *State) Violations(d *Detention, asOf time.Time) []DeadlineViolation {
	arrested := mustTime(d.ArrestedAt)
	if arrested.After(asOf) {
		return nil
	}
	minutes := func(t time.Time) int64 { return int64(t.Sub(arrested) / time.Minute) }
	var out []DeadlineViolation
	add := func(rule string, limit int64, actual *int64) {
		out = append(out, DeadlineViolation{Detention: d.ID, Person: d.Person, Rule: rule, Limit: limit, Actual: actual})
	}
	rl, hl := s.cfg.RightsNoticeMinutes, s.cfg.HearingMinutes
	if notAfter(d.RightsNotifiedAt, asOf) {
		if m := minutes(mustTime(d.RightsNotifiedAt)); m > rl {
			add(RuleRightsLate, rl, &m)
		}
	} else if minutes(asOf) > rl {
		add(RuleRightsMissing, rl, nil)
	}
	var seen *time.Time
	for _, v := range []string{d.HearingAt, d.ReleasedAt} {
		if notAfter(v, asOf) {
			t := mustTime(v)
			if seen == nil || t.Before(*seen) {
				seen = &t
			}
		}
	}
	if seen != nil {
		if m := minutes(*seen); m > hl {
			add(RuleHearingLate, hl, &m)
		}
	} else if minutes(asOf) > hl {
		add(RuleHearingMissing, hl, nil)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// OperationReport computes the spec's report for operation id as of asOf,
// by the records' claimed times.
func (s *State) OperationReport(id string, asOf time.Time) (*OperationReport, error) {
	op, ok := s.Operations[id]
	if !ok {
		return nil, custody.Errorf(custody.ENotFound, "operation", "el operativo %q no existe", "operation %q does not exist", id)
	}
	r := &OperationReport{
		Operation: op.ID, Case: op.Case,
		SitesByProvince: map[string]int{}, SitesByStatus: map[string]int{},
		DetentionsByBasis: map[string]int{}, DetaineesByRole: map[string]int{},
		EvidenceByType:   map[string]int{},
		CustodyAnomalies: []AnomalyEntry{}, DeadlineViolations: []DeadlineViolation{},
	}
	if op.Personnel != nil {
		r.Personnel = *op.Personnel
	}
	siteOf := map[string]bool{}
	for _, sid := range op.Sites {
		site := s.Sites[sid]
		siteOf[sid] = true
		r.Sites++
		r.SitesByProvince[site.Province]++
		r.SitesByStatus[site.Status(asOf)]++
	}
	r.Provinces = len(r.SitesByProvince)

	detainees := map[string]bool{}
	for _, d := range sortedDetentions(s) {
		if !s.BelongsTo(d, id) || mustTime(d.ArrestedAt).After(asOf) {
			continue
		}
		r.Detentions++
		r.DetentionsByBasis[d.Basis]++
		if !detainees[d.Person] {
			detainees[d.Person] = true
			for _, role := range s.Persons[d.Person].Roles {
				r.DetaineesByRole[role]++
			}
		}
		r.DeadlineViolations = append(r.DeadlineViolations, s.Violations(d, asOf)...)
	}

	var items []*Item
	for _, it := range s.Items {
		if it.Seize != nil && siteOf[it.Seize.Site] && !it.LastAtCreation().After(asOf) {
			items = append(items, it)
			r.EvidenceItems++
			r.EvidenceUnits += it.Quantity()
			r.EvidenceByType[it.Type]++
		}
	}
	all := append([]*Item(nil), items...)
	for i := 0; i < len(all); i++ {
		for _, c := range all[i].Children {
			child := s.Items[c]
			if !child.LastAtCreation().After(asOf) {
				all = append(all, child)
				r.DerivedItems++
			}
		}
	}
	for _, it := range all {
		if it.Disposal == nil || mustTime(it.Disposal.At).After(asOf) {
			r.OpenItems++
		}
		for _, an := range it.Anomalies {
			if !an.T.After(asOf) {
				r.CustodyAnomalies = append(r.CustodyAnomalies, AnomalyEntry{an.Item, an.Kind, an.At})
			}
		}
	}
	sort.Slice(r.CustodyAnomalies, func(i, j int) bool {
		a, b := r.CustodyAnomalies[i], r.CustodyAnomalies[j]
		if a.Item != b.Item {
			return a.Item < b.Item
		}
		ta, tb := mustTime(a.At), mustTime(b.At)
		if !ta.Equal(tb) {
			return ta.Before(tb)
		}
		return a.Kind < b.Kind
	})
	r.LateSynced = s.LateEntries(id, asOf)
	sort.SliceStable(r.DeadlineViolations, func(i, j int) bool {
		a, b := r.DeadlineViolations[i], r.DeadlineViolations[j]
		if a.Detention != b.Detention {
			return a.Detention < b.Detention
		}
		return a.Rule < b.Rule
	})
	return r, nil
}

// LastAtCreation is when the item came to be: its seizure or derivation.
func (it *Item) LastAtCreation() time.Time { return mustTime(it.CreatedAt()) }

func sortedDetentions(s *State) []*Detention {
	out := make([]*Detention, 0, len(s.Detentions))
	for _, d := range s.Detentions {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DetentionStatus is a detention with its deadline state as of a time.
type DetentionStatus struct {
	*Detention
	Violations []DeadlineViolation
}

// CaseDetentions lists a case's detentions with their deadline state as of
// asOf, violations first, then by id.
func (s *State) CaseDetentions(caseID string, asOf time.Time) []DetentionStatus {
	var out []DetentionStatus
	for _, d := range sortedDetentions(s) {
		if d.Case == caseID {
			out = append(out, DetentionStatus{d, s.Violations(d, asOf)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Violations) > 0 && len(out[j].Violations) == 0 })
	return out
}
