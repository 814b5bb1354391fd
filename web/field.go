package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
)

// The field app (issue 18) under /campo/: an installable web app for raid
// teams (manifest, service worker, IndexedDB) that records seizures,
// photos, detentions and site statuses with no network, each signed on the
// phone by the officer's passkey, and syncs them through
// POST /api/v1/field/sync. Its files are in web/field; the page is one
// shell that holds every text of the app in both languages, so that it
// works offline in either. /campo/datos is the one read: the officer, their
// passkeys, their team's sites with the briefing released to them, and the
// case's persons.

//go:embed field
var fieldFS embed.FS

// fieldApp is the app's files, hashed into one version.
type fieldApp struct {
	version string
	files   map[string]asset
	shell   []byte
}

// fieldFiles are the files served under /campo/, with their types.
var fieldFiles = map[string]string{
	"canon.js": "text/javascript; charset=utf-8", "field.js": "text/javascript; charset=utf-8", "sw.js": "text/javascript; charset=utf-8",
	"field.css": "text/css; charset=utf-8", "manifest.webmanifest": "application/manifest+json", "icon.svg": "image/svg+xml",
}

// fieldWordKinds are the record values the app names, from the shared
// word tables (the ops a device records, from the catalogue).
var fieldWordKinds = map[string][]string{
	"itype":  sortedKeys(casefile.ItemTypes),
	"status": statusOrder,
	"basis":  sortedKeys(casefile.DetentionBases),
	"op":     {custody.OpSeize, custody.OpAttach, custody.OpTransfer, custody.OpSeal, casefile.OpSiteStatus, casefile.OpDetention, casefile.OpDetentionUpd},
}

func (w *Web) loadField() error {
	fa := &fieldApp{files: map[string]asset{}}
	h := sha256.New()
	names := make([]string, 0, len(fieldFiles))
	for n := range fieldFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fieldFS.ReadFile("field/" + n)
		if err != nil {
			return err
		}
		h.Write([]byte(n))
		h.Write(b)
		fa.files[n] = asset{body: b, ct: fieldFiles[n]}
	}
	for _, size := range []int{192, 512} {
		b, err := fieldIcon(size)
		if err != nil {
			return err
		}
		fa.files["icon-"+itoa(size)+".png"] = asset{body: b, ct: "image/png"}
	}
	// Every text the app shows, in both languages, and the record's words.
	texts := map[string]map[string]string{}
	for _, k := range w.cat.Keys() {
		if strings.HasPrefix(k, "campo.") {
			texts[k] = map[string]string{"es": w.cat.T("es", k), "en": w.cat.T("en", k)}
		}
	}
	words := map[string]map[string]map[string]string{}
	for kind, codes := range fieldWordKinds {
		words[kind] = map[string]map[string]string{}
		for _, c := range codes {
			m := map[string]string{}
			for _, l := range []string{"es", "en"} {
				v := vocab.Word(kind, c, l)
				if v == "" {
					v = casefile.Word(kind, c, l)
				}
				if v == "" {
					v = w.cat.T(l, kind+"."+c)
				}
				m[l] = v
			}
			words[kind][c] = m
		}
	}
	page, err := fieldFS.ReadFile("field/index.html")
	if err != nil {
		return err
	}
	h.Write(page)
	tpl, err := template.New("campo").Parse(string(page))
	if err != nil {
		return err
	}
	pack := map[string]any{"texts": texts, "words": words}
	// The version covers the texts too: a changed word is a new app.
	var probe bytes.Buffer
	if err := tpl.Execute(&probe, map[string]any{"Version": "", "Texts": pack}); err != nil {
		return err
	}
	h.Write(probe.Bytes())
	fa.version = hex.EncodeToString(h.Sum(nil))[:16]
	var shell bytes.Buffer
	if err := tpl.Execute(&shell, map[string]any{"Version": fa.version, "Texts": pack}); err != nil {
		return err
	}
	fa.shell = shell.Bytes()
	sw := fa.files["sw.js"]
	sw.body = bytes.ReplaceAll(sw.body, []byte("__VERSION__"), []byte(fa.version))
	fa.files["sw.js"] = sw
	w.field = fa
	return nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// fieldIcon draws the app's icon (a shield with a check on the app's blue)
// as a PNG of size×size, for installers that want a raster icon.
func fieldIcon(size int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	blue, white := color.RGBA{0x1e, 0x3a, 0x5f, 0xff}, color.RGBA{0xff, 0xff, 0xff, 0xff}
	s := float64(size) / 64
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			fx, fy := float64(x)/s, float64(y)/s
			img.Set(x, y, blue)
			// The shield's outline: |x−32| ≤ 18 from y 10 to 31, then
			// narrowing to its point at y 54; a 4-unit stroke.
			half := 18.0
			if fy > 31 {
				half = 18 * (54 - fy) / 23
			}
			d := abs(fx - 32)
			inside := fy >= 12 && fy <= 54 && d <= half
			outer := fy >= 10 && fy <= 56 && d <= half+2
			if outer && !(inside && d <= half-2 && fy >= 14 && fy <= 52) {
				img.Set(x, y, white)
			}
			// The check: two strokes.
			if near(fx, fy, 24, 32, 30, 38) || near(fx, fy, 30, 38, 41, 26) {
				img.Set(x, y, white)
			}
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// near reports whether (x, y) is within 2 units of the segment (x1,y1)–(x2,y2).
func near(x, y, x1, y1, x2, y2 float64) bool {
	dx, dy := x2-x1, y2-y1
	t := ((x-x1)*dx + (y-y1)*dy) / (dx*dx + dy*dy)
	t = max(0, min(1, t))
	px, py := x1+t*dx-x, y1+t*dy-y
	return px*px+py*py <= 4
}

// fieldShell serves the app's page: the same for everyone, no data in it.
func (w *Web) fieldShell(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-cache")
	_, err := rw.Write(w.field.shell)
	return err
}

// fieldFile serves one of the app's files. The service worker keeps them
// by version; the browser asks again each time (no-cache) otherwise.
func (w *Web) fieldFile(rw http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	a, ok := w.field.files[r.PathValue("file")]
	if !ok {
		return notFound()
	}
	rw.Header().Set("Content-Type", a.ct)
	rw.Header().Set("Cache-Control", "no-cache")
	_, err := rw.Write(a.body)
	return err
}

// fieldSite is a site of the officer's team as the app keeps it.
type fieldSite struct {
	app.SiteView
	Case          string `json:"case"`
	OperationName string `json:"operation_name"`
	HHour         string `json:"h_hour"`
	ReleaseAt     string `json:"release_at,omitempty"` // the operation's briefing time
}

// fieldData is what /campo/datos answers.
type fieldData struct {
	Account     string           `json:"account"`
	Officer     string           `json:"officer"`
	OfficerName string           `json:"officer_name"`
	CSRF        string           `json:"csrf"`
	RPID        string           `json:"rp_id"`
	Creds       []app.PasskeyRef `json:"creds"`
	ServerTime  string           `json:"server_time"`
	// Zone is the deployment's IANA zone: the app shows times in it, with
	// their offset, as the pages do, whatever zone the phone is set to.
	Zone        string           `json:"zone"`
	SkewMinutes int64            `json:"allowed_skew_minutes"`
	LateMinutes int64            `json:"late_minutes"`
	Sites       []fieldSite      `json:"sites"`
	Persons     []app.PersonView `json:"persons"`
	ItemTypes   []string         `json:"item_types"`
	Bases       []string         `json:"bases"`
}

// fieldDataRead answers the officer's data for the app. A site's target
// (address, warrant) is in it only once the policy releases it to the team
// (the operation's briefing time), and each one shown is recorded as a
// read, as on the site page.
func (w *Web) fieldDataRead(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	rpID, _ := w.relyingParty(r)
	d := fieldData{Account: p.Account, Officer: p.Officer, RPID: rpID, Creds: w.s.PasskeysOf(p.Officer), ServerTime: w.now().UTC().Format(time.RFC3339), Zone: w.s.Zone().String(),
		LateMinutes: int64(domain.LateSync / time.Minute), Sites: []fieldSite{}, Persons: []app.PersonView{},
		ItemTypes: sortedKeys(casefile.ItemTypes), Bases: sortedKeys(casefile.DetentionBases)}
	if p.Session != nil {
		d.CSRF = p.Session.CSRF
	}
	if d.Creds == nil {
		d.Creds = []app.PasskeyRef{}
	}
	var reads []domain.AccessRead
	err := w.l.View(func(st *domain.State) error {
		d.SkewMinutes = st.Config().ClockSkewMinutes
		if d.SkewMinutes <= 0 {
			d.SkewMinutes = domain.DefaultClockSkewMinutes
		}
		if o := st.Officers[p.Officer]; o != nil {
			d.OfficerName = o.Name
		}
		if p.Officer == "" {
			return nil
		}
		cases := map[string]bool{}
		for _, site := range st.Sites {
			onTeam := site.Lead == p.Officer
			for _, m := range site.Team {
				onTeam = onTeam || m == p.Officer
			}
			op := st.Operations[site.Operation]
			if !onTeam || op == nil || w.s.Policy.Read(st, p, op.Case) != nil {
				continue
			}
			v, rd := w.s.SiteViewOf(st, p, site, op.Case)
			fs := fieldSite{SiteView: v, Case: op.Case, OperationName: op.Name, HHour: op.HHour}
			if rel := st.Releases[op.ID]; rel != nil {
				fs.ReleaseAt = rel.At
			}
			if rd != nil {
				reads = append(reads, *rd)
			}
			d.Sites = append(d.Sites, fs)
			cases[op.Case] = true
		}
		sort.Slice(d.Sites, func(i, j int) bool { return d.Sites[i].ID < d.Sites[j].ID })
		for _, pe := range st.Persons {
			if cases[pe.Case] {
				v, rd := w.s.PersonViewOf(pe, p)
				d.Persons = append(d.Persons, v)
				if rd != nil {
					reads = append(reads, *rd)
				}
			}
		}
		sort.Slice(d.Persons, func(i, j int) bool { return d.Persons[i].ID < d.Persons[j].ID })
		for c := range cases {
			reads = append(reads, domain.AccessRead{Case: c, Kind: "persons", ID: c})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.s.AuditedRead(ctx(r), p, reads...); err != nil {
		return err
	}
	gateway.WriteJSON(rw, http.StatusOK, d)
	return nil
}
