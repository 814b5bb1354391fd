package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/verify"
	"github.com/custodia-ec/custodia/verify/report"
)

type verifyData struct {
	Done    bool
	OK      bool
	Name    string
	Text    string // the verdict in plain language, as the CLI writes it
	Result  *verify.Result
	Failure string
	Check   string
	Key     string
	// ServerKey is the key this server publishes, shown for comparison:
	// a court should take it from the operator's publication, not from
	// the page.
	ServerKey string
}

func (w *Web) verifyPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	return w.render(rw, r, p, "verify", "verify.title", &verifyData{ServerKey: w.s.PublicKey()})
}

// verifyPost runs the CLI's verifier (verify.Verify, then WriteText) on an
// uploaded bundle. The bundle is read into memory, bounded by the body
// limit (Config.VerifyMaxBody), and dropped after the answer: nothing
// uploaded is stored. The verification itself runs in one of
// Config.VerifyConcurrency slots, taken after the upload is read so that a
// slow sender holds none, and within Config.VerifyTimeout.
func (w *Web) verifyPost(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var data []byte
	var name string
	key := strings.TrimSpace(r.FormValue("key"))
	if f, fh, err := r.FormFile("bundle"); err == nil {
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return err
		}
		name = fh.Filename
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return err
		}
		return invalid("bundle", "no se pudo leer el archivo enviado", "could not read the uploaded file")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return invalid("bundle", "elija un archivo de paquete (.json)", "choose a bundle file (.json)")
	}
	// A typo in the optional key is a bad key, not a bad bundle.
	if key != "" {
		if _, err := note.NewVerifier(key); err != nil {
			return invalid("key", "la clave pública indicada no es válida: debe ser una clave de verificador completa (nombre+hash+clave, como la del servidor más abajo); revísela o deje el campo vacío",
				"the public key given is not valid: it must be a whole verifier key (name+hash+key, like the server's below); check it or leave the field empty")
		}
	}
	select {
	case w.verifySlots <- struct{}{}:
		defer func() { <-w.verifySlots }()
	default:
		return custody.Errorf(custody.EBusy, "", "el servidor está verificando otros paquetes; intente de nuevo en un momento",
			"the server is verifying other bundles; try again in a moment")
	}
	ctx, cancel := context.WithTimeout(r.Context(), w.cfg.VerifyTimeout)
	defer cancel()
	d := &verifyData{Done: true, Name: name, Key: key, ServerKey: w.s.PublicKey()}
	l := lang(r)
	res, err := verify.VerifyContext(ctx, data, verify.Options{TrustedKey: key, Now: w.now()})
	if err != nil {
		var ve *verify.Error
		var ce *custody.Error
		switch {
		case errors.As(err, &ve):
			d.Failure, d.Check = ve.Localized(l), ve.Check
		case errors.As(err, &ce):
			d.Failure = ce.Localized(l)
		default:
			d.Failure = err.Error()
		}
	} else {
		var b strings.Builder
		if err := report.WriteIn(&b, res, l, w.cfg.Zone); err != nil {
			return err
		}
		d.OK, d.Text, d.Result = true, b.String(), res
	}
	if isFetch(r) {
		var b strings.Builder
		if err := w.pages["verify"].ExecuteTemplate(&b, "verdict", w.newView(r, p, "", d)); err != nil {
			return err
		}
		gateway.WriteJSON(rw, http.StatusOK, fetchResult{HTML: b.String(), Target: "verdict"})
		return nil
	}
	return w.render(rw, r, p, "verify", "verify.title", d)
}
