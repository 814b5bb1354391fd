package analysis

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Evidence is a link's evidence reference as exports write it: its
// Source.
type Evidence = Source

// Describe is the reference in words, Spanish first.
func (ev Source) Describe() string {
	where := fmt.Sprintf("línea %d / line %d", ev.Line, ev.Line)
	if ev.Line == 0 {
		where = fmt.Sprintf("byte %d", ev.Offset)
	}
	return fmt.Sprintf("evidencia/evidence %s, sha256 %s, %s", ev.Item, ev.SHA256, where)
}

func (g *Graph) evidence(l *Link) Evidence { return g.Source(l) }

// LinkID is a link's stable id: the same record of the same file between
// the same entities always has it.
func (g *Graph) LinkID(i int32) string {
	l := &g.Links[i]
	s := g.Source(l)
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d\x00%s\x00%s\x00%d", s.SHA256, s.Line, s.Offset, g.Entities[l.From].ID, g.Entities[l.To].ID, l.Kind))
	return "l-" + hex.EncodeToString(h[:8])
}

func accountID(acct string) string {
	h := sha256.Sum256([]byte(IDAccount + ":" + acct))
	return "a-" + hex.EncodeToString(h[:6])
}

// ftmEntity is one line of FollowTheMoney's JSON lines format; "custodia"
// carries the evidence references in a form tools other than Aleph read
// without parsing text.
type ftmEntity struct {
	ID         string              `json:"id"`
	Schema     string              `json:"schema"`
	Properties map[string][]string `json:"properties"`
	Custodia   *Evidence           `json:"custodia,omitempty"`
}

func rfc3339(unix int64) string {
	return time.Unix(unix, 0).UTC().Format(time.RFC3339)
}

// WriteFtM writes the graph as FollowTheMoney entities, one JSON object
// per line, which Aleph imports (ftm / alephclient): the entities with
// their names, aliases, phones, e-mails and ID numbers; each bank account
// as a BankAccount owned (Ownership) by its holder; each link as a
// Message, Call, Payment or Membership whose description and "custodia"
// member name the evidence item, the file's SHA-256 and the line.
func WriteFtM(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, e := range g.Entities {
		p := map[string][]string{"name": {e.Name}}
		add := func(k string, vs []string) {
			if len(vs) > 0 {
				p[k] = append(p[k], vs...)
			}
		}
		for _, n := range e.Names {
			if n != e.Name {
				p["alias"] = append(p["alias"], n)
			}
		}
		add("alias", e.Aliases)
		add("phone", e.Phones)
		add("email", e.Emails)
		add("idNumber", e.IDNumbers)
		if e.Case != "" {
			p["notes"] = []string{"persona u organización del caso / case person or organization " + e.Case}
		}
		if e.Chat != "" {
			p["description"] = []string{"grupo de chat / chat group"}
		}
		if err := enc.Encode(ftmEntity{ID: e.ID, Schema: e.Schema, Properties: p}); err != nil {
			return err
		}
		for _, a := range e.Accounts {
			if err := enc.Encode(ftmEntity{ID: accountID(a), Schema: SchemaBankAccount, Properties: map[string][]string{"accountNumber": {a}}}); err != nil {
				return err
			}
			own := ftmEntity{ID: "o-" + accountID(a)[2:], Schema: LinkOwnership, Properties: map[string][]string{"owner": {e.ID}, "asset": {accountID(a)}}}
			if err := enc.Encode(own); err != nil {
				return err
			}
		}
	}
	for i := range g.Links {
		l := &g.Links[i]
		ev := g.evidence(l)
		from, to := g.Entities[l.From], g.Entities[l.To]
		p := map[string][]string{"description": {ev.Describe()}, "publisher": {"Custodia"}}
		if l.At != 0 {
			p["date"] = []string{rfc3339(l.At)}
		}
		x := g.Extra(l)
		switch l.Schema() {
		case LinkMessage:
			p["sender"], p["recipients"] = []string{from.ID}, []string{to.ID}
		case LinkCall:
			p["caller"], p["receiver"] = []string{from.ID}, []string{to.ID}
			if len(from.Phones) > 0 {
				p["callerNumber"] = from.Phones[:1]
			}
			if len(to.Phones) > 0 {
				p["receiverNumber"] = to.Phones[:1]
			}
			if x != nil && x.Duration > 0 {
				p["duration"] = []string{strconv.FormatInt(int64(x.Duration/time.Second), 10)}
			}
		case LinkPayment:
			p["payer"], p["beneficiary"] = []string{from.ID}, []string{to.ID}
			if x != nil {
				p["amount"], p["currency"] = []string{x.Amount}, []string{x.Currency}
			}
		case LinkMembership:
			p["member"], p["organization"] = []string{from.ID}, []string{to.ID}
		default:
			p["agent"], p["client"] = []string{from.ID}, []string{to.ID}
		}
		if err := enc.Encode(ftmEntity{ID: g.LinkID(int32(i)), Schema: l.Schema(), Properties: p, Custodia: &ev}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// nodeAttrs and edgeAttrs are the attributes GEXF, GraphML and CSV write.
var nodeAttrs = []string{"schema", "phones", "emails", "id_numbers", "case"}
var edgeAttrs = []string{"kind", "at", "item", "sha256", "line", "offset", "amount", "currency", "duration_s"}

func nodeValues(e *Entity) []string {
	return []string{e.Schema, strings.Join(e.Phones, " "), strings.Join(e.Emails, " "), strings.Join(e.IDNumbers, " "), e.Case}
}

func (g *Graph) edgeValues(l *Link) []string {
	ev := g.evidence(l)
	at := ""
	if l.At != 0 {
		at = rfc3339(l.At)
	}
	amount, currency, dur := "", "", ""
	if x := g.Extra(l); x != nil {
		amount, currency = x.Amount, x.Currency
		if x.Duration > 0 {
			dur = strconv.FormatInt(int64(x.Duration/time.Second), 10)
		}
	}
	line, off := "", ""
	if ev.Line > 0 {
		line = strconv.Itoa(ev.Line)
	}
	if ev.Offset > 0 {
		off = strconv.FormatInt(ev.Offset, 10)
	}
	return []string{l.Schema(), at, ev.Item, ev.SHA256, line, off, amount, currency, dur}
}

// WriteGEXF writes the graph in GEXF 1.3 for Gephi: entities as nodes,
// links as directed edges whose attributes name their evidence.
func WriteGEXF(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, `<?xml version="1.0" encoding="UTF-8"?>`)
	fmt.Fprintln(bw, `<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">`)
	fmt.Fprintln(bw, `  <meta><creator>Custodia</creator><description>Red de comunicaciones y pagos; cada arista cita su evidencia / communications and payments network; each edge cites its evidence</description></meta>`)
	fmt.Fprintln(bw, `  <graph defaultedgetype="directed" mode="static">`)
	fmt.Fprintln(bw, `    <attributes class="node" mode="static">`)
	for i, a := range nodeAttrs {
		fmt.Fprintf(bw, "      <attribute id=\"n%d\" title=\"%s\" type=\"string\"/>\n", i, a)
	}
	fmt.Fprintln(bw, `    </attributes>`)
	fmt.Fprintln(bw, `    <attributes class="edge" mode="static">`)
	for i, a := range edgeAttrs {
		fmt.Fprintf(bw, "      <attribute id=\"e%d\" title=\"%s\" type=\"string\"/>\n", i, a)
	}
	fmt.Fprintln(bw, `    </attributes>`)
	fmt.Fprintln(bw, `    <nodes>`)
	for _, e := range g.Entities {
		fmt.Fprintf(bw, "      <node id=\"%s\" label=\"%s\"><attvalues>", xmlText(e.ID), xmlText(e.Name))
		for i, v := range nodeValues(e) {
			if v != "" {
				fmt.Fprintf(bw, "<attvalue for=\"n%d\" value=\"%s\"/>", i, xmlText(v))
			}
		}
		fmt.Fprintln(bw, "</attvalues></node>")
	}
	fmt.Fprintln(bw, `    </nodes>`)
	fmt.Fprintln(bw, `    <edges>`)
	for i := range g.Links {
		l := &g.Links[i]
		fmt.Fprintf(bw, "      <edge id=\"%s\" source=\"%s\" target=\"%s\" label=\"%s\"><attvalues>", g.LinkID(int32(i)), xmlText(g.Entities[l.From].ID), xmlText(g.Entities[l.To].ID), l.Schema())
		for j, v := range g.edgeValues(l) {
			if v != "" {
				fmt.Fprintf(bw, "<attvalue for=\"e%d\" value=\"%s\"/>", j, xmlText(v))
			}
		}
		fmt.Fprintln(bw, "</attvalues></edge>")
	}
	fmt.Fprintln(bw, `    </edges>`)
	fmt.Fprintln(bw, `  </graph>`)
	fmt.Fprintln(bw, `</gexf>`)
	return bw.Flush()
}

// WriteGraphML writes the graph in GraphML, with the same attributes as
// WriteGEXF.
func WriteGraphML(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, `<?xml version="1.0" encoding="UTF-8"?>`)
	fmt.Fprintln(bw, `<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">`)
	fmt.Fprintln(bw, `  <key id="n_name" for="node" attr.name="name" attr.type="string"/>`)
	for _, a := range nodeAttrs {
		fmt.Fprintf(bw, "  <key id=\"n_%s\" for=\"node\" attr.name=\"%s\" attr.type=\"string\"/>\n", a, a)
	}
	for _, a := range edgeAttrs {
		fmt.Fprintf(bw, "  <key id=\"e_%s\" for=\"edge\" attr.name=\"%s\" attr.type=\"string\"/>\n", a, a)
	}
	fmt.Fprintln(bw, `  <graph id="custodia" edgedefault="directed">`)
	for _, e := range g.Entities {
		fmt.Fprintf(bw, "    <node id=\"%s\"><data key=\"n_name\">%s</data>", xmlText(e.ID), xmlText(e.Name))
		for i, v := range nodeValues(e) {
			if v != "" {
				fmt.Fprintf(bw, "<data key=\"n_%s\">%s</data>", nodeAttrs[i], xmlText(v))
			}
		}
		fmt.Fprintln(bw, "</node>")
	}
	for i := range g.Links {
		l := &g.Links[i]
		fmt.Fprintf(bw, "    <edge id=\"%s\" source=\"%s\" target=\"%s\">", g.LinkID(int32(i)), xmlText(g.Entities[l.From].ID), xmlText(g.Entities[l.To].ID))
		for j, v := range g.edgeValues(l) {
			if v != "" {
				fmt.Fprintf(bw, "<data key=\"e_%s\">%s</data>", edgeAttrs[j], xmlText(v))
			}
		}
		fmt.Fprintln(bw, "</edge>")
	}
	fmt.Fprintln(bw, `  </graph>`)
	fmt.Fprintln(bw, `</graphml>`)
	return bw.Flush()
}

// csvSafe keeps a spreadsheet from reading a name from the evidence as a
// formula ("=HYPERLINK(...)"): such a cell starts with a quote. Phone
// numbers and amounts, whose "+" and "-" are theirs, are left alone.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the nodes and the edges as two CSV files, with a header
// row each; every edge row names its evidence.
func WriteCSV(nodes, edges io.Writer, g *Graph) error {
	nw := csv.NewWriter(nodes)
	if err := nw.Write(append([]string{"id", "name"}, nodeAttrs...)); err != nil {
		return err
	}
	for _, e := range g.Entities {
		vals := nodeValues(e)
		vals[len(vals)-1] = csvSafe(vals[len(vals)-1])
		if err := nw.Write(append([]string{e.ID, csvSafe(e.Name)}, vals...)); err != nil {
			return err
		}
	}
	nw.Flush()
	if err := nw.Error(); err != nil {
		return err
	}
	ew := csv.NewWriter(edges)
	if err := ew.Write(append([]string{"id", "source", "target"}, edgeAttrs...)); err != nil {
		return err
	}
	for i := range g.Links {
		l := &g.Links[i]
		if err := ew.Write(append([]string{g.LinkID(int32(i)), g.Entities[l.From].ID, g.Entities[l.To].ID}, g.edgeValues(l)...)); err != nil {
			return err
		}
	}
	ew.Flush()
	return ew.Error()
}
