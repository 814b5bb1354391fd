package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
)

type itemData struct {
	Item        app.ItemView
	HolderName  string
	SealLabel   string
	History     []historyRow
	Origin      originView
	Children    []app.ItemView
	Attachments []*domain.Attachment
	Purposes    []string
	Conditions  []string
	Derived     []string
	Methods     []string
	IsHolder    bool
	NextDerived string
	Officers    []officerOpt
	// CaseReadable and ParentReadable say whether the reader may open the
	// case (and its sites) and the parent item: the defence sees disclosed
	// items only, and a link to a page it cannot open is a dead end.
	CaseReadable, ParentReadable bool
}

type officerOpt struct{ ID, Name string }

// historyRow is an event of the item with where it happened
// (domain.HistoryPlaces).
type historyRow struct {
	domain.HistoryEntry
	Place         string
	PlaceInferred bool
}

// originView is the item's original state: what its seizure (or
// derivation) recorded.
type originView struct {
	Derived     bool
	At, By      string
	ByName      string
	Site, Place string
	Description string
	Quantity    int64
	Seal        string // "" when not sealed
	Digital     bool
	SHA256      string
	Tool        string
}

func (w *Web) itemPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	var d itemData
	var parent string // the parent p may read, for where a derived item was made
	var originSeq int64
	err := w.l.View(func(st *domain.State) error {
		it, err := w.s.Policy.Item(st, p, id)
		if err != nil {
			return err
		}
		d.Item = app.ItemViewOf(it)
		d.CaseReadable = w.s.Policy.Read(st, p, it.Case) == nil
		if it.Parent != "" {
			_, perr := w.s.Policy.Item(st, p, it.Parent)
			d.ParentReadable = perr == nil
		}
		if o, ok := st.Officers[it.Holder]; ok {
			d.HolderName = o.Name
		}
		for _, c := range it.Children {
			if ch, ok := st.Items[c]; ok {
				d.Children = append(d.Children, app.ItemViewOf(ch))
			}
		}
		for _, a := range st.Attachments {
			if a.Item == id {
				d.Attachments = append(d.Attachments, a)
			}
		}
		d.IsHolder = p.Officer != "" && p.Officer == it.Holder
		o := &d.Origin
		o.Quantity = it.Quantity()
		if z := it.Seize; z != nil {
			o.At, o.By, o.Site, o.Place, o.Description, o.Seal = z.SeizedAt, z.SeizedBy, z.Site, z.Place, z.Description, z.Seal
			o.Digital = casefile.DigitalByDefault(z.Type)
			if z.Digital != nil {
				o.Digital = *z.Digital
			}
		} else if dv := it.Derive; dv != nil {
			o.Derived = true
			o.At, o.By, o.Description, o.SHA256, o.Tool = dv.At, dv.By, dv.Description, dv.SHA256, dv.Tool
		}
		if of, ok := st.Officers[o.By]; ok {
			o.ByName = of.Name
		}
		if it.Parent != "" {
			if _, err := w.s.Policy.Item(st, p, it.Parent); err == nil {
				parent = it.Parent
			}
		}
		originSeq = it.OriginSeq
		d.NextDerived = nextID(st, id+"-", len(it.Children)+1, func(s string) bool { _, ok := st.Items[s]; return ok })
		return nil
	})
	if err != nil {
		return err
	}
	// The server's reads: policy, then the item and history reads recorded.
	if _, err := w.s.Item(ctx(r), p, id); err != nil {
		return err
	}
	h, err := w.s.ItemHistory(ctx(r), p, id)
	if err != nil {
		return err
	}
	// Where each act happened; a derived item was made where its parent
	// was then.
	start := ""
	if parent != "" {
		ph, err := w.l.ItemHistory(ctx(r), parent)
		if err != nil {
			return err
		}
		for i, pl := range domain.HistoryPlaces(ph, "") {
			if ph[i].Seq > originSeq {
				break
			}
			start = pl.Place
		}
		d.Origin.Place = start
	}
	for i, pl := range domain.HistoryPlaces(h, start) {
		d.History = append(d.History, historyRow{HistoryEntry: h[i], Place: pl.Place, PlaceInferred: pl.Inferred})
	}
	d.Purposes, d.Conditions = sortedKeys(casefile.Purposes), []string{"intact", "broken", "none"}
	d.Derived, d.Methods = sortedKeys(casefile.DerivedTypes), sortedKeys(casefile.DisposeMethods)
	return w.render(rw, r, p, "item", "item.title", d)
}

// itemCase checks that p may read item id and returns it.
func (w *Web) itemCase(p *app.Principal, id string) (app.ItemView, error) {
	var v app.ItemView
	err := w.l.View(func(st *domain.State) error {
		it, err := w.s.Policy.Item(st, p, id)
		if err != nil {
			return err
		}
		v = app.ItemViewOf(it)
		return nil
	})
	return v, err
}

// handover records a custody transfer from the signed-in holder to a
// receiver, signed by both with their passkeys: on this device (the
// receiver's passkey asked right after the giver's), or, with "offer", on
// the receiver's own, who accepts it from their pending handovers.
func (w *Web) handover(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	it, err := w.itemCase(p, id)
	if err != nil {
		return err
	}
	if p.Officer == "" || p.Officer != it.Holder {
		return custody.Errorf(custody.ERule, "from", "solo quien tiene la evidencia (%s) la entrega", "only the holder of the item (%s) hands it over", it.Holder)
	}
	at, err := w.formTime(r, "at", true)
	if err != nil {
		return err
	}
	recv := strings.TrimSpace(r.PostFormValue("receiver"))
	if recv == "" {
		return invalid("receiver", "escriba la cuenta de quien recibe", "enter the receiver's account")
	}
	if recv == p.Account {
		return invalid("receiver", "quien recibe no puede ser quien entrega", "the receiver cannot be the one handing over")
	}
	to := ""
	w.l.View(func(st *domain.State) error {
		if a := st.Accounts[recv]; a != nil && !a.Disabled {
			to = a.Officer
		}
		return nil
	})
	if to == "" {
		if recv == "" {
			return invalid("receiver", "indique la cuenta de quien recibe", "give the receiver's account")
		}
		return invalid("receiver", "no hay una cuenta activa «%s» con un funcionario vinculado", "there is no active account %q with a linked officer", recv)
	}
	rec := &custody.Transfer{Item: id, From: p.Officer, To: to, At: at, Purpose: r.PostFormValue("purpose"), SealCondition: r.PostFormValue("seal_condition"),
		Seal: strings.TrimSpace(r.PostFormValue("seal")), Location: strings.TrimSpace(r.PostFormValue("location"))}
	if r.PostFormValue("offer") == "" {
		if _, err := w.write(r, p, custody.OpTransfer, rec); err != nil {
			return err
		}
		return done(rw, r, "/evidencias/"+id)
	}
	// Offered: only the giver signs now.
	if err := w.check(p, custody.OpTransfer, rec); err != nil {
		return err
	}
	if err := w.l.Admit(rec); err != nil {
		return err
	}
	if r.PostFormValue("_prepare") != "" {
		return w.prepare(r, act{custody.OpTransfer, rec})
	}
	sigs, err := formSigs(r, 0)
	if err != nil {
		return err
	}
	var giver *custody.Sig
	for i := range sigs {
		if sigs[i].Role == custody.RoleFrom {
			giver = &sigs[i]
		}
	}
	if giver == nil {
		return custody.Errorf(custody.EForbidden, "sigs", "firme la entrega con su llave de acceso antes de ofrecerla", "sign the handover with your passkey before offering it")
	}
	if _, err := w.s.OfferHandover(ctx(r), p, rec, *giver, 0); err != nil {
		return err
	}
	return done(rw, r, "/entregas")
}

type handoversData struct {
	Handovers []app.HandoverView
	Officer   string
}

// handoversPage lists the handovers offered to or by the signed-in
// officer: the receiver accepts with their passkey, the giver may
// withdraw.
func (w *Web) handoversPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	list, err := w.s.Handovers(p, false)
	if err != nil {
		return err
	}
	return w.render(rw, r, p, "handovers", "handovers.title", handoversData{Handovers: list, Officer: p.Officer})
}

func (w *Web) handoverAccept(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("handover")
	if r.PostFormValue("_prepare") != "" {
		list, err := w.s.Handovers(p, true)
		if err != nil {
			return err
		}
		for _, h := range list {
			if h.ID == id && h.To == p.Officer {
				t := h.Transfer
				return w.prepareRoles(r, []string{custody.RoleTo}, act{custody.OpTransfer, &t})
			}
		}
		return notFound()
	}
	sigs, err := formSigs(r, 0)
	if err != nil {
		return err
	}
	for _, g := range sigs {
		if g.Role == custody.RoleTo {
			res, err := w.s.AcceptHandover(ctx(r), p, id, g)
			if err != nil {
				return err
			}
			_ = res
			list, _ := w.s.Handovers(p, false)
			for _, h := range list {
				if h.ID == id {
					return done(rw, r, "/evidencias/"+h.Item)
				}
			}
			return done(rw, r, "/entregas")
		}
	}
	return custody.Errorf(custody.EForbidden, "sigs", "acepte la entrega firmándola con su llave de acceso", "accept the handover by signing it with your passkey")
}

func (w *Web) handoverWithdraw(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := w.s.WithdrawHandover(ctx(r), p, r.PathValue("handover"), strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		return err
	}
	return done(rw, r, "/entregas")
}

// itemAction records open, seal, derive, present or dispose, as the
// signed-in officer.
func (w *Web) itemAction(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	if _, err := w.itemCase(p, id); err != nil {
		return err
	}
	at, err := w.formTime(r, "at", true)
	if err != nil {
		return err
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	var op string
	var rec any
	to := "/evidencias/" + id
	switch r.PathValue("action") {
	case "abrir":
		op, rec = custody.OpOpen, &custody.Open{Item: id, At: at, By: p.Officer, Reason: f("reason")}
	case "sellar":
		op, rec = custody.OpSeal, &custody.Seal{Item: id, Seal: f("seal"), At: at, By: p.Officer}
	case "derivar":
		dv := &custody.Derive{ID: f("id"), Parent: id, Type: f("type"), Description: f("description"), At: at, By: p.Officer, SHA256: strings.ToLower(f("sha256")), Tool: f("tool")}
		if s := f("size"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return invalid("size", "el tamaño debe ser un número entero de bytes", "the size must be a whole number of bytes")
			}
			dv.Size = &n
		}
		op, rec, to = custody.OpDerive, dv, "/evidencias/"+dv.ID
	case "presentar":
		op, rec = custody.OpPresent, &custody.Present{Item: id, At: at, By: p.Officer, Hearing: f("hearing")}
	case "disponer":
		if f("order") == "" {
			return invalid("order", "la disposición requiere la referencia de la orden judicial", "disposal requires the court order reference")
		}
		op, rec = custody.OpDispose, &custody.Dispose{Item: id, At: at, By: p.Officer, Method: f("method"), Order: f("order")}
	default:
		return notFound()
	}
	if _, err := w.write(r, p, op, rec); err != nil {
		return err
	}
	return done(rw, r, to)
}

type labelData struct {
	Item    app.ItemView
	Origin  string
	Leaf    int64
	Payload string
	QR      chartSVG
}

// labelPage is a printable label: the item's id, case, type and seal, and a
// QR code with courtdoc's label payload (item id, log origin and the leaf
// of the item's first event), sized by print CSS for 62 mm label rolls.
func (w *Web) labelPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	var d labelData
	err := w.l.View(func(st *domain.State) error {
		it, err := w.s.Policy.Item(st, p, id)
		if err != nil {
			return err
		}
		d.Item, d.Leaf = app.ItemViewOf(it), it.OriginSeq
		return nil
	})
	if err != nil {
		return err
	}
	d.Origin = w.l.Origin()
	d.Payload = courtdoc.Label{ItemID: id, Case: d.Item.Case, Type: d.Item.Type, Seal: d.Item.Seal, LogOrigin: d.Origin, Leaf: d.Leaf}.Payload()
	qr, err := qrSVG(d.Payload)
	if err != nil {
		return err
	}
	d.QR = qr
	if err := w.s.AuditedRead(ctx(r), p, domain.AccessRead{Case: d.Item.Case, Kind: "item", ID: id}); err != nil {
		return err
	}
	return w.render(rw, r, p, "label", "label.title", d)
}

// qrSVG draws a QR code as SVG squares (crisp at any print size).
func qrSVG(content string) (chartSVG, error) {
	bm, err := courtdoc.QRBitmap(content)
	if err != nil {
		return "", err
	}
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="qr" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR" xmlns="http://www.w3.org/2000/svg"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y, row := range bm {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return chartSVG(b.String()), nil
}
