package app

import (
	"fmt"
	"slices"
	"time"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/domain"
)

// Policy is the one place where authorization is decided. Every route asks
// it; no handler decides on its own.
//
// The rules:
//   - need to know: an account that is not a member of a case (or whose
//     token does not list it) gets not_found (404) for everything in it,
//     exactly as if it did not exist;
//   - a member whose role may not do something gets forbidden (403);
//   - defence accounts see only items disclosed to them (and their
//     histories and bundles); anything else in the case is not_found;
//   - a site's target (address and warrant) is shown to its team (lead and
//     team officers) from the operation's release time, to the case's
//     prosecutors and to admins who are members; to anyone else it is
//     redacted;
//   - reserved identities are shown to prosecutors, investigators, judges and
//     admins who are members;
//   - the investigation analysis of a case (its network of chats, calls
//     and payments) is read by members who investigate, prosecute, judge,
//     audit or administer; merges and splits are decided by those who
//     investigate (prosecutors, investigators, forensic analysts);
//   - admins manage accounts and grants, and read case contents only as
//     members; they record nothing in a case;
//   - a record's actor (by, seized_by, arrested_by; from or to for a
//     transfer) must be the account's own officer: records are recorded as
//     that officer, else rule (422) on that field. Custodians therefore act
//     only on items they hold (the domain checks that by holds the item) or
//     receive;
//   - a token limited to cases does nothing beyond them: no accounts,
//     grants, others' tokens or keys, agencies, officers, audit, metrics,
//     nor a case outside its list (Unscoped, 403);
//   - an agent records the status of its own team's sites only (403).
type Policy struct{}

// Actions of the policy that are not record ops.
const (
	ActRead           = "read"              // case contents: case, operations, sites, detentions, items
	ActReadReserved   = "read_reserved"     // a reserved person's identity
	ActReadAccessLog  = "read_access_log"   // who viewed what in a case
	ActManageAccounts = "manage_accounts"   // accounts, tokens of others, grants
	ActAudit          = "audit"             // the deployment's integrity check
	ActRelease        = "operation.release" // set an operation's briefing time
	ActDisclose       = "item.disclose"     // disclose an item to the defence
)

func set(vals ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vals {
		m[v] = true
	}
	return m
}

// Allowed is the role table: what each role may do, beyond membership.
// Record ops are listed by op name.
var allowed = map[string]map[string]bool{
	"prosecutor": set(ActRead, ActReadReserved, ActReadAccessLog, ActRelease, ActDisclose, ActReadAnalysis, ActDecideAnalysis,
		casefile.OpCase, casefile.OpPerson, casefile.OpOrganization, casefile.OpLink, casefile.OpOperation, casefile.OpSite,
		casefile.OpSiteStatus, casefile.OpDetention, casefile.OpDetentionUpd, casefile.OpStatement,
		custody.OpSeize, custody.OpTransfer, custody.OpOpen, custody.OpSeal, custody.OpDerive, custody.OpAttach, custody.OpPresent, custody.OpDispose),
	"investigator": set(ActRead, ActReadReserved, ActReadAnalysis, ActDecideAnalysis,
		casefile.OpPerson, casefile.OpOrganization, casefile.OpLink, casefile.OpOperation, casefile.OpSite, casefile.OpSiteStatus,
		casefile.OpDetention, casefile.OpDetentionUpd, casefile.OpStatement, custody.OpSeize, custody.OpTransfer, custody.OpAttach),
	"agent": set(ActRead,
		casefile.OpSiteStatus, casefile.OpDetention, casefile.OpDetentionUpd, custody.OpSeize, custody.OpTransfer, custody.OpSeal, custody.OpAttach),
	"custodian":        set(ActRead, custody.OpTransfer, custody.OpOpen, custody.OpSeal, custody.OpAttach, custody.OpPresent, custody.OpDispose),
	"forensic_analyst": set(ActRead, ActReadAnalysis, ActDecideAnalysis, custody.OpTransfer, custody.OpOpen, custody.OpSeal, custody.OpDerive, custody.OpAttach),
	"judge":            set(ActRead, ActReadReserved, ActReadAnalysis, casefile.OpDetentionUpd, custody.OpPresent),
	"clerk":            set(ActRead, casefile.OpDetentionUpd, custody.OpPresent),
	"defense":          set(),
	"auditor":          set(ActRead, ActReadAccessLog, ActAudit, ActReadAnalysis),
	"admin":            set(ActRead, ActReadReserved, ActReadAccessLog, ActReadAnalysis, ActManageAccounts, ActAudit, casefile.OpAgency, casefile.OpOfficer),
}

// Can reports whether role may do action (a record op or an Act constant),
// before the per-case checks.
func (*Policy) Can(role, action string) bool { return allowed[role][action] }

// Case checks that p may see case c at all: it exists, p is a member and a
// token admits it. Otherwise not_found.
func (*Policy) Case(st *domain.State, p *Principal, c string) error {
	if _, ok := st.Cases[c]; !ok || !st.IsMember(p.Account, c) || !p.allowedCase(c) {
		return NotFound()
	}
	return nil
}

// Read checks a read of case contents other than items.
func (pol *Policy) Read(st *domain.State, p *Principal, c string) error {
	if err := pol.Case(st, p, c); err != nil {
		return err
	}
	if !pol.Can(p.Role, ActRead) {
		return NotFound() // defence: the case's contents are not theirs to know
	}
	return nil
}

// Item checks a read of an item, its history or its bundle.
func (pol *Policy) Item(st *domain.State, p *Principal, id string) (*domain.Item, error) {
	it, ok := st.Items[id]
	if !ok {
		return nil, NotFound()
	}
	if err := pol.Case(st, p, it.Case); err != nil {
		return nil, err
	}
	if pol.Can(p.Role, ActRead) || p.Role == "defense" && st.IsDisclosed(id, p.Account) {
		return it, nil
	}
	return nil, NotFound()
}

// ItemListed reports whether an item appears in p's list of a case's items.
func (pol *Policy) ItemListed(st *domain.State, p *Principal, it *domain.Item) bool {
	return pol.Can(p.Role, ActRead) || p.Role == "defense" && st.IsDisclosed(it.ID, p.Account)
}

// Act checks an action of a member on case c (a release, a disclosure, the
// access log): forbidden for read-only tokens on a change, whatever the
// case (see ReadOnly), not_found for non-members, forbidden for members
// whose role may not.
func (pol *Policy) Act(st *domain.State, p *Principal, c, action string, change bool) error {
	if change {
		if err := ReadOnly(p); err != nil {
			return err
		}
	}
	if err := pol.Case(st, p, c); err != nil {
		return err
	}
	if !pol.Can(p.Role, action) {
		if !pol.Can(p.Role, ActRead) {
			return NotFound()
		}
		return Forbidden("su rol no permite esta acción en el caso", "your role does not allow this action in the case")
	}
	return nil
}

// Admin checks an account-management action.
func (pol *Policy) Admin(p *Principal, change bool) error {
	if change {
		if err := ReadOnly(p); err != nil {
			return err
		}
	}
	if !pol.Can(p.Role, ActManageAccounts) {
		return Forbidden("solo un administrador puede hacerlo", "only an administrator can do this")
	}
	return Unscoped(p)
}

// Unscoped refuses, to a token limited to cases (Principal.Cases), what is
// not within one case: accounts, grants, tokens of others, keys, agencies
// and officers, a case outside its list. What it changed would reach
// beyond the cases that limit it (a grant in another case, a new account).
func Unscoped(p *Principal) error {
	if len(p.Cases) == 0 {
		return nil
	}
	return Forbidden("un token limitado a casos no puede hacerlo: su efecto va más allá de esos casos",
		"a case-scoped token cannot do this: its effect reaches beyond those cases")
}

// SiteTarget reports whether p may see site's target (address, warrant) at
// time now. p must already be a member of the site's case. The site's lead
// and team see it once it is released to them: from the operation's
// briefing (operation.release), or from the moment the team moved on the
// site (a status en route or later): a team that went there knows where it
// went, and its own site's record must say so to it.
func (pol *Policy) SiteTarget(st *domain.State, p *Principal, site *domain.Site, now time.Time) bool {
	switch p.Role {
	case "prosecutor", "admin":
		return true
	}
	if p.Officer == "" {
		return false
	}
	onTeam := site.Lead == p.Officer
	for _, m := range site.Team {
		onTeam = onTeam || m == p.Officer
	}
	if !onTeam {
		return false
	}
	for _, c := range site.History {
		if c.Status != "aborted" && !now.Before(c.T) {
			return true
		}
	}
	rel, ok := st.Releases[site.Operation]
	if !ok {
		return false
	}
	t, err := custody.ParseTime(rel.At)
	return err == nil && !now.Before(t)
}

// Reserved reports whether p may see reserved identities in a case it is a
// member of.
func (pol *Policy) Reserved(p *Principal) bool { return pol.Can(p.Role, ActReadReserved) }

// recordCase returns the case a record belongs to, resolving it through the
// records it names, and whether it is a global record (agency, officer).
// A name that does not resolve is reported as the domain would: an
// unknown_reference on that field. So is one in a case p is not a member of,
// so that the two cannot be told apart.
func recordCase(st *domain.State, rec any) (c, field, id string) {
	switch r := rec.(type) {
	case *casefile.Case:
		return r.ID, "", ""
	case *casefile.Person:
		return r.Case, "case", r.Case
	case *casefile.Organization:
		return r.Case, "case", r.Case
	case *casefile.Link:
		return r.Case, "case", r.Case
	case *casefile.Statement:
		return r.Case, "case", r.Case
	case *casefile.Operation:
		return r.Case, "case", r.Case
	case *casefile.Detention:
		return r.Case, "case", r.Case
	case *custody.Seize:
		return r.Case, "case", r.Case
	case *casefile.Site:
		if op, ok := st.Operations[r.Operation]; ok {
			return op.Case, "operation", r.Operation
		}
		return "", "operation", r.Operation
	case *casefile.SiteStatus:
		if site, ok := st.Sites[r.Site]; ok {
			return st.Operations[site.Operation].Case, "site", r.Site
		}
		return "", "site", r.Site
	case *casefile.DetentionUpdate:
		if d, ok := st.Detentions[r.Detention]; ok {
			return d.Case, "detention", r.Detention
		}
		return "", "detention", r.Detention
	case *custody.Derive:
		if it, ok := st.Items[r.Parent]; ok {
			return it.Case, "parent", r.Parent
		}
		return "", "parent", r.Parent
	}
	if item := itemOf(rec); item != "" {
		if it, ok := st.Items[item]; ok {
			return it.Case, "item", item
		}
		return "", "item", item
	}
	return "", "", ""
}

// refKinds names the kind of record a reference field names, as the
// domain's messages do ("Spanish/English").
var refKinds = map[string]string{"case": "el caso/the case", "operation": "el operativo/the operation", "site": "el sitio/the site",
	"detention": "la detención/the detention", "parent": "la evidencia/the item", "item": "la evidencia/the item"}

func itemOf(rec any) string {
	switch r := rec.(type) {
	case *custody.Transfer:
		return r.Item
	case *custody.Open:
		return r.Item
	case *custody.Seal:
		return r.Item
	case *custody.Attach:
		return r.Item
	case *custody.Present:
		return r.Item
	case *custody.Dispose:
		return r.Item
	}
	return ""
}

// actor returns the field naming who acted, and whether the account's
// officer is that actor. A transfer may be recorded by either party.
func actor(rec any, officer string) (field string, ok bool) {
	switch r := rec.(type) {
	case *custody.Transfer:
		return "to", officer != "" && (r.To == officer || r.From == officer)
	case *casefile.Detention:
		return "arrested_by", r.ArrestedBy == officer
	case *custody.Seize:
		return "seized_by", r.SeizedBy == officer
	}
	if _, by := domain.Claimed(rec); by != "" {
		return "by", by == officer
	}
	return "", true // records with no actor: person.add, site.add, ...
}

// Write checks that p may append rec (op) and returns its case ("" for a
// global record). Errors: not_found/unknown_reference for a case p cannot
// see, forbidden for a role that may not, rule on the actor field when the
// record claims another officer.
func (pol *Policy) Write(st *domain.State, p *Principal, op string, rec any) (string, error) {
	if err := ReadOnly(p); err != nil {
		return "", err
	}
	if op == casefile.OpAgency || op == casefile.OpOfficer {
		if !pol.Can(p.Role, op) {
			return "", Forbidden("solo un administrador registra agencias y funcionarios", "only an administrator records agencies and officers")
		}
		return "", Unscoped(p)
	}
	c, field, id := recordCase(st, rec)
	if op == casefile.OpCase {
		if !pol.Can(p.Role, op) {
			return "", Forbidden("su rol no permite abrir casos", "your role does not allow opening cases")
		}
		if !p.allowedCase(c) {
			return "", Unscoped(p)
		}
	} else {
		// What p may not see is answered exactly as what does not exist
		// (the domain's own answer, byte for byte): a case p is not a
		// member of, and, for a role that may not read the case's contents
		// (the defence), a site, detention or item of it not disclosed to p.
		hidden := c == "" || pol.Case(st, p, c) != nil
		if !hidden && field != "case" && !pol.Can(p.Role, ActRead) {
			hidden = !((field == "item" || field == "parent") && st.IsDisclosed(id, p.Account))
		}
		if hidden {
			return "", domain.UnknownRef(field, refKinds[field], id)
		}
		if !pol.Can(p.Role, op) {
			if !pol.Can(p.Role, ActRead) {
				return "", NotFound() // defence: the case's contents are not theirs to know
			}
			return "", Forbidden("su rol no permite este acto en este caso: "+vocab.Word("op", op, "es")+" ("+op+")", "your role does not allow this act in this case: "+vocab.Word("op", op, "en")+" ("+op+")")
		}
	}
	if f, ok := actor(rec, p.Officer); !ok {
		return "", custody.Errorf(custody.ERule, f, "debe ser su propio funcionario (%s): los registros se hacen en nombre de quien inicia sesión", "must be your own officer (%s): records are made in the name of the signed-in account", p.Officer)
	}
	if err := concludedSite(st, rec); err != nil {
		return "", err
	}
	if err := teamSite(st, p, rec); err != nil {
		return "", err
	}
	return c, nil
}

// MayRecordStatus reports whether p's role and officer may record site's
// status (the site page offers its form only then): see teamSite.
func (pol *Policy) MayRecordStatus(p *Principal, site *domain.Site) bool {
	return pol.Can(p.Role, casefile.OpSiteStatus) && p.Officer != "" && onSiteTeam(p, site)
}

// onSiteTeam reports whether p is not an agent, or an agent on site's team
// (its lead or a member).
func onSiteTeam(p *Principal, site *domain.Site) bool {
	return p.Role != "agent" || site.Lead == p.Officer || slices.Contains(site.Team, p.Officer)
}

// teamSite refuses an agent's status of a site whose team the agent is not
// on (its lead or a member): an agent of one site could otherwise mark
// another team's site completed or aborted, final statuses after which no
// seizure or detention is recorded there (concludedSite), or en route,
// which shows that team the site's target before the briefing. Those who
// plan operations (prosecutors, investigators) record any site's status.
// Like concludedSite, this holds for the live doors (API, web, field
// sync); an import does not pass through it.
func teamSite(st *domain.State, p *Principal, rec any) error {
	r, ok := rec.(*casefile.SiteStatus)
	if !ok {
		return nil
	}
	site, ok := st.Sites[r.Site]
	if !ok || onSiteTeam(p, site) {
		return nil
	}
	return custody.Errorf(custody.EForbidden, "site", "solo el equipo del sitio %s (%s y su equipo) registra su estado",
		"only the team of site %s (%s and their team) records its status", r.Site, site.Lead)
}

// concludedSite refuses a seizure or a detention recorded at a site that is
// already concluded (completed or aborted): the search is over, its team has
// left and its record is closed, so an act written down afterwards under the
// site's name is not one a court would accept as part of that search. An act
// that did happen elsewhere is recorded without the site (with its place).
// This holds for the live doors (API, web) at the moment of writing; an
// import replays a whole file in its own order and is checked by the domain.
func concludedSite(st *domain.State, rec any) error {
	var siteID, what, whatEN string
	switch r := rec.(type) {
	case *custody.Seize:
		siteID, what, whatEN = r.Site, "secuestros", "seizures"
	case *casefile.Detention:
		siteID, what, whatEN = r.Site, "detenciones", "detentions"
	}
	site, ok := st.Sites[siteID]
	if siteID == "" || !ok || len(site.History) == 0 {
		return nil
	}
	last := site.History[len(site.History)-1]
	word, wordEN := "concluyó", "was completed"
	switch last.Status {
	case "completed":
	case "aborted":
		word, wordEN = "fue abortado", "was aborted"
	default:
		return nil
	}
	at := last.At
	if t, err := custody.ParseTime(at); err == nil {
		at = t.Format("2006-01-02 15:04 -07:00") // in its own offset, as a person reads it
	}
	return &custody.Error{Code: custody.ERule, Field: "site",
		Message: fmt.Sprintf("el sitio %s %s (%s); ya no se registran %s en él: regístrelo sin el sitio, con su lugar",
			siteID, word, at, what),
		MessageEN: fmt.Sprintf("site %s %s (%s); %s can no longer be recorded there: record it without the site, with its place",
			siteID, wordEN, at, whatEN)}
}
