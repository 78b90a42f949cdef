// Package problem defines the machine-readable errors that services return
// over NATS and that the gateway maps to HTTP application/problem+json
// responses. A service never chooses an HTTP status; it chooses a Code.
package problem

import (
	"errors"
	"fmt"
)

// Code classifies an error. Each code maps to exactly one HTTP status in the
// gateway.
type Code string

// The error codes. The comment names the HTTP status the gateway uses.
const (
	CodeInvalidArgument    Code = "invalid_argument"    // 400: malformed request
	CodeValidation         Code = "validation_failed"   // 422: well-formed but invalid fields
	CodeUnauthenticated    Code = "unauthenticated"     // 401
	CodePermissionDenied   Code = "permission_denied"   // 403
	CodeNotFound           Code = "not_found"           // 404
	CodeConflict           Code = "conflict"            // 409: invalid state transition or duplicate
	CodePreconditionFailed Code = "precondition_failed" // 412: stale If-Match version
	CodeTooManyRequests    Code = "too_many_requests"   // 429
	CodeTooLarge           Code = "too_large"           // 413: request body over the limit
	CodeUnavailable        Code = "unavailable"         // 503
	CodeInternal           Code = "internal"            // 500
)

// FieldError is one invalid field of a request.
type FieldError struct {
	// Field is the JSON name (or JSON pointer) of the field.
	Field string `json:"field"`
	// Message says what is wrong, in English.
	Message string `json:"message"`
}

// Error is an error with a Code, safe to show to a client.
type Error struct {
	Code    Code         `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
}

// New returns an error with the code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Validation returns a validation_failed error listing the bad fields.
func Validation(fields ...FieldError) *Error {
	return &Error{Code: CodeValidation, Message: "the request has invalid fields", Fields: fields}
}

// NotFound returns a not_found error for a kind of thing and its id.
func NotFound(kind, id string) *Error {
	return New(CodeNotFound, "%s %q not found", kind, id)
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var p *Error
	if errors.As(err, &p) {
		return p
	}
	return nil
}

// CodeOf returns the code of err, or CodeInternal when err carries none.
func CodeOf(err error) Code {
	if p := As(err); p != nil {
		return p.Code
	}
	return CodeInternal
}

// InvalidArgument is a malformed request parameter (HTTP 400).
func InvalidArgument(field, message string) *Error {
	e := New(CodeInvalidArgument, "%s %s", field, message)
	e.Fields = []FieldError{{Field: field, Message: message}}
	return e
}

// Or returns err when it is set, else fallback: the error of a check that
// failed, or the problem of one that found nothing.
func Or(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
