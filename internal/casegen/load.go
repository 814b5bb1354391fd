package casegen

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Shape of the load file.
const (
	loadOfficers      = 200 // officers who hand items to each other
	loadSites         = 100 // sites of the one operation
	loadEventsPerItem = 11  // one seizure and ten transfers
	loadWindow        = 512 // items whose events are interleaved at a time
)

// LoadOperation and LoadCase name the operation and case of WriteCustodyLoad's file.
const (
	LoadOperation = "OP-CARGA"
	LoadCase      = "CARGA"
)

// WriteCustodyLoad writes a valid case file for the import benchmark with
// exactly events custody events: evidence.seize lines that create sealed
// items at the operation's sites, each followed (interleaved with other
// items') by up to ten custody.transfer lines between a pool of officers,
// seal intact. A few hundred setup lines (agencies, officers, the case, the
// operation and its sites) come first. Lines are about 200 to 260 bytes, like
// the Metastasis transfers. Memory use does not grow with events: items are
// written in windows of a few hundred.
func WriteCustodyLoad(w io.Writer, seed int64, events int) error {
	if events < 0 {
		return fmt.Errorf("casegen: events is negative (%d)", events)
	}
	r := newRand(seed)
	bw := bufio.NewWriterSize(w, 256<<10)
	start := time.Date(2024, 3, 1, 6, 0, 0, 0, time.UTC)
	fmt.Fprintf(bw, `{"op": "agency.add", "id": "FGE", "name": "Fiscalía General del Estado", "kind": "prosecution"}`+"\n")
	fmt.Fprintf(bw, `{"op": "agency.add", "id": "PN", "name": "Policía Nacional", "kind": "police"}`+"\n")
	fmt.Fprintf(bw, `{"op": "officer.add", "id": "fge.carga", "name": "Fiscal del caso de carga", "agency": "FGE", "role": "prosecutor"}`+"\n")
	roles := []string{"agent", "custodian", "investigator"}
	for i := range loadOfficers {
		fmt.Fprintf(bw, `{"op": "officer.add", "id": "ofc.%04d", "name": "Servidor policial %04d", "agency": "PN", "role": %q}`+"\n",
			i, i, roles[i%len(roles)])
	}
	fmt.Fprintf(bw, `{"op": "case.open", "id": %q, "title": "Caso de carga", "at": %q, "by": "fge.carga"}`+"\n",
		LoadCase, start.Add(-30*24*time.Hour).Format(time.RFC3339))
	fmt.Fprintf(bw, `{"op": "operation.plan", "id": %q, "case": %q, "name": "Operativo de carga", "h_hour": %q, "personnel": 5000, "agencies": ["FGE", "PN"], "at": %q, "by": "fge.carga"}`+"\n",
		LoadOperation, LoadCase, start.Format(time.RFC3339), start.Add(-24*time.Hour).Format(time.RFC3339))
	for i := range loadSites {
		p := provinces[i%len(provinces)]
		fmt.Fprintf(bw, `{"op": "site.add", "id": "S-CARGA-%03d", "operation": %q, "province": %q, "city": %q, "kind": "residence", "lead": "ofc.%04d"}`+"\n",
			i, LoadOperation, p.name, p.city, i%loadOfficers)
	}

	type item struct {
		n, site, holder, left int
		at                    time.Time
		seized                bool
	}
	buf := make([]byte, 0, 512)
	nItems := (events + loadEventsPerItem - 1) / loadEventsPerItem
	left := events
	slots := make([]item, loadWindow) // reused by every window
	active := make([]*item, 0, loadWindow)
	for first := 0; first < nItems; first += loadWindow {
		active = active[:0]
		base := start.Add(time.Duration(first/loadWindow) * time.Hour)
		for n := first; n < min(first+loadWindow, nItems); n++ {
			k := min(loadEventsPerItem, left)
			left -= k
			it := &slots[n-first]
			*it = item{n: n, site: r.IntN(loadSites), holder: r.IntN(loadOfficers), left: k,
				at: base.Add(time.Duration(r.IntN(60)) * time.Minute)}
			active = append(active, it)
		}
		for len(active) > 0 {
			i := r.IntN(len(active))
			it := active[i]
			zone := zones[r.IntN(len(zones))]
			buf = buf[:0]
			if !it.seized {
				it.seized = true
				buf = appendSeize(buf, it.n, it.site, it.holder, it.at.In(zone))
			} else {
				to := r.IntN(loadOfficers - 1)
				if to >= it.holder {
					to++
				}
				it.at = it.at.Add(time.Duration(1+r.IntN(120)) * time.Minute)
				buf = appendTransfer(buf, it.n, it.holder, to, it.at.In(zone), r.IntN(10) < 7)
				it.holder = to
			}
			it.left--
			if it.left == 0 {
				active[i] = active[len(active)-1]
				active = active[:len(active)-1]
			}
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

func appendSeal(buf []byte, n int) []byte {
	buf = append(buf, "PN-C"...)
	return appendPadded(buf, n, 8)
}

func appendPadded(buf []byte, n, width int) []byte {
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	for range width - len(s) {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

func appendItemID(buf []byte, n int) []byte {
	buf = append(buf, "E-CARGA-"...)
	return appendPadded(buf, n, 8)
}

func appendOfficer(buf []byte, n int) []byte {
	buf = append(buf, "ofc."...)
	return appendPadded(buf, n, 4)
}

func appendSeize(buf []byte, n, site, by int, at time.Time) []byte {
	buf = append(buf, `{"op": "evidence.seize", "id": "`...)
	buf = appendItemID(buf, n)
	buf = append(buf, `", "case": "`+LoadCase+`", "type": "documents", "description": "Carpeta de documentos incautada", "seized_at": "`...)
	buf = at.AppendFormat(buf, time.RFC3339)
	buf = append(buf, `", "seized_by": "`...)
	buf = appendOfficer(buf, by)
	buf = append(buf, `", "site": "S-CARGA-`...)
	buf = appendPadded(buf, site, 3)
	buf = append(buf, `", "seal": "`...)
	buf = appendSeal(buf, n)
	return append(buf, "\"}\n"...)
}

func appendTransfer(buf []byte, n, from, to int, at time.Time, withSeal bool) []byte {
	buf = append(buf, `{"op": "custody.transfer", "item": "`...)
	buf = appendItemID(buf, n)
	buf = append(buf, `", "from": "`...)
	buf = appendOfficer(buf, from)
	buf = append(buf, `", "to": "`...)
	buf = appendOfficer(buf, to)
	buf = append(buf, `", "at": "`...)
	buf = at.AppendFormat(buf, time.RFC3339)
	buf = append(buf, `", "purpose": "storage", "seal_condition": "intact"`...)
	if withSeal {
		buf = append(buf, `, "seal": "`...)
		buf = appendSeal(buf, n)
		buf = append(buf, '"')
	}
	buf = append(buf, `, "location": "Bodega de evidencias, estante `...)
	buf = appendPadded(buf, to%50, 2)
	return append(buf, "\"}\n"...)
}
