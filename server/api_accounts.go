package server

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// appender is the server's Appender: the group committer, recorded as p.
func (s *Server) appender(p *Principal) Appender {
	return func(ctx context.Context, recs []ledger.Record) error {
		_, err := s.Append(ctx, p, recs...)
		return err
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *Principal) error {
	var req LoginRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sess, p, err := s.Login(r.Context(), r, req)
	if err != nil {
		return err
	}
	s.Sessions.SetCookie(w, r, sess)
	WriteJSON(w, http.StatusOK, LoginResult{Account: p.Account, Role: p.Role, Officer: p.Officer, CSRF: sess.CSRF})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if p.Session != nil {
		s.Sessions.Delete(p.Session.ID)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
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
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p *Principal) error {
	m := Me{Account: p.Account, Role: p.Role, Officer: p.Officer, Scope: p.Scope, Cases: []string{}}
	s.view(func(st *domain.State) error {
		for c := range st.Cases {
			if s.Policy.Case(st, p, c) == nil {
				m.Cases = append(m.Cases, c)
			}
		}
		return nil
	})
	sort.Strings(m.Cases)
	WriteJSON(w, http.StatusOK, m)
	return nil
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

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := s.Policy.Admin(p, false); err != nil {
		return err
	}
	var out []AccountView
	s.view(func(st *domain.State) error { out = AccountViews(st); return nil })
	if err := s.AuditedRead(r.Context(), p, domain.AccessRead{Kind: "accounts", ID: "all"}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := s.Policy.Admin(p, true); err != nil {
		return err
	}
	var rec domain.AccountCreate
	if err := decodeJSON(r, &rec); err != nil {
		return err
	}
	na, err := CreateAccount(r.Context(), s.appender(p), s.creds, s.now, rec)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, na)
	return nil
}

func (s *Server) disableAccount(w http.ResponseWriter, r *http.Request, p *Principal) error {
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
	WriteJSON(w, http.StatusOK, RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At})
	return nil
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	acc := r.PathValue("account")
	if acc != p.Account {
		// A token is created by its owner only, admins included.
		return notFound()
	} else if !p.CanWrite() {
		return forbidden("el token es de solo lectura", "the token is read-only")
	}
	exists := false
	s.view(func(st *domain.State) error { a := st.Accounts[acc]; exists = a != nil && !a.Disabled; return nil })
	if !exists {
		return notFound()
	}
	var req TokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := WithinMinter(p, req, s.now()); err != nil {
		return err
	}
	tok, err := IssueToken(r.Context(), s.appender(p), s.creds, s.now, acc, req)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, tok)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id := r.PathValue("token")
	if !p.CanWrite() {
		return forbidden("el token es de solo lectura", "the token is read-only")
	}
	owner := ""
	if s.Policy.Can(p.Role, ActManageAccounts) {
		toks, err := s.creds.Tokens(r.Context(), "")
		if err != nil {
			return err
		}
		for _, t := range toks {
			if t.ID == id {
				owner = t.Account
			}
		}
	} else {
		toks, err := s.creds.Tokens(r.Context(), p.Account)
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
		return notFound()
	}
	if _, err := s.Append(r.Context(), p, ledger.Record{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: owner, Kind: "token_revoked", Token: id}}); err != nil {
		return err
	}
	s.tokens.forget(id)
	if err := s.creds.RevokeToken(r.Context(), id); err != nil {
		if errors.Is(err, accounts.ErrNotFound) {
			return notFound()
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) grant(w http.ResponseWriter, r *http.Request, p *Principal) error {
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

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := s.Policy.Admin(p, true); err != nil {
		return err
	}
	c := r.PathValue("case")
	return s.appendMembership(w, r, p, c, domain.OpGrantRevoke, &domain.GrantRevoke{Case: c, Account: r.PathValue("account")}, http.StatusOK)
}

// appendMembership validates a grant or revocation of case c, answers 404
// for a case that does not exist, appends it and answers status.
func (s *Server) appendMembership(w http.ResponseWriter, r *http.Request, p *Principal, c, op string, rec any, status int) error {
	if err := domain.ValidateSystem(rec); err != nil {
		return err
	}
	exists := false
	s.view(func(st *domain.State) error { _, exists = st.Cases[c]; return nil })
	if !exists {
		return notFound()
	}
	ev, err := s.Append(r.Context(), p, ledger.Record{Op: op, Rec: rec})
	if err != nil {
		return err
	}
	WriteJSON(w, status, RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At})
	return nil
}

// PasswordChange is the body of POST /api/v1/me/password.
type PasswordChange struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// MinPasswordLen is the shortest password accepted on a change.
const MinPasswordLen = 12

// changePassword replaces the caller's password, checking the old one (a
// stolen session alone cannot take over the account). It records
// account.credential and never the password.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if p.Session == nil {
		return forbidden("solo desde una sesión iniciada con contraseña", "only from a session signed in with a password")
	}
	var body PasswordChange
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if len(body.New) < MinPasswordLen || len(body.New) > 1024 {
		return custodyErrorf("new", "la contraseña nueva debe tener entre 12 y 1024 bytes", "the new password must be 12 to 1024 bytes long")
	}
	key := "account:" + p.Account
	if s.limiter.locked(key, 1) {
		return rateLimited()
	}
	cred, err := s.creds.Credential(r.Context(), p.Account)
	if err != nil {
		return err
	}
	if !accounts.CheckPassword(cred.PasswordHash, body.Old) {
		s.limiter.fail(key)
		return custodyErrorf("old", "la contraseña actual no es correcta", "the current password is wrong")
	}
	hash, err := accounts.HashPassword(body.New)
	if err != nil {
		return err
	}
	if _, err := s.Append(r.Context(), p, ledger.Record{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: p.Account, Kind: "password"}}); err != nil {
		return err
	}
	cred.PasswordHash = hash
	cred.UpdatedAt = s.now().UTC().Format(time.RFC3339Nano)
	if err := s.creds.PutCredential(r.Context(), cred); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
