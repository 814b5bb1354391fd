package web

import (
	"net/http"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
)

// passwordPath is the page where a signed-in user changes the password;
// while a generated password awaits its change, every page leads here.
const passwordPath = "/cuenta/clave"

type passwordData struct {
	Required bool   // the password was generated: change it to go on
	Error    string // the refusal, in the user's language
	Field    string // the field it names: old, new or confirm
}

func (w *Web) passwordPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	return w.render(rw, r, p, "account", "account.title", passwordData{Required: p.PasswordChangePending() != nil})
}

// passwordPost changes the password through app.Service.ChangePassword:
// the same policy, limits and log as the JSON API, and the account's other
// sessions end. A refusal is shown on the form, never with the passwords.
func (w *Web) passwordPost(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	err := w.s.ChangePassword(ctx(r), p, r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("confirm"))
	if err == nil {
		return done(rw, r, "/casos")
	}
	if isFetch(r) {
		return err
	}
	ce, status := gateway.ErrorOf(err)
	msg := ce.Message
	if lang(r) == "en" {
		msg = ce.MessageEN
	}
	return w.renderStatus(rw, r, p, status, "account", "account.title", passwordData{Required: p.PasswordChangePending() != nil, Error: msg, Field: ce.Field})
}
