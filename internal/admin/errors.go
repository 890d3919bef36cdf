package admin

import (
	"errors"
	"fmt"
)

// Kind classifies an Error so that each adapter can map it to its own
// vocabulary (an HTTP status, an exit code) in one place.
type Kind int

// The kinds of error the domain returns.
const (
	KindInternal        Kind = iota // a bug or an infrastructure failure; the message is generic
	KindInvalid                     // the input fails validation; Field names the culprit
	KindNotFound                    // no such object, or it belongs to another tenant
	KindConflict                    // the request clashes with the current state (Code says how)
	KindForbidden                   // the actor is known but may not do this
	KindUnauthenticated             // no valid credentials
	KindRateLimited                 // too many attempts; try again later
	KindMalformed                   // the request cannot be parsed at all
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not_found"
	case KindConflict:
		return "conflict"
	case KindForbidden:
		return "forbidden"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindRateLimited:
		return "rate_limited"
	case KindMalformed:
		return "malformed"
	default:
		return "internal"
	}
}

// Error is the one error type of the domain. Message is safe to show to the
// person who made the request; Err is the cause, for logs only.
type Error struct {
	Kind    Kind
	Code    string // stable, machine-readable: "seat_limit", "username_taken", …
	Field   string // the offending input field, when there is one
	Message string
	Err     error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorOf returns the domain error in err's chain, or an internal error that
// wraps err. It returns nil for a nil err.
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Code: "internal", Message: "An internal error occurred.", Err: err}
}

// KindOf reports the kind of err (KindInternal for foreign errors and for nil,
// which callers should have checked first).
func KindOf(err error) Kind {
	if err == nil {
		return KindInternal
	}
	return ErrorOf(err).Kind
}

// CodeOf reports the stable code of err.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	return ErrorOf(err).Code
}

// Invalid reports a field that fails validation.
func Invalid(field, code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing object; the message never says whether it exists elsewhere.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found."}
}

// Conflict reports a clash with the current state.
func Conflict(code, field, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports an action the actor may not take.
func Forbidden(code, format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "An internal error occurred.", Err: err}
}

// Store errors: the storage adapter maps driver errors to these so the
// domain can turn them into the right Error for the operation at hand.
var (
	// ErrNoRows means the row asked for does not exist (in this tenant).
	ErrNoRows = errors.New("no rows")
	// ErrUniqueViolation means a unique key refused the write; UniqueError says which.
	ErrUniqueViolation = errors.New("unique violation")
	// ErrStale means a conditional update matched nothing because the row changed.
	ErrStale = errors.New("stale row")
)

// UniqueError names the unique constraint that refused a write.
type UniqueError struct{ Constraint string }

func (e *UniqueError) Error() string { return "unique violation: " + e.Constraint }
func (e *UniqueError) Is(target error) bool {
	return target == ErrUniqueViolation
}
