package casegen

import (
	"regexp"
	"slices"
)

// ftype is the JSON shape and meaning of a field of a case-file op.
type ftype int

const (
	tText     ftype = iota // any JSON string
	tID                    // a new record's id: a string matching idRE
	tRef                   // a string naming another record; checked against the state
	tEnum                  // a string from the field's enum
	tTime                  // an RFC 3339 time with an explicit offset
	tInt                   // an integer literal, at least min
	tBool                  // true or false
	tRefList               // a list of references
	tEnumList              // a non-empty list of enum values
	tSHA                   // 64 lowercase hex digits
)

// fspec is one field of an op: its name, whether it is required, its shape,
// and for tRef fields the kinds of record it may name.
type fspec struct {
	name string
	req  bool
	typ  ftype
	enum []string // tEnum, tEnumList
	min  int64    // tInt
	ref  []string // tRef, tRefList: record kinds, see kind* below
}

// Record kinds: ids are unique per kind (spec "Encoding").
const (
	kAgency    = "agency"
	kOfficer   = "officer"
	kCase      = "case"
	kPerson    = "person"
	kOrg       = "organization"
	kLink      = "link"
	kOperation = "operation"
	kSite      = "site"
	kDetention = "detention"
	kItem      = "item"
	kStatement = "statement"
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
var timeRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
var intRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// The spec's enums.
var (
	agencyKinds   = []string{"prosecution", "police", "judiciary", "forensics", "prison", "defense", "other"}
	officerRoles  = []string{"prosecutor", "investigator", "agent", "custodian", "forensic_analyst", "judge", "clerk", "defense", "auditor", "admin"}
	personRoles   = []string{"judge", "prosecutor", "police", "lawyer", "prison_guard", "judiciary_official", "public_official", "trafficker", "gang_member", "business", "other"}
	orgKinds      = []string{"criminal_group", "company", "public_institution", "law_firm", "other"}
	siteKinds     = []string{"residence", "office", "public_office", "law_office", "court", "prison", "business", "vehicle", "other"}
	siteStatuses  = []string{"en_route", "entered", "secured", "completed", "aborted"}
	bases         = []string{"warrant", "flagrante"}
	itemTypes     = []string{"phone", "laptop", "computer", "storage", "documents", "financial_records", "corporate_records", "agenda", "firearm", "ammunition", "cash", "vehicle", "drugs", "other"}
	derivedTypes  = []string{"forensic_image", "extraction", "copy", "photo", "report", "other"}
	purposes      = []string{"transport", "storage", "analysis", "court", "return", "other"}
	sealConds     = []string{"intact", "broken", "none"}
	disposeMethod = []string{"returned", "destroyed", "forfeited"}
)

func req(name string, typ ftype) fspec { return fspec{name: name, req: true, typ: typ} }
func opt(name string, typ ftype) fspec { return fspec{name: name, typ: typ} }
func reqRef(name string, kinds ...string) fspec {
	return fspec{name: name, req: true, typ: tRef, ref: kinds}
}
func optRef(name string, kinds ...string) fspec { return fspec{name: name, typ: tRef, ref: kinds} }
func reqEnum(name string, enum []string) fspec {
	return fspec{name: name, req: true, typ: tEnum, enum: enum}
}

// schemas is the spec's op table: every op and its fields, in the order the
// spec lists them. It is read-only.
var schemas = map[string][]fspec{
	"agency.add":  {req("id", tID), req("name", tText), reqEnum("kind", agencyKinds)},
	"officer.add": {req("id", tID), req("name", tText), reqRef("agency", kAgency), reqEnum("role", officerRoles)},
	"case.open":   {req("id", tID), req("title", tText), req("at", tTime), reqRef("by", kOfficer), opt("summary", tText)},
	"person.add": {req("id", tID), reqRef("case", kCase), req("name", tText),
		{name: "roles", req: true, typ: tEnumList, enum: personRoles},
		opt("reserved", tBool), opt("institution", tText), opt("position", tText)},
	"organization.add": {req("id", tID), reqRef("case", kCase), req("name", tText), reqEnum("kind", orgKinds), opt("jurisdiction", tText)},
	"link.add": {req("id", tID), reqRef("case", kCase), reqRef("from", kPerson, kOrg), reqRef("to", kPerson, kOrg),
		req("kind", tText), opt("at", tTime), optRef("source", kItem, kStatement), opt("note", tText)},
	"operation.plan": {req("id", tID), reqRef("case", kCase), req("name", tText), req("h_hour", tTime),
		{name: "personnel", req: true, typ: tInt, min: 0},
		{name: "agencies", req: true, typ: tRefList, ref: []string{kAgency}},
		req("at", tTime), reqRef("by", kOfficer)},
	"site.add": {req("id", tID), reqRef("operation", kOperation), req("province", tText), req("city", tText),
		reqEnum("kind", siteKinds), reqRef("lead", kOfficer), opt("address", tText), opt("warrant", tText),
		{name: "team", typ: tRefList, ref: []string{kOfficer}}},
	"site.status": {reqRef("site", kSite), reqEnum("status", siteStatuses), req("at", tTime), reqRef("by", kOfficer), opt("note", tText)},
	"detention.record": {req("id", tID), reqRef("case", kCase), reqRef("person", kPerson), reqEnum("basis", bases),
		req("arrested_at", tTime), reqRef("arrested_by", kOfficer), optRef("operation", kOperation), optRef("site", kSite),
		opt("place", tText), opt("charge", tText), opt("rights_notified_at", tTime), opt("hearing_at", tTime),
		opt("released_at", tTime), opt("note", tText)},
	"detention.update": {reqRef("detention", kDetention), req("at", tTime), reqRef("by", kOfficer),
		opt("rights_notified_at", tTime), opt("hearing_at", tTime), opt("released_at", tTime)},
	"evidence.seize": {req("id", tID), reqRef("case", kCase), reqEnum("type", itemTypes), req("description", tText),
		req("seized_at", tTime), reqRef("seized_by", kOfficer), optRef("site", kSite), opt("place", tText),
		{name: "quantity", typ: tInt, min: 1}, opt("seal", tText), opt("digital", tBool)},
	"custody.transfer": {reqRef("item", kItem), reqRef("from", kOfficer), reqRef("to", kOfficer), req("at", tTime),
		reqEnum("purpose", purposes), reqEnum("seal_condition", sealConds), opt("seal", tText), opt("location", tText)},
	"custody.open": {reqRef("item", kItem), req("at", tTime), reqRef("by", kOfficer), req("reason", tText)},
	"custody.seal": {reqRef("item", kItem), req("seal", tText), req("at", tTime), reqRef("by", kOfficer)},
	"evidence.derive": {req("id", tID), reqRef("parent", kItem), reqEnum("type", derivedTypes), req("description", tText),
		req("at", tTime), reqRef("by", kOfficer), opt("sha256", tSHA), {name: "size", typ: tInt, min: 0}, opt("tool", tText)},
	"evidence.attach": {reqRef("item", kItem), req("name", tText), req("sha256", tSHA),
		{name: "size", req: true, typ: tInt, min: 0}, req("at", tTime), reqRef("by", kOfficer), opt("media_type", tText)},
	"court.present":    {reqRef("item", kItem), req("at", tTime), reqRef("by", kOfficer), req("hearing", tText)},
	"evidence.dispose": {reqRef("item", kItem), req("at", tTime), reqRef("by", kOfficer), reqEnum("method", disposeMethod), opt("order", tText)},
	"statement.add":    {req("id", tID), reqRef("case", kCase), req("at", tTime), req("source", tText), req("text", tText), opt("speaker", tText)},
}

// definesKind is the kind of record an op's "id" field defines.
var definesKind = map[string]string{
	"agency.add": kAgency, "officer.add": kOfficer, "case.open": kCase, "person.add": kPerson,
	"organization.add": kOrg, "link.add": kLink, "operation.plan": kOperation, "site.add": kSite,
	"detention.record": kDetention, "evidence.seize": kItem, "evidence.derive": kItem, "statement.add": kStatement,
}

// ops lists the spec's ops in the order of its table.
var ops = []string{"agency.add", "officer.add", "case.open", "person.add", "organization.add", "link.add",
	"operation.plan", "site.add", "site.status", "detention.record", "detention.update", "evidence.seize",
	"custody.transfer", "custody.open", "custody.seal", "evidence.derive", "evidence.attach", "court.present",
	"evidence.dispose", "statement.add"}

func fieldOf(op, name string) (fspec, bool) {
	i := slices.IndexFunc(schemas[op], func(f fspec) bool { return f.name == name })
	if i < 0 {
		return fspec{}, false
	}
	return schemas[op][i], true
}
