package casegen

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Deadline limits, in minutes: the spec's defaults.
const (
	RightsLimitMinutes  = 60
	HearingLimitMinutes = 1440
)

// Oracle computes the spec's `report operation OP --as-of asOf --json`
// object for a case file, independently of Custodia's implementation.
//
// The value is shaped as encoding/json decodes JSON into any: numbers are
// float64, objects map[string]any, lists []any, and a missing actual_minutes
// is nil. Count objects list only keys above zero and are {} (never null)
// when empty; custody_anomalies and deadline_violations are [] when empty.
// Anomaly times are the text of the record that produced them.
//
// As-of semantics are by the records' claimed times: a site's status is its
// latest with at <= asOf ("planned" if none); a detention counts when
// arrested_at <= asOf, and each of its rights_notified_at, hearing_at and
// released_at only when <= asOf; an item counts when seized (or derived) at or
// before asOf, is disposed only if disposed at or before asOf, and an anomaly
// counts when its at <= asOf. Deadlines use the spec's defaults, 60 and 1440
// minutes.
//
// The file must be valid (see Validate); Oracle returns its first rejected
// line otherwise, and an error when op names no operation.
func Oracle(file []byte, op string, asOf time.Time) (map[string]any, error) {
	m, err := replay(bytes.NewReader(file), -1)
	if err != nil {
		return nil, err
	}
	return m.report(op, asOf)
}

// Operations lists the ids of the operations a valid case file plans, in file
// order.
func Operations(file []byte) ([]string, error) {
	m, err := replay(bytes.NewReader(file), -1)
	if err != nil {
		return nil, err
	}
	return slices.Clone(m.opOrder), nil
}

func (m *model) report(opID string, asOf time.Time) (map[string]any, error) {
	op, ok := m.operations[opID]
	if !ok {
		return nil, fmt.Errorf("no operation %q in the case file", opID)
	}
	notAfter := func(t time.Time) bool { return !t.After(asOf) }

	sites := 0
	provinces := map[string]float64{}
	byStatus := map[string]float64{}
	opSites := map[string]bool{}
	for _, id := range m.siteOrder {
		s := m.sites[id]
		if s.operation != opID {
			continue
		}
		sites++
		opSites[id] = true
		provinces[s.province]++
		status := "planned"
		for _, st := range s.statuses {
			if notAfter(st.at) {
				status = st.status
			}
		}
		byStatus[status]++
	}

	detentions := 0
	byBasis := map[string]float64{}
	detained := map[string]bool{}
	var detainees []string
	var violations []any
	for _, id := range m.detOrder {
		d := m.detentions[id]
		if !(opSites[d.site] || d.operation == opID) || !notAfter(d.arrested) {
			continue
		}
		detentions++
		byBasis[d.basis]++
		if !detained[d.person] {
			detained[d.person] = true
			detainees = append(detainees, d.person)
		}
		violations = append(violations, deadlineViolations(d, asOf)...)
	}
	byRole := map[string]float64{}
	for _, p := range detainees {
		for _, role := range m.persons[p].roles {
			byRole[role]++
		}
	}
	slices.SortStableFunc(violations, func(a, b any) int {
		x, y := a.(map[string]any), b.(map[string]any)
		return cmp.Or(cmp.Compare(x["detention"].(string), y["detention"].(string)),
			cmp.Compare(x["rule"].(string), y["rule"].(string)))
	})

	// Items of the operation: seized at its sites, and derived from those.
	counted := map[string]bool{}
	seized, units, derived, open := 0, int64(0), 0, 0
	byType := map[string]float64{}
	type anomaly struct {
		item string
		a    mAnomaly
	}
	var anomalies []anomaly
	for _, id := range m.itemOrder {
		it := m.items[id]
		if !notAfter(it.seizedAt) {
			continue
		}
		if it.parent == "" {
			if !opSites[it.site] {
				continue
			}
			seized++
			units += it.quantity
			byType[it.typ]++
		} else {
			if !counted[it.parent] {
				continue
			}
			derived++
		}
		counted[id] = true
		if !it.disposed || !notAfter(it.disposedAt) {
			open++
		}
		for _, a := range it.anomalies {
			if notAfter(a.at) {
				anomalies = append(anomalies, anomaly{id, a})
			}
		}
	}
	slices.SortStableFunc(anomalies, func(x, y anomaly) int {
		return cmp.Or(cmp.Compare(x.item, y.item), x.a.at.Compare(y.a.at), cmp.Compare(x.a.kind, y.a.kind))
	})
	anomalyList := []any{}
	for _, a := range anomalies {
		anomalyList = append(anomalyList, map[string]any{"item": a.item, "kind": a.a.kind, "at": a.a.text})
	}
	if violations == nil {
		violations = []any{}
	}
	return map[string]any{
		"operation":           opID,
		"case":                op.caseID,
		"sites":               float64(sites),
		"provinces":           float64(len(provinces)),
		"sites_by_province":   counts(provinces),
		"sites_by_status":     counts(byStatus),
		"personnel":           float64(op.personnel),
		"detentions":          float64(detentions),
		"detentions_by_basis": counts(byBasis),
		"detainees_by_role":   counts(byRole),
		"evidence_items":      float64(seized),
		"evidence_units":      float64(units),
		"evidence_by_type":    counts(byType),
		"derived_items":       float64(derived),
		"open_items":          float64(open),
		"custody_anomalies":   anomalyList,
		"deadline_violations": violations,
	}, nil
}

// counts turns a tally into a JSON object of the keys above zero.
func counts(tally map[string]float64) map[string]any {
	out := map[string]any{}
	for k, v := range tally {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// deadlineViolations applies the spec's "Detention deadlines" to one
// detention as of asOf.
func deadlineViolations(d *mDetention, asOf time.Time) []any {
	known := func(f string) *time.Time {
		if t := d.times[f]; t != nil && !t.After(asOf) {
			return t
		}
		return nil
	}
	minutes := func(from, to time.Time) int64 { return int64(to.Sub(from) / time.Minute) }
	v := func(rule string, limit int64, actual any) any {
		return map[string]any{"detention": d.id, "person": d.person, "rule": rule,
			"limit_minutes": float64(limit), "actual_minutes": actual}
	}
	var out []any
	if n := known("rights_notified_at"); n != nil {
		if n.Sub(d.arrested) > RightsLimitMinutes*time.Minute {
			out = append(out, v("rights_notice_late", RightsLimitMinutes, float64(minutes(d.arrested, *n))))
		}
	} else if asOf.Sub(d.arrested) > RightsLimitMinutes*time.Minute {
		out = append(out, v("rights_notice_missing", RightsLimitMinutes, nil))
	}
	h, rel := known("hearing_at"), known("released_at")
	first := h
	if first == nil || (rel != nil && rel.Before(*first)) {
		first = rel
	}
	if first != nil {
		if first.Sub(d.arrested) > HearingLimitMinutes*time.Minute {
			out = append(out, v("hearing_late", HearingLimitMinutes, float64(minutes(d.arrested, *first))))
		}
	} else if asOf.Sub(d.arrested) > HearingLimitMinutes*time.Minute {
		out = append(out, v("hearing_missing", HearingLimitMinutes, nil))
	}
	return out
}

// AsOfInstants are as-of instants worth asking a report about for a valid
// case file: one before anything happened, one every three hours from three
// hours before the earliest H-hour for two days (17 minutes past, so that
// they fall between records), and two long after. All are whole minutes.
func AsOfInstants(file []byte) ([]time.Time, error) {
	m, err := replay(bytes.NewReader(file), -1)
	if err != nil {
		return nil, err
	}
	var first time.Time
	for _, id := range m.opOrder {
		if h := m.operations[id].hHour; first.IsZero() || h.Before(first) {
			first = h
		}
	}
	out := []time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if first.IsZero() {
		return append(out, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), nil
	}
	first = first.Truncate(time.Minute)
	for i := -1; i < 16; i++ {
		out = append(out, first.Add(time.Duration(i)*3*time.Hour+17*time.Minute))
	}
	return append(out, first.Add(20*24*time.Hour), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), nil
}
