// Package web is Custodia's browser interface: server-rendered pages, in
// Spanish first and English, for the operation room (cases and the live
// operation board), field teams (the site page, phone-first), custodians
// and the lab (the item page: custody timeline, handover confirmed by the
// receiver, open, seal, derive, present, dispose, printable label), the
// court and the defence (/verificar, no account needed) and auditors.
//
// The pages are a second door to package app, beside the JSON API (package
// httpapi, which this package does not import): every route is registered
// with gateway.Gateway.Handle, so authentication, CSRF, body limits,
// request logs and metrics are the gateway's; every read is checked by
// app.Policy and recorded with AuditedRead; every write goes through
// app.Service.WriteRecord, the one write path, so a page can do exactly what
// the JSON API lets the same account do, with the same messages.
//
// Templates, the message catalogue and the assets (CSS and a little plain
// JavaScript; the one third-party file is cytoscape.js, pinned and
// vendored in static/vendor with its licence, for the analysis graph) are
// embedded with go:embed and parsed
// once by New: a template that does not parse, or a page that is not
// declared, fails the start. Asset URLs carry a hash of their content, so
// they can be cached forever. Nothing is loaded from outside the server.
//
// Forms work without JavaScript (a plain POST answered with a redirect or an
// error page); with it, app.js checks each form in the browser first, sends
// it with fetch, and shows the server's error next to the field it names.
// The exception: a signed-in user's file uploads (seizure photos, a bundle on
// /verificar) need it, because the server reads the CSRF token of a
// multipart form only from the X-CSRF-Token header that app.js sets.
//
// The field app (/campo/, field.go and the files in field/) is the one
// part that works without the server: an installable app whose entries are
// signed and queued on the phone and synced through the JSON API.
//
// Seizure photos are hashed, not stored: each becomes an evidence.attach
// record with the photo's SHA-256 and size (Custodia has no blob store
// yet), and the team keeps the file.
package web

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"text/template/parse"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/ledger"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config holds what the pages need beyond the server.
type Config struct {
	// Zone is the time zone of times typed into forms (a datetime-local
	// field carries none) and of times shown, always with their offset;
	// default the service's zone (America/Guayaquil unless configured).
	Zone *time.Location
	// Now is the clock; the server's clock when nil.
	Now func() time.Time

	// /verificar takes bundles from anyone, with no account, so each one
	// gets a budget. VerifyTimeout is the longest one verification may
	// run (default 10 s): past it the page answers that the bundle was
	// not verified. VerifyConcurrency is how many bundles are verified at
	// once (default 2); one more is answered 503 at once, to try again
	// shortly, so that posted bundles can never hold every core.
	// VerifyMaxBody is the largest upload accepted (default, and when 0,
	// the server's body limit); a larger one is answered 413.
	VerifyTimeout     time.Duration
	VerifyConcurrency int
	VerifyMaxBody     int64

	// UploadChunk is the size of each part the upload page sends (default
	// 4 MiB); each part is one request, and a cut resumes at the last.
	UploadChunk int64
}

// Defaults of the /verificar budget (see Config).
const (
	DefaultVerifyTimeout     = 10 * time.Second
	DefaultVerifyConcurrency = 2
)

// Web holds the parsed templates, the catalogue and the assets.
type Web struct {
	s      *app.Service
	gw     *gateway.Gateway
	l      *ledger.Ledger
	cfg    Config
	now    func() time.Time
	cat    *Catalogue
	pages  map[string]*template.Template
	assets map[string]asset // by hashed name
	urls   map[string]string

	auditMu   sync.Mutex
	lastAudit *auditRun

	// verifySlots holds one token per verification under way on
	// /verificar, at most Config.VerifyConcurrency.
	verifySlots chan struct{}

	keys *passkeys // passkey enrolments under way, sign-in challenges (passkey.go)

	field *fieldApp // the field app's files (field.go)
}

type asset struct {
	body []byte
	ct   string
}

// auditRun is the last audit run from the audit page: in memory, like the
// sessions; it proves nothing, the audit's own access.read event does.
type auditRun struct {
	At      time.Time
	Account string
	Report  *ledger.AuditReport
	Err     string
}

// pageNames are the pages every deployment must have: New fails when one is
// missing.
var pageNames = []string{"login", "totp", "account", "keys", "handovers", "upload", "cases", "case", "site", "item", "label", "detentions", "verify", "audit", "access", "analysis", "message", "error"}

// New parses the templates and the catalogue and hashes the assets. now is
// the clock of the pages (the server's, so deadlines agree with the API).
func New(gw *gateway.Gateway, cfg Config, now func() time.Time) (*Web, error) {
	s := gw.Service()
	if cfg.Zone == nil {
		cfg.Zone = s.Zone()
	}
	if cfg.Now != nil {
		now = cfg.Now
	}
	if cfg.VerifyTimeout <= 0 {
		cfg.VerifyTimeout = DefaultVerifyTimeout
	}
	if cfg.VerifyConcurrency <= 0 {
		cfg.VerifyConcurrency = DefaultVerifyConcurrency
	}
	if now == nil {
		now = time.Now
	}
	cat, err := LoadCatalogue()
	if err != nil {
		return nil, err
	}
	w := &Web{s: s, gw: gw, l: s.Ledger(), cfg: cfg, now: now, cat: cat, pages: map[string]*template.Template{},
		assets: map[string]asset{}, urls: map[string]string{}, verifySlots: make(chan struct{}, cfg.VerifyConcurrency), keys: newPasskeys()}
	if err := w.loadAssets(); err != nil {
		return nil, err
	}
	if err := w.loadField(); err != nil {
		return nil, fmt.Errorf("web: field app: %w", err)
	}
	if err := w.parse(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Web) loadAssets() error {
	return fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := path.Base(p)
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}[ext]
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		w.assets[hashed] = asset{body: b, ct: ct}
		w.urls[name] = "/static/" + hashed
		return nil
	})
}

func (w *Web) parse() error {
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			u, ok := w.urls[name]
			if !ok {
				return "", fmt.Errorf("web: no asset %q", name)
			}
			return u, nil
		},
		"add": func(a, b int) int { return a + b },
		"div": func(a, b int64) int64 { return a / b },
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"join": strings.Join,
	}
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/parts.html")
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return fmt.Errorf("web: template %s defines no content", name)
		}
		if err := checkCalls(t); err != nil {
			return fmt.Errorf("web: template %s: %w", name, err)
		}
		w.pages[name] = t
	}
	return nil
}

// checkCalls fails when a template calls one that is not defined, which
// html/template would only find when the page is served.
func checkCalls(t *template.Template) error {
	var walk func(n parse.Node) error
	walk = func(n parse.Node) error {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c); err != nil {
					return err
				}
			}
		case *parse.TemplateNode:
			if t.Lookup(n.Name) == nil {
				return fmt.Errorf("calls undefined template %q", n.Name)
			}
		case *parse.IfNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.RangeNode:
			return walkBranch(walk, &n.BranchNode)
		case *parse.WithNode:
			return walkBranch(walk, &n.BranchNode)
		}
		return nil
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := walk(tt.Tree.Root); err != nil {
			return fmt.Errorf("%s: %w", tt.Name(), err)
		}
	}
	return nil
}

func walkBranch(walk func(parse.Node) error, b *parse.BranchNode) error {
	if err := walk(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return walk(b.ElseList)
	}
	return nil
}

// Register mounts the pages and assets on the server.
func (w *Web) Register() {
	for _, rt := range w.routes() {
		rt.NoDoc = true
		if rt.Error == nil {
			rt.Error = w.renderError
		}
		w.gw.Handle(rt)
	}
}

// Mount builds the pages with New and registers them on s.
func Mount(gw *gateway.Gateway, cfg Config, now func() time.Time) (*Web, error) {
	w, err := New(gw, cfg, now)
	if err != nil {
		return nil, err
	}
	w.Register()
	gw.PagesFallback(w.renderError)
	return w, nil
}

func (w *Web) routes() []gateway.Route {
	acc, pub := gateway.Account, gateway.Public
	return []gateway.Route{
		{Method: "GET", Path: "/{$}", Summary: "Inicio / home", Access: pub, Handle: w.home},
		{Method: "GET", Path: "/static/{file}", Summary: "Recursos estáticos / static assets", Access: pub, Handle: w.static},
		{Method: "GET", Path: "/favicon.ico", Summary: "Icono del sitio / site icon", Access: pub, Handle: w.favicon},
		{Method: "GET", Path: "/entrar", Summary: "Página de ingreso / sign-in page", Access: pub, Handle: w.loginPage},
		{Method: "POST", Path: "/entrar", Summary: "Ingresar / sign in", Access: pub, SignIn: true, Handle: w.loginPost},
		{Method: "POST", Path: "/salir", Summary: "Salir / sign out", Access: acc, DuringPasswordChange: true, Handle: w.logout},
		{Method: "GET", Path: passwordPath, Summary: "Cambiar la contraseña / change the password", Access: acc, DuringPasswordChange: true, Handle: w.passwordPage},
		{Method: "POST", Path: passwordPath, Summary: "Cambiar la contraseña / change the password", Access: acc, DuringPasswordChange: true, Handle: w.passwordPost},
		{Method: "POST", Path: "/idioma", Summary: "Cambiar idioma / switch language", Access: pub, Handle: w.setLang},

		{Method: "GET", Path: "/casos", Summary: "Casos / cases", Access: acc, Handle: w.cases},
		{Method: "GET", Path: "/casos/{case}", Summary: "Resumen del caso / case overview", Access: acc, Handle: w.casePage},
		{Method: "GET", Path: "/operativos/{operation}/tablero", Summary: "Tablero del operativo (fragmento) / operation board (fragment)", Access: acc, Handle: w.boardFragment},
		{Method: "GET", Path: "/casos/{case}/detenciones", Summary: "Detenciones / detentions", Access: acc, Handle: w.detentions},
		{Method: "POST", Path: "/detenciones", Summary: "Registrar derechos, audiencia o liberación / record rights, hearing or release", Access: acc, Handle: w.detentionUpdate},
		{Method: "GET", Path: "/casos/{case}/accesos", Summary: "Quién vio qué / who viewed what", Access: acc, Handle: w.accessLog},
		{Method: "GET", Path: "/casos/{case}/analisis", Summary: "Análisis de la investigación: red, caminos, intermediarios, cronología / investigation analysis: network, paths, brokers, timeline", Access: acc, Handle: w.analysisPage},
		{Method: "POST", Path: "/casos/{case}/analisis/decisiones", Summary: "Unir o separar dos entidades (queda en el registro) / merge or split two entities (recorded in the log)", Access: acc, Handle: w.analysisDecide},
		{Method: "POST", Path: "/casos/{case}/analisis/decisiones/{decision}/revertir", Summary: "Revertir una decisión de análisis / revert an analysis decision", Access: acc, Handle: w.analysisRevert},
		{Method: "GET", Path: "/casos/{case}/analisis/mensaje", Summary: "El mensaje, llamada o pago de un vínculo y su evidencia / the message, call or payment of a link and its evidence", Access: acc, Handle: w.analysisMessage},

		{Method: "GET", Path: "/sitios/{site}", Summary: "Sitio / site", Access: acc, Handle: w.sitePage},
		{Method: "POST", Path: "/sitios/{site}/estado", Summary: "Estado del sitio / site status", Access: acc, Handle: w.siteStatus},
		{Method: "POST", Path: "/sitios/{site}/detencion", Summary: "Registrar detención / record a detention", Access: acc, Handle: w.siteDetention},
		{Method: "POST", Path: "/sitios/{site}/secuestro", Summary: "Registrar secuestro / record a seizure", Access: acc, Handle: w.siteSeize},

		{Method: "GET", Path: "/evidencias/{item}", Summary: "Evidencia / item", Access: acc, Handle: w.itemPage},
		{Method: "GET", Path: "/evidencias/{item}/etiqueta", Summary: "Etiqueta imprimible / printable label", Access: acc, Handle: w.labelPage},
		{Method: "GET", Path: "/evidencias/{item}/registro.pdf", Summary: "Registro de cadena de custodia (PDF) / chain-of-custody record (PDF)", Access: acc, Handle: w.itemRecordPDF},
		{Method: "POST", Path: "/evidencias/{item}/entrega", Summary: "Entrega firmada por ambas partes, u ofrecida a quien recibe / handover signed by both parties, or offered to the receiver", Access: acc, Handle: w.handover},
		{Method: "GET", Path: "/entregas", Summary: "Entregas pendientes / pending handovers", Access: acc, Handle: w.handoversPage},
		{Method: "POST", Path: "/entregas/{handover}/aceptar", Summary: "Aceptar una entrega / accept a handover", Access: acc, Handle: w.handoverAccept},
		{Method: "POST", Path: "/entregas/{handover}/retirar", Summary: "Retirar una entrega ofrecida / withdraw an offered handover", Access: acc, Handle: w.handoverWithdraw},
		{Method: "GET", Path: "/cuenta/llaves", Summary: "Llaves de acceso y de firma / passkeys and signing keys", Access: acc, Handle: w.keysPage},
		{Method: "POST", Path: "/cuenta/llaves/opciones", Summary: "Empezar el registro de una llave de acceso / begin a passkey enrolment", Access: acc, SessionOnly: true, Handle: w.passkeyBegin},
		{Method: "POST", Path: "/cuenta/llaves/registrar", Summary: "Registrar la llave de acceso / finish the passkey enrolment", Access: acc, SessionOnly: true, Handle: w.passkeyFinish},
		{Method: "POST", Path: "/cuenta/llaves/prueba", Summary: "Prueba de posesión de la llave / proof of possession of the key", Access: acc, SessionOnly: true, Handle: w.passkeyProve},
		{Method: "POST", Path: "/cuenta/llaves/{key}/aprobar", Summary: "Aprobar una llave (administración) / approve a key (administrators)", Access: acc, Handle: w.keyApprove},
		{Method: "POST", Path: "/cuenta/llaves/{key}/revocar", Summary: "Revocar una llave / revoke a key", Access: acc, Handle: w.keyRevoke},
		{Method: "POST", Path: "/entrar/llave/reto", Summary: "Reto para ingresar con llave de acceso / challenge to sign in with a passkey", Access: pub, SignIn: true, Handle: w.loginChallenge},
		{Method: "POST", Path: "/entrar/llave", Summary: "Ingresar con llave de acceso / sign in with a passkey", Access: pub, SignIn: true, Handle: w.passkeyLogin},
		{Method: "GET", Path: "/evidencias/{item}/subir", Summary: "Subir archivos de la evidencia / upload the item's files", Access: acc, Handle: w.uploadPage},
		{Method: "POST", Path: "/evidencias/{item}/subir", Summary: "Anexar un archivo a la evidencia / attach a file to the item", Access: acc, MaxBody: uploadFormMax + 1<<20, Handle: w.uploadPost},
		{Method: "POST", Path: "/evidencias/{item}/{action}", Summary: "Abrir, sellar, derivar, presentar, disponer / open, seal, derive, present, dispose", Access: acc, Handle: w.itemAction},

		{Method: "GET", Path: "/verificar", Summary: "Verificar un paquete / verify a bundle", Access: pub, Handle: w.verifyPage},
		{Method: "GET", Path: "/verify", Summary: "Verificar un paquete / verify a bundle", Access: pub, Handle: w.verifyPage},
		{Method: "POST", Path: "/verificar", Summary: "Verificar un paquete / verify a bundle", Access: pub, MaxBody: w.cfg.VerifyMaxBody, Handle: w.verifyPost},
		{Method: "POST", Path: "/verify", Summary: "Verificar un paquete / verify a bundle", Access: pub, MaxBody: w.cfg.VerifyMaxBody, Handle: w.verifyPost},

		{Method: "GET", Path: "/campo/{$}", Summary: "App de campo sin red (instalable) / field app that works offline (installable)", Access: pub, Handle: w.fieldShell},
		{Method: "GET", Path: "/campo/{file}", Summary: "Archivos de la app de campo / the field app's files", Access: pub, Handle: w.fieldFile},
		{Method: "GET", Path: "/campo/datos", Summary: "Datos de la app de campo: el funcionario, sus llaves, los sitios de su equipo y la sesión informativa publicada / the field app's data: the officer, their passkeys, their team's sites and the released briefing", Access: acc, Handle: w.fieldDataRead},

		{Method: "GET", Path: "/auditoria", Summary: "Auditoría / audit", Access: acc, Handle: w.auditPage},
		{Method: "POST", Path: "/auditoria", Summary: "Ejecutar auditoría / run the audit", Access: acc, Handle: w.auditRun},
	}
}

func (w *Web) static(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	a, ok := w.assets[r.PathValue("file")]
	if !ok {
		return notFound()
	}
	rw.Header().Set("Content-Type", a.ct)
	rw.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, err := rw.Write(a.body)
	return err
}

// favicon sends browsers that ask for /favicon.ico to the icon the pages
// link (an SVG, hashed like every asset).
func (w *Web) favicon(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	http.Redirect(rw, r, w.urls["favicon.svg"], http.StatusMovedPermanently)
	return nil
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if p == nil {
		http.Redirect(rw, r, "/entrar", http.StatusSeeOther)
	} else {
		http.Redirect(rw, r, "/casos", http.StatusSeeOther)
	}
	return nil
}

// ctx is a shorthand for handlers.
func ctx(r *http.Request) context.Context { return r.Context() }
