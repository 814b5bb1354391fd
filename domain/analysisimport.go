package domain

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/custodia-ec/custodia/custody"
)

// OpAnalysisImport is analysis.import, a system op: a file of an evidence
// item (an attachment, or the extraction a derived item recorded) was
// read into the case's investigation analysis (chats, contacts, calls,
// transfers). The file's SHA-256 must be one the log recorded for the
// item, so that every link the analysis draws from it points to bytes
// whose custody the log holds. The event itself is the record: it changes
// no row.
const OpAnalysisImport = "analysis.import"

// Analysts' decisions on entity resolution (issue 16): two identifier
// keys are one person (analysis.merge) or two (analysis.split), and a
// decision is undone by analysis.revert, which names it by its event
// number. They are events of the log, so that who tied two numbers to one
// person, and when, can be shown to a court as the custody of an item
// can; the analysis applies the decisions in force when it builds a
// case's graph. Like analysis.import, they change no row: the state holds
// each case's decisions in force (AnalysisOf).
const (
	OpAnalysisMerge  = "analysis.merge"
	OpAnalysisSplit  = "analysis.split"
	OpAnalysisRevert = "analysis.revert"
)

// AnalysisFormats are the importers of package analysis.
var AnalysisFormats = map[string]bool{"whatsapp": true, "telegram": true, "vcard": true, "calls-csv": true, "payments-csv": true}

// AnalysisKeyKinds are the kinds of identifier key a decision may name
// (package analysis's IDPhone, IDEmail, ...: "phone:+593991234567").
var AnalysisKeyKinds = map[string]bool{"phone": true, "email": true, "id": true, "account": true, "user": true, "name": true, "chat": true}

// AnalysisImport is analysis.import: which file of which item was read,
// in what format, and how many records and rejected lines it gave.
type AnalysisImport struct {
	Item    string `json:"item"`
	SHA256  string `json:"sha256"`
	Format  string `json:"format"`
	Records int64  `json:"records"`
	Rejects int64  `json:"rejects"`
}

// AnalysisDecision is analysis.merge or analysis.split: in case Case, the
// entities of identifier keys A and B are one (merge) or two (split),
// whatever the automatic rules say. By is the account that decided; Note
// says why (a contact card, a statement).
type AnalysisDecision struct {
	Case string `json:"case"`
	A    string `json:"a"`
	B    string `json:"b"`
	By   string `json:"by"`
	Note string `json:"note,omitempty"`
}

// AnalysisRevert is analysis.revert: the decision recorded as event
// Decision no longer holds.
type AnalysisRevert struct {
	Case     string `json:"case"`
	Decision int64  `json:"decision"`
	By       string `json:"by"`
	Note     string `json:"note,omitempty"`
}

// AnalysisCase is what the log says of one case's analysis.
type AnalysisCase struct {
	Imports int
	// Decisions in force, by the event that recorded them.
	Decisions map[int64]*DecisionInForce
	// Version is the event number of the case's latest analysis event:
	// a graph built at one version is the graph of that version.
	Version int64
}

// DecisionInForce is a merge or split not reverted.
type DecisionInForce struct {
	Kind string // "merge" or "split"
	AnalysisDecision
	Seq int64
	At  string // set by the ledger's reads; empty in the state
}

// AnalysisOf returns a case's analysis as the log records it, nil when
// nothing was imported into it.
func (s *State) AnalysisOf(c string) *AnalysisCase { return s.Analysis[c] }

// AnalysisDecisions lists a case's decisions in force, oldest first.
func (s *State) AnalysisDecisions(c string) []DecisionInForce {
	ac := s.Analysis[c]
	if ac == nil {
		return nil
	}
	out := make([]DecisionInForce, 0, len(ac.Decisions))
	for _, d := range ac.Decisions {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

func validateAnalysisImport(r *AnalysisImport) *custody.Error {
	if !validHex(r.SHA256) {
		return custody.Errorf(custody.EInvalid, "sha256", "se esperan 64 dígitos hexadecimales en minúscula", "64 lowercase hexadecimal digits expected")
	}
	if !AnalysisFormats[r.Format] {
		return custody.Errorf(custody.EInvalid, "format", "formato %q no admitido (whatsapp, telegram, vcard, calls-csv, payments-csv)", "format %q is not allowed (whatsapp, telegram, vcard, calls-csv, payments-csv)", r.Format)
	}
	if r.Records < 0 || r.Rejects < 0 {
		return custody.Errorf(custody.EInvalid, "records", "los recuentos no pueden ser negativos", "counts cannot be negative")
	}
	return nil
}

// ValidAnalysisKey checks an identifier key: a known kind, a colon, and a
// value of one line of at most 200 bytes. nil when it is valid.
func ValidAnalysisKey(field, key string) *custody.Error {
	kind, v, ok := strings.Cut(key, ":")
	bad := !ok || !AnalysisKeyKinds[kind] || strings.TrimSpace(v) == "" || len(v) > 200 || !utf8.ValidString(v) ||
		strings.IndexFunc(v, unicode.IsControl) >= 0
	if bad {
		return custody.Errorf(custody.EInvalid, field, "%q no es una clave de identificador (tipo:valor, p. ej. phone:+593991234567; tipos: account, chat, email, id, name, phone, user)",
			"%q is not an identifier key (kind:value, e.g. phone:+593991234567; kinds: account, chat, email, id, name, phone, user)", key)
	}
	return nil
}

func validateAnalysisNote(note string) *custody.Error {
	if len(note) > 500 || !utf8.ValidString(note) {
		return custody.Errorf(custody.EInvalid, "note", "hasta 500 bytes de texto", "up to 500 bytes of text")
	}
	return nil
}

func validateAnalysisDecision(r *AnalysisDecision) *custody.Error {
	if e := ValidAnalysisKey("a", r.A); e != nil {
		return e
	}
	if e := ValidAnalysisKey("b", r.B); e != nil {
		return e
	}
	if r.A == r.B {
		return custody.Errorf(custody.EInvalid, "b", "a y b son la misma clave", "a and b are the same key")
	}
	return validateAnalysisNote(r.Note)
}

// applyAnalysisImport checks that the item exists and recorded a file
// with that hash.
func (s *State) applyAnalysisImport(r *AnalysisImport, seq int64) (*Applied, *custody.Error) {
	it, e := s.item("item", r.Item)
	if e != nil {
		return nil, e
	}
	for _, f := range s.ItemFiles(r.Item) {
		if f.SHA256 == r.SHA256 {
			ac := s.Analysis[it.Case]
			if ac == nil {
				ac = &AnalysisCase{Decisions: map[int64]*DecisionInForce{}}
				s.Analysis[it.Case] = ac
			}
			ac.Imports++
			ac.Version = seq
			return &Applied{Case: it.Case}, nil
		}
	}
	return nil, rule("sha256", "la evidencia %s no tiene ningún archivo con sha256 %s", "item %s has no file with sha256 %s", r.Item, r.SHA256)
}

// analysisDecider checks the case of a decision and who took it: the
// case has an analysis and by is an active account that is a member.
func (s *State) analysisDecider(c, by string) (*AnalysisCase, *custody.Error) {
	if e := s.caseRef(c); e != nil {
		return nil, e
	}
	if _, e := s.account("by", by, true); e != nil {
		return nil, e
	}
	if !s.IsMember(by, c) {
		return nil, rule("by", "la cuenta %q no es miembro del caso %s", "account %q is not a member of case %s", by, c)
	}
	ac := s.Analysis[c]
	if ac == nil {
		return nil, rule("case", "el caso %s no tiene datos de análisis importados (custodia analyze import)", "case %s has no imported analysis data (custodia analyze import)", c)
	}
	return ac, nil
}

func samePair(d *DecisionInForce, a, b string) bool {
	return d.A == a && d.B == b || d.A == b && d.B == a
}

// applyAnalysisDecision records a merge or split. The same decision twice
// is a duplicate; the opposite decision on the same pair must revert the
// first, so that the record never holds both.
func (s *State) applyAnalysisDecision(kind string, r *AnalysisDecision, seq int64) (*Applied, *custody.Error) {
	ac, e := s.analysisDecider(r.Case, r.By)
	if e != nil {
		return nil, e
	}
	for _, seqs := range sortedSeqs(ac.Decisions) {
		d := ac.Decisions[seqs]
		if !samePair(d, r.A, r.B) {
			continue
		}
		if d.Kind == kind {
			return nil, custody.Errorf(custody.EDuplicate, "b", "ya está en vigor la decisión n.º %d sobre %s y %s", "decision no. %d on %s and %s is already in force", d.Seq, r.A, r.B)
		}
		return nil, custody.Errorf(custody.EConflict, "b", "la decisión n.º %d dice lo contrario sobre %s y %s: reviértala primero", "decision no. %d says the opposite about %s and %s: revert it first", d.Seq, r.A, r.B)
	}
	ac.Decisions[seq] = &DecisionInForce{Kind: kind, AnalysisDecision: *r, Seq: seq}
	ac.Version = seq
	return &Applied{Case: r.Case}, nil
}

func (s *State) applyAnalysisRevert(r *AnalysisRevert, seq int64) (*Applied, *custody.Error) {
	ac, e := s.analysisDecider(r.Case, r.By)
	if e != nil {
		return nil, e
	}
	if ac.Decisions[r.Decision] == nil {
		return nil, custody.Errorf(custody.EReference, "decision", "el caso %s no tiene ninguna decisión n.º %d en vigor", "case %s has no decision no. %d in force", r.Case, r.Decision)
	}
	delete(ac.Decisions, r.Decision)
	ac.Version = seq
	return &Applied{Case: r.Case}, nil
}

func sortedSeqs(m map[int64]*DecisionInForce) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// AnalysisMerge is analysis.merge: A and B are one entity.
type AnalysisMerge AnalysisDecision

// AnalysisSplit is analysis.split: A and B are two entities.
type AnalysisSplit AnalysisDecision

// decisionOf is the decision a merge or split carries.
func decisionOf(rec any) *AnalysisDecision {
	switch r := rec.(type) {
	case *AnalysisMerge:
		return (*AnalysisDecision)(r)
	case *AnalysisSplit:
		return (*AnalysisDecision)(r)
	}
	return nil
}
