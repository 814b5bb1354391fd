package courtdata

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"time"

	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/verify"
)

// personName is how a report names a person of interest: the name, or
// courtdoc.ReservedIdentity ("reserved identity" in English) when the
// identity is protected. reserved says which, so that the caller also leaves
// the id out.
func personName(s *domain.State, lang, id string) (name string, reserved bool) {
	p, ok := s.Persons[id]
	switch {
	case !ok:
		return id, false
	case p.IsReserved():
		return t(lang, msg{courtdoc.ReservedIdentity, "reserved identity"}), true
	}
	return p.Name, false
}

// Operation builds the operation report as of asOf: the spec's report
// (domain.OperationReport, the same numbers as `report operation --json`),
// with person names instead of ids, sites by province and status, and the
// night's timeline: site statuses, detentions and seizures up to asOf.
func Operation(l *ledger.Ledger, op string, asOf time.Time, opt Options) (courtdoc.OperationReport, error) {
	var out courtdoc.OperationReport
	err := l.View(func(s *domain.State) error {
		r, err := s.OperationReport(op, asOf)
		if err != nil {
			return err
		}
		o := s.Operations[op]
		out = courtdoc.OperationReport{
			Operation: r.Operation, Name: o.Name, Case: r.Case, AsOf: opt.local(asOf), HHour: parseTime(o.HHour),
			Sites: r.Sites, Provinces: r.Provinces, SitesByProvince: r.SitesByProvince, SitesByStatus: r.SitesByStatus,
			SitesByProvinceStatus: map[string]map[string]int{},
			Personnel:             int(r.Personnel), Detentions: r.Detentions,
			DetentionsByBasis: r.DetentionsByBasis, DetaineesByRole: r.DetaineesByRole,
			EvidenceItems: r.EvidenceItems, EvidenceUnits: int(r.EvidenceUnits), EvidenceByType: r.EvidenceByType,
			DerivedItems: r.DerivedItems, OpenItems: r.OpenItems,
			CustodyAnomalies:   []courtdoc.AnomalyRow{},
			DeadlineViolations: []courtdoc.ViolationRow{},
			GeneratedAt:        opt.local(opt.Now),
		}
		for _, a := range r.CustodyAnomalies {
			out.CustodyAnomalies = append(out.CustodyAnomalies, courtdoc.AnomalyRow{Item: a.Item, Kind: a.Kind, At: parseTime(a.At)})
		}
		for _, v := range r.DeadlineViolations {
			name, _ := personName(s, opt.Lang, v.Person)
			row := courtdoc.ViolationRow{Detention: v.Detention, Person: name, Rule: v.Rule, LimitMinutes: int(v.Limit)}
			if v.Actual != nil {
				n := int(*v.Actual)
				row.ActualMinutes = &n
			}
			out.DeadlineViolations = append(out.DeadlineViolations, row)
		}
		sites := map[string]bool{}
		for _, id := range o.Sites {
			site := s.Sites[id]
			sites[id] = true
			st := site.Status(asOf)
			if out.SitesByProvinceStatus[site.Province] == nil {
				out.SitesByProvinceStatus[site.Province] = map[string]int{}
			}
			out.SitesByProvinceStatus[site.Province][st]++
			for _, c := range site.History {
				if !c.T.After(asOf) {
					out.Timeline = append(out.Timeline, courtdoc.TimelineEntry{At: c.T, Site: id, Event: word(opt.Lang, siteEvents, c.Status)})
				}
			}
		}
		for _, d := range s.Detentions {
			at := parseTime(d.ArrestedAt)
			if !s.BelongsTo(d, op) || at.After(asOf) {
				continue
			}
			name, _ := personName(s, opt.Lang, d.Person)
			basis := t(opt.Lang, tWarrant)
			if d.Basis == "flagrante" {
				basis = t(opt.Lang, tFlagrante)
			}
			out.Timeline = append(out.Timeline, courtdoc.TimelineEntry{At: at, Site: d.Site, Event: fmt.Sprintf(t(opt.Lang, tDetention), d.ID, name, basis)})
		}
		for _, it := range s.Items {
			if it.Seize == nil || !sites[it.Seize.Site] {
				continue
			}
			at := parseTime(it.Seize.SeizedAt)
			if at.After(asOf) {
				continue
			}
			out.Timeline = append(out.Timeline, courtdoc.TimelineEntry{At: at, Site: it.Seize.Site, Event: fmt.Sprintf(t(opt.Lang, tSeizure), it.ID, it.Seize.Description)})
		}
		sortTimeline(out.Timeline)
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Log, err = logState(l)
	return out, err
}

// logState is the checkpoint covering the state a report counts, read
// after it (so the log it fixes holds every event the report read), with
// the witnesses' cosignatures when they cosigned one: the item record's.
func logState(l *ledger.Ledger) (*courtdoc.LogState, error) {
	cp, err := l.CoveringCheckpoint(context.Background(), l.Size())
	if err != nil {
		return nil, err
	}
	c, _, err := verify.ParseNote(cp.Note)
	if err != nil {
		return nil, fmt.Errorf("courtdata: the log's checkpoint: %w", err)
	}
	return &courtdoc.LogState{Origin: c.Origin, Size: c.Size, RootHash: base64.StdEncoding.EncodeToString(c.Root[:]), Checkpoint: string(cp.Note)}, nil
}

// sortTimeline orders the timeline by instant, then site, then text, so
// that the same state always prints the same document (maps have no order).
func sortTimeline(tl []courtdoc.TimelineEntry) {
	sort.Slice(tl, func(i, j int) bool {
		a, b := tl[i], tl[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.Site != b.Site {
			return a.Site < b.Site
		}
		return a.Event < b.Event
	})
}

// Detentions builds the detention-compliance report of a case as of asOf:
// every detention of the case, with what happened up to asOf measured
// against the deployment's limits. Acts recorded with a time after asOf are
// shown as not yet happened, as the deadline rules count them.
func Detentions(l *ledger.Ledger, caseID string, asOf time.Time, opt Options) (courtdoc.DetentionReport, error) {
	rep := courtdoc.DetentionReport{Case: caseID, AsOf: opt.local(asOf), GeneratedAt: opt.local(opt.Now)}
	err := l.View(func(s *domain.State) error {
		if _, ok := s.Cases[caseID]; !ok {
			return custody.Errorf(custody.ENotFound, "case", "el caso %q no existe", "case %q does not exist", caseID)
		}
		cfg := s.Config()
		for _, ds := range s.CaseDetentions(caseID, asOf) {
			d := ds.Detention
			arrested := parseTime(d.ArrestedAt)
			if arrested.After(asOf) {
				continue
			}
			seen := func(v string) time.Time {
				tm := parseTime(v)
				if tm.After(asOf) {
					return time.Time{}
				}
				return tm
			}
			name, reserved := personName(s, opt.Lang, d.Person)
			row := courtdoc.DetentionRow{
				Detention: d.ID, Person: name, Basis: d.Basis, Site: d.Site, Charge: d.Charge,
				ArrestedAt: arrested, RightsNotifiedAt: seen(d.RightsNotifiedAt),
				HearingAt: seen(d.HearingAt), ReleasedAt: seen(d.ReleasedAt),
				RightsLimitMinutes: int(cfg.RightsNoticeMinutes), HearingLimitMinutes: int(cfg.HearingMinutes),
			}
			if !reserved {
				row.PersonID = d.Person
			}
			if !row.RightsNotifiedAt.IsZero() {
				row.RightsMinutes = minutes(arrested, row.RightsNotifiedAt)
			}
			end := row.HearingAt
			if end.IsZero() || (!row.ReleasedAt.IsZero() && row.ReleasedAt.Before(end)) {
				end = row.ReleasedAt
			}
			if !end.IsZero() {
				row.HearingMinutes = minutes(arrested, end)
			}
			for _, v := range ds.Violations {
				row.Violations = append(row.Violations, v.Rule)
			}
			rep.Rows = append(rep.Rows, row)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.Log, err = logState(l)
	return rep, err
}

// minutes is a delay in whole minutes, rounded down, as the rules count it.
func minutes(from, to time.Time) *int {
	n := int(to.Sub(from) / time.Minute)
	return &n
}
