package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// tenantSlugs lists every tenant as c, limit at a time, following next_cursor.
func tenantSlugs(tb testing.TB, c *client, query string, limit int) []string {
	tb.Helper()
	out := []string{}
	cursor := ""
	for range 1000 {
		path := "/api/v1/tenants?limit=" + strconv.Itoa(limit) + "&" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := do(tb, c, "GET", path, nil)
		wantStatus(tb, r, http.StatusOK)
		if _, ok := r.obj["items"].([]any); !ok {
			tb.Fatalf("%v: no items array", r)
		}
		p := decode[pageJSON[tenantJSON]](tb, r)
		if len(p.Items) > limit {
			tb.Fatalf("%v: %d items, more than limit %d", r, len(p.Items), limit)
		}
		for _, t := range p.Items {
			out = append(out, t.Slug)
		}
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
	tb.Fatalf("listing tenants never ends")
	return nil
}

// TestTenantsAreManagedByStaff covers /api/v1/tenants and
// /api/v1/tenants/{slug}: create, list with paging, read and change, with
// settings at the top level or under "settings".
func TestTenantsAreManagedByStaff(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		settings := map[string]any{"max_users": 10, "lockout_threshold": 3, "mfa_required": true,
			"password_min_length": 14, "session_idle_minutes": 30, "locale": "ja"}
		want := settingsJSON{MaxUsers: 10, LockoutThreshold: 3, MFARequired: true, PasswordMinLength: 14, SessionIdleMinutes: 30, Locale: "ja"}

		t.Run("create with settings at the top level", func(t *testing.T) {
			got := e.in(t).mustTenant("top", settings)
			if got.Slug != "top" || got.Name != "Tenant top" || got.ID == "" || got.settingsJSON != want || got.Settings != want {
				t.Fatalf("created %+v, want settings %+v at the top level and nested", got, want)
			}
		})
		t.Run("create with settings nested", func(t *testing.T) {
			r := do(t, e.staff, "POST", "/api/v1/tenants", map[string]any{"slug": "nested", "name": "Nested", "settings": settings})
			wantStatus(t, r, http.StatusCreated)
			if got := decode[tenantJSON](t, r); got.settingsJSON != want || got.Settings != want {
				t.Fatalf("created %+v, want settings %+v", got, want)
			}
		})
		t.Run("nested settings win over top-level ones", func(t *testing.T) {
			r := do(t, e.staff, "POST", "/api/v1/tenants", map[string]any{"slug": "both", "name": "Both", "locale": "en", "settings": map[string]any{"locale": "ja"}})
			wantStatus(t, r, http.StatusCreated)
			if got := decode[tenantJSON](t, r); got.Locale != "ja" || got.Settings.Locale != "ja" {
				t.Fatalf("locale %q / %q, want ja", got.Locale, got.Settings.Locale)
			}
		})
		t.Run("defaults", func(t *testing.T) {
			got := e.in(t).mustTenant("plain", nil)
			def := settingsJSON{MaxUsers: 0, LockoutThreshold: 5, PasswordMinLength: 12, SessionIdleMinutes: 60, Locale: "en"}
			if got.Settings != def || got.UserCount != 0 {
				t.Fatalf("a new tenant has %+v, want defaults %+v and no users", got, def)
			}
		})

		t.Run("list pages through every tenant in slug order", func(t *testing.T) {
			for _, slug := range []string{"p-a", "p-b", "p-c", "p-d", "p-e"} {
				e.in(t).mustTenant(slug, nil)
			}
			all := tenantSlugs(t, e.staff, "", 500)
			if !slices.IsSorted(all) || slices.Contains(all, "_platform") || len(all) != 9 {
				t.Fatalf("tenants %v: want the 9 created, sorted by slug, without the platform", all)
			}
			for _, limit := range []int{1, 2, 4} {
				if got := tenantSlugs(t, e.staff, "", limit); !slices.Equal(got, all) {
					t.Fatalf("paging %d at a time gives %v, want %v", limit, got, all)
				}
			}
			if got := tenantSlugs(t, e.staff, "q=p-", 2); !slices.Equal(got, []string{"p-a", "p-b", "p-c", "p-d", "p-e"}) {
				t.Fatalf("q=p- finds %v", got)
			}
		})

		t.Run("get and patch", func(t *testing.T) {
			r := do(t, e.staff, "GET", "/api/v1/tenants/top", nil)
			wantStatus(t, r, http.StatusOK)
			if got := decode[tenantJSON](t, r); got.Settings != want {
				t.Fatalf("GET top = %+v, want settings %+v", got, want)
			}
			r = do(t, e.staff, "PATCH", "/api/v1/tenants/top", map[string]any{"name": "Top Inc.", "lockout_threshold": 7, "settings": map[string]any{"session_idle_minutes": 45, "mfa_required": false}})
			wantStatus(t, r, http.StatusOK)
			w := want
			w.LockoutThreshold, w.SessionIdleMinutes, w.MFARequired = 7, 45, false
			got := decode[tenantJSON](t, do(t, e.staff, "GET", "/api/v1/tenants/top", nil))
			if got.Name != "Top Inc." || got.Settings != w || got.settingsJSON != w {
				t.Fatalf("after PATCH %+v, want name Top Inc. and %+v", got, w)
			}
			if ev := e.in(t).audit("top", "action=tenant.updated"); len(ev) != 1 {
				t.Fatalf("%d tenant.updated events, want 1", len(ev))
			}
		})

		acmeAdmin, _ := e.mustMember("plain", "ada", "admin")
		acmeUser, _ := e.mustMember("plain", "sam", "standard")

		t.Run("refused creations change nothing", func(t *testing.T) {
			before := tenantSlugs(t, e.staff, "", 500)
			for _, tc := range []struct {
				name   string
				c      *client
				body   any
				status int
				code   string
				field  string
			}{
				{"not signed in", e.anon(), map[string]any{"slug": "x1", "name": "X"}, 401, "unauthenticated", ""},
				{"tenant admin", acmeAdmin, map[string]any{"slug": "x2", "name": "X"}, 403, "staff_only", ""},
				{"standard user", acmeUser, map[string]any{"slug": "x3", "name": "X"}, 403, "staff_only", ""},
				{"slug taken", e.staff, map[string]any{"slug": "top", "name": "X"}, 409, "slug_taken", "slug"},
				{"slug with capitals and a space", e.staff, map[string]any{"slug": "Bad Slug", "name": "X"}, 422, "invalid_slug", "slug"},
				{"slug with a leading hyphen", e.staff, map[string]any{"slug": "-x", "name": "X"}, 422, "invalid_slug", "slug"},
				{"slug with an underscore", e.staff, map[string]any{"slug": "a_b", "name": "X"}, 422, "invalid_slug", "slug"},
				{"reserved slug", e.staff, map[string]any{"slug": "api", "name": "X"}, 422, "reserved_slug", "slug"},
				{"empty slug", e.staff, map[string]any{"slug": "", "name": "X"}, 422, "required", "slug"},
				{"empty name", e.staff, map[string]any{"slug": "x4", "name": " "}, 422, "required", "name"},
				{"lockout threshold 0", e.staff, map[string]any{"slug": "x5", "name": "X", "lockout_threshold": 0}, 422, "out_of_range", "lockout_threshold"},
				{"password minimum below 8", e.staff, map[string]any{"slug": "x6", "name": "X", "settings": map[string]any{"password_min_length": 4}}, 422, "out_of_range", "password_min_length"},
				{"idle minutes 0", e.staff, map[string]any{"slug": "x7", "name": "X", "session_idle_minutes": 0}, 422, "out_of_range", "session_idle_minutes"},
				{"unsupported locale", e.staff, map[string]any{"slug": "x8", "name": "X", "locale": "fr"}, 422, "unsupported_locale", "locale"},
				{"negative seat limit", e.staff, map[string]any{"slug": "x9", "name": "X", "max_users": -1}, 422, "invalid", "max_users"},
				{"seat limit as text", e.staff, map[string]any{"slug": "x10", "name": "X", "max_users": "ten"}, 422, "invalid", "max_users"},
				{"unknown property", e.staff, map[string]any{"slug": "x11", "name": "X", "colour": "red"}, 422, "unknown_field", "colour"},
				{"malformed JSON", e.staff, `{"slug": "x12",`, 400, "malformed_request", ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := do(t, tc.c, "POST", "/api/v1/tenants", tc.body)
					if tc.field != "" {
						wantProblem(t, r, tc.status, tc.code, tc.field)
					} else {
						wantProblem(t, r, tc.status, tc.code)
					}
				})
			}
			if after := tenantSlugs(t, e.staff, "", 500); !slices.Equal(after, before) {
				t.Fatalf("refused creations changed the tenants: %v, then %v", before, after)
			}
		})

		t.Run("refused reads and changes", func(t *testing.T) {
			snap := map[string]string{"top": e.in(t).snapshot("top"), "plain": e.in(t).snapshot("plain")}
			for _, tc := range []struct {
				name   string
				c      *client
				method string
				slug   string
				body   any
				status int
				code   string
				field  string
			}{
				{"tenant user lists tenants", acmeAdmin, "GET", "", nil, 403, "staff_only", ""},
				{"anonymous reads a tenant", e.anon(), "GET", "top", nil, 401, "unauthenticated", ""},
				{"staff reads an unknown tenant", e.staff, "GET", "nope", nil, 404, "not_found", ""},
				{"staff reads the platform", e.staff, "GET", "_platform", nil, 404, "not_found", ""},
				{"tenant admin reads another tenant", acmeAdmin, "GET", "top", nil, 404, "not_found", ""},
				{"tenant admin changes another tenant", acmeAdmin, "PATCH", "top", map[string]any{"name": "Mine"}, 404, "not_found", ""},
				{"standard user reads own tenant", acmeUser, "GET", "plain", nil, 403, "forbidden", ""},
				{"standard user changes own tenant", acmeUser, "PATCH", "plain", map[string]any{"lockout_threshold": 50}, 403, "forbidden", ""},
				{"tenant admin raises own seat limit", acmeAdmin, "PATCH", "plain", map[string]any{"max_users": 1000}, 403, "staff_only", ""},
				{"bad threshold", e.staff, "PATCH", "top", map[string]any{"lockout_threshold": 0}, 422, "out_of_range", "lockout_threshold"},
				{"bad nested locale", e.staff, "PATCH", "top", map[string]any{"settings": map[string]any{"locale": "xx"}}, 422, "unsupported_locale", "locale"},
				{"empty name", e.staff, "PATCH", "top", map[string]any{"name": ""}, 422, "required", "name"},
				{"unknown property", e.staff, "PATCH", "top", map[string]any{"colour": "red"}, 422, "unknown_field", "colour"},
				{"slug is not changeable", e.staff, "PATCH", "top", map[string]any{"slug": "other"}, 422, "unknown_field", "slug"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					path := "/api/v1/tenants"
					if tc.slug != "" {
						path += "/" + tc.slug
					}
					r := do(t, tc.c, tc.method, path, tc.body)
					if tc.field != "" {
						wantProblem(t, r, tc.status, tc.code, tc.field)
					} else {
						wantProblem(t, r, tc.status, tc.code)
					}
					for slug, before := range snap {
						e.in(t).wantUnchanged(slug, before, r)
					}
				})
			}
		})

		t.Run("tenant admin reads and changes own policies", func(t *testing.T) {
			r := do(t, acmeAdmin, "PATCH", "/api/v1/tenants/plain", map[string]any{"lockout_threshold": 4})
			wantStatus(t, r, http.StatusOK)
			if got := decode[tenantJSON](t, do(t, acmeAdmin, "GET", "/api/v1/tenants/plain", nil)); got.Settings.LockoutThreshold != 4 || got.UserCount != 2 {
				t.Fatalf("GET plain as its admin = %+v, want lockout_threshold 4 and 2 users", got)
			}
		})
	})
}
