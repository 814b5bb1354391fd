package domain

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/casefile"
)

// Table names of the projection. Each table is a function of the log: its
// rows are exactly what State.Rows gives after the log's events are applied.
const (
	TAgencies      = "agencies"
	TOfficers      = "officers"
	TCases         = "cases"
	TPersons       = "persons"
	TOrganizations = "organizations"
	TLinks         = "links"
	TStatements    = "statements"
	TOperations    = "operations"
	TSites         = "sites"
	TSiteStatuses  = "site_statuses"
	TDetentions    = "detentions"
	TItems         = "items"
	TAnomalies     = "anomalies"
	TAttachments   = "attachments"
)

// Table describes a projection table: its columns, of which the first Keys
// form the primary key. Values are string, int64 or nil (SQL NULL).
type Table struct {
	Name    string
	Columns []string
	Keys    int
}

// Tables is the projection's schema. The storage adapters create these
// tables with exactly these columns; audit compares them row by row.
var Tables = append([]Table{
	{TAgencies, []string{"id", "name", "kind", "seq"}, 1},
	{TOfficers, []string{"id", "name", "agency", "role", "seq"}, 1},
	{TCases, []string{"id", "title", "opened_at", "opened_by", "summary", "seq"}, 1},
	{TPersons, []string{"id", "case_id", "name", "roles", "reserved", "institution", "position", "seq"}, 1},
	{TOrganizations, []string{"id", "case_id", "name", "kind", "jurisdiction", "seq"}, 1},
	{TLinks, []string{"id", "case_id", "from_id", "to_id", "kind", "at", "source", "note", "seq"}, 1},
	{TStatements, []string{"id", "case_id", "at", "source", "text", "speaker", "seq"}, 1},
	{TOperations, []string{"id", "case_id", "name", "h_hour", "personnel", "agencies", "planned_at", "planned_by", "seq"}, 1},
	{TSites, []string{"id", "operation", "province", "city", "kind", "lead", "address", "warrant", "team", "status", "seq"}, 1},
	{TSiteStatuses, []string{"seq", "site", "status", "at", "by_officer", "note"}, 1},
	{TDetentions, []string{"id", "case_id", "person", "basis", "arrested_at", "arrested_by", "operation", "site", "place", "charge", "rights_notified_at", "hearing_at", "released_at", "note", "seq", "updates"}, 1},
	{TItems, []string{"id", "case_id", "type", "parent", "description", "quantity", "digital", "site", "place", "created_at", "created_by", "initial_seal", "sha256", "size", "tool", "holder", "seal", "disposed", "last_at", "last_seq", "events", "origin_seq"}, 1},
	{TAnomalies, []string{"seq", "kind", "item", "at"}, 2},
	{TAttachments, []string{"seq", "item", "name", "sha256", "size", "at", "by_officer", "media_type"}, 1},
}, systemTables...)

// TableByName returns the schema of a projection table.
func TableByName(name string) (Table, bool) {
	for _, t := range Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// Key names one row: a table and its primary key (a string id, an int64
// seq, or an anomalyKey).
type Key struct {
	Table string
	ID    any
}

type anomalyKey struct {
	seq  int64
	kind string
	item string
}

type statusKey struct {
	seq  int64
	site string
}

// Row is one row of a projection table, its values in the table's column
// order.
type Row []any

func strList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func optInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Row returns the row that key names, or nil when the state has none.
func (s *State) Row(k Key) Row {
	switch k.Table {
	case TAgencies:
		if a, ok := s.Agencies[k.ID.(string)]; ok {
			return Row{a.ID, a.Name, a.Kind, a.Seq}
		}
	case TOfficers:
		if o, ok := s.Officers[k.ID.(string)]; ok {
			return Row{o.ID, o.Name, o.Agency, o.Role, o.Seq}
		}
	case TCases:
		if c, ok := s.Cases[k.ID.(string)]; ok {
			return Row{c.ID, c.Title, c.At, c.By, c.Summary, c.Seq}
		}
	case TPersons:
		if p, ok := s.Persons[k.ID.(string)]; ok {
			return Row{p.ID, p.Case, p.Name, strList(p.Roles), boolInt(p.IsReserved()), p.Institution, p.Position, p.Seq}
		}
	case TOrganizations:
		if o, ok := s.Organizations[k.ID.(string)]; ok {
			return Row{o.ID, o.Case, o.Name, o.Kind, o.Jurisdiction, o.Seq}
		}
	case TLinks:
		if l, ok := s.Links[k.ID.(string)]; ok {
			return Row{l.ID, l.Case, l.From, l.To, l.Kind, l.At, l.Source, l.Note, l.Seq}
		}
	case TStatements:
		if st, ok := s.Statements[k.ID.(string)]; ok {
			return Row{st.ID, st.Case, st.At, st.Source, st.Text, st.Speaker, st.Seq}
		}
	case TOperations:
		if o, ok := s.Operations[k.ID.(string)]; ok {
			return Row{o.ID, o.Case, o.Name, o.HHour, optInt(o.Personnel), strList(o.Agencies), o.At, o.By, o.Seq}
		}
	case TSites:
		if st, ok := s.Sites[k.ID.(string)]; ok {
			return Row{st.ID, st.Operation, st.Province, st.City, st.Kind, st.Lead, st.Address, st.Warrant, strList(st.Team), st.Current(), st.Seq}
		}
	case TSiteStatuses:
		sk := k.ID.(statusKey)
		if st, ok := s.Sites[sk.site]; ok {
			for _, c := range st.History {
				if c.Seq == sk.seq {
					return Row{c.Seq, st.ID, c.Status, c.At, c.By, c.Note}
				}
			}
		}
	case TDetentions:
		if d, ok := s.Detentions[k.ID.(string)]; ok {
			ups := make([]string, len(d.Updates))
			for i, u := range d.Updates {
				ups[i] = fmt.Sprint(u)
			}
			return Row{d.ID, d.Case, d.Person, d.Basis, d.ArrestedAt, d.ArrestedBy, d.Operation, d.Site, d.Place, d.Charge,
				d.RightsNotifiedAt, d.HearingAt, d.ReleasedAt, d.Note, d.Seq, strings.Join(ups, ",")}
		}
	case TItems:
		if it, ok := s.Items[k.ID.(string)]; ok {
			return s.itemRow(it)
		}
	case TAnomalies:
		ak := k.ID.(anomalyKey)
		if it, ok := s.Items[ak.item]; ok {
			for _, an := range it.Anomalies {
				if an.Seq == ak.seq && an.Kind == ak.kind {
					return Row{an.Seq, an.Kind, an.Item, an.At}
				}
			}
		}
	case TAttachments:
		if at, ok := s.Attachments[k.ID.(int64)]; ok {
			return Row{at.Seq, at.Item, at.Name, at.SHA256, optInt(at.Size), at.At, at.By, at.MediaType}
		}
	default:
		return s.systemRow(k)
	}
	return nil
}

func (s *State) itemRow(it *Item) Row {
	var (
		desc, site, place, createdBy, initialSeal, sha, tool string
		size                                                 any
		digital                                              bool
	)
	if it.Seize != nil {
		z := it.Seize
		desc, site, place, createdBy, initialSeal = z.Description, z.Site, z.Place, z.SeizedBy, z.Seal
		digital = casefile.DigitalByDefault(z.Type)
		if z.Digital != nil {
			digital = *z.Digital
		}
	} else {
		d := it.Derive
		desc, createdBy, sha, tool, size = d.Description, d.By, d.SHA256, d.Tool, optInt(d.Size)
		digital = true
	}
	return Row{it.ID, it.Case, it.Type, it.Parent, desc, it.Quantity(), boolInt(digital), site, place, it.CreatedAt(), createdBy, initialSeal,
		sha, size, tool, it.Holder, it.Seal, boolInt(it.Disposed), it.LastAt.UTC().Format(time.RFC3339Nano), it.LastSeq, int64(it.Events), it.OriginSeq}
}

// keyedRows returns the rows of table t for every id of m, a state map
// keyed by record id.
func keyedRows[V any](s *State, t string, m map[string]V) []Row {
	rows := make([]Row, 0, len(m))
	for id := range m {
		rows = append(rows, s.Row(Key{t, id}))
	}
	return rows
}

// AllRows returns every row of table t, sorted by primary key, as audit
// compares them with the stored table.
func (s *State) AllRows(t string) []Row {
	var rows []Row
	add := func(r Row) { rows = append(rows, r) }
	switch t {
	case TAgencies:
		rows = append(rows, keyedRows(s, t, s.Agencies)...)
	case TOfficers:
		rows = append(rows, keyedRows(s, t, s.Officers)...)
	case TCases:
		rows = append(rows, keyedRows(s, t, s.Cases)...)
	case TPersons:
		rows = append(rows, keyedRows(s, t, s.Persons)...)
	case TOrganizations:
		rows = append(rows, keyedRows(s, t, s.Organizations)...)
	case TLinks:
		rows = append(rows, keyedRows(s, t, s.Links)...)
	case TStatements:
		rows = append(rows, keyedRows(s, t, s.Statements)...)
	case TOperations:
		rows = append(rows, keyedRows(s, t, s.Operations)...)
	case TSites:
		rows = append(rows, keyedRows(s, t, s.Sites)...)
	case TSiteStatuses:
		for _, st := range s.Sites {
			for _, c := range st.History {
				add(Row{c.Seq, st.ID, c.Status, c.At, c.By, c.Note})
			}
		}
	case TDetentions:
		rows = append(rows, keyedRows(s, t, s.Detentions)...)
	case TItems:
		for _, it := range s.Items {
			add(s.itemRow(it))
		}
	case TAnomalies:
		for _, it := range s.Items {
			for _, an := range it.Anomalies {
				add(Row{an.Seq, an.Kind, an.Item, an.At})
			}
		}
	case TAttachments:
		for seq := range s.Attachments {
			add(s.Row(Key{t, seq}))
		}
	default:
		rows = s.systemRows(t)
	}
	tab, _ := TableByName(t)
	sort.Slice(rows, func(i, j int) bool { return CompareKeys(rows[i], rows[j], tab.Keys) < 0 })
	return rows
}

// RowsFor returns the rows of the given keys, without duplicates, grouped by
// table. A key with no row (which Apply never produces) is skipped.
func (s *State) RowsFor(keys []Key) map[string][]Row {
	out := map[string][]Row{}
	seen := map[Key]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if r := s.Row(k); r != nil {
			out[k.Table] = append(out[k.Table], r)
		}
	}
	return out
}

// CompareKeys orders two rows by their first n columns, as SQL's ORDER BY
// with binary collation does: int64 by value, strings by bytes.
func CompareKeys(a, b Row, n int) int {
	for i := 0; i < n; i++ {
		if c := CompareValues(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// CompareValues orders nil < int64 < string, like SQLite.
func CompareValues(a, b any) int {
	rank := func(v any) int {
		switch v.(type) {
		case nil:
			return 0
		case int64:
			return 1
		}
		return 2
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	}
	return 0
}
