package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureRecords imports the golden test files of several formats, as if
// they were the evidence of one case.
func fixtureRecords(t *testing.T) []Record {
	t.Helper()
	var all []Record
	for _, f := range []struct{ format, file, mapping string }{
		{"vcard", "vcard/contacts30.vcf", ""},
		{"vcard", "vcard/contacts40.vcf", ""},
		{"whatsapp", "whatsapp/android-es.txt", ""},
		{"whatsapp", "whatsapp/ios-es.txt", ""},
		{"telegram", "telegram/result.json", ""},
		{"calls-csv", "csv/calls-default.csv", ""},
		{"payments-csv", "csv/payments.csv", "csv/payments-mapping.json"},
	} {
		mapping := ""
		if f.mapping != "" {
			mapping = filepath.Join("testdata", f.mapping)
		}
		c, _, err := importFile(t, f.format, filepath.Join("testdata", f.file), mapping)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, c.Records...)
	}
	return all
}

func entityNamed(t *testing.T, res *Resolution, key string) *Entity {
	t.Helper()
	e := res.ByKey(key)
	if e == nil {
		t.Fatalf("no entity has %s", key)
	}
	return e
}

// TestResolveStrongIdentifiers: the same person across an address book, a
// WhatsApp chat (by name), Telegram (by user id and phone), call records
// (phones written three ways) and bank transfers (account, cédula).
func TestResolveStrongIdentifiers(t *testing.T) {
	r := NewResolver()
	for _, rec := range fixtureRecords(t) {
		r.Observe(&rec)
	}
	res := r.Resolve(nil, []CaseParty{{ID: "P-NORERO", Name: "Leandro Norero"}})
	leo := entityNamed(t, res, "phone:+593991112233")
	for _, key := range []string{
		"name:leandro norero",  // WhatsApp sender, by the address book's name
		"phone:+59322345678",   // the same vCard's landline
		"email:leo@example.ec", // and e-mail
		"id:1710034065",        // the cédula of the vCard and the payer
		"user:user5551001",     // Telegram's account holder (phone +593 99 111 2233)
		"account:2200123456",   // the payer's account (cédula 1710034065)
	} {
		if e := res.ByKey(key); e != leo {
			t.Errorf("%s is %v, want Leandro's entity %v", key, e, leo)
		}
	}
	if leo.Case != "P-NORERO" || leo.Schema != SchemaPerson || leo.Name != "Leandro Norero" {
		t.Errorf("Leandro: %+v", leo)
	}
	if !contains(leo.Aliases, "El Patrón") {
		t.Errorf("Leandro's aliases: %v", leo.Aliases)
	}
	wilman := entityNamed(t, res, "phone:+593982223344")
	if res.ByKey("user:user5551002") != wilman {
		t.Errorf("Telegram's Wilman (user5551002, +593 98 222 3344) is not the vCard's")
	}
	if got := entityNamed(t, res, "account:3300111222"); got.Schema != SchemaCompany {
		t.Errorf("Importadora del Pacífico S.A. is a %s", got.Schema)
	}
	// "Wilman Terán" (WhatsApp, iOS) and "Wilman Terán Muñoz" are
	// probably one person, but a name within a longer one is for an
	// analyst to decide.
	short := entityNamed(t, res, "name:wilman teran")
	if short == wilman {
		t.Fatalf("a shorter name was merged without review")
	}
	found := false
	for _, rv := range res.Review {
		if (rv.A == short.ID && rv.B == wilman.ID) || (rv.B == short.ID && rv.A == wilman.ID) {
			found = true
		}
	}
	if !found {
		t.Errorf("no review of %s and %s: %+v", short, wilman, res.Review)
	}
}

// TestDecisionsAreReversible: a merge joins two entities and a split
// keeps apart what a rule joined; without the decision, the rule's answer
// comes back.
func TestDecisionsAreReversible(t *testing.T) {
	recs := fixtureRecords(t)
	resolve := func(ds []Decision) *Resolution {
		r := NewResolver()
		for i := range recs {
			r.Observe(&recs[i])
		}
		return r.Resolve(ds, nil)
	}
	base := resolve(nil)
	if base.ByKey("name:wilman teran") == base.ByKey("phone:+593982223344") {
		t.Fatal("merged without a decision")
	}
	merge := Decision{ID: 1, Kind: "merge", A: "name:wilman teran", B: "phone:+593982223344", By: "analista1"}
	merged := resolve([]Decision{merge})
	if merged.ByKey("name:wilman teran") != merged.ByKey("phone:+593982223344") {
		t.Fatal("merge decision not applied")
	}
	split := Decision{ID: 2, Kind: "split", A: "name:leandro norero", B: "phone:+593991112233", By: "analista1"}
	splitRes := resolve([]Decision{split})
	if splitRes.ByKey("name:leandro norero") == splitRes.ByKey("phone:+593991112233") {
		t.Fatal("split decision not applied")
	}
	// Undo: the same records without the decisions resolve as before.
	again := resolve(nil)
	if len(again.Entities) != len(base.Entities) {
		t.Fatalf("%d entities after undoing, %d before", len(again.Entities), len(base.Entities))
	}
	for i := range again.Entities {
		if again.Entities[i].ID != base.Entities[i].ID {
			t.Fatalf("entity %d: %s after undoing, %s before", i, again.Entities[i].ID, base.Entities[i].ID)
		}
	}
}

// TestSameNameDifferentNumbersIsReviewed: two address-book entries with
// one name and different numbers are two entities and one review.
func TestSameNameDifferentNumbersIsReviewed(t *testing.T) {
	r := NewResolver()
	src := Source{Item: "E1", SHA256: testSHA, Line: 1}
	r.Observe(&Record{Kind: KindContact, From: Party{Name: "José Pérez", Phones: []string{"0991111111"}}, Source: src})
	r.Observe(&Record{Kind: KindContact, From: Party{Name: "Jose Perez", Phones: []string{"0992222222"}}, Source: src})
	r.Observe(&Record{Kind: KindMessage, From: Party{Name: "José Pérez"}, Chat: "c", Source: src, At: time.Unix(1, 0)})
	res := r.Resolve(nil, nil)
	a, b := res.ByKey("phone:+593991111111"), res.ByKey("phone:+593992222222")
	if a == b {
		t.Fatal("merged two numbers by name alone")
	}
	if res.ByKey("name:jose perez") == a || res.ByKey("name:jose perez") == b {
		t.Fatal("a name-only sender was given one of two candidates")
	}
	if len(res.Review) < 2 {
		t.Fatalf("review queue: %+v", res.Review)
	}
	for _, rv := range res.Review {
		if rv.Reason == "" || rv.EN == "" || rv.A == "" || rv.B == "" {
			t.Errorf("incomplete review %+v", rv)
		}
	}
}

func TestFixtureFilesExist(t *testing.T) {
	if _, err := os.Stat(filepath.Join("testdata", "vcard", "contacts30.vcf")); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(entityID("phone:+593991112233"), "e-") {
		t.Fatal("entity ids start with e-")
	}
}
