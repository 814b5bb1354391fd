package web

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
)

// totpData is the second step: it carries the id of a pending sign-in
// (app.Service.BeginLogin) whose password was right, never the password.
type totpData struct {
	loginData
	Pending string
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

// loginPost signs in. Step one takes the account and password
// (app.Service.BeginLogin); when the account needs a TOTP code, the server
// keeps a short-lived pending sign-in and step two sends only its id and
// the code (app.Service.FinishLogin). Both steps count against the same
// limits, and a page never echoes a password. Its route is a SignIn: the
// gateway refuses either step when a browser sent it from another site
// (login CSRF), before any password is checked.
func (w *Web) loginPost(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	next := safeNext(r.PostFormValue("next"))
	client := gateway.ClientIP(r)
	fail := func(err error, page, title string, data any) error {
		ce, status := gateway.ErrorOf(err)
		msg := ce.Message
		if lang(r) == "en" {
			msg = ce.MessageEN
		}
		switch d := data.(type) {
		case loginData:
			d.Error = msg
			data = d
		case totpData:
			d.Error = msg
			data = d
		}
		return w.renderStatus(rw, r, nil, status, page, title, data)
	}
	if r.PostFormValue("step") == "totp" {
		pending := r.PostFormValue("pending")
		account := w.s.PendingAccount(pending, client)
		sess, err := w.s.FinishLogin(ctx(r), client, pending, strings.TrimSpace(r.PostFormValue("totp")))
		if err != nil {
			if account == "" || w.s.PendingAccount(pending, client) == "" {
				// The pending sign-in is used up: start again.
				return fail(err, "login", "login.title", loginData{Account: account, Next: next})
			}
			return fail(err, "totp", "login.totp_title", totpData{loginData{Account: account, Next: next}, pending})
		}
		w.gw.SetCookie(rw, r, sess)
		return done(rw, r, next)
	}
	account, password := strings.TrimSpace(r.PostFormValue("account")), r.PostFormValue("password")
	if account == "" {
		return invalid("account", "escriba su cuenta", "enter your account")
	}
	if password == "" {
		return invalid("password", "escriba su contraseña", "enter your password")
	}
	sess, pending, err := w.s.BeginLogin(ctx(r), client, account, password)
	if err != nil {
		return fail(err, "login", "login.title", loginData{Account: account, Next: next})
	}
	if pending != "" {
		return w.render(rw, r, nil, "totp", "login.totp_title", totpData{loginData{Account: account, Next: next}, pending})
	}
	w.gw.SetCookie(rw, r, sess)
	return done(rw, r, next)
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if p.Session != nil {
		w.s.Sessions.Delete(p.Session.ID)
	}
	http.SetCookie(rw, &http.Cookie{Name: gateway.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: w.gw.HTTPS(r), SameSite: http.SameSiteStrictMode})
	return done(rw, r, "/entrar")
}

func (w *Web) setLang(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	l := r.PostFormValue("lang")
	if l != "es" && l != "en" {
		return invalid("lang", "idioma desconocido", "unknown language")
	}
	http.SetCookie(rw, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: w.gw.HTTPS(r), SameSite: http.SameSiteLaxMode})
	return done(rw, r, safeNext(r.PostFormValue("next")))
}
