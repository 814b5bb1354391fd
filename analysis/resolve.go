package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Schema names of entities, FollowTheMoney's. A phone number, an e-mail
// address and an ID number are identifiers of an entity (FtM properties),
// not entities: an entity seen only by its number is a LegalEntity until
// something says who it is. A chat group of more than two people is an
// Organization whose members are linked by Membership.
const (
	SchemaPerson       = "Person"
	SchemaOrganization = "Organization"
	SchemaCompany      = "Company"
	SchemaLegalEntity  = "LegalEntity"
	SchemaBankAccount  = "BankAccount"
)

// Identifier kinds, the prefixes of identifier keys ("phone:+593991234567").
const (
	IDPhone   = "phone"
	IDEmail   = "email"
	IDNumber  = "id"      // a cédula or other ID number
	IDAccount = "account" // a bank account number
	IDUser    = "user"    // a messaging platform's user id
	IDName    = "name"    // a folded name: weak, never merges on its own
	IDChat    = "chat"    // a chat group
)

// CaseParty is a person or organization of the case (person.add,
// organization.add) that entities may be tied to.
type CaseParty struct {
	ID   string
	Name string
	Org  bool
}

// Decision is an analyst's merge or split, which Resolve applies on top
// of the automatic rules. Decisions name identifier keys, which do not
// change when entities do; removing a decision undoes it.
type Decision struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"` // "merge" or "split"
	A    string `json:"a"`    // identifier keys
	B    string `json:"b"`
	By   string `json:"by"`
	Note string `json:"note,omitempty"`
}

// Review is an uncertain match for an analyst to decide: two entities
// that may be one.
type Review struct {
	A, B   string  // entity ids
	KeyA   string  `json:"key_a"` // identifier keys to name in a Decision
	KeyB   string  `json:"key_b"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"` // Spanish
	EN     string  `json:"reason_en"`
}

// party is one distinct party seen, by its identifier keys.
type party struct {
	keys    []string // strong keys
	name    string   // folded name ("" for none)
	names   []string // names as written
	alias   []string // address-book aliases, folded
	raw     Party
	contact bool // from an address book
	srcs    []Source
}

// Resolver collects the parties of records and resolves them into
// entities. Observe every record, then call Resolve.
type Resolver struct {
	parties map[string]*party // by the party's canonical key
	// chats are the parties that wrote in each chat.
	chats     map[string]map[string]bool
	chatTitle map[string]string
	maxSrcs   int
}

// NewResolver returns an empty resolver.
func NewResolver() *Resolver {
	return &Resolver{parties: map[string]*party{}, chats: map[string]map[string]bool{}, chatTitle: map[string]string{}, maxSrcs: 16}
}

// partyKey reads a party's identifiers: its strong keys (normalised) and
// its folded name. The canonical key is the first strong key, or the
// name key.
func partyKey(p Party) (key string, strong []string, name string, bad []string) {
	for _, ph := range p.Phones {
		n, err := NormalizePhone(ph)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		strong = append(strong, IDPhone+":"+n)
	}
	for _, e := range p.Emails {
		strong = append(strong, IDEmail+":"+strings.ToLower(strings.TrimSpace(e)))
	}
	if p.IDNumber != "" {
		if id, _ := NormalizeID(p.IDNumber); id != "" {
			strong = append(strong, IDNumber+":"+id)
		}
	}
	if p.Account != "" {
		if acct, _ := NormalizeID(p.Account); acct != "" {
			strong = append(strong, IDAccount+":"+acct)
		}
	}
	if p.UserID != "" {
		strong = append(strong, IDUser+":"+p.UserID)
	}
	name = Fold(p.Name)
	switch {
	case len(strong) > 0:
		key = strong[0]
	case name != "":
		key = IDName + ":" + name
	}
	return key, strong, name, bad
}

// Observe adds a record's parties.
func (r *Resolver) Observe(rec *Record) {
	from := r.add(rec.From, rec.Kind == KindContact, rec.Source)
	for _, p := range rec.To {
		r.add(p, false, rec.Source)
	}
	if rec.Chat != "" && from != "" && rec.Kind != KindContact {
		m := r.chats[rec.Chat]
		if m == nil {
			m = map[string]bool{}
			r.chats[rec.Chat] = m
		}
		m[from] = true
	}
	if rec.Chat != "" && rec.ChatTitle != "" {
		r.chatTitle[rec.Chat] = rec.ChatTitle
	}
}

func (r *Resolver) add(p Party, contact bool, src Source) string {
	key, strong, name, _ := partyKey(p)
	if key == "" {
		return ""
	}
	pp := r.parties[key]
	if pp == nil {
		pp = &party{keys: strong, name: name, raw: p}
		r.parties[key] = pp
	} else {
		pp.keys = mergeKeys(pp.keys, strong)
		if pp.name == "" {
			pp.name = name
		}
	}
	if p.Name != "" && !contains(pp.names, p.Name) && len(pp.names) < 8 {
		pp.names = append(pp.names, p.Name)
	}
	for _, a := range p.Aliases {
		if f := Fold(a); f != "" && !contains(pp.alias, f) {
			pp.alias = append(pp.alias, f)
		}
	}
	if contact {
		pp.contact = true
		if p.Org != "" && pp.raw.Org == "" {
			pp.raw.Org = p.Org
		}
	}
	if len(pp.srcs) < r.maxSrcs {
		pp.srcs = append(pp.srcs, src)
	}
	return key
}

func mergeKeys(a, b []string) []string {
	for _, k := range b {
		if !contains(a, k) {
			a = append(a, k)
		}
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Entity is a person, organization, company or bank account, with every
// identifier it was seen by and the sources it was seen in (the first few
// of each party).
type Entity struct {
	ID        string   `json:"id"`
	Schema    string   `json:"schema"`
	Name      string   `json:"name"`
	Names     []string `json:"names,omitempty"`
	Aliases   []string `json:"aliases,omitempty"`
	Phones    []string `json:"phones,omitempty"`
	Emails    []string `json:"emails,omitempty"`
	IDNumbers []string `json:"id_numbers,omitempty"`
	Accounts  []string `json:"accounts,omitempty"`
	Users     []string `json:"users,omitempty"`
	// Keys are the identifier keys the entity was resolved from, what a
	// Decision names.
	Keys []string `json:"keys"`
	// Case is the person or organization of the case the entity is, when
	// its name matched one.
	Case    string   `json:"case,omitempty"`
	Chat    string   `json:"chat,omitempty"` // for a chat group, its chat
	Sources []Source `json:"sources,omitempty"`
}

// Resolution is the outcome of Resolve: the entities, the entity of every
// party key and chat, and the review queue.
type Resolution struct {
	Entities []*Entity
	byKey    map[string]*Entity
	// groups are the chat groups (more than two writers) by chat.
	groups map[string]*Entity
	// peers are the writers of each two-person chat, by chat.
	peers  map[string][]*Entity
	Review []Review
}

// Of returns the entity of a party, or nil.
func (res *Resolution) Of(p Party) *Entity {
	key, _, _, _ := partyKey(p)
	return res.byKey[key]
}

// ByKey returns the entity an identifier key belongs to, or nil.
func (res *Resolution) ByKey(key string) *Entity { return res.byKey[key] }

// unionFind over party keys, with cannot-link pairs.
type unionFind struct {
	parent map[string]string
	apart  map[[2]string]bool // split decisions, between keys
	// members of each root, for the cannot-link check.
	members map[string][]string
}

func (u *unionFind) find(k string) string {
	for {
		p, ok := u.parent[k]
		if !ok || p == k {
			return k
		}
		if gp := u.parent[p]; gp != p {
			u.parent[k] = gp
		}
		k = p
	}
}

// union joins the sets of a and b unless a split decision keeps two of
// their keys apart; it reports whether they are (now) one.
func (u *unionFind) union(a, b string) bool {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return true
	}
	if len(u.apart) > 0 {
		for _, x := range u.members[ra] {
			for _, y := range u.members[rb] {
				if u.apart[[2]string{x, y}] || u.apart[[2]string{y, x}] {
					return false
				}
			}
		}
	}
	if ra > rb {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.members[ra] = append(u.members[ra], u.members[rb]...)
	delete(u.members, rb)
	return true
}

func (u *unionFind) add(k string) {
	if _, ok := u.parent[k]; !ok {
		u.parent[k] = k
		u.members[k] = []string{k}
	}
}

// companyWords mark a name as a company's.
var companyWords = []string{" s a", " sa", " s a s", " cia ltda", " ltda", " compania", " corp", " inc", " llc", " c a"}

func looksLikeCompany(folded string) bool {
	f := " " + folded
	for _, w := range companyWords {
		if strings.HasSuffix(f, w) {
			return true
		}
	}
	for _, w := range []string{"importadora ", "exportadora ", "constructora ", "compania ", "empresa ", "banco ", "fundacion "} {
		if strings.HasPrefix(folded, w) {
			return true
		}
	}
	return false
}

// Resolve ties parties into entities:
//
//  1. a party's own identifiers are one entity (an address-book entry's
//     phones, e-mail and ID number; a payer's account and cédula);
//  2. parties that share a strong identifier (phone in E.164, e-mail,
//     ID number, account, platform user id) are one entity;
//  3. a party known only by its name (a WhatsApp sender as the phone's
//     address book named them) is the entity whose name or address-book
//     alias folds to the same words, when exactly one entity does;
//  4. the rest of the name matches (several candidates, the same full
//     name with different numbers, a name within a longer one, initials)
//     go to the review queue, never merged on their own.
//
// decisions apply after the rules: a merge joins two keys' entities, a
// split keeps them apart even where a rule would join them. caseParties
// tie entities to the case's persons and organizations by folded name.
func (r *Resolver) Resolve(decisions []Decision, caseParties []CaseParty) *Resolution {
	u := &unionFind{parent: map[string]string{}, apart: map[[2]string]bool{}, members: map[string][]string{}}
	for _, d := range decisions {
		if d.Kind == "split" {
			u.apart[[2]string{d.A, d.B}] = true
		}
	}
	pkeys := make([]string, 0, len(r.parties))
	for k := range r.parties {
		pkeys = append(pkeys, k)
	}
	sort.Strings(pkeys)
	// 1 and 2: strong identifiers.
	for _, k := range pkeys {
		p := r.parties[k]
		u.add(k)
		for _, s := range p.keys {
			u.add(s)
			u.union(k, s)
		}
	}
	var review []Review
	type pair struct{ a, b string }
	queued := map[pair]bool{}
	queue := func(ka, kb string, score float64, es, en string) {
		ra, rb := u.find(ka), u.find(kb)
		if ra == rb {
			return
		}
		if ra > rb {
			ra, rb, ka, kb = rb, ra, kb, ka
		}
		if queued[pair{ra, rb}] {
			return
		}
		queued[pair{ra, rb}] = true
		review = append(review, Review{KeyA: ka, KeyB: kb, Score: score, Reason: es, EN: en})
	}
	// 3b: a full name (a first name and two surnames at least) that only
	// entities without conflicting identifiers carry is one person: the
	// payer of a transfer (account, cédula) and the contact of an address
	// book (phone) of the same full name. Two phones, or two cédulas, for
	// one name may be two people: those are reviewed instead.
	full := map[string][]string{} // folded full name → roots
	for _, k := range pkeys {
		p := r.parties[k]
		if len(p.keys) == 0 || len(nameTokens(p.name)) < 3 {
			continue
		}
		root := u.find(k)
		if !contains(full[p.name], root) {
			full[p.name] = append(full[p.name], root)
		}
	}
	rootKeys := func(root string) []string { return u.members[u.find(root)] }
	for _, name := range sortedKeys(full) {
		roots := full[name]
		for i := 1; i < len(roots); i++ {
			if conflict(rootKeys(roots[0]), rootKeys(roots[i])) {
				queue(roots[0], roots[i], 0.9, "el mismo nombre completo con números o cédulas distintos", "the same full name with different numbers or ID numbers")
				continue
			}
			u.union(roots[0], roots[i])
		}
	}
	// Names of the strong entities, and of address-book aliases.
	nameOwners := map[string]map[string]bool{} // folded name → roots
	own := func(name, root string) {
		if name == "" {
			return
		}
		if nameOwners[name] == nil {
			nameOwners[name] = map[string]bool{}
		}
		nameOwners[name][root] = true
	}
	for _, k := range pkeys {
		p := r.parties[k]
		if len(p.keys) == 0 {
			continue
		}
		root := u.find(k)
		own(p.name, root)
		for _, a := range p.alias {
			own(a, root)
		}
	}
	// 3: name-only parties.
	for _, k := range pkeys {
		p := r.parties[k]
		if len(p.keys) > 0 || p.name == "" {
			continue
		}
		owners := nameOwners[p.name]
		switch {
		case len(owners) == 1:
			for root := range owners {
				u.union(k, root)
			}
		case len(owners) > 1:
			roots := sortedKeys(owners)
			for _, root := range roots {
				queue(k, root, 0.8, "el mismo nombre tiene varios números; ¿cuál es?", "the same name has several numbers; which one is it?")
			}
		}
	}
	// Merge decisions.
	for _, d := range decisions {
		if d.Kind == "merge" {
			u.add(d.A)
			u.add(d.B)
			u.union(d.A, d.B)
		}
	}
	// 4: uncertain name matches between the entities left apart.
	groups := map[string][]string{}
	for _, k := range pkeys {
		root := u.find(k)
		groups[root] = append(groups[root], k)
	}
	roots := sortedKeys(groups)
	type named struct {
		root, key, name string
	}
	var names []named
	for _, root := range roots {
		seen := map[string]bool{}
		for _, k := range groups[root] {
			p := r.parties[k]
			if p.name != "" && !seen[p.name] {
				seen[p.name] = true
				names = append(names, named{root, k, p.name})
			}
		}
	}
	// Candidates share a word of five letters or more (a surname): an
	// index by such words keeps this from comparing every pair.
	byWord := map[string][]int{}
	for i, n := range names {
		for _, w := range nameTokens(n.name) {
			if len(w) >= 4 {
				byWord[w] = append(byWord[w], i)
			}
		}
	}
	for _, w := range sortedKeys(byWord) {
		idx := byWord[w]
		if len(idx) > 50 { // a common name: too many to review by pairs
			continue
		}
		for x := 0; x < len(idx); x++ {
			for y := x + 1; y < len(idx); y++ {
				a, b := names[idx[x]], names[idx[y]]
				if u.find(a.root) == u.find(b.root) {
					continue
				}
				s := NameMatch(a.name, b.name)
				switch {
				case s == 1:
					queue(a.key, b.key, 0.9, "el mismo nombre con identificadores distintos", "the same name with different identifiers")
				case s > 0:
					queue(a.key, b.key, s, "nombres parecidos (apellidos, iniciales)", "similar names (surnames, initials)")
				}
			}
		}
	}
	return r.build(u, review, caseParties)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// entityID is a stable id from an entity's smallest identifier key.
func entityID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "e-" + hex.EncodeToString(h[:6])
}

func (r *Resolver) build(u *unionFind, review []Review, caseParties []CaseParty) *Resolution {
	res := &Resolution{byKey: map[string]*Entity{}, groups: map[string]*Entity{}, peers: map[string][]*Entity{}}
	members := map[string][]string{}
	for k := range r.parties {
		root := u.find(k)
		members[root] = append(members[root], k)
	}
	for _, root := range sortedKeys(members) {
		keys := members[root]
		sort.Strings(keys)
		e := &Entity{}
		idKey := ""
		for _, k := range keys {
			p := r.parties[k]
			for _, s := range append([]string{k}, p.keys...) {
				if !contains(e.Keys, s) {
					e.Keys = append(e.Keys, s)
				}
			}
			for _, n := range p.names {
				if !contains(e.Names, n) {
					e.Names = append(e.Names, n)
				}
			}
			for _, a := range p.raw.Aliases {
				if !contains(e.Aliases, a) {
					e.Aliases = append(e.Aliases, a)
				}
			}
			e.Sources = append(e.Sources, p.srcs...)
		}
		sort.Strings(e.Keys)
		for _, k := range e.Keys {
			kind, v, _ := strings.Cut(k, ":")
			switch kind {
			case IDPhone:
				e.Phones = append(e.Phones, v)
			case IDEmail:
				e.Emails = append(e.Emails, v)
			case IDNumber:
				e.IDNumbers = append(e.IDNumbers, v)
			case IDAccount:
				e.Accounts = append(e.Accounts, v)
			case IDUser:
				e.Users = append(e.Users, v)
			}
			if kind != IDName && idKey == "" {
				idKey = k
			}
		}
		if idKey == "" {
			idKey = e.Keys[0]
		}
		e.ID = entityID(idKey)
		// The caption: the longest name an address book gave, else the
		// most complete name seen.
		e.Name = bestName(e.Names)
		if e.Name == "" && len(e.Phones) > 0 {
			e.Name = e.Phones[0]
		}
		if e.Name == "" && len(e.Accounts) > 0 {
			e.Name = e.Accounts[0]
		}
		switch {
		case looksLikeCompany(Fold(e.Name)):
			e.Schema = SchemaCompany
		case len(e.Names) == 0:
			e.Schema = SchemaLegalEntity
		default:
			e.Schema = SchemaPerson
		}
		if len(e.Sources) > 32 {
			e.Sources = e.Sources[:32]
		}
		for _, k := range e.Keys {
			res.byKey[k] = e
		}
		for _, k := range keys {
			res.byKey[k] = e
		}
		res.Entities = append(res.Entities, e)
	}
	// Case persons and organizations, by folded name or alias.
	for _, cp := range caseParties {
		f := Fold(cp.Name)
		var match []*Entity
		for _, e := range res.Entities {
			for _, n := range append(append([]string{}, e.Names...), e.Aliases...) {
				if Fold(n) == f {
					match = append(match, e)
					break
				}
			}
		}
		if len(match) == 1 && match[0].Case == "" {
			match[0].Case = cp.ID
			if cp.Org && match[0].Schema == SchemaPerson {
				match[0].Schema = SchemaOrganization
			}
		}
	}
	// Chats: two writers are a conversation; more are a group.
	for _, chat := range sortedKeys(r.chats) {
		var es []*Entity
		seen := map[*Entity]bool{}
		for _, k := range sortedKeys(r.chats[chat]) {
			if e := res.byKey[k]; e != nil && !seen[e] {
				seen[e] = true
				es = append(es, e)
			}
		}
		if len(es) <= 2 {
			res.peers[chat] = es
			continue
		}
		title := r.chatTitle[chat]
		if title == "" {
			title = "chat " + chat
		}
		g := &Entity{ID: entityID(IDChat + ":" + chat), Schema: SchemaOrganization, Name: title, Chat: chat, Keys: []string{IDChat + ":" + chat}}
		res.groups[chat] = g
		res.byKey[g.Keys[0]] = g
		res.Entities = append(res.Entities, g)
	}
	kept := review[:0]
	for _, rv := range review {
		a, b := res.byKey[rv.KeyA], res.byKey[rv.KeyB]
		if a == nil || b == nil || a == b { // joined by a later rule or decision
			continue
		}
		rv.A, rv.B = a.ID, b.ID
		kept = append(kept, rv)
	}
	review = kept
	sort.SliceStable(review, func(i, j int) bool { return review[i].Score > review[j].Score })
	res.Review = review
	return res
}

// bestName prefers the name with the most words, then the first.
func bestName(names []string) string {
	best := ""
	for _, n := range names {
		if len(strings.Fields(n)) > len(strings.Fields(best)) {
			best = n
		}
	}
	return best
}

// String names an entity for messages.
func (e *Entity) String() string { return fmt.Sprintf("%s (%s)", e.Name, e.ID) }

// conflict reports whether two sets of identifier keys name two people:
// each has a phone, or each a cédula, and none of them is shared.
func conflict(a, b []string) bool {
	for _, kind := range []string{IDPhone, IDNumber} {
		var ha, hb bool
		shared := false
		for _, x := range a {
			if strings.HasPrefix(x, kind+":") {
				ha = true
				shared = shared || contains(b, x)
			}
		}
		for _, y := range b {
			if strings.HasPrefix(y, kind+":") {
				hb = true
			}
		}
		if ha && hb && !shared {
			return true
		}
	}
	return false
}
