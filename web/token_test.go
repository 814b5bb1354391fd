package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/app"
)

// TestPagesWithToken calls every page route with an API token instead of
// a session, as a script might: none may fail the server (a handler that
// reads the session it does not have panicked, and the client saw the
// connection reset). The passkey enrolment's routes keep their state with
// the browser's session, so a token is refused there with 403 and a
// message in Spanish and English; the rest answer as they answer anyone.
func TestPagesWithToken(t *testing.T) {
	e := newEnv(t)
	tok, err := app.IssueToken(context.Background(), app.LedgerAppender(e.d.Ledger, "system:test", e.now), e.d.Store.Credentials(), e.now, "fiscal", app.TokenRequest{Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	sessionOnly := map[string]bool{"/cuenta/llaves/opciones": true, "/cuenta/llaves/registrar": true, "/cuenta/llaves/prueba": true}
	args := strings.NewReplacer("{case}", "METASTASIS", "{operation}", "OP-METASTASIS", "{site}", "S-CHI-01", "{item}", "E-PIC-01-01",
		"{key}", "k", "{handover}", "H-1", "{decision}", "1", "{action}", "abrir", "{file}", "x", "{$}", "")
	for _, rt := range e.w.routes() {
		path := args.Replace(rt.Path)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			call := func(en bool) (int, string) {
				var body io.Reader
				if rt.Method == "POST" {
					body = strings.NewReader("{}")
				}
				req, err := http.NewRequest(rt.Method, e.url+path, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+tok.Token)
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				if en {
					req.AddCookie(&http.Cookie{Name: LangCookie, Value: "en"})
				}
				resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
				if err != nil {
					t.Fatalf("no answer (the handler failed the server?): %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			st, b := call(false)
			if st >= 500 {
				t.Errorf("%d %.300s", st, b)
			}
			if sessionOnly[rt.Path] != rt.SessionOnly {
				t.Errorf("SessionOnly is %v, want %v", rt.SessionOnly, sessionOnly[rt.Path])
			}
			if !rt.SessionOnly {
				return
			}
			if st != http.StatusForbidden || !strings.Contains(b, "en el navegador, con una sesión iniciada, no con un token de la API") {
				t.Errorf("a token on a session's route: %d %.300s, want 403 saying so", st, b)
			}
			if st, b := call(true); st != http.StatusForbidden || !strings.Contains(b, "in the browser, in a signed-in session, not with an API token") {
				t.Errorf("in English: %d %.300s, want 403 saying so", st, b)
			}
		})
	}
}
