package app

import (
	"context"
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

// Cases lists the cases p may see, recording a read of each.
func (s *Service) Cases(ctx context.Context, p *Principal) ([]CaseSummary, error) {
	out := []CaseSummary{}
	var reads []domain.AccessRead
	s.View(func(st *domain.State) error {
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
func (s *Service) Case(ctx context.Context, p *Principal, id string) (*CaseView, error) {
	var v CaseView
	err := s.View(func(st *domain.State) error {
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

func (s *Service) personView(pe *domain.Person, p *Principal) (PersonView, *domain.AccessRead) {
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
func (s *Service) Persons(ctx context.Context, p *Principal, id string) ([]PersonView, error) {
	out := []PersonView{}
	reads := []domain.AccessRead{{Case: id, Kind: "persons", ID: id}}
	err := s.View(func(st *domain.State) error {
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
func (s *Service) Person(ctx context.Context, p *Principal, id string) (*PersonView, error) {
	var v PersonView
	var rd *domain.AccessRead
	err := s.View(func(st *domain.State) error {
		pe, ok := st.Persons[id]
		if !ok {
			return NotFound()
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
	// Field is how the detention came from a field device, if it did.
	Field *domain.FieldArrival `json:"field,omitempty"`
}

// Detentions lists a case's detentions with their deadline state as of
// asOf, recording the read.
func (s *Service) Detentions(ctx context.Context, p *Principal, id string, asOf time.Time) ([]DetentionView, error) {
	out := []DetentionView{}
	err := s.View(func(st *domain.State) error {
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
				HearingDue: arrested.Add(time.Duration(cfg.HearingMinutes) * time.Minute).Format(time.RFC3339), Field: st.ArrivalOf(d.Seq)}
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
	// Field is how the item's seizure came from a field device, if it did.
	Field *domain.FieldArrival `json:"field,omitempty"`
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
func (s *Service) Items(ctx context.Context, p *Principal, id string) ([]ItemView, error) {
	out := []ItemView{}
	err := s.View(func(st *domain.State) error {
		if err := s.Policy.Case(st, p, id); err != nil {
			return err
		}
		for _, it := range st.Items {
			if it.Case == id && s.Policy.ItemListed(st, p, it) {
				v := itemView(it)
				v.Field = st.ArrivalOf(it.OriginSeq)
				out = append(out, v)
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

// AccessLog returns who read what in a case since a time (zero: all), for
// the roles that may know it; the read of the access log is recorded too.
func (s *Service) AccessLog(ctx context.Context, p *Principal, id string, since time.Time) ([]ledger.AccessEntry, error) {
	if err := s.View(func(st *domain.State) error { return s.Policy.Act(st, p, id, ActReadAccessLog, false) }); err != nil {
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

// OperationCase checks a read of an operation and returns its case.
func (s *Service) OperationCase(p *Principal, opID string) (string, error) {
	var c string
	err := s.View(func(st *domain.State) error {
		op, ok := st.Operations[opID]
		if !ok {
			return NotFound()
		}
		c = op.Case
		return s.Policy.Read(st, p, c)
	})
	return c, err
}

// OperationReport is the spec's report of an operation as of a time,
// recording the read.
func (s *Service) OperationReport(ctx context.Context, p *Principal, opID string, asOf time.Time) (*domain.OperationReport, error) {
	c, err := s.OperationCase(p, opID)
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

func (s *Service) siteView(st *domain.State, p *Principal, site *domain.Site, c string) (SiteView, *domain.AccessRead) {
	v := SiteView{ID: site.ID, Operation: site.Operation, Province: site.Province, City: site.City, Kind: site.Kind, Lead: site.Lead,
		Team: append([]string{}, site.Team...), Status: site.Current()}
	if !s.Policy.SiteTarget(st, p, site, s.now()) {
		v.Redacted = site.Address != "" || site.Warrant != ""
		return v, nil
	}
	v.Address, v.Warrant = site.Address, site.Warrant
	return v, &domain.AccessRead{Case: c, Kind: "site_target", ID: site.ID}
}

// SiteTargets is Policy.SiteTarget for p at the service's clock, as a
// function of the state and the site: what documents built outside the
// service's views (court documents, package courtdata) may show p of a
// site's target, so that they show no more than the site's view does. A
// door that prints a target must record it as a site_target read, as
// siteView does.
func (s *Service) SiteTargets(p *Principal) func(*domain.State, *domain.Site) bool {
	now := s.now()
	return func(st *domain.State, site *domain.Site) bool { return s.Policy.SiteTarget(st, p, site, now) }
}

// Sites lists an operation's sites, targets redacted unless p may see
// them; each target shown is recorded as a read.
func (s *Service) Sites(ctx context.Context, p *Principal, opID string) ([]SiteView, error) {
	out := []SiteView{}
	var reads []domain.AccessRead
	err := s.View(func(st *domain.State) error {
		op, ok := st.Operations[opID]
		if !ok {
			return NotFound()
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
func (s *Service) Site(ctx context.Context, p *Principal, id string) (*SiteView, error) {
	var v SiteView
	var rd *domain.AccessRead
	err := s.View(func(st *domain.State) error {
		site, ok := st.Sites[id]
		if !ok {
			return NotFound()
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
func (s *Service) itemRead(p *Principal, id string) (ItemView, error) {
	var v ItemView
	err := s.View(func(st *domain.State) error {
		it, err := s.Policy.Item(st, p, id)
		if err != nil {
			return err
		}
		v = itemView(it)
		v.Files = FileViews(st, it.ID)
		v.Field = st.ArrivalOf(it.OriginSeq)
		return nil
	})
	return v, err
}

// Item returns an item's current state, recording the read.
func (s *Service) Item(ctx context.Context, p *Principal, id string) (*ItemView, error) {
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
func (s *Service) ItemHistory(ctx context.Context, p *Principal, id string) ([]domain.HistoryEntry, error) {
	v, err := s.itemRead(p, id)
	if err != nil {
		return nil, err
	}
	h, err := s.l.ItemHistory(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	s.View(func(st *domain.State) error {
		for i := range h {
			h[i].Field = st.ArrivalOf(h[i].Seq)
		}
		return nil
	})
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: v.Case, Kind: "history", ID: v.ID}); err != nil {
		return nil, err
	}
	return h, nil
}

// Bundle returns an item's verifiable bundle, as ledger.ExportBundle makes
// it (its type is the ledger's, hence any here). The read is recorded first,
// so the bundle's checkpoint covers it.
func (s *Service) Bundle(ctx context.Context, p *Principal, id string) (any, error) {
	v, err := s.itemRead(p, id)
	if err != nil {
		return nil, err
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Case: v.Case, Kind: "bundle", ID: v.ID}); err != nil {
		return nil, err
	}
	return s.l.ExportBundle(ctx, v.ID, s.cfg.PublicKey)
}

// AccountView is an account in lists.
type AccountView struct {
	Account  string   `json:"account"`
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Officer  string   `json:"officer,omitempty"`
	Disabled bool     `json:"disabled"`
	Cases    []string `json:"cases"`
}

// AccountViews lists every account with its cases, for admins (API and CLI).
func AccountViews(st *domain.State) []AccountView {
	out := []AccountView{}
	for _, a := range st.Accounts {
		v := AccountView{Account: a.Account, Name: a.Name, Role: a.Role, Officer: a.Officer, Disabled: a.Disabled, Cases: []string{}}
		for c := range st.Grants {
			if st.IsMember(a.Account, c) {
				v.Cases = append(v.Cases, c)
			}
		}
		sort.Strings(v.Cases)
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// FileView is one file of an item, with its latest integrity check.
type FileView struct {
	Kind   string `json:"kind"` // attachment or derived
	Name   string `json:"name,omitempty"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Seq    int64  `json:"seq"` // the record of the file
	// Check is the latest blob.check of the file; nil when never checked.
	Check *FileCheck `json:"check,omitempty"`
	// Alert is true when the latest check found the file missing or
	// changed.
	Alert bool `json:"alert"`
}

// FileCheck is a file's latest blob.check.
type FileCheck struct {
	Result    string `json:"result"`
	GotSHA256 string `json:"got_sha256,omitempty"`
	GotSize   *int64 `json:"got_size,omitempty"`
	Seq       int64  `json:"seq"`
}

// fileViews lists an item's files with their latest checks.
// FileViews lists an item's files with their latest integrity checks.
func FileViews(st *domain.State, item string) []FileView {
	out := []FileView{}
	for _, f := range st.ItemFiles(item) {
		v := FileView{Kind: f.Kind, Name: f.Name, SHA256: f.SHA256, Size: f.Size, Seq: f.Seq}
		if c := st.BlobCheckOf(item, f.SHA256); c != nil {
			v.Check = &FileCheck{Result: c.Result, GotSHA256: c.GotSHA256, GotSize: c.GotSize, Seq: c.Seq}
			v.Alert = !c.OK()
		}
		out = append(out, v)
	}
	return out
}
