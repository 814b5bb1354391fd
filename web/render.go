package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/verify"
	"github.com/custodia-ec/custodia/verify/report"

	"github.com/custodia-ec/custodia/internal/zone"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
)

// view is what every template gets: the user, the language and the page's
// own data.
type view struct {
	w     *Web
	Lang  string
	P     *app.Principal
	CSRF  string
	Title string
	Path  string
	Now   time.Time
	Data  any
}

// T translates a catalogue key.
func (v *view) T(key string) string { return v.w.cat.T(v.Lang, key) }

// N is the text of key for a count of n: key+".one" when n is 1 and the
// catalogue has it, else key+".other" or key, formatted with n when the
// text takes it ("1 operativo", "3 operativos").
func (v *view) N(key string, n int) string {
	k := key + ".other"
	if n == 1 {
		k = key + ".one"
	}
	if !v.w.cat.Has(k) {
		k = key
	}
	t := v.T(k)
	if strings.Contains(t, "%d") {
		return fmt.Sprintf(t, n)
	}
	return t
}

// Tf translates a key and formats it with args.
func (v *view) Tf(key string, args ...any) string { return fmt.Sprintf(v.T(key), args...) }

// L translates an enumerated value: L "status" "entered" is the name of
// the entered status.
//
// The values of the record (ops, statuses, types...) are named by the one
// table the PDFs and the verifier read too (vocab.Word, casefile.Word),
// so that a page and a document never name the same thing differently.
func (v *view) L(prefix, value string) string { return v.w.cat.Label(v.Lang, prefix, value) }

// Time shows an RFC 3339 time in the deployment's zone with its offset
// ("2023-12-14 06:30 -05:00"), "" when empty.
func (v *view) Time(s string) string {
	if s == "" {
		return ""
	}
	t, err := custody.ParseTime(s)
	if err != nil {
		return s
	}
	return zone.Show(t, v.w.cfg.Zone)
}

// linkKinds are the link kinds the catalogue names (link.KIND); a link's
// kind is free text in the case file, and an unknown one is shown as its
// words ("met_with" → "met with"), never as a code.
var linkKinds = []string{"allied_with", "communicated_with", "employed_by", "financed", "held_deeds_of", "member_of", "owns", "paid", "presides", "supported"}

// LinkKind is the text of a link's kind.
func (v *view) LinkKind(kind string) string { return v.w.linkKind(v.Lang, kind) }

func (w *Web) linkKind(lang, kind string) string {
	if w.cat.Has("link." + kind) {
		return w.cat.T(lang, "link."+kind)
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// Recorder says who recorded an event in words: "cuenta fiscal", or the
// line of the imported file (domain.RecordedBy's "import:SHA256:LINE"),
// so that a file's line number is never read as an event number.
func (v *view) Recorder(s string) string {
	if a, ok := strings.CutPrefix(s, "account:"); ok {
		return v.Tf("ev.by_account", a)
	}
	if rest, ok := strings.CutPrefix(s, "import:"); ok {
		sha, line, ok := strings.Cut(rest, ":")
		if ok && len(sha) >= 12 {
			return v.Tf("ev.by_import", line, sha[:12])
		}
	}
	return s
}

// Can reports whether the user's role may do action (a record op).
func (v *view) Can(action string) bool {
	return v.P != nil && v.w.s.Policy.Can(v.P.Role, action)
}

// NowInput is the current time for a datetime-local field.
func (v *view) NowInput() string { return v.Now.In(v.w.cfg.Zone).Format("2006-01-02T15:04") }

// RFC3339 formats a time for machines (data attributes).
func (v *view) RFC3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (w *Web) newView(r *http.Request, p *app.Principal, title string, data any) *view {
	v := &view{w: w, Lang: lang(r), P: p, Path: r.URL.RequestURI(), Now: w.now(), Data: data}
	if p != nil && p.Session != nil {
		v.CSRF = p.Session.CSRF
	}
	v.Title = v.T(title)
	return v
}

// render writes a page with status 200.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, p *app.Principal, page, title string, data any) error {
	return w.renderStatus(rw, r, p, http.StatusOK, page, title, data)
}

func (w *Web) renderStatus(rw http.ResponseWriter, r *http.Request, p *app.Principal, status int, page, title string, data any) error {
	t, ok := w.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "base", w.newView(r, p, title, data)); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_, err := rw.Write(b.Bytes())
	return err
}

// fragment renders a named template of a page alone (for live updates).
func (w *Web) fragment(rw http.ResponseWriter, r *http.Request, p *app.Principal, page, name string, data any) error {
	var b bytes.Buffer
	if err := w.pages[page].ExecuteTemplate(&b, name, w.newView(r, p, "", data)); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	_, err := rw.Write(b.Bytes())
	return err
}

// isFetch reports a request sent by app.js, which wants JSON answers.
func isFetch(r *http.Request) bool { return r.Header.Get("X-Requested-With") == "fetch" }

// fetchResult is app.js's answer: where to go next, a fragment to show, or
// an error for a field.
type fetchResult struct {
	Redirect string    `json:"redirect,omitempty"`
	Sign     *toSign   `json:"sign,omitempty"`
	HTML     string    `json:"html,omitempty"`
	Target   string    `json:"target,omitempty"`
	Error    *fieldErr `json:"error,omitempty"`
}

type fieldErr struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// done answers a successful form: a redirect for a plain form, JSON for
// app.js.
func done(rw http.ResponseWriter, r *http.Request, to string) error {
	if isFetch(r) {
		gateway.WriteJSON(rw, http.StatusOK, fetchResult{Redirect: to})
		return nil
	}
	http.Redirect(rw, r, to, http.StatusSeeOther)
	return nil
}

// renderError is every page route's error renderer: JSON with the field for
// app.js, a sign-in redirect for an anonymous page view, else an HTML error
// page in the user's language.
func (w *Web) renderError(rw http.ResponseWriter, r *http.Request, err error) {
	var ts *toSign
	if errors.As(err, &ts) {
		gateway.WriteJSON(rw, http.StatusOK, fetchResult{Sign: ts})
		return
	}
	ce, status := gateway.ErrorOf(err)
	var ie *custody.Error
	if status == http.StatusInternalServerError && !errors.As(err, &ie) {
		w.gw.WriteError(&discard{h: http.Header{}}, r, err) // logs the detail
	}
	l := lang(r)
	msg := ce.Message
	if l == "en" {
		msg = ce.MessageEN
	}
	if ce.Code == custody.EBusy {
		rw.Header().Set("Retry-After", "5")
	}
	if ce.Code == app.EPasswordChange {
		// A generated password awaits its change: every page and form
		// leads to the change form.
		if isFetch(r) {
			gateway.WriteJSON(rw, http.StatusOK, fetchResult{Redirect: passwordPath})
			return
		}
		http.Redirect(rw, r, passwordPath, http.StatusSeeOther)
		return
	}
	if isFetch(r) {
		gateway.WriteJSON(rw, status, fetchResult{Error: &fieldErr{Code: ce.Code, Field: ce.Field, Message: msg}})
		return
	}
	if status == http.StatusUnauthorized && r.Method == http.MethodGet {
		http.Redirect(rw, r, "/entrar?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	key := map[int]string{404: "error.not_found", 403: "error.forbidden", 401: "error.unauthenticated", 413: "error.too_large", 429: "error.rate_limited", 503: "error.busy"}[status]
	if key == "" {
		key = "error.title"
	}
	data := map[string]string{"Heading": key, "Message": msg, "Field": ce.Field}
	if e := w.renderStatus(rw, r, principalOf(r, w), status, "error", key, data); e != nil {
		http.Error(rw, msg, status)
	}
}

// principalOf finds the signed-in user for an error page's header.
func principalOf(r *http.Request, w *Web) *app.Principal {
	var p *app.Principal
	w.gw.Authenticate(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { p = gateway.PrincipalFrom(r.Context()) })).
		ServeHTTP(&discard{h: http.Header{}}, r)
	return p
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func notFound() error {
	return custody.Errorf(custody.ENotFound, "", "no existe o no tiene acceso", "it does not exist or you have no access")
}

func invalid(field, es, en string, args ...any) error {
	return custody.Errorf(custody.EInvalid, field, es, en, args...)
}

// formTime reads a datetime-local field (in the deployment's zone) as RFC
// 3339 with the offset; empty gives def ("" or now).
func (w *Web) formTime(r *http.Request, field string, required bool) (string, error) {
	// The time an act was prepared with, when its signatures were made
	// over it (see toSign): the act is the one signed.
	if at := r.PostFormValue("_" + field); at != "" {
		if _, err := custody.ParseTime(at); err == nil {
			return at, nil
		}
	}
	s := strings.TrimSpace(r.FormValue(field))
	if s == "" {
		if required {
			return w.now().In(w.cfg.Zone).Format(time.RFC3339), nil
		}
		return "", nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, w.cfg.Zone); err == nil {
			return t.Format(time.RFC3339), nil
		}
	}
	if t, err := custody.ParseTime(s); err == nil {
		return t.Format(time.RFC3339), nil
	}
	return "", invalid(field, "%q no es una fecha y hora (AAAA-MM-DDTHH:MM)", "%q is not a date and time (YYYY-MM-DDTHH:MM)", s)
}

// StepDetail is a verified step's fields in words (verify/report).
func (v *view) StepDetail(s verify.Step) string { return report.Detail(s, v.Lang) }

// StepSigned says who signed a verified step, with key fingerprints.
func (v *view) StepSigned(s verify.Step) string { return report.SignedBy(s, v.Lang) }

// NeedsKey reports whether the signed-in account's role records custody
// acts and its officer has no key in force: the pages ask it to enrol one.
func (v *view) NeedsKey() bool {
	if v.P == nil || v.P.Officer == "" || !domain.CustodyRoles[v.P.Role] || v.Path == "/cuenta/llaves" {
		return false
	}
	need := true
	v.w.l.View(func(st *domain.State) error { need = !st.HasActiveKey(v.P.Officer, v.w.l.Size()); return nil })
	return need
}

// Dur writes minutes as "3 h 30 min" (the same in both languages).
func (v *view) Dur(minutes int64) string {
	if minutes < 0 {
		minutes = -minutes
	}
	if minutes < 60 {
		return fmt.Sprintf("%d min", minutes)
	}
	return fmt.Sprintf("%d h %d min", minutes/60, minutes%60)
}

// With returns a copy of the view with other data, for sub-templates.
func (v *view) With(data any) *view { c := *v; c.Data = data; return &c }
