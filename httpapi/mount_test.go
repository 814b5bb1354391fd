package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
)

// TestMountWebRoute mounts a page the way package web will: a form post on
// the same Server, with HTML errors, protected by the session's CSRF token
// in the csrf_token form field.
func TestMountWebRoute(t *testing.T) {
	e := newEnv(t)
	admin := e.account("root", "admin", "")
	e.s.gw.Handle(gateway.Route{Method: "POST", Path: "/web/echo", Summary: "test page", Access: gateway.Account, NoDoc: true,
		Handle: func(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
			fmt.Fprintf(w, "<p>hola %s</p>", p.Account)
			return nil
		},
		Error: func(w http.ResponseWriter, r *http.Request, err error) {
			ce, st := gateway.ErrorOf(err)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(st)
			fmt.Fprintf(w, "<p class=error>%s</p>", ce.Localized(gateway.Lang(r)))
		}})
	c := e.browser()
	if st := c.login("root", admin.Password, totpAt(admin.TOTPSecret, 0)); st != 200 {
		t.Fatal(st)
	}
	post := func(form url.Values) (int, string) {
		resp, err := c.c.Post(e.ts.URL+"/web/echo", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(readAll(resp))
	}
	if st, body := post(url.Values{"x": {"1"}}); st != 403 || !strings.Contains(body, "class=error") || !strings.Contains(body, "CSRF") {
		t.Errorf("form post without CSRF token: %d %s", st, body)
	}
	if st, body := post(url.Values{"csrf_token": {"forged"}}); st != 403 {
		t.Errorf("form post with a forged token: %d %s", st, body)
	}
	if st, body := post(url.Values{"csrf_token": {c.csrf}}); st != 200 || body != "<p>hola root</p>" {
		t.Errorf("form post with the session's token: %d %s", st, body)
	}
	resp, err := http.Post(e.ts.URL+"/web/echo", "application/x-www-form-urlencoded", strings.NewReader("a=b"))
	if err != nil {
		t.Fatal(err)
	}
	if readAll(resp); resp.StatusCode != 401 {
		t.Errorf("anonymous form post: %d", resp.StatusCode)
	}
}
