package httpapi

import (
	"context"
	"net/http"
	"sort"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/ledger"
)

// appender is the server's app.Appender: the group committer, recorded as p.
func (s *Server) appender(p *app.Principal) app.Appender {
	return func(ctx context.Context, recs []ledger.Record) error {
		_, err := s.Append(ctx, p, recs...)
		return err
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	var req app.LoginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sess, p, err := s.Login(r.Context(), gateway.ClientIP(r), req)
	if err != nil {
		return err
	}
	s.gw.SetCookie(w, r, sess)
	gateway.WriteJSON(w, http.StatusOK, app.LoginResult{Account: p.Account, Role: p.Role, Officer: p.Officer, CSRF: sess.CSRF, PasswordChangeRequired: p.MustChangePassword})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if p.Session != nil {
		s.Sessions.Delete(p.Session.ID)
	}
	http.SetCookie(w, &http.Cookie{Name: gateway.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Me is GET /api/v1/me.
type Me struct {
	Account string   `json:"account"`
	Role    string   `json:"role"`
	Officer string   `json:"officer,omitempty"`
	Scope   string   `json:"scope"`
	Cases   []string `json:"cases"`
	// PasswordChangeRequired: the session may do nothing but change the
	// generated password (POST /api/v1/me/password).
	PasswordChangeRequired bool `json:"password_change_required,omitempty"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	m := Me{Account: p.Account, Role: p.Role, Officer: p.Officer, Scope: p.Scope, Cases: []string{}, PasswordChangeRequired: p.PasswordChangePending() != nil}
	s.View(func(st *domain.State) error {
		for c := range st.Cases {
			if s.Policy.Case(st, p, c) == nil {
				m.Cases = append(m.Cases, c)
			}
		}
		return nil
	})
	sort.Strings(m.Cases)
	gateway.WriteJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := s.Policy.Admin(p, false); err != nil {
		return err
	}
	var out []app.AccountView
	s.View(func(st *domain.State) error { out = app.AccountViews(st); return nil })
	if err := s.AuditedRead(r.Context(), p, domain.AccessRead{Kind: "accounts", ID: "all"}); err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := s.Policy.Admin(p, true); err != nil {
		return err
	}
	var rec domain.AccountCreate
	if err := decodeJSON(r, &rec); err != nil {
		return err
	}
	na, err := s.CreateAccount(r.Context(), p, rec)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, na)
	return nil
}

func (s *Server) disableAccount(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := s.Policy.Admin(p, true); err != nil {
		return err
	}
	acc := r.PathValue("account")
	rec := &domain.AccountDisable{Account: acc}
	if err := domain.ValidateSystem(rec); err != nil {
		return err
	}
	ev, err := s.Append(r.Context(), p, ledger.Record{Op: domain.OpAccountDisable, Rec: rec})
	if err != nil {
		return err
	}
	s.Sessions.DeleteAccount(acc)
	gateway.WriteJSON(w, http.StatusOK, app.RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At})
	return nil
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := app.ReadOnly(p); err != nil {
		return err
	}
	acc := r.PathValue("account")
	if acc != p.Account {
		// A token is created by its owner only, admins included.
		return app.NotFound()
	}
	exists := false
	s.View(func(st *domain.State) error { a := st.Accounts[acc]; exists = a != nil && !a.Disabled; return nil })
	if !exists {
		return app.NotFound()
	}
	var req app.TokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := app.WithinMinter(p, req, s.Now()); err != nil {
		return err
	}
	tok, err := app.IssueToken(r.Context(), s.appender(p), s.Credentials(), s.Now, acc, req)
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, tok)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("token")
	if err := app.ReadOnly(p); err != nil {
		return err
	}
	owner := ""
	if s.Policy.Can(p.Role, app.ActManageAccounts) {
		toks, err := s.Credentials().Tokens(r.Context(), "")
		if err != nil {
			return err
		}
		for _, t := range toks {
			if t.ID == id {
				owner = t.Account
			}
		}
	} else {
		toks, err := s.Credentials().Tokens(r.Context(), p.Account)
		if err != nil {
			return err
		}
		for _, t := range toks {
			if t.ID == id {
				owner = t.Account
			}
		}
	}
	if owner == "" {
		return app.NotFound()
	}
	if owner != p.Account {
		if err := app.Unscoped(p); err != nil {
			return err
		}
	}
	if err := s.RevokeToken(r.Context(), p, owner, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) grant(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := s.Policy.Admin(p, true); err != nil {
		return err
	}
	c := r.PathValue("case")
	var body Member
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	return s.appendMembership(w, r, p, c, domain.OpGrantAdd, &domain.GrantAdd{Case: c, Account: body.Account}, http.StatusCreated)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := s.Policy.Admin(p, true); err != nil {
		return err
	}
	c := r.PathValue("case")
	return s.appendMembership(w, r, p, c, domain.OpGrantRevoke, &domain.GrantRevoke{Case: c, Account: r.PathValue("account")}, http.StatusOK)
}

// appendMembership validates a grant or revocation of case c, answers 404
// for a case that does not exist, appends it and answers status.
func (s *Server) appendMembership(w http.ResponseWriter, r *http.Request, p *app.Principal, c, op string, rec any, status int) error {
	if err := domain.ValidateSystem(rec); err != nil {
		return err
	}
	exists := false
	s.View(func(st *domain.State) error { _, exists = st.Cases[c]; return nil })
	if !exists {
		return app.NotFound()
	}
	ev, err := s.Append(r.Context(), p, ledger.Record{Op: op, Rec: rec})
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, status, app.RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At})
	return nil
}

// PasswordChange is the body of POST /api/v1/me/password.
type PasswordChange struct {
	Old string `json:"old"`
	New string `json:"new"`
	// Confirm is the new password typed again; when absent, New is taken
	// as its own copy.
	Confirm *string `json:"confirm,omitempty"`
}

// changePassword replaces the caller's password, checking the old one (a
// stolen session alone cannot take over the account). It records
// account.credential and never the password.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if p.Session == nil {
		return app.Forbidden("solo desde una sesión iniciada con contraseña", "only from a session signed in with a password")
	}
	var body PasswordChange
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	confirm := body.New
	if body.Confirm != nil {
		confirm = *body.Confirm
	}
	if err := s.ChangePassword(r.Context(), p, body.Old, body.New, confirm); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
