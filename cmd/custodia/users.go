package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/web"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func cmdUser(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("falta la suborden (add, list, disable, token, reset) / missing subcommand")
	}
	switch args[0] {
	case "add":
		return cmdUserAdd(e, args[1:])
	case "list":
		return cmdUserList(e, args[1:])
	case "disable":
		return cmdUserDisable(e, args[1:])
	case "token":
		return cmdUserToken(e, args[1:])
	case "reset":
		return cmdUserReset(e, args[1:])
	}
	return usagef("suborden desconocida %q / unknown subcommand", args[0])
}

func cmdUserAdd(e *env, args []string) error {
	fs, data := newFlags("user add")
	role := fs.String("role", "", "role")
	officer := fs.String("officer", "", "linked officer")
	name := fs.String("name", "", "display name")
	var cases listFlag
	fs.Var(&cases, "case", "grant membership of this case (repeatable)")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageWhy("indique una cuenta", "give one account", "user add ACCOUNT --role ROLE [--officer ID] [--name NAME] [--case CASE]...")
	}
	if *role == "" {
		return usageWhy("falta --role", "missing --role", "user add ACCOUNT --role ROLE [--officer ID] [--name NAME] [--case CASE]...")
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	if *name == "" {
		*name = pos[0]
	}
	appendRecs := app.LedgerAppender(d.Ledger, recorderCLI, e.now)
	na, err := app.CreateAccount(e.ctx, appendRecs, d.Store.Credentials(), e.now, domain.AccountCreate{Account: pos[0], Name: *name, Role: *role, Officer: *officer})
	if err != nil {
		return err
	}
	for _, c := range cases {
		if err := appendRecs(e.ctx, []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: c, Account: pos[0]}}}); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "%s: %s\n%s: %s\n", e.tr("cuenta", "account"), na.Account, e.tr("contraseña de un solo uso", "one-time password"), na.Password)
	if na.TOTPSecret != "" {
		fmt.Fprintf(e.stdout, "%s: %s\n", e.tr("secreto TOTP (añádalo a su aplicación de autenticación)", "TOTP secret (add it to an authenticator app)"), na.TOTPSecret)
	}
	return nil
}

func cmdUserList(e *env, args []string) error {
	fs, data := newFlags("user list")
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := e.flags(fs, args); err != nil {
		return err
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	var views []app.AccountView
	d.Ledger.View(func(st *domain.State) error { views = app.AccountViews(st); return nil })
	if *asJSON {
		return writeJSON(e.stdout, views)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("cuenta\trol\tfuncionario\testado\tcasos", "account\trole\tofficer\tstate\tcases"))
	for _, v := range views {
		state := e.tr("activa", "active")
		if v.Disabled {
			state = e.tr("deshabilitada", "disabled")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Account, web.Label(e.lang, "role", v.Role), v.Officer, state, strings.Join(v.Cases, ","))
	}
	return tw.Flush()
}

func cmdUserDisable(e *env, args []string) error {
	fs, data := newFlags("user disable")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user disable ACCOUNT")
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	appendRecs := app.LedgerAppender(d.Ledger, recorderCLI, e.now)
	if err := appendRecs(e.ctx, []ledger.Record{{Op: domain.OpAccountDisable, Rec: &domain.AccountDisable{Account: pos[0]}}}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %s\n", pos[0], e.tr("deshabilitada", "disabled"))
	return nil
}

func cmdUserToken(e *env, args []string) error {
	fs, data := newFlags("user token")
	scope := fs.String("scope", "read", "read or write")
	ttl := fs.Int64("ttl-hours", 720, "lifetime in hours")
	revoke := fs.String("revoke", "", "revoke the token with this id")
	var cases listFlag
	fs.Var(&cases, "case", "restrict to this case (repeatable)")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if (*revoke == "") != (len(pos) == 1) {
		return usagef("user token ACCOUNT [--scope read|write] [--case CASE]... [--ttl-hours N] | user token --revoke ID")
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	creds := d.Store.Credentials()
	appendRecs := app.LedgerAppender(d.Ledger, recorderCLI, e.now)
	if *revoke != "" {
		toks, err := creds.Tokens(e.ctx, "")
		if err != nil {
			return err
		}
		owner := ""
		for _, t := range toks {
			if t.ID == *revoke {
				owner = t.Account
			}
		}
		if owner == "" {
			return custody.Errorf(custody.ENotFound, "", "no existe el token %q", "no token %q", *revoke)
		}
		rec, err := app.RevokedTokenRecord(e.ctx, creds, owner, *revoke)
		if err != nil {
			return err
		}
		if err := appendRecs(e.ctx, []ledger.Record{rec}); err != nil {
			return err
		}
		if err := creds.RevokeToken(e.ctx, *revoke); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s %s\n", *revoke, e.tr("revocado", "revoked"))
		return nil
	}
	var active bool
	d.Ledger.View(func(st *domain.State) error { a := st.Accounts[pos[0]]; active = a != nil && !a.Disabled; return nil })
	if !active {
		return custody.Errorf(custody.ENotFound, "", "no existe la cuenta activa %q", "no active account %q", pos[0])
	}
	tok, err := app.IssueToken(e.ctx, appendRecs, creds, e.now, pos[0], app.TokenRequest{Scope: *scope, Cases: cases, TTLHours: *ttl})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s %s (%s, %s %s)\n", e.tr("Token", "Token"), tok.ID, tok.Scope, e.tr("expira", "expires"), showTime(tok.ExpiresAt, e.zone()))
	fmt.Fprintln(e.stdout, tok.Token)
	return nil
}

func cmdAccess(e *env, args []string) error {
	fs, data := newFlags("access")
	since := fs.String("since", "", "only reads recorded at or after this time (RFC 3339)")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("access CASE [--since TIME] [--json]")
	}
	var t time.Time
	if *since != "" {
		if t, err = custody.ParseTime(*since); err != nil {
			return custody.Errorf(custody.EInvalid, "since", "%q no es una hora RFC 3339 con zona horaria", "%q is not an RFC 3339 time with an offset", *since)
		}
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	log, err := d.Ledger.AccessLog(e.ctx, pos[0], t)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, log)
	}
	loc := e.zone()
	tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, e.tr("registrado\tcuenta\tqué\tid\tevento", "recorded\taccount\twhat\tid\tevent"))
	for _, a := range log {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", showTime(a.At, loc), a.Account, web.Label(e.lang, "read", a.Kind), a.ID, a.Seq)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	accts := map[string]int{}
	for _, a := range log {
		accts[a.Account]++
	}
	names := make([]string, 0, len(accts))
	for a := range accts {
		names = append(names, a)
	}
	sort.Strings(names)
	fmt.Fprintf(e.stderr, "%d %s, %d %s\n", len(log), e.tr("lecturas", "reads"), len(names), e.tr("cuentas", "accounts"))
	return nil
}

// cmdUserReset gives an account a new one-time password (and TOTP secret
// when its role needs one): for an operator with the data directory, when
// a user lost them. The change is logged like any other credential change.
func cmdUserReset(e *env, args []string) error {
	fs, data := newFlags("user reset")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user reset ACCOUNT")
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	role, ok := "", false
	d.Ledger.View(func(st *domain.State) error {
		if a := st.Accounts[pos[0]]; a != nil && !a.Disabled {
			role, ok = a.Role, true
		}
		return nil
	})
	if !ok {
		return custody.Errorf(custody.ENotFound, "account", "no hay una cuenta activa %q", "there is no active account %q", pos[0])
	}
	na, err := app.ResetCredentials(e.ctx, app.LedgerAppender(d.Ledger, recorderCLI, e.now), d.Store.Credentials(), e.now, pos[0], role)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", e.tr("contraseña de un solo uso (cámbiela)", "one-time password (change it)"), na.Password)
	if na.TOTPSecret != "" {
		fmt.Fprintf(e.stdout, "%s: %s\n", e.tr("secreto TOTP (añádalo a su aplicación de autenticación)", "TOTP secret (add it to an authenticator app)"), na.TOTPSecret)
	}
	return nil
}

// cmdSettings shows the settings the record applies, or changes them: the
// change is logged (deployment.settings) and config.json follows.
func cmdSettings(e *env, args []string) error {
	fs, data := newFlags("settings")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	d, err := e.open(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	if len(pos) > 0 {
		if pos[0] != "set" || len(pos) < 2 {
			return usagef("settings [--json] | settings set NAME=MINUTES...")
		}
		values := map[string]int64{}
		for _, a := range pos[1:] {
			name, v, ok := strings.Cut(a, "=")
			n, err := strconv.ParseInt(v, 10, 64)
			if !ok || err != nil {
				return usagef("%q: escriba NOMBRE=MINUTOS / write NAME=MINUTES (%s)", a, strings.Join(deployment.SettingNames(), ", "))
			}
			values[name] = n
		}
		if err := deployment.SetSettings(e.ctx, d, app.LedgerAppender(d.Ledger, recorderCLI, e.now), values); err != nil {
			return err
		}
	}
	var cfg domain.Config
	d.Ledger.View(func(st *domain.State) error { cfg = st.Config(); return nil })
	skew := cfg.ClockSkewMinutes
	if skew == 0 {
		skew = domain.DefaultClockSkewMinutes
	}
	if *asJSON {
		return writeJSON(e.stdout, map[string]int64{"rights_notice_minutes": cfg.RightsNoticeMinutes, "hearing_minutes": cfg.HearingMinutes, "clock_skew_minutes": skew})
	}
	fmt.Fprintf(e.stdout, "rights_notice_minutes\t%d\t%s\n", cfg.RightsNoticeMinutes, e.tr("plazo para informar sus derechos al detenido", "deadline to read a detainee their rights"))
	fmt.Fprintf(e.stdout, "hearing_minutes\t%d\t%s\n", cfg.HearingMinutes, e.tr("plazo para la audiencia ante un juez", "deadline for the hearing before a judge"))
	fmt.Fprintf(e.stdout, "clock_skew_minutes\t%d\t%s\n", skew, e.tr("cuánto puede adelantarse un acto al reloj del servidor", "how far an act may be ahead of the server's clock"))
	return nil
}
