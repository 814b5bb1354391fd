// Package casefile reads and writes case files: the portable, line-per-record
// JSON form of an investigation defined in the case-file spec (version 1).
//
// Decoding is strict, because a typo in a custody record must not pass
// silently: unknown ops and unknown fields are errors, ids and times are
// checked, and every error names the line, the op and the field. Checks that
// need the deployment's state (references, uniqueness, custody continuity)
// belong to package domain; this package checks each line on its own.
package casefile

import "github.com/custodia-ec/custodia/custody"

// Ops of the case-file format that do not act on evidence items. The item ops
// are defined in package custody.
const (
	OpAgency       = "agency.add"
	OpOfficer      = "officer.add"
	OpCase         = "case.open"
	OpPerson       = "person.add"
	OpOrganization = "organization.add"
	OpLink         = "link.add"
	OpOperation    = "operation.plan"
	OpSite         = "site.add"
	OpSiteStatus   = "site.status"
	OpDetention    = "detention.record"
	OpDetentionUpd = "detention.update"
	OpStatement    = "statement.add"
)

// Agency is agency.add.
type Agency struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Officer is officer.add: a person who acts on evidence.
type Officer struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Agency string `json:"agency"`
	Role   string `json:"role"`
}

// Case is case.open.
type Case struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	At      string `json:"at"`
	By      string `json:"by"`
	Summary string `json:"summary,omitempty"`
}

// Person is person.add: a person of interest in a case.
type Person struct {
	ID          string   `json:"id"`
	Case        string   `json:"case"`
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`
	Reserved    *bool    `json:"reserved,omitempty"`
	Institution string   `json:"institution,omitempty"`
	Position    string   `json:"position,omitempty"`
}

// Organization is organization.add.
type Organization struct {
	ID           string `json:"id"`
	Case         string `json:"case"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
}

// Link is link.add: a relation between persons or organizations of a case.
type Link struct {
	ID     string `json:"id"`
	Case   string `json:"case"`
	From   string `json:"from"`
	To     string `json:"to"`
	Kind   string `json:"kind"`
	At     string `json:"at,omitempty"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Operation is operation.plan.
type Operation struct {
	ID        string   `json:"id"`
	Case      string   `json:"case"`
	Name      string   `json:"name"`
	HHour     string   `json:"h_hour"`
	Personnel *int64   `json:"personnel"`
	Agencies  []string `json:"agencies"`
	At        string   `json:"at"`
	By        string   `json:"by"`
}

// Site is site.add: a place raided in an operation, with its team.
type Site struct {
	ID        string   `json:"id"`
	Operation string   `json:"operation"`
	Province  string   `json:"province"`
	City      string   `json:"city"`
	Kind      string   `json:"kind"`
	Lead      string   `json:"lead"`
	Address   string   `json:"address,omitempty"`
	Warrant   string   `json:"warrant,omitempty"`
	Team      []string `json:"team,omitempty"`
}

// SiteStatus is site.status.
type SiteStatus struct {
	Site   string `json:"site"`
	Status string `json:"status"`
	At     string `json:"at"`
	By     string `json:"by"`
	Note   string `json:"note,omitempty"`
}

// Detention is detention.record.
type Detention struct {
	ID               string `json:"id"`
	Case             string `json:"case"`
	Person           string `json:"person"`
	Basis            string `json:"basis"`
	ArrestedAt       string `json:"arrested_at"`
	ArrestedBy       string `json:"arrested_by"`
	Operation        string `json:"operation,omitempty"`
	Site             string `json:"site,omitempty"`
	Place            string `json:"place,omitempty"`
	Charge           string `json:"charge,omitempty"`
	RightsNotifiedAt string `json:"rights_notified_at,omitempty"`
	HearingAt        string `json:"hearing_at,omitempty"`
	ReleasedAt       string `json:"released_at,omitempty"`
	Note             string `json:"note,omitempty"`
}

// DetentionUpdate is detention.update.
type DetentionUpdate struct {
	Detention        string `json:"detention"`
	At               string `json:"at"`
	By               string `json:"by"`
	RightsNotifiedAt string `json:"rights_notified_at,omitempty"`
	HearingAt        string `json:"hearing_at,omitempty"`
	ReleasedAt       string `json:"released_at,omitempty"`
}

// Statement is statement.add: a public or recorded statement.
type Statement struct {
	ID      string `json:"id"`
	Case    string `json:"case"`
	At      string `json:"at"`
	Source  string `json:"source"`
	Text    string `json:"text"`
	Speaker string `json:"speaker,omitempty"`
}

// Enumerations of the spec.
var (
	AgencyKinds       = set("prosecution", "police", "judiciary", "forensics", "prison", "defense", "other")
	OfficerRoles      = set("prosecutor", "investigator", "agent", "custodian", "forensic_analyst", "judge", "clerk", "defense", "auditor", "admin")
	PersonRoles       = set("judge", "prosecutor", "police", "lawyer", "prison_guard", "judiciary_official", "public_official", "trafficker", "gang_member", "business", "other")
	OrganizationKinds = set("criminal_group", "company", "public_institution", "law_firm", "other")
	SiteKinds         = set("residence", "office", "public_office", "law_office", "court", "prison", "business", "vehicle", "other")
	SiteStatuses      = set("en_route", "entered", "secured", "completed", "aborted")
	DetentionBases    = set("warrant", "flagrante")
	ItemTypes         = set("phone", "laptop", "computer", "storage", "documents", "financial_records", "corporate_records", "agenda", "firearm", "ammunition", "cash", "vehicle", "drugs", "other")
	DerivedTypes      = set("forensic_image", "extraction", "copy", "photo", "report", "other")
	Purposes          = set("transport", "storage", "analysis", "court", "return", "other")
	SealConditions    = set("intact", "broken", "none")
	DisposeMethods    = set("returned", "destroyed", "forfeited")
)

func set(vals ...string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// DigitalByDefault reports whether items of this type are digital unless the
// record says otherwise.
func DigitalByDefault(itemType string) bool {
	switch itemType {
	case "phone", "laptop", "computer", "storage":
		return true
	}
	return false
}

// Record types of the item ops, for a switch over decoded records.
type (
	Seize    = custody.Seize
	Transfer = custody.Transfer
	Open     = custody.Open
	Seal     = custody.Seal
	Derive   = custody.Derive
	Attach   = custody.Attach
	Present  = custody.Present
	Dispose  = custody.Dispose
)
