package web

import (
	"bytes"
	"net/http"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/court/courtdata"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/domain"
)

// itemRecordPDF serves the chain-of-custody record a court expects for an
// item (courtdoc.WriteItemPDF, in the page's language), after the same
// policy check as the item page. It holds the item's history and its
// bundle's verification data, so both reads are recorded; the seizure
// site's address only when the account may see the site's target
// (app.Policy.SiteTarget, as the site page and the API), and then as a
// read of that target too.
func (w *Web) itemRecordPDF(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	v, err := w.s.Item(ctx(r), p, id)
	if err != nil {
		return err
	}
	reads := []domain.AccessRead{{Case: v.Case, Kind: "history", ID: id}, {Case: v.Case, Kind: "bundle", ID: id}}
	may := w.s.SiteTargets(p)
	targets := func(st *domain.State, site *domain.Site) bool {
		if !may(st, site) {
			return false
		}
		reads = append(reads, domain.AccessRead{Case: v.Case, Kind: "site_target", ID: site.ID})
		return true
	}
	l := lang(r)
	rec, err := courtdata.Item(ctx(r), w.l, w.s.PublicKey(), id, courtdata.Options{Lang: l, Now: w.now(), Zone: w.cfg.Zone, Targets: targets})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := courtdoc.WriteItemPDF(&b, rec, l); err != nil {
		return err
	}
	// Recorded before a byte of the document leaves.
	if err := w.s.AuditedRead(ctx(r), p, reads...); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "application/pdf")
	rw.Header().Set("Content-Disposition", `attachment; filename="`+id+`.pdf"`)
	rw.Header().Set("Cache-Control", "no-store")
	_, err = rw.Write(b.Bytes())
	return err
}
