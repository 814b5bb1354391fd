package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

type siteData struct {
	Site       app.SiteView
	Case       string
	History    []domain.StatusChange
	Next       []string // statuses the site may move to
	Persons    []app.PersonView
	Detentions []detentionRow
	// TeamDetentions are the detentions of the site's operation that name
	// no site and were made by its lead or team: the site's people made
	// them, where the record does not say.
	TeamDetentions []detentionRow
	Concluded      bool // completed or aborted: no more seizures or detentions
	Items          []app.ItemView
	NextDetID      string
	NextItemID     string
	Bases          []string
	ItemTypes      []string
	CanStatus      bool
	CanDetain      bool
	CanSeize       bool
	TeamOfficers   []string
}

var statusRank = map[string]int{"planned": 0, "en_route": 1, "entered": 2, "secured": 3, "completed": 4}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// siteSuffix is the site's id without its "S-" prefix, for suggested ids.
func siteSuffix(id string) string { return strings.TrimPrefix(id, "S-") }

func (w *Web) sitePage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("site")
	var d siteData
	var rd *domain.AccessRead
	var reads []domain.AccessRead // reserved identities shown
	err := w.l.View(func(st *domain.State) error {
		site, ok := st.Sites[id]
		if !ok {
			return notFound()
		}
		c := st.Operations[site.Operation].Case
		if err := w.s.Policy.Read(st, p, c); err != nil {
			return err
		}
		d.Site, rd = w.s.SiteViewOf(st, p, site, c)
		d.Case = c
		d.History = site.History
		cur := site.Current()
		if cur != "completed" && cur != "aborted" {
			for _, s := range statusOrder[1:] {
				if s == "aborted" || statusRank[s] > statusRank[cur] {
					d.Next = append(d.Next, s)
				}
			}
		}
		for _, pe := range st.Persons {
			if pe.Case == c {
				// A reserved identity shows as its id only, unless the
				// role may see it: the team can still name whom it holds.
				v, prd := w.s.PersonViewOf(pe, p)
				d.Persons = append(d.Persons, v)
				if prd != nil {
					reads = append(reads, *prd)
				}
			}
		}
		sort.Slice(d.Persons, func(i, j int) bool { return d.Persons[i].ID < d.Persons[j].ID })
		team := map[string]bool{site.Lead: true}
		for _, m := range site.Team {
			team[m] = true
		}
		for _, ds := range st.CaseDetentions(c, w.now()) {
			switch {
			case ds.Site == id:
				row, drd := w.detentionRow(st, p, ds)
				d.Detentions = append(d.Detentions, row)
				if drd != nil {
					reads = append(reads, *drd)
				}
			case ds.Site == "" && ds.Operation == site.Operation && team[ds.ArrestedBy]:
				row, drd := w.detentionRow(st, p, ds)
				d.TeamDetentions = append(d.TeamDetentions, row)
				if drd != nil {
					reads = append(reads, *drd)
				}
			}
		}
		n := 0
		for _, it := range st.Items {
			if it.Seize != nil && it.Seize.Site == id {
				n++
				if w.s.Policy.ItemListed(st, p, it) {
					d.Items = append(d.Items, app.ItemViewOf(it))
				}
			}
		}
		sort.Slice(d.Items, func(i, j int) bool { return d.Items[i].ID < d.Items[j].ID })
		d.NextItemID = nextID(st, "E-"+siteSuffix(id)+"-", n+1, func(s string) bool { _, ok := st.Items[s]; return ok })
		nd := 1
		for _, dd := range st.Detentions {
			if dd.Site == id {
				nd++
			}
		}
		d.NextDetID = nextID(st, "D-"+siteSuffix(id)+"-", nd, func(s string) bool { _, ok := st.Detentions[s]; return ok })
		d.Bases, d.ItemTypes = sortedKeys(casefile.DetentionBases), sortedKeys(casefile.ItemTypes)
		d.Concluded = cur == "completed" || cur == "aborted"
		d.CanStatus = w.s.Policy.MayRecordStatus(p, site)
		d.CanDetain = w.s.Policy.Can(p.Role, casefile.OpDetention) && p.Officer != "" && !d.Concluded
		d.CanSeize = w.s.Policy.Can(p.Role, custody.OpSeize) && p.Officer != "" && !d.Concluded
		return nil
	})
	if err != nil {
		return err
	}
	if rd == nil {
		rd = &domain.AccessRead{Case: d.Case, Kind: "sites", ID: d.Site.Operation}
	}
	// The site (its target when shown), the case's persons (the detention
	// form names them), its detentions and items, and each reserved
	// identity shown.
	reads = append([]domain.AccessRead{*rd, {Case: d.Case, Kind: "persons", ID: d.Case}, {Case: d.Case, Kind: "detentions", ID: d.Case},
		{Case: d.Case, Kind: "items", ID: d.Case}}, dedupReads(reads)...)
	if err := w.s.AuditedRead(ctx(r), p, reads...); err != nil {
		return err
	}
	return w.render(rw, r, p, "site", "site.title", d)
}

// nextID suggests the first free id prefix+NN from n on.
func nextID(_ *domain.State, prefix string, n int, taken func(string) bool) string {
	for ; ; n++ {
		id := fmt.Sprintf("%s%02d", prefix, n)
		if !taken(id) {
			return id
		}
	}
}

// siteCase returns the case of a site p may read, or not_found.
func (w *Web) siteCase(p *app.Principal, id string) (string, error) {
	var c string
	err := w.l.View(func(st *domain.State) error {
		site, ok := st.Sites[id]
		if !ok {
			return notFound()
		}
		c = st.Operations[site.Operation].Case
		return w.s.Policy.Read(st, p, c)
	})
	return c, err
}

// write sends one record through the server's one write path.
func (w *Web) write(r *http.Request, p *app.Principal, op string, rec any) (*app.RecordResult, error) {
	return w.writeAct(r, p, op, rec, 0)
}

// writeAct is write for the i-th act of a form (its signatures are
// sig_I_ROLE); with _prepare set it writes nothing and answers what to sign.
func (w *Web) writeAct(r *http.Request, p *app.Principal, op string, rec any, i int) (*app.RecordResult, error) {
	if err := w.check(p, op, rec); err != nil {
		return nil, err
	}
	if r.PostFormValue("_prepare") != "" {
		return nil, w.prepare(r, act{op, rec})
	}
	sigs, err := formSigs(r, i)
	if err != nil {
		return nil, err
	}
	return w.s.WriteSigned(ctx(r), p, op, rec, sigs, nil)
}

// check is write's checks before the write path's own: the policy, then
// the record on its own.
func (w *Web) check(p *app.Principal, op string, rec any) error {
	// The policy first (a role that may not gets forbidden, not a field
	// error), then the record on its own, then the server's write path,
	// which checks the policy again against the state it appends to.
	if err := w.l.View(func(st *domain.State) error { _, err := w.s.Policy.Write(st, p, op, rec); return err }); err != nil {
		return err
	}
	if err := casefile.Validate(op, rec); err != nil { // a *custody.Error: never return it nil as an error
		return err
	}
	return nil
}

func (w *Web) siteStatus(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("site")
	if _, err := w.siteCase(p, id); err != nil {
		return err
	}
	at, err := w.formTime(r, "at", true)
	if err != nil {
		return err
	}
	rec := &casefile.SiteStatus{Site: id, Status: r.PostFormValue("status"), At: at, By: p.Officer, Note: strings.TrimSpace(r.PostFormValue("note"))}
	if _, err := w.write(r, p, casefile.OpSiteStatus, rec); err != nil {
		return err
	}
	return done(rw, r, "/sitios/"+id)
}

func (w *Web) siteDetention(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("site")
	c, err := w.siteCase(p, id)
	if err != nil {
		return err
	}
	arrested, err := w.formTime(r, "arrested_at", true)
	if err != nil {
		return err
	}
	rights, err := w.formTime(r, "rights_notified_at", false)
	if err != nil {
		return err
	}
	var op string
	w.l.View(func(st *domain.State) error { op = st.Sites[id].Operation; return nil })
	rec := &casefile.Detention{ID: strings.TrimSpace(r.PostFormValue("id")), Case: c, Person: r.PostFormValue("person"), Basis: r.PostFormValue("basis"),
		ArrestedAt: arrested, ArrestedBy: p.Officer, Operation: op, Site: id, Place: strings.TrimSpace(r.PostFormValue("place")),
		Charge: strings.TrimSpace(r.PostFormValue("charge")), RightsNotifiedAt: rights}
	if _, err := w.write(r, p, casefile.OpDetention, rec); err != nil {
		return err
	}
	return done(rw, r, "/sitios/"+id)
}

// maxPhotos bounds the photos of one seizure form.
const maxPhotos = 10

// siteSeize records a seizure and, for each photo sent with it, an
// evidence.attach with the photo's SHA-256 and size, after the photo's
// bytes are stored and verified in the evidence file store (like an upload
// through the API). Without a store, the record still proves which photo
// was taken, and the page says the team keeps the file.
func (w *Web) siteSeize(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("site")
	c, err := w.siteCase(p, id)
	if err != nil {
		return err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return err
		}
	}
	at, err := w.formTime(r, "seized_at", true)
	if err != nil {
		return err
	}
	rec := &custody.Seize{ID: strings.TrimSpace(r.FormValue("id")), Case: c, Type: r.FormValue("type"), Description: strings.TrimSpace(r.FormValue("description")),
		SeizedAt: at, SeizedBy: p.Officer, Site: id, Place: strings.TrimSpace(r.FormValue("place")), Seal: strings.TrimSpace(r.FormValue("seal"))}
	if q := strings.TrimSpace(r.FormValue("quantity")); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n < 1 {
			return invalid("quantity", "la cantidad debe ser un número entero mayor que cero", "the quantity must be a whole number above zero")
		}
		rec.Quantity = &n
	}
	type photo struct {
		name, ct, sum string
		size          int64
		index         int // in the form's files
	}
	var photos []photo
	if r.MultipartForm != nil {
		files := r.MultipartForm.File["photos"]
		if len(files) > maxPhotos {
			return invalid("photos", "como máximo %d fotos por secuestro", "at most %d photos per seizure", maxPhotos)
		}
		for fi, fh := range files {
			if fh.Size == 0 {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			h := sha256.New()
			n, err := io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			photos = append(photos, photo{name: fh.Filename, ct: fh.Header.Get("Content-Type"), sum: hex.EncodeToString(h.Sum(nil)), size: n, index: fi})
		}
	}
	if r.PostFormValue("_prepare") != "" {
		// The seizure and each photo's attachment are acts of the
		// agent: each is signed.
		if err := w.check(p, custody.OpSeize, rec); err != nil {
			return err
		}
		acts := []act{{custody.OpSeize, rec}}
		for _, ph := range photos {
			size := ph.size
			acts = append(acts, act{custody.OpAttach, &custody.Attach{Item: rec.ID, Name: ph.name, SHA256: ph.sum, Size: &size, At: at, By: p.Officer, MediaType: ph.ct}})
		}
		return w.prepare(r, acts...)
	}
	if _, err := w.write(r, p, custody.OpSeize, rec); err != nil {
		return err
	}
	for i, ph := range photos {
		if bs := w.s.Blobs(); bs != nil {
			f, err := r.MultipartForm.File["photos"][ph.index].Open()
			if err != nil {
				return err
			}
			err = bs.Put(ctx(r), ph.sum, f, ph.size)
			f.Close()
			if err != nil {
				return fmt.Errorf("photo %d: %w", i+1, err)
			}
		}
		size := ph.size
		att := &custody.Attach{Item: rec.ID, Name: ph.name, SHA256: ph.sum, Size: &size, At: at, By: p.Officer, MediaType: ph.ct}
		if _, err := w.writeAct(r, p, custody.OpAttach, att, i+1); err != nil {
			return err
		}
	}
	return done(rw, r, "/evidencias/"+rec.ID)
}
