package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/internal/testdeploy"
)

// TestSecureBehindProxy: behind a proxy that terminates TLS, the request
// reaches the server in plain HTTP; with an https public URL configured the
// session cookie is still Secure and HSTS is sent, and without one it is
// not (a plain-HTTP deployment on loopback keeps working).
func TestSecureBehindProxy(t *testing.T) {
	d := testdeploy.New(t, testdeploy.Clock(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)))
	for _, tc := range []struct {
		url    string
		secure bool
	}{
		{"https://custodia.example.org", true},
		{"", false},
		{"http://10.0.0.5:8080", false},
	} {
		svc, err := app.New(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicURL: tc.url})
		if err != nil {
			t.Fatal(err)
		}
		gw := gateway.New(svc)
		sess := svc.Sessions.New("someone")
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "http://127.0.0.1/entrar", nil) // plain HTTP from the proxy
		gw.SetCookie(rec, req, sess)
		c := rec.Result().Cookies()
		if len(c) != 1 || c[0].Secure != tc.secure || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("public URL %q: cookie %+v, want Secure=%v, HttpOnly, SameSite=Strict", tc.url, c, tc.secure)
		}
		rec = httptest.NewRecorder()
		gw.Handler().ServeHTTP(rec, req)
		if hsts := rec.Header().Get("Strict-Transport-Security"); (hsts != "") != tc.secure || (tc.secure && !strings.Contains(hsts, "max-age=")) {
			t.Errorf("public URL %q: HSTS %q", tc.url, hsts)
		}
	}
}

// TestCheckSameOrigin: a sign-in passes when the browser says it comes
// from this server's own pages (Sec-Fetch-Site same-origin or none; Origin
// this server's scheme and host, or the public URL's behind a proxy) or
// says nothing (a program), and is refused, in Spanish and English, when
// either header says another site sent it.
func TestCheckSameOrigin(t *testing.T) {
	d := testdeploy.New(t, testdeploy.Clock(time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)))
	for _, tc := range []struct {
		name, publicURL, site, origin string
		ok                            bool
	}{
		{"no headers (a program)", "", "", "", true},
		{"same origin", "", "same-origin", "http://127.0.0.1:8080", true},
		{"started by the user", "", "none", "", true},
		{"Origin only, this server", "", "", "http://127.0.0.1:8080", true},
		{"Origin only, https to this host (a proxy ends TLS)", "", "", "https://127.0.0.1:8080", true},
		{"behind a proxy, the public URL", "https://custodia.example.org", "same-origin", "https://custodia.example.org", true},
		{"cross-site", "", "cross-site", "https://evil.example", false},
		{"cross-site, no Origin", "", "cross-site", "", false},
		{"same-site (a sibling host)", "", "same-site", "http://other.127.0.0.1:8080", false},
		{"another Origin only", "", "", "https://evil.example", false},
		{"Origin null from the pages (no-referrer)", "", "same-origin", "null", true},
		{"Origin null, nothing else", "", "", "null", true},
		{"Origin null, cross-site", "", "cross-site", "null", false},
		{"another port", "", "", "http://127.0.0.1:9090", false},
		{"same-origin but another Origin", "", "same-origin", "https://evil.example", false},
		{"https known, http Origin", "https://custodia.example.org", "", "http://custodia.example.org", false},
		{"public URL elsewhere, Origin of the request's host over https", "https://custodia.example.org", "", "https://127.0.0.1:8080", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := app.New(app.Config{Ledger: d.Ledger, Credentials: d.Store.Credentials(), PublicURL: tc.publicURL})
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", "http://127.0.0.1:8080/entrar", nil)
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			err = gateway.New(svc).CheckSameOrigin(req)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckSameOrigin = %v, want ok %v", err, tc.ok)
			}
			if err != nil {
				ce, status := gateway.ErrorOf(err)
				if status != http.StatusForbidden || !strings.Contains(ce.Message, "viene de otro sitio") || !strings.Contains(ce.MessageEN, "comes from another site") {
					t.Errorf("refusal %d %q / %q", status, ce.Message, ce.MessageEN)
				}
			}
		})
	}
}
