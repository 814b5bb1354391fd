package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "custodia_session"

// CheckCSRF checks a state-changing request of a session: its X-CSRF-Token
// header or csrf_token form field must be the session's token.
func CheckCSRF(s *app.Session, r *http.Request) error {
	tok := r.Header.Get("X-CSRF-Token")
	ct := r.Header.Get("Content-Type")
	switch {
	case tok != "":
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		tok = r.PostFormValue("csrf_token")
	case strings.HasPrefix(ct, "multipart/form-data"):
		// A form with files sent without the pages' script: the token
		// is a field of the form. The files beyond 1 MiB go to temporary
		// files, which net/http removes when the request ends; the body
		// is already under the route's limit.
		err := r.ParseMultipartForm(1 << 20)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err // answered too_large, not as a missing token
		}
		if err == nil {
			tok = r.PostFormValue("csrf_token")
		}
	}
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) != 1 {
		return custody.Errorf(custody.EForbidden, "csrf_token", "falta el token CSRF o no corresponde a la sesión", "the CSRF token is missing or does not match the session")
	}
	return nil
}

// CheckSameOrigin refuses a request that a browser sent from another site:
// for a sign-in, the login CSRF where a page elsewhere posts its author's
// own account and password, so that the victim then works, and records
// evidence, in an account that is not theirs. Browsers say where a request
// comes from. Sec-Fetch-Site, when sent, must be same-origin (or none: a
// request the user started); Origin, when sent, must be this server's own
// origin: the configured public URL's, or the scheme and host the request
// came to (http as well as https unless the server knows it is reached
// over TLS, since a proxy in front may end TLS unannounced). Origin "null"
// says nothing: the pages' own Referrer-Policy (no-referrer) makes a
// browser send it on their own form posts. A request with neither header
// comes from a program or an old browser without Fetch Metadata, and
// passes: the residue is such a browser on a page of another site that
// hides its origin too.
func (g *Gateway) CheckSameOrigin(r *http.Request) error {
	refuse := func() error {
		return custody.Errorf(custody.EForbidden, "", "ingreso rechazado: la petición viene de otro sitio; ingrese desde la página de Custodia",
			"sign-in refused: the request comes from another site; sign in from Custodia's own page")
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return refuse()
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return nil
	}
	if pu := g.svc.Config().PublicURL; pu != "" {
		if u, err := url.Parse(pu); err == nil && u.Host != "" && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
			return nil
		}
	}
	if strings.EqualFold(origin, "https://"+r.Host) || !g.HTTPS(r) && strings.EqualFold(origin, "http://"+r.Host) {
		return nil
	}
	return refuse()
}

// HTTPS reports whether users reach the server over TLS: the request came
// over TLS, or the configured public URL is https (TLS ends at a proxy).
func (g *Gateway) HTTPS(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(g.svc.Config().PublicURL, "https://")
}

// SetCookie sets the session cookie: HttpOnly, SameSite=Strict, Secure
// whenever users reach the server over TLS (HTTPS).
func (g *Gateway) SetCookie(w http.ResponseWriter, r *http.Request, s *app.Session) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.ID, Path: "/", HttpOnly: true, Secure: g.HTTPS(r),
		SameSite: http.SameSiteStrictMode}) // a browser-session cookie; the server enforces Expires
}

// principalKey carries the principal in a request's context.
type principalKey struct{}

// PrincipalFrom returns the principal Authenticate stored, or nil.
func PrincipalFrom(ctx context.Context) *app.Principal {
	p, _ := ctx.Value(principalKey{}).(*app.Principal)
	return p
}

// Authenticate is middleware for routes mounted outside Handle (the web
// package's static files): it stores the principal, if any, in the context.
func (s *Gateway) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// authenticate finds the caller: a bearer token, or a session cookie. No
// credential gives (nil, nil); a bad one gives an unauthenticated error.
func (g *Gateway) authenticate(r *http.Request) (*app.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, app.ErrUnauthenticated()
		}
		return g.svc.TokenPrincipal(r.Context(), secret)
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil
	}
	return g.svc.SessionPrincipal(c.Value), nil
}

// ClientIP is the address a request came from, the key of per-client
// sign-in limits.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
