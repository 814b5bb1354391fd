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
	// MustChangePassword: the account's password was generated (the log
	// marks it so) and not yet changed; a session may then do nothing but
	// change it (PasswordChangePending).
	MustChangePassword bool
	// tokenHash identifies the token a principal signed in with, so that
	// a long-lived request can check that it was not revoked since.
	tokenHash [32]byte
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
	mu    sync.Mutex
	m     map[string]*Session
	ttl   time.Duration
	now   func() time.Time
	onEnd func() // called after sessions end
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
	ss.ended()
}

// ended tells the service that sessions ended (see Service.AccessChanged).
func (ss *Sessions) ended() {
	if ss.onEnd != nil {
		ss.onEnd()
	}
}

// DeleteAccount ends every session of an account (on disable).
func (ss *Sessions) DeleteAccount(account string) { ss.DeleteAccountExcept(account, "") }

// DeleteAccountExcept ends every session of an account but keep (on a
// password change, the session that made it).
func (ss *Sessions) DeleteAccountExcept(account, keep string) {
	ss.mu.Lock()
	for id, s := range ss.m {
		if s.Account == account && id != keep {
			delete(ss.m, id)
		}
	}
	ss.mu.Unlock()
	ss.ended()
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

// EPasswordChange is the error code of a request refused because the
// account must first change its generated password (HTTP 403).
const EPasswordChange = "password_change_required"

// PasswordChangePending refuses whatever a session does while its
// account's password is one to change (a generated one that someone else
// saw), except the change itself, which the doors route around it. A
// token is a credential its owner was handed on purpose and is not held
// back.
func (p *Principal) PasswordChangePending() *custody.Error {
	if p == nil || !p.MustChangePassword || p.Session == nil {
		return nil
	}
	return &custody.Error{Code: EPasswordChange, Field: "password",
		Message:   "cambie primero la contraseña que se le entregó: es de un solo uso",
		MessageEN: "first change the password you were given: it is for one use only"}
}

// loadAccounts rebuilds the accounts snapshot from the state: at start and
// after every commit that created or disabled an account.
func (s *Service) loadAccounts() {
	m := map[string]Principal{}
	s.l.View(func(st *domain.State) error {
		for id, a := range st.Accounts {
			if !a.Disabled {
				m[id] = Principal{Account: a.Account, Role: a.Role, Officer: a.Officer, MustChangePassword: a.MustChangePassword}
			}
		}
		return nil
	})
	s.accounts.Store(&m)
}

// limiter counts sign-in attempts, in memory. An attempt is counted before
// the password is checked (reserve), under one lock, so that parallel
// requests cannot slip past the limit; a successful sign-in gives its
// attempt back. Two kinds of key:
//   - account and client together ("acct:A|ip:X"): refused over the limit
//     within the window. An attacker's failures lock out only the
//     attacker's own address for that account, never the account itself,
//     and never everyone behind one proxy.
//   - account alone, and client alone: never refused, but each failure past
//     the limit makes the next attempt wait longer (Service.loginDelay), so
//     that guessing from many addresses, or spraying many accounts from
//     one, stays slow.
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

// reserve counts an attempt on every key unless limited, the first key,
// has reached the limit; it reports whether the attempt may go ahead, and
// the largest number of recent attempts of the other keys (for the delay).
func (l *limiter) reserve(limited string, counted ...string) (ok bool, others int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recent(limited)) >= l.max {
		return false, 0
	}
	at := l.now()
	l.fails[limited] = append(l.fails[limited], at)
	for _, k := range counted {
		others = max(others, len(l.recent(k)))
		l.fails[k] = append(l.fails[k], at)
	}
	return true, others
}

// release gives back the newest attempt of each key (a successful sign-in).
func (l *limiter) release(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		if f := l.recent(k); len(f) > 0 {
			l.fails[k] = f[:len(f)-1]
		}
	}
}

// locked reports whether key has reached the limit.
func (l *limiter) locked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key)) >= l.max
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
	// PasswordChangeRequired: the password was generated; the session may
	// do nothing but change it.
	PasswordChangeRequired bool `json:"password_change_required,omitempty"`
}

// maxLoginDelay bounds the wait that repeated failures add to a sign-in.
const maxLoginDelay = 8 * time.Second

// loginDelay is the wait before checking a password after n recent
// failures of the account (or of the client): none up to the limit, then
// doubling from a quarter second, at most maxLoginDelay.
func (s *Service) loginDelay(n int) time.Duration {
	over := n - s.cfg.LoginFailures
	if over < 0 {
		return 0
	}
	d := 250 * time.Millisecond << min(over, 10)
	return min(d, maxLoginDelay)
}

func loginKeys(account, client string) (pair, acct, ip string) {
	return "acct:" + account + "|ip:" + client, "acct:" + account, "ip:" + client
}

func wrongLogin() *custody.Error {
	return custody.Errorf(custody.EAuth, "", "cuenta, contraseña o código incorrectos", "wrong account, password or code")
}

// Login checks a password, and the TOTP code for roles that can change
// custody and for every account that has one, and starts a session. It is
// the JSON API's one-step sign-in; the pages use BeginLogin and
// FinishLogin, so that the password never travels back to the browser.
func (s *Service) Login(ctx context.Context, client string, req LoginRequest) (*Session, *Principal, error) {
	p, cred, err := s.checkPassword(ctx, client, req.Account, req.Password)
	if err != nil {
		return nil, nil, err
	}
	if needsTOTP(p, cred) {
		if err := s.checkTOTP(p, cred, req.TOTP); err != nil {
			return nil, nil, err
		}
	}
	return s.startSession(p, client)
}

// needsTOTP reports whether a sign-in as p needs a second factor: every
// role that can change custody, administrators, and any account that has
// one set up.
func needsTOTP(p *Principal, cred accounts.Credential) bool {
	return SecondFactorRole(p.Role) || cred.TOTPSecret != ""
}

// checkPassword counts the attempt (refusing it over the limit for this
// account and client, delaying it after many failures of the account or
// client), then checks the password. Unknown accounts take the same time
// and get the same answer as a wrong password.
func (s *Service) checkPassword(ctx context.Context, client, account, password string) (*Principal, accounts.Credential, error) {
	// The client's attempts under way are bounded first, waits included:
	// the delay below holds a request, and many held requests released
	// together must not all hash at once.
	leave, err := s.hashes.enter(client)
	if err != nil {
		return nil, accounts.Credential{}, err
	}
	defer leave()
	pair, acct, ip := loginKeys(account, client)
	ok, n := s.limiter.reserve(pair, acct, ip)
	if !ok {
		return nil, accounts.Credential{}, RateLimited()
	}
	if d := s.loginDelay(n); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, accounts.Credential{}, ctx.Err()
		}
	}
	p := s.principal(account, "session")
	cred, err := s.creds.Credential(ctx, account)
	if errors.Is(err, accounts.ErrNotFound) || (err == nil && p == nil) {
		// Spend the same time as a real check, so that timing does not
		// tell which accounts exist; in a slot like any other.
		if err := s.hashes.run(ctx, func() { accounts.CheckPassword(dummyHash, password) }); err != nil {
			return nil, cred, err
		}
		return nil, cred, wrongLogin()
	}
	if err != nil {
		return nil, cred, err
	}
	var match bool
	if err := s.hashes.run(ctx, func() { match = accounts.CheckPassword(cred.PasswordHash, password) }); err != nil {
		return nil, cred, err
	}
	if !match {
		return nil, cred, wrongLogin()
	}
	if !s.credentialLogged(cred) {
		return nil, cred, wrongLogin()
	}
	return p, cred, nil
}

// credentialLogged reports whether a credentials row is the one the log
// last recorded for its account (accounts.CredentialHex). A row swapped in
// behind the log's back (a known password hash copied onto someone else's
// account) signs nobody in, and the attempt is logged as an alert. Rows
// from before the log recorded commitments pass.
func (s *Service) credentialLogged(c accounts.Credential) bool {
	matches := func() bool {
		var logged string
		s.l.View(func(st *domain.State) error { logged = st.Credentials[c.Account]; return nil })
		return logged == "" || logged == accounts.CredentialHex(c)
	}
	if matches() || s.refreshed() && matches() {
		return true
	}
	s.log.Error("sign-in refused: the account's credentials differ from those the log recorded (changed outside Custodia)", "account", c.Account)
	return false
}

// refreshed reads what other processes committed to the log (another
// server, or the command line beside this one) and reports whether it
// could: a credential or token they recorded a moment ago is in a row
// before this server has read its event, and must not read as one changed
// behind the log's back.
func (s *Service) refreshed() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.l.Refresh(ctx) == nil
}

// tokenLogged reports whether a stored token is one the log issued, as the
// log last recorded it (owner, scope, cases, expiry, revocation).
func (s *Service) tokenLogged(t accounts.Token) bool {
	matches := func() bool {
		var logged domain.TokenCommitment
		var ok bool
		s.l.View(func(st *domain.State) error { logged, ok = st.Tokens[t.ID]; return nil })
		return ok && logged.Account == t.Account && (logged.Commitment == "" || logged.Commitment == accounts.TokenHex(t))
	}
	if matches() || s.refreshed() && matches() {
		return true
	}
	s.log.Error("token refused: not issued through the log, or changed outside Custodia", "token", t.ID)
	return false
}

// checkTOTP checks a second-factor code; a code signs in once.
func (s *Service) checkTOTP(p *Principal, cred accounts.Credential, code string) error {
	if cred.TOTPSecret == "" {
		return wrongLogin() // a role that needs one, without one: no way in
	}
	step, ok := accounts.MatchTOTP(cred.TOTPSecret, code, s.now())
	if !ok || !s.limiter.useStep(p.Account, step) {
		// The attempt counted when the password was checked stays
		// counted: a wrong code costs as much as a wrong password.
		return wrongLogin()
	}
	return nil
}

func (s *Service) startSession(p *Principal, client string) (*Session, *Principal, error) {
	pair, acct, ip := loginKeys(p.Account, client)
	s.limiter.release(pair, acct, ip)
	sess := s.Sessions.New(p.Account)
	p.Session = sess
	return sess, p, nil
}

// A pendingLogin is a sign-in whose password was right and whose second
// factor is awaited. It lives on the server for pendingTTL, is bound to the
// client that started it, and is used once.
type pendingLogin struct {
	account string
	client  string
	expires time.Time
}

const pendingTTL = 5 * time.Minute

// BeginLogin is the pages' first step. With a right password it either
// starts the session (no second factor needed) or returns the id of a
// pending sign-in for FinishLogin; the password is not needed again.
func (s *Service) BeginLogin(ctx context.Context, client, account, password string) (sess *Session, pending string, err error) {
	p, cred, err := s.checkPassword(ctx, client, account, password)
	if err != nil {
		return nil, "", err
	}
	if !needsTOTP(p, cred) {
		sess, _, err := s.startSession(p, client)
		return sess, "", err
	}
	id := randomString(32)
	s.pendingMu.Lock()
	now := s.now()
	for k, pl := range s.pending {
		if now.After(pl.expires) {
			delete(s.pending, k)
		}
	}
	if len(s.pending) < 10000 {
		s.pending[id] = pendingLogin{account: p.Account, client: client, expires: now.Add(pendingTTL)}
	}
	s.pendingMu.Unlock()
	return nil, id, nil
}

// PendingAccount is the account of a live pending sign-in, for the page
// that asks for its code; "" when there is none.
func (s *Service) PendingAccount(id, client string) string {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	pl, ok := s.pending[id]
	if !ok || pl.client != client || s.now().After(pl.expires) {
		return ""
	}
	return pl.account
}

// FinishLogin is the pages' second step: the TOTP code of a pending
// sign-in. The pending sign-in is used up whatever the outcome; an expired
// or unknown one is a wrong sign-in.
func (s *Service) FinishLogin(ctx context.Context, client, pending, code string) (*Session, error) {
	s.pendingMu.Lock()
	pl, ok := s.pending[pending]
	delete(s.pending, pending)
	s.pendingMu.Unlock()
	if !ok || pl.client != client || s.now().After(pl.expires) {
		return nil, custody.Errorf(custody.EAuth, "", "el ingreso expiró; empiece de nuevo", "the sign-in expired; start again")
	}
	pair, _, _ := loginKeys(pl.account, client)
	if s.limiter.locked(pair) {
		return nil, RateLimited()
	}
	p := s.principal(pl.account, "session")
	if p == nil {
		return nil, wrongLogin()
	}
	cred, err := s.creds.Credential(ctx, pl.account)
	if err != nil || !s.credentialLogged(cred) {
		return nil, wrongLogin()
	}
	if err := s.checkTOTP(p, cred, code); err != nil {
		return nil, err
	}
	sess, _, err := s.startSession(p, client)
	return sess, err
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
	return s.tokenPrincipal(ctx, hash)
}

func (s *Service) tokenPrincipal(ctx context.Context, hash [32]byte) (*Principal, error) {
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
	if !s.tokenLogged(tok) {
		return nil, ErrUnauthenticated()
	}
	p := s.principal(tok.Account, tok.Scope)
	if p == nil {
		return nil, ErrUnauthenticated()
	}
	p.Cases = tok.Cases
	p.Expires = tok.ExpiresAt
	p.tokenHash = hash
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
