package gateway

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
)

// Access says who may call a route at all; the Policy then decides per case,
// per item and per site.
type Access int

const (
	Public  Access = iota // anyone, signed in or not
	Account               // any signed-in account (session or token)
)

// Route is one endpoint. Every route is registered through Gateway.Handle, so
// that the OpenAPI document, the authorization matrix test and the metrics
// see all of them.
type Route struct {
	Method  string // GET, POST, DELETE
	Path    string // a net/http pattern path, e.g. /api/v1/items/{item}
	Summary string // Spanish / English, for the OpenAPI document
	Access  Access
	// Body names the request body's schema in the OpenAPI document ("" for
	// none); Query lists query parameters.
	Body  string
	Query []string
	// Stream marks a Server-Sent Events route (no write timeout applies).
	Stream bool
	// MaxBody, when not 0, replaces Config.MaxBody for this route; -1
	// means no limit here because the handler bounds the body itself (an
	// upload's bytes, checked against its declared length).
	MaxBody int64
	// NoDoc keeps a route out of the OpenAPI document: for the web pages,
	// which are not API.
	NoDoc bool
	// DuringPasswordChange lets a session whose generated password must
	// first be changed (app.Principal.PasswordChangePending) call this
	// route: the change itself, signing out, who am I. Every other
	// route of an account answers 403 password_change_required.
	DuringPasswordChange bool
	// SessionOnly marks a route of a browser's session (its state lives
	// with the session, as a passkey enrolment's): an API token's call is
	// answered 403, and the handler may rely on p.Session.
	SessionOnly bool
	// SignIn marks a route that starts a session (a password, TOTP or
	// passkey sign-in): a request a browser sent from another site is
	// refused with 403 (CheckSameOrigin). A session's own writes have
	// their CSRF token; a sign-in has no session yet.
	SignIn bool
	Handle func(w http.ResponseWriter, r *http.Request, p *app.Principal) error
	// Error, when not nil, renders the route's errors instead of the JSON
	// error body (a web page renders HTML); StatusOf gives the status.
	Error func(w http.ResponseWriter, r *http.Request, err error)
}

// Pattern is the net/http pattern of the route.
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

// Handle registers a route. It panics on a route without a summary or
// handler, so that an undocumented route fails at start, not in production.
func (s *Gateway) Handle(rt Route) {
	if rt.Summary == "" || rt.Handle == nil || !strings.HasPrefix(rt.Path, "/") {
		panic(fmt.Sprintf("gateway: route %s needs a summary, a handler and an absolute path", rt.Pattern()))
	}
	s.routes = append(s.routes, rt)
	s.mux.Handle(rt.Pattern(), s.wrap(rt))
}

// statusWriter records the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// errSessionOnly answers a token's call to a route of the browser's session.
func errSessionOnly() error {
	return custody.Errorf(custody.EForbidden, "", "esta acción se hace en el navegador, con una sesión iniciada, no con un token de la API",
		"this is done in the browser, in a signed-in session, not with an API token")
}

// wrap applies, to one route: the body limit, authentication, CSRF for
// session writes, the handler, error rendering, the request log and the
// latency metric.
func (s *Gateway) wrap(rt Route) http.Handler {
	pattern := rt.Pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		if limit := cmp.Or(rt.MaxBody, s.svc.Config().MaxBody); limit > 0 {
			r.Body = http.MaxBytesReader(sw, r.Body, limit)
		}
		if rt.Access == Account && r.Method != http.MethodGet && r.Method != http.MethodHead && rt.MaxBody >= 0 {
			// A change is coming: the committer may wait a moment for it.
			// Not for a streamed body (an upload's bytes), which stays in
			// flight for seconds and would make every batch wait its
			// longest.
			s.svc.Commit.Enter()
			defer s.svc.Commit.Leave()
		}
		p, err := s.authenticate(r)
		if err == nil && rt.Access == Account && p == nil {
			err = app.ErrUnauthenticated()
		}
		if err == nil && rt.SignIn {
			err = s.CheckSameOrigin(r)
		}
		if err == nil && rt.SessionOnly && (p == nil || p.Session == nil) {
			err = errSessionOnly()
		}
		if err == nil && p != nil && p.Session != nil && r.Method != http.MethodGet && r.Method != http.MethodHead && rt.Path != "/api/v1/login" {
			err = CheckCSRF(p.Session, r)
		}
		if err == nil && rt.Access == Account && !rt.DuringPasswordChange {
			if ce := p.PasswordChangePending(); ce != nil {
				err = ce
			}
		}
		if err == nil {
			err = rt.Handle(sw, r, p)
		}
		if err != nil {
			if sw.status != 0 {
				// Headers already sent (a stream): nothing more to say.
				s.log.WarnContext(r.Context(), "error after response started", "route", pattern, "err", err.Error())
			} else if rt.Error != nil {
				rt.Error(sw, r, err)
			} else {
				s.WriteError(sw, r, err)
			}
		}
		d := time.Since(start)
		s.svc.Metrics.ObserveRequest(pattern, sw.status, d)
		attrs := []any{"route", pattern, "status", sw.status, "ms", float64(d.Microseconds()) / 1000}
		if p != nil {
			attrs = append(attrs, "account", p.Account)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
	})
}
