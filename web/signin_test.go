package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignInCrossSite: a sign-in that a page of another site makes the
// browser send (login CSRF: the victim would then work in the attacker's
// account) is refused with 403 and a Spanish message, English on an
// English page, and sets no cookie: the password step, the TOTP step, the
// passkey sign-in and the API's sign-in. The same sign-in from the pages'
// own origin goes through, and a program that sends neither header still
// signs in (the other tests' client does).
func TestSignInCrossSite(t *testing.T) {
	e := newEnv(t)
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	same := map[string]string{"Origin": e.url, "Sec-Fetch-Site": "same-origin"}
	refused := func(t *testing.T, what string, st int, body string, h http.Header, msg string) {
		t.Helper()
		if st != http.StatusForbidden || !strings.Contains(body, msg) {
			t.Errorf("%s from another site: %d %.300s, want 403 with %q", what, st, body, msg)
		}
		if c := h.Get("Set-Cookie"); strings.Contains(c, "custodia_session=") {
			t.Errorf("%s from another site set a session cookie: %s", what, c)
		}
	}
	const es = "ingreso rechazado: la petición viene de otro sitio"
	pw := e.users["fiscal"].Password
	creds := url.Values{"account": {"fiscal"}, "password": {pw}, "next": {"/casos"}}

	for name, hdr := range map[string]map[string]string{
		"both headers":        evil,
		"Origin only":         {"Origin": "https://evil.example"},
		"Sec-Fetch-Site only": {"Sec-Fetch-Site": "cross-site"},
		"same-site":           {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.127.0.0.1"},
	} {
		st, body, h := e.client().do("POST", "/entrar", creds, hdr)
		refused(t, "the password step ("+name+")", st, body, h, es)
	}
	en := e.client()
	en.c.Jar.SetCookies(mustURL(t, e.url), []*http.Cookie{{Name: LangCookie, Value: "en"}})
	st, body, h := en.do("POST", "/entrar", creds, evil)
	refused(t, "the password step in English", st, body, h, "sign-in refused: the request comes from another site")

	// From the pages themselves: the password step, then the TOTP step,
	// which refuses another site too.
	c := e.client()
	st, body, h = c.do("POST", "/entrar", creds, same)
	if st == http.StatusOK && strings.Contains(body, `name="step" value="totp"`) {
		m := pendingRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("the TOTP page has no pending sign-in")
		}
		step := url.Values{"pending": {m[1]}, "step": {"totp"}, "totp": {e.totp("fiscal")}, "next": {"/casos"}}
		st2, body2, h2 := c.do("POST", "/entrar", step, evil)
		refused(t, "the TOTP step", st2, body2, h2, es)
		st, body, h = c.do("POST", "/entrar", step, same)
	} else {
		t.Error("a prosecutor signed in without the TOTP step")
	}
	if st != http.StatusSeeOther || !strings.Contains(h.Get("Set-Cookie"), "custodia_session=") {
		t.Fatalf("sign-in from the pages: %d %.300s", st, body)
	}
	if st, _, _ := c.do("GET", "/casos", nil, nil); st != 200 {
		t.Errorf("signed in from the pages, /casos: %d", st)
	}

	// The passkey sign-in and its challenge, and the API's sign-in.
	for _, path := range []string{"/entrar/llave/reto", "/entrar/llave"} {
		st, body, h := e.client().do("POST", path, url.Values{}, evil)
		refused(t, path, st, body, h, es)
	}
	req, _ := http.NewRequest("POST", e.url+"/api/v1/login", strings.NewReader(`{"account":"fiscal","password":"`+pw+`"}`))
	req.Header.Set("Content-Type", "text/plain")
	for k, v := range evil {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || strings.Contains(resp.Header.Get("Set-Cookie"), "custodia_session=") {
		t.Errorf("the API's sign-in from another site: %d, cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
