package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/custodia-ec/custodia/internal/zone"

	"github.com/custodia-ec/custodia"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/deployment"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/httpapi"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/storage/analysisdb"
	"github.com/custodia-ec/custodia/transparency/cosigning"
	"github.com/custodia-ec/custodia/web"
)

// Recorders of events made outside any signed-in account.
const (
	recorderBootstrap = "system:bootstrap"
	recorderCLI       = "system:cli"
	recorderDemo      = "system:demo"
)

func cmdServe(e *env, args []string) error {
	fs, data := newFlags("serve")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	demo := fs.Bool("demo", false, "load the Metástasis case file and demo accounts")
	resetDemo := fs.Bool("reset-demo", false, "with --demo: new one-time passwords (and TOTP secrets) for the demo accounts, printed again")
	zoneName := fs.String("zone", zoneDefault(), "IANA time zone people read times in (web, PDFs, API as_of)")
	policy := fs.String("policy", "", "witness policy file (C2SP tlog-policy with witness URLs): send checkpoints to the witnesses")
	checkEvery := fs.Duration("check-interval", 24*time.Hour, "re-hash every evidence file this often (0: never)")
	checkRate := fs.Int64("check-rate", 64<<20, "the integrity job reads at most this many bytes per second")
	verifyTimeout := fs.Duration("verify-timeout", web.DefaultVerifyTimeout, "the longest /verificar may spend on one bundle")
	verifyConcurrency := fs.Int("verify-concurrency", web.DefaultVerifyConcurrency, "bundles /verificar verifies at once; more are answered 503")
	publicURL := fs.String("public-url", "", "the address users reach the server at, when a proxy terminates TLS (https://...): cookies become Secure")
	metricsAddr := fs.String("metrics-addr", "", "also serve /metrics without an account on this address (a private one, for a scraper)")
	pos, err := e.flags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("serve no admite argumentos / takes no arguments")
	}
	// Everything that can fail on what was typed fails before anything is
	// written: a second serve on a busy port must not leave a new
	// deployment or accounts behind.
	loc, err := zone.Load(*zoneName)
	if err != nil {
		return usagef("--zone: %v", err)
	}
	if *resetDemo && !*demo {
		return usagef("%s", e.tr("--reset-demo va con --demo", "--reset-demo goes with --demo"))
	}
	if *publicURL != "" && !strings.HasPrefix(*publicURL, "https://") && !strings.HasPrefix(*publicURL, "http://") {
		return usagef("--public-url: %q no es una URL http(s) / is not an http(s) URL", *publicURL)
	}
	var pol []byte
	if *policy != "" {
		if pol, err = os.ReadFile(*policy); err != nil {
			return err
		}
	}
	ln, err := listen(e, "--addr", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	var mln net.Listener
	if *metricsAddr != "" {
		if mln, err = listen(e, "--metrics-addr", *metricsAddr); err != nil {
			return err
		}
		defer mln.Close()
	}
	if !deployment.Exists(*data) {
		vkey, err := deployment.Init(e.ctx, *data, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%s %s\n%s\n", e.tr("Despliegue creado en", "Deployment created in"), *data, vkey)
	}
	d, err := e.openServe(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	creds := d.Store.Credentials()
	if err := bootstrapAdmin(e, d); err != nil {
		return err
	}
	if *demo {
		if err := loadDemo(e, d, *resetDemo); err != nil {
			return err
		}
	}
	defer gcTarget(serveGCPercent)()
	logger, logs := newServeLogger(e.stderr)
	defer logs.Flush()
	// The investigation analysis's own file (derived data, beside the
	// ledger's database).
	adb, err := analysisdb.Open(e.ctx, filepath.Join(d.Dir, analysisdb.File))
	if err != nil {
		return err
	}
	defer adb.Close()
	srv, err := app.New(app.Config{
		Analysis: adb,
		Ledger:   d.Ledger, Credentials: creds, PublicKey: d.PublicKey, Logger: logger, Now: e.now, Zone: loc,
		Audit: func(ctx context.Context) (*ledger.AuditReport, error) {
			return deployment.Audit(ctx, d.Dir, d.Store, d.Config, d.Ledger.Verifier())
		},
		Blobs:         d.Blobs,
		CheckInterval: *checkEvery, CheckBytesPerSecond: *checkRate,
		PublicURL: *publicURL,
	})
	if err != nil {
		return err
	}
	gw := gateway.New(srv)
	api := httpapi.New(gw)
	if mln != nil {
		ms := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" {
				http.NotFound(w, r)
				return
			}
			api.WriteMetrics(w)
		}), ReadHeaderTimeout: 5 * time.Second}
		go ms.Serve(mln)
		defer ms.Close()
	}
	if _, err := web.Mount(gw, web.Config{VerifyTimeout: *verifyTimeout, VerifyConcurrency: *verifyConcurrency}, e.now); err != nil {
		return err
	}
	srv.Start()
	// With a database other servers share, follow their commits (live
	// boards, reads, proofs); a no-op on SQLite.
	fctx, stopFollow := context.WithCancel(context.Background())
	defer stopFollow()
	go d.Follow(fctx, followPoll, func(err error) { logger.Warn("reading other servers' commits failed", "err", err.Error()) })
	hs := &http.Server{
		Handler:           gw.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // streams lift it for themselves
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if *policy != "" {
		pub, err := cosigning.New(d.Ledger, pol, 0, logger)
		if err != nil {
			srv.Close()
			return err
		}
		go pub.Run(e.ctx)
		fmt.Fprintln(e.stderr, e.tr("Enviando puntos de control a los testigos de", "Sending checkpoints to the witnesses of"), *policy)
	}
	fmt.Fprintf(e.stderr, "%s http://%s\n", e.tr("Escuchando en", "Listening on"), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-e.ctx.Done():
	}
	fmt.Fprintln(e.stderr, e.tr("Cerrando…", "Shutting down…"))
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.CloseStreams() // streams never go idle: end them so Shutdown is not held
	err = hs.Shutdown(sctx)
	srv.Close()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listen opens the server's address, or says in the reader's words why it
// cannot (a port in use, an address that is not HOST:PORT).
func listen(e *env, flagName, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		return ln, nil
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%s %s: %s", e.tr("no se puede escuchar en", "cannot listen on"), addr,
			e.tr("la dirección ya está en uso (¿otro custodia serve?); elija otra con "+flagName, "the address is already in use (another custodia serve?); choose another with "+flagName))
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("%s %s: %s", e.tr("no se puede escuchar en", "cannot listen on"), addr,
			e.tr("sin permiso para ese puerto (los menores de 1024 requieren privilegios)", "no permission for that port (those below 1024 need privileges)"))
	}
	var ae *net.AddrError
	var oe *net.OpError
	if errors.As(err, &ae) || errors.As(err, &oe) && oe.Op == "listen" && oe.Addr == nil {
		return nil, usagef("%s: %s %q (%s)", flagName, e.tr("dirección no válida", "invalid address"), addr,
			e.tr("HOST:PUERTO, con un puerto de 0 a 65535, p. ej. 127.0.0.1:8080", "HOST:PORT, with a port from 0 to 65535, e.g. 127.0.0.1:8080"))
	}
	return nil, fmt.Errorf("%s %s: %v", e.tr("no se puede escuchar en", "cannot listen on"), addr, err)
}

// followPoll is how often a server on a shared database checks for
// commits whose announcement it missed.
const followPoll = 2 * time.Second

// gcTarget sets the GC target for a long command unless GOGC sets one,
// and returns what restores the previous target.
func gcTarget(percent int) func() {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	return func() { debug.SetGCPercent(old) }
}

// serveGCPercent is the server's GC target unless GOGC sets one. Under
// write load, with the default 100 the collector and the allocations it
// paced took a fifth of the server's CPU; at 200 it runs half as often,
// for at most 3 times the live heap instead of 2 (bench/load: 126 -> 105
// µs of server CPU per event; bench/upload.sh: the server's peak memory
// during a 4 GiB upload stays far under 100 MB).
const serveGCPercent = 200

// bootstrapAdmin creates the first administrator when the deployment has no
// account, and prints its one-time password to the terminal only.
func bootstrapAdmin(e *env, d *deployment.Deployment) error {
	empty := true
	d.Ledger.View(func(st *domain.State) error { empty = len(st.Accounts) == 0; return nil })
	if !empty {
		return nil
	}
	na, err := app.CreateAccount(e.ctx, app.LedgerAppender(d.Ledger, recorderBootstrap, e.now), d.Store.Credentials(), e.now,
		domain.AccountCreate{Account: "admin", Name: "Administrador / Administrator", Role: "admin"})
	if err != nil {
		return err
	}
	if isTerminal(e.stdout) {
		fmt.Fprintf(e.stdout, "%s\n  %s: admin\n  %s: %s\n  %s: %s\n", e.tr("Administrador creado. Contraseña de un solo uso (cámbiela; no se volverá a mostrar) y secreto TOTP (añádalo a su aplicación de autenticación):",
			"Administrator created. One-time password (change it; it will not be shown again) and TOTP secret (add it to an authenticator app):"), e.tr("cuenta", "account"), e.tr("contraseña", "password"), na.Password, e.tr("secreto TOTP", "TOTP secret"), na.TOTPSecret)
		return nil
	}
	// Not a terminal (a service manager, a redirect to a log file): the
	// password goes to a file only the operator can read, never to the log.
	path := filepath.Join(d.Dir, AdminPasswordFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "admin %s %s\n", na.Password, na.TOTPSecret); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%s %s\n", e.tr("Administrador creado; su contraseña de un solo uso está en (léala y bórrela):",
		"Administrator created; its one-time password is in (read it, then delete it):"), path)
	return nil
}

// AdminPasswordFile receives the first administrator's password when
// serve's output is not a terminal.
const AdminPasswordFile = "initial-admin-password"

// demoOfficers are added so that every role has an officer to link.
var demoOfficers = []struct{ id, name, agency, role string }{
	{"demo.investigator", "Investigador de demostración", "PN", "investigator"},
	{"demo.judge", "Juez de demostración", "DEMO-CJ", "judge"},
	{"demo.clerk", "Secretario de demostración", "DEMO-CJ", "clerk"},
	{"demo.defense", "Defensor de demostración", "DEMO-DEF", "defense"},
	{"demo.auditor", "Auditor de demostración", "FGE", "auditor"},
}

// demoAccounts is one account per role, linked to an officer of the file.
var demoAccounts = []struct{ account, role, officer string }{
	{"demo-prosecutor", "prosecutor", "fge.salazar"},
	{"demo-investigator", "investigator", "demo.investigator"},
	{"demo-agent", "agent", "pn.s-pic-01.lead"},
	{"demo-custodian", "custodian", "cust.pic"},
	{"demo-forensic", "forensic_analyst", "lab.1"},
	{"demo-judge", "judge", "demo.judge"},
	{"demo-clerk", "clerk", "demo.clerk"},
	{"demo-defense", "defense", "demo.defense"},
	{"demo-auditor", "auditor", "demo.auditor"},
}

// loadDemo imports the Metástasis case file when absent, adds officers and
// one account per role (members of the case) and prints their secrets;
// with reset, the existing demo accounts get new ones (a logged
// credential change, as custodia user reset), printed again.
func loadDemo(e *env, d *deployment.Deployment, reset bool) error {
	var hasCase bool
	d.Ledger.View(func(st *domain.State) error { _, hasCase = st.Cases[custodia.MetastasisCase]; return nil })
	if !hasCase {
		res, err := d.Ledger.Import(e.ctx, bytes.NewReader(custodia.Metastasis), custody.FileSHA256(custodia.Metastasis), nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%s: %d %s\n", custodia.MetastasisCase, res.Events, e.tr("registros importados", "records imported"))
	}
	appendRecs := app.LedgerAppender(d.Ledger, recorderDemo, e.now)
	var recs []ledger.Record
	d.Ledger.View(func(st *domain.State) error {
		for _, ag := range []casefile.Agency{{ID: "DEMO-CJ", Name: "Consejo de la Judicatura (demostración)", Kind: "judiciary"}, {ID: "DEMO-DEF", Name: "Defensoría (demostración)", Kind: "defense"}} {
			if _, ok := st.Agencies[ag.ID]; !ok {
				recs = append(recs, ledger.Record{Op: casefile.OpAgency, Rec: &ag})
			}
		}
		for _, o := range demoOfficers {
			if _, ok := st.Officers[o.id]; !ok {
				recs = append(recs, ledger.Record{Op: casefile.OpOfficer, Rec: &casefile.Officer{ID: o.id, Name: o.name, Agency: o.agency, Role: o.role}})
			}
		}
		return nil
	})
	if len(recs) > 0 {
		if err := appendRecs(e.ctx, recs); err != nil {
			return err
		}
	}
	var created []*app.NewAccount
	for _, a := range demoAccounts {
		var exists, active bool
		d.Ledger.View(func(st *domain.State) error {
			acc, ok := st.Accounts[a.account]
			exists, active = ok, ok && !acc.Disabled
			return nil
		})
		if exists && reset && active {
			// The same logged credential change as custodia user reset.
			na, err := app.ResetCredentials(e.ctx, appendRecs, d.Store.Credentials(), e.now, a.account, a.role)
			if err != nil {
				return fmt.Errorf("demo account %s: %w", a.account, err)
			}
			na.Account, na.Role, na.Officer = a.account, a.role, a.officer
			created = append(created, na)
			continue
		}
		if exists {
			continue
		}
		na, err := app.CreateAccount(e.ctx, appendRecs, d.Store.Credentials(), e.now, domain.AccountCreate{Account: a.account, Name: "Demo " + a.role, Role: a.role, Officer: a.officer})
		if err != nil {
			return fmt.Errorf("demo account %s: %w", a.account, err)
		}
		if err := appendRecs(e.ctx, []ledger.Record{{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: custodia.MetastasisCase, Account: a.account}}}); err != nil {
			return err
		}
		created = append(created, na)
	}
	// One disclosed item, so that the defence account sees something.
	var first string
	d.Ledger.View(func(st *domain.State) error {
		ids := make([]string, 0, len(st.Items))
		for id, it := range st.Items {
			if it.Case == custodia.MetastasisCase && it.Seize != nil {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		if len(ids) > 0 && !st.IsDisclosed(ids[0], "demo-defense") {
			first = ids[0]
		}
		return nil
	})
	if first != "" {
		if err := appendRecs(e.ctx, []ledger.Record{{Op: domain.OpItemDisclose, Rec: &domain.ItemDisclose{Item: first, Account: "demo-defense"}}}); err != nil {
			return err
		}
	}
	if len(created) == 0 {
		fmt.Fprintln(e.stderr, e.tr("Las cuentas de demostración ya existían (sus contraseñas se mostraron al crearlas). Para ver contraseñas nuevas: custodia serve --demo --reset-demo",
			"The demo accounts already existed (their passwords were shown when created). For new passwords: custodia serve --demo --reset-demo"))
		return nil
	}
	fmt.Fprintln(e.stdout, e.tr("Cuentas de demostración (contraseñas de un solo uso; TOTP para los roles que cambian la custodia):",
		"Demo accounts (one-time passwords; TOTP for roles that change custody):"))
	tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', 0)
	// The password comes right after the account, so that it is the
	// second word of its line whatever the role is called.
	fmt.Fprintln(tw, e.tr("  cuenta\tcontraseña\tsecreto TOTP\tfuncionario\trol", "  account\tpassword\tTOTP secret\tofficer\trole"))
	for _, na := range created {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", na.Account, na.Password, na.TOTPSecret, na.Officer, web.Label(e.lang, "role", na.Role))
	}
	return tw.Flush()
}

// zoneDefault is $CUSTODIA_ZONE, or America/Guayaquil.
func zoneDefault() string {
	if z := os.Getenv("CUSTODIA_ZONE"); z != "" {
		return z
	}
	return zone.DefaultName
}
