package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/storage/blob"
)

// The upload page (issue 18, point 6): a file of an evidence item — a
// photo, a scan, a forensic image — attached from the ordinary web.
//
// With the page's script, the browser hashes the file in slices (never
// whole in memory), the server prepares the evidence.attach act (its
// digest, who signs), the officer's passkey signs it, and the bytes go up
// by the API's resumable uploads (tus), in chunks that resume from the
// offset the server reports after a cut. The act is logged only when the
// last byte is in and the bytes hash to the signed hash.
//
// Without the script, the same form posts the file in one multipart
// request of at most uploadFormMax bytes: the server hashes it, stores it
// and logs the act, unsigned, which the write path accepts only from an
// officer without a key (an officer with a key must sign every act).

// uploadFormMax is the largest file the page takes without its script.
const uploadFormMax = 64 << 20

// uploadChunk is the size of each PATCH of the page's resumable upload.
const uploadChunk = 4 << 20

type uploadData struct {
	Item        app.ItemView
	Attachments []attachmentRow
	CanAttach   bool
	Chunk       int64
	FormMax     int64
	Now         string // for the time field, in the form's zone
}

type attachmentRow struct {
	*domain.Attachment
	Stored bool // the bytes are in the evidence store
}

// uploadPage shows the item and its files (name, SHA-256, whether the
// bytes are stored), with the form to attach one. It is a read of the item,
// recorded as the API's GET /api/v1/items/{item}/files records it.
func (w *Web) uploadPage(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	d := uploadData{Chunk: w.cfg.UploadChunk, FormMax: uploadFormMax, Now: w.now().In(w.cfg.Zone).Format("2006-01-02T15:04")}
	if d.Chunk <= 0 {
		d.Chunk = uploadChunk
	}
	var atts []*domain.Attachment
	err := w.l.View(func(st *domain.State) error {
		it, err := w.s.Policy.Item(st, p, id)
		if err != nil {
			return err
		}
		d.Item = app.ItemViewOf(it)
		for _, a := range st.Attachments {
			if a.Item == id {
				atts = append(atts, a)
			}
		}
		d.CanAttach = p.Officer != "" && p.CanWrite() && w.s.Policy.Can(p.Role, custody.OpAttach) && !it.Disposed
		return nil
	})
	if err != nil {
		return err
	}
	bs := w.s.Blobs()
	for _, a := range atts {
		row := attachmentRow{Attachment: a}
		if bs != nil {
			if _, err := bs.Stat(ctx(r), a.SHA256); err == nil {
				row.Stored = true
			}
		}
		d.Attachments = append(d.Attachments, row)
	}
	if err := w.s.AuditedRead(ctx(r), p, domain.AccessRead{Case: d.Item.Case, Kind: "item", ID: id}); err != nil {
		return err
	}
	return w.render(rw, r, p, "upload", "upload.title", d)
}

// uploadPost prepares the act for the page's script (_prepare: the file's
// name, size, hash and type, no bytes), or, without the script, takes the
// file itself.
func (w *Web) uploadPost(rw http.ResponseWriter, r *http.Request, p *app.Principal) error {
	id := r.PathValue("item")
	if err := w.l.View(func(st *domain.State) error { _, err := w.s.Policy.Item(st, p, id); return err }); err != nil {
		return err
	}
	if p.Officer == "" {
		return invalid("file", "solo un funcionario registra un anexo", "only an officer records an attachment")
	}
	multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
	if multipart {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return custody.Errorf(custody.ETooLarge, "file", "sin JavaScript, el archivo puede tener a lo sumo %d MiB; con JavaScript se sube por partes y sin ese límite", "without JavaScript the file may be at most %d MiB; with JavaScript it goes up in parts without that limit", uploadFormMax>>20)
			}
			return invalid("file", "formulario mal formado", "malformed form")
		}
		defer r.MultipartForm.RemoveAll()
	}
	at, err := w.formTime(r, "at", true)
	if err != nil {
		return err
	}
	rec := &custody.Attach{Item: id, Name: strings.TrimSpace(r.FormValue("name")), At: at, By: p.Officer, MediaType: strings.TrimSpace(r.FormValue("media_type"))}
	if r.PostFormValue("_prepare") != "" {
		rec.SHA256 = strings.ToLower(strings.TrimSpace(r.FormValue("sha256")))
		size, err := strconv.ParseInt(strings.TrimSpace(r.FormValue("size")), 10, 64)
		if err != nil || size < 0 {
			return invalid("size", "el tamaño debe ser un número entero de bytes", "the size must be a whole number of bytes")
		}
		if max := w.s.Config().MaxUpload; size > max {
			return custody.Errorf(custody.ETooLarge, "file", "el archivo supera el máximo de %d bytes", "the file is over the maximum of %d bytes", max)
		}
		rec.Size = &size
		if rec.Name == "" {
			return invalid("name", "falta el nombre del archivo", "the file's name is missing")
		}
		if err := w.check(p, custody.OpAttach, rec); err != nil {
			return err
		}
		return w.prepare(r, act{custody.OpAttach, rec})
	}
	if !multipart || r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return invalid("file", "elija un archivo", "choose a file")
	}
	fh := r.MultipartForm.File["file"][0]
	if rec.Name == "" {
		rec.Name = path.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	}
	if rec.MediaType == "" {
		if mt, _, err := mime.ParseMediaType(fh.Header.Get("Content-Type")); err == nil && mt != "application/octet-stream" {
			rec.MediaType = mt
		}
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	rec.SHA256, rec.Size = hex.EncodeToString(h.Sum(nil)), &n
	if err := w.check(p, custody.OpAttach, rec); err != nil {
		return err
	}
	bs := w.s.Blobs()
	if bs == nil {
		return custody.Errorf(custody.EInvalid, "file", "este servidor no tiene almacén de evidencias", "this server has no evidence store")
	}
	// The bytes first, the act after: a blob without its act is found by
	// the integrity check as unreferenced; an act without its bytes would
	// claim a file nobody holds.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := bs.Put(ctx(r), rec.SHA256, f, n); err != nil {
		if errors.Is(err, blob.ErrHashMismatch) || errors.Is(err, blob.ErrSizeMismatch) {
			return custody.Errorf(custody.EInvalid, "file", "el archivo cambió mientras se guardaba", "the file changed while it was being stored")
		}
		return err
	}
	if _, err := w.write(r, p, custody.OpAttach, rec); err != nil {
		return err
	}
	return done(rw, r, "/evidencias/"+id+"/subir")
}
