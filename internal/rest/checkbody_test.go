package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// TestChecksReadAsHumaReadsThem holds the reader of POST check bodies to
// what huma itself makes of them: the same checks, or the same problem,
// for well-formed batches in every spelling and for every kind of bad
// body.
func TestChecksReadAsHumaReadsThem(t *testing.T) {
	mux := http.NewServeMux()
	api := humago.New(mux, huma.DefaultConfig("test", "1"))
	type out struct {
		Body struct {
			Checks []Check `json:"checks"`
		}
	}
	// The reference: huma validates and decodes the body.
	huma.Register(api, huma.Operation{OperationID: "ref", Method: http.MethodPost, Path: "/ref"},
		func(ctx context.Context, in *struct{ Body checkRequest }) (*out, error) {
			o := &out{}
			if len(in.Body.Checks) > 0 { // the handler tells none from an empty list by length
				o.Body.Checks = in.Body.Checks
			}
			return o, nil
		})
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(checkRequest{}), true, "CheckRequest")
	huma.Register(api, huma.Operation{OperationID: "new", Method: http.MethodPost, Path: "/new"},
		func(ctx context.Context, in *struct {
			ContentType string `header:"Content-Type"`
			RawBody     []byte
		}) (*out, error) {
			reqs, err := readChecks(api, schema, in.ContentType, in.RawBody)
			if err != nil {
				return nil, err
			}
			o := &out{}
			for _, r := range reqs {
				o.Body.Checks = append(o.Body.Checks, Check{User: r.UserID, Permission: r.Permission, Resource: r.Resource})
			}
			return o, nil
		})
	one := `{"user":"u1","permission":"p.read","resource":"project:P1"}`
	many := func(n int) string {
		return `{"checks":[` + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + `]}`
	}
	bodies := []string{
		`{"checks":[` + one + `]}`,
		" \n\t{ \"checks\" : [ { \"resource\" : \"r\" , \"user\":\"u\",\"permission\":\"p\" } , " + one + " ] } \r\n",
		`{"checks":[]}`,
		`{"checks":null}`,
		`{"checks":[{"user":"","permission":"","resource":""}]}`,
		`{"checks":[{"user":"\u0061nn","permission":"p\"q","resource":"a\\b"}]}`,
		`{"checks":[{"user":"日本","permission":"p","resource":"r"}]}`,
		"{\"checks\":[{\"user\":\"\xff\",\"permission\":\"p\",\"resource\":\"r\"}]}",
		"{\"checks\":[{\"user\":\"a\tb\",\"permission\":\"p\",\"resource\":\"r\"}]}",
		`{"checks":[{"user":"u","permission":"p"}]}`,
		`{"checks":[{"user":"u","permission":"p","resource":"r","extra":1}]}`,
		`{"checks":[{"user":"u","user":"v","permission":"p","resource":"r"}]}`,
		`{"checks":[{"user":1,"permission":"p","resource":"r"}]}`,
		`{"checks":[` + one + `],"more":true}`,
		`{"checks":[` + one + `],"checks":[]}`,
		`{"checks":{}}`,
		`{}`,
		`[]`,
		`null`,
		`{"checks":[` + one + `]} x`,
		`{"checks":[` + one + `,]}`,
		`{"checks":[` + one,
		`{"checks":[` + one + `]`,
		``,
		many(1000),
		many(1001),
	}
	post := func(path, body, ct string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader([]byte(body)))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		raw, _ := io.ReadAll(rec.Body)
		return rec.Code, string(raw)
	}
	for i, body := range bodies {
		for _, ct := range []string{"application/json", "", "application/json; charset=utf-8", "text/plain"} {
			wantCode, want := post("/ref", body, ct)
			gotCode, got := post("/new", body, ct)
			if gotCode != wantCode || got != want {
				t.Errorf("body %d %.60q as %q: %d %.300s\nhuma says %d %.300s", i, body, ct, gotCode, got, wantCode, want)
			}
		}
	}
	// The fast reader took the usual shapes itself.
	for _, body := range []string{bodies[0], bodies[1], bodies[2], many(1000)} {
		if _, ok := decodeChecks([]byte(body)); !ok {
			t.Errorf("decodeChecks refused %.60q", body)
		}
	}
	if reqs, ok := decodeChecks([]byte(bodies[1])); !ok || len(reqs) != 2 || reqs[0].UserID != "u" || reqs[0].Resource != "r" || reqs[0].Permission != "p" {
		t.Errorf("decodeChecks read %+v", reqs)
	}
}

// BenchmarkReadChecks compares reading a batch of 100 checks.
func BenchmarkReadChecks(b *testing.B) {
	var checks []map[string]string
	for i := range 100 {
		checks = append(checks, map[string]string{"user": fmt.Sprintf("01a2095b-77aa-757b-9fdd-%012d", i), "permission": "defects.edit", "resource": fmt.Sprintf("folder:P%d-F9", i%20)})
	}
	body, _ := json.Marshal(map[string]any{"checks": checks})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, ok := decodeChecks(body); !ok {
			b.Fatal("refused")
		}
	}
}
