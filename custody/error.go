package custody

import "fmt"

// Error codes. Each says what kind of failure it is, so that callers can map
// it to an exit status or an HTTP status in one table, without parsing text.
const (
	EInvalid   = "invalid"            // a field is malformed or missing
	EReference = "unknown_reference"  // a reference names no record
	EDuplicate = "duplicate"          // an id is already taken
	ERule      = "rule"               // a custody, status or deadline rule forbids it
	ENotFound  = "not_found"          // the thing asked for does not exist (or is not visible)
	EAuth      = "unauthenticated"    // no valid credentials
	EForbidden = "forbidden"          // authenticated, but not allowed
	ETooLarge  = "too_large"          // input over a limit
	ELimited   = "rate_limited"       // too many attempts
	EBusy      = "unavailable"        // the server is at capacity: try again shortly
	EMethod    = "method_not_allowed" // the route exists but takes other methods
	EConflict  = "conflict"           // concurrent change or state that cannot be redone
	EInternal  = "internal"           // a bug or an I/O failure; the message says no more
	ETampered  = "integrity_violated" // stored data does not match the log
)

// Error is the one error type that crosses package boundaries. Its messages
// are safe to show to the user who caused it: they name fields and ids the
// user sent, never internal state of other cases.
//
// Message is Spanish, English follows in MessageEN: Custodia's users work in
// Spanish first.
type Error struct {
	Code      string
	Field     string // the offending field, "" when none
	Message   string // Spanish
	MessageEN string // English
	// Rule names the custody rule an Item method refused by (RuleDisposed,
	// RuleTimeOrder, RuleContinuity or RuleSeals); "" for other errors.
	Rule string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.MessageEN)
	}
	return e.MessageEN
}

// Localized returns the message in lang ("es" or "en"), with the field first.
func (e *Error) Localized(lang string) string {
	msg := e.Message
	if lang == "en" {
		msg = e.MessageEN
	}
	if e.Field != "" {
		return e.Field + ": " + msg
	}
	return msg
}

// Errorf builds an Error. es and en are format strings that take the same
// arguments, in the same order.
func Errorf(code, field, es, en string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(es, args...), MessageEN: fmt.Sprintf(en, args...)}
}
