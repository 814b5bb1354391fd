// Package caseuco exports a case's chain of custody as CASE 1.4.0 JSON-LD
// (the Cyber-investigation Analysis Standard Expression, on the Unified Cyber
// Ontology), the form forensic tools exchange provenance in.
//
// Export takes a plain CaseData that the caller fills from the ledger and
// writes one JSON-LD document with an inline @context (no remote context is
// ever needed) and one @graph:
//
//   - the case: case-investigation:Investigation, with its warrants as
//     case-investigation:Authorization (case-investigation:relevantAuthorization);
//   - officers: uco-identity:Person, each with a role
//     (case-investigation:Investigator, case-investigation:Examiner or
//     uco-role:Role) and agency (uco-identity:Organization) linked by
//     uco-core:Relationship;
//   - items: uco-observable:Device with a uco-observable:DeviceFacet for
//     phones, laptops, computers and storage; uco-observable:File with a
//     uco-observable:ContentDataFacet (size, and a uco-types:Hash of method
//     SHA256 and xsd:hexBinary value) for derived items with a hash;
//     uco-observable:ObservableObject otherwise. A derived item is linked to
//     its parent by a uco-core:Relationship (Copied_From, Extracted_From or
//     Derived_From);
//   - every custody event: a case-investigation:InvestigativeAction with its
//     performer, participants, start time (xsd:dateTime, with the offset
//     given), location (uco-location:Location), instrument (the warrant of a
//     seizure, the tool of a derivation), inputs (uco-action:object: the
//     item and its previous provenance record) and outputs
//     (uco-action:result: a new case-investigation:ProvenanceRecord of the
//     item, derived items, attached files). Custody anomalies are
//     uco-core:Annotation objects on the action. Each action carries the
//     event's leaf index in the log as the tag "custodia:leaf=N".
//   - personal signatures, where CASE has no term (a documented extension):
//     each signature of an act is a uco-core:Annotation whose
//     uco-core:object is the action and the signer, tagged
//     "custodia:signature", "custodia:sig-role=by|from|to",
//     "custodia:sig-key=<key id, hex SHA-256 of the public key>",
//     "custodia:sig-alg=ed25519|webauthn-es256|webauthn-eddsa" and
//     "custodia:sig-value=<base64url>" (for a passkey also
//     "custodia:sig-authenticator-data=" and "custodia:sig-client-data=").
//     The signed message is custody.ActDigest of the act; the key's
//     registration is in the log (custodia export bundle carries it). An
//     act with none is annotated "custodia:unsigned" (or
//     "custodia:unsigned-imported" for a case file's).
//
// Every node has an IRI (never a blank node) ending in a name-based UUID
// (version 5) of the case and the record's id, so that exporting the same
// case twice gives the same IRIs and another tool can merge exports.
package caseuco

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/custody/vocab"
)

// CaseData is what the export needs of a case. Times must keep the offset
// they were recorded with.
type CaseData struct {
	// Base is the IRI prefix of the exported nodes ("kb:" in the document),
	// e.g. "https://custodia.fiscalia.gob.ec/kb/". Empty means
	// "urn:custodia:kb:".
	Base string
	// LogOrigin names the log the events come from (checkpoint origin); it
	// is written in the investigation's description.
	LogOrigin string

	Case     Case
	Agencies []Agency
	Officers []Officer
	Sites    []Site
	Warrants []Warrant
	Items    []Item
	Events   []Event // every custody event of the items, in log order
}

// Case is the investigation.
type Case struct {
	ID       string
	Title    string
	Summary  string
	OpenedAt time.Time
	// Status is the investigation's status as the export should state it,
	// e.g. "open" or "closed"; empty leaves it out.
	Status string
}

// Agency is an organisation officers belong to.
type Agency struct {
	ID, Name, Kind string // kind: prosecution, police, forensics...
}

// Officer is a person who acts on evidence.
type Officer struct {
	ID, Name string
	Agency   string // agency id
	Role     string // prosecutor, investigator, agent, custodian, forensic_analyst...
}

// Site is a place raided in an operation.
type Site struct {
	ID, Province, City, Kind, Address string
	Warrant                           string // warrant id; may be empty
}

// Warrant is a judicial authorization (allanamiento, detención...).
type Warrant struct {
	ID         string // unique within the export
	Identifier string // the warrant's own number or text, e.g. "Orden de allanamiento S-CHI-03"
	Type       string // e.g. "orden de allanamiento"
	IssuedAt   time.Time
	Site       string // site id it covers; may be empty
}

// Item is an evidence item, seized or derived.
type Item struct {
	ID          string
	Type        string // phone, laptop, computer, storage, documents..., forensic_image, extraction, copy, photo, report
	Description string
	Quantity    int
	Digital     bool
	Parent      string // parent item id for a derived item
	SHA256      string // 64 lowercase hex digits, derived items; may be empty
	Size        int64  // bytes; negative when unknown
	Tool        string // tool that derived it; may be empty
	Site        string // site of seizure; may be empty
}

// Event is one custody event of one item.
type Event struct {
	Leaf int64  // leaf index in the log
	Op   string // evidence.seize, custody.transfer, custody.open, custody.seal, evidence.derive, evidence.attach, court.present, evidence.dispose
	Item string // the item acted on (the parent, for evidence.derive)
	At   time.Time
	By   string // officer id: seized_by, by, or the transfer's from
	To   string // transfer receiver; empty otherwise
	// Result is the derived item id of an evidence.derive.
	Result        string
	Purpose       string // transfer purpose
	Reason        string // open reason, hearing, disposal method...
	Place         string // free-text place (transfer location, seizure place)
	Site          string // site id (seizure)
	Seal          string
	SealCondition string   // intact, broken, none
	Anomalies     []string // seal_broken, seal_mismatch
	// Attachment, for evidence.attach.
	FileName, FileSHA256, MediaType string
	FileSize                        int64
	// Signatures are the act's personal signatures (custody.Sig, checked
	// when the act was logged); Imported marks an act from a case file.
	Signatures []Signature
	Imported   bool
}

// Signature is one person's signature of an act: who (an officer id, in
// the role the act names them), the key's id and algorithm, and the
// signature (for a passkey, the WebAuthn assertion's authenticator data
// and client data too), all as the log holds them.
type Signature struct {
	Role, Officer, Key, Alg            string
	Sig, AuthenticatorData, ClientData string
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate reports the first reference or value that would make the export
// wrong, naming the record.
func (c *CaseData) Validate() error {
	if c.Case.ID == "" {
		return errors.New("caseuco: case id is empty")
	}
	officers := map[string]bool{}
	for _, o := range c.Officers {
		officers[o.ID] = true
	}
	items := map[string]bool{}
	for _, it := range c.Items {
		if it.ID == "" {
			return errors.New("caseuco: an item has an empty id")
		}
		if it.SHA256 != "" && !hexRE.MatchString(it.SHA256) {
			return fmt.Errorf("caseuco: item %s: sha256 %q is not 64 lowercase hex digits", it.ID, it.SHA256)
		}
		items[it.ID] = true
	}
	for _, it := range c.Items {
		if it.Parent != "" && !items[it.Parent] {
			return fmt.Errorf("caseuco: item %s: parent %s is not in the export", it.ID, it.Parent)
		}
	}
	for i, e := range c.Events {
		where := fmt.Sprintf("caseuco: event %d (leaf %d, %s)", i+1, e.Leaf, e.Op)
		switch {
		case !items[e.Item]:
			return fmt.Errorf("%s: item %q is not in the export", where, e.Item)
		case e.At.IsZero():
			return fmt.Errorf("%s: no time", where)
		case e.By != "" && !officers[e.By]:
			return fmt.Errorf("%s: officer %q is not in the export", where, e.By)
		case e.To != "" && !officers[e.To]:
			return fmt.Errorf("%s: officer %q is not in the export", where, e.To)
		case e.Result != "" && !items[e.Result]:
			return fmt.Errorf("%s: derived item %q is not in the export", where, e.Result)
		case e.FileSHA256 != "" && !hexRE.MatchString(e.FileSHA256):
			return fmt.Errorf("%s: file sha256 %q is not 64 lowercase hex digits", where, e.FileSHA256)
		}
	}
	return nil
}

// context is the inline JSON-LD context: the CASE and UCO namespaces.
func context(base string) map[string]string {
	return map[string]string{
		"kb":                 base,
		"case-investigation": "https://ontology.caseontology.org/case/investigation/",
		"uco-action":         "https://ontology.unifiedcyberontology.org/uco/action/",
		"uco-core":           "https://ontology.unifiedcyberontology.org/uco/core/",
		"uco-identity":       "https://ontology.unifiedcyberontology.org/uco/identity/",
		"uco-location":       "https://ontology.unifiedcyberontology.org/uco/location/",
		"uco-observable":     "https://ontology.unifiedcyberontology.org/uco/observable/",
		"uco-role":           "https://ontology.unifiedcyberontology.org/uco/role/",
		"uco-tool":           "https://ontology.unifiedcyberontology.org/uco/tool/",
		"uco-types":          "https://ontology.unifiedcyberontology.org/uco/types/",
		"xsd":                "http://www.w3.org/2001/XMLSchema#",
	}
}

// node is one JSON-LD node object.
type node map[string]any

// idRef is a reference to a node: {"@id": ...}.
type idRef struct {
	ID string `json:"@id"`
}

func ref(id string) idRef { return idRef{id} }

func refs(ids []string) []idRef {
	if len(ids) == 0 {
		return nil
	}
	out := make([]idRef, len(ids))
	for i, id := range ids {
		out[i] = idRef{id}
	}
	return out
}

func dateTime(t time.Time) map[string]string {
	return map[string]string{"@type": "xsd:dateTime", "@value": t.Format(time.RFC3339Nano)}
}

func integer(n int64) map[string]string {
	return map[string]string{"@type": "xsd:integer", "@value": strconv.FormatInt(n, 10)}
}

// namespace is the UUID namespace of Custodia's name-based node UUIDs.
var namespace = [16]byte{0x6b, 0x1f, 0x4c, 0x2e, 0x8d, 0x3a, 0x4e, 0x57, 0x9a, 0x10, 0xc3, 0x5d, 0x7e, 0x21, 0x90, 0xf4}

// uuid5 is the RFC 9562 version-5 UUID of name in Custodia's namespace.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var u [20]byte
	h.Sum(u[:0])
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// iriSafe keeps ids readable in IRIs: case-file ids are [A-Za-z0-9._:-],
// already IRI-safe; anything else becomes "_".
func iriSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

type exporter struct {
	caseID string
	w      *bufio.Writer
	first  bool
	err    error
}

// id names a node: kb:<kind>-<readable id>-<uuid5>.
func (x *exporter) id(kind, key string) string {
	return "kb:" + kind + "-" + iriSafe(key) + "-" + uuid5(x.caseID+"\x00"+kind+"\x00"+key)
}

// actionNode and recordNode are the two nodes written per event; structs
// rather than maps keep a 100,000-event export fast.
type actionNode struct {
	ID          string   `json:"@id"`
	Type        string   `json:"@type"`
	Name        string   `json:"uco-core:name"`
	Description string   `json:"uco-core:description"`
	Tag         []string `json:"uco-core:tag"`
	Start       literal  `json:"uco-action:startTime"`
	End         literal  `json:"uco-action:endTime"`
	Performer   *idRef   `json:"uco-action:performer,omitempty"`
	Participant []idRef  `json:"uco-action:participant,omitempty"`
	Object      []idRef  `json:"uco-action:object,omitempty"`
	Instrument  []idRef  `json:"uco-action:instrument,omitempty"`
	Location    []idRef  `json:"uco-action:location,omitempty"`
	Result      []idRef  `json:"uco-action:result"`
}

type recordNode struct {
	ID          string   `json:"@id"`
	Type        string   `json:"@type"`
	Exhibit     string   `json:"case-investigation:exhibitNumber"`
	Root        []string `json:"case-investigation:rootExhibitNumber"`
	Description string   `json:"uco-core:description"`
	Object      []idRef  `json:"uco-core:object"`
}

// literal is a typed literal: {"@type": datatype, "@value": lexical form}.
type literal struct {
	Type  string `json:"@type"`
	Value string `json:"@value"`
}

func (x *exporter) emit(n any) {
	if x.err != nil {
		return
	}
	b, err := json.Marshal(n)
	if err != nil {
		x.err = err
		return
	}
	if !x.first {
		x.w.WriteString(",\n")
	}
	x.first = false
	x.w.Write(b)
}

var deviceTypes = map[string]string{"phone": "mobile phone", "laptop": "laptop", "computer": "computer", "storage": "storage media"}

// opName names an act as every other document does (vocab.Word), in
// Spanish with the English in brackets: "Incautación (seizure)".
func opName(op string) string {
	es := vocab.Word("op", op, "es")
	if es == "" {
		return op
	}
	return strings.ToUpper(es[:1]) + es[1:] + " (" + vocab.Word("op", op, "en") + ")"
}

// Export writes the case as CASE 1.4.0 JSON-LD. It validates the input first
// and writes nothing on a validation error.
func Export(w io.Writer, in CaseData) error {
	if err := in.Validate(); err != nil {
		return err
	}
	base := in.Base
	if base == "" {
		base = "urn:custodia:kb:"
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	x := &exporter{caseID: in.Case.ID, w: bw, first: true}
	ctx, _ := json.Marshal(context(base))
	bw.WriteString(`{"@context":`)
	bw.Write(ctx)
	bw.WriteString(",\n\"@graph\":[\n")

	var members []string // everything the investigation groups

	// Agencies and officers.
	agencyIRI := map[string]string{}
	for _, a := range in.Agencies {
		id := x.id("organization", a.ID)
		agencyIRI[a.ID] = id
		x.emit(node{"@id": id, "@type": "uco-identity:Organization", "uco-core:name": a.Name, "uco-core:description": "kind: " + a.Kind})
	}
	person := map[string]string{}
	for _, o := range in.Officers {
		pid := x.id("person", o.ID)
		person[o.ID] = pid
		members = append(members, pid)
		x.emit(node{"@id": pid, "@type": "uco-identity:Person", "uco-core:name": o.Name, "uco-core:tag": []string{"custodia:officer=" + o.ID}})
		if o.Role != "" {
			rid := x.id("role", o.ID+"/"+o.Role)
			x.emit(node{"@id": rid, "@type": roleClass(o.Role), "uco-core:name": o.Role})
			x.emit(node{"@id": x.id("relationship", o.ID+"/has_role"), "@type": "uco-core:Relationship",
				"uco-core:source": ref(pid), "uco-core:target": ref(rid),
				"uco-core:kindOfRelationship": "Has_Role", "uco-core:isDirectional": true})
		}
		if aid, ok := agencyIRI[o.Agency]; ok {
			x.emit(node{"@id": x.id("relationship", o.ID+"/member_of"), "@type": "uco-core:Relationship",
				"uco-core:source": ref(pid), "uco-core:target": ref(aid),
				"uco-core:kindOfRelationship": "Member_Of", "uco-core:isDirectional": true})
		}
	}

	// Locations: sites, then free-text places as met.
	location := map[string]string{}
	siteWarrant := map[string]string{}
	for _, s := range in.Sites {
		id := x.id("location", "site/"+s.ID)
		location["site/"+s.ID] = id
		members = append(members, id)
		facet := node{"@id": x.id("address-facet", "site/"+s.ID), "@type": "uco-location:SimpleAddressFacet",
			"uco-location:locality": s.City, "uco-location:region": s.Province, "uco-location:country": "Ecuador"}
		if s.Address != "" {
			facet["uco-location:street"] = s.Address
		}
		x.emit(node{"@id": id, "@type": "uco-location:Location", "uco-core:name": s.ID,
			"uco-core:description": strings.TrimSpace(s.Kind + " " + s.Address), "uco-core:hasFacet": []node{facet}})
	}
	place := func(p string) string {
		if p == "" {
			return ""
		}
		if id, ok := location["place/"+p]; ok {
			return id
		}
		id := x.id("location", "place/"+p)
		location["place/"+p] = id
		members = append(members, id)
		x.emit(node{"@id": id, "@type": "uco-location:Location", "uco-core:name": p})
		return id
	}

	// Warrants.
	var auths []string
	for _, wr := range in.Warrants {
		id := x.id("authorization", wr.ID)
		auths = append(auths, id)
		if wr.Site != "" {
			siteWarrant[wr.Site] = id
		}
		n := node{"@id": id, "@type": "case-investigation:Authorization", "uco-core:name": wr.ID}
		if wr.Identifier != "" {
			n["case-investigation:authorizationIdentifier"] = []string{wr.Identifier}
		}
		if wr.Type != "" {
			n["case-investigation:authorizationType"] = wr.Type
		}
		if !wr.IssuedAt.IsZero() {
			n["uco-core:startTime"] = dateTime(wr.IssuedAt)
		}
		x.emit(n)
	}
	for _, s := range in.Sites {
		if s.Warrant != "" && siteWarrant[s.ID] == "" {
			siteWarrant[s.ID] = x.id("authorization", s.Warrant)
		}
	}

	// Items.
	itemIRI := map[string]string{}
	root := map[string]string{}
	for _, it := range in.Items {
		itemIRI[it.ID] = x.id("item", it.ID)
	}
	parent := map[string]string{}
	for _, it := range in.Items {
		parent[it.ID] = it.Parent
	}
	for _, it := range in.Items {
		r := it.ID
		// Bounded walk: a cycle (which Validate rejects) cannot loop.
		for seen := 0; seen < len(in.Items) && parent[r] != ""; seen++ {
			r = parent[r]
		}
		root[it.ID] = r
	}
	for _, it := range in.Items {
		id := itemIRI[it.ID]
		members = append(members, id)
		q := it.Quantity
		if q < 1 {
			q = 1
		}
		n := node{"@id": id, "uco-core:name": it.ID,
			"uco-core:description": fmt.Sprintf("%s (type: %s, quantity: %d)", it.Description, it.Type, q)}
		var facets []node
		switch {
		case deviceTypes[it.Type] != "":
			n["@type"] = "uco-observable:Device"
			facets = append(facets, node{"@id": x.id("device-facet", it.ID), "@type": "uco-observable:DeviceFacet",
				"uco-observable:deviceType": deviceTypes[it.Type]})
		case it.SHA256 != "" || it.Size >= 0 && it.Parent != "":
			n["@type"] = "uco-observable:File"
			cd := node{"@id": x.id("content-data-facet", it.ID), "@type": "uco-observable:ContentDataFacet"}
			if it.Size >= 0 {
				cd["uco-observable:sizeInBytes"] = integer(it.Size)
			}
			if it.SHA256 != "" {
				cd["uco-observable:hash"] = []node{{"@id": x.id("hash", it.ID), "@type": "uco-types:Hash",
					"uco-types:hashMethod": "SHA256",
					"uco-types:hashValue":  map[string]string{"@type": "xsd:hexBinary", "@value": it.SHA256}}}
			}
			facets = append(facets, cd)
		default:
			n["@type"] = "uco-observable:ObservableObject"
		}
		if len(facets) > 0 {
			n["uco-core:hasFacet"] = facets
		}
		x.emit(n)
		if it.Parent != "" {
			kind := "Derived_From"
			switch it.Type {
			case "forensic_image", "copy":
				kind = "Copied_From"
			case "extraction":
				kind = "Extracted_From"
			}
			x.emit(node{"@id": x.id("relationship", it.ID+"/derived_from"), "@type": "uco-core:Relationship",
				"uco-core:source": ref(id), "uco-core:target": ref(itemIRI[it.Parent]),
				"uco-core:kindOfRelationship": kind, "uco-core:isDirectional": true})
		}
	}

	// Tools.
	tools := map[string]string{}
	tool := func(name string) string {
		if name == "" {
			return ""
		}
		if id, ok := tools[name]; ok {
			return id
		}
		id := x.id("tool", name)
		tools[name] = id
		members = append(members, id)
		x.emit(node{"@id": id, "@type": "uco-tool:Tool", "uco-core:name": name})
		return id
	}
	itemByID := map[string]Item{}
	for _, it := range in.Items {
		itemByID[it.ID] = it
	}

	// Events: one action and one provenance record each.
	lastRecord := map[string]string{}
	for i, e := range in.Events {
		key := fmt.Sprintf("%d", e.Leaf)
		if e.Leaf < 0 {
			key = fmt.Sprintf("n%d", i)
		}
		aid := x.id("action", key)
		prid := x.id("provenance-record", key)
		members = append(members, aid, prid)
		item := itemIRI[e.Item]

		objects := []string{item}
		if prev := lastRecord[e.Item]; prev != "" {
			objects = append(objects, prev)
		}
		results := []string{prid}
		var instruments []string

		desc := []string{opName(e.Op)}
		if desc[0] == "" {
			desc[0] = e.Op
		}
		if e.Purpose != "" {
			desc = append(desc, "purpose: "+e.Purpose)
		}
		if e.Reason != "" {
			desc = append(desc, "reason: "+e.Reason)
		}
		if e.Seal != "" {
			desc = append(desc, "seal: "+e.Seal)
		}
		if e.SealCondition != "" {
			desc = append(desc, "seal condition: "+e.SealCondition)
		}
		performer := e.By
		var participants []string
		if e.Op == "custody.transfer" {
			performer = e.To // the receiver's record of the handover
			if e.By != "" {
				participants = append(participants, person[e.By])
				desc = append(desc, "from: "+e.By)
			}
			desc = append(desc, "to: "+e.To)
		}

		switch e.Op {
		case "evidence.seize":
			objects = nil // the item enters custody: it is the record's object, not an input
			if wid := siteWarrant[e.Site]; wid != "" {
				instruments = append(instruments, wid)
			}
		case "evidence.derive":
			if e.Result != "" {
				results = append(results, itemIRI[e.Result])
				if t := tool(itemByID[e.Result].Tool); t != "" {
					instruments = append(instruments, t)
				}
				// The derived item's first provenance record.
				dpr := x.id("provenance-record", key+"/"+e.Result)
				members = append(members, dpr)
				results = append(results, dpr)
				x.emit(node{"@id": dpr, "@type": "case-investigation:ProvenanceRecord",
					"case-investigation:exhibitNumber":     e.Result,
					"case-investigation:rootExhibitNumber": []string{root[e.Result]},
					"uco-core:description":                 fmt.Sprintf("%s derivado de %s / derived from %s", e.Result, e.Item, e.Item),
					"uco-core:object":                      refs([]string{itemIRI[e.Result]})})
				lastRecord[e.Result] = dpr
			}
		case "evidence.attach":
			if e.FileSHA256 != "" {
				fid := x.id("file", key)
				members = append(members, fid)
				cd := node{"@id": x.id("content-data-facet", "file/"+key), "@type": "uco-observable:ContentDataFacet",
					"uco-observable:sizeInBytes": integer(e.FileSize),
					"uco-observable:hash": []node{{"@id": x.id("hash", "file/"+key), "@type": "uco-types:Hash",
						"uco-types:hashMethod": "SHA256",
						"uco-types:hashValue":  map[string]string{"@type": "xsd:hexBinary", "@value": e.FileSHA256}}}}
				if e.MediaType != "" {
					cd["uco-observable:mimeType"] = e.MediaType
				}
				ff := node{"@id": x.id("file-facet", key), "@type": "uco-observable:FileFacet", "uco-observable:fileName": e.FileName}
				x.emit(node{"@id": fid, "@type": "uco-observable:File", "uco-core:name": e.FileName, "uco-core:hasFacet": []node{ff, cd}})
				results = append(results, fid)
				x.emit(node{"@id": x.id("relationship", "file/"+key), "@type": "uco-core:Relationship",
					"uco-core:source": ref(fid), "uco-core:target": ref(item),
					"uco-core:kindOfRelationship": "Attached_To", "uco-core:isDirectional": true})
			}
		}

		holder := e.By
		if e.Op == "custody.transfer" {
			holder = e.To
		}
		prDesc := fmt.Sprintf("%s tras %s; custodio / holder: %s", e.Item, e.Op, holder)
		if e.Seal != "" {
			prDesc += "; sello / seal: " + e.Seal
		}
		x.emit(&recordNode{ID: prid, Type: "case-investigation:ProvenanceRecord", Exhibit: e.Item,
			Root: []string{root[e.Item]}, Description: prDesc, Object: []idRef{{item}}})
		lastRecord[e.Item] = prid

		ts := literal{"xsd:dateTime", e.At.Format(time.RFC3339Nano)}
		a := &actionNode{ID: aid, Type: "case-investigation:InvestigativeAction", Name: e.Op,
			Description: strings.Join(desc, "; "), Start: ts, End: ts, Result: refs(results),
			Tag: []string{"custodia:leaf=" + strconv.FormatInt(e.Leaf, 10)}}
		if performer != "" {
			a.Performer = &idRef{person[performer]}
		}
		a.Participant = refs(participants)
		a.Object = refs(objects)
		a.Instrument = refs(instruments)
		loc := ""
		if e.Site != "" {
			loc = location["site/"+e.Site]
		}
		if loc == "" {
			loc = place(e.Place)
		}
		if loc != "" {
			a.Location = []idRef{{loc}}
		}
		x.emit(a)

		switch {
		case len(e.Signatures) > 0:
			for _, g := range e.Signatures {
				tags := []string{"custodia:signature", "custodia:sig-role=" + g.Role, "custodia:sig-key=" + g.Key, "custodia:sig-alg=" + g.Alg, "custodia:sig-value=" + g.Sig}
				if g.AuthenticatorData != "" {
					tags = append(tags, "custodia:sig-authenticator-data="+g.AuthenticatorData, "custodia:sig-client-data="+g.ClientData)
				}
				objs := []string{aid}
				if p := person[g.Officer]; p != "" {
					objs = append(objs, p)
				}
				x.emit(node{"@id": x.id("signature", key+"/"+g.Role), "@type": "uco-core:Annotation",
					"uco-core:description": fmt.Sprintf("Firma personal de %s (%s) / personal signature of %s (%s)", g.Officer, g.Role, g.Officer, g.Role),
					"uco-core:tag":         tags,
					"uco-core:object":      refs(objs)})
			}
		default:
			tag, es, en := "custodia:unsigned", "sin firma personal", "no personal signature"
			if e.Imported {
				tag, es, en = "custodia:unsigned-imported", "sin firma personal (importado de un expediente)", "no personal signature (imported from a case file)"
			}
			x.emit(node{"@id": x.id("signature", key+"/none"), "@type": "uco-core:Annotation",
				"uco-core:description": es + " / " + en, "uco-core:tag": []string{tag}, "uco-core:object": refs([]string{aid})})
		}
		for _, an := range e.Anomalies {
			x.emit(node{"@id": x.id("annotation", key+"/"+an), "@type": "uco-core:Annotation",
				"uco-core:description": "Anomalía de custodia / custody anomaly: " + an,
				"uco-core:tag":         []string{"custodia:anomaly=" + an},
				"uco-core:object":      refs([]string{aid, item})})
		}
	}

	// The investigation, last: it groups everything above.
	sort.Strings(auths)
	inv := node{"@id": x.id("investigation", in.Case.ID), "@type": "case-investigation:Investigation",
		"uco-core:name":            in.Case.ID,
		"case-investigation:focus": []string{in.Case.Title},
		"uco-core:object":          refs(members),
	}
	if in.Case.Status != "" {
		inv["case-investigation:investigationStatus"] = in.Case.Status
	}
	desc := in.Case.Summary
	if in.LogOrigin != "" {
		desc = strings.TrimSpace(desc + " — registro / log: " + in.LogOrigin)
	}
	if desc != "" {
		inv["uco-core:description"] = desc
	}
	if !in.Case.OpenedAt.IsZero() {
		inv["uco-core:startTime"] = dateTime(in.Case.OpenedAt)
	}
	if len(auths) > 0 {
		inv["case-investigation:relevantAuthorization"] = refs(auths)
	}
	x.emit(inv)
	if x.err != nil {
		return fmt.Errorf("caseuco: encoding: %w", x.err)
	}
	bw.WriteString("\n]}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("caseuco: writing: %w", err)
	}
	return nil
}

// roleClass maps an officer role to the most specific CASE/UCO role class.
func roleClass(role string) string {
	switch role {
	case "prosecutor", "investigator", "agent":
		return "case-investigation:Investigator"
	case "forensic_analyst":
		return "case-investigation:Examiner"
	}
	return "uco-role:Role"
}
