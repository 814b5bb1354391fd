package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/domain"
	"github.com/custodia-ec/custodia/gateway"
	"github.com/custodia-ec/custodia/ledger"
)

// registerAPI registers the JSON API. Writes of case records go through
// POST /api/v1/records (a case-file line: {"op": ..., fields}) or the REST
// routes for the most frequent ops, which take the same fields minus the
// ones in the path.
func (s *Server) registerAPI() {
	for _, rt := range []gateway.Route{
		{Method: "GET", Path: "/healthz", Summary: "Vivo / alive", Access: gateway.Public, Handle: s.healthz},
		{Method: "GET", Path: "/readyz", Summary: "Listo para escribir / ready to write", Access: gateway.Public, Handle: s.readyz},
		{Method: "GET", Path: "/metrics", Summary: "Métricas Prometheus (auditores y administradores; o --metrics-addr) / Prometheus metrics (auditors and administrators; or --metrics-addr)", Access: gateway.Account, Handle: s.metrics},
		{Method: "GET", Path: "/api/v1/openapi.json", Summary: "Este documento / this document", Access: gateway.Public, Handle: s.openapi},

		{Method: "POST", Path: "/api/v1/login", Summary: "Iniciar sesión / sign in", Access: gateway.Public, Body: "LoginRequest", SignIn: true, Handle: s.login},
		{Method: "POST", Path: "/api/v1/logout", Summary: "Cerrar sesión / sign out", Access: gateway.Account, DuringPasswordChange: true, Handle: s.logout},
		{Method: "GET", Path: "/api/v1/me", Summary: "Cuenta actual / current account", Access: gateway.Account, DuringPasswordChange: true, Handle: s.me},
		{Method: "POST", Path: "/api/v1/me/password", Summary: "Cambiar la contraseña / change the password", Access: gateway.Account, DuringPasswordChange: true, Body: "PasswordChange", Handle: s.changePassword},

		{Method: "GET", Path: "/api/v1/accounts", Summary: "Listar cuentas (admin) / list accounts (admin)", Access: gateway.Account, Handle: s.listAccounts},
		{Method: "POST", Path: "/api/v1/accounts", Summary: "Crear cuenta (admin) / create an account (admin)", Access: gateway.Account, Body: "AccountCreate", Handle: s.createAccount},
		{Method: "POST", Path: "/api/v1/accounts/{account}/disable", Summary: "Deshabilitar cuenta (admin) / disable an account (admin)", Access: gateway.Account, Handle: s.disableAccount},
		{Method: "POST", Path: "/api/v1/accounts/{account}/tokens", Summary: "Emitir token de API / issue an API token", Access: gateway.Account, Body: "TokenRequest", Handle: s.issueToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{token}", Summary: "Revocar token / revoke a token", Access: gateway.Account, Handle: s.revokeToken},
		{Method: "POST", Path: "/api/v1/cases/{case}/members", Summary: "Dar acceso a un caso (admin) / grant case membership (admin)", Access: gateway.Account, Body: "Member", Handle: s.grant},
		{Method: "DELETE", Path: "/api/v1/cases/{case}/members/{account}", Summary: "Quitar acceso a un caso (admin) / revoke case membership (admin)", Access: gateway.Account, Handle: s.revoke},

		{Method: "POST", Path: "/api/v1/records", Summary: "Registrar cualquier operación del formato de caso / record any case-file op", Access: gateway.Account, Body: "Record", Handle: s.postRecord},
		{Method: "POST", Path: "/api/v1/items/{item}/transfers", Summary: "Registrar una transferencia de custodia / record a custody transfer", Access: gateway.Account, Body: "Transfer", Handle: s.postTransfer},
		{Method: "POST", Path: "/api/v1/sites/{site}/status", Summary: "Registrar el estado de un sitio / record a site status", Access: gateway.Account, Body: "SiteStatus", Handle: s.postSiteStatus},
		{Method: "POST", Path: "/api/v1/operations/{operation}/release", Summary: "Fijar la hora de sesión informativa / set the briefing (release) time", Access: gateway.Account, Body: "Release", Handle: s.release},
		{Method: "POST", Path: "/api/v1/items/{item}/disclosures", Summary: "Divulgar evidencia a la defensa / disclose an item to the defence", Access: gateway.Account, Body: "Member", Handle: s.disclose},

		{Method: "GET", Path: "/api/v1/cases", Summary: "Casos de la cuenta / the account's cases", Access: gateway.Account, Handle: s.listCases},
		{Method: "GET", Path: "/api/v1/cases/{case}", Summary: "Un caso / a case", Access: gateway.Account, Handle: byPath("case", s.Case)},
		{Method: "GET", Path: "/api/v1/cases/{case}/persons", Summary: "Personas del caso / persons of a case", Access: gateway.Account, Handle: byPath("case", s.Persons)},
		{Method: "GET", Path: "/api/v1/persons/{person}", Summary: "Una persona (identidad reservada según rol) / a person (reserved identity by role)", Access: gateway.Account, Handle: byPath("person", s.Person)},
		{Method: "GET", Path: "/api/v1/cases/{case}/detentions", Summary: "Detenciones con estado de plazos / detentions with deadline state", Access: gateway.Account, Query: []string{"as_of"}, Handle: s.listDetentions},
		{Method: "GET", Path: "/api/v1/cases/{case}/items", Summary: "Evidencias del caso / items of a case", Access: gateway.Account, Handle: byPath("case", s.Items)},
		{Method: "GET", Path: "/api/v1/cases/{case}/access", Summary: "Quién vio qué / who viewed what", Access: gateway.Account, Query: []string{"since"}, Handle: s.accessLog},
		{Method: "GET", Path: "/api/v1/operations/{operation}", Summary: "Informe del operativo / operation report", Access: gateway.Account, Query: []string{"as_of"}, Handle: s.getOperation},
		{Method: "GET", Path: "/api/v1/operations/{operation}/sites", Summary: "Sitios del operativo / sites of an operation", Access: gateway.Account, Handle: byPath("operation", s.Sites)},
		{Method: "GET", Path: "/api/v1/operations/{operation}/events", Summary: "Tablero en vivo (SSE) / live board (Server-Sent Events)", Access: gateway.Account, Stream: true, Handle: s.streamOperation},
		{Method: "GET", Path: "/api/v1/sites/{site}", Summary: "Un sitio / a site", Access: gateway.Account, Handle: byPath("site", s.Site)},
		{Method: "GET", Path: "/api/v1/items/{item}", Summary: "Una evidencia / an item", Access: gateway.Account, Handle: byPath("item", s.Item)},
		{Method: "GET", Path: "/api/v1/items/{item}/history", Summary: "Historia de custodia / custody history", Access: gateway.Account, Handle: byPath("item", s.ItemHistory)},
		{Method: "GET", Path: "/api/v1/items/{item}/bundle", Summary: "Paquete verificable / verifiable bundle", Access: gateway.Account, Handle: byPath("item", s.Bundle)},
		{Method: "GET", Path: "/api/v1/audit", Summary: "Resultado de la auditoría / audit result", Access: gateway.Account, Handle: s.audit},
	} {
		s.gw.Handle(rt)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	gateway.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *app.Principal) error {
	select {
	case <-s.Done():
		gateway.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "closing"})
		return nil
	default:
	}
	if ce := s.Refusing(); ce != nil {
		gateway.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "refusing writes", "reason": ce.MessageEN, "motivo": ce.Message})
		return nil
	}
	if _, err := s.Ledger().LatestCheckpoint(r.Context()); err != nil {
		var ce *custody.Error
		if !errors.As(err, &ce) || ce.Code != custody.ENotFound {
			gateway.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
			return nil
		}
	}
	gateway.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "log_size": s.Ledger().Size()})
	return nil
}

// metrics serves the Prometheus metrics to auditors and administrators
// only: request counts per route would show an operation under way (its
// release, its sites' statuses) to anyone. A scraper without an account
// uses the separate listener of `custodia serve --metrics-addr`, bound to a
// private address.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	if !s.Policy.Can(p.Role, app.ActAudit) {
		return app.Forbidden("solo auditores y administradores", "auditors and administrators only")
	}
	if err := app.Unscoped(p); err != nil {
		return err
	}
	s.WriteMetrics(w)
	return nil
}

// WriteMetrics writes the Prometheus exposition, for the metrics listener.
func (s *Server) WriteMetrics(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.Metrics.WriteText(w)
}

// view runs fn under the ledger's read lock.

// readBody reads a request body (bounded by the MaxBytesReader of wrap).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, err
		}
		return nil, custody.Errorf(custody.EInvalid, "", "no se pudo leer el cuerpo de la petición", "could not read the request body")
	}
	return b, nil
}

// decodeJSON decodes a small JSON object strictly into v, with the same
// error messages as case files.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return DecodeStrict(b, v)
}

// DecodeStrict decodes one JSON object into v: unknown fields, wrong types
// and trailing data are invalid, with the field named.
func DecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return custody.Errorf(custody.EInvalid, "", "hay datos después del objeto JSON", "data after the JSON object")
	}
	return nil
}

func jsonError(err error) *custody.Error {
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &ute):
		return custody.Errorf(custody.EInvalid, ute.Field, "tipo incorrecto: se esperaba %s", "wrong type: want %s", ute.Type.String())
	case errors.As(err, &se):
		return custody.Errorf(custody.EInvalid, "", "JSON mal formado en el byte %d", "malformed JSON at byte %d", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return custody.Errorf(custody.EInvalid, "", "JSON incompleto o cuerpo vacío", "incomplete JSON or empty body")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return custody.Errorf(custody.EInvalid, strings.Trim(f, `"`), "campo desconocido", "unknown field")
	}
	return custody.Errorf(custody.EInvalid, "", "JSON mal formado", "malformed JSON")
}

// DecodeRecord decodes a request body as a case-file record of op with the
// path's fields added (e.g. "item" from /items/{item}/transfers): the same
// decoder, rules and messages as import. A body that sets a path field is
// invalid.
func DecodeRecord(op string, body []byte, path map[string]string) (string, any, error) {
	body = bytes.TrimSpace(body)
	if len(body) < 2 || body[0] != '{' {
		return "", nil, custody.Errorf(custody.EInvalid, "", "el cuerpo debe ser un objeto JSON", "the body must be a JSON object")
	}
	if op == "" && len(path) == 0 {
		return decodeMerged(body)
	}
	// The common case, a well-formed body that sets neither op nor a path
	// field, is found by reading its top-level keys, without decoding it
	// twice. Anything else (including every error) takes the general path
	// below, which gives the errors.
	if keys, ok := topKeys(body); ok && !setsAny(keys, op, path) {
		if gotOp, rec, err := decodeMerged(withPath(op, body, path)); err == nil {
			return gotOp, rec, nil
		}
	}
	return decodeRecordGeneral(op, body, path)
}

// decodeRecordGeneral is DecodeRecord for any body, with its errors: the
// body's keys come from encoding/json.
func decodeRecordGeneral(op string, body []byte, path map[string]string) (string, any, error) {
	var head map[string]json.RawMessage
	if err := json.Unmarshal(body, &head); err != nil {
		return "", nil, jsonError(err)
	}
	if _, ok := head["op"]; ok && op != "" {
		return "", nil, custody.Errorf(custody.EInvalid, "op", "la operación la da la ruta; quite op del cuerpo", "the route gives the op; remove op from the body")
	}
	for _, k := range sortedKeys(path) {
		if _, ok := head[k]; ok {
			return "", nil, custody.Errorf(custody.EInvalid, k, "%s lo da la ruta; quítelo del cuerpo", "%s is given by the route; remove it from the body", k)
		}
	}
	return decodeMerged(withPath(op, body, path))
}

// decodeMerged decodes a record with its op and path fields in it.
func decodeMerged(body []byte) (string, any, error) {
	gotOp, rec, cerr := casefile.Decode(body)
	if cerr != nil {
		// casefile reports a wrong type inside its op wrapper as
		// "Seize.quantity": name the JSON field only.
		if i := strings.LastIndexByte(cerr.Field, '.'); i >= 0 {
			c := *cerr
			c.Field = c.Field[i+1:]
			cerr = &c
		}
		return gotOp, nil, cerr
	}
	return gotOp, rec, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// setsAny says whether a body with the top-level keys sets op (when the
// route gives it) or a path field.
func setsAny(keys []string, op string, path map[string]string) bool {
	for _, k := range keys {
		if _, ok := path[k]; ok || (k == "op" && op != "") {
			return true
		}
	}
	return false
}

// withPath returns the object body with op and the path fields put first.
func withPath(op string, body []byte, path map[string]string) []byte {
	var pre bytes.Buffer
	pre.Grow(len(body) + 64)
	pre.WriteByte('{')
	if op != "" {
		pre.WriteString(`"op":`)
		pre.Write(appendJSONString(nil, op))
		pre.WriteByte(',')
	}
	for _, k := range sortedKeys(path) {
		pre.Write(appendJSONString(nil, k))
		pre.WriteByte(':')
		pre.Write(appendJSONString(nil, path[k]))
		pre.WriteByte(',')
	}
	rest := bytes.TrimSpace(body[1:])
	if len(rest) > 0 && rest[0] == '}' {
		pre.Truncate(pre.Len() - 1)
	}
	pre.Write(rest)
	return pre.Bytes()
}

// topKeys returns the top-level keys of the JSON object b. ok is false when
// b is not an object it can read simply: malformed, or a key with an
// escape. It checks only the structure it walks; the caller decodes b
// fully afterwards.
func topKeys(b []byte) (keys []string, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' || b[j] < 0x20 {
				return nil, false
			}
			j++
		}
		if j >= len(b) {
			return nil, false
		}
		keys = append(keys, string(b[i+1:j]))
		i = skipSpace(b, j+1)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		if i, ok = skipValue(b, skipSpace(b, i+1)); !ok {
			return nil, false
		}
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == '}':
			return keys, skipSpace(b, i+1) == len(b)
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value at b[i]: a string,
// an object or array (by nesting, strings skipped), or a literal or number
// (up to the next delimiter).
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, ok := skipString(b, i)
				if !ok {
					return i, false
				}
				i = j
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[j])) {
		j++
	}
	return j, j > i
}

// skipString returns the index just after the JSON string at b[i].
func skipString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(b), false
}

// writeRecordResult sends r as a 201 answer. It is what gateway.WriteJSON(w, 201, r) sends,
// written without reflection: it answers every write request, and the
// encoder was 2% of the server's CPU under load (TestRecordResultJSON
// holds the two equal).
func writeRecordResult(w http.ResponseWriter, r *app.RecordResult) {
	b := make([]byte, 0, 128)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"op":`...)
	b = appendJSONString(b, r.Op)
	b = append(b, `,"recorded_at":`...)
	b = appendJSONString(b, r.RecordedAt)
	if len(r.Anomalies) > 0 {
		a, _ := json.Marshal(r.Anomalies)
		b = append(b, `,"anomalies":`...)
		b = append(b, a...)
	}
	b = append(b, "}\n"...)
	gateway.WriteJSONHead(w, http.StatusCreated)
	w.Write(b)
}

// appendJSONString appends s as a JSON string, as encoding/json writes it
// with HTML escaping off.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.Encode(s)
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (s *Server) postRecord(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	body, sigs, err := splitSigs(body)
	if err != nil {
		return err
	}
	op, rec, err := DecodeRecord("", body, nil)
	if err != nil {
		return err
	}
	res, err := s.WriteSigned(r.Context(), p, op, rec, sigs, nil)
	if err != nil {
		return err
	}
	writeRecordResult(w, res)
	return nil
}

// postPathRecord handles a REST write whose path names a resource: a
// resource p cannot see is not_found, before the body is looked at.
func (s *Server) postPathRecord(w http.ResponseWriter, r *http.Request, p *app.Principal, op, field string, visible func(st *domain.State) error) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	body, sigs, err := splitSigs(body)
	if err != nil {
		return err
	}
	op, rec, derr := DecodeRecord(op, body, map[string]string{field: r.PathValue(field)})
	if derr != nil {
		// The path is checked first: a resource the caller cannot see is
		// not_found whatever the body says.
		if err := s.View(visible); err != nil {
			return err
		}
		return derr
	}
	res, err := s.WriteSigned(r.Context(), p, op, rec, sigs, visible)
	if err != nil {
		return err
	}
	writeRecordResult(w, res)
	return nil
}

func (s *Server) postTransfer(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	return s.postPathRecord(w, r, p, custody.OpTransfer, "item", func(st *domain.State) error {
		_, err := s.Policy.Item(st, p, r.PathValue("item"))
		return err
	})
}

func (s *Server) postSiteStatus(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	return s.postPathRecord(w, r, p, casefile.OpSiteStatus, "site", func(st *domain.State) error {
		site, ok := st.Sites[r.PathValue("site")]
		if !ok {
			return app.NotFound()
		}
		return s.Policy.Read(st, p, st.Operations[site.Operation].Case)
	})
}

// Release is the body of POST /operations/{operation}/release.
type Release struct {
	At string `json:"at"`
}

func (s *Server) release(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	opID := r.PathValue("operation")
	if err := app.ReadOnly(p); err != nil {
		return err
	}
	if err := s.View(func(st *domain.State) error {
		op, ok := st.Operations[opID]
		if !ok {
			return app.NotFound()
		}
		return s.Policy.Act(st, p, op.Case, app.ActRelease, true)
	}); err != nil {
		return err
	}
	var body Release
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	rec := &domain.OperationRelease{Operation: opID, At: body.At}
	if err := domain.ValidateSystem(rec); err != nil {
		return err
	}
	ev, err := s.Append(r.Context(), p, ledger.Record{Op: domain.OpOperationRelease, Rec: rec})
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, app.RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At})
	return nil
}

// Member is the body naming an account: a grant or a disclosure.
type Member struct {
	Account string `json:"account"`
}

func (s *Server) disclose(w http.ResponseWriter, r *http.Request, p *app.Principal) error {
	item := r.PathValue("item")
	if err := app.ReadOnly(p); err != nil {
		return err
	}
	if err := s.View(func(st *domain.State) error {
		it, ok := st.Items[item]
		if !ok {
			return app.NotFound()
		}
		if p.Role == "defense" {
			return app.NotFound()
		}
		return s.Policy.Act(st, p, it.Case, app.ActDisclose, true)
	}); err != nil {
		return err
	}
	var body Member
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	rec := &domain.ItemDisclose{Item: item, Account: body.Account}
	if err := domain.ValidateSystem(rec); err != nil {
		return err
	}
	ev, err := s.Append(r.Context(), p, ledger.Record{Op: domain.OpItemDisclose, Rec: rec})
	if err != nil {
		return err
	}
	gateway.WriteJSON(w, http.StatusCreated, app.RecordResult{Seq: ev.Seq, Op: ev.Op, RecordedAt: ev.Recorded.At})
	return nil
}

// parseAsOf reads ?as_of (default now).
func (s *Server) parseAsOf(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return s.Now(), nil
	}
	t, err := custody.ParseTime(v)
	if err != nil {
		return t, custody.Errorf(custody.EInvalid, name, "%q no es una hora RFC 3339 con zona horaria (p. ej. 2023-12-14T06:30:00-05:00)", "%q is not an RFC 3339 time with an offset (e.g. 2023-12-14T06:30:00-05:00)", v)
	}
	return t.In(s.Service.Zone()), nil
}
