package gateway

import (
	"errors"
	"net/http"
	"sort"

	"github.com/custodia-ec/custodia/app"
	"github.com/custodia-ec/custodia/casefile"
	"github.com/custodia-ec/custodia/custody"
)

// statusOf is THE table from error codes to HTTP statuses. Authorization
// failures that would reveal a case to a non-member are reported as
// not_found by the policy, never as forbidden.
var statusOf = map[string]int{
	custody.EInvalid:    http.StatusBadRequest,            // 400: malformed, wrong type, unknown field, bad value
	custody.EAuth:       http.StatusUnauthorized,          // 401
	custody.EForbidden:  http.StatusForbidden,             // 403: a member whose role may not do this
	app.EPasswordChange: http.StatusForbidden,             // 403: first change the generated password
	custody.ENotFound:   http.StatusNotFound,              // 404: absent, or not visible to this account
	custody.EMethod:     http.StatusMethodNotAllowed,      // 405: the route takes other methods
	custody.EDuplicate:  http.StatusConflict,              // 409
	custody.EConflict:   http.StatusConflict,              // 409
	custody.ETooLarge:   http.StatusRequestEntityTooLarge, // 413
	custody.EReference:  http.StatusUnprocessableEntity,   // 422: names a record that does not exist (for this account)
	custody.ERule:       http.StatusUnprocessableEntity,   // 422: a custody, status or deadline rule forbids it
	custody.ELimited:    http.StatusTooManyRequests,       // 429
	custody.EBusy:       http.StatusServiceUnavailable,    // 503: at capacity, try again shortly
	custody.EInternal:   http.StatusInternalServerError,
	custody.ETampered:   http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of an error code.
func StatusOf(code string) int {
	if st, ok := statusOf[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON of every error response.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// asCustody turns any error into the one error type: custody errors as they
// are, oversized bodies as too_large, and everything else as internal, with
// no detail that could leak state.
// AsError is err as a domain error, and whether it was one (an error that
// was not is answered as an internal error and logged).
func AsError(err error) (*custody.Error, bool) {
	var ce *custody.Error
	var le *casefile.LineError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &le):
		return le.Err, true
	case errors.As(err, &ce):
		return ce, true
	case errors.As(err, &mb):
		return custody.Errorf(custody.ETooLarge, "", "el cuerpo de la petición supera %d bytes", "the request body is larger than %d bytes", mb.Limit), true
	}
	return custody.Errorf(custody.EInternal, "", "error interno; el administrador puede ver el detalle en el registro del servidor", "internal error; the administrator can see details in the server log"), false
}

// ErrorOf returns err as the one error type, with its HTTP status: what an
// HTML page needs to render an error (the JSON API uses WriteError).
func ErrorOf(err error) (*custody.Error, int) {
	ce, _ := AsError(err)
	return ce, StatusOf(ce.Code)
}

// WriteError writes err as JSON {code, message, field} in the user's
// language, with the status of its code. Internal errors are logged.
func (s *Gateway) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ce, known := AsError(err)
	if !known {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err.Error())
	}
	lang := Lang(r)
	msg := ce.Message
	if lang == "en" {
		msg = ce.MessageEN
	}
	if ce.Code == custody.ELimited {
		w.Header().Set("Retry-After", "60")
	}
	if ce.Code == custody.EBusy {
		w.Header().Set("Retry-After", "5")
	}
	if ce.Code == custody.EAuth {
		w.Header().Set("WWW-Authenticate", `Bearer realm="custodia"`)
	}
	WriteJSON(w, StatusOf(ce.Code), ErrorBody{Code: ce.Code, Message: msg, Field: ce.Field})
}

// ErrorCodes lists the error codes of the status table, sorted, for the
// API's documentation.
func ErrorCodes() []string {
	codes := make([]string, 0, len(statusOf))
	for c := range statusOf {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}
