// Package domain holds the rules of Custodia's records: what a deployment
// knows (agencies, officers, cases, persons, operations, sites, detentions,
// evidence items, statements), how each accepted record changes it, and the
// reports computed from it.
//
// It is pure: no I/O, no clock. State.Apply checks a record against the
// current state and, only when it is accepted, changes the state; a rejected
// record leaves the state as it was. The storage layer persists the events
// and the rows that State.Rows derives, so that the tables are a function of
// the log and an audit can replay the log and compare.
package domain

import (
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
)

// Config holds the deployment's deadline rules, in minutes.
type Config struct {
	RightsNoticeMinutes int64 // default 60: rights are read at the moment of arrest
	HearingMinutes      int64 // default 1440: a detainee sees a judge within 24 hours
	// ClockSkewMinutes is how far ahead of the server's clock a new
	// record's claimed time may be (default 5; see Admit).
	ClockSkewMinutes int64
}

// DefaultConfig is Ecuadorian practice, as the case-file spec states it.
var DefaultConfig = Config{RightsNoticeMinutes: 60, HearingMinutes: 1440}

// State is everything a deployment knows, as of the events applied to it.
type State struct {
	cfg Config

	Agencies      map[string]*Agency
	Officers      map[string]*Officer
	Cases         map[string]*Case
	Persons       map[string]*Person
	Organizations map[string]*Organization
	Links         map[string]*Link
	Operations    map[string]*Operation
	Sites         map[string]*Site
	Detentions    map[string]*Detention
	Items         map[string]*Item
	Statements    map[string]*Statement
	Attachments   map[int64]*Attachment // by seq

	SystemState // accounts, grants, disclosures, releases (access.go)

	last lastApplied // the latest accepted event (field.go)
}

// NewState returns an empty state with the given deadline rules.
func NewState(cfg Config) *State {
	if cfg.RightsNoticeMinutes == 0 {
		cfg.RightsNoticeMinutes = DefaultConfig.RightsNoticeMinutes
	}
	if cfg.HearingMinutes == 0 {
		cfg.HearingMinutes = DefaultConfig.HearingMinutes
	}
	return &State{
		cfg:           cfg,
		Agencies:      map[string]*Agency{},
		Officers:      map[string]*Officer{},
		Cases:         map[string]*Case{},
		Persons:       map[string]*Person{},
		Organizations: map[string]*Organization{},
		Links:         map[string]*Link{},
		Operations:    map[string]*Operation{},
		Sites:         map[string]*Site{},
		Detentions:    map[string]*Detention{},
		Items:         map[string]*Item{},
		Statements:    map[string]*Statement{},
		Attachments:   map[int64]*Attachment{},
		SystemState:   newSystemState(),
	}
}

// Config returns the deadline rules in force.
func (s *State) Config() Config { return s.cfg }

// Agency is an institution whose officers act.
type Agency struct {
	casefile.Agency
	Seq int64
}

// Officer is a person who acts on evidence.
type Officer struct {
	casefile.Officer
	Seq int64
}

// Case is an investigation.
type Case struct {
	casefile.Case
	Seq int64
}

// Person is a person of interest in a case.
type Person struct {
	casefile.Person
	Seq int64
}

// IsReserved reports whether the person's identity is protected.
func (p *Person) IsReserved() bool { return p.Reserved != nil && *p.Reserved }

// Organization is an organization of interest in a case.
type Organization struct {
	casefile.Organization
	Seq int64
}

// Link relates two persons or organizations of a case.
type Link struct {
	casefile.Link
	Seq int64
}

// Statement is a public or recorded statement.
type Statement struct {
	casefile.Statement
	Seq int64
}

// Operation is a planned operation of a case, with its sites in the order
// they were added.
type Operation struct {
	casefile.Operation
	Seq   int64
	Sites []string
}

// Site is a place raided in an operation, with its status history.
type Site struct {
	casefile.Site
	Seq     int64
	History []StatusChange
}

// StatusChange is one site.status record.
type StatusChange struct {
	Seq    int64
	Status string
	At     string
	T      time.Time
	By     string
	Note   string
}

// Status returns the site's status as of t ("planned" before any).
func (s *Site) Status(asOf time.Time) string {
	st := "planned"
	for _, c := range s.History {
		if !c.T.After(asOf) {
			st = c.Status
		}
	}
	return st
}

// Current returns the latest status, "planned" if none.
func (s *Site) Current() string {
	if len(s.History) == 0 {
		return "planned"
	}
	return s.History[len(s.History)-1].Status
}

// Detention is an arrest, with the times the deadline rules watch.
type Detention struct {
	casefile.Detention
	Seq     int64
	Updates []int64 // seqs of detention.update events
}

// Item is an evidence item: its custody state and what it is.
type Item struct {
	custody.Item
	Seize     *custody.Seize  // for a seized item
	Derive    *custody.Derive // for a derived item
	OriginSeq int64           // the event that created it
	Children  []string
	Anomalies []ItemAnomaly
	Disposal  *custody.Dispose
	Presented int
}

// ItemAnomaly is a custody anomaly with the event that recorded it.
type ItemAnomaly struct {
	custody.Anomaly
	Seq int64
	T   time.Time
}

// CreatedAt is the seizure or derivation time as given.
func (it *Item) CreatedAt() string {
	if it.Seize != nil {
		return it.Seize.SeizedAt
	}
	return it.Derive.At
}

// Quantity is the number of units (1 unless the seizure says otherwise).
func (it *Item) Quantity() int64 {
	if it.Seize != nil && it.Seize.Quantity != nil {
		return *it.Seize.Quantity
	}
	return 1
}

// Attachment is a file recorded about an item by its hash.
type Attachment struct {
	custody.Attach
	Seq int64
}
