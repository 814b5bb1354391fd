package verify

import (
	"fmt"

	"github.com/custodia-ec/custodia/custody"
)

// Checks, in the order Verify runs them. Error.Check names the one that
// failed, so that a caller can tell a forged bundle from a malformed one.
const (
	CheckBundle      = "bundle"      // the file's format and limits
	CheckKey         = "key"         // the log's public key
	CheckCheckpoint  = "checkpoint"  // the checkpoint's signature and body
	CheckEvent       = "event"       // an event's bytes
	CheckProof       = "proof"       // an inclusion proof
	CheckCustody     = "custody"     // the custody rules over the events
	CheckConsistency = "consistency" // the older trusted checkpoint
	CheckPolicy      = "policy"      // the witness policy and cosignatures
)

// Error is why a bundle failed verification. It names the check, the event
// (by its index in the log) and the field, so that the person reading it
// can find the exact place; the message comes in Spanish and in English.
type Error struct {
	// Code is one of custody's error codes: integrity_violated when data
	// does not match what was signed, rule for a custody rule, invalid for
	// malformed input, too_large for input over a limit.
	Code      string `json:"code"`
	Check     string `json:"check"`
	Index     int64  `json:"index"` // the event's log index; -1 when none
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`    // Spanish
	MessageEN string `json:"message_en"` // English
}

// Error returns the Spanish message, then the English one.
func (e *Error) Error() string {
	return e.Localized("es") + " / " + e.Localized("en")
}

// Localized returns the message in lang ("es", the default, or "en"),
// preceded by the event index and field when there are any.
func (e *Error) Localized(lang string) string {
	msg, ev, field := e.Message, "evento", "campo"
	if lang == "en" {
		msg, ev, field = e.MessageEN, "event", "field"
	}
	prefix := ""
	if e.Index >= 0 {
		prefix = fmt.Sprintf("%s %d: ", ev, e.Index)
	}
	if e.Field != "" {
		prefix += fmt.Sprintf("%s %q: ", field, e.Field)
	}
	return prefix + msg
}

// fail builds an Error. es and en are format strings taking the same
// arguments in the same order. index is -1 when no event is concerned.
func fail(code, check string, index int64, field, es, en string, args ...any) *Error {
	return &Error{Code: code, Check: check, Index: index, Field: field,
		Message: fmt.Sprintf(es, args...), MessageEN: fmt.Sprintf(en, args...)}
}

// tampered is the common case: the data does not match what was signed.
func tampered(check string, index int64, field, es, en string, args ...any) *Error {
	return fail(custody.ETampered, check, index, field, es, en, args...)
}

// invalid is for malformed input.
func invalid(check string, index int64, field, es, en string, args ...any) *Error {
	return fail(custody.EInvalid, check, index, field, es, en, args...)
}
