package server

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// CaseSummary is a case in lists.
type CaseSummary struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	OpenedAt string `json:"opened_at"`
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, p *Principal) error {
	v, err := s.Cases(r.Context(), p)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, v)
	return nil
}

// Cases lists the cases p may see, recording a read of each.
func (s *Server) Cases(ctx context.Context, p *Principal) ([]CaseSummary, error) {
	out := []CaseSummary{}
	var reads []domain.AccessRead
	s.view(func(st *domain.State) error {
		for id, c := range st.Cases {
			if s.Policy.Case(st, p, id) == nil {
				out = append(out, CaseSummary{ID: id, Title: c.Title, OpenedAt: c.At})
				reads = append(reads, domain.AccessRead{Case: id, Kind: "case", ID: id})
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err := s.AuditedRead(ctx, p, reads...); err != nil {
		return nil, err
	}
	return out, nil
}

// CaseView is GET /cases/{case}.
type CaseView struct {
	ID         string          `json:"id"`
	Title      string          `json:"title"`
	OpenedAt   string          `json:"opened_at"`
	OpenedBy   string          `json:"opened_by"`
	Summary    string          `json:"summary,omitempty"`
	Operations []OperationView `json:"operations"`
	Persons    int             `json:"persons"`
	Detentions int             `json:"detentions"`
	Items      int             `json:"items"`
}

// OperationView is an operation in a case.
type OperationView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	HHour    string `json:"h_hour"`
	Sites    int    `json:"sites"`
	Released string `json:"released_at,omitempty"`
}

// Case returns a case with its operations and counts, recording the read.
func (s *Server) Case(ctx context.Context, p *Principal, id string) (*CaseView, error) {
	var v CaseView
	err := s.view(func(st *domain.State) error {
		if err := s.Policy.Read(st, p, id); err != nil {
			return err
		}
		c := st.Cases[id]
		v = CaseView{ID: c.ID, Title: c.Title, OpenedAt: c.At, OpenedBy: c.By, Summary: c.Summary, Operations: []OperationView{}}
		for _, op := range st.Operations {
			if op.Case == id {
				ov := OperationView{ID: op.ID, Name: op.Name, HHour: op.HHour, Sites: len(op.Sites)}
				if rel := st.Releases[op.ID]; rel != nil {
					ov.Released = rel.At
				}
				v.Operations = append(v.Operations, ov)
			}
		}
		sort.Slice(v.Operations, func(i, j int) bool { return v.Operations[i].ID < v.Operations[j].ID })
		for _, pe := range st.Persons {
			if pe.Case == id {
				v.Persons++
			}
		}
		for _, d := range st.Detentions {
			if d.Case == id {
				v.Detentions++
			}
		}
		for _, it := range st.Items {
			if it.Case == id {
				v.Items++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: id, Kind: "case", ID: id}); err != nil {
		return nil, err
	}
	return &v, nil
}

// PersonView is a person; a reserved identity is redacted unless the
// account's role may see it.
type PersonView struct {
	ID          string   `json:"id"`
	Case        string   `json:"case"`
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`
	Reserved    bool     `json:"reserved"`
	Redacted    bool     `json:"redacted,omitempty"`
	Institution string   `json:"institution,omitempty"`
	Position    string   `json:"position,omitempty"`
}

// RedactedName replaces a reserved identity.
const RedactedName = "(identidad reservada / reserved identity)"

func (s *Server) personView(pe *domain.Person, p *Principal) (PersonView, *domain.AccessRead) {
	v := PersonView{ID: pe.ID, Case: pe.Case, Name: pe.Name, Roles: pe.Roles, Reserved: pe.IsReserved(), Institution: pe.Institution, Position: pe.Position}
	if !v.Reserved {
		return v, nil
	}
	if !s.Policy.Reserved(p) {
		v.Name, v.Institution, v.Position, v.Redacted = RedactedName, "", "", true
		return v, nil
	}
	return v, &domain.AccessRead{Case: pe.Case, Kind: "reserved_identity", ID: pe.ID}
}

// Persons lists a case's persons, reserved identities redacted unless p's
// role may see them; each identity shown is recorded as a read.
func (s *Server) Persons(ctx context.Context, p *Principal, id string) ([]PersonView, error) {
	out := []PersonView{}
	reads := []domain.AccessRead{{Case: id, Kind: "persons", ID: id}}
	err := s.view(func(st *domain.State) error {
		if err := s.Policy.Read(st, p, id); err != nil {
			return err
		}
		for _, pe := range st.Persons {
			if pe.Case == id {
				v, rd := s.personView(pe, p)
				out = append(out, v)
				if rd != nil {
					reads = append(reads, *rd)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err := s.AuditedRead(ctx, p, reads...); err != nil {
		return nil, err
	}
	return out, nil
}

// Person returns one person (reserved identity by role), recording the read.
func (s *Server) Person(ctx context.Context, p *Principal, id string) (*PersonView, error) {
	var v PersonView
	var rd *domain.AccessRead
	err := s.view(func(st *domain.State) error {
		pe, ok := st.Persons[id]
		if !ok {
			return notFound()
		}
		if err := s.Policy.Read(st, p, pe.Case); err != nil {
			return err
		}
		v, rd = s.personView(pe, p)
		if rd == nil {
			rd = &domain.AccessRead{Case: pe.Case, Kind: "person", ID: pe.ID}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, *rd); err != nil {
		return nil, err
	}
	return &v, nil
}

// DetentionView is a detention with its deadline state as of a time.
type DetentionView struct {
	domain.Detention
	RightsDue  string                     `json:"rights_notice_due"`
	HearingDue string                     `json:"hearing_due"`
	Violations []domain.DeadlineViolation `json:"violations"`
	AsOf       string                     `json:"as_of"`
}

func (s *Server) listDetentions(w http.ResponseWriter, r *http.Request, p *Principal) error {
	asOf, err := s.parseAsOf(r, "as_of")
	if err != nil {
		return err
	}
	v, err := s.Detentions(r.Context(), p, r.PathValue("case"), asOf)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, v)
	return nil
}

// Detentions lists a case's detentions with their deadline state as of
// asOf, recording the read.
func (s *Server) Detentions(ctx context.Context, p *Principal, id string, asOf time.Time) ([]DetentionView, error) {
	out := []DetentionView{}
	err := s.view(func(st *domain.State) error {
		if err := s.Policy.Read(st, p, id); err != nil {
			return err
		}
		cfg := st.Config()
		for _, d := range st.Detentions {
			if d.Case != id {
				continue
			}
			arrested, _ := time.Parse(time.RFC3339Nano, d.ArrestedAt)
			v := DetentionView{Detention: *d, AsOf: asOf.Format(time.RFC3339), Violations: st.Violations(d, asOf),
				RightsDue:  arrested.Add(time.Duration(cfg.RightsNoticeMinutes) * time.Minute).Format(time.RFC3339),
				HearingDue: arrested.Add(time.Duration(cfg.HearingMinutes) * time.Minute).Format(time.RFC3339)}
			if v.Violations == nil {
				v.Violations = []domain.DeadlineViolation{}
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: id, Kind: "detentions", ID: id}); err != nil {
		return nil, err
	}
	return out, nil
}

// ItemView is an item's current state.
type ItemView struct {
	ID          string `json:"id"`
	Case        string `json:"case"`
	Type        string `json:"type"`
	Parent      string `json:"parent,omitempty"`
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	Site        string `json:"site,omitempty"`
	CreatedAt   string `json:"created_at"`
	Holder      string `json:"holder"`
	Seal        string `json:"seal"`
	Disposed    bool   `json:"disposed"`
	Events      int    `json:"events"`
	Anomalies   int    `json:"anomalies"`
	Children    int    `json:"derived"`
	// Files are the item's evidence files with their latest integrity
	// check (upload.go); only in the read of one item.
	Files []FileView `json:"files,omitempty"`
}

func itemView(it *domain.Item) ItemView {
	v := ItemView{ID: it.ID, Case: it.Case, Type: it.Type, Parent: it.Parent, Quantity: it.Quantity(), CreatedAt: it.CreatedAt(),
		Holder: it.Holder, Seal: it.Seal, Disposed: it.Disposed, Events: it.Events, Anomalies: len(it.Anomalies), Children: len(it.Children)}
	if it.Seize != nil {
		v.Description, v.Site = it.Seize.Description, it.Seize.Site
	} else {
		v.Description = it.Derive.Description
	}
	return v
}

// Items lists the items of a case p may see (a defence account: those
// disclosed to it), recording the read.
func (s *Server) Items(ctx context.Context, p *Principal, id string) ([]ItemView, error) {
	out := []ItemView{}
	err := s.view(func(st *domain.State) error {
		if err := s.Policy.Case(st, p, id); err != nil {
			return err
		}
		for _, it := range st.Items {
			if it.Case == id && s.Policy.ItemListed(st, p, it) {
				out = append(out, itemView(it))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: id, Kind: "items", ID: id}); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) accessLog(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var since time.Time
	if r.URL.Query().Get("since") != "" {
		var err error
		if since, err = s.parseAsOf(r, "since"); err != nil {
			return err
		}
	}
	v, err := s.AccessLog(r.Context(), p, r.PathValue("case"), since)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, v)
	return nil
}

// AccessLog returns who read what in a case since a time (zero: all), for
// the roles that may know it; the read of the access log is recorded too.
func (s *Server) AccessLog(ctx context.Context, p *Principal, id string, since time.Time) ([]ledger.AccessEntry, error) {
	if err := s.view(func(st *domain.State) error { return s.Policy.Act(st, p, id, ActReadAccessLog, false) }); err != nil {
		return nil, err
	}
	log, err := s.l.AccessLog(ctx, id, since)
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: id, Kind: "access", ID: id}); err != nil {
		return nil, err
	}
	return log, nil
}

// operationCase checks a read of an operation and returns its case.
func (s *Server) operationCase(p *Principal, opID string) (string, error) {
	var c string
	err := s.view(func(st *domain.State) error {
		op, ok := st.Operations[opID]
		if !ok {
			return notFound()
		}
		c = op.Case
		return s.Policy.Read(st, p, c)
	})
	return c, err
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request, p *Principal) error {
	asOf, err := s.parseAsOf(r, "as_of")
	if err != nil {
		return err
	}
	v, err := s.OperationReport(r.Context(), p, r.PathValue("operation"), asOf)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, v)
	return nil
}

// OperationReport is the spec's report of an operation as of a time,
// recording the read.
func (s *Server) OperationReport(ctx context.Context, p *Principal, opID string, asOf time.Time) (*domain.OperationReport, error) {
	c, err := s.operationCase(p, opID)
	if err != nil {
		return nil, err
	}
	rep, err := s.l.OperationReport(opID, asOf)
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: c, Kind: "report", ID: opID}); err != nil {
		return nil, err
	}
	return rep, nil
}

// SiteView is a site; Address and Warrant (its target) only for those the
// policy admits, else Redacted.
type SiteView struct {
	ID        string   `json:"id"`
	Operation string   `json:"operation"`
	Province  string   `json:"province"`
	City      string   `json:"city"`
	Kind      string   `json:"kind"`
	Lead      string   `json:"lead"`
	Team      []string `json:"team"`
	Status    string   `json:"status"`
	Address   string   `json:"address,omitempty"`
	Warrant   string   `json:"warrant,omitempty"`
	Redacted  bool     `json:"target_redacted,omitempty"`
}

func (s *Server) siteView(st *domain.State, p *Principal, site *domain.Site, c string) (SiteView, *domain.AccessRead) {
	v := SiteView{ID: site.ID, Operation: site.Operation, Province: site.Province, City: site.City, Kind: site.Kind, Lead: site.Lead,
		Team: append([]string{}, site.Team...), Status: site.Current()}
	if !s.Policy.SiteTarget(st, p, site, s.now()) {
		v.Redacted = site.Address != "" || site.Warrant != ""
		return v, nil
	}
	v.Address, v.Warrant = site.Address, site.Warrant
	return v, &domain.AccessRead{Case: c, Kind: "site_target", ID: site.ID}
}

// Sites lists an operation's sites, targets redacted unless p may see
// them; each target shown is recorded as a read.
func (s *Server) Sites(ctx context.Context, p *Principal, opID string) ([]SiteView, error) {
	out := []SiteView{}
	var reads []domain.AccessRead
	err := s.view(func(st *domain.State) error {
		op, ok := st.Operations[opID]
		if !ok {
			return notFound()
		}
		if err := s.Policy.Read(st, p, op.Case); err != nil {
			return err
		}
		reads = append(reads, domain.AccessRead{Case: op.Case, Kind: "sites", ID: opID})
		for _, id := range op.Sites {
			v, rd := s.siteView(st, p, st.Sites[id], op.Case)
			out = append(out, v)
			if rd != nil {
				reads = append(reads, *rd)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, reads...); err != nil {
		return nil, err
	}
	return out, nil
}

// Site returns one site, its target redacted unless p may see it, recording
// the read.
func (s *Server) Site(ctx context.Context, p *Principal, id string) (*SiteView, error) {
	var v SiteView
	var rd *domain.AccessRead
	err := s.view(func(st *domain.State) error {
		site, ok := st.Sites[id]
		if !ok {
			return notFound()
		}
		c := st.Operations[site.Operation].Case
		if err := s.Policy.Read(st, p, c); err != nil {
			return err
		}
		v, rd = s.siteView(st, p, site, c)
		if rd == nil {
			rd = &domain.AccessRead{Case: c, Kind: "sites", ID: site.Operation}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, *rd); err != nil {
		return nil, err
	}
	return &v, nil
}

// itemRead checks a read of an item and returns its case.
func (s *Server) itemRead(p *Principal, id string) (ItemView, error) {
	var v ItemView
	err := s.view(func(st *domain.State) error {
		it, err := s.Policy.Item(st, p, id)
		if err != nil {
			return err
		}
		v = itemView(it)
		v.Files = fileViews(st, it.ID)
		return nil
	})
	return v, err
}

// Item returns an item's current state, recording the read.
func (s *Server) Item(ctx context.Context, p *Principal, id string) (*ItemView, error) {
	v, err := s.itemRead(p, id)
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: v.Case, Kind: "item", ID: v.ID}); err != nil {
		return nil, err
	}
	return &v, nil
}

// ItemHistory returns an item's custody history, recording the read.
func (s *Server) ItemHistory(ctx context.Context, p *Principal, id string) ([]domain.HistoryEntry, error) {
	v, err := s.itemRead(p, id)
	if err != nil {
		return nil, err
	}
	h, err := s.l.ItemHistory(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: v.Case, Kind: "history", ID: v.ID}); err != nil {
		return nil, err
	}
	return h, nil
}

// Bundle returns an item's verifiable bundle, as ledger.ExportBundle makes
// it (its type is the ledger's, hence any here). The read is recorded first,
// so the bundle's checkpoint covers it.
func (s *Server) Bundle(ctx context.Context, p *Principal, id string) (any, error) {
	v, err := s.itemRead(p, id)
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: v.Case, Kind: "bundle", ID: v.ID}); err != nil {
		return nil, err
	}
	return s.l.ExportBundle(ctx, v.ID, s.cfg.PublicKey)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if !s.Policy.Can(p.Role, ActAudit) {
		return forbidden("solo auditores y administradores", "auditors and administrators only")
	}
	if s.cfg.Audit == nil {
		return notFound()
	}
	if err := s.AuditedRead(r.Context(), p, domain.AccessRead{Kind: "audit", ID: "deployment"}); err != nil {
		return err
	}
	rep, err := s.cfg.Audit(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}
