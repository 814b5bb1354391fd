package verify

import (
	"context"
	"errors"
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
	CheckSignature   = "signature"   // the personal signatures of the acts
	CheckConsistency = "consistency" // the older trusted checkpoint
	CheckPolicy      = "policy"      // the witness policy and cosignatures
	// CheckStopped is not a check of the bundle: the caller's deadline
	// passed or it cancelled (VerifyContext) before the verdict.
	CheckStopped = "stopped"
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

	cause error // ctx.Err() for CheckStopped
}

// Unwrap returns the context's error of a stopped verification, so that a
// caller can tell a deadline (context.DeadlineExceeded) from a bad bundle.
func (e *Error) Unwrap() error { return e.cause }

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

// stopped returns the error of a verification whose ctx is done, at the
// event index (-1 when between events), or nil while it may go on. A
// deadline is a limit of the caller's (too_large: over a limit); a
// cancellation is the caller's choice (invalid is the nearest code: the
// bundle was not judged).
func stopped(ctx context.Context, index int64) *Error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	e := fail(custody.EInvalid, CheckStopped, index, "", "la verificación se interrumpió sin veredicto",
		"the verification was interrupted without a verdict")
	if errors.Is(err, context.DeadlineExceeded) {
		e = fail(custody.ETooLarge, CheckStopped, index, "", "la verificación superó el tiempo permitido y se detuvo sin veredicto",
			"the verification took longer than allowed and stopped without a verdict")
	}
	e.cause = err
	return e
}
