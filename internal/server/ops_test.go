package server_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestOperationalEndpointsAnswer covers health, readiness and metrics (R-O3).
func TestOperationalEndpointsAnswer(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		anon := e.anon()
		for _, tc := range []struct {
			path     string
			status   int
			contains string
		}{
			{"/healthz", http.StatusOK, "ok"},
			{"/readyz", http.StatusOK, "ready"},
			// mustEnv signed in over HTTP already, so the counter has a sample.
			{"/metrics", http.StatusOK, "roster_http_requests_total{"},
			{"/metrics", http.StatusOK, `route="/api/v1/session"`},
		} {
			t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
				r := do(t, anon, "GET", tc.path, nil)
				wantStatus(t, r, tc.status)
				if !strings.Contains(string(r.raw), tc.contains) {
					t.Fatalf("GET %s does not contain %q:\n%.2000s", tc.path, tc.contains, r.raw)
				}
			})
		}
	})
}

// contractRoutes are the routes of SPEC §3 implemented so far.
var contractRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/session"},
	{"DELETE", "/api/v1/session"},
	{"GET", "/api/v1/me"},
	{"POST", "/api/v1/me/password"},
	{"GET", "/api/v1/me/sessions"},
	{"DELETE", "/api/v1/me/sessions/{id}"},
	{"POST", "/api/v1/tenants"},
	{"GET", "/api/v1/tenants"},
	{"GET", "/api/v1/tenants/{slug}"},
	{"PATCH", "/api/v1/tenants/{slug}"},
	{"POST", "/api/v1/tenants/{slug}/users"},
	{"GET", "/api/v1/tenants/{slug}/users"},
	{"GET", "/api/v1/tenants/{slug}/users/{id}"},
	{"PATCH", "/api/v1/tenants/{slug}/users/{id}"},
	{"DELETE", "/api/v1/tenants/{slug}/users/{id}"},
	{"POST", "/api/v1/tenants/{slug}/users/{id}/deactivate"},
	{"POST", "/api/v1/tenants/{slug}/users/{id}/activate"},
	{"POST", "/api/v1/tenants/{slug}/users/{id}/unlock"},
	{"POST", "/api/v1/tenants/{slug}/users/{id}/restore"},
	{"GET", "/api/v1/tenants/{slug}/users/{id}/sessions"},
	{"DELETE", "/api/v1/tenants/{slug}/users/{id}/sessions"},
	{"GET", "/api/v1/tenants/{slug}/audit"},
	{"POST", "/api/v1/tenants/{slug}/users/{id}/temporary-password"},
	{"POST", "/api/v1/tenants/{slug}/users/{id}/mfa/reset"},
	{"POST", "/api/v1/me/mfa/totp"},
	{"POST", "/api/v1/me/mfa/totp/confirm"},
	{"POST", "/api/v1/tenants/{slug}/api-tokens"},
	{"GET", "/api/v1/tenants/{slug}/api-tokens"},
	{"DELETE", "/api/v1/tenants/{slug}/api-tokens/{id}"},
}

type openAPIOperation struct {
	OperationID string                 `json:"operationId"`
	Security    *[]map[string][]string `json:"security"`
	RequestBody json.RawMessage        `json:"requestBody"`
}

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Info    struct{ Title, Version string }        `json:"info"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
}

// TestOpenAPIDescribesEveryRoute checks that /api/v1/openapi.json is an
// OpenAPI 3.1 document that lists every route of the contract, and that
// every operation it lists is served by the real handler.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		anon := e.anon()
		r := do(t, anon, "GET", "/api/v1/openapi.json", nil)
		wantStatus(t, r, http.StatusOK)
		if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "json") {
			t.Fatalf("openapi.json has Content-Type %q", ct)
		}
		var doc openAPIDoc
		if err := json.Unmarshal(r.raw, &doc); err != nil {
			t.Fatalf("openapi.json is not JSON: %v", err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.1") {
			t.Fatalf("openapi = %q, want 3.1.x", doc.OpenAPI)
		}
		if doc.Info.Title == "" {
			t.Fatalf("openapi.json has no info.title")
		}

		t.Run("lists the contract", func(t *testing.T) {
			for _, rt := range contractRoutes {
				ops, ok := doc.Paths[rt.path]
				if !ok {
					t.Errorf("paths lack %s", rt.path)
					continue
				}
				if _, ok := ops[strings.ToLower(rt.method)]; !ok {
					t.Errorf("paths[%q] lacks %s (has %v)", rt.path, rt.method, keys(ops))
				}
			}
		})

		t.Run("every operation is served", func(t *testing.T) {
			n := 0
			for path, ops := range doc.Paths {
				for method, op := range ops {
					n++
					concrete := strings.NewReplacer("{slug}", "acme", "{id}", "0000").Replace(path)
					r := do(t, anon, strings.ToUpper(method), concrete, nil)
					if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
						t.Errorf("%s %s (%s) is described but not served: %v", method, path, op.OperationID, r)
						continue
					}
					public := op.Security != nil && len(*op.Security) == 0
					if !public && op.RequestBody == nil && r.status != http.StatusUnauthorized {
						t.Errorf("%s %s without a session: got %v, want 401", method, path, r)
					}
					if r.status >= 400 && r.header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("%v: Content-Type %q, want application/problem+json", r, r.header.Get("Content-Type"))
					}
				}
			}
			if n < len(contractRoutes) {
				t.Fatalf("the description has %d operations, fewer than the %d of the contract", n, len(contractRoutes))
			}
		})
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestSecurityHeaders checks the headers every answer carries.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		for _, tc := range []struct {
			name    string
			c       *client
			path    string
			status  int
			noStore bool
		}{
			{"health", e.anon(), "/healthz", 200, false},
			{"api answer", e.staff, "/api/v1/me", 200, true},
			{"api error", e.anon(), "/api/v1/me", 401, true},
			{"openapi", e.anon(), "/api/v1/openapi.json", 200, true},
			{"unknown api route", e.anon(), "/api/v1/nothing-here", 404, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, tc.c, "GET", tc.path, nil)
				wantStatus(t, r, tc.status)
				if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
				}
				if got := r.header.Get("Content-Security-Policy"); !strings.Contains(got, "frame-ancestors 'none'") {
					t.Errorf("Content-Security-Policy = %q, want frame-ancestors 'none'", got)
				}
				if got := r.header.Get("Cache-Control"); tc.noStore && !strings.Contains(got, "no-store") {
					t.Errorf("Cache-Control = %q, want no-store", got)
				}
				if r.header.Get("X-Request-Id") == "" {
					t.Errorf("no X-Request-Id")
				}
			})
		}
	})
}

// TestUnknownAPIRouteIsProblem404 checks that what is not served answers a
// problem, not an HTML page.
func TestUnknownAPIRouteIsProblem404(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		for _, tc := range []struct {
			c            *client
			method, path string
		}{
			{e.anon(), "GET", "/api/v1/nothing-here"},
			{e.staff, "GET", "/api/v1/nothing-here"},
			{e.staff, "POST", "/api/v1/tenants/acme/widgets"},
			{e.staff, "GET", "/api/v2/tenants"},
		} {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				wantProblem(t, do(t, tc.c, tc.method, tc.path, nil), http.StatusNotFound, "not_found")
			})
		}
	})
}

// TestCrossSiteRequestIsRefused checks CSRF protection (R-A9): a browser's
// cross-site POST carrying the session cookie changes nothing.
func TestCrossSiteRequestIsRefused(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", nil)
		before := e.snapshot("acme")
		for _, tc := range []struct {
			name         string
			method, path string
			body         any
		}{
			{"create tenant", "POST", "/api/v1/tenants", map[string]any{"slug": "evil", "name": "Evil"}},
			{"create user", "POST", "/api/v1/tenants/acme/users", map[string]any{"username": "mallory", "email": "m@evil.example"}},
			{"patch tenant", "PATCH", "/api/v1/tenants/acme", map[string]any{"name": "Pwned"}},
			{"sign out", "DELETE", "/api/v1/session", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, e.staff, tc.method, tc.path, tc.body, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
				wantProblem(t, r, http.StatusForbidden, "csrf_rejected")
			})
		}
		e.wantUnchanged("acme", before, reply{method: "cross-site", path: "requests"})
		wantProblem(t, do(t, e.staff, "GET", "/api/v1/tenants/evil", nil), http.StatusNotFound, "not_found")
		wantStatus(t, do(t, e.staff, "GET", "/api/v1/me", nil), http.StatusOK)

		t.Run("same origin passes", func(t *testing.T) {
			r := do(t, e.staff, "POST", "/api/v1/tenants", map[string]any{"slug": "fine", "name": "Fine"}, "Sec-Fetch-Site", "same-origin", "Origin", e.url)
			wantStatus(t, r, http.StatusCreated)
		})
	})
}
