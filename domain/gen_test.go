package domain_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// expectedReport computes the spec's report from the generator's own record
// of what it wrote, as the spec words it, without package domain's code.
func expectedReport(c *testdeploy.CaseFile, asOf time.Time) *domain.OperationReport {
	r := &domain.OperationReport{
		Operation: c.Operation, Case: c.Case, Personnel: c.Personnel,
		SitesByProvince: map[string]int{}, SitesByStatus: map[string]int{},
		DetentionsByBasis: map[string]int{}, DetaineesByRole: map[string]int{},
		EvidenceByType: map[string]int{}, CustodyAnomalies: []domain.AnomalyEntry{}, DeadlineViolations: []domain.DeadlineViolation{}, LateSynced: []domain.LateEntry{},
	}
	notAfter := func(t *time.Time) bool { return t != nil && !t.After(asOf) }
	sites := map[string]bool{}
	for _, s := range c.Sites {
		if s.Operation != c.Operation {
			continue
		}
		sites[s.ID] = true
		r.Sites++
		r.SitesByProvince[s.Province]++
		st := "planned"
		for _, x := range s.Statuses {
			if !x.At.After(asOf) {
				st = x.Status
			}
		}
		r.SitesByStatus[st]++
	}
	r.Provinces = len(r.SitesByProvince)

	persons := map[string]bool{}
	for _, d := range c.Detentions {
		if d.Operation != c.Operation || d.Arrested.After(asOf) {
			continue
		}
		r.Detentions++
		r.DetentionsByBasis[d.Basis]++
		persons[d.Person] = true
		mins := func(t time.Time) int64 { return int64(t.Sub(d.Arrested).Minutes()) } // truncates: whole minutes, rounded down
		add := func(rule string, limit int64, actual *int64) {
			r.DeadlineViolations = append(r.DeadlineViolations, domain.DeadlineViolation{Detention: d.ID, Person: d.Person, Rule: rule, Limit: limit, Actual: actual})
		}
		if notAfter(d.Rights) {
			if m := mins(*d.Rights); m > 60 {
				add("rights_notice_late", 60, &m)
			}
		} else if mins(asOf) > 60 {
			add("rights_notice_missing", 60, nil)
		}
		var first *time.Time
		for _, t := range []*time.Time{d.Hearing, d.Released} {
			if notAfter(t) && (first == nil || t.Before(*first)) {
				first = t
			}
		}
		if first != nil {
			if m := mins(*first); m > 1440 {
				add("hearing_late", 1440, &m)
			}
		} else if mins(asOf) > 1440 {
			add("hearing_missing", 1440, nil)
		}
	}
	for p := range persons {
		for _, role := range c.Roles[p] {
			r.DetaineesByRole[role]++
		}
	}
	sort.SliceStable(r.DeadlineViolations, func(i, j int) bool {
		a, b := r.DeadlineViolations[i], r.DeadlineViolations[j]
		if a.Detention != b.Detention {
			return a.Detention < b.Detention
		}
		return a.Rule < b.Rule
	})

	byID := map[string]testdeploy.GenItem{}
	for _, it := range c.Items {
		byID[it.ID] = it
	}
	// An item counts when it is seized at a site of the operation, or derived
	// (transitively) from one that counts, and exists as of asOf.
	var root func(it testdeploy.GenItem) (string, bool)
	root = func(it testdeploy.GenItem) (string, bool) {
		if it.Parent == "" {
			return it.Site, false
		}
		s, _ := root(byID[it.Parent])
		return s, true
	}
	var anomalies []struct {
		e domain.AnomalyEntry
		t time.Time
	}
	for _, it := range c.Items {
		site, derived := root(it)
		if !sites[site] || it.Created.After(asOf) {
			continue
		}
		if derived {
			r.DerivedItems++
		} else {
			r.EvidenceItems++
			r.EvidenceUnits += it.Quantity
			r.EvidenceByType[it.Type]++
		}
		if !notAfter(it.Disposed) {
			r.OpenItems++
		}
		for _, a := range it.Anomalies {
			if !a.T.After(asOf) {
				anomalies = append(anomalies, struct {
					e domain.AnomalyEntry
					t time.Time
				}{domain.AnomalyEntry{Item: it.ID, Kind: a.Kind, At: a.At}, a.T})
			}
		}
	}
	sort.Slice(anomalies, func(i, j int) bool {
		a, b := anomalies[i], anomalies[j]
		switch {
		case a.e.Item != b.e.Item:
			return a.e.Item < b.e.Item
		case !a.t.Equal(b.t):
			return a.t.Before(b.t)
		}
		return a.e.Kind < b.e.Kind
	})
	for _, a := range anomalies {
		r.CustodyAnomalies = append(r.CustodyAnomalies, a.e)
	}
	return r
}

func generatedCount() int {
	if testing.Short() {
		return 25
	}
	return 150
}

// TestGeneratedCases applies seeded random case files and compares the
// report, at many times, with the independent computation above.
func TestGeneratedCases(t *testing.T) {
	var anomalies, violations, derived int
	for seed := uint64(1); seed <= uint64(generatedCount()); seed++ {
		c := testdeploy.GenerateCase(seed)
		h := newHarness(t, c.Lines...)
		r := rand.New(rand.NewPCG(seed, 99))
		times := []time.Time{c.Start.Add(-time.Hour), c.Start, c.End, c.End.Add(72 * time.Hour)}
		span := c.End.Sub(c.Start)
		for k := 0; k < 8; k++ {
			times = append(times, c.Start.Add(time.Duration(r.Int64N(int64(span)+1))).Truncate(time.Second))
		}
		for _, asOf := range times {
			got, err := h.st.OperationReport(c.Operation, asOf)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedReport(c, asOf)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d as of %s:\ngot  %+v\nwant %+v", seed, asOf.Format(time.RFC3339), got, want)
			}
			anomalies += len(got.CustodyAnomalies)
			violations += len(got.DeadlineViolations)
			derived += got.DerivedItems
		}
	}
	t.Logf("%d anomalies, %d violations, %d derived items compared", anomalies, violations, derived)
	// The generator must exercise what it is for.
	if anomalies == 0 || violations == 0 || derived == 0 {
		t.Errorf("generated files produced %d anomalies, %d violations, %d derived items", anomalies, violations, derived)
	}
}

// TestGeneratedBadLine inserts one bad line into generated files: the first
// rejection is that line, with its op.
func TestGeneratedBadLine(t *testing.T) {
	for seed := uint64(1); seed <= uint64(generatedCount()); seed++ {
		c := testdeploy.GenerateCase(seed)
		lines, lineNo, wantOp := c.WithBadLine(seed)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			st := domain.NewState(domain.DefaultConfig)
			for i, l := range lines {
				op, rec, cerr := casefile.Decode([]byte(l))
				var err error
				if cerr == nil {
					_, err = st.Apply(op, rec, int64(i))
				} else {
					err = cerr
				}
				if err == nil {
					continue
				}
				if i+1 != lineNo || op != wantOp {
					t.Fatalf("line %d (%s) rejected: %v; want line %d (%s)", i+1, op, err, lineNo, wantOp)
				}
				return
			}
			t.Fatalf("bad line %d accepted: %s", lineNo, lines[lineNo-1])
		})
	}
}
