package web

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/verify"
)

// The end-to-end tests drive Debian's Chromium (scripts/setup-web installs
// it) through the Metástasis flow, against the real server on 127.0.0.1.

const chromiumPath = "/usr/bin/chromium"

// artifacts is where the screenshots go (gitignored).
var artifacts = filepath.Join("..", "test-artifacts", "web")

// browserT is one Chromium for a test, with every request any of its tabs
// makes recorded.
type browserT struct {
	t        *testing.T
	alloc    context.Context
	root     context.Context
	mu       sync.Mutex
	requests []string
}

func newBrowser(t *testing.T) *browserT {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s is missing: run scripts/setup-web (it installs Debian's chromium package)", chromiumPath)
	}
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Fatalf("%s is not executable: %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider"),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "es-EC"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Do(root); err != nil { // starts the browser
		cancelRoot()
		cancelAlloc()
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	b := &browserT{t: t, alloc: alloc, root: root}
	t.Cleanup(func() {
		cancelRoot()
		cancelAlloc()
		b.mu.Lock()
		defer b.mu.Unlock()
		var outside []string
		for _, u := range b.requests {
			if !local(u) {
				outside = append(outside, u)
			}
		}
		if len(outside) > 0 {
			t.Errorf("the browser made requests outside 127.0.0.1: %v", outside)
		}
		if len(b.requests) < 20 {
			t.Errorf("only %d requests recorded: the recorder is broken", len(b.requests))
		}
	})
	return b
}

// local reports whether a URL stays on the host.
func local(u string) bool {
	if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") || u == "about:blank" {
		return true
	}
	p, err := url.Parse(u)
	return err == nil && (p.Hostname() == "127.0.0.1" || p.Hostname() == "localhost")
}

// tab is one person's browser: its own browser context (cookies), one tab.
type tab struct {
	b    *browserT
	e    *testEnv
	ctx  context.Context
	name string
	lang string
}

func (b *browserT) tab(e *testEnv, name, lang string) *tab {
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	chromedp.Listen(ctx, func(ev any) {
		var u string
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u = ev.Request.URL
		case network.EventRequestWillBeSent:
			u = ev.Request.URL
		case *network.EventWebSocketCreated:
			u = ev.URL
		default:
			return
		}
		b.mu.Lock()
		b.requests = append(b.requests, u)
		b.mu.Unlock()
	})
	return &tab{b: b, e: e, ctx: ctx, name: name, lang: lang}
}

// T is the catalogue's text in the tab's language.
func (tb *tab) T(key string) string { return tb.e.w.cat.T(tb.lang, key) }

// W is the shared word of a record value (kind "status", code "planned").
func (tb *tab) W(kind, code string) string {
	if w := vocab.Word(kind, code, tb.lang); w != "" {
		return w
	}
	return casefile.Word(kind, code, tb.lang)
}

func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.b.t.Fatalf("%s: %s: %v\npage: %s", tb.name, what, err, tb.bodyText())
	}
}

func (tb *tab) bodyText() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.location.href + "\n" + (document.body ? document.body.innerText.slice(0, 1500) : "")`))
	return s
}

func (tb *tab) eval(js string) string {
	tb.b.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		tb.b.t.Fatalf("%s: eval %s: %v", tb.name, js, err)
	}
	return s
}

// waitJS waits until a JavaScript expression is true, across navigations.
func (tb *tab) waitJS(what, js string) {
	tb.b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.b.t.Fatalf("%s: timed out waiting for %s (%s)\npage: %s", tb.name, what, js, tb.bodyText())
}

// waitText waits until the element sel's text contains want.
func (tb *tab) waitText(sel, want string) {
	tb.b.t.Helper()
	tb.waitJS(fmt.Sprintf("%q to show %q", sel, want), fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && e.textContent.includes(%q)})()`, sel, want))
}

func (tb *tab) open(path string) {
	tb.b.t.Helper()
	// By name, not by address: passkeys need a domain (WebAuthn refuses an
	// IP address as the relying party), and localhost is a secure context.
	tb.do("open "+path, chromedp.Navigate(strings.Replace(tb.e.url, "127.0.0.1", "localhost", 1)+path), chromedp.WaitReady(chromedp.CSS("footer")))
}

// shot saves full-page screenshots at 360 and 1280 px wide.
func (tb *tab) shot(name string) {
	tb.b.t.Helper()
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		tb.b.t.Fatal(err)
	}
	for _, w := range []int64{360, 1280} {
		ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
		err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 800))
		var png []byte
		if err == nil {
			png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		}
		cancel()
		if err != nil {
			tb.b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, fmt.Sprintf("%s-%s-%d.png", tb.lang, name, w)), png, 0o644); err != nil {
			tb.b.t.Fatal(err)
		}
		// The page must not scroll sideways at this width.
		ctx, cancel = context.WithTimeout(tb.ctx, 5*time.Second)
		over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		cancel()
		if err == nil && over && w == 360 {
			tb.b.t.Errorf("%s: page %s scrolls sideways at 360 px", tb.name, name)
		}
	}
	tb.do("viewport", chromedp.EmulateViewport(1280, 900))
}

// login signs in through the pages, with the TOTP step when asked.
func (tb *tab) login(account string) {
	tb.b.t.Helper()
	tb.open("/entrar")
	if tb.lang == "en" && tb.eval(`document.documentElement.lang`) != "en" {
		tb.do("switch to English", chromedp.Click(chromedp.CSS("#lang-switch")))
		tb.waitJS("English page", `document.documentElement.lang === "en" && !!document.querySelector("#account")`)
	}
	pw := tb.e.users[account].Password
	tb.do("password step", chromedp.SetValue(chromedp.CSS("#account"), account), chromedp.SetValue(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("#login-submit")))
	tb.waitJS("after the password step", `!!document.querySelector("#totp") || location.pathname === "/casos"`)
	if tb.eval(`location.pathname`) != "/casos" {
		tb.do("TOTP step", chromedp.SetValue(chromedp.CSS("#totp"), tb.e.totp(account)), chromedp.Click(chromedp.CSS("#totp-submit")))
	}
	tb.waitJS("the cases page", `location.pathname === "/casos" && !!document.querySelector("footer")`)
}

// authenticator gives the tab a virtual passkey authenticator (CTAP2,
// internal, resident keys, user verification that always succeeds), as a
// phone or laptop with a fingerprint reader would be.
func (tb *tab) authenticator() {
	tb.b.t.Helper()
	tb.do("virtual authenticator", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
		return err
	}))
}

// checkPage fails on a catalogue key missing on the page.
func (tb *tab) checkPage(what string) {
	tb.b.t.Helper()
	if s := tb.eval(`document.body.innerHTML`); strings.Contains(s, "⟦") {
		i := strings.Index(s, "⟦")
		tb.b.t.Errorf("%s: %s shows a missing key: %.60s", tb.name, what, s[i:])
	}
	// Accessibility: every field has a label, every image-like SVG a title,
	// and the page has one h1 and a main landmark.
	if bad := tb.eval(`Array.from(document.querySelectorAll("input:not([type=hidden]),select,textarea")).filter(function(e){return e.labels.length===0}).map(function(e){return e.name||e.id}).join(",")`); bad != "" {
		tb.b.t.Errorf("%s: %s has fields without a label: %s", tb.name, what, bad)
	}
	if bad := tb.eval(`Array.from(document.querySelectorAll("svg[role=img]")).filter(function(e){return !e.querySelector("title")&&!e.getAttribute("aria-label")}).length + "/" + document.querySelectorAll("h1").length + "/" + document.querySelectorAll("main").length`); bad != "0/1/1" {
		tb.b.t.Errorf("%s: %s: untitled images / h1 count / main count = %s", tb.name, what, bad)
	}
	if bad := tb.eval(contrastJS); bad != "" {
		tb.b.t.Errorf("%s: %s: text below WCAG AA contrast: %s", tb.name, what, bad)
	}
	if got := tb.eval(`document.documentElement.lang`); got != tb.lang {
		tb.b.t.Errorf("%s: %s is in %q, want %q", tb.name, what, got, tb.lang)
	}
}

// contrastJS lists visible text whose contrast with its background is
// below WCAG AA (4.5:1, or 3:1 for large text), as computed by the browser.
const contrastJS = `(function(){
function rgb(s){var m=s.match(/rgba?\(([^)]+)\)/);if(!m)return null;var p=m[1].split(",").map(parseFloat);return {r:p[0],g:p[1],b:p[2],a:p.length>3?p[3]:1}}
function lum(c){function f(v){v/=255;return v<=0.03928?v/12.92:Math.pow((v+0.055)/1.055,2.4)}return 0.2126*f(c.r)+0.7152*f(c.g)+0.0722*f(c.b)}
function bg(e){for(;e;e=e.parentElement){var c=rgb(getComputedStyle(e).backgroundColor);if(c&&c.a>0.5)return c}return {r:255,g:255,b:255,a:1}}
var bad=[];
document.querySelectorAll("body *").forEach(function(e){
 if(e.closest("svg")||!e.offsetParent&&getComputedStyle(e).position!=="fixed")return;
 var txt=Array.from(e.childNodes).some(function(n){return n.nodeType===3&&n.textContent.trim()!==""});
 if(!txt)return;
 var cs=getComputedStyle(e),fg=rgb(cs.color),b=bg(e);
 var l1=lum(fg),l2=lum(b),ratio=(Math.max(l1,l2)+0.05)/(Math.min(l1,l2)+0.05);
 var size=parseFloat(cs.fontSize),bold=parseInt(cs.fontWeight)>=700;
 var need=(size>=24||bold&&size>=18.66)?3:4.5;
 if(ratio<need)bad.push(e.tagName+"."+e.className+" "+ratio.toFixed(2)+" "+JSON.stringify(e.textContent.trim().slice(0,30)));
});
return bad.slice(0,5).join("; ")})()`

// writePhoto writes a small PNG, the photo of a seizure.
func writePhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 0, 0, 255})
	}
	p := filepath.Join(t.TempDir(), "telefono.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMetastasisFlowSpanish(t *testing.T) { metastasisFlow(t, "es", true) }

func TestMetastasisFlowEnglish(t *testing.T) { metastasisFlow(t, "en", false) }

// metastasisFlow is the flow: (1) a prosecutor sees the board; (2)
// an agent at S-CHI-03 marks the site entered, records the firearm
// detention and seizes a phone with a seal; (3) the prosecutor's board
// updates without a reload; (4) the agent hands the phone to the custodian,
// who confirms on the same page; (5) the timeline shows both; (6) a bundle
// is downloaded and verified on the verification page, with no account;
// (7) a non-member gets "not found" for the case.
func metastasisFlow(t *testing.T, lang string, shots bool) {
	e := newEnv(t)
	b := newBrowser(t)
	shot := func(tb *tab, name string) {
		tb.checkPage(name)
		if shots {
			tb.shot(name)
		}
	}

	// (1) The prosecutor sees the board.
	fiscal := b.tab(e, "fiscal", lang)
	fiscal.open("/entrar")
	if lang == "es" {
		shot(fiscal, "login")
		// Keyboard: the first Tab reaches the skip link, Enter follows it.
		fiscal.do("tab", chromedp.KeyEvent("\t"))
		if got := fiscal.eval(`document.activeElement.className`); got != "skip" {
			t.Errorf("the first Tab focuses %q, not the skip link", got)
		}
		pw := e.users["fiscal"].Password
		fiscal.do("password step", chromedp.SetValue(chromedp.CSS("#account"), "fiscal"), chromedp.SetValue(chromedp.CSS("#password"), pw), chromedp.Click(chromedp.CSS("#login-submit")))
		fiscal.waitJS("TOTP step", `!!document.querySelector("#totp")`)
		shot(fiscal, "totp")
		// A wrong code is refused next to the form, in plain words.
		fiscal.do("wrong code", chromedp.SetValue(chromedp.CSS("#totp"), "000000"), chromedp.Click(chromedp.CSS("#totp-submit")))
		fiscal.waitJS("the refusal", `!!document.querySelector("#login-error")`)
	}
	fiscal.login("fiscal")
	shot(fiscal, "cases")
	// The contrast check itself finds grey on white.
	if got := fiscal.eval(`(function(){var p=document.createElement("p");p.textContent="gris";p.style.color="#bbbbbb";document.querySelector("main").appendChild(p);var r=` + contrastJS + `;p.remove();return r})()`); !strings.Contains(got, "gris") {
		t.Errorf("the contrast check misses grey on white: %q", got)
	}
	fiscal.do("open the case", chromedp.Click(chromedp.CSS(`a[href="/casos/METASTASIS"]`)))
	fiscal.waitJS("the live board", `!!document.querySelector('[data-connected="1"]')`)
	fiscal.waitText(`[data-site-status="S-CHI-03"]`, fiscal.W("status", "planned"))
	if n := fiscal.eval(`String(document.querySelectorAll("svg.chart rect").length)`); n == "0" {
		t.Error("the board has no chart")
	}
	if n := fiscal.eval(`String(document.querySelectorAll("svg.graph line").length)`); n == "0" {
		t.Error("the link graph has no links")
	}
	shot(fiscal, "case")
	fiscal.eval(`window.__noReload = "yes"`)
	itemsBefore := fiscal.eval(`document.querySelector("#items-OP-METASTASIS").textContent`)

	// (2) The agent at S-CHI-03.
	agente := b.tab(e, "agente", lang)
	agente.login("agente")
	agente.open("/sitios/S-CHI-03")
	shot(agente, "site")
	agente.do("mark entered", chromedp.Click(chromedp.CSS("#status-entered")), chromedp.Click(chromedp.CSS("#status-submit")))
	agente.waitText("#site-status", agente.W("status", "entered"))

	// The firearm detention: in flagrante, P-30.
	agente.do("record the detention",
		chromedp.SetValue(chromedp.CSS("#det-person"), "P-30"),
		chromedp.SetValue(chromedp.CSS("#det-basis"), "flagrante"),
		chromedp.SetValue(chromedp.CSS("#det-charge"), "Tenencia y porte de arma de fuego sin permiso"),
		chromedp.Click(chromedp.CSS("#detention-submit")))
	agente.waitJS("the detention on the site page", `!!document.querySelector("#det-D-CHI-03-01")`)

	// The browser checks a form before sending it: no type chosen.
	agente.do("seizure without a type", chromedp.SetValue(chromedp.CSS("#seize-desc"), "Teléfono celular"), chromedp.Click(chromedp.CSS("#seize-submit")))
	if v := agente.eval(`String(document.querySelector("#seize-type").validity.valid)`); v != "false" {
		t.Errorf("an empty type passes the browser's check: %s", v)
	}
	// The server's error shows next to its field: an id already taken.
	agente.do("seizure with a taken id",
		chromedp.SetValue(chromedp.CSS("#seize-id"), "E-PIC-01-01"),
		chromedp.SetValue(chromedp.CSS("#seize-type"), "phone"),
		chromedp.SetValue(chromedp.CSS("#seize-seal"), "PN-200001"),
		chromedp.SetUploadFiles(chromedp.CSS("#seize-photos"), []string{writePhoto(t)}),
		chromedp.Click(chromedp.CSS("#seize-submit")))
	agente.waitJS("the id's error", `(function(){var e=document.querySelector('#form-seize [data-error-for="id"]');return !!e && !e.hidden && e.textContent.includes("E-PIC-01-01")})()`)
	if got := agente.eval(`document.querySelector("#seize-id").getAttribute("aria-invalid") || ""`); got != "true" {
		t.Errorf("the id field is not marked invalid: %q", got)
	}
	shot(agente, "site-error")
	agente.do("seizure", chromedp.SetValue(chromedp.CSS("#seize-id"), "E-CHI-03-01"), chromedp.Click(chromedp.CSS("#seize-submit")))
	agente.waitJS("the item page", `location.pathname === "/evidencias/E-CHI-03-01" && !!document.querySelector("#timeline")`)
	agente.waitText("#seal", "PN-200001")
	agente.waitText("#h-att", agente.T("item.attachments"))

	// (3) The prosecutor's board changed by itself.
	fiscal.waitText(`[data-site-status="S-CHI-03"]`, fiscal.W("status", "entered"))
	fiscal.waitJS("the detention on the board", `!!document.querySelector("#det-D-CHI-03-01")`)
	fiscal.waitJS("one more item on the board", fmt.Sprintf(`document.querySelector("#items-OP-METASTASIS").textContent !== %q`, itemsBefore))
	if fiscal.eval(`String(window.__noReload)`) != "yes" {
		t.Error("the prosecutor's page was reloaded")
	}
	if shots {
		fiscal.eval(`document.querySelector("#det-D-CHI-03-01").scrollIntoView(), "ok"`)
		shot(fiscal, "case-live")
	}

	// (4) The handover, signed by both with their passkeys: each officer
	// enrols one (Chromium's virtual authenticator, through the DevTools
	// WebAuthn domain), an administrator approves them, the custodian
	// signs in with theirs, the agent offers the item signed with the
	// agent's passkey, the custodian accepts it signed with their own.
	custodio := b.tab(e, "custodio", lang)
	custodio.login("custodio")
	for _, tb := range []*tab{agente, custodio} {
		tb.authenticator()
		tb.open("/cuenta/llaves")
		tb.do("enrol a passkey", chromedp.SetValue(chromedp.CSS("#passkey-label"), "llave de "+tb.name), chromedp.Click(chromedp.CSS("#passkey-enrol-submit")))
		tb.waitJS("the key requested", `!!document.querySelector('#my-keys [data-key-status="requested"]')`)
	}
	if shots {
		shot(agente, "keys")
	}
	jefe := b.tab(e, "jefe", lang)
	jefe.login("jefe")
	jefe.open("/cuenta/llaves")
	for i := 0; i < 2; i++ {
		jefe.do("approve a key", chromedp.Click(chromedp.CSS(`#pending-keys button[type=submit]`)))
		jefe.waitJS("one key fewer awaiting", fmt.Sprintf(`document.querySelectorAll("#pending-keys tbody tr").length === %d`, 1-i))
	}
	agente.open("/cuenta/llaves")
	agente.waitJS("the key in force", `!!document.querySelector('#my-keys [data-key-status="active"]')`)
	// The custodian signs in again, with the passkey alone.
	custodio.do("sign out", chromedp.Click(chromedp.CSS("#logout")))
	custodio.waitJS("signed out", `!document.querySelector("#logout")`)
	custodio.open("/entrar")
	custodio.waitJS("the passkey button", `!document.querySelector("#passkey-login-box").hidden`)
	custodio.do("passkey sign-in", chromedp.Click(chromedp.CSS("#passkey-login")))
	custodio.waitJS("signed in with the passkey", `location.pathname === "/casos"`)

	agente.open("/evidencias/E-CHI-03-01")
	shot(agente, "item")
	agente.do("offer the handover",
		chromedp.SetValue(chromedp.CSS("#ho-location"), "Bodega de evidencias de Chimborazo"),
		chromedp.SetValue(chromedp.CSS("#ho-receiver"), "custodio"),
		chromedp.Click(chromedp.CSS("#cond-intact")),
		chromedp.Click(chromedp.CSS("#ho-offer")),
		chromedp.Click(chromedp.CSS("#handover-submit")))
	agente.waitJS("the offer waits", `location.pathname === "/entregas" && !!document.querySelector('#handovers [data-status="pending"]')`)
	custodio.open("/entregas")
	if shots {
		shot(custodio, "handovers")
	}
	custodio.do("accept with the passkey", chromedp.Click(chromedp.CSS(`#handovers form[id^="accept-"] button`)))
	custodio.waitJS("the item page", `location.pathname === "/evidencias/E-CHI-03-01"`)
	custodio.waitText("#holder", "cust.chi")
	agente.open("/evidencias/E-CHI-03-01")

	// (5) The timeline shows the seizure, the photo attached with it, and
	// the handover.
	agente.waitJS("three events", `document.querySelectorAll("#timeline li.ev").length === 3`)
	tl := agente.eval(`document.querySelector("#timeline").innerText`)
	for _, want := range []string{agente.W("op", "evidence.seize"), agente.W("op", "custody.transfer"), "pn.s-chi-03.lead → cust.chi", fmt.Sprintf(agente.T("ev.by_account"), "custodio"), fmt.Sprintf(agente.T("ev.by_account"), "agente")} {
		if !strings.Contains(tl, want) {
			t.Errorf("the timeline lacks %q:\n%s", want, tl)
		}
	}

	// (6) The bundle, downloaded and verified with no account.
	dir := t.TempDir()
	agente.do("download the bundle", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
			BrowserContextID: chromedp.FromContext(agente.ctx).BrowserContextID})
		return err
	}), chromedp.Click(chromedp.CSS("#bundle-link")))
	var bundle string
	for deadline := time.Now().Add(30 * time.Second); bundle == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ents, _ := os.ReadDir(dir)
		for _, en := range ents {
			if !strings.HasSuffix(en.Name(), ".crdownload") {
				if fi, err := en.Info(); err == nil && fi.Size() > 0 {
					bundle = filepath.Join(dir, en.Name())
				}
			}
		}
	}
	if bundle == "" {
		t.Fatal("the bundle was not downloaded")
	}
	raw, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Item string `json:"item"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.Item != "E-CHI-03-01" {
		t.Fatalf("the download is not the item's bundle: %v %.200s", err, raw)
	}
	named := filepath.Join(dir, "E-CHI-03-01.bundle.json")
	os.WriteFile(named, raw, 0o644)
	// Offline, with the log's key: the handover carries both passkeys'
	// signatures, each checked against its key's registration in the
	// bundle; the seizure (before the agent had a key) carries none.
	res, err := verify.Verify(raw, verify.Options{TrustedKey: e.d.PublicKey})
	if err != nil {
		t.Fatalf("offline verification of the downloaded bundle: %v", err)
	}
	var handover *verify.Step
	for i, s := range res.Items[0].Events {
		if s.Op == custody.OpTransfer {
			handover = &res.Items[0].Events[i]
		}
	}
	if handover == nil || handover.Signature != verify.SignedAll || len(handover.Signers) != 2 || len(handover.Signers[0].AuthenticatorData) == 0 {
		t.Fatalf("the handover's signatures offline: %+v", handover)
	}
	if _, err := verify.Verify(raw, verify.Options{TrustedKey: e.d.PublicKey, RequireSignatures: true}); err == nil {
		t.Error("--require-signatures passed a bundle whose seizure is unsigned")
	}
	agente.open("/evidencias/E-CHI-03-01/etiqueta")
	agente.waitJS("the label's QR", `!!document.querySelector(".label svg.qr path")`)
	shot(agente, "label")

	court := b.tab(e, "tribunal", lang)
	court.open("/verificar")
	if lang == "en" {
		court.do("English", chromedp.Click(chromedp.CSS("#lang-switch")))
		court.waitJS("English page", `document.documentElement.lang === "en" && !!document.querySelector("#bundle")`)
	}
	court.do("verify", chromedp.SetUploadFiles(chromedp.CSS("#bundle"), []string{named}), chromedp.Click(chromedp.CSS("#verify-submit")))
	court.waitJS("the verdict", `!!document.querySelector(".verdict.ok")`)
	v := court.eval(`document.querySelector("#verdict").innerText`)
	signedBoth := "firmado por: pn.s-chi-03.lead (clave "
	if lang == "en" {
		signedBoth = "signed by: pn.s-chi-03.lead (key "
	}
	for _, want := range []string{court.T("verify.ok_internal"), "E-CHI-03-01", court.W("op", "custody.transfer"), "cust.chi", signedBoth} {
		if !strings.Contains(v, want) {
			t.Errorf("the verdict lacks %q:\n%s", want, v)
		}
	}
	shot(court, "verify")
	// A bundle changed by one byte is refused, in plain words.
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, []byte(strings.Replace(string(raw), "PN-200001", "PN-200009", 1)), 0o644)
	court.do("verify tampered", chromedp.SetUploadFiles(chromedp.CSS("#bundle"), []string{tampered}), chromedp.Click(chromedp.CSS("#verify-submit")))
	court.waitJS("the refusal", `!!document.querySelector(".verdict.bad")`)
	if shots {
		shot(court, "verify-bad")
	}

	// Detentions, audit and access pages.
	fiscal.open("/casos/METASTASIS/detenciones")
	fiscal.waitJS("D-CHI-03-01 listed", `!!document.querySelector("#det-D-CHI-03-01")`)
	shot(fiscal, "detentions")
	fiscal.open("/casos/METASTASIS/accesos")
	fiscal.waitText("tbody", "agente")
	shot(fiscal, "access")
	auditor := b.tab(e, "auditora", lang)
	auditor.login("auditora")
	auditor.open("/auditoria")
	auditor.do("run the audit", chromedp.Click(chromedp.CSS("#audit-submit")))
	auditor.waitJS("the audit result", `!!document.querySelector("#audit-result.ok-text")`)
	shot(auditor, "audit")

	// (7) A non-member gets "not found".
	ajeno := b.tab(e, "ajeno", lang)
	ajeno.login("ajeno")
	ajeno.open("/casos/METASTASIS")
	ajeno.waitText("h1", ajeno.T("error.not_found"))
	shot(ajeno, "not-found")

	// Sign out.
	agente.do("sign out", chromedp.Click(chromedp.CSS("#logout")))
	agente.waitJS("the sign-in page", `location.pathname === "/entrar"`)
	agente.open("/casos/METASTASIS")
	agente.waitJS("signed out", `location.pathname === "/entrar"`)
}
