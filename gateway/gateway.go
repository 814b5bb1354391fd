// Package gateway is the HTTP door that the JSON API (package httpapi) and
// the pages (package web) share: one router, and around every route the
// security headers, the body limit, authentication (a bearer API token or a
// session cookie, resolved by package app), the CSRF check of a session's
// changes, the route's access level, the error answer with its status from
// one table, the request log and the latency metric.
//
// Every route is registered through Handle, so that the OpenAPI document,
// the authorization matrix test and the metrics see all of them. The rules
// themselves (who may read or change what) are not here: they are in
// package app and below, so that every door applies them alike.
//
// Logs (slog) carry the route pattern, status, duration and account: never
// bodies, query strings, credentials or reserved identities.
package gateway

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
)

// Gateway is the router with its dependencies. Create it with New, let the
// doors register their routes with Handle, and serve Handler().
type Gateway struct {
	svc    *app.Service
	mux    *http.ServeMux
	routes []Route
	log    *slog.Logger
}

// New returns a gateway in front of svc, with no routes yet.
func New(svc *app.Service) *Gateway {
	g := &Gateway{svc: svc, mux: http.NewServeMux(), log: svc.Log()}
	g.mux.HandleFunc(apiFallbackPattern, g.apiFallback)
	return g
}

const apiFallbackPattern = "/api/"

// Service is the application behind the gateway.
func (s *Gateway) Service() *app.Service { return s.svc }

// Handler returns the whole server: security headers, body limits, request
// logs and metrics around the router.
func (s *Gateway) Handler() http.Handler {
	return s.secure(s.mux)
}

// apiFallback is the least specific pattern under /api/: it serves a path
// no route has, or a method its route does not take, like every other API
// error, in JSON and the caller's language (405 with Allow), never with
// net/http's plain-text English.
func (s *Gateway) apiFallback(w http.ResponseWriter, r *http.Request) {
	s.fallback(w, r, apiFallbackPattern, custody.Errorf(custody.ENotFound, "", "no existe la ruta %s de la API", "there is no API route %s", r.URL.Path), s.WriteError)
}

// fallback answers a request that only the fallback pattern matched: a
// method the path's routes do not take (405, with Allow), or a path no
// route has (notFound), written by write in the door's own form.
func (s *Gateway) fallback(w http.ResponseWriter, r *http.Request, pattern string, notFound error, write func(http.ResponseWriter, *http.Request, error)) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" && p != pattern && p != pagesFallbackPattern {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		write(w, r, notFound)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	ce := custody.Errorf(custody.EMethod, "", "la ruta %s no admite %s; admite: %s", "route %s does not take %s; it takes: %s", r.URL.Path, r.Method, strings.Join(allow, ", "))
	write(w, r, ce)
}

const pagesFallbackPattern = "/"

// PagesFallback has write answer, as a page in the reader's language,
// every request outside the API that no route serves (404) or whose
// method its path's routes do not take (405): never net/http's plain-text
// English "404 page not found".
func (s *Gateway) PagesFallback(write func(http.ResponseWriter, *http.Request, error)) {
	s.mux.HandleFunc(pagesFallbackPattern, func(w http.ResponseWriter, r *http.Request) {
		s.fallback(w, r, pagesFallbackPattern, custody.Errorf(custody.ENotFound, "", "no existe la página %s", "there is no page %s", r.URL.Path), write)
	})
}

// Routes lists every registered route, in registration order.
func (s *Gateway) Routes() []Route { return append([]Route(nil), s.routes...) }

// secure sets the security headers every response carries.
func (s *Gateway) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.HTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

// Lang returns the user's language from Accept-Language: "en" when English
// is preferred over Spanish, else "es".
func Lang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "en"):
			return "en"
		case strings.HasPrefix(tag, "es"):
			return "es"
		}
	}
	return "es"
}

// WriteJSONHead sends the status and headers of a JSON answer.
func WriteJSONHead(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	WriteJSONHead(w, status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// Pattern is the route pattern that would serve r, or "" when none would.
func (s *Gateway) Pattern(r *http.Request) string {
	_, p := s.mux.Handler(r)
	return p
}
