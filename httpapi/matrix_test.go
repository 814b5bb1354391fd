package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/accounts"
	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/internal/testdeploy"
	"github.com/custodia-ec/custodia/internal/testkeys"
	"github.com/custodia-ec/custodia/ledger"
)

// matrixRoles is the column order of the expected-status table: after the
// anonymous column, each role as a member of METASTASIS, then as a
// non-member.
var matrixRoles = []string{"admin", "auditor", "prosecutor", "investigator", "agent", "custodian", "forensic_analyst", "judge", "clerk", "defense"}

// matrixOfficers links each role's test accounts to an officer.
var matrixOfficers = map[string]string{
	"prosecutor": "fge.pic", "agent": "pn.s-pic-03.lead", "custodian": "cust.gua", "forensic_analyst": "lab.2",
	"investigator": "t.investigator", "judge": "t.judge", "clerk": "t.clerk", "defense": "t.defense", "auditor": "t.auditor",
}

// expected is the authorization matrix: for every route, the status for an
// anonymous caller, then "member/non-member" for each role of matrixRoles.
// A route of the server without a row here fails the test, and so does a
// row without a route.
var expected = map[string]string{
	"GET /healthz":               "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /readyz":                "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /metrics":               "401 | 200/200 200/200 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",
	"GET /api/v1/openapi.json":   "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /log/checkpoint":        "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /log/tile/{path...}":    "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /log/proof/inclusion":   "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /log/proof/consistency": "200 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",

	"POST /api/v1/login":  "401 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"POST /api/v1/logout": "401 | 204/204 204/204 204/204 204/204 204/204 204/204 204/204 204/204 204/204 204/204",
	"GET /api/v1/me":      "401 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	// Tokens cannot change passwords: a session signed in with one can.
	"POST /api/v1/me/password": "401 | 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",

	"GET /api/v1/accounts":                    "401 | 200/200 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",
	"POST /api/v1/accounts":                   "401 | 201/201 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",
	"POST /api/v1/accounts/{account}/disable": "401 | 200/200 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",
	// A token is created by its owner only: no role, admin included, mints for another account (issue 12).
	"POST /api/v1/accounts/{account}/tokens":        "401 | 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404",
	"DELETE /api/v1/tokens/{token}":                 "401 | 204/204 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404",
	"POST /api/v1/cases/{case}/members":             "401 | 201/201 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",
	"DELETE /api/v1/cases/{case}/members/{account}": "401 | 200/200 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",

	// A record naming a case the caller cannot see is an unknown reference
	// (422), exactly as for a case that does not exist.
	"POST /api/v1/records":                        "401 | 403/422 403/422 201/422 201/422 201/422 403/422 403/422 403/422 403/422 404/422",
	"POST /api/v1/items/{item}/transfers":         "401 | 403/404 403/404 201/404 201/404 201/404 201/404 201/404 403/404 403/404 404/404",
	"POST /api/v1/sites/{site}/status":            "401 | 403/404 403/404 201/404 201/404 201/404 403/404 403/404 403/404 403/404 404/404",
	"POST /api/v1/operations/{operation}/release": "401 | 403/404 403/404 201/404 403/404 403/404 403/404 403/404 403/404 403/404 404/404",
	"POST /api/v1/items/{item}/disclosures":       "401 | 403/404 403/404 201/404 403/404 403/404 403/404 403/404 403/404 403/404 404/404",

	"GET /api/v1/cases":                         "401 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"GET /api/v1/cases/{case}":                  "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/cases/{case}/persons":          "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/persons/{person}":              "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/cases/{case}/detentions":       "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/cases/{case}/items":            "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404",
	"GET /api/v1/cases/{case}/access":           "401 | 200/404 200/404 200/404 403/404 403/404 403/404 403/404 403/404 403/404 404/404",
	"GET /api/v1/operations/{operation}":        "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/operations/{operation}/sites":  "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/operations/{operation}/events": "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/sites/{site}":                  "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 404/404",
	"GET /api/v1/items/{item}":                  "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404",
	"GET /api/v1/items/{item}/history":          "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404",
	"GET /api/v1/items/{item}/bundle":           "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404",
	"GET /api/v1/audit":                         "401 | 200/200 200/200 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",

	// Officer keys (issue 14): everyone lists their own; an account with
	// an officer requests a key for it; only an administrator approves,
	// never their own; a key is revoked by its holder or an administrator
	// (someone else's key is not found).
	"GET /api/v1/keys":                "401 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"POST /api/v1/keys":               "401 | 403/403 201/201 201/201 201/201 201/201 201/201 201/201 201/201 201/201 201/201",
	"POST /api/v1/keys/{key}/approve": "401 | 200/200 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403 403/403",
	"POST /api/v1/keys/{key}/revoke":  "401 | 200/200 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404",
	"POST /api/v1/acts/digest":        "401 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	// Handovers: offered by the holder (the cell's officer holds HX-),
	// accepted by the receiver (an offer of AX- waits for each member's
	// officer), withdrawn by the giver (the member's offer of WX-). An
	// offer that is not one's own is not found.
	"GET /api/v1/handovers":                      "401 | 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",
	"POST /api/v1/items/{item}/handovers":        "401 | 403/404 403/404 201/404 201/404 201/404 201/404 201/404 403/404 403/404 404/404",
	"POST /api/v1/handovers/{handover}/accept":   "401 | 404/404 403/404 201/404 201/404 201/404 201/404 201/404 403/404 403/404 422/404",
	"POST /api/v1/handovers/{handover}/withdraw": "401 | 404/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404",

	// Field sync (issue 18): any account with an officer syncs its own
	// device and gets an answer per entry (a refused entry, e.g. in a case
	// the caller is not a member of, is refused inside the 200 answer,
	// with the same reference error as POST /records); an account without
	// an officer has no field device.
	"POST /api/v1/field/sync": "401 | 403/403 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200 200/200",

	// Uploads (upload.go): the matrix request carries no tus headers, so
	// a caller who passes authorization gets 412 (Tus-Resumable missing);
	// an upload id that is not the caller's is not_found for everyone.
	"POST /api/v1/items/{item}/uploads": "401 | 403/404 403/404 412/404 412/404 412/404 412/404 412/404 403/404 403/404 404/404",
	"HEAD /api/v1/uploads/{upload}":     "401 | 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404",
	"PATCH /api/v1/uploads/{upload}":    "401 | 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404",
	"DELETE /api/v1/uploads/{upload}":   "401 | 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404 404/404",
	"GET /api/v1/items/{item}/files":    "401 | 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404 200/404",

	// Investigation analysis (issue 16): read by the members who
	// investigate, prosecute, judge, audit or administer (agents,
	// custodians and clerks: forbidden; the defence: not found); merges,
	// splits and reverts decided by prosecutors, investigators and
	// forensic analysts. Each decider merges, splits and reverts a pair
	// of its own of the synthetic data set.
	"GET /api/v1/cases/{case}/analysis":                              "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/neighbours":                   "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/path":                         "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/brokers":                      "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/communities":                  "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/timeline":                     "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/search":                       "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/message":                      "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/review":                       "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"GET /api/v1/cases/{case}/analysis/decisions":                    "401 | 200/404 200/404 200/404 200/404 403/404 403/404 200/404 200/404 403/404 404/404",
	"POST /api/v1/cases/{case}/analysis/merges":                      "401 | 403/404 403/404 201/404 201/404 403/404 403/404 201/404 403/404 403/404 404/404",
	"POST /api/v1/cases/{case}/analysis/splits":                      "401 | 403/404 403/404 201/404 201/404 403/404 403/404 201/404 403/404 403/404 404/404",
	"POST /api/v1/cases/{case}/analysis/decisions/{decision}/revert": "401 | 403/404 403/404 201/404 201/404 403/404 403/404 201/404 403/404 403/404 404/404",
}

// changesNothing lists the routes other than GET and HEAD that a read-only
// token may call: they append nothing (signing in, signing out, computing
// the digest an officer is to sign).
var changesNothing = map[string]bool{
	"POST /api/v1/login":       true,
	"POST /api/v1/logout":      true,
	"POST /api/v1/acts/digest": true,
}

// cell is one column: a role as member or not, or anonymous (role "").
type cell struct {
	role   string
	member bool
}

func (c cell) String() string {
	switch {
	case c.role == "":
		return "anonymous"
	case c.member:
		return c.role + "/member"
	}
	return c.role + "/non-member"
}

// key names the cell's per-cell fixtures.
func (c cell) key() string {
	if c.role == "" {
		return "anon"
	}
	if c.member {
		return "m-" + c.role
	}
	return "n-" + c.role
}

func parseRow(t *testing.T, route, row string) map[cell]int {
	anon, rest, ok := strings.Cut(row, "|")
	pairs := strings.Fields(rest)
	if !ok || len(pairs) != len(matrixRoles) {
		t.Fatalf("row of %s is malformed: %q", route, row)
	}
	out := map[cell]int{}
	var a int
	fmt.Sscan(strings.TrimSpace(anon), &a)
	out[cell{}] = a
	for i, p := range pairs {
		var m, n int
		if _, err := fmt.Sscanf(p, "%d/%d", &m, &n); err != nil {
			t.Fatalf("row of %s: %q: %v", route, p, err)
		}
		out[cell{matrixRoles[i], true}] = m
		out[cell{matrixRoles[i], false}] = n
	}
	return out
}

// TestAuthorizationMatrix asserts every route × every role × member or not
// (and anonymous) against the table above.
func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"t.investigator", "t.judge", "t.clerk", "t.defense", "t.auditor"} {
		e.officer(id, strings.TrimPrefix(id, "t."))
	}
	// One officer, one account: the non-member of each role is another
	// officer of that role.
	for _, r := range matrixRoles {
		if matrixOfficers[r] != "" {
			e.officer("x."+r, r)
		}
	}
	const holder = "pn.s-pic-02.lead"
	// The holder receives the cells' offers: an account of its officer
	// must see the items (app.OfferHandover).
	e.account("holder", "agent", holder, "METASTASIS")
	var cells []cell
	cells = append(cells, cell{})
	for _, r := range matrixRoles {
		cells = append(cells, cell{r, true}, cell{r, false})
	}
	tokens := map[string]string{}
	readTokens := map[string]string{} // scope "read": every change is 403
	secrets := map[string]*app.NewAccount{}
	otherTokens := map[string]string{} // token ids, for DELETE /tokens
	var recs []ledger.Record
	for _, c := range cells[1:] {
		var cases []string
		if c.member {
			cases = []string{"METASTASIS"}
		}
		secrets[c.key()] = e.account(c.key(), c.role, c.officer(), cases...)
		tokens[c.key()] = e.token(c.key(), "write")
		readTokens[c.key()] = e.token(c.key(), "read")
		k := c.key()
		seizedAt := "2024-05-01T10:00:00-05:00"
		recs = append(recs,
			ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "MX-" + k, Case: "METASTASIS", Type: "phone", Description: "matrix item", SeizedAt: seizedAt, SeizedBy: holder}},
			// The cell's officer is on the site's team: an agent records
			// the status of its own team's sites only (Policy.Write).
			ledger.Record{Op: "site.add", Rec: siteRec("SX-"+k, holder, c.officer())},
		)
	}
	recs = append(recs, ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "DX", Case: "METASTASIS", Type: "documents", Description: "disclosed", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: holder}})
	e.append(recs...)

	// Keys: the holder's and each cell officer's, approved; for each cell,
	// a requested key to approve and an active key to revoke (both of
	// fge.salazar, whom no cell's account is), and items for handovers.
	mineOf := func(c cell) string {
		if o := c.officer(); o != "" {
			return o
		}
		return "fge.salazar"
	}
	holderKey := testkeys.Ed25519(holder)
	e.enrol(holderKey)
	keyOf := map[string]*testkeys.Key{}
	approveKey, revokeKey, offers, withdrawals := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	for _, c := range cells {
		k := c.key()
		if mine := mineOf(c); keyOf[mine] == nil {
			keyOf[mine] = testkeys.Ed25519(mine)
			e.enrol(keyOf[mine])
		}
		ak, rk := testkeys.Ed25519Of("fge.salazar", "approve-"+k), testkeys.Ed25519Of("fge.salazar", "revoke-"+k)
		e.append(ledger.Record{Op: custody.OpKeyRequest, Rec: ak.Request(testNow.Add(-time.Hour))})
		e.enrol(rk)
		approveKey[k], revokeKey[k] = ak.ID(), rk.ID()
		mine := mineOf(c)
		e.append(
			ledger.Record{Op: custody.OpSeize, Rec: &custody.Seize{ID: "HX-" + k, Case: "METASTASIS", Type: "phone", Description: "to offer", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: mine}, Sigs: []custody.Sig{keyOf[mine].SignAct(custody.RoleBy, custody.OpSeize, &custody.Seize{ID: "HX-" + k, Case: "METASTASIS", Type: "phone", Description: "to offer", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: mine})}},
		)
		if !c.member {
			continue
		}
		// An offer waiting for this cell's officer, and one this cell's
		// officer made.
		for _, o := range []struct {
			id, from, to string
			key          *testkeys.Key
			into         map[string]string
		}{{"AX-" + k, holder, mine, holderKey, offers}, {"WX-" + k, mine, holder, keyOf[mine], withdrawals}} {
			seize := &custody.Seize{ID: o.id, Case: "METASTASIS", Type: "phone", Description: "offered", SeizedAt: "2024-05-01T10:00:00-05:00", SeizedBy: o.from}
			e.append(ledger.Record{Op: custody.OpSeize, Rec: seize, Sigs: []custody.Sig{o.key.SignAct(custody.RoleBy, custody.OpSeize, seize)}})
			tr := custody.Transfer{Item: o.id, From: o.from, To: o.to, At: "2024-05-02T10:00:00-05:00", Purpose: "storage", SealCondition: "none"}
			g := o.key.SignAct(custody.RoleFrom, custody.OpTransfer, &tr)
			offer := &domain.HandoverOffer{ID: "H-" + o.id, Transfer: tr, Expires: testNow.Add(time.Hour).Format(time.RFC3339), Key: g.Key, Sig: g.Sig}
			e.append(ledger.Record{Op: domain.OpHandoverOffer, Rec: offer})
			o.into[k] = offer.ID
		}
	}
	e.append(
		ledger.Record{Op: domain.OpItemDisclose, Rec: &domain.ItemDisclose{Item: "DX", Account: "m-defense"}},
		ledger.Record{Op: domain.OpItemDisclose, Rec: &domain.ItemDisclose{Item: "DX", Account: "n-defense"}},
	)
	// Targets of the account-management routes, one set per cell.
	// They need no password: their account.create records go in one batch.
	var targets []ledger.Record
	for _, c := range cells {
		k := c.key()
		targets = append(targets,
			ledger.Record{Op: domain.OpAccountCreate, Rec: &domain.AccountCreate{Account: "tgt-" + k, Name: "t", Role: "auditor"}},
			ledger.Record{Op: domain.OpAccountCreate, Rec: &domain.AccountCreate{Account: "gx-" + k, Name: "g", Role: "auditor"}},
			ledger.Record{Op: domain.OpGrantAdd, Rec: &domain.GrantAdd{Case: "METASTASIS", Account: "tgt-" + k}})
	}
	e.append(targets...)
	for _, c := range cells {
		k := c.key()
		tok, err := app.IssueToken(t.Context(), e.app, e.d.Store.Credentials(), e.s.Now, "tgt-"+k, app.TokenRequest{Scope: "read"})
		if err != nil {
			t.Fatal(err)
		}
		otherTokens[k] = tok.ID
	}

	// The investigation analysis: the synthetic data set in METASTASIS,
	// and for each cell a pair of people to merge, one to split and a
	// merge in force to revert (by the cell's own account, a member).
	syn, _ := testdeploy.Synthetic(t, e.d, "METASTASIS", "lab.1", testNow.Add(-24*time.Hour))
	pairOf := map[string]int{}
	toRevert := map[string]int64{}
	for _, c := range cells {
		if c.member && e.s.Policy.Can(c.role, app.ActDecideAnalysis) {
			n := len(pairOf)
			pairOf[c.key()] = n
			a, b := syn.People[12+2*n].Phone, syn.People[13+2*n].Phone
			res, _, err := e.d.Ledger.Append(t.Context(), []ledger.Record{{Op: domain.OpAnalysisMerge, Rec: &domain.AnalysisMerge{Case: "METASTASIS", A: "phone:" + a, B: "phone:" + b, By: c.key()},
				Recorded: custody.Recorded{At: testNow.Format(time.RFC3339), Account: "system:test"}}})
			if err == nil {
				err = res[0].Err
			}
			if err != nil {
				t.Fatal(err)
			}
			toRevert[c.key()] = res[0].Event.Seq
		}
	}
	// A link of the planted path: the message behind it.
	var firstLink string
	{
		_, body := e.do("GET", "/api/v1/cases/METASTASIS/analysis/path?from="+url.QueryEscape(syn.Boss.Phone)+"&to="+url.QueryEscape(syn.Judge.Phone), tokens["m-prosecutor"], "")
		var pv app.PathView
		if err := json.Unmarshal([]byte(body), &pv); err != nil || len(pv.Links) == 0 {
			t.Fatalf("the planted path: %v %s", err, body)
		}
		src := pv.Links[0].Source
		firstLink = fmt.Sprintf("item=%s&sha256=%s&line=%d&offset=%d", src.Item, src.SHA256, src.Line, src.Offset)
	}
	type req struct{ path, body string }
	build := func(route string, c cell) req {
		k := c.key()
		mine := mineOf(c) // admins have no officer: any valid one, the role decides
		switch route {
		case "GET /log/tile/{path...}":
			return req{path: "/log/tile/0/000"}
		case "GET /log/proof/inclusion":
			return req{path: "/log/proof/inclusion?index=3&size=100"}
		case "GET /log/proof/consistency":
			return req{path: "/log/proof/consistency?old=10&size=100"}
		case "POST /api/v1/login":
			if c.role == "" {
				return req{"/api/v1/login", `{"account":"m-admin","password":"wrong"}`}
			}
			na := secrets[k]
			code := ""
			if na.TOTPSecret != "" {
				code, _ = accounts.TOTP(na.TOTPSecret, testNow)
			}
			return req{"/api/v1/login", fmt.Sprintf(`{"account":%q,"password":%q,"totp":%q}`, k, na.Password, code)}
		case "POST /api/v1/accounts":
			return req{"/api/v1/accounts", fmt.Sprintf(`{"account":"new-%s","name":"New","role":"auditor"}`, k)}
		case "POST /api/v1/accounts/{account}/disable":
			return req{path: "/api/v1/accounts/tgt-" + k + "/disable"}
		case "POST /api/v1/accounts/{account}/tokens":
			return req{"/api/v1/accounts/gx-" + k + "/tokens", `{"scope":"read"}`}
		case "DELETE /api/v1/tokens/{token}":
			return req{path: "/api/v1/tokens/" + otherTokens[k]}
		case "POST /api/v1/cases/{case}/members":
			return req{"/api/v1/cases/METASTASIS/members", fmt.Sprintf(`{"account":"gx-%s"}`, k)}
		case "DELETE /api/v1/cases/{case}/members/{account}":
			return req{path: "/api/v1/cases/METASTASIS/members/tgt-" + k}
		case "POST /api/v1/records":
			sz := &custody.Seize{ID: "RX-" + k, Case: "METASTASIS", Type: "cash", Description: "x", SeizedAt: "2024-05-02T10:00:00-05:00", SeizedBy: mine}
			sig, _ := json.Marshal(keyOf[mine].SignAct(custody.RoleBy, custody.OpSeize, sz))
			return req{"/api/v1/records", fmt.Sprintf(`{"op":"evidence.seize","id":"RX-%s","case":"METASTASIS","type":"cash","description":"x","seized_at":"2024-05-02T10:00:00-05:00","seized_by":%q,"sigs":[%s]}`, k, mine, sig)}
		case "POST /api/v1/field/sync":
			sz := &custody.Seize{ID: "FX-" + k, Case: "METASTASIS", Type: "cash", Description: "x", SeizedAt: "2024-05-02T10:00:00-05:00", SeizedBy: mine}
			rec, _ := json.Marshal(sz)
			sig, _ := json.Marshal(keyOf[mine].SignAct(custody.RoleBy, custody.OpSeize, sz))
			return req{"/api/v1/field/sync", fmt.Sprintf(`{"sent_at":%q,"entries":[{"device":"DEV-%s","seq":1,"device_clock":"2024-05-02T10:00:00-05:00","op":"evidence.seize","record":%s,"sigs":[%s]}]}`,
				testNow.Format(time.RFC3339), k, rec, sig)}
		case "POST /api/v1/items/{item}/transfers":
			tr := &custody.Transfer{Item: "MX-" + k, From: holder, To: mine, At: "2024-05-02T10:00:00-05:00", Purpose: "storage", SealCondition: "none"}
			return req{"/api/v1/items/MX-" + k + "/transfers", signedTransfer(tr, holderKey, keyOf[mine])}
		case "POST /api/v1/keys":
			nk := testkeys.Ed25519Of(mine, "new-"+k)
			r := nk.Request(testNow)
			return req{"/api/v1/keys", fmt.Sprintf(`{"alg":%q,"public_key":%q,"label":"llave","proof":%q}`, r.Alg, r.PublicKey, r.Proof)}
		case "POST /api/v1/keys/{key}/approve":
			return req{path: "/api/v1/keys/" + approveKey[k] + "/approve"}
		case "POST /api/v1/keys/{key}/revoke":
			return req{"/api/v1/keys/" + revokeKey[k] + "/revoke", `{"reason":"prueba"}`}
		case "POST /api/v1/acts/digest":
			return req{"/api/v1/acts/digest", `{"op":"custody.open","item":"DX","by":"fge.salazar","at":"2024-05-02T10:00:00-05:00","reason":"x"}`}
		case "POST /api/v1/items/{item}/handovers":
			tr := &custody.Transfer{Item: "HX-" + k, From: mine, To: holder, At: "2024-05-02T10:00:00-05:00", Purpose: "storage", SealCondition: "none"}
			return req{"/api/v1/items/HX-" + k + "/handovers", signedTransfer(tr, keyOf[mine], nil)}
		case "POST /api/v1/handovers/{handover}/accept":
			id := offers[k]
			if id == "" {
				id = "H-none"
			}
			tr := &custody.Transfer{Item: "AX-" + k, From: holder, To: mine, At: "2024-05-02T10:00:00-05:00", Purpose: "storage", SealCondition: "none"}
			sig, _ := json.Marshal(keyOf[mine].SignAct(custody.RoleTo, custody.OpTransfer, tr))
			return req{"/api/v1/handovers/" + id + "/accept", `{"sig":` + string(sig) + `}`}
		case "POST /api/v1/handovers/{handover}/withdraw":
			id := withdrawals[k]
			if id == "" {
				id = "H-none"
			}
			return req{"/api/v1/handovers/" + id + "/withdraw", `{"reason":"ya no"}`}
		case "POST /api/v1/sites/{site}/status":
			st := &casefile.SiteStatus{Site: "SX-" + k, Status: "en_route", At: "2024-05-02T10:00:00-05:00", By: mine}
			sig, _ := json.Marshal(keyOf[mine].SignAct(custody.RoleBy, casefile.OpSiteStatus, st))
			return req{"/api/v1/sites/SX-" + k + "/status", fmt.Sprintf(`{"status":"en_route","at":"2024-05-02T10:00:00-05:00","by":%q,"sigs":[%s]}`, mine, sig)}
		case "POST /api/v1/operations/{operation}/release":
			return req{"/api/v1/operations/OP-METASTASIS/release", `{"at":"2099-01-01T00:00:00Z"}`}
		case "POST /api/v1/items/{item}/disclosures":
			return req{"/api/v1/items/MX-" + k + "/disclosures", `{"account":"m-defense"}`}
		case "GET /api/v1/cases/{case}", "GET /api/v1/cases/{case}/persons", "GET /api/v1/cases/{case}/detentions", "GET /api/v1/cases/{case}/items", "GET /api/v1/cases/{case}/access":
			return req{path: strings.Replace(strings.TrimPrefix(route, "GET "), "{case}", "METASTASIS", 1)}
		case "GET /api/v1/persons/{person}":
			return req{path: "/api/v1/persons/P-03"}
		case "GET /api/v1/operations/{operation}", "GET /api/v1/operations/{operation}/sites", "GET /api/v1/operations/{operation}/events":
			return req{path: strings.Replace(strings.TrimPrefix(route, "GET "), "{operation}", "OP-METASTASIS", 1)}
		case "GET /api/v1/sites/{site}":
			return req{path: "/api/v1/sites/S-PIC-01"}
		case "POST /api/v1/items/{item}/uploads":
			return req{path: "/api/v1/items/MX-" + k + "/uploads"}
		case "HEAD /api/v1/uploads/{upload}", "PATCH /api/v1/uploads/{upload}", "DELETE /api/v1/uploads/{upload}":
			return req{path: "/api/v1/uploads/0123456789abcdef0123456789abcdef"}
		case "GET /api/v1/cases/{case}/analysis", "GET /api/v1/cases/{case}/analysis/review", "GET /api/v1/cases/{case}/analysis/decisions", "GET /api/v1/cases/{case}/analysis/communities":
			return req{path: strings.Replace(strings.TrimPrefix(route, "GET "), "{case}", "METASTASIS", 1)}
		case "GET /api/v1/cases/{case}/analysis/neighbours":
			return req{path: "/api/v1/cases/METASTASIS/analysis/neighbours?entity=" + url.QueryEscape(syn.Broker.Phone)}
		case "GET /api/v1/cases/{case}/analysis/path":
			return req{path: "/api/v1/cases/METASTASIS/analysis/path?from=" + url.QueryEscape(syn.Boss.Phone) + "&to=" + url.QueryEscape(syn.Judge.Phone)}
		case "GET /api/v1/cases/{case}/analysis/brokers":
			return req{path: "/api/v1/cases/METASTASIS/analysis/brokers?top=3"}
		case "GET /api/v1/cases/{case}/analysis/timeline":
			return req{path: "/api/v1/cases/METASTASIS/analysis/timeline?entity=" + url.QueryEscape(syn.Boss.Phone) + "&entity=" + url.QueryEscape(syn.Broker.Phone)}
		case "GET /api/v1/cases/{case}/analysis/search":
			return req{path: "/api/v1/cases/METASTASIS/analysis/search?q=juez"}
		case "GET /api/v1/cases/{case}/analysis/message":
			return req{path: "/api/v1/cases/METASTASIS/analysis/message?" + firstLink}
		case "POST /api/v1/cases/{case}/analysis/merges", "POST /api/v1/cases/{case}/analysis/splits":
			n := pairOf[k]
			if strings.HasSuffix(route, "splits") {
				n += 3
			}
			return req{strings.Replace(strings.TrimPrefix(route, "POST "), "{case}", "METASTASIS", 1), fmt.Sprintf(`{"a":%q,"b":%q,"note":"matriz"}`, syn.People[2*n].Phone, syn.People[2*n+1].Phone)}
		case "POST /api/v1/cases/{case}/analysis/decisions/{decision}/revert":
			d := toRevert[k]
			if d == 0 {
				d = 1
			}
			return req{fmt.Sprintf("/api/v1/cases/METASTASIS/analysis/decisions/%d/revert", d), `{"note":"matriz"}`}
		case "GET /api/v1/items/{item}", "GET /api/v1/items/{item}/history", "GET /api/v1/items/{item}/bundle", "GET /api/v1/items/{item}/files":
			return req{path: strings.Replace(strings.TrimPrefix(route, "GET "), "{item}", "DX", 1)}
		}
		_, path, _ := strings.Cut(route, " ")
		return req{path: path}
	}

	routes := map[string]bool{}
	for _, rt := range e.s.Routes() {
		routes[rt.Pattern()] = true
		if _, ok := expected[rt.Pattern()]; !ok {
			t.Errorf("route %s has no row in the authorization matrix", rt.Pattern())
		}
	}
	for r := range expected {
		if !routes[r] {
			t.Errorf("matrix row %s names no registered route", r)
		}
	}
	// A read-only token changes nothing, whatever the route, the role or
	// the membership: every route but a GET, HEAD or one of
	// changesNothing answers it 403 read-only. This runs before the
	// pass with write tokens, on the same fixtures, so that a refusal
	// that let its record through would show there too (a key already
	// revoked, an offer already withdrawn, an account already disabled).
	for _, rt := range e.s.Routes() {
		if rt.Method == "GET" || rt.Method == "HEAD" || changesNothing[rt.Pattern()] {
			continue
		}
		for _, c := range cells[1:] {
			rq := build(rt.Pattern(), c)
			got, body := e.do(rt.Method, rq.path, readTokens[c.key()], rq.body)
			// Tokens never change passwords (a session does), read-only or not.
			readOnly := strings.Contains(string(body), "solo lectura") || rt.Pattern() == "POST /api/v1/me/password"
			if got != 403 || !readOnly {
				t.Errorf("%s as %s with a read-only token: status %d, want 403 read-only (%s)", rt.Pattern(), c, got, body)
			}
		}
	}
	for _, rt := range e.s.Routes() {
		row, ok := expected[rt.Pattern()]
		if !ok {
			continue
		}
		want := parseRow(t, rt.Pattern(), row)
		for _, c := range cells {
			rq := build(rt.Pattern(), c)
			got, body := e.do(rt.Method, rq.path, tokens[c.key()], rq.body)
			if got != want[c] {
				t.Errorf("%s as %s: status %d, want %d (%s)", rt.Pattern(), c, got, want[c], body)
			}
		}
	}
}

func siteRec(id, lead string, team ...string) any {
	return &casefile.Site{ID: id, Operation: "OP-METASTASIS", Province: "Pichincha", City: "Quito", Kind: "other", Lead: lead, Address: "Calle secreta " + id, Team: slices.DeleteFunc(team, func(o string) bool { return o == "" })}
}

// officer is the officer a cell's account is linked to: the role's officer
// for the member, another officer of that role for the non-member.
func (c cell) officer() string {
	o := matrixOfficers[c.role]
	if o != "" && !c.member {
		return "x." + c.role
	}
	return o
}
