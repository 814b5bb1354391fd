package httpapi

// Uploads of evidence files: the bytes behind an evidence.attach record or
// an evidence.derive record, by the tus 1.0 resumable upload protocol
// (https://tus.io/protocols/resumable-upload), core protocol plus the
// creation and termination extensions, implemented here.
//
//	POST   /api/v1/items/{item}/uploads  creation: Upload-Length, Upload-Metadata
//	HEAD   /api/v1/uploads/{upload}      Upload-Offset: where to resume
//	PATCH  /api/v1/uploads/{upload}      append at Upload-Offset
//	DELETE /api/v1/uploads/{upload}      termination
//
// Upload-Metadata carries "op" (evidence.attach, the default, or
// evidence.derive) and "record": the record's JSON without the field the
// path gives (item for an attachment, parent for a derivation). The record
// must declare sha256 and size, and size must equal Upload-Length. The
// caller's authorization is checked at creation (so that nobody sends
// gigabytes to be refused) and again, by the committer, when the record is
// appended.
//
// Each upload is one blob.Store.Put, started at creation and fed through a
// pipe by the PATCH requests as their bytes arrive: the store hashes them
// and writes them to its own temporary file (or multipart object) in one
// pass, and a dropped connection only pauses the stream until the client
// resumes from the offset HEAD reports. The server holds one copy buffer
// per request, never the file, and no temporary file but the store's own.
// When the last byte is in, the pipe is closed and Put stores nothing
// unless the bytes hash to the declared sha256 and have the declared size.
// Only then is the record
// appended through the normal write path (WriteRecord), as the signed-in
// account's officer. A mismatch is answered 400 with field sha256 and
// records nothing: no event, no blob. The final PATCH answers 204 with
// Custodia-Seq, the record's seq; HEAD on a finished upload answers it too,
// so that a client whose final answer was lost learns the outcome instead
// of recording twice.
//
// The bytes may also follow a record already in the log: a field device
// records a photo's evidence.attach (its hash signed on the device) when it
// syncs, and sends the bytes afterwards. Upload-Metadata then carries
// "seq", the attachment's event, instead of "record": the declared hash
// and size are the logged ones, and the finished upload records nothing
// new (Custodia-Seq is that event).
//
// Uploads in progress live in memory: a restart loses them and clients
// start again. An upload left idle for uploadIdle is abandoned (its Put
// fails and the store discards its temporary file); at most maxUploads run
// at once, at most maxUploadsPerAccount of one account (429 beyond).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/custody/vocab"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/storage/blob"
)

// TusVersion is the tus protocol version the upload routes speak.
const TusVersion = "1.0.0"

// The media type of a PATCH body, from the tus protocol.
const tusContentType = "application/offset+octet-stream"

// SeqHeader carries the seq of the record an upload appended.
const SeqHeader = "Custodia-Seq"

// upload is one resumable upload.
type upload struct {
	id      string
	account string
	op      string
	rec     any
	sigs    []custody.Sig
	item    string // the item in the path
	sha256  string
	size    int64

	pipe   *bufPipe    // feeds the Put
	putErr chan error  // the Put's result
	idle   *time.Timer // abandons the upload after uploadIdle

	lock chan struct{} // held by the request writing to it
	// finished is set once the record is appended: the upload no longer
	// counts against its account's share.
	finished atomic.Bool

	// Guarded by lock.
	offset int64
	seq    int64 // the appended record's seq, once done

	// fulfils is the logged evidence.attach whose bytes this is (0: the
	// upload appends its record when done).
	fulfils int64
}

const (
	// uploadIdle is how long an upload may go without a PATCH before it is
	// abandoned and its slot freed: long enough for a client to reconnect,
	// short enough that an abandoned upload does not hold a slot for long.
	uploadIdle = 10 * time.Minute
	maxUploads = 16 // each holds up to pipeBufs buffers of copyBuf bytes, and its Put its own (fsblob: 12 MiB)
	// maxUploadsPerAccount is one account's share of the slots: nobody can
	// hold them all.
	maxUploadsPerAccount = 4
)

type uploads struct {
	mu   sync.Mutex
	m    map[string]*upload
	idle time.Duration // uploadIdle; shorter in tests
}

func (s *Server) registerUploads() {
	s.uploads = &uploads{m: map[string]*upload{}, idle: uploadIdle}
	go func() {
		<-s.Done()
		s.closeUploads()
	}()
	for _, rt := range []gateway.Route{
		{Method: "POST", Path: "/api/v1/items/{item}/uploads", Summary: "Iniciar la subida reanudable (tus 1.0) de un archivo de la evidencia / start a resumable (tus 1.0) upload of an item's file", Access: gateway.Account, Handle: s.createUpload},
		{Method: "HEAD", Path: "/api/v1/uploads/{upload}", Summary: "Dónde reanudar una subida (Upload-Offset) / where to resume an upload (Upload-Offset)", Access: gateway.Account, Handle: s.headUpload},
		{Method: "PATCH", Path: "/api/v1/uploads/{upload}", Summary: "Enviar bytes de una subida en Upload-Offset / send an upload's bytes at Upload-Offset", Access: gateway.Account, MaxBody: -1, Handle: s.patchUpload},
		{Method: "DELETE", Path: "/api/v1/uploads/{upload}", Summary: "Cancelar una subida / cancel an upload", Access: gateway.Account, Handle: s.deleteUpload},
		{Method: "GET", Path: "/api/v1/items/{item}/files", Summary: "Archivos de la evidencia y su última verificación / an item's files and their latest integrity check", Access: gateway.Account, Handle: s.itemFiles},
	} {
		s.gw.Handle(rt)
	}
}

// writeStatus writes an error with a status the code table does not give
// (the tus protocol's 412, 415, 409, and 503).
func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, status int, ce *custody.Error) {
	msg := ce.Message
	if gateway.Lang(r) == "en" {
		msg = ce.MessageEN
	}
	gateway.WriteJSON(w, status, gateway.ErrorBody{Code: ce.Code, Message: msg, Field: ce.Field})
}

func tusHeaders(w http.ResponseWriter) {
	w.Header().Set("Tus-Resumable", TusVersion)
	w.Header().Set("Cache-Control", "no-store")
}

// checkTus answers false (and the response) when uploads are off or the
// client speaks another tus version.
func (s *Server) checkTus(w http.ResponseWriter, r *http.Request) bool {
	tusHeaders(w)
	if s.Config().Blobs == nil {
		s.writeStatus(w, r, http.StatusServiceUnavailable, custody.Errorf(custody.EInternal, "", "este servidor no tiene almacén de archivos", "this server has no file store"))
		return false
	}
	if v := r.Header.Get("Tus-Resumable"); v != TusVersion {
		w.Header().Set("Tus-Version", TusVersion)
		s.writeStatus(w, r, http.StatusPreconditionFailed, custody.Errorf(custody.EInvalid, "Tus-Resumable", "se requiere la cabecera Tus-Resumable: %s (recibida %q)", "the Tus-Resumable: %s header is required (got %q)", TusVersion, v))
		return false
	}
	return true
}

// parseMetadata decodes a tus Upload-Metadata header: comma-separated
// "key base64value" pairs.
func parseMetadata(h string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if k == "" {
			return nil, custody.Errorf(custody.EInvalid, "Upload-Metadata", "par vacío", "empty pair")
		}
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, custody.Errorf(custody.EInvalid, "Upload-Metadata", "el valor de %q no es base64", "the value of %q is not base64", k)
		}
		if _, dup := out[k]; dup {
			return nil, custody.Errorf(custody.EInvalid, "Upload-Metadata", "clave %q repetida", "key %q repeated", k)
		}
		out[k] = string(b)
	}
	return out, nil
}

// fileOf returns the sha256 and size a record declares.
func fileOf(rec any) (sha string, size *int64) {
	switch r := rec.(type) {
	case *custody.Attach:
		return r.SHA256, r.Size
	case *custody.Derive:
		return r.SHA256, r.Size
	}
	return "", nil
}

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	item := r.PathValue("item")
	// A read-only token first; then the item: one the caller cannot see
	// is not_found whatever the request says; then the role.
	var meta map[string]string
	meta, merr := parseMetadata(r.Header.Get("Upload-Metadata"))
	op := custody.OpAttach
	if merr == nil && meta["op"] != "" {
		op = meta["op"]
	}
	if err := app.ReadOnly(p); err != nil {
		return err // whatever the item: a read-only token learns nothing
	}
	if err := s.View(func(st *domain.State) error {
		it, err := s.Policy.Item(st, p, item)
		if err != nil {
			return err
		}
		if op != custody.OpAttach && op != custody.OpDerive {
			return nil // reported below
		}
		if !s.Policy.Can(p.Role, op) {
			return app.Forbidden("su rol no permite este acto en este caso: "+vocab.Word("op", op, "es")+" ("+op+")", "your role does not allow this act in this case: "+vocab.Word("op", op, "en")+" ("+op+")")
		}
		_ = it
		return nil
	}); err != nil {
		return err
	}
	if !s.checkTus(w, r) {
		return nil
	}
	if merr != nil {
		return merr
	}
	if op != custody.OpAttach && op != custody.OpDerive {
		return custody.Errorf(custody.EInvalid, "op", "solo se suben archivos de %s o %s", "only files of %s or %s are uploaded", custody.OpAttach, custody.OpDerive)
	}
	length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 0 {
		return custody.Errorf(custody.EInvalid, "Upload-Length", "se requiere Upload-Length, un entero ≥ 0 (no se admite Upload-Defer-Length)", "Upload-Length, an integer ≥ 0, is required (Upload-Defer-Length is not supported)")
	}
	if length > s.Config().MaxUpload {
		return custody.Errorf(custody.ETooLarge, "Upload-Length", "el archivo supera el máximo de %d bytes", "the file is over the maximum of %d bytes", s.Config().MaxUpload)
	}
	field := "item"
	if op == custody.OpDerive {
		field = "parent"
	}
	if meta["seq"] != "" {
		if op != custody.OpAttach {
			return custody.Errorf(custody.EInvalid, "seq", "solo los bytes de un adjunto ya registrado siguen a su evento", "only the bytes of a recorded attachment follow its event")
		}
		return s.createFollowing(w, r, p, item, meta["seq"], length)
	}
	body := meta["record"]
	if body == "" {
		return custody.Errorf(custody.EInvalid, "record", "falta el registro en Upload-Metadata (clave record, JSON en base64)", "the record is missing from Upload-Metadata (key record, base64 JSON)")
	}
	// The path gives the item; a record that repeats it (or leaves it
	// empty, as a client's struct may) says nothing more.
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &fields) == nil {
		if v, ok := fields[field]; ok {
			var sv string
			if json.Unmarshal(v, &sv) == nil && (sv == "" || sv == item) {
				delete(fields, field)
				if b, err := json.Marshal(fields); err == nil {
					body = string(b)
				}
			}
		}
	}
	// The record's personal signatures travel with it ("sigs"), made over
	// the record as POST /api/v1/acts/digest gives it.
	rb, sigs, err := splitSigs([]byte(body))
	if err != nil {
		return err
	}
	_, rec, err := DecodeRecord(op, rb, map[string]string{field: item})
	if err != nil {
		return err
	}
	sha, size := fileOf(rec)
	if sha == "" || size == nil {
		return custody.Errorf(custody.EInvalid, "sha256", "el registro debe declarar sha256 y size del archivo", "the record must declare the file's sha256 and size")
	}
	if *size != length {
		return custody.Errorf(custody.EInvalid, "size", "el registro declara %d bytes y Upload-Length %d", "the record declares %d bytes and Upload-Length %d", *size, length)
	}
	if err := s.View(func(st *domain.State) error {
		_, err := s.Policy.Write(st, p, op, rec)
		return err
	}); err != nil {
		return err
	}
	return s.startUpload(w, &upload{account: p.Account, op: op, rec: rec, sigs: sigs, item: item, sha256: sha, size: length})
}

// createFollowing starts the upload of the bytes of a logged attachment
// (event seq of item), which p may record.
func (s *Server) createFollowing(w http.ResponseWriter, r *http.Request, p *app.Principal, item, seqText string, length int64) error {
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq < 0 {
		return custody.Errorf(custody.EInvalid, "seq", "seq debe ser el número del evento del adjunto", "seq must be the attachment's event number")
	}
	var att custody.Attach
	if err := s.View(func(st *domain.State) error {
		a := st.Attachments[seq]
		if a == nil || a.Item != item {
			return custody.Errorf(custody.EReference, "seq", "el evento %d no es un adjunto de %s", "event %d is not an attachment of %s", seq, item)
		}
		att = a.Attach
		_, err := s.Policy.Write(st, p, custody.OpAttach, &att)
		return err
	}); err != nil {
		return err
	}
	if att.Size == nil || *att.Size != length {
		return custody.Errorf(custody.EInvalid, "size", "el adjunto registrado declara otro tamaño que Upload-Length %d", "the recorded attachment declares a size other than Upload-Length %d", length)
	}
	return s.startUpload(w, &upload{account: p.Account, op: custody.OpAttach, rec: &att, item: item, sha256: att.SHA256, size: length, fulfils: seq})
}

// startUpload registers u, starts its Put and answers the creation.
func (s *Server) startUpload(w http.ResponseWriter, u *upload) error {
	idb := make([]byte, 16)
	if _, err := rand.Read(idb); err != nil {
		return err
	}
	u.id, u.lock, u.putErr = hex.EncodeToString(idb), make(chan struct{}, 1), make(chan error, 1)
	length := u.size
	s.uploads.mu.Lock()
	if len(s.uploads.m) >= maxUploads {
		s.uploads.mu.Unlock()
		return custody.Errorf(custody.ELimited, "", "demasiadas subidas en curso; reintente más tarde", "too many uploads in progress; retry later")
	}
	mine := 0
	for _, o := range s.uploads.m {
		if o.account == u.account && !o.finished.Load() {
			mine++
		}
	}
	if mine >= maxUploadsPerAccount {
		s.uploads.mu.Unlock()
		return custody.Errorf(custody.ELimited, "", "ya tiene %d subidas en curso; termine o cancele una (DELETE) antes de empezar otra", "you already have %d uploads in progress; finish or cancel one (DELETE) before starting another", mine)
	}
	s.uploads.m[u.id] = u
	s.uploads.mu.Unlock()
	u.pipe = newBufPipe()
	go func() {
		// The Put outlives each request: the server's lifetime bounds
		// it, and abandonment (idle, DELETE, a refused stream) ends it
		// by closing the pipe with an error.
		err := s.Config().Blobs.Put(context.Background(), u.sha256, u.pipe, length)
		u.pipe.closeRead() // unblocks a writer if Put stopped early
		u.putErr <- err
	}()
	u.idle = time.AfterFunc(s.uploads.idle, func() {
		s.Log().Info("upload abandoned", "upload", u.id, "offset", u.offset)
		s.dropUpload(u, errors.New("upload abandoned"))
	})
	w.Header().Set("Location", "/api/v1/uploads/"+u.id)
	w.Header().Set("Upload-Offset", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// get returns p's upload id, or not_found (someone else's upload too).
func (s *Server) getUpload(p *app.Principal, id string) (*upload, error) {
	s.uploads.mu.Lock()
	u := s.uploads.m[id]
	s.uploads.mu.Unlock()
	if u == nil || u.account != p.Account {
		return nil, app.NotFound()
	}
	return u, nil
}

// acquire takes an upload's lock, waiting for a request still writing to
// it (a connection the client already dropped but the server has not yet
// seen end) for at most 30 s.
func (u *upload) acquire(ctx context.Context) error {
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case u.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return custody.Errorf(custody.EConflict, "", "otra petición está escribiendo en esta subida", "another request is writing to this upload")
	}
}

func (u *upload) release() { <-u.lock }

func (s *Server) headUpload(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	u, err := s.getUpload(p, r.PathValue("upload"))
	if err != nil {
		return err
	}
	if !s.checkTus(w, r) {
		return nil
	}
	if err := u.acquire(r.Context()); err != nil {
		return err
	}
	off, seq := u.offset, u.seq
	u.release()
	w.Header().Set("Upload-Offset", strconv.FormatInt(off, 10))
	w.Header().Set("Upload-Length", strconv.FormatInt(u.size, 10))
	if seq != 0 {
		w.Header().Set(SeqHeader, strconv.FormatInt(seq, 10))
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteUpload(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if err := app.ReadOnly(p); err != nil {
		return err
	}
	u, err := s.getUpload(p, r.PathValue("upload"))
	if err != nil {
		return err
	}
	if !s.checkTus(w, r) {
		return nil
	}
	if err := u.acquire(r.Context()); err != nil {
		return err
	}
	defer u.release()
	s.dropUpload(u, errors.New("upload cancelled"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// dropUpload forgets an upload and, if its Put is still running, makes it
// fail, so that the store keeps nothing of it.
func (s *Server) dropUpload(u *upload, why error) {
	s.uploads.mu.Lock()
	delete(s.uploads.m, u.id)
	s.uploads.mu.Unlock()
	u.idle.Stop()
	u.pipe.closeWrite(why)
}

// closeUploads abandons every upload in progress, when the server closes.
func (s *Server) closeUploads() {
	s.uploads.mu.Lock()
	us := make([]*upload, 0, len(s.uploads.m))
	for _, u := range s.uploads.m {
		us = append(us, u)
	}
	s.uploads.mu.Unlock()
	for _, u := range us {
		s.dropUpload(u, errors.New("server closing"))
	}
}

// copyBuf is the size of the buffer an upload streams through: large
// enough for few system calls, small enough that a hundred concurrent
// uploads stay well under the server's memory budget.
const copyBuf = 1 << 20

func (s *Server) patchUpload(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	// The bytes of an upload are the start of a change: a read-only
	// token of the account that began it does not send them.
	if err := app.ReadOnly(p); err != nil {
		return err
	}
	u, err := s.getUpload(p, r.PathValue("upload"))
	if err != nil {
		return err
	}
	if !s.checkTus(w, r) {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != tusContentType {
		s.writeStatus(w, r, http.StatusUnsupportedMediaType, custody.Errorf(custody.EInvalid, "Content-Type", "se requiere Content-Type: %s", "Content-Type: %s is required", tusContentType))
		return nil
	}
	off, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || off < 0 {
		return custody.Errorf(custody.EInvalid, "Upload-Offset", "se requiere Upload-Offset, un entero ≥ 0", "Upload-Offset, an integer ≥ 0, is required")
	}
	if err := u.acquire(r.Context()); err != nil {
		return err
	}
	defer u.release()
	if _, err := s.getUpload(p, u.id); err != nil {
		return err // cancelled or refused while this request waited
	}
	if off != u.offset {
		w.Header().Set("Upload-Offset", strconv.FormatInt(u.offset, 10))
		s.writeStatus(w, r, http.StatusConflict, custody.Errorf(custody.EConflict, "Upload-Offset", "la subida está en %d, no en %d: consulte con HEAD", "the upload is at %d, not %d: ask with HEAD", u.offset, off))
		return nil
	}
	if u.seq != 0 {
		// Done already: the client missed the final answer.
		w.Header().Set("Upload-Offset", strconv.FormatInt(u.offset, 10))
		w.Header().Set(SeqHeader, strconv.FormatInt(u.seq, 10))
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// A chunk may take longer than the server's request timeouts.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(30 * time.Minute))
	rc.SetWriteDeadline(time.Now().Add(35 * time.Minute))

	u.idle.Reset(s.uploads.idle)
	remaining := u.size - u.offset
	n, cerr := feed(u.pipe, io.LimitReader(r.Body, remaining+1), remaining)
	u.offset += n
	if errors.Is(cerr, errTooMany) {
		s.dropUpload(u, cerr)
		return custody.Errorf(custody.EInvalid, "size", "llegaron más bytes que los %d declarados: se rechaza el archivo, no se registró nada", "more bytes arrived than the %d declared: the file is refused, nothing was recorded", u.size)
	}
	if errors.Is(cerr, errPut) {
		// The store stopped reading: its error is the outcome.
		err := <-u.putErr
		u.putErr <- err
		s.dropUpload(u, err)
		return s.putOutcome(u, err)
	}
	if cerr != nil {
		// A dropped connection: what arrived is in the store's
		// temporary file, and the client resumes from u.offset.
		s.Log().InfoContext(r.Context(), "upload interrupted", "upload", u.id, "offset", u.offset, "err", cerr.Error())
		return custody.Errorf(custody.EConflict, "", "la subida se interrumpió en %d bytes; reanude desde ahí", "the upload was interrupted at %d bytes; resume from there", u.offset)
	}
	if u.offset == u.size {
		seq, err := s.finishUpload(r.Context(), p, u)
		if err != nil {
			return err
		}
		w.Header().Set(SeqHeader, strconv.FormatInt(seq, 10))
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(u.offset, 10))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var (
	errTooMany = errors.New("more bytes than declared")
	errPut     = errors.New("the store stopped reading")
)

// feed copies at most limit bytes from r to the upload's pipe, a buffer at
// a time, and returns how many the store took. It fails with errTooMany if
// r has more, errPut if the store stopped reading, or r's error (a
// dropped connection).
func feed(p *bufPipe, r io.Reader, limit int64) (int64, error) {
	var n int64
	for {
		buf, err := p.buffer()
		if err != nil {
			return n, errPut
		}
		m, rerr := fill(r, buf)
		if int64(m) > limit-n {
			return n, errTooMany
		}
		if m > 0 {
			if err := p.send(buf[:m]); err != nil {
				return n, errPut
			}
			n += int64(m)
		} else {
			p.free <- buf // never blocks: the buffer came from free or alloc
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// fill reads into b until it is full, r ends (io.EOF) or fails.
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// finishUpload ends a complete upload's stream, waits for the store to
// verify and keep the bytes, and then appends the record. A mismatch
// records nothing.
func (s *Server) finishUpload(ctx context.Context, p *app.Principal, u *upload) (int64, error) {
	u.pipe.closeWrite(nil)
	err := <-u.putErr
	u.putErr <- err // for a retry of the final request
	if err != nil {
		s.dropUpload(u, err)
		return 0, s.putOutcome(u, err)
	}
	if u.fulfils != 0 {
		// The record is in the log already: the bytes complete it.
		u.seq = u.fulfils
		u.finished.Store(true)
		u.idle.Reset(10 * time.Minute)
		s.Log().InfoContext(ctx, "file stored for a recorded attachment", "upload", u.id, "item", u.item, "sha256", u.sha256, "bytes", u.size, "seq", u.seq)
		return u.seq, nil
	}
	res, err := s.WriteSigned(ctx, p, u.op, u.rec, u.sigs, func(st *domain.State) error {
		_, err := s.Policy.Item(st, p, u.item)
		return err
	})
	if err != nil {
		var ce *custody.Error
		if errors.As(err, &ce) {
			s.dropUpload(u, err) // refused: a retry would be refused again
		}
		return 0, err
	}
	u.seq = res.Seq
	u.finished.Store(true)
	u.idle.Reset(10 * time.Minute) // then forgotten: its answer was given
	s.Log().InfoContext(ctx, "file stored", "upload", u.id, "item", u.item, "sha256", u.sha256, "bytes", u.size, "seq", res.Seq)
	return res.Seq, nil
}

// putOutcome turns the store's refusal into the answer: a hash or size
// mismatch is the client's (400, nothing recorded), anything else the
// server's.
func (s *Server) putOutcome(u *upload, err error) error {
	var m *blob.Mismatch
	switch {
	case errors.As(err, &m) && m.Got != "":
		return custody.Errorf(custody.EInvalid, "sha256", "el archivo recibido no tiene el SHA-256 declarado (llegó %s): no se registró nada",
			"the file received does not have the declared SHA-256 (it hashes to %s): nothing was recorded", m.Got)
	case errors.As(err, &m):
		return custody.Errorf(custody.EInvalid, "size", "el archivo recibido no tiene el tamaño declarado (%d bytes; llegaron %d): no se registró nada",
			"the file received is not of the declared size (%d bytes; %d arrived): nothing was recorded", m.Size, m.Written)
	case errors.Is(err, blob.ErrHashMismatch) || errors.Is(err, blob.ErrSizeMismatch): // a store's own, without the detail
		return custody.Errorf(custody.EInvalid, "sha256", "el archivo recibido no es el declarado: no se registró nada", "the file received is not the one declared: nothing was recorded")
	}
	return fmt.Errorf("upload %s: %w", u.id, err)
}

func (s *Server) itemFiles(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	var out []app.FileView
	var c, id string
	if err := s.View(func(st *domain.State) error {
		it, err := s.Policy.Item(st, p, r.PathValue("item"))
		if err != nil {
			return err
		}
		c, id = it.Case, it.ID
		out = app.FileViews(st, it.ID)
		return nil
	}); err != nil {
		return err
	}
	if err := s.AuditedRead(r.Context(), p, domain.AccessRead{Case: c, Kind: "item", ID: id}); err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusOK, out)
	return nil
}

// UploadMetadata builds the Upload-Metadata header of a creation request:
// the op and the record's JSON (without the field the path gives).
func UploadMetadata(op string, record any) (string, error) {
	b, err := json.Marshal(record)
	if err != nil {
		return "", err
	}
	enc := base64.StdEncoding.EncodeToString
	return "op " + enc([]byte(op)) + ",record " + enc(b), nil
}
