package server_test

import (
	"net/http"
	"testing"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestOwnProfileAndSessions covers PATCH /api/v1/me and DELETE
// /api/v1/me/sessions: a person changes their own profile but never their
// e-mail, type or status (R-U2), and ends their other sessions (R-A9).
func TestOwnProfileAndSessions(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", nil)
		alice, u := e.mustMember("acme", "alice", "standard")

		r := do(t, alice, "PATCH", "/api/v1/me", map[string]any{"first_name": "Alicia", "locale": "ja", "other_recipients": []string{"boss@example.com"}})
		wantStatus(t, r, http.StatusOK)
		if got := e.mustGetUser("acme", u.ID); got.FirstName != "Alicia" || got.Locale != "ja" || len(got.OtherRecipients) != 1 {
			t.Fatalf("after PATCH /api/v1/me: %+v", got)
		}
		if ev := e.audit("acme", "action=user.updated"); len(ev) == 0 || ev[0].Target.ID != u.ID {
			t.Errorf("no audit event for the profile change: %+v", ev)
		}

		before := e.snapshot("acme")
		for _, tc := range []struct {
			name  string
			body  map[string]any
			code  string
			field string
		}{
			{"own e-mail", map[string]any{"email": "new@example.com"}, "unknown_field", "email"},
			{"own type", map[string]any{"type": "admin"}, "unknown_field", "type"},
			{"own status", map[string]any{"status": "active"}, "unknown_field", "status"},
			{"bad phone", map[string]any{"phone": "call me"}, "invalid_phone", "phone"},
			{"bad locale", map[string]any{"locale": "fr"}, "unsupported_locale", "locale"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, alice, "PATCH", "/api/v1/me", tc.body)
				wantProblem(t, r, http.StatusUnprocessableEntity, tc.code, tc.field)
			})
		}
		e.wantUnchanged("acme", before, r)

		other, _ := e.mustSignIn("acme", "alice", userPassword)
		r = do(t, alice, "DELETE", "/api/v1/me/sessions", nil)
		wantStatus(t, r, http.StatusOK)
		if n, _ := r.obj["ended"].(float64); n != 1 {
			t.Errorf("ended = %v, want 1", r.obj["ended"])
		}
		wantStatus(t, do(t, other, "GET", "/api/v1/me", nil), http.StatusUnauthorized)
		wantStatus(t, do(t, alice, "GET", "/api/v1/me", nil), http.StatusOK)

		wantStatus(t, do(t, e.anon(), "PATCH", "/api/v1/me", map[string]any{"first_name": "X"}), http.StatusUnauthorized)
		wantStatus(t, do(t, e.anon(), "DELETE", "/api/v1/me/sessions", nil), http.StatusUnauthorized)
	})
}
