package web

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSignInCrossSiteBrowser: in real Chromium, a page of another site
// (127.0.0.1 on another port, while the server is opened as localhost)
// posts the auditor's account and password (no TOTP step: the password
// alone signs in) to /entrar as soon as it loads. The browser lands on the
// refusal, in Spanish, and holds no session: /casos sends it to the
// sign-in page. The same browser then signs in through the pages as usual.
func TestSignInCrossSiteBrowser(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	b.minRequests = 5
	target := strings.Replace(e.url, "127.0.0.1", "localhost", 1) + "/entrar"
	form := fmt.Sprintf(`<!doctype html><title>premio</title><form id="f" method="post" action="%s">
<input name="account" value="auditora"><input name="password" value="%s"><input name="next" value="/casos"></form>
<script>document.getElementById("f").submit()</script>`, html.EscapeString(target), html.EscapeString(e.users["auditora"].Password))
	evil := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(rw, form)
	}))
	defer evil.Close()

	tb := b.tab(e, "víctima", "es")
	tb.do("open the other site", chromedp.Navigate(evil.URL))
	tb.waitJS("the refusal", `location.pathname === "/entrar" && !!document.body && document.body.innerText.includes("ingreso rechazado: la petición viene de otro sitio")`)
	tb.open("/casos")
	if p := tb.eval(`location.pathname`); p != "/entrar" {
		t.Fatalf("after the other site's post, /casos is at %s: the browser holds a session", p)
	}
	tb.login("auditora")
}
