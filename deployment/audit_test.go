package deployment_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/sqlite"
)

var auditNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// credsDeployment is the Metastasis case with two accounts (a prosecutor
// and a custodian) and a case-scoped read token of the prosecutor.
func credsDeployment(t *testing.T) (*deployment.Deployment, *app.NewAccount, *app.NewAccount, *app.IssuedToken) {
	t.Helper()
	ctx := context.Background()
	now := testdeploy.Clock(auditNow)
	d, _ := testdeploy.Metastasis(t, now)
	appendRecs := app.LedgerAppender(d.Ledger, "system:test", now)
	pros, err := app.CreateAccount(ctx, appendRecs, d.Store.Credentials(), now, domain.AccountCreate{Account: "fiscal", Name: "Fiscal", Role: "prosecutor", Officer: "fge.salazar"})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := app.CreateAccount(ctx, appendRecs, d.Store.Credentials(), now, domain.AccountCreate{Account: "custodio", Name: "Custodio", Role: "custodian", Officer: "cust.chi"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := app.IssueToken(ctx, appendRecs, d.Store.Credentials(), now, "fiscal", app.TokenRequest{Scope: "read", Cases: []string{"METASTASIS"}})
	if err != nil {
		t.Fatal(err)
	}
	return d, pros, cust, tok
}

func audit(t *testing.T, d *deployment.Deployment) *ledger.AuditReport {
	t.Helper()
	rep, err := deployment.Audit(context.Background(), d.Dir, d.Store, d.Config, d.Ledger.Verifier())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func exec(t *testing.T, d *deployment.Deployment, q string, args ...any) {
	t.Helper()
	res, err := d.Store.(*sqlite.Store).DB().Exec(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s changed no row", q)
	}
}

// TestAuditCatchesCredentialTampering edits the sign-in rows and the
// deployment's settings straight in the database and config.json, as an
// administrator with direct access could, and checks that audit names each
// edit, and that a swapped credential or an edited token signs nobody in.
func TestAuditCatchesCredentialTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken)
		want   string // in a problem's English message
	}{
		{"password hash swapped", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			exec(t, d, `UPDATE credentials SET password_hash = (SELECT password_hash FROM credentials WHERE account = 'custodio'), totp_secret = (SELECT totp_secret FROM credentials WHERE account = 'custodio') WHERE account = 'fiscal'`)
		}, `account "fiscal" is not what the log recorded`},
		{"TOTP secret replaced", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			exec(t, d, `UPDATE credentials SET totp_secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' WHERE account = 'fiscal'`)
		}, `account "fiscal" is not what the log recorded`},
		{"credentials row deleted", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			exec(t, d, `DELETE FROM credentials WHERE account = 'custodio'`)
		}, `credentials of account "custodio" that the log recorded are missing`},
		{"credentials for an unknown account", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			exec(t, d, `INSERT INTO credentials(account, password_hash, totp_secret, updated_at) SELECT 'intruso', password_hash, totp_secret, updated_at FROM credentials WHERE account = 'fiscal'`)
		}, `an account the log does not have`},
		{"must-change-password flag cleared", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			// The generated password must be changed at first sign-in;
			// clearing the flag by hand would let its reader act.
			exec(t, d, `UPDATE accounts SET must_change_password = 0 WHERE id = 'fiscal' AND must_change_password = 1`)
		}, "column must_change_password: stored"},
		{"must-change-password flag set", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			exec(t, d, `UPDATE accounts SET must_change_password = 1 WHERE id = 'fiscal'`)
			exec(t, d, `UPDATE accounts SET must_change_password = 0 WHERE id = 'custodio'`)
		}, "column must_change_password: stored"},
		{"token scope widened", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			exec(t, d, `UPDATE api_tokens SET scope = 'write' WHERE id = ?`, tok.ID)
		}, "is not what the log recorded"},
		{"token cases widened", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			exec(t, d, `UPDATE api_tokens SET cases = '[]' WHERE id = ?`, tok.ID)
		}, "is not what the log recorded"},
		{"token expiry extended", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			exec(t, d, `UPDATE api_tokens SET expires_at = '2099-01-01T00:00:00Z' WHERE id = ?`, tok.ID)
		}, "is not what the log recorded"},
		{"token given to another account", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			exec(t, d, `UPDATE api_tokens SET account = 'custodio' WHERE id = ?`, tok.ID)
		}, "is not what the log recorded"},
		{"revoked token revived", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			ctx := context.Background()
			rec, err := app.RevokedTokenRecord(ctx, d.Store.Credentials(), "fiscal", tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := app.LedgerAppender(d.Ledger, "system:test", testdeploy.Clock(auditNow))(ctx, []ledger.Record{rec}); err != nil {
				t.Fatal(err)
			}
			if err := d.Store.Credentials().RevokeToken(ctx, tok.ID); err != nil {
				t.Fatal(err)
			}
			if rep := audit(t, d); !rep.OK {
				t.Fatalf("after a logged revocation: %+v", rep.Problems)
			}
			exec(t, d, `UPDATE api_tokens SET revoked = 0 WHERE id = ?`, tok.ID)
		}, "is not what the log recorded"},
		{"token inserted behind the log", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			exec(t, d, `INSERT INTO api_tokens(id, hash, account, scope, cases, expires_at, revoked, created_at) SELECT 'forged', randomblob(32), account, 'write', '[]', expires_at, 0, created_at FROM api_tokens WHERE id = ?`, tok.ID)
		}, "was not issued through the log"},
		{"token row deleted", func(t *testing.T, d *deployment.Deployment, tok *app.IssuedToken) {
			exec(t, d, `DELETE FROM api_tokens WHERE id = ?`, tok.ID)
		}, "which the log recorded, is missing"},
		{"rights deadline edited in config.json", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			editConfig(t, d, func(m map[string]any) { m["rights_notice_minutes"] = 600 })
		}, "rights_notice_minutes = 600, but the log applies 60"},
		{"hearing deadline edited in config.json", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			editConfig(t, d, func(m map[string]any) { m["hearing_minutes"] = 14400 })
		}, "hearing_minutes = 14400, but the log applies 1440"},
		{"clock skew edited in config.json", func(t *testing.T, d *deployment.Deployment, _ *app.IssuedToken) {
			editConfig(t, d, func(m map[string]any) { m["clock_skew_minutes"] = 100000 })
		}, "clock_skew_minutes = 100000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _, _, tok := credsDeployment(t)
			if rep := audit(t, d); !rep.OK {
				t.Fatalf("clean deployment: %+v", rep.Problems)
			}
			tc.tamper(t, d, tok)
			rep := audit(t, d)
			found := false
			for _, p := range rep.Problems {
				found = found || strings.Contains(p.MessageEN, tc.want)
			}
			if rep.OK || !found {
				t.Errorf("audit after %s: ok=%v problems %+v, want one saying %q", tc.name, rep.OK, rep.Problems, tc.want)
			}
		})
	}
}

func editConfig(t *testing.T, d *deployment.Deployment, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(d.Dir, deployment.ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := deployment.ReadConfig(d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	d.Config = cfg
}

// TestCredentialSwapSignsNobodyIn is the attack of issue 12: an
// administrator copies a known password hash and TOTP secret onto the
// prosecutor's row to sign in as the prosecutor. The sign-in is refused
// (the row is not the one the log recorded), so no seizure can be recorded
// in the prosecutor's name; restoring the row afterwards hides nothing,
// because nothing was done. A token edited behind the log's back does not
// authenticate either.
func TestCredentialSwapSignsNobodyIn(t *testing.T) {
	ctx := context.Background()
	d, pros, cust, tok := credsDeployment(t)
	svc, err := app.New(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), Now: testdeploy.Clock(auditNow)})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, d, `UPDATE credentials SET password_hash = (SELECT password_hash FROM credentials WHERE account = 'custodio'), totp_secret = (SELECT totp_secret FROM credentials WHERE account = 'custodio') WHERE account = 'fiscal'`)
	code := totp(t, cust.TOTPSecret)
	if _, _, err := svc.Login(ctx, "10.1.1.1", app.LoginRequest{Account: "fiscal", Password: cust.Password, TOTP: code}); err == nil {
		t.Error("signed in as the prosecutor with a swapped-in credential")
	}
	_ = pros
	exec(t, d, `UPDATE api_tokens SET scope = 'write' WHERE id = ?`, tok.ID)
	if _, err := svc.TokenPrincipal(ctx, tok.Token); err == nil {
		t.Error("a token whose scope was widened behind the log authenticates")
	}
}

// TestReportsApplyTheLoggedDeadlines: a deadline edited in config.json
// changes no report (the Terán violation stays), and custodia settings set
// is the one way to change it: logged, then applied.
func TestReportsApplyTheLoggedDeadlines(t *testing.T) {
	ctx := context.Background()
	d, _, _, _ := credsDeployment(t)
	violations := func(d *deployment.Deployment) int {
		rep, err := d.Ledger.OperationReport("OP-METASTASIS", auditNow)
		if err != nil {
			t.Fatal(err)
		}
		return len(rep.DeadlineViolations)
	}
	before := violations(d)
	if before == 0 {
		t.Fatal("the case has no deadline violation to hide")
	}
	editConfig(t, d, func(m map[string]any) { m["rights_notice_minutes"] = 600; m["hearing_minutes"] = 100000 })
	dir := d.Dir
	d.Close()
	d = testdeploy.Open(t, dir, testdeploy.Clock(auditNow))
	if got := violations(d); got != before {
		t.Errorf("after editing config.json: %d violations, want %d (the log's deadlines apply)", got, before)
	}
	if err := deployment.SetSettings(ctx, d, app.LedgerAppender(d.Ledger, "cli:settings", testdeploy.Clock(auditNow)), map[string]int64{"rights_notice_minutes": 600, "hearing_minutes": 100000}); err != nil {
		t.Fatal(err)
	}
	if got := violations(d); got >= before {
		t.Errorf("after custodia settings set: %d violations, want fewer than %d", got, before)
	}
	if rep := audit(t, d); !rep.OK {
		t.Errorf("after a logged settings change: %+v", rep.Problems)
	}
}

func totp(t *testing.T, secret string) string {
	t.Helper()
	code, err := accounts.TOTP(secret, auditNow)
	if err != nil {
		t.Fatal(err)
	}
	return code
}
