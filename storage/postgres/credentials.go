package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custodia-ec/custodia/accounts"
)

// Credentials returns the store of sign-in secrets kept in the same
// database, outside the log and the projection (tables credentials and
// api_tokens of migration 001): every server sharing the database signs
// the same people in.
func (s *Store) Credentials() accounts.Store { return &Credentials{q: s.pool} }

// Credentials implements accounts.Store on the deployment's database.
type Credentials struct{ q querier }

var _ accounts.Store = (*Credentials)(nil)

// PutCredential inserts or replaces an account's credential.
func (c *Credentials) PutCredential(ctx context.Context, cr accounts.Credential) error {
	_, err := c.q.Exec(ctx, `INSERT INTO credentials(account, password_hash, totp_secret, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (account) DO UPDATE SET password_hash = excluded.password_hash, totp_secret = excluded.totp_secret, updated_at = excluded.updated_at`,
		cr.Account, cr.PasswordHash, cr.TOTPSecret, cr.UpdatedAt)
	if err != nil {
		return fmt.Errorf("postgres: credential of %s: %w", cr.Account, err)
	}
	return nil
}

// Credential returns an account's credential.
func (c *Credentials) Credential(ctx context.Context, account string) (accounts.Credential, error) {
	cr := accounts.Credential{Account: account}
	err := c.q.QueryRow(ctx, `SELECT password_hash, totp_secret, updated_at FROM credentials WHERE account = $1`, account).
		Scan(&cr.PasswordHash, &cr.TOTPSecret, &cr.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return cr, accounts.ErrNotFound
	}
	if err != nil {
		return cr, fmt.Errorf("postgres: credential of %s: %w", account, err)
	}
	return cr, nil
}

// AddToken stores a new token.
func (c *Credentials) AddToken(ctx context.Context, t accounts.Token) error {
	cases, _ := json.Marshal(append([]string{}, t.Cases...))
	_, err := c.q.Exec(ctx, `INSERT INTO api_tokens(id, hash, account, scope, cases, expires_at, revoked, created_at) VALUES ($1, $2, $3, $4, $5, $6, false, $7)`,
		t.ID, t.Hash[:], t.Account, t.Scope, string(cases), t.ExpiresAt.UTC().Format(time.RFC3339Nano), t.CreatedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("postgres: token %s: %w", t.ID, err)
	}
	return nil
}

const tokenCols = `id, hash, account, scope, cases, expires_at, revoked, created_at`

func scanToken(row pgx.Row) (accounts.Token, error) {
	var t accounts.Token
	var hash []byte
	var cases, exp, created string
	if err := row.Scan(&t.ID, &hash, &t.Account, &t.Scope, &cases, &exp, &t.Revoked, &created); err != nil {
		return t, err
	}
	copy(t.Hash[:], hash)
	if err := json.Unmarshal([]byte(cases), &t.Cases); err != nil {
		return t, fmt.Errorf("postgres: token %s: cases: %w", t.ID, err)
	}
	var err error
	if t.ExpiresAt, err = time.Parse(time.RFC3339Nano, exp); err != nil {
		return t, fmt.Errorf("postgres: token %s: expires_at: %w", t.ID, err)
	}
	if t.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return t, fmt.Errorf("postgres: token %s: created_at: %w", t.ID, err)
	}
	return t, nil
}

// TokenByHash finds a token by the hash of its secret.
func (c *Credentials) TokenByHash(ctx context.Context, hash [32]byte) (accounts.Token, error) {
	t, err := scanToken(c.q.QueryRow(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = $1`, hash[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, accounts.ErrNotFound
	}
	return t, err
}

// Tokens lists an account's tokens ("" for every account), newest first.
func (c *Credentials) Tokens(ctx context.Context, account string) ([]accounts.Token, error) {
	rows, err := c.q.Query(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE $1 = '' OR account = $1 ORDER BY created_at DESC, id`, account)
	if err != nil {
		return nil, fmt.Errorf("postgres: tokens: %w", err)
	}
	defer rows.Close()
	var out []accounts.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by its public id.
func (c *Credentials) RevokeToken(ctx context.Context, id string) error {
	tag, err := c.q.Exec(ctx, `UPDATE api_tokens SET revoked = true WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return accounts.ErrNotFound
	}
	return nil
}

// AllCredentials lists every stored credential, by account, for audit
// (see accounts.Store).
func (c *Credentials) AllCredentials(ctx context.Context) ([]accounts.Credential, error) {
	rows, err := c.q.Query(ctx, `SELECT account, password_hash, totp_secret, updated_at FROM credentials ORDER BY account`)
	if err != nil {
		return nil, fmt.Errorf("postgres: credentials: %w", err)
	}
	defer rows.Close()
	var out []accounts.Credential
	for rows.Next() {
		var cr accounts.Credential
		if err := rows.Scan(&cr.Account, &cr.PasswordHash, &cr.TOTPSecret, &cr.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, cr)
	}
	return out, rows.Err()
}
