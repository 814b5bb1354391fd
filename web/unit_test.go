package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"image"
	"image/color"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/court/courtdoc"
	"github.com/custodia-ec/custodia/internal/qrscan"
)

// TestLabelQR draws the label's QR as SVG, reads the squares back into an
// image, and decodes it: the payload is courtdoc's, item id and leaf.
func TestLabelQR(t *testing.T) {
	lb := courtdoc.Label{ItemID: "E-CHI-03-01", LogOrigin: "custodia.test/web", Leaf: 1092}
	svg, err := qrSVG(lb.Payload())
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`viewBox="0 0 (\d+) `).FindStringSubmatch(string(svg))
	if m == nil {
		t.Fatalf("no viewBox: %.100s", svg)
	}
	n, _ := strconv.Atoi(m[1])
	const scale = 6
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for _, sq := range regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`).FindAllStringSubmatch(string(svg), -1) {
		x, _ := strconv.Atoi(sq[1])
		y, _ := strconv.Atoi(sq[2])
		for dy := range scale {
			for dx := range scale {
				img.Set(x*scale+dx, y*scale+dy, color.Gray{0})
			}
		}
	}
	text, err := qrscan.Decode(img, image.Rectangle{}, false)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	got, err := courtdoc.ParseLabelPayload(text)
	if err != nil {
		t.Fatal(err)
	}
	if got.ItemID != lb.ItemID || got.Leaf != lb.Leaf || got.LogOrigin != lb.LogOrigin {
		t.Errorf("decoded %+v, want %+v", got, lb)
	}
}

// TestUndefinedTemplateFailsStart: a page calling a template nobody
// defines is refused when the templates are parsed, not when served.
func TestUndefinedTemplateFailsStart(t *testing.T) {
	good := template.Must(template.New("a").Parse(`{{define "content"}}{{if 1}}{{template "x"}}{{end}}{{end}}{{define "x"}}x{{end}}`))
	if err := checkCalls(good); err != nil {
		t.Errorf("defined template refused: %v", err)
	}
	bad := template.Must(template.New("a").Parse(`{{define "content"}}{{range .}}{{with .}}{{template "missing"}}{{end}}{{end}}{{end}}`))
	if err := checkCalls(bad); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("undefined template accepted: %v", err)
	}
}

func postFile(t *testing.T, e *testEnv, path, field, name string, data []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestVerifyPage runs the verifier on uploads with no account: a real
// bundle passes, one changed byte fails with the check named, garbage is a
// plain error, and an upload over the body limit is refused.
func TestVerifyPage(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("fiscal")
	st, bundle, _ := c.do("GET", "/api/v1/items/E-PIC-01-01/bundle", nil, nil)
	if st != 200 {
		t.Fatalf("bundle: %d", st)
	}
	for _, path := range []string{"/verificar", "/verify"} {
		st, body := postFile(t, e, path, "bundle", "b.json", []byte(bundle))
		if st != 200 || !strings.Contains(body, `class="verdict ok"`) || !strings.Contains(body, "E-PIC-01-01") {
			t.Errorf("%s: a real bundle: %d %.300s", path, st, body)
		}
	}
	var b map[string]any
	json.Unmarshal([]byte(bundle), &b)
	evs := b["events"].([]any)
	ev := evs[0].(map[string]any)
	for k, v := range ev {
		if s, ok := v.(string); ok && len(s) > 20 && k != "proof" {
			ev[k] = strings.Replace(s, "a", "b", 1)
			break
		}
	}
	bad, _ := json.Marshal(b)
	if st, body := postFile(t, e, "/verificar", "bundle", "b.json", bad); st != 200 || !strings.Contains(body, `class="verdict bad"`) {
		t.Errorf("a changed bundle: %d %.300s", st, body)
	}
	if st, body := postFile(t, e, "/verificar", "bundle", "b.json", []byte("no soy json")); st != 200 || !strings.Contains(body, `class="verdict bad"`) {
		t.Errorf("garbage: %d %.300s", st, body)
	}
	if st, _ := postFile(t, e, "/verificar", "bundle", "b.json", bytes.Repeat([]byte("x"), 2<<20)); st != 413 {
		t.Errorf("an upload over the limit: %d", st)
	}
	if st, body := postFile(t, e, "/verificar", "other", "b.json", []byte("{}")); st != 400 || !strings.Contains(body, "paquete") {
		t.Errorf("no file: %d %.200s", st, body)
	}
}
