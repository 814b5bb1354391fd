package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/custodia-ec/custodia/domain"
)

// TestSeizurePhotoStored: a photo sent with the seizure form is stored in
// the evidence file store, byte for byte, and recorded as an attachment with
// its SHA-256; a site team member does it from the phone page.
func TestSeizurePhotoStored(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("agente")
	c.do("GET", "/sitios/S-CHI-03", nil, nil) // for the CSRF token
	photo := bytes.Repeat([]byte("JPEG-foto-del-telefono-"), 4000)
	sum := sha256.Sum256(photo)
	want := hex.EncodeToString(sum[:])

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf_token": c.csrf, "id": "E-CHI-03-99", "type": "phone", "description": "Teléfono con foto",
		"seized_at": e.now().In(e.w.cfg.Zone).Format("2006-01-02T15:04"), "seal": "PN-299999"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("photos", "telefono.jpg")
	fw.Write(photo)
	mw.Close()
	req, _ := http.NewRequest("POST", e.url+"/sitios/S-CHI-03/secuestro", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("seizure with a photo: %d %.300s", resp.StatusCode, b)
	}
	rc, err := e.d.Blobs.Get(context.Background(), want)
	if err != nil {
		t.Fatalf("the photo is not in the file store: %v", err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(stored, photo) {
		t.Fatal("the stored photo differs from the one sent")
	}
	found := false
	e.d.Ledger.View(func(st *domain.State) error {
		for _, a := range st.Attachments {
			if a.Item == "E-CHI-03-99" && a.SHA256 == want && strings.HasSuffix(a.Name, ".jpg") {
				found = true
			}
		}
		return nil
	})
	if !found {
		t.Error("no attachment of the photo's SHA-256 was recorded")
	}
}
