package app

import "github.com/custodia-ec/custodia/custody"

// NotFound answers a read of something absent or not visible to the
// caller, in the same words, so that the two cannot be told apart.
func NotFound() *custody.Error {
	return custody.Errorf(custody.ENotFound, "", "no existe o no tiene acceso", "it does not exist or you have no access")
}

// Forbidden refuses an action the caller's role may not take.
func Forbidden(es, en string) *custody.Error {
	return &custody.Error{Code: custody.EForbidden, Message: es, MessageEN: en}
}

// Invalid refuses a malformed value of a field.
func Invalid(field, es, en string) *custody.Error {
	return &custody.Error{Code: custody.EInvalid, Field: field, Message: es, MessageEN: en}
}

// RateLimited refuses a sign-in over the limit of failures.
func RateLimited() *custody.Error {
	return custody.Errorf(custody.ELimited, "", "demasiados intentos fallidos; espere unos minutos", "too many failed attempts; wait a few minutes")
}
