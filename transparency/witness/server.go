package witness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/verify"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is a log that a witness accepts checkpoints from: its origin (the
// first line of its checkpoints) and the verifier of its signing key.
type Log struct {
	Origin   string
	Verifier note.Verifier
}

// ParseLog reads a log as configured: "ORIGIN=VKEY", or just "VKEY" since a
// checkpoint key's name is the log's origin. The vkey is a signed-note
// Ed25519 verifier key (note.NewVerifier), and its name must be the origin.
func ParseLog(s string) (Log, error) {
	s = strings.TrimSpace(s)
	vkey := s
	origin := ""
	// The vkey begins with its name, which is the origin, so in
	// "ORIGIN=ORIGIN+hash+key" the separator is the '=' whose left side,
	// plus '+', starts the right side. Origins may themselves contain '='.
	for i := 0; i < len(s); i++ {
		if s[i] == '=' && strings.HasPrefix(s[i+1:], s[:i]+"+") {
			origin, vkey = s[:i], s[i+1:]
			break
		}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		if strings.Contains(s, "=") && origin == "" {
			return Log{}, fmt.Errorf("log %q: el nombre de la clave debe ser el origen / the key name must be the origin", s)
		}
		return Log{}, fmt.Errorf("log %q: clave pública inválida / invalid public key: %w", s, err)
	}
	if origin != "" && v.Name() != origin {
		return Log{}, fmt.Errorf("log %q: el nombre de la clave debe ser el origen / the key name must be the origin", s)
	}
	return Log{Origin: v.Name(), Verifier: v}, nil
}

// RequestError is why a witness did not cosign a checkpoint. Status is the
// HTTP status that c2sp.org/tlog-witness prescribes for it.
type RequestError struct {
	Status    int
	KnownSize int64 // with 409 Conflict: the size of the latest checkpoint cosigned
	Err       *custody.Error
}

func (e *RequestError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Err.Error()) }
func (e *RequestError) Unwrap() error { return e.Err }

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	custody.EInvalid:   http.StatusBadRequest,
	custody.ETooLarge:  http.StatusRequestEntityTooLarge,
	custody.ENotFound:  http.StatusNotFound,
	custody.EForbidden: http.StatusForbidden,
	custody.EConflict:  http.StatusConflict,
	custody.ETampered:  http.StatusUnprocessableEntity,
	custody.EInternal:  http.StatusInternalServerError,
}

func refuse(code string, es, en string, args ...any) *RequestError {
	return &RequestError{Status: statusOf[code], Err: custody.Errorf(code, "", es, en, args...)}
}

// Config configures a [Server].
type Config struct {
	// Cosigner is the witness's key. Losing it is harmless; losing the
	// database while keeping the key is not (the witness would forget what
	// it cosigned): retire the key with the database.
	Cosigner *Cosigner
	// Logs are the logs the witness cosigns for. Requests for any other
	// origin get 404.
	Logs []Log
	// Now is the clock for cosignature timestamps; time.Now when nil.
	Now func() time.Time
}

// Server is a c2sp.org/tlog-witness witness. It is safe for concurrent use;
// add-checkpoint requests for one database are serialised.
type Server struct {
	cos    *Cosigner
	logs   map[string][]note.Verifier // origin → its trusted keys (more than one during a key rotation)
	byHash map[string]string          // lowercase hex SHA-256 of an origin → the origin
	st     *store
	now    func() time.Time
	write  sync.Mutex // one add-checkpoint at a time: the check and the update are one step
}

// NewServer opens (or creates) the witness database at dbPath.
func NewServer(ctx context.Context, dbPath string, cfg Config) (*Server, error) {
	if cfg.Cosigner == nil {
		return nil, errors.New("witness: falta la clave del testigo / missing witness key")
	}
	s := &Server{cos: cfg.Cosigner, logs: make(map[string][]note.Verifier), byHash: make(map[string]string), now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	for _, l := range cfg.Logs {
		if l.Verifier == nil || l.Verifier.Name() != l.Origin {
			return nil, fmt.Errorf("witness: log %q: el nombre de la clave debe ser el origen / the key name must be the origin", l.Origin)
		}
		s.logs[l.Origin] = append(s.logs[l.Origin], l.Verifier)
		h := sha256.Sum256([]byte(l.Origin))
		s.byHash[hex.EncodeToString(h[:])] = l.Origin
	}
	st, err := openStore(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	s.st = st
	return s, nil
}

// Close closes the database.
func (s *Server) Close() error { return s.st.Close() }

// Cosigner returns the witness's key.
func (s *Server) Cosigner() *Cosigner { return s.cos }

// emptyTreeHash is the RFC 6962 hash of the empty tree, SHA-256 of nothing.
var emptyTreeHash = tlog.Hash(sha256.Sum256(nil))

// AddCheckpoint handles one add-checkpoint request body and returns the
// cosignature line(s) for the response. The new state is committed to the
// database before AddCheckpoint returns them. A refusal is a *RequestError.
func (s *Server) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	req, err := ParseAddCheckpoint(body)
	if err != nil {
		// err is a *custody.Error: its Spanish and English messages go out
		// once each, as every refusal's do.
		ce := err.(*custody.Error)
		return nil, &RequestError{Status: statusOf[ce.Code], Err: ce}
	}
	cp, _, err := verify.ParseNote(req.Checkpoint)
	if err != nil {
		return nil, malformed(err)
	}
	vs, ok := s.logs[cp.Origin]
	if !ok {
		return nil, refuse(custody.ENotFound, "log desconocido %q", "unknown log %q", cp.Origin)
	}
	n, err := note.Open(req.Checkpoint, note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return nil, refuse(custody.EForbidden, "el punto de control de %q no lleva una firma válida del log", "the checkpoint of %q carries no valid log signature", cp.Origin)
		}
		return nil, refuse(custody.EInvalid, "nota firmada mal formada: %v", "malformed signed note: %v", err)
	}
	if req.OldSize > cp.Size {
		return nil, refuse(custody.EInvalid, "tamaño anterior %d mayor que el del punto de control %d", "old size %d is larger than the checkpoint size %d", req.OldSize, cp.Size)
	}
	if req.OldSize == 0 && len(req.Proof) > 0 {
		// c2sp.org/tlog-witness: 422, like a proof that does not verify.
		return nil, refuse(custody.ETampered, "con tamaño anterior 0 la prueba debe estar vacía", "with old size 0 the proof must be empty")
	}

	s.write.Lock()
	defer s.write.Unlock()
	tx, err := s.st.begin(ctx)
	if err != nil {
		return nil, s.internal(err)
	}
	defer tx.Rollback()
	cur, err := getState(ctx, tx, cp.Origin)
	known := err == nil
	if err != nil && !errors.Is(err, errNoState) {
		return nil, s.internal(err)
	}
	if req.OldSize != cur.Size {
		e := refuse(custody.EConflict, "el testigo cosignó el tamaño %d, no %d", "the witness cosigned size %d, not %d", cur.Size, req.OldSize)
		e.KnownSize = cur.Size
		return nil, e
	}
	// evidence keeps a refused but log-signed request: it may prove a fork.
	evidence := func(e *RequestError) error {
		if err := putRefusal(ctx, tx, cp.Origin, s.now(), e.Status, e.Err.MessageEN, body); err != nil {
			return s.internal(err)
		}
		if err := tx.Commit(); err != nil {
			return s.internal(err)
		}
		return e
	}
	switch {
	case req.OldSize == cp.Size:
		if len(req.Proof) != 0 {
			return nil, evidence(refuse(custody.ETampered, "prueba no vacía entre tamaños iguales", "non-empty proof between equal sizes"))
		}
		// c2sp.org/tlog-witness: a size-0 checkpoint without the empty
		// tree's root, and same size with another root, are 422 (a 409
		// would tell the client to retry from its body's size).
		if cp.Size == 0 && cp.Root != emptyTreeHash {
			return nil, evidence(refuse(custody.ETampered, "un punto de control de tamaño 0 debe llevar la raíz del árbol vacío", "a size-0 checkpoint must carry the empty tree's root"))
		}
		if known && cp.Root != cur.Root {
			return nil, evidence(refuse(custody.ETampered, "el testigo cosignó otra raíz para el tamaño %d: bifurcación", "the witness cosigned another root for size %d: a fork", cp.Size))
		}
	case req.OldSize == 0:
		// First checkpoint of this log (or of a log that was empty): nothing
		// to be consistent with.
	default:
		if err := tlog.CheckTree(req.Proof, cp.Size, cp.Root, cur.Size, cur.Root); err != nil {
			return nil, evidence(refuse(custody.ETampered, "la prueba de consistencia de %d a %d no verifica", "the consistency proof from %d to %d does not verify", cur.Size, cp.Size))
		}
	}

	now := s.now()
	line, err := s.cos.Cosign([]byte(n.Text), now)
	if err != nil {
		return nil, s.internal(err)
	}
	var served strings.Builder
	served.WriteString(n.Text)
	served.WriteString("\n")
	for _, sig := range n.Sigs {
		served.WriteString(formatSig(sig))
	}
	served.Write(line)
	next := logState{Size: cp.Size, Root: cp.Root, Cosigned: []byte(served.String()), Updated: now}
	if err := putState(ctx, tx, cp.Origin, next); err != nil {
		return nil, s.internal(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, s.internal(err)
	}
	return line, nil
}

// malformed refuses a checkpoint note that verify's parser refused, with
// the parser's Spanish and English.
func malformed(err error) *RequestError {
	var bad *verify.Error
	if errors.As(err, &bad) {
		return refuse(custody.EInvalid, "punto de control mal formado: %[1]s", "malformed checkpoint: %[2]s", bad.Message, bad.MessageEN)
	}
	return refuse(custody.EInvalid, "punto de control mal formado: %[1]v", "malformed checkpoint: %[1]v", err)
}

func (s *Server) internal(err error) *RequestError {
	return &RequestError{Status: http.StatusInternalServerError,
		Err: custody.Errorf(custody.EInternal, "", "error interno del testigo: %v", "witness internal error: %v", err)}
}

func formatSig(sig note.Signature) string {
	return "— " + sig.Name + " " + sig.Base64 + "\n"
}

// Latest returns the latest checkpoint of origin that the witness cosigned,
// with the log's signature and the witness's cosignature. It returns a
// *RequestError with status 404 when there is none.
func (s *Server) Latest(ctx context.Context, origin string) ([]byte, error) {
	st, err := getState(ctx, s.st.db, origin)
	if errors.Is(err, errNoState) {
		return nil, refuse(custody.ENotFound, "el testigo no ha cosignado ningún punto de control de %q", "the witness has cosigned no checkpoint of %q", origin)
	}
	if err != nil {
		return nil, s.internal(err)
	}
	return st.Cosigned, nil
}

// Refusals lists the log-signed requests for origin that the witness
// refused because they contradicted what it had cosigned: possible evidence
// of a fork or a rollback.
func (s *Server) Refusals(ctx context.Context, origin string) ([]Refusal, error) {
	return listRefusals(ctx, s.st.db, origin)
}

// Handler serves the witness's HTTP interface:
//
//	POST /add-checkpoint         c2sp.org/tlog-witness
//	GET  /{origin hash}/checkpoint  c2sp.org/tlog-witness monitor retrieval: the
//	                             latest cosigned checkpoint of a log (SHA-256 of
//	                             its origin, lowercase hex)
//	GET  /checkpoint/{origin}    the same, origin path-escaped
//	GET  /                       the witness's name, key and logs, as text
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", s.handleAdd)
	mux.HandleFunc("GET /checkpoint/{origin...}", s.handleCheckpoint)
	// "GET /{hash}/checkpoint" would conflict with the pattern above
	// (both match /checkpoint/checkpoint), so the catch-all dispatches it.
	mux.HandleFunc("GET /", s.handleMonitor)
	mux.HandleFunc("GET /{$}", s.handleIndex)
	return mux
}

func (s *Server) handleAdd(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestSize)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, refuse(custody.ETooLarge, "cuerpo de más de %d bytes", "body larger than %d bytes", MaxRequestSize))
			return
		}
		writeError(w, refuse(custody.EInvalid, "no se pudo leer el cuerpo", "could not read the body"))
		return
	}
	lines, err := s.AddCheckpoint(r.Context(), body)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(lines)
}

func writeError(w http.ResponseWriter, err error) {
	var re *RequestError
	if !errors.As(err, &re) {
		re = &RequestError{Status: http.StatusInternalServerError, Err: custody.Errorf(custody.EInternal, "", "error interno", "internal error")}
	}
	if re.Status == http.StatusConflict {
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(re.Status)
		fmt.Fprintf(w, "%d\n", re.KnownSize)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(re.Status)
	fmt.Fprintf(w, "%s\n%s\n", re.Err.Message, re.Err.MessageEN)
}

func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	s.serveLatest(w, r, r.PathValue("origin"))
}

// handleMonitor serves GET /<origin hash>/checkpoint (c2sp.org/tlog-witness,
// Monitor Retrieval Mechanism); any other path is 404.
func (s *Server) handleMonitor(w http.ResponseWriter, r *http.Request) {
	h, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/checkpoint")
	origin, known := s.byHash[h]
	if !ok || !known {
		writeError(w, refuse(custody.ENotFound, "no existe %q", "no such path %q", r.URL.Path))
		return
	}
	s.serveLatest(w, r, origin)
}

func (s *Server) serveLatest(w http.ResponseWriter, r *http.Request, origin string) {
	cp, err := s.Latest(r.Context(), origin)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(cp)
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "testigo / witness %s\nclave de cosignatura / cosignature key %s\n", s.cos.Name(), s.cos.VerifierKey())
	origins := make([]string, 0, len(s.logs))
	for o := range s.logs {
		origins = append(origins, o)
	}
	sort.Strings(origins)
	for _, o := range origins {
		size := "-"
		if st, err := getState(r.Context(), s.st.db, o); err == nil {
			size = strconv.FormatInt(st.Size, 10)
		}
		fmt.Fprintf(w, "log %s %s\n", o, size)
	}
}
