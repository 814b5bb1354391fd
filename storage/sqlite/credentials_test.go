package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/custodia-ec/custodia/accounts"
)

// A direct edit of a credential row (the swap of issue 12) shows in the
// commitment recomputed from AllCredentials.
func TestAllCredentialsShowsARowEdit(t *testing.T) {
	ctx := t.Context()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs := st.Credentials()
	for _, cr := range []accounts.Credential{
		{Account: "fiscal1", PasswordHash: "$argon2id$a", TOTPSecret: "JBSWY3DPEHPK3PXP", UpdatedAt: "2026-01-01T00:00:00Z"},
		{Account: "agente1", PasswordHash: "$argon2id$b", TOTPSecret: "", UpdatedAt: "2026-01-01T00:00:00Z"},
	} {
		if err := cs.PutCredential(ctx, cr); err != nil {
			t.Fatal(err)
		}
	}
	before, err := cs.AllCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 || before[0].Account != "agente1" || before[1].Account != "fiscal1" {
		t.Fatalf("AllCredentials = %+v, want agente1 then fiscal1", before)
	}
	// Copy agente1's known hash and secret onto fiscal1's row, behind the store.
	if _, err := st.db.ExecContext(ctx, `UPDATE credentials SET password_hash = ?, totp_secret = ? WHERE account = 'fiscal1'`, "$argon2id$b", "KRSXG5CTMVRXEZLU"); err != nil {
		t.Fatal(err)
	}
	after, err := cs.AllCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if accounts.CredentialCommitment(after[0], 1) != accounts.CredentialCommitment(before[0], 1) {
		t.Error("agente1's untouched row changed its commitment")
	}
	if accounts.CredentialCommitment(after[1], 1) == accounts.CredentialCommitment(before[1], 1) {
		t.Error("fiscal1's swapped row kept its commitment")
	}
}
