package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestSignIn covers POST /api/v1/session: staff and tenant users, by
// username or e-mail, with the cookie the contract promises (R-A9); the
// session works as a cookie and as a bearer token.
func TestSignIn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", nil)
		e.mustMember("acme", "alice", "standard")

		for _, tc := range []struct {
			name                 string
			body                 map[string]any
			wantUser, wantTenant string
			wantStaff            bool
		}{
			{"staff without tenant", map[string]any{"username": "admin", "password": staffPassword}, "admin", "", true},
			{"staff with empty tenant", map[string]any{"tenant": "", "username": "admin", "password": staffPassword}, "admin", "", true},
			{"tenant user by username", map[string]any{"tenant": "acme", "username": "alice", "password": userPassword}, "alice", "acme", false},
			{"tenant user by username in another case", map[string]any{"tenant": "acme", "username": "ALICE", "password": userPassword}, "alice", "acme", false},
			{"tenant user by e-mail", map[string]any{"tenant": "acme", "username": "alice@example.com", "password": userPassword}, "alice", "acme", false},
			{"tenant user by e-mail in another case", map[string]any{"tenant": "acme", "username": "Alice@Example.COM", "password": userPassword}, "alice", "acme", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := e.client(tc.name)
				r := do(t, c, "POST", "/api/v1/session", tc.body)
				wantStatus(t, r, http.StatusOK)
				u := decode[struct {
					User userJSON `json:"user"`
				}](t, r).User
				if u.Username != tc.wantUser || u.Tenant != tc.wantTenant || u.Staff != tc.wantStaff || u.MustChangePassword {
					t.Fatalf("signed in as %+v, want %s of %q (staff %v) with no password change due", u, tc.wantUser, tc.wantTenant, tc.wantStaff)
				}
				wantSessionCookie(t, r)

				me := do(t, c, "GET", "/api/v1/me", nil)
				wantStatus(t, me, http.StatusOK)
				if got := decode[userJSON](t, me); got.ID != u.ID {
					t.Fatalf("GET /api/v1/me with the cookie = %s, want %s", got.Username, u.Username)
				}

				api := e.client("bearer")
				api.bearer = c.token()
				me = do(t, api, "GET", "/api/v1/me", nil)
				wantStatus(t, me, http.StatusOK)
				if got := decode[userJSON](t, me); got.ID != u.ID {
					t.Fatalf("GET /api/v1/me with the bearer token = %s, want %s", got.Username, u.Username)
				}
			})
		}

		t.Run("malformed body", func(t *testing.T) {
			r := do(t, e.anon(), "POST", "/api/v1/session", "{not json")
			if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
				t.Fatalf("got %v, want 400 or 422", r)
			}
			wantProblem(t, r, r.status, r.str("code"))
			if r.header.Get("Set-Cookie") != "" {
				t.Fatalf("%v set a cookie", r)
			}
		})
	})
}

// wantSessionCookie fails unless r sets the session cookie with HttpOnly,
// SameSite=Lax and Path=/.
func wantSessionCookie(tb testing.TB, r reply) {
	tb.Helper()
	for _, line := range r.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || c.Name != "roster_session" {
			continue
		}
		if c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			tb.Fatalf("session cookie %q: want a value, HttpOnly, SameSite=Lax, Path=/", line)
		}
		return
	}
	tb.Fatalf("%v: no roster_session cookie in %q", r, r.header.Values("Set-Cookie"))
}

// TestFailedSignInsAreIndistinguishable checks R-A2: every failed sign-in
// answers the same 401 invalid_credentials, byte for byte, while the audit
// trail records the real reason.
func TestFailedSignInsAreIndistinguishable(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		const slug = "acme"
		e.mustTenant(slug, map[string]any{"lockout_threshold": 2})
		base := "/api/v1/tenants/" + slug + "/users/"

		e.mustMember(slug, "wanda", "standard")
		e.mustMember(slug, "lockie", "standard")
		for range 2 {
			wantProblem(t, signIn(t, e.anon(), slug, "lockie", "not-the-passphrase"), 401, "invalid_credentials")
		}
		_, dee := e.mustMember(slug, "dee", "standard")
		wantStatus(t, do(t, e.staff, "POST", base+dee.ID+"/deactivate", nil), http.StatusOK)
		_, remy := e.mustMember(slug, "remy", "standard")
		wantStatus(t, do(t, e.staff, "DELETE", base+remy.ID, nil), http.StatusNoContent)
		_, exie := e.mustMember(slug, "exie", "standard")
		expires := e.clock.Now().Add(time.Minute).Format(time.RFC3339)
		wantStatus(t, do(t, e.staff, "PATCH", base+exie.ID, map[string]any{"expires_at": expires}), http.StatusOK)
		e.clock.Advance(2 * time.Minute)
		if got := e.mustGetUser(slug, exie.ID).Status; got != "expired" {
			t.Fatalf("exie's status is %q past expires_at, want expired", got)
		}
		e.mustCreateUser(e.staff, slug, map[string]any{"username": "sso-sam", "auth": "sso"})
		e.mustCreateUser(e.staff, slug, map[string]any{"username": "pendy"})
		tess, _ := e.mustMember(slug, "tess", "standard")
		secret, _ := e.mustEnrol(t, tess)
		usedCode := e.code(t, secret)
		wantStatus(t, signInTOTP(t, e.anon(), slug, "tess", userPassword, usedCode), http.StatusOK)

		cases := []struct {
			name, tenant, login, password, reason string
		}{
			{"unknown tenant", "nope", "wanda", userPassword, ""},
			{"unknown user", slug, "nobody", userPassword, "unknown_user"},
			{"unknown e-mail", slug, "nobody@example.com", userPassword, "unknown_user"},
			{"empty username", slug, "", userPassword, "unknown_user"},
			{"wrong password", slug, "wanda", "not-the-passphrase", "wrong_password"},
			{"locked", slug, "lockie", userPassword, "locked"},
			{"deactivated", slug, "dee", userPassword, "deactivated"},
			{"removed", slug, "remy", userPassword, "removed"},
			{"expired", slug, "exie", userPassword, "expired"},
			{"single sign-on user", slug, "sso-sam", userPassword, "sso_user"},
			{"pending user without a password", slug, "pendy", userPassword, "no_password"},
			{"staff with a wrong password", "", "admin", "not-the-passphrase", ""},
			{"tenant user as staff", "", "wanda", userPassword, ""},
			{"wrong second factor", slug, "tess", userPassword, "wrong_totp"},
			{"second factor used before", slug, "tess", userPassword, "totp_reused"},
			{"wrong password with a right second factor", slug, "tess", "not-the-passphrase", "wrong_password"},
		}
		codes := map[string]string{"wrong second factor": "000000", "second factor used before": usedCode,
			"wrong password with a right second factor": usedCode}
		var first reply
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := signIn(t, e.anon(), tc.tenant, tc.login, tc.password)
				if code, ok := codes[tc.name]; ok {
					r = signInTOTP(t, e.anon(), tc.tenant, tc.login, tc.password, code)
				}
				wantProblem(t, r, http.StatusUnauthorized, "invalid_credentials")
				if sc := r.header.Values("Set-Cookie"); len(sc) > 0 {
					t.Fatalf("a failed sign-in set a cookie: %q", sc)
				}
				if i == 0 {
					first = r
					return
				}
				if got, want := withoutRequestID(r.raw), withoutRequestID(first.raw); got != want {
					t.Fatalf("the answer differs from that for an unknown tenant:\ngot  %s\nwant %s", got, want)
				}
			})
		}

		t.Run("the audit trail records the real reason", func(t *testing.T) {
			reasons := map[string]bool{}
			for _, ev := range e.audit(slug, "action=session.failed") {
				if ev.Outcome != "failure" || ev.Actor != nil {
					t.Errorf("failed sign-in event %+v: want outcome failure and no actor", ev)
				}
				reasons[ev.Reason] = true
			}
			for _, tc := range cases {
				if tc.reason != "" && !reasons[tc.reason] {
					t.Errorf("no session.failed event with reason %q (%s); have %v", tc.reason, tc.name, reasons)
				}
			}
		})
	})
}

// TestSessionRules covers signing out, the forced first password change
// (R-A4), a user's view of their own sessions (R-A9) and the password
// change that ends the others (R-A3).
func TestSessionRules(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		runScenarios(t, e, nil, []scenario{
			{"SignOutEndsTheSession", testSignOutEndsTheSession},
			{"NewPasswordIsRequiredBeforeAnythingElse", testNewPasswordIsRequiredFirst},
			{"UserSeesAndEndsOwnSessions", testUserSeesAndEndsOwnSessions},
			{"PasswordChangeEndsOtherSessions", testPasswordChangeEndsOtherSessions},
			{"IdleSessionEnds", testIdleSessionEnds},
		})
	})
}

func testSignOutEndsTheSession(t *testing.T, e *env, slug string) {
	c, _ := e.mustMember(slug, "olly", "standard")
	token := c.token()
	r := do(t, c, "DELETE", "/api/v1/session", nil)
	wantStatus(t, r, http.StatusNoContent)
	cleared := false
	for _, line := range r.header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(line); err == nil && ck.Name == "roster_session" && ck.Value == "" && (ck.MaxAge < 0 || ck.Expires.Before(time.Now())) {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("sign-out does not clear the cookie: %q", r.header.Values("Set-Cookie"))
	}
	wantProblem(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")

	// The server forgot the session: replaying its token does not work.
	replay := e.anon()
	wantProblem(t, do(t, replay, "GET", "/api/v1/me", nil, "Cookie", "roster_session="+token), http.StatusUnauthorized, "unauthenticated")
	replay.bearer = token
	wantProblem(t, do(t, replay, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, do(t, replay, "DELETE", "/api/v1/session", nil), http.StatusUnauthorized, "unauthenticated")

	if n := len(e.audit(slug, "action=session.ended")); n != 1 {
		t.Errorf("%d session.ended events, want 1", n)
	}
}

func testNewPasswordIsRequiredFirst(t *testing.T, e *env, slug string) {
	base := "/api/v1/tenants/" + slug
	fran := e.mustCreateUser(e.staff, slug, map[string]any{"username": "fran", "type": "admin", "password": initialPassword})
	if !fran.MustChangePassword {
		t.Fatalf("a user created with a password has must_change_password=false")
	}
	c := e.client("fran")
	r := signIn(t, c, slug, "fran", initialPassword)
	wantStatus(t, r, http.StatusOK)
	if u := decode[struct {
		User userJSON `json:"user"`
	}](t, r).User; !u.MustChangePassword {
		t.Fatalf("sign-in answered %v, want user.must_change_password=true", r)
	}

	me := do(t, c, "GET", "/api/v1/me", nil)
	wantStatus(t, me, http.StatusOK)
	if !decode[userJSON](t, me).MustChangePassword {
		t.Fatalf("GET /api/v1/me = %v, want must_change_password=true", me)
	}

	before := e.snapshot(slug)
	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/me/sessions", nil},
		{"DELETE", "/api/v1/me/sessions/whatever", nil},
		{"GET", base + "/users", nil},
		{"GET", base + "/users/" + fran.ID, nil},
		{"GET", base + "/users/" + fran.ID + "/sessions", nil},
		{"POST", base + "/users", map[string]any{"username": "sneaky", "email": "sneaky@example.com"}},
		{"PATCH", base + "/users/" + fran.ID, map[string]any{"first_name": "Fran"}},
		{"GET", base, nil},
		{"PATCH", base, map[string]any{"name": "Renamed"}},
		{"GET", base + "/audit", nil},
		{"GET", "/api/v1/tenants", nil},
	} {
		r := do(t, c, rq.method, rq.path, rq.body)
		wantProblem(t, r, http.StatusForbidden, "password_change_required")
	}
	e.wantUnchanged(slug, before, reply{method: "restricted", path: "calls"})

	// Signing out works while restricted.
	other := e.client("fran again")
	wantStatus(t, signIn(t, other, slug, "fran", initialPassword), http.StatusOK)
	wantStatus(t, do(t, other, "DELETE", "/api/v1/session", nil), http.StatusNoContent)
	wantProblem(t, do(t, other, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")

	for _, tc := range []struct {
		name, current, next, code, field string
	}{
		{"wrong current password", "not-the-passphrase", userPassword, "wrong_password", "current_password"},
		{"too short", initialPassword, "short", "password_too_short", "new_password"},
		{"same as before", initialPassword, initialPassword, "password_reused", "new_password"},
		{"contains the username", initialPassword, "fran-fran-fran-fran", "password_contains_identity", "new_password"},
		{"common", initialPassword, "password1234", "password_common", "new_password"},
	} {
		r := do(t, c, "POST", "/api/v1/me/password", map[string]any{"current_password": tc.current, "new_password": tc.next})
		wantProblem(t, r, http.StatusUnprocessableEntity, tc.code, tc.field)
	}
	wantProblem(t, do(t, c, "GET", "/api/v1/me/sessions", nil), http.StatusForbidden, "password_change_required")

	r = do(t, c, "POST", "/api/v1/me/password", map[string]any{"current_password": initialPassword, "new_password": userPassword})
	wantStatus(t, r, http.StatusOK)
	if u := decode[userJSON](t, r); u.MustChangePassword {
		t.Fatalf("after the change %v, want must_change_password=false", r)
	}
	wantStatus(t, do(t, c, "GET", "/api/v1/me/sessions", nil), http.StatusOK)
	wantStatus(t, do(t, c, "GET", base+"/users", nil), http.StatusOK)

	_, u := e.mustSignIn(slug, "fran", userPassword)
	if u.MustChangePassword || u.Status != "active" {
		t.Fatalf("signing in with the new password: %+v, want active with no change due", u)
	}
	wantProblem(t, signIn(t, e.anon(), slug, "fran", initialPassword), http.StatusUnauthorized, "invalid_credentials")
}

func mySessions(tb testing.TB, c *client) []sessionJSON {
	tb.Helper()
	r := do(tb, c, "GET", "/api/v1/me/sessions", nil)
	wantStatus(tb, r, http.StatusOK)
	return decode[pageJSON[sessionJSON]](tb, r).Items
}

// current returns the id of the session marked current, failing unless
// exactly one is.
func current(tb testing.TB, list []sessionJSON) string {
	tb.Helper()
	id, n := "", 0
	for _, s := range list {
		if s.Current {
			id, n = s.ID, n+1
		}
	}
	if n != 1 {
		tb.Fatalf("%d sessions are marked current in %+v, want 1", n, list)
	}
	return id
}

func testUserSeesAndEndsOwnSessions(t *testing.T, e *env, slug string) {
	a, _ := e.mustMember(slug, "mia", "standard")
	b, _ := e.mustSignIn(slug, "mia", userPassword)
	otto, _ := e.mustMember(slug, "otto", "standard")

	listA := mySessions(t, a)
	if len(listA) != 2 {
		t.Fatalf("mia has %d sessions listed, want 2: %+v", len(listA), listA)
	}
	idA, idB := current(t, listA), current(t, mySessions(t, b))
	if idA == idB {
		t.Fatalf("both clients see session %s as current", idA)
	}
	idOtto := current(t, mySessions(t, otto))
	idStaff := current(t, mySessions(t, e.staff))

	for _, tc := range []struct{ name, id string }{
		{"another user's session", idOtto},
		{"a staff session", idStaff},
		{"an unknown session", "00000000-0000-0000-0000-000000000000"},
	} {
		wantProblem(t, do(t, a, "DELETE", "/api/v1/me/sessions/"+tc.id, nil), http.StatusNotFound, "not_found")
	}
	wantStatus(t, do(t, otto, "GET", "/api/v1/me", nil), http.StatusOK)
	wantStatus(t, do(t, e.staff, "GET", "/api/v1/me", nil), http.StatusOK)

	wantStatus(t, do(t, a, "DELETE", "/api/v1/me/sessions/"+idB, nil), http.StatusNoContent)
	wantProblem(t, do(t, b, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	wantStatus(t, do(t, a, "GET", "/api/v1/me", nil), http.StatusOK)
	if list := mySessions(t, a); len(list) != 1 || list[0].ID != idA {
		t.Fatalf("after ending the other session mia has %+v, want only %s", list, idA)
	}
	wantProblem(t, do(t, a, "DELETE", "/api/v1/me/sessions/"+idB, nil), http.StatusNotFound, "not_found")
}

func testPasswordChangeEndsOtherSessions(t *testing.T, e *env, slug string) {
	a, _ := e.mustMember(slug, "pat", "standard")
	b, _ := e.mustSignIn(slug, "pat", userPassword)
	c, _ := e.mustSignIn(slug, "pat", userPassword)
	idA := current(t, mySessions(t, a))

	const newer = "third-day-passphrase"
	r := do(t, a, "POST", "/api/v1/me/password", map[string]any{"current_password": userPassword, "new_password": newer})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, do(t, a, "GET", "/api/v1/me", nil), http.StatusOK)
	for _, other := range []*client{b, c} {
		wantProblem(t, do(t, other, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	}
	if list := mySessions(t, a); len(list) != 1 || list[0].ID != idA {
		t.Fatalf("after the change pat has %+v, want only the current session %s", list, idA)
	}
	wantProblem(t, signIn(t, e.anon(), slug, "pat", userPassword), http.StatusUnauthorized, "invalid_credentials")
	e.mustSignIn(slug, "pat", newer)

	changes := e.audit(slug, "action=user.password_changed")
	if len(changes) == 0 || !strings.Contains(changes[0].Target.Name, "pat") {
		t.Fatalf("no user.password_changed event for pat: %+v", changes)
	}
}

func testIdleSessionEnds(t *testing.T, e *env, slug string) {
	wantStatus(t, do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"session_idle_minutes": 5}), http.StatusOK)
	busy, _ := e.mustMember(slug, "busy", "standard")
	idle, _ := e.mustSignIn(slug, "busy", userPassword)
	for range 3 {
		e.clock.Advance(4 * time.Minute)
		wantStatus(t, do(t, busy, "GET", "/api/v1/me", nil), http.StatusOK)
	}
	wantProblem(t, do(t, idle, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	wantStatus(t, do(t, busy, "GET", "/api/v1/me", nil), http.StatusOK)
}
