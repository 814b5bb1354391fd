package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custodia-ec/custodia/internal/terminates"
)

// hangBundle is the self-signed bundle of issue 12 (see verify's testdata).
func hangBundle(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "verify", "testdata", "bundle-hang.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyPageHangBundle: the bundle that once pinned a core per post is
// answered at once, by anyone, with a refusal that names the event; twice,
// as in the attack, and the page still answers after.
func TestVerifyPageHangBundle(t *testing.T) {
	e := newEnv(t)
	data := hangBundle(t)
	for i := range 2 {
		var st int
		var body string
		terminates.Within(t, data, func() { st, body = postFile(t, e, "/verificar", "bundle", "hang.json", data) })
		if st != 200 || !strings.Contains(body, `class="verdict bad"`) || !strings.Contains(body, "no está bien formado") {
			t.Fatalf("post %d: %d %.400s", i+1, st, body)
		}
	}
}

// TestVerifyPageBudget: a verification past its time budget is answered as
// not verified, saying so; with every slot taken, one more bundle is
// answered 503 at once, in Spanish and English, and is verified again once
// a slot is free; an upload over the verification body limit is 413.
func TestVerifyPageBudget(t *testing.T) {
	e := newEnvConfig(t, Config{VerifyTimeout: time.Nanosecond, VerifyConcurrency: 1, VerifyMaxBody: 4 << 10})
	c := e.client()
	c.login("fiscal")
	st, bundle, _ := c.do("GET", "/api/v1/items/E-PIC-01-01/bundle", nil, nil)
	if st != 200 {
		t.Fatalf("bundle: %d", st)
	}
	if len(bundle) > 4<<10 {
		t.Fatalf("the test bundle is %d bytes, over the limit the test sets", len(bundle))
	}
	st, body := postFile(t, e, "/verificar", "bundle", "b.json", []byte(bundle))
	if st != 200 || !strings.Contains(body, `class="verdict bad"`) || !strings.Contains(body, "superó el tiempo permitido") {
		t.Errorf("past the time budget: %d %.400s", st, body)
	}

	e.w.verifySlots <- struct{}{} // another verification under way
	for _, lang := range []struct{ accept, want string }{{"es", "intente de nuevo"}, {"en", "try again"}} {
		req := multipartRequest(t, e.url+"/verificar", []byte(bundle))
		req.AddCookie(&http.Cookie{Name: LangCookie, Value: lang.accept})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(b.String(), lang.want) {
			t.Errorf("%s, every slot taken: %d, Retry-After %q, %.400s", lang.accept, resp.StatusCode, resp.Header.Get("Retry-After"), b.String())
		}
	}
	<-e.w.verifySlots
	if st, body := postFile(t, e, "/verificar", "bundle", "b.json", []byte(bundle)); st != 200 || !strings.Contains(body, `class="verdict`) {
		t.Errorf("slot free again: %d %.300s", st, body)
	}

	if st, _ := postFile(t, e, "/verificar", "bundle", "b.json", bytes.Repeat([]byte(" "), 8<<10)); st != 413 {
		t.Errorf("over the verification body limit: %d", st)
	}
}

func multipartRequest(t *testing.T, url string, data []byte) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("bundle", "b.json")
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// TestVerifyPageBadKey: a typo in the optional key is reported as a bad key
// on the key field, not as an invalid bundle; a failed check is named in
// words, never by its code.
func TestVerifyPageBadKey(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	st, bundle, _ := c.do("GET", "/api/v1/items/E-PIC-01-01/bundle", nil, nil)
	if st != 200 {
		t.Fatalf("bundle: %d", st)
	}
	typo := strings.Replace(e.s.PublicKey(), "+", "-", 1)
	status, body := postBundleKey(t, e, []byte(bundle), typo[:len(typo)-3], true)
	var res fetchResult
	json.Unmarshal([]byte(body), &res)
	if status != 400 || res.Error == nil || res.Error.Field != "key" || !strings.Contains(res.Error.Message, "clave pública indicada no es válida") ||
		strings.Contains(body, "NO es válido") {
		t.Errorf("a mistyped key: %d %s", status, body)
	}

	// A bundle that fails a check: the check is named in Spanish.
	var m map[string]any
	json.Unmarshal([]byte(bundle), &m)
	m["checkpoint"] = strings.Replace(m["checkpoint"].(string), "\n1", "\n2", 1)
	bad, _ := json.Marshal(m)
	_, body = postFile(t, e, "/verificar", "bundle", "b.json", bad)
	if !strings.Contains(body, `class="verdict bad"`) || !strings.Contains(body, "Comprobación que falló: checkpoint firmado") {
		t.Errorf("the failed check is not named in words: %.2000s", body)
	}
}

// TestVerifyPageHeadline: without a key the verdict's headline says only
// internal consistency was shown; with the server's key, authentic.
func TestVerifyPageHeadline(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	st, bundle, _ := c.do("GET", "/api/v1/items/E-PIC-01-01/bundle", nil, nil)
	if st != 200 {
		t.Fatalf("bundle: %d", st)
	}
	_, body := postFile(t, e, "/verificar", "bundle", "b.json", []byte(bundle))
	if !strings.Contains(body, "Solo consistencia interna") || strings.Contains(body, "✔ Auténtico") {
		t.Errorf("without a key: %.600s", body)
	}
	_, withKey := postBundleKey(t, e, []byte(bundle), e.s.PublicKey(), false)
	if !strings.Contains(withKey, "✔ Auténtico") || strings.Contains(withKey, "Solo consistencia interna") {
		t.Errorf("with the server's key: %.600s", withKey)
	}
}

// postBundleKey posts a bundle with a key to /verificar, as the page's
// script does when fetch is set.
func postBundleKey(t *testing.T, e *testEnv, bundle []byte, key string, fetch bool) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("bundle", "b.json")
	fw.Write(bundle)
	mw.WriteField("key", key)
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+"/verificar", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if fetch {
		req.Header.Set("X-Requested-With", "fetch")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestVerifyPageVerdictZone: the verdict's text shows each act's time in
// the zone the pages show times in, as the event list beside it does, not
// in the offset the record was written with (UTC for an act recorded live).
func TestVerifyPageVerdictZone(t *testing.T) {
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvConfig(t, Config{Zone: madrid})
	c := e.client()
	c.login("fiscal")
	st, bundle, _ := c.do("GET", "/api/v1/items/E-PIC-01-01/bundle", nil, nil)
	if st != 200 {
		t.Fatalf("bundle: %d", st)
	}
	_, body := postBundleKey(t, e, []byte(bundle), e.s.PublicKey(), false)
	// The seizure, 2023-12-14T04:00:00-05:00 in the case file.
	if !strings.Contains(body, "2023-12-14T10:00:00&#43;01:00  incautación") || strings.Contains(body, "T04:00:00-05:00") {
		t.Errorf("the verdict's times are not in the pages' zone: %s", body)
	}
}
