package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

// Principal is who is calling: an account, how it signed in, and what the
// credential allows.
type Principal struct {
	Account string
	Role    string
	Officer string // "" for accounts without one (admin, auditor)
	// Scope is "session" for a browser session, or a token's "read" or
	// "write".
	Scope string
	// Cases restricts a token to these cases; empty means every case the
	// account is a member of.
	Cases   []string
	Session *Session // nil for a token
	// Expires is when the token ends; zero for a browser session.
	Expires time.Time
}

// CanWrite reports whether the credential allows changes.
func (p *Principal) CanWrite() bool { return p.Scope == "session" || p.Scope == "write" }

// Session is a browser session. It lives in memory only.
type Session struct {
	ID      string
	Account string
	CSRF    string // sent back in X-CSRF-Token or the csrf_token form field
	Expires time.Time
}

// Sessions holds the browser sessions, in memory.
type Sessions struct {
	mu  sync.Mutex
	m   map[string]*Session
	ttl time.Duration
	now func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *Sessions {
	return &Sessions{m: map[string]*Session{}, ttl: ttl, now: now}
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("server: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// New starts a session for account.
func (ss *Sessions) New(account string) *Session {
	s := &Session{ID: randomString(32), Account: account, CSRF: randomString(32), Expires: ss.now().Add(ss.ttl)}
	ss.mu.Lock()
	ss.m[s.ID] = s
	ss.mu.Unlock()
	return s
}

// Get returns a live session.
func (ss *Sessions) Get(id string) *Session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[id]
	if s == nil {
		return nil
	}
	if ss.now().After(s.Expires) {
		delete(ss.m, id)
		return nil
	}
	return s
}

// Delete ends a session.
func (ss *Sessions) Delete(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// DeleteAccount ends every session of an account (on disable).
func (ss *Sessions) DeleteAccount(account string) {
	ss.mu.Lock()
	for id, s := range ss.m {
		if s.Account == account {
			delete(ss.m, id)
		}
	}
	ss.mu.Unlock()
}

func ErrUnauthenticated() *custody.Error {
	return custody.Errorf(custody.EAuth, "", "inicie sesión o presente un token válido", "sign in or present a valid token")
}

// principal builds the principal of an active account, or nil. It reads
// the accounts snapshot, not the ledger, so that authenticating never waits
// for a commit.
func (s *Service) principal(account, scope string) *Principal {
	a, ok := (*s.accounts.Load())[account]
	if !ok {
		// Not in the snapshot: an account appended outside the committer
		// (the bootstrap, a test). Ask the state, and refresh if it is there.
		s.l.View(func(st *domain.State) error {
			acc, found := st.Accounts[account]
			ok = found && !acc.Disabled
			return nil
		})
		if !ok {
			return nil
		}
		s.loadAccounts()
		if a, ok = (*s.accounts.Load())[account]; !ok {
			return nil
		}
	}
	p := a
	p.Scope = scope
	return &p
}

// loadAccounts rebuilds the accounts snapshot from the state: at start and
// after every commit that created or disabled an account.
func (s *Service) loadAccounts() {
	m := map[string]Principal{}
	s.l.View(func(st *domain.State) error {
		for id, a := range st.Accounts {
			if !a.Disabled {
				m[id] = Principal{Account: a.Account, Role: a.Role, Officer: a.Officer}
			}
		}
		return nil
	})
	s.accounts.Store(&m)
}

// limiter counts failed sign-ins per account and per address, in memory.
type limiter struct {
	mu     sync.Mutex
	fails  map[string][]time.Time
	steps  map[string]int64 // last TOTP step used per account
	max    int
	window time.Duration
	now    func() time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{fails: map[string][]time.Time{}, steps: map[string]int64{}, max: max, window: window, now: now}
}

func (l *limiter) recent(key string) []time.Time {
	cut := l.now().Add(-l.window)
	f := l.fails[key]
	i := 0
	for i < len(f) && f[i].Before(cut) {
		i++
	}
	f = f[i:]
	if len(f) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = f
	}
	return f
}

// locked reports whether key has reached max times the limit (an address
// is shared by many people: it gets a larger allowance than an account).
func (l *limiter) locked(key string, times int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key)) >= l.max*times
}

func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.fails[k] = append(l.recent(k), l.now())
	}
}

// useStep records that account signed in with the TOTP code of step, and
// reports false when that step (or a later one) was used already.
func (l *limiter) useStep(account string, step int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, ok := l.steps[account]; ok && step <= last {
		return false
	}
	l.steps[account] = step
	return true
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

// LoginRequest is the body of POST /api/v1/login.
type LoginRequest struct {
	Account  string `json:"account"`
	Password string `json:"password"`
	TOTP     string `json:"totp,omitempty"`
}

// LoginResult is what a successful sign-in returns; the session itself is
// in the cookie.
type LoginResult struct {
	Account string `json:"account"`
	Role    string `json:"role"`
	Officer string `json:"officer,omitempty"`
	CSRF    string `json:"csrf_token"`
}

// Login checks a password (and TOTP code for roles that can change custody)
// and starts a session. Failures are counted per account and per address;
// over the limit it answers rate_limited without checking anything.
func (s *Service) Login(ctx context.Context, client string, req LoginRequest) (*Session, *Principal, error) {
	ipKey, accKey := "ip:"+client, "account:"+req.Account
	if s.limiter.locked(accKey, 1) || s.limiter.locked(ipKey, 4) {
		return nil, nil, RateLimited()
	}
	bad := func() (*Session, *Principal, error) {
		s.limiter.fail(ipKey, accKey)
		return nil, nil, custody.Errorf(custody.EAuth, "", "cuenta, contraseña o código incorrectos", "wrong account, password or code")
	}
	p := s.principal(req.Account, "session")
	cred, err := s.creds.Credential(ctx, req.Account)
	if errors.Is(err, accounts.ErrNotFound) || p == nil {
		// Spend the same time as a real check, so that timing does not
		// tell which accounts exist.
		accounts.CheckPassword(dummyHash, req.Password)
		return bad()
	}
	if err != nil {
		return nil, nil, err
	}
	if !accounts.CheckPassword(cred.PasswordHash, req.Password) {
		return bad()
	}
	if domain.CustodyRoles[p.Role] || cred.TOTPSecret != "" {
		if cred.TOTPSecret == "" {
			return bad()
		}
		step, ok := accounts.MatchTOTP(cred.TOTPSecret, req.TOTP, s.now())
		if !ok || !s.limiter.useStep(p.Account, step) {
			return bad() // wrong, or replayed: a code signs in once
		}
	}
	s.limiter.reset(accKey)
	sess := s.Sessions.New(p.Account)
	p.Session = sess
	return sess, p, nil
}

// dummyHash is checked against for unknown accounts.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Rm9vYmFyYmF6Zm9vYmFyYmF6Zm9vYmFyYmF6Zm9vYmE"

// allowedCase reports whether a token's case list admits case c.
func (p *Principal) allowedCase(c string) bool {
	return len(p.Cases) == 0 || slices.Contains(p.Cases, c)
}

// tokenCache keeps token lookups for a few seconds, so that a busy client
// does not cost a database read per request. Revocation through this server
// drops the entry at once; through the CLI (another process) it takes
// effect within tokenTTL.
type tokenCache struct {
	mu sync.Mutex
	m  map[[32]byte]cachedToken
}

type cachedToken struct {
	tok accounts.Token
	at  time.Time
}

const tokenTTL = 5 * time.Second

func (c *tokenCache) get(ctx context.Context, store accounts.Store, hash [32]byte) (accounts.Token, error) {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[hash]; ok && now.Sub(e.at) < tokenTTL {
		c.mu.Unlock()
		return e.tok, nil
	}
	c.mu.Unlock()
	tok, err := store.TokenByHash(ctx, hash)
	if err != nil {
		return tok, err
	}
	c.mu.Lock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[hash] = cachedToken{tok, now}
	c.mu.Unlock()
	return tok, nil
}

func (c *tokenCache) forget(id string) {
	c.mu.Lock()
	for h, e := range c.m {
		if e.tok.ID == id {
			delete(c.m, h)
		}
	}
	c.mu.Unlock()
}

// TokenPrincipal is the principal of an API token's secret, as presented in
// an Authorization: Bearer header. An unknown, expired or revoked token, or
// one of a disabled account, is an unauthenticated error.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (*Principal, error) {
	hash, ok := accounts.HashToken(strings.TrimSpace(secret))
	if !ok {
		return nil, ErrUnauthenticated()
	}
	tok, err := s.tokens.get(ctx, s.creds, hash)
	if errors.Is(err, accounts.ErrNotFound) {
		return nil, ErrUnauthenticated()
	}
	if err != nil {
		return nil, err
	}
	if tok.Revoked || !s.now().Before(tok.ExpiresAt) {
		return nil, custody.Errorf(custody.EAuth, "", "el token expiró o fue revocado", "the token has expired or was revoked")
	}
	p := s.principal(tok.Account, tok.Scope)
	if p == nil {
		return nil, ErrUnauthenticated()
	}
	p.Cases = tok.Cases
	p.Expires = tok.ExpiresAt
	return p, nil
}

// SessionPrincipal is the principal of a live browser session, or nil (no
// such session, expired, or its account disabled: the session then ends).
func (s *Service) SessionPrincipal(id string) *Principal {
	sess := s.Sessions.Get(id)
	if sess == nil {
		return nil
	}
	p := s.principal(sess.Account, "session")
	if p == nil {
		s.Sessions.Delete(sess.ID)
		return nil
	}
	p.Session = sess
	return p
}

// ForgetToken drops a token from the lookup cache (on revocation), so that
// it stops working at once on this server.
func (s *Service) ForgetToken(id string) { s.tokens.forget(id) }

// ReloadAccounts rebuilds the snapshot of active accounts from the state.
func (s *Service) ReloadAccounts() { s.loadAccounts() }

// PrincipalOf is the principal of an active account with a credential's
// scope, or nil.
func (s *Service) PrincipalOf(account, scope string) *Principal { return s.principal(account, scope) }
