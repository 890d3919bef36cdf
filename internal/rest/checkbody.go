package rest

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

// checkRequest is the body of POST check.
type checkRequest struct {
	Checks []Check `json:"checks" maxItems:"1000"`
}

// maxChecks is the schema's maxItems for checks.
const maxChecks = 1000

// readChecks reads the body of POST check: by decodeChecks if it can, else
// by decodeChecksSlowly.
func readChecks(api huma.API, schema *huma.Schema, contentType string, body []byte) ([]admin.CheckRequest, error) {
	if !isJSON(contentType) {
		return decodeChecksSlowly(api, schema, contentType, body)
	}
	if reqs, ok := decodeChecks(body); ok {
		return reqs, nil
	}
	return decodeChecksSlowly(api, schema, contentType, body)
}

// isJSON reports whether huma reads a body of this content type as JSON.
func isJSON(contentType string) bool {
	return contentType == "" || contentType == "application/json" || strings.HasPrefix(contentType, "application/json;")
}

// decodeChecks reads a POST check body in its usual shape: an object with
// "checks", a list of at most maxChecks objects that each have "user",
// "permission" and "resource" once, as strings without escapes, in any
// order, with any JSON white space. It copies the body once and takes
// every string from that copy. It reports false for anything else,
// leaving it to decodeChecksSlowly, so that it never accepts what the
// schema refuses nor reads a body differently.
func decodeChecks(body []byte) ([]admin.CheckRequest, bool) {
	d := checkDecoder{s: string(body)}
	if !d.byte('{') {
		return nil, false
	}
	if key, ok := d.str(); !ok || key != "checks" || !d.byte(':') || !d.byte('[') {
		return nil, false
	}
	var reqs []admin.CheckRequest
	if !d.peek(']') {
		reqs = make([]admin.CheckRequest, 0, min(len(d.s)/64+1, maxChecks))
		for {
			c, ok := d.check()
			if !ok || len(reqs) == maxChecks {
				return nil, false
			}
			reqs = append(reqs, c)
			if d.byte(']') {
				break
			}
			if !d.byte(',') {
				return nil, false
			}
		}
	} else {
		d.i++
		reqs = []admin.CheckRequest{}
	}
	if !d.byte('}') {
		return nil, false
	}
	d.space()
	return reqs, d.i == len(d.s)
}

type checkDecoder struct {
	s string
	i int
}

func (d *checkDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek skips white space and reports whether c follows.
func (d *checkDecoder) peek(c byte) bool {
	d.space()
	return d.i < len(d.s) && d.s[d.i] == c
}

// byte consumes c after white space.
func (d *checkDecoder) byte(c byte) bool {
	if d.peek(c) {
		d.i++
		return true
	}
	return false
}

// str consumes a string without escapes or control characters, in valid
// UTF-8.
func (d *checkDecoder) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start, ascii := d.i, true
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			v := d.s[start:d.i]
			d.i++
			return v, ascii || utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		d.i++
	}
	return "", false
}

// check consumes one check object.
func (d *checkDecoder) check() (admin.CheckRequest, bool) {
	var c admin.CheckRequest
	if !d.byte('{') {
		return c, false
	}
	var seen uint8
	for k := 0; k < 3; k++ {
		if k > 0 && !d.byte(',') {
			return c, false
		}
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return c, false
		}
		v, ok := d.str()
		if !ok {
			return c, false
		}
		var bit uint8
		switch key {
		case "user":
			c.UserID, bit = v, 1
		case "permission":
			c.Permission, bit = v, 2
		case "resource":
			c.Resource, bit = v, 4
		}
		if bit == 0 || seen&bit != 0 {
			return c, false
		}
		seen |= bit
	}
	return c, d.byte('}')
}

// decodeChecksSlowly reads a POST check body as huma reads any other:
// parsed by the content type's format, validated against the schema
// (problems with a field each: 422, or 400 for what does not parse), then
// decoded into checkRequest.
func decodeChecksSlowly(api huma.API, schema *huma.Schema, contentType string, body []byte) ([]admin.CheckRequest, error) {
	if contentType == "" {
		contentType = "application/json"
	}
	var parsed any
	if err := api.Unmarshal(contentType, body, &parsed); err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, huma.ErrUnknownContentType) {
			status = http.StatusUnsupportedMediaType
		}
		return nil, huma.NewError(status, "validation failed", &huma.ErrorDetail{Location: "body", Message: err.Error(), Value: string(body)})
	}
	res := &huma.ValidateResult{}
	pb := huma.NewPathBuffer(make([]byte, 0, 64), 0)
	pb.Push("body")
	huma.Validate(api.OpenAPI().Components.Schemas, schema, pb, huma.ModeWriteToServer, parsed, res)
	if len(res.Errors) > 0 {
		return nil, huma.NewError(http.StatusUnprocessableEntity, "validation failed", res.Errors...)
	}
	var in checkRequest
	if err := api.Unmarshal(contentType, body, &in); err != nil {
		return nil, huma.NewError(http.StatusUnprocessableEntity, "validation failed", &huma.ErrorDetail{Location: "body", Message: err.Error(), Value: string(body)})
	}
	reqs := make([]admin.CheckRequest, len(in.Checks))
	for i, c := range in.Checks {
		reqs[i] = admin.CheckRequest{UserID: c.User, Permission: c.Permission, Resource: c.Resource}
	}
	return reqs, nil
}
