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
