package httpapi

import (
	"net/http"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
)

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	v, err := s.Cases(r.Context(), p)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) listDetentions(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	asOf, err := s.parseAsOf(r, "as_of")
	if err != nil {
		return err
	}
	v, err := s.Detentions(r.Context(), p, r.PathValue("case"), asOf)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) accessLog(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
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
	gateway.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	asOf, err := s.parseAsOf(r, "as_of")
	if err != nil {
		return err
	}
	v, err := s.OperationReport(r.Context(), p, r.PathValue("operation"), asOf)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if !s.Policy.Can(p.Role, app.ActAudit) {
		return app.Forbidden("solo auditores y administradores", "auditors and administrators only")
	}
	if err := app.Unscoped(p); err != nil {
		return err
	}
	if s.Config().Audit == nil {
		return app.NotFound()
	}
	if err := s.AuditedRead(r.Context(), p, domain.AccessRead{Kind: "audit", ID: "deployment"}); err != nil {
		return err
	}
	rep, err := s.Config().Audit(r.Context())
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, rep)
	return nil
}
