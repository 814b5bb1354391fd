package deployment

import (
	"context"
	"fmt"
	"sort"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// credentialRows is what audit reads of the sign-in store.
type credentialRows interface {
	AllCredentials(ctx context.Context) ([]accounts.Credential, error)
	Tokens(ctx context.Context, account string) ([]accounts.Token, error)
}

// credentialMismatches compares the live sign-in rows with the commitments
// the log recorded, and names each account or token whose row differs, was
// added behind the log's back, or was deleted. Rows written before the log
// recorded commitments (older deployments) are checked for their owner
// only.
func credentialMismatches(ctx context.Context, st *domain.State, rows credentialRows) ([]ledger.Problem, error) {
	var out []ledger.Problem
	add := func(table, key, es, en string) {
		out = append(out, ledger.Problem{Kind: "credential", Table: table, Key: key, Message: es, MessageEN: en})
	}
	creds, err := rows.AllCredentials(ctx)
	if err != nil {
		return nil, err
	}
	live := map[string]bool{}
	for _, c := range creds {
		live[c.Account] = true
		if _, ok := st.Accounts[c.Account]; !ok {
			add("credentials", c.Account, fmt.Sprintf("hay credenciales para %q, una cuenta que el registro no tiene", c.Account),
				fmt.Sprintf("there are credentials for %q, an account the log does not have", c.Account))
			continue
		}
		if logged := st.Credentials[c.Account]; logged != "" && logged != accounts.CredentialHex(c) {
			add("credentials", c.Account, fmt.Sprintf("la contraseña o el secreto TOTP de la cuenta %q no son los que el registro anotó: se cambiaron fuera de Custodia", c.Account),
				fmt.Sprintf("the password or TOTP secret of account %q is not what the log recorded: it was changed outside Custodia", c.Account))
		}
	}
	for _, acc := range sortedKeys(st.Credentials) {
		if !live[acc] {
			add("credentials", acc, fmt.Sprintf("faltan las credenciales de la cuenta %q que el registro anotó", acc),
				fmt.Sprintf("the credentials of account %q that the log recorded are missing", acc))
		}
	}
	toks, err := rows.Tokens(ctx, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, t := range toks {
		seen[t.ID] = true
		logged, ok := st.Tokens[t.ID]
		switch {
		case !ok:
			add("api_tokens", t.ID, fmt.Sprintf("el token %s de la cuenta %q no fue emitido a través del registro", t.ID, t.Account),
				fmt.Sprintf("token %s of account %q was not issued through the log", t.ID, t.Account))
		case logged.Account != t.Account || (logged.Commitment != "" && logged.Commitment != accounts.TokenHex(t)):
			add("api_tokens", t.ID, fmt.Sprintf("el token %s no es el que el registro anotó (cuenta, alcance, casos, vencimiento o revocación cambiados fuera de Custodia)", t.ID),
				fmt.Sprintf("token %s is not what the log recorded (account, scope, cases, expiry or revocation changed outside Custodia)", t.ID))
		}
	}
	ids := make([]string, 0, len(st.Tokens))
	for id := range st.Tokens {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !seen[id] {
			add("api_tokens", id, fmt.Sprintf("falta el token %s que el registro anotó", id), fmt.Sprintf("token %s, which the log recorded, is missing", id))
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
