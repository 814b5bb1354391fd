package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/ledger"
)

// offline cuts a tab's network (DevTools network emulation, its service
// worker included) or gives it back; navigator.onLine follows.
func (tb *tab) offline(off bool) {
	tb.b.t.Helper()
	tb.do(fmt.Sprintf("network offline=%v", off), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{EmulateOfflineServiceWorker: &off,
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// reopen closes the tab and opens path in a new tab of the same browser
// context (the same profile: its IndexedDB, its service worker), offline
// when off, as a phone's user closes the app and opens it again.
func (tb *tab) reopen(path string, off bool) *tab {
	tb.b.t.Helper()
	c := chromedp.FromContext(tb.ctx)
	ctx, cancel := chromedp.NewContext(tb.b.root, chromedp.WithExistingBrowserContext(c.BrowserContextID))
	tb.b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tb.b.t.Fatal(err)
	}
	tb.b.listen(ctx)
	if _, err := chromedp.CallBrowser(ctx, target.CloseTarget, target.CloseTargetParams{TargetID: c.Target.TargetID}); err != nil {
		tb.b.t.Fatalf("closing the tab: %v", err)
	}
	nt := &tab{b: tb.b, e: tb.e, ctx: ctx, name: tb.name + " (reopened)", lang: tb.lang}
	nt.phone()
	if off {
		nt.offline(true)
	}
	nt.open(path)
	return nt
}

// phone makes the tab a phone's screen, 360 × 760 px upright.
func (tb *tab) phone() {
	tb.b.t.Helper()
	tb.do("a phone's screen", chromedp.EmulateViewport(360, 760, chromedp.EmulatePortrait))
}

// phoneShot saves what the phone's screen shows (the page scrolled to the
// top, or to the element sel), and fails if the page scrolls sideways.
func (tb *tab) phoneShot(name string, sel ...string) {
	tb.b.t.Helper()
	if len(sel) > 0 {
		tb.eval(fmt.Sprintf(`document.querySelector(%q).scrollIntoView(), "ok"`, sel[0]))
	} else {
		tb.eval(`window.scrollTo(0, 0), "ok"`)
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		tb.b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifacts, fmt.Sprintf("%s-%s-360.png", tb.lang, name)), png, 0o644); err != nil {
		tb.b.t.Fatal(err)
	}
	if tb.eval(`String(document.documentElement.scrollWidth > window.innerWidth + 1)`) == "true" {
		tb.b.t.Errorf("%s: %s scrolls sideways at 360 px", tb.name, name)
	}
}

// fieldEntries reads the app's queue from the page's IndexedDB.
func (tb *tab) fieldEntries() []map[string]any {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise(function(res){var r=indexedDB.open("custodia-campo",1);r.onsuccess=function(){var q=r.result.transaction("entries").objectStore("entries").getAll();q.onsuccess=function(){res(JSON.stringify(q.result))}}})`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.b.t.Fatalf("reading the queue: %v", err)
	}
	var out []map[string]any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		tb.b.t.Fatal(err)
	}
	return out
}

// TestFieldAppOffline is issue 18's walk in Chromium: the agent of
// S-CHI-03 opens the field app with network (the briefing released an hour
// ago), loses the network, marks the site entered, records a seizure with
// a photo from the camera,
// a detention made two hours earlier and a seizure of a phone another
// officer already seized, each signed with the passkey the moment it is
// made; closes the app and opens it again with no network (the entries are
// there); gets the network back. The first sync is cut after its first
// entry; the next records the rest and nothing twice; the photo follows;
// the seizure of the already seized phone is refused and the app says
// why. The board shows the entries with their device times, the
// detention as synced late.
func TestFieldAppOffline(t *testing.T) {
	start := time.Now()
	e := newEnvAt(t, start)
	appendRecs := app.LedgerAppender(e.d.Ledger, "system:test", e.now)
	// The operation's briefing, released to the teams an hour ago.
	release := &domain.OperationRelease{Operation: "OP-METASTASIS", At: e.now().Add(-time.Hour).UTC().Format(time.RFC3339)}
	if err := appendRecs(t.Context(), []ledger.Record{{Op: domain.OpOperationRelease, Rec: release}}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	agente := b.tab(e, "agente", "es")
	agente.login("agente")
	agente.enrolApproved(b, "teléfono del equipo")

	// With network: the app installs, keeps its files and the team's data.
	agente.phone()
	agente.open("/campo/")
	agente.waitJS("the app's data and service worker", `document.body.getAttribute("data-loaded") === "1" && document.body.getAttribute("data-sw") === "ready" && !!document.querySelector("#target")`)
	agente.waitText("#site-card", "S-CHI-03")
	agente.waitText("#target", "Inmueble allanado en Riobamba")
	// Times in the deployment's zone with their offset, as the pages show
	// them, though this browser runs in the machine's zone (UTC here): a
	// new user read "hora H 14/12, 06:00 a. m." beside the board's 01:00.
	agente.waitText("#site-card", "hora H 2023-12-14 01:00 -05:00")
	agente.checkPage("campo")
	agente.phoneShot("campo-site")
	dev := regexp.MustCompile(`PWA-[A-Z0-9]+`).FindString(agente.eval(`document.getElementById("who").textContent`))
	if dev == "" {
		t.Fatalf("no device id shown: %s", agente.bodyText())
	}

	// Meanwhile another officer of the team seized a phone under seal
	// PN-800009, online.
	other := &custody.Seize{ID: "E-CHI-03-09", Case: "METASTASIS", Type: "phone", Description: "Teléfono celular", SeizedAt: e.now().Add(-10 * time.Minute).Format(time.RFC3339),
		SeizedBy: "pn.s-chi-03.1", Site: "S-CHI-03", Seal: "PN-800009"}
	if err := appendRecs(t.Context(), []ledger.Record{{Op: custody.OpSeize, Rec: other}}); err != nil {
		t.Fatal(err)
	}

	// No network.
	agente.offline(true)
	agente.waitJS("the offline banner", `document.getElementById("net").className === "net off"`)
	// The team enters the site: the status, signed, waits on the phone.
	agente.do("entered", chromedp.Click(chromedp.CSS("#status-entered")))
	agente.waitJS("one entry on the phone", `document.body.getAttribute("data-pending") === "1"`)
	agente.waitText("#site-status", agente.W("status", "entered"))
	agente.waitText("#site-card", agente.T("campo.status_pending"))
	agente.do("seizure tab", chromedp.Click(chromedp.CSS("#tb-seize")))
	photo := writePhoto(t)
	agente.do("the seizure with a photo",
		chromedp.SetValue(chromedp.CSS("#sz-type"), "phone"),
		chromedp.SetValue(chromedp.CSS("#sz-desc"), "Teléfono celular negro, pantalla rota"),
		chromedp.SetValue(chromedp.CSS("#sz-seal"), "PN-800001"),
		chromedp.SetUploadFiles(chromedp.CSS("#sz-photos"), []string{photo}))
	agente.checkPage("campo-seize")
	agente.phoneShot("campo-seize")
	seizeID := agente.eval(`document.getElementById("sz-id").value`)
	agente.do("sign and save", chromedp.Click(chromedp.CSS("#sz-submit")))
	agente.waitJS("three entries on the phone", `document.body.getAttribute("data-pending") === "3"`)

	agente.do("detention tab", chromedp.Click(chromedp.CSS("#tb-detain")))
	agente.eval(`document.getElementById("dt-at").value = CampoCanon.localInput(new Date(Date.now() - 2 * 3600 * 1000)); document.getElementById("dt-rights-at").value = CampoCanon.localInput(new Date(Date.now() - 2 * 3600 * 1000 + 5 * 60 * 1000)); "ok"`)
	agente.do("the detention",
		chromedp.SetValue(chromedp.CSS("#dt-person"), "P-30"),
		chromedp.SetValue(chromedp.CSS("#dt-basis"), "flagrante"),
		chromedp.Click(chromedp.CSS("#dt-rights")),
		chromedp.SetValue(chromedp.CSS("#dt-charge"), "Tenencia y porte de arma de fuego sin permiso"))
	agente.checkPage("campo-detain")
	agente.phoneShot("campo-detain")
	detID := agente.eval(`document.getElementById("dt-id").value`)
	agente.do("sign and save", chromedp.Click(chromedp.CSS("#dt-submit")))
	agente.waitJS("four entries on the phone", `document.body.getAttribute("data-pending") === "4"`)

	// The same phone the other officer seized, under the same seal.
	agente.do("seizure tab", chromedp.Click(chromedp.CSS("#tb-seize")))
	agente.do("the second seizure",
		chromedp.SetValue(chromedp.CSS("#sz-type"), "phone"),
		chromedp.SetValue(chromedp.CSS("#sz-desc"), "Teléfono celular"),
		chromedp.SetValue(chromedp.CSS("#sz-seal"), "PN-800009"),
		chromedp.Click(chromedp.CSS("#sz-submit")))
	agente.waitJS("five entries on the phone", `document.body.getAttribute("data-pending") === "5"`)
	agente.do("queue tab", chromedp.Click(chromedp.CSS("#tb-queue")))
	agente.waitJS("five queued", `document.querySelectorAll('#queue li[data-status="queued"]').length === 5`)
	agente.checkPage("campo-queue")
	agente.phoneShot("campo-queue-offline")

	// The app closed and opened again, still with no network: the page
	// comes from the service worker, the entries from IndexedDB.
	agente = agente.reopen("/campo/", true)
	agente.waitJS("the reopened app", `document.body.getAttribute("data-loaded") === "1" && document.getElementById("net").className === "net off"`)
	agente.do("queue tab", chromedp.Click(chromedp.CSS("#tb-queue")))
	agente.waitJS("the five entries survived", `document.querySelectorAll('#queue li[data-status="queued"]').length === 5`)
	entries := agente.fieldEntries()
	if len(entries) != 5 {
		t.Fatalf("%d entries in IndexedDB after reopening, want 5", len(entries))
	}
	deviceTimes := map[string]string{} // what each act says, as the phone signed it
	for _, en := range entries {
		rec, _ := en["record"].(map[string]any)
		switch en["op"] {
		case custody.OpSeize:
			if rec["id"] == seizeID {
				deviceTimes["seize"] = rec["seized_at"].(string)
			}
		case "detention.record":
			deviceTimes["detention"] = rec["arrested_at"].(string)
		}
	}
	if len(deviceTimes) != 2 {
		t.Fatalf("the queue: %v", entries)
	}
	if e.deviceEntries(dev) != 0 {
		t.Fatal("something reached the server while offline")
	}

	// The network returns. The first sync is cut after its first entry:
	// the server records it, the phone gets no answer.
	var cut atomic.Bool
	intercept := func(rw http.ResponseWriter, r *http.Request, h http.Handler) bool {
		if r.URL.Path != "/api/v1/field/sync" || !cut.CompareAndSwap(false, true) {
			return false
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		e.s.OnFieldEntry(func(_ context.Context, fr app.FieldResult) {
			if fr.Seq == 1 {
				cancel()
			}
		})
		h.ServeHTTP(&discard{h: http.Header{}}, r.WithContext(ctx))
		e.s.OnFieldEntry(nil)
		// The connection drops in the middle of the answer (a browser
		// would send again a request dropped before any answer).
		rw.Header().Set("Content-Type", "application/json")
		rw.Header().Set("Content-Length", "4096")
		rw.WriteHeader(http.StatusOK)
		rw.Write([]byte(`{"results":[`))
		rw.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	e.intercept.Store(&intercept)
	agente.offline(false)
	agente.waitJS("the failed sync", `document.getElementById("sync-status").textContent.includes("no se pudo sincronizar")`)
	if !cut.Load() || e.deviceEntries(dev) != 1 {
		t.Fatalf("the cut sync: cut %v, %d entries on the server, want 1", cut.Load(), e.deviceEntries(dev))
	}
	agente.waitJS("still five queued", `document.querySelectorAll('#queue li[data-status="queued"]').length === 5`)
	agente.do("sync again", chromedp.Click(chromedp.CSS("#sync-now")))
	agente.waitJS("four recorded, one refused", `document.querySelectorAll('#queue li[data-status="recorded"]').length === 4 && document.querySelectorAll('#queue li[data-status="refused"]').length === 1`)
	agente.waitText(`#queue li[data-status="refused"] .reason`, "PN-800009")
	agente.waitText(`#queue li[data-status="refused"] .reason`, "E-CHI-03-09")
	agente.waitJS("the photo uploaded", `!!document.querySelector('#queue [data-photo="uploaded"]')`)
	agente.checkPage("campo-synced")
	agente.phoneShot("campo-synced")
	// In English, the server's reason too.
	agente.do("English", chromedp.Click(chromedp.CSS("#lang")))
	agente.waitText(`#queue li[data-status="refused"] .reason`, "seal PN-800009 is already on item E-CHI-03-09")
	agente.waitText("#sync-now", "Sync now")
	agente.lang = "en"
	agente.checkPage("campo-synced-en")
	agente.phoneShot("campo-synced")
	agente.lang = "es"
	agente.do("Spanish", chromedp.Click(chromedp.CSS("#lang")))

	// On the server: each entry once, with the device's times.
	var sha string
	e.d.Ledger.View(func(st *domain.State) error {
		d := st.Devices[dev]
		if d == nil || len(d.Entries) != 4 || d.Entries[1] == nil || d.Entries[2] == nil || d.Entries[3] == nil || d.Entries[4] == nil || d.Entries[5] != nil {
			t.Errorf("the device's entries on the server: %+v", d)
		}
		if site := st.Sites["S-CHI-03"]; site.Current() != "entered" || st.Field[site.History[len(site.History)-1].Seq] == nil {
			t.Errorf("S-CHI-03 after the sync: %+v", site.History)
		}
		it := st.Items[seizeID]
		if it == nil || it.Seize.SeizedAt != deviceTimes["seize"] || it.Seize.Seal != "PN-800001" {
			t.Errorf("the seizure on the server: %+v, want seized at %s", it, deviceTimes["seize"])
		}
		det := st.Detentions[detID]
		if det == nil || det.ArrestedAt != deviceTimes["detention"] || det.RightsNotifiedAt == "" {
			t.Errorf("the detention on the server: %+v, want arrested at %s", det, deviceTimes["detention"])
		}
		if fi := st.Field[det.Seq]; fi == nil || !fi.Late || fi.Device != dev {
			t.Errorf("the detention's arrival: %+v", fi)
		}
		for _, a := range st.Attachments {
			if a.Item == seizeID {
				sha = a.SHA256
			}
		}
		return nil
	})
	hist, err := e.d.Ledger.ItemHistory(t.Context(), seizeID)
	if err != nil || len(hist) != 2 {
		t.Errorf("the seized item's history: %d events (%v), want the seizure and its photo once each", len(hist), err)
	}
	if rc, err := e.d.Blobs.Get(t.Context(), sha); err != nil {
		t.Errorf("the photo's bytes are not in the store: %v", err)
	} else {
		rc.Close()
	}

	// The prosecutor's board: the entries with their device times, the
	// detention as synced late.
	fiscal := b.tab(e, "fiscal", "es")
	fiscal.login("fiscal")
	fiscal.open("/casos/METASTASIS")
	fiscal.waitJS("the detention on the board", fmt.Sprintf(`!!document.querySelector("#det-%s")`, detID))
	fiscal.waitText(fmt.Sprintf("#det-%s", detID), fiscal.T("field.late"))
	fiscal.waitText("#late-OP-METASTASIS", detID)
	fiscal.checkPage("case-late")
	fiscal.shot("campo-board")
	// On a phone: the folded lists opened, the late-synced acts in view.
	fiscal.phone()
	fiscal.eval(`document.querySelectorAll('details[data-fold="late"], details[data-fold="dets"]').forEach(function(d){d.open=true}), "ok"`)
	fiscal.phoneShot("campo-board-late", `details[data-fold="late"]`)
	fiscal.open("/evidencias/" + seizeID)
	fiscal.waitText("#timeline", dev)
	if tl := fiscal.eval(`document.querySelector("#timeline").innerText`); !strings.Contains(tl, fiscal.T("item.recorded")) {
		t.Errorf("the item's timeline: %s", tl)
	}
}

// deviceEntries is how many entries of a field device the server holds.
func (e *testEnv) deviceEntries(dev string) int {
	n := 0
	e.d.Ledger.View(func(st *domain.State) error {
		if d := st.Devices[dev]; d != nil {
			n = len(d.Entries)
		}
		return nil
	})
	return n
}

// enrolApproved gives the tab a virtual authenticator, enrols a passkey
// named label for its account, and has the administrator (in a tab of its
// own) approve it.
func (tb *tab) enrolApproved(b *browserT, label string) {
	tb.b.t.Helper()
	tb.authenticator()
	tb.open("/cuenta/llaves")
	tb.do("enrol a passkey", chromedp.SetValue(chromedp.CSS("#passkey-label"), label), chromedp.Click(chromedp.CSS("#passkey-enrol-submit")))
	tb.waitJS("the key requested", `!!document.querySelector('#my-keys [data-key-status="requested"]')`)
	jefe := b.tab(tb.e, "jefe", "es")
	jefe.login("jefe")
	jefe.open("/cuenta/llaves")
	jefe.do("approve the key", chromedp.Click(chromedp.CSS(`#pending-keys button[type=submit]`)))
	jefe.waitJS("approved", `document.querySelectorAll("#pending-keys tbody tr").length === 0`)
}
