package courtdata

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/court/caseuco"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// WarrantType is how the export types the warrant of a site (site.add's
// warrant field): a search warrant.
const WarrantType = "orden de allanamiento"

// CaseUCO builds a case's CASE/UCO export: its evidence items (seized and
// derived, with their hashes), every custody event of them in log order
// (attachments with their hashes included), the officers who acted and their
// agencies, the sites of the case's operations as locations, and each site's
// warrant as an authorization. base is the IRI prefix of the nodes; empty
// means caseuco's default. A site whose target the reader may not see
// (targets, as in Options) is a location without its address, and its
// warrant is left out.
func CaseUCO(ctx context.Context, l *ledger.Ledger, caseID, base string, targets Targets) (caseuco.CaseData, error) {
	out := caseuco.CaseData{Base: base, LogOrigin: l.Origin()}
	var items []*domain.Item
	err := l.View(func(s *domain.State) error {
		c, ok := s.Cases[caseID]
		if !ok {
			return custody.Errorf(custody.ENotFound, "case", "el caso %q no existe", "case %q does not exist", caseID)
		}
		out.Case = caseuco.Case{ID: c.ID, Title: c.Title, Summary: c.Summary, OpenedAt: parseTime(c.At), Status: "open"}
		for _, it := range s.Items {
			if it.Case == caseID {
				items = append(items, it)
			}
		}
		sort.Slice(items, func(i, j int) bool { return items[i].OriginSeq < items[j].OriginSeq })
		for _, it := range items {
			out.Items = append(out.Items, ucoItem(s, it))
		}
		var ops []*domain.Operation
		for _, op := range s.Operations {
			if op.Case == caseID {
				ops = append(ops, op)
			}
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].Seq < ops[j].Seq })
		for _, op := range ops {
			for _, id := range op.Sites {
				site := s.Sites[id]
				us := caseuco.Site{ID: id, Province: site.Province, City: site.City, Kind: site.Kind}
				if !targets.shows(s, site) {
					out.Sites = append(out.Sites, us)
					continue
				}
				us.Address = site.Address
				if site.Warrant != "" {
					us.Warrant = "W-" + id
					out.Warrants = append(out.Warrants, caseuco.Warrant{ID: us.Warrant, Identifier: site.Warrant, Type: WarrantType, Site: id})
				}
				out.Sites = append(out.Sites, us)
			}
		}
		return nil
	})
	if err != nil {
		return out, err
	}

	// Every event of every item, once: a derivation is in the history of
	// both the parent and the new item, and is the parent's event.
	seen := map[int64]bool{}
	for _, it := range items {
		hist, err := l.ItemHistory(ctx, it.ID)
		if err != nil {
			return out, err
		}
		for _, h := range hist {
			if seen[h.Seq] {
				continue
			}
			seen[h.Seq] = true
			e, err := ucoEvent(it.ID, h)
			if err != nil {
				return out, err
			}
			out.Events = append(out.Events, e)
		}
	}
	sort.Slice(out.Events, func(i, j int) bool { return out.Events[i].Leaf < out.Events[j].Leaf })

	// The officers the events name, and their agencies; the signatures'
	// key algorithms.
	err = l.View(func(s *domain.State) error {
		for i := range out.Events {
			for j := range out.Events[i].Signatures {
				if k := s.Keys[out.Events[i].Signatures[j].Key]; k != nil {
					out.Events[i].Signatures[j].Alg = k.Alg
				}
			}
		}
		officers := map[string]bool{}
		agencies := map[string]bool{}
		add := func(id string) {
			o, ok := s.Officers[id]
			if id == "" || officers[id] || !ok {
				return
			}
			officers[id] = true
			out.Officers = append(out.Officers, caseuco.Officer{ID: o.ID, Name: o.Name, Agency: o.Agency, Role: o.Role})
			if a, ok := s.Agencies[o.Agency]; ok && !agencies[a.ID] {
				agencies[a.ID] = true
				out.Agencies = append(out.Agencies, caseuco.Agency{ID: a.ID, Name: a.Name, Kind: a.Kind})
			}
		}
		for _, e := range out.Events {
			add(e.By)
			add(e.To)
		}
		sort.Slice(out.Officers, func(i, j int) bool { return out.Officers[i].ID < out.Officers[j].ID })
		sort.Slice(out.Agencies, func(i, j int) bool { return out.Agencies[i].ID < out.Agencies[j].ID })
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, out.Validate()
}

func ucoItem(s *domain.State, it *domain.Item) caseuco.Item {
	u := caseuco.Item{ID: it.ID, Type: it.Type, Quantity: int(it.Quantity()), Parent: it.Parent, Size: -1}
	switch {
	case it.Seize != nil:
		u.Description, u.Site = it.Seize.Description, it.Seize.Site
		u.Digital = casefile.DigitalByDefault(it.Seize.Type)
		if it.Seize.Digital != nil {
			u.Digital = *it.Seize.Digital
		}
	case it.Derive != nil:
		u.Description, u.SHA256, u.Tool = it.Derive.Description, it.Derive.SHA256, it.Derive.Tool
		if it.Derive.Size != nil {
			u.Size = *it.Derive.Size
		}
		u.Digital = derivedDigital(s, it)
	}
	return u
}

// ucoEvent turns one history entry of item into an export event.
func ucoEvent(item string, h domain.HistoryEntry) (caseuco.Event, error) {
	r, err := fastcodec.DecodeItemRecord(h.Op, h.Record)
	if err != nil {
		return caseuco.Event{}, fmt.Errorf("courtdata: item %s, event %d: %w", item, h.Seq, err)
	}
	e := caseuco.Event{Leaf: h.Seq, Op: h.Op, Item: item, At: parseTime(h.At), By: h.By, Anomalies: append([]string(nil), h.Anomalies...),
		Imported: strings.HasPrefix(h.RecordedBy, "import:")}
	for _, g := range h.Sigs {
		officer := h.By
		if g.Role == custody.RoleFrom {
			officer = h.From
		}
		e.Signatures = append(e.Signatures, caseuco.Signature{Role: g.Role, Officer: officer, Key: g.Key, Sig: g.Sig, AuthenticatorData: g.AuthenticatorData, ClientData: g.ClientDataJSON})
	}
	switch r := r.(type) {
	case *custody.Seize:
		e.Site, e.Place, e.Seal = r.Site, r.Place, r.Seal
	case *custody.Transfer:
		e.By, e.To = r.From, r.To
		e.Purpose, e.Place, e.Seal, e.SealCondition = r.Purpose, r.Location, r.Seal, r.SealCondition
	case *custody.Open:
		e.Reason = r.Reason
	case *custody.Seal:
		e.Seal = r.Seal
	case *custody.Derive:
		e.Item, e.Result = r.Parent, r.ID
	case *custody.Attach:
		e.FileName, e.FileSHA256, e.MediaType = r.Name, r.SHA256, r.MediaType
		if r.Size != nil {
			e.FileSize = *r.Size
		}
	case *custody.Present:
		e.Reason = r.Hearing
	case *custody.Dispose:
		e.Reason = r.Method
		if r.Order != "" {
			e.Reason += " (" + r.Order + ")"
		}
	}
	return e, nil
}
