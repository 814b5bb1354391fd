package web

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
)

// totpData is the second step: the password travels back in a hidden
// field of the same page, over the same connection, and is checked only
// with the code.
type totpData struct {
	loginData
	Password string
}

type loginData struct {
	Account string
	Next    string
	Error   string
}

// safeNext keeps a post-sign-in destination on this site.
// Only plain path characters pass: browsers drop tabs and newlines and
// read a backslash as a slash, so "/\t/host" would leave the site.
func safeNext(s string) string {
	if !nextRE.MatchString(s) || strings.HasPrefix(s, "//") {
		return "/casos"
	}
	return s
}

var nextRE = regexp.MustCompile(`^/[A-Za-z0-9._~/?=&%:+-]*$`)

func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if p != nil {
		http.Redirect(rw, r, "/casos", http.StatusSeeOther)
		return nil
	}
	return w.render(rw, r, nil, "login", "login.title", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// loginPost signs in. Step one takes the account and password; when the
// account needs a TOTP code (app.LoginNeedsTOTP), step two asks for it
// and sends all three to app.Login, which checks them together and
// counts failures: no step checks anything on its own.
func (w *Web) loginPost(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	req := app.LoginRequest{Account: strings.TrimSpace(r.PostFormValue("account")), Password: r.PostFormValue("password"), TOTP: strings.TrimSpace(r.PostFormValue("totp"))}
	next := safeNext(r.PostFormValue("next"))
	if req.Account == "" {
		return invalid("account", "escriba su cuenta", "enter your account")
	}
	if req.Password == "" {
		return invalid("password", "escriba su contraseña", "enter your password")
	}
	totpStep := r.PostFormValue("step") == "totp"
	if !totpStep && w.s.LoginNeedsTOTP(ctx(r), req.Account) {
		return w.render(rw, r, nil, "totp", "login.totp_title", totpData{loginData{Account: req.Account, Next: next}, req.Password})
	}
	sess, _, err := w.s.Login(ctx(r), gateway.ClientIP(r), req)
	if err != nil {
		ce, status := gateway.ErrorOf(err)
		msg := ce.Message
		if lang(r) == "en" {
			msg = ce.MessageEN
		}
		if totpStep {
			return w.renderStatus(rw, r, nil, status, "totp", "login.totp_title", totpData{loginData{Account: req.Account, Next: next, Error: msg}, req.Password})
		}
		return w.renderStatus(rw, r, nil, status, "login", "login.title", loginData{Account: req.Account, Next: next, Error: msg})
	}
	w.gw.SetCookie(rw, r, sess)
	return done(rw, r, next)
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if p.Session != nil {
		w.s.Sessions.Delete(p.Session.ID)
	}
	http.SetCookie(rw, &http.Cookie{Name: gateway.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return done(rw, r, "/entrar")
}

func (w *Web) setLang(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	l := r.PostFormValue("lang")
	if l != "es" && l != "en" {
		return invalid("lang", "idioma desconocido", "unknown language")
	}
	http.SetCookie(rw, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return done(rw, r, safeNext(r.PostFormValue("next")))
}
