package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/ledger"
)

type auditData struct {
	Size       int64
	Checkpoint string
	CPSize     int64
	Last       *auditRun
	Cases      []string
}

func (w *Web) auditAllowed(p *app.Principal) error {
	if !w.s.Policy.Can(p.Role, app.ActAudit) {
		return custody.Errorf(custody.EForbidden, "", "solo auditores y administradores", "auditors and administrators only")
	}
	return nil
}

// auditPage shows the ledger's size, its latest signed checkpoint and the
// result of the last audit run from this page.
func (w *Web) auditPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := w.auditAllowed(p); err != nil {
		return err
	}
	d := auditData{Size: w.l.Size()}
	if cp, err := w.l.LatestCheckpoint(ctx(r)); err == nil {
		d.Checkpoint, d.CPSize = strings.TrimRight(string(cp.Note), "\n"), cp.Size
	}
	w.auditMu.Lock()
	d.Last = w.lastAudit
	w.auditMu.Unlock()
	w.l.View(func(st *domain.State) error {
		for id := range st.Cases {
			if w.s.Policy.Case(st, p, id) == nil {
				d.Cases = append(d.Cases, id)
			}
		}
		return nil
	})
	return w.render(rw, r, p, "audit", "audit.title", d)
}

// auditRun runs the deployment's full audit (app.RunAudit) and keeps its
// result for the page.
func (w *Web) auditRun(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := w.auditAllowed(p); err != nil {
		return err
	}
	rep, err := w.s.RunAudit(ctx(r), p)
	run := &auditRun{At: w.now(), Account: p.Account, Report: rep}
	if err != nil {
		ce, _ := gateway.ErrorOf(err)
		run.Err = ce.Localized(lang(r))
	}
	w.auditMu.Lock()
	w.lastAudit = run
	w.auditMu.Unlock()
	return done(rw, r, "/auditoria")
}

type accessData struct {
	Case    string
	Entries []ledger.AccessEntry
	Since   string
}

// accessLog shows who viewed what in a case, from the access.read events.
func (w *Web) accessLog(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("case")
	var since time.Time
	if s := r.URL.Query().Get("since"); s != "" {
		t, err := custody.ParseTime(s)
		if err != nil {
			return invalid("since", "%q no es una hora RFC 3339", "%q is not an RFC 3339 time", s)
		}
		since = t
	}
	log, err := w.s.AccessLog(ctx(r), p, id, since) // the policy and the audited read are the server's
	if err != nil {
		return err
	}
	// Newest first, at most the last 500 on the page.
	out := make([]ledger.AccessEntry, 0, min(len(log), 500))
	for i := len(log) - 1; i >= 0 && len(out) < 500; i-- {
		out = append(out, log[i])
	}
	return w.render(rw, r, p, "access", "access.title", accessData{Case: id, Entries: out, Since: r.URL.Query().Get("since")})
}
