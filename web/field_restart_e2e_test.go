package web

import (
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// profileTab opens a tab in the browser's own profile (not a fresh
// in-memory context as tab does): what it stores goes to the profile's
// directory on disk.
func (b *browserT) profileTab(e *testEnv, name, lang string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.root)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	b.listen(ctx)
	return &tab{b: b, e: e, ctx: ctx, name: name, lang: lang}
}

// TestFieldAppSurvivesRestart: an entry signed with no network waits on
// the phone while the browser is shut down and started again on the same
// profile (a phone switched off and on); the app opens with no network,
// from its service worker, with the entry still queued under the same
// device id, and sends it once the network is back (signing in again if
// the session did not outlive the browser). The server records it once.
func TestFieldAppSurvivesRestart(t *testing.T) {
	e := newEnvAt(t, time.Now())
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	release := &domain.OperationRelease{Operation: "OP-METASTASIS", At: e.now().Add(-time.Hour).UTC().Format(time.RFC3339)}
	if err := appendRecs(t.Context(), []ledger.Record{{Op: domain.OpOperationRelease, Rec: release}}); err != nil {
		t.Fatal(err)
	}
	profile := t.TempDir()
	b := newBrowserIn(t, profile)
	agente := b.profileTab(e, "agente", "es")
	agente.login("agente")
	agente.enrolApproved(b, "teléfono")

	agente.phone()
	agente.open("/campo/")
	agente.waitJS("the app's data and service worker", `document.body.getAttribute("data-loaded") === "1" && document.body.getAttribute("data-sw") === "ready" && !!document.querySelector("#target")`)
	dev := regexp.MustCompile(`PWA-[A-Z0-9]+`).FindString(agente.eval(`document.getElementById("who").textContent`))
	if dev == "" {
		t.Fatalf("no device id shown: %s", agente.bodyText())
	}
	agente.offline(true)
	agente.do("entered", chromedp.Click(chromedp.CSS("#status-entered")))
	agente.waitJS("one entry on the phone", `document.body.getAttribute("data-pending") === "1"`)
	if n := e.deviceEntries(dev); n != 0 {
		t.Fatalf("%d entries of %s on the server while offline", n, dev)
	}

	// The phone is switched off and on.
	b.close()
	b2 := newBrowserIn(t, profile)
	b2.minRequests = 5 // the app and its data, and the sync
	again := b2.profileTab(e, "agente (after the restart)", "es")
	again.phone()
	again.offline(true)
	again.open("/campo/")
	again.waitJS("the queue after the restart", `document.body.getAttribute("data-loaded") === "1" && document.body.getAttribute("data-pending") === "1"`)
	if got := regexp.MustCompile(`PWA-[A-Z0-9]+`).FindString(again.eval(`document.getElementById("who").textContent`)); got != dev {
		t.Errorf("the device id after the restart: %q, want %q", got, dev)
	}
	// Back in coverage: the app syncs on its own.
	again.offline(false)
	again.waitJS("synced, or asked to sign in", `document.body.getAttribute("data-pending") === "0" || !document.getElementById("signin").hidden`)
	if again.eval(`String(document.body.getAttribute("data-pending"))`) != "0" {
		// The session ended with the browser: the agent signs in again
		// (with the next TOTP code: a code signs in once) and comes back.
		again.do("sign-in link", chromedp.Click(chromedp.CSS("#signin-link")))
		again.do("password step", chromedp.WaitVisible(chromedp.CSS("#account")), chromedp.SetValue(chromedp.CSS("#account"), "agente"),
			chromedp.SetValue(chromedp.CSS("#password"), e.users["agente"].Password), chromedp.Click(chromedp.CSS("#login-submit")))
		again.waitJS("the TOTP step", `!!document.querySelector("#totp")`)
		again.do("TOTP step", chromedp.SetValue(chromedp.CSS("#totp"), e.totpAt("agente", 30*time.Second)), chromedp.Click(chromedp.CSS("#totp-submit")))
		again.waitJS("back in the app, synced", `location.pathname === "/campo/" && document.body.getAttribute("data-pending") === "0"`)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.deviceEntries(dev) != 1 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := e.deviceEntries(dev); n != 1 {
		t.Errorf("%d entries of %s recorded after the restart, want 1", n, dev)
	}
}
