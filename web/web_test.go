package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/verify"

	"github.com/custodia-ec/custodia/analysis"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// TestCatalogueComplete fails on a key missing a language, on a template
// or handler using a key the catalogue lacks, and on an enumerated value
// (status, type, role...) with no text.
func TestCatalogueComplete(t *testing.T) {
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCatalogue([]byte(`{"a": {"es": "x"}}`)); err == nil || !strings.Contains(err.Error(), "en:a") {
		t.Errorf("a key without English: %v", err)
	}
	if _, err := ParseCatalogue([]byte(`{"a": {"en": "x"}}`)); err == nil || !strings.Contains(err.Error(), "es:a") {
		t.Errorf("a key without Spanish: %v", err)
	}
	used := map[string]string{}
	keyRE := regexp.MustCompile(`\.Tf? "([^"]+)"`)
	labelRE := regexp.MustCompile(`\.L "([^"]+)"`)
	countRE := regexp.MustCompile(`\.N "([^"]+)"`)
	prefixes := map[string]bool{}
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return err
		}
		b, _ := templateFS.ReadFile(p)
		for _, m := range keyRE.FindAllSubmatch(b, -1) {
			used[string(m[1])] = p
		}
		for _, m := range labelRE.FindAllSubmatch(b, -1) {
			prefixes[string(m[1])] = true
		}
		// A count's text: the singular and the plural form, or one key.
		for _, m := range countRE.FindAllSubmatch(b, -1) {
			k := string(m[1])
			if cat.Has(k + ".one") {
				used[k+".one"] = p
				if !cat.Has(k+".other") && !cat.Has(k) {
					t.Errorf("%s counts %q: it has a singular but no plural", p, k)
				}
			}
			if cat.Has(k + ".other") {
				used[k+".other"] = p
			} else {
				used[k] = p
			}
		}
		return nil
	})
	// The field app's texts: its page's data-t and its script's T calls.
	fieldRE := regexp.MustCompile(`(?:data-t=|T\(|Tf\(|\? |: )"(campo\.[a-z_]+)"`)
	for _, f := range []string{"field/index.html", "field/field.js"} {
		b, err := fieldFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fieldRE.FindAllSubmatch(b, -1) {
			used[string(m[1])] = f
		}
	}
	goRE := regexp.MustCompile(`"([a-z_]+\.[a-z_]+)"`)
	for _, f := range []string{"web.go", "render.go", "cases.go", "site.go", "item.go", "verify.go", "audit.go", "login.go", "svg.go", "passkey.go", "analysis.go"} {
		b, err := fs.ReadFile(goSources, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goRE.FindAllSubmatch(b, -1) {
			if k := string(m[1]); !strings.HasSuffix(k, ".html") && !strings.HasSuffix(k, ".svg") && !strings.HasSuffix(k, ".json") && !strings.HasSuffix(k, ".go") {
				used[string(m[1])] = f
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for k, where := range used {
		if !cat.Has(k) {
			t.Errorf("%s uses key %q, which the catalogue lacks", where, k)
		}
	}
	enums := map[string][]string{
		"status": statusOrder, "role": sortedKeys(casefile.OfficerRoles), "prole": sortedKeys(casefile.PersonRoles),
		"okind": sortedKeys(casefile.OrganizationKinds), "skind": sortedKeys(casefile.SiteKinds),
		"itype": append(sortedKeys(casefile.ItemTypes), sortedKeys(casefile.DerivedTypes)...), "basis": sortedKeys(casefile.DetentionBases),
		"purpose": sortedKeys(casefile.Purposes), "cond": sortedKeys(casefile.SealConditions), "method": sortedKeys(casefile.DisposeMethods),
		"op":        {custody.OpSeize, custody.OpTransfer, custody.OpOpen, custody.OpSeal, custody.OpDerive, custody.OpAttach, custody.OpPresent, custody.OpDispose, casefile.OpSiteStatus, casefile.OpDetention, casefile.OpDetentionUpd},
		"anomaly":   {custody.AnomalySealBroken, custody.AnomalySealMismatch},
		"rule":      {domain.RuleRightsLate, domain.RuleRightsMissing, domain.RuleHearingLate, domain.RuleHearingMissing},
		"clockrule": {"rights", "hearing"}, "read": sortedKeys(domain.ReadKinds), "link": linkKinds,
		"check":     {verify.CheckBundle, verify.CheckKey, verify.CheckCheckpoint, verify.CheckEvent, verify.CheckProof, verify.CheckCustody, verify.CheckSignature, verify.CheckConsistency, verify.CheckPolicy, verify.CheckStopped},
		"hostatus":  {"pending", "expired", "accepted", "withdrawn", "superseded"},
		"keyalg":    {custody.AlgEd25519, custody.AlgWebAuthnES256, custody.AlgWebAuthnEdDSA},
		"keystatus": {"requested", "active", "revoked"},
		"akind":     {analysis.KindMessage, analysis.KindCall, analysis.KindPayment, analysis.KindContact},
		"adecision": {"merge", "split"},
		"alink":     {analysis.LinkMessage, analysis.LinkCall, analysis.LinkPayment, analysis.LinkMembership, analysis.LinkOwnership, analysis.LinkRepresentation},
	}
	for p := range prefixes {
		if _, ok := enums[p]; !ok {
			t.Errorf("templates label values of %q, which the test does not know: add its values", p)
		}
	}
	for p, vals := range enums {
		for _, v := range vals {
			shared := vocab.Word(p, v, "es") != "" && vocab.Word(p, v, "en") != "" ||
				casefile.Word(p, v, "es") != "" && casefile.Word(p, v, "en") != ""
			if shared && cat.Has(p+"."+v) {
				t.Errorf("%s.%s is named twice: in the shared table and in the catalogue", p, v)
			}
			if !shared && !cat.Has(p+"."+v) {
				t.Errorf("no text for %s.%s", p, v)
			}
		}
	}
	// Every key of the catalogue is used somewhere (no dead text).
	for _, k := range cat.Keys() {
		p, _, _ := strings.Cut(k, ".")
		if _, ok := used[k]; !ok && enums[p] == nil && !strings.HasPrefix(k, "error.") {
			t.Errorf("catalogue key %q is never used", k)
		}
	}
}

// TestPagesBothLanguages renders every page for the prosecutor in Spanish
// and English: no key is missing (⟦key⟧) and the texts differ.
func TestPagesBothLanguages(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	paths := []string{"/casos", "/casos/METASTASIS", "/sitios/S-CHI-03", "/evidencias/E-PIC-01-01", "/evidencias/E-PIC-01-01/etiqueta",
		"/casos/METASTASIS/detenciones", "/casos/METASTASIS/accesos", "/verificar", "/operativos/OP-METASTASIS/tablero", "/no-existe"}
	for _, lang := range []string{"es", "en"} {
		for _, p := range paths {
			st, body, _ := c.do("GET", p, nil, map[string]string{"Cookie": LangCookie + "=" + lang})
			if want := 200; p == "/no-existe" {
				if st != 404 {
					t.Errorf("%s: %d", p, st)
				}
			} else if st != want {
				t.Errorf("%s %s: %d %.300s", lang, p, st, body)
			}
			if strings.Contains(body, "⟦") {
				i := strings.Index(body, "⟦")
				t.Errorf("%s %s: missing key %.60s", lang, p, body[i:])
			}
			if !strings.HasPrefix(p, "/operativos") && p != "/no-existe" && !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: not in %s", lang, p, lang)
			}
		}
	}
}

// TestAccessAndCSRF: anonymous page views go to sign-in; a non-member gets
// not found for everything in the case; a form without the session's CSRF
// token is refused; a role that may not act gets the server's forbidden.
func TestAccessAndCSRF(t *testing.T) {
	e := newEnv(t)
	anon := e.client()
	if st, _, h := anon.do("GET", "/casos/METASTASIS", nil, nil); st != 303 || !strings.HasPrefix(h.Get("Location"), "/entrar?next=") {
		t.Errorf("anonymous case page: %d %s", st, h.Get("Location"))
	}
	if st, _, _ := anon.do("GET", "/verificar", nil, nil); st != 200 {
		t.Errorf("anonymous /verificar: %d", st)
	}
	if st, _, _ := anon.do("GET", "/verify", nil, nil); st != 200 {
		t.Errorf("anonymous /verify: %d", st)
	}
	out := e.client()
	out.login("ajeno")
	for _, p := range []string{"/casos/METASTASIS", "/sitios/S-CHI-03", "/evidencias/E-PIC-01-01", "/casos/METASTASIS/detenciones", "/operativos/OP-METASTASIS/tablero", "/evidencias/E-PIC-01-01/etiqueta"} {
		st, body, _ := out.do("GET", p, nil, nil)
		if st != 404 || !strings.Contains(body, "No encontrado") {
			t.Errorf("non-member %s: %d", p, st)
		}
	}
	_, body, _ := out.do("GET", "/casos", nil, nil)
	if strings.Contains(body, "METASTASIS") {
		t.Error("non-member sees the case in the list")
	}
	st, body, _ := out.do("POST", "/sitios/S-CHI-03/estado", url.Values{"csrf_token": {out.csrf}, "status": {"en_route"}}, map[string]string{"X-Requested-With": "fetch"})
	if st != 404 {
		t.Errorf("non-member writes a site status: %d %s", st, body)
	}
	ag := e.client()
	ag.login("agente")
	if st, _, _ := ag.do("POST", "/sitios/S-CHI-03/estado", url.Values{"status": {"en_route"}}, nil); st != 403 {
		t.Errorf("form without CSRF token: %d", st)
	}
	st, body, _ = ag.do("POST", "/sitios/S-CHI-03/estado", url.Values{"csrf_token": {ag.csrf}, "status": {"flying"}}, map[string]string{"X-Requested-With": "fetch"})
	var res fetchResult
	json.Unmarshal([]byte(body), &res)
	if st != 400 || res.Error == nil || res.Error.Field != "status" {
		t.Errorf("bad status: %d %s", st, body)
	}
	aud := e.client()
	aud.login("auditora")
	st, body, _ = aud.do("POST", "/sitios/S-CHI-03/estado", url.Values{"csrf_token": {aud.csrf}, "status": {"en_route"}}, map[string]string{"X-Requested-With": "fetch"})
	if st != 403 && st != 422 {
		t.Errorf("auditor records a status: %d %s", st, body)
	}
	if st, body, _ := aud.do("GET", "/auditoria", nil, nil); st != 200 || !strings.Contains(body, "ledger-size") {
		t.Errorf("auditor's audit page: %d", st)
	}
	if st, _, _ := ag.do("GET", "/auditoria", nil, nil); st != 403 {
		t.Errorf("agent's audit page: %d", st)
	}
}

func TestRoutesSorted(t *testing.T) {
	// Every page route is registered once.
	e := newEnv(t)
	seen := map[string]bool{}
	var dup []string
	for _, rt := range e.s.Routes() {
		if seen[rt.Pattern()] {
			dup = append(dup, rt.Pattern())
		}
		seen[rt.Pattern()] = true
	}
	sort.Strings(dup)
	if len(dup) > 0 {
		t.Errorf("duplicate routes: %v", dup)
	}
}

// TestUnknownPagesInSpanish: a path no route has, and a method a page
// does not take, are answered with the site's page in the reader's
// language (404, 405 with Allow), not net/http's "404 page not found" and
// "Method Not Allowed"; the API keeps its JSON answers.
func TestUnknownPagesInSpanish(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/no/such/page", "/casos/METASTASIS/foo"} {
		st, body, h := c.do("GET", path, nil, nil)
		if st != 404 || !strings.Contains(body, "No encontrado") || !strings.Contains(body, "no existe la página "+path) || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s\n%.300s", path, st, h.Get("Content-Type"), body)
		}
	}
	st, body, h := c.do("DELETE", "/casos", nil, nil)
	if st != 405 || h.Get("Allow") != "GET" || !strings.Contains(body, "la ruta /casos no admite DELETE; admite: GET") {
		t.Errorf("DELETE /casos: %d Allow %q\n%.300s", st, h.Get("Allow"), body)
	}
	st, body, h = c.do("GET", "/api/v1/no-such-route", nil, nil)
	if st != 404 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(body, "no existe la ruta") {
		t.Errorf("an unknown API route: %d %s %s", st, h.Get("Content-Type"), body)
	}
}

// TestDefenceReachesItsDisclosedItems: the defence sees a case only
// through the items disclosed to it. Its case list named the case with a
// link to a page it may not open (404), and the item's crumbs linked the
// case and the site it cannot open either; now the card lists the
// disclosed items, and the crumbs link only where the reader may go.
func TestDefenceReachesItsDisclosedItems(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	if err := appendRecs(ctx, []ledger.Record{{Op: casefile.OpAgency, Rec: &casefile.Agency{ID: "DEF", Name: "Defensoría Pública", Kind: "other"}},
		{Op: casefile.OpOfficer, Rec: &casefile.Officer{ID: "def.1", Name: "Defensora", Agency: "DEF", Role: "defense"}}}); err != nil {
		t.Fatal(err)
	}
	na, err := app.CreateAccount(ctx, appendRecs, e.d.Store.Credentials(), e.now, domain.AccountCreate{Account: "defensa", Name: "defensa", Role: "defense", Officer: "def.1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SetPassword(ctx, appendRecs, e.d.Store.Credentials(), e.now, "defensa", na.Password); err != nil {
		t.Fatal(err)
	}
	e.users["defensa"] = na
	if err := appendRecs(ctx, []ledger.Record{
		{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: "defensa"}},
		{Op: domain.OpItemDisclose, Rec: &domain.ItemDisclose{Item: "E-PIC-01-01", Account: "defensa"}},
	}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login("defensa")
	_, body, _ := c.do("GET", "/casos", nil, nil)
	if strings.Contains(body, `href="/casos/METASTASIS"`) || !strings.Contains(body, `href="/evidencias/E-PIC-01-01"`) || !strings.Contains(body, "le fueron reveladas") {
		t.Errorf("the defence's case list links the case page, or not its disclosed item:\n%s", body)
	}
	st, body, _ := c.do("GET", "/evidencias/E-PIC-01-01", nil, nil)
	if st != 200 {
		t.Fatalf("the disclosed item: %d", st)
	}
	for _, dead := range []string{`href="/casos/METASTASIS"`, `href="/sitios/`} {
		if strings.Contains(body, dead) {
			t.Errorf("the disclosed item's page links %s, which the defence cannot open", dead)
		}
	}
	for _, link := range regexp.MustCompile(`href="(/[^"#?]*)"`).FindAllStringSubmatch(body, -1) {
		if strings.HasPrefix(link[1], "/static/") || link[1] == "/salir" || link[1] == "/idioma" {
			continue
		}
		if st, _, _ := c.do("GET", link[1], nil, nil); st == 404 {
			t.Errorf("the disclosed item's page links %s, which answers 404 to the defence", link[1])
		}
	}
	// A member still has the links.
	f := e.client()
	f.login("fiscal")
	if _, body, _ = f.do("GET", "/evidencias/E-PIC-01-01", nil, nil); !strings.Contains(body, `href="/casos/METASTASIS"`) || !strings.Contains(body, `href="/sitios/`) {
		t.Errorf("the prosecutor lost the item's crumbs")
	}
}

// TestBackdatedActShown: the item page flags an act recorded more than a
// day after the time it claims (the history's recorded_late_hours).
func TestBackdatedActShown(t *testing.T) {
	e := newEnv(t)
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	at := e.now().Add(-72 * time.Hour).Format(time.RFC3339)
	if err := appendRecs(context.Background(), []ledger.Record{{Op: custody.OpSeize, Rec: &custody.Seize{ID: "E-LATE-1", Case: "METASTASIS", Type: "phone", Description: "x", SeizedAt: at, SeizedBy: "fge.salazar"}}}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login("fiscal")
	_, body, _ := c.do("GET", "/evidencias/E-LATE-1", nil, nil)
	if !strings.Contains(body, "registrado 72 h después de la hora que declara el acto") {
		t.Errorf("the item page does not flag a seizure recorded three days late:\n%.2000s", body)
	}
	if _, body, _ = c.do("GET", "/evidencias/E-PIC-01-01", nil, nil); strings.Contains(body, "h después de la hora que declara") {
		t.Error("imported history is flagged as recorded late")
	}
}

// TestWordingOnThePages: what a new user read as unfinished Spanish: the
// deadline breach in nested brackets ("240 min (límite 60)" inside
// parentheses), and "Sello" capitalised in the middle of a sentence on the
// verification page.
func TestWordingOnThePages(t *testing.T) {
	e := newEnvAt(t, afterFile)
	c := e.client()
	c.login("fiscal")
	_, body, _ := c.do("GET", "/casos/METASTASIS/detenciones", nil, nil)
	if !strings.Contains(body, "derechos leídos tarde (240 min, límite 60)") {
		i := strings.Index(body, "violation-tag")
		t.Errorf("the detentions page does not read \"derechos leídos tarde (240 min, límite 60)\": %.300s", body[max(i, 0):])
	}
	if strings.Contains(body, "min (límite") {
		t.Errorf("the detentions page still nests brackets")
	}
	cat, err := LoadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf(cat.T("es", "item.after_seal"), "PN-1"); got != "sello PN-1" {
		t.Errorf("the seal after the holder reads %q", got)
	}
}
