package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/domain"
)

// postFile sends the upload page's form without its script: the file in
// one multipart request.
func (c *client) postFile(path, name string, data []byte, fields map[string]string) (int, string) {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", c.csrf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Requested-With", "fetch")
	req.Header.Set("Accept", "application/json")
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *testEnv) attachments(item string) []*domain.Attachment {
	var out []*domain.Attachment
	e.d.Ledger.View(func(st *domain.State) error {
		for _, a := range st.Attachments {
			if a.Item == item {
				out = append(out, a)
			}
		}
		return nil
	})
	return out
}

// TestUploadPage: the upload page of an item lists its files with whether
// the bytes are stored; without its script the form takes the file in one
// request (stored byte for byte, logged with its hash); with it, the server
// prepares the act to be signed and records nothing; need-to-know, the
// size limit and an empty form are answered with errors that name the
// field.
func TestUploadPage(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("agente")
	c.do("GET", "/sitios/S-CHI-03", nil, nil)
	at := e.now().In(e.w.cfg.Zone).Format("2006-01-02T15:04")
	if code, b, _ := c.do("POST", "/sitios/S-CHI-03/secuestro", url.Values{"csrf_token": {c.csrf}, "id": {"E-CHI-03-77"}, "type": {"storage"},
		"description": {"Disco externo"}, "seized_at": {at}, "seal": {"PN-277777"}}, nil); code >= 400 {
		t.Fatalf("seizure: %d %.300s", code, b)
	}
	const item = "E-CHI-03-77"
	code, page, _ := c.do("GET", "/evidencias/"+item+"/subir", nil, nil)
	if code != 200 || !strings.Contains(page, `id="form-upload"`) || !strings.Contains(page, `id="no-files"`) || !strings.Contains(page, "Anexar un archivo") {
		t.Fatalf("the upload page: %d %.400s", code, page)
	}
	if _, ip, _ := c.do("GET", "/evidencias/"+item, nil, nil); !strings.Contains(ip, `href="/evidencias/`+item+`/subir"`) {
		t.Error("the item page has no link to its upload page")
	}

	// Without the script: the file in one request.
	data := bytes.Repeat([]byte("imagen forense parcial "), 50000)
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	if code, b := c.postFile("/evidencias/"+item+"/subir", "C:\\evidencia\\disco.img", data, map[string]string{"at": at}); code != 200 || !strings.Contains(b, `/evidencias/`+item+`/subir`) {
		t.Fatalf("the file without the script: %d %.300s", code, b)
	}
	atts := e.attachments(item)
	if len(atts) != 1 || atts[0].SHA256 != want || atts[0].Name != "disco.img" || atts[0].Size == nil || *atts[0].Size != int64(len(data)) || atts[0].By != "pn.s-chi-03.lead" {
		t.Fatalf("the attachment logged: %+v", atts)
	}
	rc, err := e.d.Blobs.Get(context.Background(), want)
	if err != nil {
		t.Fatalf("the file is not in the store: %v", err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(stored, data) {
		t.Fatal("the stored file differs from the one sent")
	}
	if _, page, _ = c.do("GET", "/evidencias/"+item+"/subir", nil, nil); !strings.Contains(page, `data-sha256="`+want+`" data-stored="1"`) || !strings.Contains(page, "archivo guardado") {
		t.Errorf("the page does not list the stored file: %.2000s", page)
	}

	// With the script: _prepare answers the act to sign and logs nothing.
	n := len(e.attachments(item))
	size := int64(123456)
	code, b, _ := c.do("POST", "/evidencias/"+item+"/subir", url.Values{"csrf_token": {c.csrf}, "_prepare": {"1"}, "name": {"foto.jpg"}, "media_type": {"image/jpeg"},
		"at": {at}, "size": {strconv.FormatInt(size, 10)}, "sha256": {strings.Repeat("ab", 32)}}, map[string]string{"X-Requested-With": "fetch", "Accept": "application/json"})
	var prep struct {
		Sign struct {
			Acts []struct {
				Op, Record, Challenge string
				Signers               []struct{ Role, Officer string }
			}
		}
	}
	if code != 200 || json.Unmarshal([]byte(b), &prep) != nil || len(prep.Sign.Acts) != 1 {
		t.Fatalf("prepare: %d %.400s", code, b)
	}
	a := prep.Sign.Acts[0]
	if a.Op != "evidence.attach" || !strings.Contains(a.Record, `"sha256":"`+strings.Repeat("ab", 32)+`"`) || !strings.Contains(a.Record, `"size":123456`) ||
		a.Challenge == "" || len(a.Signers) != 1 || a.Signers[0].Officer != "pn.s-chi-03.lead" {
		t.Errorf("the act to sign: %+v", a)
	}
	if len(e.attachments(item)) != n {
		t.Error("preparing logged an attachment")
	}

	// Errors name their field, in the page's language.
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"_prepare": {"1"}, "name": {"x"}, "size": {"muchos"}, "sha256": {want}}, "size"},
		{url.Values{"_prepare": {"1"}, "name": {"x"}, "size": {"1"}, "sha256": {"no-es-un-hash"}}, "sha256"},
		{url.Values{"_prepare": {"1"}, "name": {"x"}, "size": {"99999999999999"}, "sha256": {want}}, "file"},
		{url.Values{"_prepare": {"1"}, "size": {"1"}, "sha256": {want}}, "name"},
		{url.Values{}, "file"},
	} {
		tc.form.Set("csrf_token", c.csrf)
		code, b, _ := c.do("POST", "/evidencias/"+item+"/subir", tc.form, map[string]string{"X-Requested-With": "fetch", "Accept": "application/json"})
		var r struct {
			Error struct{ Field, Message string }
		}
		if code < 400 || json.Unmarshal([]byte(b), &r) != nil || r.Error.Field != tc.field || r.Error.Message == "" {
			t.Errorf("%v: %d %.300s (want field %s)", tc.form, code, b, tc.field)
		}
	}
	if len(e.attachments(item)) != n {
		t.Error("a refused form logged an attachment")
	}

	// Need-to-know: an agent outside the case sees no such item, and
	// cannot attach to it.
	o := e.client()
	o.login("ajeno")
	if code, _, _ := o.do("GET", "/evidencias/"+item+"/subir", nil, nil); code != http.StatusNotFound {
		t.Errorf("an outsider's view of the upload page: %d", code)
	}
	o.do("GET", "/casos", nil, nil)
	if code, _ := o.postFile("/evidencias/"+item+"/subir", "x.bin", []byte("x"), nil); code != http.StatusNotFound {
		t.Errorf("an outsider's upload: %d", code)
	}
	// An auditor reads the page but is offered no form.
	au := e.client()
	au.login("auditora")
	if code, page, _ := au.do("GET", "/evidencias/"+item+"/subir", nil, nil); code != 200 || strings.Contains(page, `id="form-upload"`) {
		t.Errorf("the auditor's upload page: %d, form shown: %v", code, strings.Contains(page, `id="form-upload"`))
	}
	if len(e.attachments(item)) != n {
		t.Error("an outsider logged an attachment")
	}
}
