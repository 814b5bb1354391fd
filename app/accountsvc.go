package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// Appender appends records in one transaction and returns the first
// refusal; each record is accepted or refused on its own (ledger.Append).
// The server's is its group committer; the CLI's calls the ledger directly.
type Appender func(ctx context.Context, recs []ledger.Record) error

// LedgerAppender appends through l.Append, recorded by recordedBy at now.
func LedgerAppender(l *ledger.Ledger, recordedBy string, now func() time.Time) Appender {
	return func(ctx context.Context, recs []ledger.Record) error {
		at := now().UTC().Format(time.RFC3339Nano)
		for i := range recs {
			recs[i].Recorded = custody.Recorded{At: at, Account: recordedBy}
		}
		res, _, err := l.Append(ctx, recs)
		return firstError(res, err)
	}
}

// NewAccount is the result of CreateAccount: the secrets to hand to the
// person, once. Never log it.
type NewAccount struct {
	Account    string `json:"account"`
	Role       string `json:"role"`
	Officer    string `json:"officer,omitempty"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret,omitempty"`
}

// CreateAccount records account.create and account.credential events and
// stores a fresh one-time password (and a TOTP secret for roles that can
// change custody). The events go first: a rejected account leaves no secret
// behind, and no existing account's secret is overwritten.
func CreateAccount(ctx context.Context, app Appender, creds accounts.Store, now func() time.Time, rec domain.AccountCreate) (*NewAccount, error) {
	return createAccount(ctx, app, creds, now, rec, accounts.HashPassword)
}

// CreateAccount is the package's CreateAccount as p, through the server's
// committer, with the password hashed in one of the server's hash slots
// (hashGate).
func (s *Service) CreateAccount(ctx context.Context, p *Principal, rec domain.AccountCreate) (*NewAccount, error) {
	app := func(ctx context.Context, recs []ledger.Record) error {
		_, err := s.Append(ctx, p, recs...)
		return err
	}
	return createAccount(ctx, app, s.creds, s.now, rec, s.hashPassword(ctx))
}

// hashPassword is accounts.HashPassword in one of the server's hash slots.
func (s *Service) hashPassword(ctx context.Context) func(string) (string, error) {
	return func(password string) (hash string, err error) {
		if gerr := s.hashes.run(ctx, func() { hash, err = accounts.HashPassword(password) }); gerr != nil {
			return "", gerr
		}
		return hash, err
	}
}

func createAccount(ctx context.Context, app Appender, creds accounts.Store, now func() time.Time, rec domain.AccountCreate, hash func(string) (string, error)) (*NewAccount, error) {
	if err := domain.ValidateSystem(&rec); err != nil {
		return nil, err
	}
	pw, err := accounts.NewPassword()
	if err != nil {
		return nil, err
	}
	out := &NewAccount{Account: rec.Account, Role: rec.Role, Officer: rec.Officer, Password: pw}
	if SecondFactorRole(rec.Role) {
		if out.TOTPSecret, err = accounts.NewTOTPSecret(); err != nil {
			return nil, err
		}
	}
	cred, credRecs, err := newCredential(rec.Account, pw, out.TOTPSecret, true, now, hash)
	if err != nil {
		return nil, err
	}
	// The account first, alone: records of one append are accepted or
	// refused one by one, and a refused account (a duplicate) must not let
	// its credential events through onto the existing account.
	if err := app(ctx, []ledger.Record{{Op: domain.OpAccountCreate, Rec: &rec}}); err != nil {
		return nil, err
	}
	if err := app(ctx, credRecs); err != nil {
		return nil, err
	}
	if err := creds.PutCredential(ctx, cred); err != nil {
		return nil, err
	}
	return out, nil
}

// newCredential hashes a password and returns the credentials row to store
// and the events that log its change: a password change, and a totp one
// when there is a secret, each with the row's commitment. A generated
// password is logged as one to change (mustChange): someone other than its
// holder saw it.
func newCredential(account, password, totp string, mustChange bool, now func() time.Time, hashPassword func(string) (string, error)) (accounts.Credential, []ledger.Record, error) {
	hash, err := hashPassword(password)
	if err != nil {
		return accounts.Credential{}, nil, err
	}
	cred := accounts.Credential{Account: account, PasswordHash: hash, TOTPSecret: totp, UpdatedAt: now().UTC().Format(time.RFC3339Nano)}
	commit := accounts.CredentialHex(cred)
	recs := []ledger.Record{{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: account, Kind: "password", Commitment: commit, MustChange: mustChange}}}
	if totp != "" {
		recs = append(recs, ledger.Record{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: account, Kind: "totp", Commitment: commit}})
	}
	return cred, recs, nil
}

// SecondFactorRole reports whether accounts of a role must sign in with a
// TOTP code: every role that can change custody, and administrators, who
// can create accounts and grant access.
func SecondFactorRole(role string) bool { return domain.CustodyRoles[role] || role == "admin" }

// ResetCredentials gives an account a fresh one-time password, and a fresh
// TOTP secret when its role needs one (SecondFactorRole): for an operator
// with the data directory, when a user lost them. Both changes are logged;
// the account's sessions and tokens should be ended by the caller's server
// (a running server ends them when it sees the logged change).
func ResetCredentials(ctx context.Context, app Appender, creds accounts.Store, now func() time.Time, account, role string) (*NewAccount, error) {
	pw, err := accounts.NewPassword()
	if err != nil {
		return nil, err
	}
	out := &NewAccount{Account: account, Role: role, Password: pw}
	if SecondFactorRole(role) {
		if out.TOTPSecret, err = accounts.NewTOTPSecret(); err != nil {
			return nil, err
		}
	}
	cred, recs, err := newCredential(account, pw, out.TOTPSecret, true, now, accounts.HashPassword)
	if err != nil {
		return nil, err
	}
	if err := app(ctx, recs); err != nil {
		return nil, err
	}
	if err := creds.PutCredential(ctx, cred); err != nil {
		return nil, err
	}
	return out, nil
}

// TokenRequest asks for an API token.
type TokenRequest struct {
	Scope    string   `json:"scope"`               // read | write
	Cases    []string `json:"cases,omitempty"`     // restrict to these cases
	TTLHours int64    `json:"ttl_hours,omitempty"` // default 720 (30 days), at most 8760
}

// IssuedToken is a new token: the secret is shown once.
type IssuedToken struct {
	ID        string   `json:"id"`
	Token     string   `json:"token"`
	Account   string   `json:"account"`
	Scope     string   `json:"scope"`
	Cases     []string `json:"cases"`
	ExpiresAt string   `json:"expires_at"`
}

// IssueToken records account.credential (token_issued) and stores the new
// token's hash.
func IssueToken(ctx context.Context, app Appender, creds accounts.Store, now func() time.Time, account string, req TokenRequest) (*IssuedToken, error) {
	if req.Scope != "read" && req.Scope != "write" {
		return nil, custody.Errorf(custody.EInvalid, "scope", "debe ser read o write", "must be read or write")
	}
	if req.TTLHours == 0 {
		req.TTLHours = 720
	}
	if req.TTLHours < 1 || req.TTLHours > 8760 {
		return nil, custody.Errorf(custody.EInvalid, "ttl_hours", "debe estar entre 1 y 8760", "must be between 1 and 8760")
	}
	if len(req.Cases) > 100 {
		return nil, custody.Errorf(custody.EInvalid, "cases", "más de 100 casos", "more than 100 cases")
	}
	for _, c := range req.Cases {
		if !casefile.ValidID(c) {
			return nil, custody.Errorf(custody.EInvalid, "cases", "%q no es un identificador válido", "%q is not a valid id", c)
		}
	}
	secret, id, hash, err := accounts.NewToken()
	if err != nil {
		return nil, err
	}
	t := now().UTC()
	tok := accounts.Token{ID: id, Hash: hash, Account: account, Scope: req.Scope, Cases: append([]string{}, req.Cases...), ExpiresAt: t.Add(time.Duration(req.TTLHours) * time.Hour), CreatedAt: t}
	if err := app(ctx, []ledger.Record{{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: account, Kind: "token_issued", Token: id, Commitment: accounts.TokenHex(tok)}}}); err != nil {
		return nil, err
	}
	if err := creds.AddToken(ctx, tok); err != nil {
		return nil, err
	}
	return &IssuedToken{ID: id, Token: secret, Account: account, Scope: tok.Scope, Cases: tok.Cases, ExpiresAt: tok.ExpiresAt.Format(time.RFC3339)}, nil
}

// WithinMinter refuses a token wider (scope, cases) or longer-lived than
// the token that asks for it. A browser session is bounded only by
// IssueToken's own limits.
func WithinMinter(p *Principal, req TokenRequest, now time.Time) error {
	if p.Session != nil || p.Scope == "session" {
		return nil
	}
	if req.Scope == "write" && p.Scope != "write" {
		return custody.Errorf(custody.EForbidden, "scope", "un token no puede crear otro más amplio", "a token cannot mint a wider one")
	}
	if len(p.Cases) > 0 {
		if len(req.Cases) == 0 {
			return custody.Errorf(custody.EForbidden, "cases", "un token limitado a casos no puede crear uno sin límite", "a case-scoped token cannot mint an unscoped one")
		}
		for _, c := range req.Cases {
			if !slices.Contains(p.Cases, c) {
				return custody.Errorf(custody.EForbidden, "cases", "el caso %q está fuera del token", "case %q is outside the token", c)
			}
		}
	}
	ttl := req.TTLHours
	if ttl == 0 {
		ttl = 720
	}
	if !p.Expires.IsZero() && now.Add(time.Duration(ttl)*time.Hour).After(p.Expires) {
		return custody.Errorf(custody.EForbidden, "ttl_hours", "no puede durar más que el token que lo crea (%s)", "cannot outlive the token that mints it (%s)", p.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// MinPasswordLen is the shortest password accepted on a change.
const MinPasswordLen = 12

// MinPasswordDistinct is how many different characters a chosen password
// must have: twelve of one letter ("aaaaaaaaaaaa") is twelve bytes long
// and guessed first.
const MinPasswordDistinct = 5

// CheckNewPassword is the policy of a chosen password: 12 to 1024 bytes,
// at least MinPasswordDistinct different characters, not the current one
// (old), and typed the same twice (confirm; pass new itself when there is
// no second copy).
func CheckNewPassword(old, new, confirm string) error {
	if len(new) < MinPasswordLen || len(new) > 1024 {
		return Invalid("new", "la contraseña nueva debe tener entre 12 y 1024 bytes", "the new password must be 12 to 1024 bytes long")
	}
	distinct := map[rune]bool{}
	for _, r := range new {
		distinct[r] = true
	}
	if len(distinct) < MinPasswordDistinct {
		return Invalid("new", fmt.Sprintf("la contraseña nueva repite demasiado: use al menos %d caracteres distintos", MinPasswordDistinct),
			fmt.Sprintf("the new password repeats too much: use at least %d different characters", MinPasswordDistinct))
	}
	if new != confirm {
		return Invalid("confirm", "las dos copias de la contraseña nueva no coinciden", "the two copies of the new password differ")
	}
	if new == old {
		return Invalid("new", "la contraseña nueva debe ser distinta de la actual", "the new password must differ from the current one")
	}
	return nil
}

// SetPassword stores a password its holder chose and logs the change
// (without the must-change mark), keeping the account's TOTP secret. The
// caller has checked who asks (ChangePassword checks the current
// password); the server's sessions are the caller's to end.
func SetPassword(ctx context.Context, app Appender, creds accounts.Store, now func() time.Time, account, password string) error {
	return setPassword(ctx, app, creds, now, account, password, accounts.HashPassword)
}

func setPassword(ctx context.Context, app Appender, creds accounts.Store, now func() time.Time, account, password string, hash func(string) (string, error)) error {
	cred, err := creds.Credential(ctx, account)
	if err != nil {
		return err
	}
	if cred.PasswordHash, err = hash(password); err != nil {
		return err
	}
	cred.UpdatedAt = now().UTC().Format(time.RFC3339Nano)
	if err := app(ctx, []ledger.Record{{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: account, Kind: "password", Commitment: accounts.CredentialHex(cred)}}}); err != nil {
		return err
	}
	return creds.PutCredential(ctx, cred)
}

// ChangePassword replaces p's password after checking the current one and
// the policy (CheckNewPassword; confirm is the second copy). Wrong current
// passwords count against the account's limit, as wrong sign-ins do. The
// change is recorded in the log (without the secret, and clearing a
// must-change mark) before the new hash is stored; then every other
// session of the account ends and its tokens are revoked.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, old, new, confirm string) error {
	if err := CheckNewPassword(old, new, confirm); err != nil {
		return err
	}
	key := "password-change:" + p.Account
	if s.limiter.locked(key) {
		return RateLimited()
	}
	cred, err := s.creds.Credential(ctx, p.Account)
	if err != nil {
		return err
	}
	var match bool
	if err := s.hashes.run(ctx, func() { match = accounts.CheckPassword(cred.PasswordHash, old) }); err != nil {
		return err
	}
	if !match {
		s.limiter.fail(key)
		return Invalid("old", "la contraseña actual no es correcta", "the current password is wrong")
	}
	app := func(ctx context.Context, recs []ledger.Record) error {
		_, err := s.Append(ctx, p, recs...)
		return err
	}
	if err := setPassword(ctx, app, s.creds, s.now, p.Account, new, s.hashPassword(ctx)); err != nil {
		return err
	}
	p.MustChangePassword = false
	// Whoever else holds this account's sessions or tokens may have had the
	// old password: a change ends them all but the session that made it.
	keep := ""
	if p.Session != nil {
		keep = p.Session.ID
	}
	s.Sessions.DeleteAccountExcept(p.Account, keep)
	return s.RevokeTokens(ctx, p, p.Account)
}

// RevokeTokens revokes every live token of account, each logged as a
// token_revoked change recorded by p.
func (s *Service) RevokeTokens(ctx context.Context, p *Principal, account string) error {
	toks, err := s.creds.Tokens(ctx, account)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.Revoked || t.Account != account {
			continue
		}
		if err := s.RevokeToken(ctx, p, account, t.ID); err != nil {
			return err
		}
	}
	return nil
}

// RevokeToken logs a token's revocation as p, then revokes it in the store
// and in this server's cache, and ends the streams it opened.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, owner, id string) error {
	rec, err := RevokedTokenRecord(ctx, s.creds, owner, id)
	if err != nil {
		return err
	}
	if _, err := s.Append(ctx, p, rec); err != nil {
		return err
	}
	// The store first, then the cache: a lookup between the two would
	// otherwise cache the token as still valid.
	if err := s.creds.RevokeToken(ctx, id); err != nil {
		if errors.Is(err, accounts.ErrNotFound) {
			return NotFound()
		}
		return err
	}
	s.tokens.forget(id)
	s.bumpAccess()
	return nil
}

// RevokedTokenRecord is the account.credential event of a token's
// revocation, with the commitment of its row once revoked.
func RevokedTokenRecord(ctx context.Context, creds accounts.Store, owner, id string) (ledger.Record, error) {
	toks, err := creds.Tokens(ctx, owner)
	if err != nil {
		return ledger.Record{}, err
	}
	for _, t := range toks {
		if t.ID == id {
			t.Revoked = true
			return ledger.Record{Op: domain.OpAccountCredential, Rec: &domain.AccountCredential{Account: owner, Kind: "token_revoked", Token: id, Commitment: accounts.TokenHex(t)}}, nil
		}
	}
	return ledger.Record{}, NotFound()
}
