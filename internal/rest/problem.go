package rest

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

// Problem is an RFC 9457 problem detail with Roster's stable code and the
// offending field.
type Problem struct {
	Type      string       `json:"type,omitempty" doc:"A URI reference that identifies the problem type"`
	Title     string       `json:"title" doc:"A short summary of the HTTP status"`
	Status    int          `json:"status" doc:"The HTTP status code"`
	Code      string       `json:"code" doc:"Stable, machine-readable error code, e.g. seat_limit"`
	Detail    string       `json:"detail,omitempty" doc:"What went wrong, for a person"`
	Field     string       `json:"field,omitempty" doc:"The input field at fault, when there is one"`
	Errors    []FieldError `json:"errors,omitempty" doc:"Every field at fault, when validation found several"`
	RequestID string       `json:"request_id,omitempty"`

	headers http.Header
}

// FieldError is one failed field of a validation error.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (p *Problem) Error() string           { return p.Code + ": " + p.Detail }
func (p *Problem) GetStatus() int          { return p.Status }
func (p *Problem) GetHeaders() http.Header { return p.headers }

// ContentType makes huma answer application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// statusCodes are the codes of errors that do not come from the domain.
var statusCodes = map[int]string{
	http.StatusBadRequest:            "malformed_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusNotAcceptable:         "not_acceptable",
	http.StatusRequestEntityTooLarge: "request_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   "invalid",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal",
}

// newProblem builds the problem for an error huma raises itself: malformed
// JSON, a type mismatch, an unknown property. Locations such as
// "body.max_users" become the field "max_users".
func newProblem(status int, msg string, errs ...error) huma.StatusError {
	p := &Problem{Status: status, Title: http.StatusText(status), Detail: msg, Code: statusCodes[status]}
	if p.Code == "" {
		p.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
	}
	for _, err := range errs {
		var d *huma.ErrorDetail
		if err == nil || !errors.As(err, &d) {
			if err != nil && p.Detail == "" {
				p.Detail = err.Error()
			}
			continue
		}
		fe := FieldError{Field: fieldOf(d.Location), Code: "invalid", Message: d.Message}
		if fe.Message == "unexpected property" {
			fe.Code = "unknown_field"
		}
		// huma reports a missing property at the object that lacks it; the
		// field at fault is the property itself (R-O4).
		if name, ok := missingProperty(d.Message); ok {
			fe.Code = "required"
			if fe.Field == "" {
				fe.Field = name
			} else {
				fe.Field += "." + name
			}
		}
		p.Errors = append(p.Errors, fe)
	}
	if len(p.Errors) > 0 {
		p.Field, p.Code = p.Errors[0].Field, p.Errors[0].Code
		p.Detail = p.Errors[0].Message
		if p.Field != "" {
			p.Detail = p.Field + ": " + p.Detail
		}
	}
	if status == http.StatusBadRequest || (status == http.StatusUnprocessableEntity && len(p.Errors) == 0) {
		p.Code = "malformed_request"
	}
	return p
}

// missingProperty returns the name in huma's "expected required property
// NAME to be present".
func missingProperty(msg string) (string, bool) {
	const prefix, suffix = "expected required property ", " to be present"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) || len(msg) <= len(prefix)+len(suffix) {
		return "", false
	}
	return msg[len(prefix) : len(msg)-len(suffix)], true
}

// fieldOf turns "body.settings.max_users" into "settings.max_users" and
// "query.limit" into "limit".
func fieldOf(loc string) string {
	for _, prefix := range []string{"body.", "query.", "path.", "header."} {
		if strings.HasPrefix(loc, prefix) {
			return strings.TrimPrefix(loc, prefix)
		}
	}
	if loc == "body" {
		return ""
	}
	return loc
}

// StatusOf maps a domain error kind to its HTTP status: the one place where
// this mapping lives (the console uses it too).
func StatusOf(k admin.Kind) int {
	switch k {
	case admin.KindInvalid:
		return http.StatusUnprocessableEntity
	case admin.KindMalformed:
		return http.StatusBadRequest
	case admin.KindNotFound:
		return http.StatusNotFound
	case admin.KindConflict:
		return http.StatusConflict
	case admin.KindForbidden:
		return http.StatusForbidden
	case admin.KindUnauthenticated:
		return http.StatusUnauthorized
	case admin.KindRateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// ProblemOf turns any error into a problem, logging internal causes.
func ProblemOf(ctx context.Context, log *slog.Logger, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	e := admin.ErrorOf(err)
	status := StatusOf(e.Kind)
	p = &Problem{Status: status, Title: http.StatusText(status), Code: e.Code, Detail: e.Message, Field: e.Field,
		RequestID: admin.RequestInfoFrom(ctx).RequestID}
	if e.Kind == admin.KindInvalid && e.Field != "" {
		p.Errors = []FieldError{{Field: e.Field, Code: e.Code, Message: e.Message}}
	}
	if status == http.StatusTooManyRequests {
		p.headers = http.Header{"Retry-After": {"1"}}
	}
	if status == http.StatusInternalServerError {
		log.ErrorContext(ctx, "request failed", "err", err)
	}
	return p
}

// WriteProblem writes p as the response, for handlers outside huma.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	for k, v := range p.headers {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = jsonEncode(w, p)
}

// NewProblem returns a problem with a status and code, for the server's
// own errors (unknown route, restricted session).
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{Status: status, Title: http.StatusText(status), Code: code, Detail: detail}
}
