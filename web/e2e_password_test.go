package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestFirstSignInChangesPassword is a new user's first sign-in in the
// browser, with the one-time password `serve --demo` printed: the pages
// lead to the change form, a mistake is explained there, and after the
// change the user lands on the case list.
func TestFirstSignInChangesPassword(t *testing.T) {
	e := newEnv(t)
	na := e.newcomer("demo-auditor", "auditor", "")
	b := newBrowser(t)
	tb := b.tab(e, "demo-auditor", "es")
	tb.open("/entrar")
	tb.do("password step", chromedp.SetValue(chromedp.CSS("#account"), "demo-auditor"), chromedp.SetValue(chromedp.CSS("#password"), na.Password),
		chromedp.Click(chromedp.CSS("#login-submit")))
	tb.waitJS("the change form", `location.pathname === "/cuenta/clave" && !!document.querySelector("#password-required")`)
	tb.checkPage("password form")
	tb.shot("password-required")
	// Any other page leads back to the form.
	tb.open("/casos/METASTASIS")
	tb.waitJS("the change form again", `location.pathname === "/cuenta/clave"`)
	good := "una frase bastante larga 7"
	tb.do("a mistake", chromedp.SetValue(chromedp.CSS("#old"), na.Password), chromedp.SetValue(chromedp.CSS("#new"), good),
		chromedp.SetValue(chromedp.CSS("#confirm"), good+"x"), chromedp.Click(chromedp.CSS("#password-submit")))
	tb.waitJS("the mistake explained", `document.body.innerText.includes("no coinciden")`)
	if got := tb.eval(`location.pathname`); got != "/cuenta/clave" {
		t.Errorf("after a mistake the page is %s", got)
	}
	tb.do("the change", chromedp.SetValue(chromedp.CSS("#old"), na.Password), chromedp.SetValue(chromedp.CSS("#new"), good),
		chromedp.SetValue(chromedp.CSS("#confirm"), good), chromedp.Click(chromedp.CSS("#password-submit")))
	tb.waitJS("the case list", `location.pathname === "/casos" && !!document.querySelector("footer")`)
	if body := tb.bodyText(); !strings.Contains(body, "METASTASIS") {
		t.Errorf("the case list after the change does not list the case:\n%s", body)
	}
	tb.checkPage("cases after the change")
	// The pages are open now; the header keeps a way back to the form.
	for _, path := range []string{"/casos/METASTASIS", "/casos/METASTASIS/detenciones", "/auditoria"} {
		tb.open(path)
		if got := tb.eval(`location.pathname`); got != path {
			t.Errorf("%s after the change leads to %s", path, got)
		}
	}
	tb.do("header link", chromedp.Click(chromedp.CSS("#password-link")))
	tb.waitJS("the voluntary form", `location.pathname === "/cuenta/clave" && !document.querySelector("#password-required")`)
}
