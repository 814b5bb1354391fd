package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/custodia-ec/custodia/accounts"
)

// Credentials returns the store of sign-in secrets kept in the same
// database, outside the log and the projection (migration 002).
func (s *Store) Credentials() accounts.Store { return &Credentials{db: s.db} }

// Credentials implements accounts.Store on the deployment's database.
type Credentials struct{ db *sql.DB }

var _ accounts.Store = (*Credentials)(nil)

// PutCredential inserts or replaces an account's credential.
func (c *Credentials) PutCredential(ctx context.Context, cr accounts.Credential) error {
	_, err := c.db.ExecContext(ctx, `INSERT OR REPLACE INTO credentials(account, password_hash, totp_secret, updated_at) VALUES (?, ?, ?, ?)`,
		cr.Account, cr.PasswordHash, cr.TOTPSecret, cr.UpdatedAt)
	if err != nil {
		return fmt.Errorf("sqlite: credential of %s: %w", cr.Account, err)
	}
	return nil
}

// Credential returns an account's credential.
func (c *Credentials) Credential(ctx context.Context, account string) (accounts.Credential, error) {
	cr := accounts.Credential{Account: account}
	err := c.db.QueryRowContext(ctx, `SELECT password_hash, totp_secret, updated_at FROM credentials WHERE account = ?`, account).
		Scan(&cr.PasswordHash, &cr.TOTPSecret, &cr.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return cr, accounts.ErrNotFound
	}
	return cr, err
}

// AddToken stores a new token.
func (c *Credentials) AddToken(ctx context.Context, t accounts.Token) error {
	cases, _ := json.Marshal(append([]string{}, t.Cases...))
	_, err := c.db.ExecContext(ctx, `INSERT INTO api_tokens(id, hash, account, scope, cases, expires_at, revoked, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
		t.ID, t.Hash[:], t.Account, t.Scope, string(cases), t.ExpiresAt.UTC().Format(time.RFC3339Nano), t.CreatedAt.UTC().Format(time.RFC3339Nano))
	return err
}

const tokenCols = `id, hash, account, scope, cases, expires_at, revoked, created_at`

func scanToken(row interface{ Scan(...any) error }) (accounts.Token, error) {
	var t accounts.Token
	var hash []byte
	var cases, exp, created string
	var revoked int64
	if err := row.Scan(&t.ID, &hash, &t.Account, &t.Scope, &cases, &exp, &revoked, &created); err != nil {
		return t, err
	}
	copy(t.Hash[:], hash)
	if err := json.Unmarshal([]byte(cases), &t.Cases); err != nil {
		return t, fmt.Errorf("sqlite: token %s: cases: %w", t.ID, err)
	}
	t.Revoked = revoked != 0
	var err error
	if t.ExpiresAt, err = time.Parse(time.RFC3339Nano, exp); err != nil {
		return t, err
	}
	t.CreatedAt, err = time.Parse(time.RFC3339Nano, created)
	return t, err
}

// TokenByHash finds a token by the hash of its secret.
func (c *Credentials) TokenByHash(ctx context.Context, hash [32]byte) (accounts.Token, error) {
	t, err := scanToken(c.db.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return t, accounts.ErrNotFound
	}
	return t, err
}

// Tokens lists an account's tokens ("" for every account), newest first.
func (c *Credentials) Tokens(ctx context.Context, account string) ([]accounts.Token, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE ? = '' OR account = ? ORDER BY created_at DESC`, account, account)
	if err != nil {
		return nil, err
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
	res, err := c.db.ExecContext(ctx, `UPDATE api_tokens SET revoked = 1 WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return accounts.ErrNotFound
	}
	return nil
}

// AllCredentials lists every stored credential, by account, so that audit
// can recompute each row's commitment (accounts.CredentialCommitment) and
// name the accounts whose row differs from what the log recorded.
func (c *Credentials) AllCredentials(ctx context.Context) ([]accounts.Credential, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT account, password_hash, totp_secret, updated_at FROM credentials ORDER BY account`)
	if err != nil {
		return nil, err
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
