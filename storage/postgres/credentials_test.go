package postgres

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/storage/postgres/pgtest"
)

// The sign-in store on PostgreSQL keeps accounts.Store's contract: rows
// round-trip, a second PutCredential replaces, missing things are
// ErrNotFound, tokens list newest first and revoke, and a row edited
// behind the store shows in AllCredentials' commitment.
func TestCredentials(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, pgtest.NewDatabase(t))
	cs := s.Credentials()
	if _, err := cs.Credential(ctx, "nadie"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("Credential of a missing account: %v, want ErrNotFound", err)
	}
	a := accounts.Credential{Account: "fiscal1", PasswordHash: "$argon2id$a", TOTPSecret: "JBSWY3DPEHPK3PXP", UpdatedAt: "2026-01-01T00:00:00Z"}
	b := accounts.Credential{Account: "agente1", PasswordHash: "$argon2id$b", UpdatedAt: "2026-01-01T00:00:00Z"}
	for _, c := range []accounts.Credential{a, b, {Account: "fiscal1", PasswordHash: "old", UpdatedAt: "x"}, a} {
		if err := cs.PutCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := cs.Credential(ctx, "fiscal1")
	if err != nil || got != a {
		t.Fatalf("Credential(fiscal1) = %+v, %v; want %+v", got, err, a)
	}
	all, err := cs.AllCredentials(ctx)
	if err != nil || !reflect.DeepEqual(all, []accounts.Credential{b, a}) {
		t.Fatalf("AllCredentials = %+v, %v; want agente1 then fiscal1", all, err)
	}

	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	t1 := accounts.Token{ID: "t1", Hash: [32]byte{1}, Account: "fiscal1", Scope: "read", Cases: []string{"METASTASIS"}, ExpiresAt: at.Add(time.Hour), CreatedAt: at}
	t2 := accounts.Token{ID: "t2", Hash: [32]byte{2}, Account: "fiscal1", Scope: "write", Cases: []string{}, ExpiresAt: at.Add(2 * time.Hour), CreatedAt: at.Add(time.Minute)}
	t3 := accounts.Token{ID: "t3", Hash: [32]byte{3}, Account: "agente1", Scope: "read", Cases: []string{}, ExpiresAt: at.Add(time.Hour), CreatedAt: at.Add(2 * time.Minute)}
	for _, tk := range []accounts.Token{t1, t2, t3} {
		if err := cs.AddToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := cs.AddToken(ctx, accounts.Token{ID: "t4", Hash: [32]byte{1}, Account: "x", ExpiresAt: at, CreatedAt: at}); err == nil {
		t.Error("a second token with the same hash was stored")
	}
	tk, err := cs.TokenByHash(ctx, [32]byte{2})
	if err != nil || !reflect.DeepEqual(tk, t2) {
		t.Fatalf("TokenByHash = %+v, %v; want %+v", tk, err, t2)
	}
	if _, err := cs.TokenByHash(ctx, [32]byte{9}); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("TokenByHash of an unknown hash: %v, want ErrNotFound", err)
	}
	mine, err := cs.Tokens(ctx, "fiscal1")
	if err != nil || len(mine) != 2 || mine[0].ID != "t2" || mine[1].ID != "t1" {
		t.Fatalf("Tokens(fiscal1) = %+v, %v; want t2, t1", mine, err)
	}
	every, err := cs.Tokens(ctx, "")
	if err != nil || len(every) != 3 || every[0].ID != "t3" {
		t.Fatalf("Tokens('') = %+v, %v; want t3, t2, t1", every, err)
	}
	if err := cs.RevokeToken(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if tk, err := cs.TokenByHash(ctx, [32]byte{1}); err != nil || !tk.Revoked {
		t.Fatalf("after RevokeToken: %+v, %v; want revoked", tk, err)
	}
	if err := cs.RevokeToken(ctx, "t9"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("RevokeToken of an unknown token: %v, want ErrNotFound", err)
	}

	// A swap straight in the database (issue 12's attack) changes the
	// commitment audit recomputes; the untouched row keeps its own.
	if _, err := s.pool.Exec(ctx, `UPDATE credentials SET password_hash = $1 WHERE account = 'fiscal1'`, b.PasswordHash); err != nil {
		t.Fatal(err)
	}
	after, err := cs.AllCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if accounts.CredentialCommitment(after[0], 1) != accounts.CredentialCommitment(all[0], 1) {
		t.Error("agente1's untouched row changed its commitment")
	}
	if accounts.CredentialCommitment(after[1], 1) == accounts.CredentialCommitment(all[1], 1) {
		t.Error("fiscal1's swapped row kept its commitment")
	}
}

// Claim takes an empty database once; Identity reads it back; a database
// with any row is refused.
func TestClaim(t *testing.T) {
	ctx := context.Background()
	s := openDSN(t, pgtest.NewDatabase(t))
	if _, _, err := s.Identity(ctx); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("Identity of a new database: %v, want ErrNoIdentity", err)
	}
	if err := s.Claim(ctx, "custodia.test/a", "custodia.test/a+1234+AAAA"); err != nil {
		t.Fatal(err)
	}
	o, k, err := s.Identity(ctx)
	if err != nil || o != "custodia.test/a" || k != "custodia.test/a+1234+AAAA" {
		t.Fatalf("Identity = %q, %q, %v", o, k, err)
	}
	if err := s.Claim(ctx, "custodia.test/b", "custodia.test/b+1234+AAAA"); !errors.Is(err, ErrClaimed) {
		t.Fatalf("a second Claim: %v, want ErrClaimed", err)
	}
	if o, _, _ := s.Identity(ctx); o != "custodia.test/a" {
		t.Fatalf("after a refused Claim the database holds %q", o)
	}

	// A database with rows but no identity (written some other way) is
	// not empty either.
	other := openDSN(t, pgtest.NewDatabase(t))
	if err := other.Credentials().PutCredential(ctx, accounts.Credential{Account: "x", PasswordHash: "h", UpdatedAt: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := other.Claim(ctx, "custodia.test/c", "k"); !errors.Is(err, ErrClaimed) {
		t.Fatalf("Claim of a database with a credential row: %v, want ErrClaimed", err)
	}
}
