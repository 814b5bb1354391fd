// Package courtdata builds court documents' inputs from the ledger: the
// chain-of-custody record of an item, its labels, the operation and
// detention reports (package courtdoc) and the CASE/UCO export (package
// caseuco).
//
// courtdoc and caseuco take plain structs and know nothing of the ledger;
// this package is the one place that reads the ledger's state, item
// histories, bundles and checkpoints and fills those structs, so that the
// CLI and the server print the same documents from the same data. It does
// no rendering and writes nothing.
//
// What each document claims can be checked against the log: the item record
// takes its leaf indexes and its checkpoint from the item's bundle
// (ledger.ExportBundle), and refuses to print an event that the bundle's
// checkpoint does not cover.
package courtdata

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/internal/zone"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/fastcodec"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
	"github.com/custodia-ec/custodia/verify"
)

// Options are what every document takes besides its subject.
type Options struct {
	// Lang is "en" for English; anything else is Spanish.
	Lang string
	// Now is when the document is generated; printed on every page.
	Now time.Time
	// Zone is the zone the document shows the generation time, the as-of
	// instant and recording times in (default America/Guayaquil); acts
	// keep the offset they were recorded with.
	Zone *time.Location
	// Targets says which sites' targets (address, warrant) the reader may
	// see; nil shows none.
	Targets Targets
}

// Targets says whether a document's reader may see a site's target: its
// address and its warrant. It is called with the state the document is
// built from. The doors pass the signed-in account's rule (app's
// Policy.SiteTarget, through Service.SiteTargets), the one the API, the
// site page, the board and the case page follow, so that a document shows
// no more than they do; the command line, run by the deployment's
// operator, who holds the database and the log where the targets are
// written, passes EveryTarget. Nil shows none: a door that forgets to say
// who reads gets the redacted document, not the full one.
type Targets func(s *domain.State, site *domain.Site) bool

// EveryTarget shows every site's target (the command line's documents).
func EveryTarget(*domain.State, *domain.Site) bool { return true }

// shows reports whether the reader may see site's target.
func (tg Targets) shows(s *domain.State, site *domain.Site) bool {
	return tg != nil && tg(s, site)
}

// local is t in the document's zone; the zero time stays zero.
func (o Options) local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if o.Zone == nil {
		return t.In(zone.Default())
	}
	return t.In(o.Zone)
}

// parseTime parses a time the ledger has already validated; a bad one (a
// corrupted state) gives the zero time, which the callers reject.
func parseTime(s string) time.Time {
	t, err := custody.ParseTime(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// person describes an officer for a document; an id the state does not know
// (which import validation prevents) is shown as the bare id.
func person(s *domain.State, id string) courtdoc.Person {
	if id == "" {
		return courtdoc.Person{}
	}
	o, ok := s.Officers[id]
	if !ok {
		return courtdoc.Person{ID: id}
	}
	return courtdoc.Person{ID: o.ID, Name: o.Name, Agency: o.Agency, Role: o.Role}
}

// siteDesc is a site as a person reads it: "domicilio, Riobamba, Chimborazo
// — address", or "— dirección reservada" in place of an address the reader
// may not see (shown false).
func siteDesc(lang string, site *domain.Site, shown bool) string {
	d := word(lang, siteKinds, site.Kind) + ", " + site.City + ", " + site.Province
	switch {
	case !shown && (site.Address != "" || site.Warrant != ""):
		d += " — " + t(lang, tTargetWithheld)
	case shown && site.Address != "":
		d += " — " + site.Address
	}
	return d
}

// recordedBy names who recorded an event, as courtdoc.CustodyEvent wants it:
// the acting officer's id when the account is that officer's (so that the
// document does not repeat it), "cuenta NAME" for another account, or the
// import's file and line.
func recordedBy(s *domain.State, lang, rec, actor string) string {
	if acc, ok := strings.CutPrefix(rec, "account:"); ok {
		if a, ok := s.Accounts[acc]; ok && a.Officer != "" && a.Officer == actor {
			return actor
		}
		return fmt.Sprintf(t(lang, tAccount), acc)
	}
	if imp, ok := strings.CutPrefix(rec, "import:"); ok {
		sha, line, ok := strings.Cut(imp, ":")
		n, err := strconv.Atoi(line)
		if ok && err == nil {
			return courtdoc.ImportRef(lang, sha, n)
		}
	}
	return rec
}

// Item builds the chain-of-custody record of one item: its history from the
// ledger, and the verification data from its bundle. vkey is the log's
// public key (note format), written into the bundle it reads.
func Item(ctx context.Context, l *ledger.Ledger, vkey, id string, opt Options) (courtdoc.ItemRecord, error) {
	var rec courtdoc.ItemRecord
	// History first, then the bundle: the bundle's checkpoint is then at
	// least as new as every event of the history.
	hist, err := l.ItemHistory(ctx, id)
	if err != nil {
		return rec, err
	}
	if len(hist) == 0 {
		return rec, fmt.Errorf("courtdata: item %s has no events", id)
	}
	bundle, err := l.ExportBundle(ctx, id, vkey)
	if err != nil {
		return rec, err
	}
	c, _, err := verify.ParseNote([]byte(bundle.Checkpoint))
	if err != nil {
		return rec, fmt.Errorf("courtdata: item %s: bundle checkpoint: %w", id, err)
	}
	origin, size, root := c.Origin, c.Size, c.Root
	inBundle := make(map[int64]bool, len(bundle.Events))
	for _, be := range bundle.Events {
		inBundle[be.Index] = true
	}
	for _, h := range hist {
		if !inBundle[h.Seq] || h.Seq >= size {
			return rec, fmt.Errorf("courtdata: item %s: event %d is not covered by the bundle's checkpoint (size %d)", id, h.Seq, size)
		}
	}
	// The parent's history says where a derived item was made.
	var parent string
	err = l.View(func(s *domain.State) error {
		it := s.Items[id]
		if it == nil {
			return fmt.Errorf("courtdata: item %s is in the log but not in the state", id)
		}
		parent = it.Parent
		return nil
	})
	if err != nil {
		return rec, err
	}
	var parentHist []domain.HistoryEntry
	if parent != "" {
		if parentHist, err = l.ItemHistory(ctx, parent); err != nil {
			return rec, err
		}
	}
	err = l.View(func(s *domain.State) error {
		rec, err = buildItem(s, id, hist, parentHist, opt)
		return err
	})
	if err != nil {
		return rec, err
	}
	rec.Verification = courtdoc.Verification{
		LogOrigin:      origin,
		CheckpointSize: size,
		RootHash:       base64.StdEncoding.EncodeToString(root[:]),
		Checkpoint:     bundle.Checkpoint,
	}
	return rec, nil
}

func buildItem(s *domain.State, id string, hist, parentHist []domain.HistoryEntry, opt Options) (courtdoc.ItemRecord, error) {
	lang := opt.Lang
	it := s.Items[id]
	rec := courtdoc.ItemRecord{
		Case: it.Case, ItemID: id, Type: it.Type, Quantity: int(it.Quantity()),
		Parent: it.Parent, GeneratedAt: opt.local(opt.Now),
	}
	if c, ok := s.Cases[it.Case]; ok {
		rec.CaseTitle = c.Title
	}
	switch {
	case it.Seize != nil:
		z := it.Seize
		rec.Description = z.Description
		rec.Digital = casefile.DigitalByDefault(z.Type)
		if z.Digital != nil {
			rec.Digital = *z.Digital
		}
		rec.Seizure = courtdoc.Seizure{At: parseTime(z.SeizedAt), By: person(s, z.SeizedBy), Site: z.Site, Place: z.Place, Seal: z.Seal}
		if site, ok := s.Sites[z.Site]; ok {
			rec.Seizure.SiteDesc = siteDesc(lang, site, opt.Targets.shows(s, site))
		}
	case it.Derive != nil:
		dv := it.Derive
		rec.Description = dv.Description
		rec.Digital = derivedDigital(s, it)
		rec.SHA256 = dv.SHA256
		if dv.Size != nil {
			rec.Size = *dv.Size
		}
		rec.Seizure = courtdoc.Seizure{At: parseTime(dv.At), By: person(s, dv.By)}
		if where := lastPlace(parentHist, it.OriginSeq); where != "" {
			rec.Seizure.Place = fmt.Sprintf(t(lang, tDerivedPlace), dv.Parent, where)
		}
	default:
		return rec, fmt.Errorf("courtdata: item %s has neither a seizure nor a derivation", id)
	}

	start := ""
	if it.Derive != nil {
		start = lastPlace(parentHist, it.OriginSeq)
	}
	places := domain.HistoryPlaces(hist, start)
	prevSeal := "" // the seal on the item before each event
	for i, h := range hist {
		r, err := fastcodec.DecodeItemRecord(h.Op, h.Record)
		if err != nil {
			return rec, fmt.Errorf("courtdata: item %s, event %d: %w", id, h.Seq, err)
		}
		e := courtdoc.CustodyEvent{
			Leaf: h.Seq, Op: h.Op, At: parseTime(h.At), By: person(s, h.By),
			Anomalies:  append([]string(nil), h.Anomalies...),
			RecordedAt: opt.local(parseTime(h.RecordedAt)),
		}
		if e.At.IsZero() {
			return rec, fmt.Errorf("courtdata: item %s, event %d: time %q is not valid", id, h.Seq, h.At)
		}
		if fi := s.Field[h.Seq]; fi != nil {
			e.Device, e.Late = fmt.Sprintf("%s #%d", fi.Device, fi.FieldEntry.Seq), fi.Late
		}
		e.Imported = strings.HasPrefix(h.RecordedBy, "import:")
		for _, g := range h.Sigs {
			officer := h.By // the one actor; for a transfer, the receiver
			if g.Role == custody.RoleFrom {
				officer = h.From
			}
			sig := courtdoc.Signature{Role: g.Role, Officer: officer, Fingerprint: domain.Fingerprint(g.Key)}
			if k := s.Keys[g.Key]; k != nil {
				sig.Passkey = k.Alg != custody.AlgEd25519
			}
			e.Signatures = append(e.Signatures, sig)
		}
		if places[i].Inferred {
			e.Place, e.PlaceInferred = places[i].Place, true
		}
		switch r := r.(type) {
		case *custody.Seize:
			site := r.Site
			if st, ok := s.Sites[r.Site]; ok {
				site += " (" + st.City + ")"
			}
			e.Place = strings.Join(nonEmpty(site, r.Place), " — ")
			e.Seal = r.Seal
		case *custody.Transfer:
			e.By, e.To = person(s, r.From), person(s, r.To)
			e.Purpose, e.Place, e.Seal, e.SealCondition = r.Purpose, r.Location, r.Seal, r.SealCondition
			if slices.Contains(h.Anomalies, custody.AnomalySealMismatch) {
				// Say which seal the receiver should have found.
				e.Seal += " " + fmt.Sprintf(t(lang, tExpectedSeal), prevSeal)
			}
		case *custody.Open:
			e.Reason = r.Reason
		case *custody.Seal:
			e.Seal = r.Seal
		case *custody.Derive:
			tool := ""
			if r.Tool != "" {
				tool = " (" + r.Tool + ")"
			}
			if r.ID == id {
				e.Reason = fmt.Sprintf(t(lang, tFrom), r.Parent) + tool
			} else {
				e.Reason = r.ID + tool
				rec.Derived = append(rec.Derived, derived(s, r, h.Seq))
			}
		case *custody.Attach:
			e.Reason = r.Name
			size := int64(-1)
			if r.Size != nil {
				size = *r.Size
			}
			rec.Attachments = append(rec.Attachments, courtdoc.Attachment{
				Name: r.Name, SHA256: r.SHA256, Size: size, MediaType: r.MediaType,
				At: e.At, By: e.By, Leaf: h.Seq,
			})
		case *custody.Present:
			e.Reason = r.Hearing
		case *custody.Dispose:
			e.Reason = word(lang, disposeMethods, r.Method)
			if r.Order != "" {
				e.Reason += ", " + fmt.Sprintf(t(lang, tOrder), r.Order)
			}
		}
		actor := e.By.ID
		if h.Op == custody.OpTransfer {
			actor = e.To.ID
		}
		e.RecordedBy = recordedBy(s, lang, h.RecordedBy, actor)
		rec.Events = append(rec.Events, e)
		prevSeal = h.Seal
	}
	last := hist[len(hist)-1]
	rec.Holder, rec.Seal, rec.Disposed = person(s, last.Holder), last.Seal, last.Disposed
	return rec, nil
}

func derived(s *domain.State, r *custody.Derive, leaf int64) courtdoc.DerivedItem {
	size := int64(-1)
	if r.Size != nil {
		size = *r.Size
	}
	return courtdoc.DerivedItem{
		ID: r.ID, Type: r.Type, Description: r.Description, At: parseTime(r.At), By: person(s, r.By),
		SHA256: r.SHA256, Size: size, Tool: r.Tool, Leaf: leaf,
	}
}

// derivedDigital says whether a derived item holds digital data: images,
// extractions and photos do; a copy or a report is digital when its source
// is.
func derivedDigital(s *domain.State, it *domain.Item) bool {
	switch it.Type {
	case "forensic_image", "extraction", "photo":
		return true
	}
	for p := s.Items[it.Parent]; p != nil; p = s.Items[p.Parent] {
		if p.Seize != nil {
			if p.Seize.Digital != nil {
				return *p.Seize.Digital
			}
			return casefile.DigitalByDefault(p.Seize.Type)
		}
		if p.Parent == "" {
			break
		}
	}
	return false
}

// lastPlace is where an item was at seq by its history
// (domain.HistoryPlaces): the location of its last transfer, or its seizure
// site, at or before seq.
func lastPlace(hist []domain.HistoryEntry, seq int64) string {
	place := ""
	for i, pl := range domain.HistoryPlaces(hist, "") {
		if hist[i].Seq > seq {
			break
		}
		place = pl.Place
	}
	return place
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Labels builds one label per item, in the order given. Each label's QR
// points at the item's latest event: the custody state after that leaf is
// the one the label shows (holder and seal).
func Labels(l *ledger.Ledger, ids []string) ([]courtdoc.Label, error) {
	out := make([]courtdoc.Label, 0, len(ids))
	err := l.View(func(s *domain.State) error {
		for _, id := range ids {
			it, ok := s.Items[id]
			if !ok {
				return custody.Errorf(custody.ENotFound, "item", "la evidencia %q no existe", "item %q does not exist", id)
			}
			out = append(out, courtdoc.Label{
				ItemID: id, Case: it.Case, Type: it.Type, Seal: it.Seal,
				LogOrigin: l.Origin(), Leaf: it.LastSeq,
			})
		}
		return nil
	})
	return out, err
}
