package app

import (
	"context"

	"github.com/custodia-ec/custodia/storage/blob"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Helpers for package web, which renders the same views as the JSON API
// as HTML: the same redaction rules, the same audit, no second copy.

// SiteViewOf is the API's view of a site for p, with its target redacted
// unless the policy admits it, and the access.read to record when the
// target is shown (nil otherwise).
func (s *Service) SiteViewOf(st *domain.State, p *Principal, site *domain.Site, caseID string) (SiteView, *domain.AccessRead) {
	return s.siteView(st, p, site, caseID)
}

// ItemViewOf is the API's view of an item's current state.
func ItemViewOf(it *domain.Item) ItemView { return itemView(it) }

// PersonViewOf is the API's view of a person for p, with a reserved
// identity redacted unless p's role may see it, and the access.read to
// record when a reserved identity is shown (nil otherwise).
func (s *Service) PersonViewOf(pe *domain.Person, p *Principal) (PersonView, *domain.AccessRead) {
	return s.personView(pe, p)
}

// RunAudit runs the deployment's audit (Config.Audit) for p, after checking
// the policy and recording the read; not_found when the deployment has no
// audit configured.
func (s *Service) RunAudit(ctx context.Context, p *Principal) (*ledger.AuditReport, error) {
	if !s.Policy.Can(p.Role, ActAudit) {
		return nil, Forbidden("solo auditores y administradores", "auditors and administrators only")
	}
	if err := Unscoped(p); err != nil {
		return nil, err
	}
	if s.cfg.Audit == nil {
		return nil, NotFound()
	}
	if err := s.AuditedRead(ctx, p, domain.AccessRead{Kind: "audit", ID: "deployment"}); err != nil {
		return nil, err
	}
	return s.cfg.Audit(ctx)
}

// PublicKey is the log's verifier key (note format), as given in Config.
func (s *Service) PublicKey() string { return s.cfg.PublicKey }

// Blobs is the evidence file store (nil when the server has none), for
// pages that receive files with a form, such as seizure photos.
func (s *Service) Blobs() blob.Store { return s.cfg.Blobs }
