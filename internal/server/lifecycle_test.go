package server_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestUserLifecycle covers the status lifecycle of R-U3/R-U4/R-U5, the
// sessions that end with it (R-A9), seats (R-U9), the last admin (R-U8)
// and lockout (R-A2), each in a tenant of its own on one database.
func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		runScenarios(t, e, nil, []scenario{
			{"DeactivationEndsSessionsAtOnce", testDeactivationEndsSessions},
			{"TypeChangeEndsSessions", testTypeChangeEndsSessions},
			{"RemovalHidesUntilRestore", testRemovalHidesUntilRestore},
			{"DeletingPendingUserDeletesIt", testDeletingPendingUser},
			{"AdminEndsUserSessions", testAdminEndsUserSessions},
			{"SeatLimitCountsEveryUserNotRemoved", testSeatLimit},
			{"LastAdminStays", testLastAdminStays},
			{"LockoutAfterThresholdUntilUnlock", testLockout},
			{"ConcurrentFailuresLockExactlyOnce", testConcurrentLockout},
		})
	})
}

func testDeactivationEndsSessions(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	ada, _ := e.mustMember(slug, "ada", "admin")
	sam1, sam := e.mustMember(slug, "sam", "standard")
	sam2, _ := e.mustSignIn(slug, "sam", userPassword)

	r := do(t, ada, "POST", users+sam.ID+"/deactivate", nil)
	wantStatus(t, r, http.StatusOK)
	if got := decode[userJSON](t, r).Status; got != "deactivated" {
		t.Fatalf("deactivate answered status %q", got)
	}
	for _, c := range []*client{sam1, sam2} {
		wantProblem(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	}
	wantProblem(t, signIn(t, e.anon(), slug, "sam", userPassword), http.StatusUnauthorized, "invalid_credentials")
	if got := e.usernames(ada, slug, ""); slices.Contains(got, "sam") {
		t.Fatalf("the default list shows deactivated sam: %v", got)
	}
	if got := e.usernames(ada, slug, "include_deactivated=true"); !slices.Contains(got, "sam") {
		t.Fatalf("include_deactivated=true does not show sam: %v", got)
	}

	r = do(t, ada, "POST", users+sam.ID+"/activate", nil)
	wantStatus(t, r, http.StatusOK)
	if got := decode[userJSON](t, r).Status; got != "active" {
		t.Fatalf("activate answered status %q, want active (sam has signed in before)", got)
	}
	c, _ := e.mustSignIn(slug, "sam", userPassword)

	// The same through PATCH status.
	wantStatus(t, do(t, e.staff, "PATCH", users+sam.ID, map[string]any{"status": "deactivated"}), http.StatusOK)
	wantProblem(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	wantStatus(t, do(t, e.staff, "PATCH", users+sam.ID, map[string]any{"status": "active"}), http.StatusOK)
	e.mustSignIn(slug, "sam", userPassword)

	for _, action := range []string{"user.deactivated", "user.activated"} {
		if ev := e.audit(slug, "action="+action+"&target="+sam.ID); len(ev) != 1 || ev[0].Actor == nil || ev[0].Actor.Username != "ada" {
			t.Errorf("%s events: %+v, want one by ada", action, ev)
		}
	}
}

func testTypeChangeEndsSessions(t *testing.T, e *env, slug string) {
	ada, _ := e.mustMember(slug, "ada", "admin")
	sam, samU := e.mustMember(slug, "sam", "standard")
	r := do(t, ada, "PATCH", "/api/v1/tenants/"+slug+"/users/"+samU.ID, map[string]any{"type": "read_only"})
	wantStatus(t, r, http.StatusOK)
	if got := decode[userJSON](t, r).Type; got != "read_only" {
		t.Fatalf("type = %q after PATCH, want read_only", got)
	}
	wantProblem(t, do(t, sam, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	if _, u := e.mustSignIn(slug, "sam", userPassword); u.Type != "read_only" {
		t.Fatalf("sam signs in as %q, want read_only", u.Type)
	}

	// A change of name alone leaves the sessions alone.
	sam, _ = e.mustSignIn(slug, "sam", userPassword)
	wantStatus(t, do(t, ada, "PATCH", "/api/v1/tenants/"+slug+"/users/"+samU.ID, map[string]any{"first_name": "Samuel"}), http.StatusOK)
	wantStatus(t, do(t, sam, "GET", "/api/v1/me", nil), http.StatusOK)
}

func testRemovalHidesUntilRestore(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	ada, _ := e.mustMember(slug, "ada", "admin")
	sam, samU := e.mustMember(slug, "sam", "standard")
	seats := func() int {
		t.Helper()
		return decode[tenantJSON](t, do(t, e.staff, "GET", "/api/v1/tenants/"+slug, nil)).UserCount
	}
	if n := seats(); n != 2 {
		t.Fatalf("user_count %d, want 2", n)
	}

	wantStatus(t, do(t, ada, "DELETE", users+samU.ID, nil), http.StatusNoContent)
	wantProblem(t, do(t, sam, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, signIn(t, e.anon(), slug, "sam", userPassword), http.StatusUnauthorized, "invalid_credentials")
	got := e.mustGetUser(slug, samU.ID)
	if got.Status != "removed" || got.RemovedAt == nil || got.RestorableUntil == nil ||
		!got.RestorableUntil.Equal(got.RemovedAt.Add(14*24*time.Hour)) {
		t.Fatalf("a removed user reads %+v, want status removed, restorable 14 days after removed_at", got)
	}
	for _, q := range []string{"", "include_deactivated=true", "q=sam"} {
		if list := e.usernames(ada, slug, q); slices.Contains(list, "sam") {
			t.Fatalf("GET users?%s shows removed sam: %v", q, list)
		}
	}
	if list := e.usernames(ada, slug, "status=removed"); !slices.Equal(list, []string{"sam"}) {
		t.Fatalf("status=removed lists %v, want [sam]", list)
	}
	if n := seats(); n != 1 {
		t.Fatalf("user_count %d after the removal, want 1", n)
	}

	// The name stays taken while sam can be restored; sam cannot be changed.
	wantProblem(t, do(t, ada, "POST", "/api/v1/tenants/"+slug+"/users", map[string]any{"username": "Sam", "email": "new-sam@example.com"}), http.StatusConflict, "username_taken", "username")
	wantProblem(t, do(t, ada, "PATCH", users+samU.ID, map[string]any{"first_name": "S"}), http.StatusConflict, "user_removed")
	wantProblem(t, do(t, ada, "DELETE", users+samU.ID, nil), http.StatusConflict, "user_removed")

	r := do(t, ada, "POST", users+samU.ID+"/restore", nil)
	wantStatus(t, r, http.StatusOK)
	if u := decode[userJSON](t, r); u.Status != "active" || u.RemovedAt != nil || u.RestorableUntil != nil {
		t.Fatalf("restored %+v, want active as before, without removed_at", u)
	}
	if list := e.usernames(ada, slug, ""); !slices.Contains(list, "sam") {
		t.Fatalf("restored sam is not listed: %v", list)
	}
	if n := seats(); n != 2 {
		t.Fatalf("user_count %d after the restore, want 2", n)
	}
	e.mustSignIn(slug, "sam", userPassword)
	for _, action := range []string{"user.removed", "user.restored"} {
		if ev := e.audit(slug, "action="+action); len(ev) != 1 || ev[0].Target.ID != samU.ID {
			t.Errorf("%s events: %+v, want one about sam", action, ev)
		}
	}
}

func testDeletingPendingUser(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	ada, _ := e.mustMember(slug, "ada", "admin")
	pia := e.mustCreateUser(ada, slug, map[string]any{"username": "pia"})
	wantStatus(t, do(t, ada, "DELETE", users+pia.ID, nil), http.StatusNoContent)
	wantProblem(t, do(t, ada, "GET", users+pia.ID, nil), http.StatusNotFound, "not_found")
	wantProblem(t, do(t, ada, "POST", users+pia.ID+"/restore", nil), http.StatusNotFound, "not_found")
	if list := e.usernames(ada, slug, "status=removed"); len(list) != 0 {
		t.Fatalf("a deleted pending user is listed as removed: %v", list)
	}
	if ev := e.audit(slug, "action=user.deleted"); len(ev) != 1 || ev[0].Target.ID != pia.ID {
		t.Fatalf("user.deleted events: %+v, want one about pia", ev)
	}
	// The username is free again.
	e.mustCreateUser(ada, slug, map[string]any{"username": "pia"})

	// A pending single sign-on user is removed, not deleted (R-U5).
	sue := e.mustCreateUser(ada, slug, map[string]any{"username": "sue", "auth": "sso"})
	wantStatus(t, do(t, ada, "DELETE", users+sue.ID, nil), http.StatusNoContent)
	if got := e.mustGetUser(slug, sue.ID); got.Status != "removed" {
		t.Fatalf("a removed pending SSO user has status %q, want removed", got.Status)
	}
	r := do(t, ada, "POST", users+sue.ID+"/restore", nil)
	wantStatus(t, r, http.StatusOK)
	if got := decode[userJSON](t, r).Status; got != "pending" {
		t.Fatalf("restored pending sue has status %q, want pending", got)
	}
}

func testAdminEndsUserSessions(t *testing.T, e *env, slug string) {
	path := "/api/v1/tenants/" + slug + "/users/"
	ada, _ := e.mustMember(slug, "ada", "admin")
	sam1, sam := e.mustMember(slug, "sam", "standard")
	sam2, _ := e.mustSignIn(slug, "sam", userPassword)

	r := do(t, ada, "GET", path+sam.ID+"/sessions", nil)
	wantStatus(t, r, http.StatusOK)
	if list := decode[pageJSON[sessionJSON]](t, r).Items; len(list) != 2 || list[0].Current || list[1].Current {
		t.Fatalf("sam's sessions as ada sees them: %+v, want 2, neither ada's current one", list)
	}
	wantStatus(t, do(t, ada, "DELETE", path+sam.ID+"/sessions", nil), http.StatusNoContent)
	for _, c := range []*client{sam1, sam2} {
		wantProblem(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	}
	r = do(t, ada, "GET", path+sam.ID+"/sessions", nil)
	if list := decode[pageJSON[sessionJSON]](t, r).Items; len(list) != 0 {
		t.Fatalf("sam still has sessions %+v", list)
	}
	wantStatus(t, do(t, ada, "GET", "/api/v1/me", nil), http.StatusOK)
	if ev := e.audit(slug, "action=user.sessions_ended"); len(ev) != 1 || ev[0].Details["count"] != float64(2) {
		t.Fatalf("user.sessions_ended events: %+v, want one counting 2", ev)
	}
	// Signing in again works.
	e.mustSignIn(slug, "sam", userPassword)
}

func testSeatLimit(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users"
	ada, _ := e.mustMember(slug, "ada", "admin")
	wantStatus(t, do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"max_users": 4}), http.StatusOK)
	e.mustCreateUser(ada, slug, map[string]any{"username": "p1"})
	_, act := e.mustMember(slug, "act", "standard")
	dee := e.mustCreateUser(ada, slug, map[string]any{"username": "dee"})
	wantStatus(t, do(t, ada, "POST", users+"/"+dee.ID+"/deactivate", nil), http.StatusOK)

	// Pending, active and deactivated users all take a seat.
	before := e.snapshot(slug)
	r := do(t, ada, "POST", users, map[string]any{"username": "one-too-many", "email": "more@example.com"})
	wantProblem(t, r, http.StatusConflict, "seat_limit")
	e.wantUnchanged(slug, before, r)

	// A removal frees a seat; a restore beyond the limit is refused.
	wantStatus(t, do(t, ada, "DELETE", users+"/"+act.ID, nil), http.StatusNoContent)
	e.mustCreateUser(ada, slug, map[string]any{"username": "newcomer"})
	before = e.snapshot(slug)
	r = do(t, ada, "POST", users+"/"+act.ID+"/restore", nil)
	wantProblem(t, r, http.StatusConflict, "seat_limit")
	e.wantUnchanged(slug, before, r)
}

func testLastAdminStays(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	ada, adaU := e.mustMember(slug, "ada", "admin")
	abe, abeU := e.mustMember(slug, "abe", "admin")

	// With two active admins, one may demote the other …
	wantStatus(t, do(t, ada, "PATCH", users+abeU.ID, map[string]any{"type": "standard"}), http.StatusOK)
	wantProblem(t, do(t, abe, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	// … but not the last one, by any route.
	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", users + adaU.ID, map[string]any{"type": "read_only"}},
		{"POST", users + adaU.ID + "/deactivate", nil},
		{"DELETE", users + adaU.ID, nil},
	} {
		before := e.snapshot(slug)
		r := do(t, e.staff, rq.method, rq.path, rq.body)
		wantProblem(t, r, http.StatusConflict, "last_admin")
		e.wantUnchanged(slug, before, r)
	}
	wantStatus(t, do(t, ada, "GET", "/api/v1/me", nil), http.StatusOK)

	// A pending admin does not count as the admin who stays.
	pam := e.mustCreateUser(e.staff, slug, map[string]any{"username": "pam", "type": "admin"})
	wantProblem(t, do(t, e.staff, "POST", users+adaU.ID+"/deactivate", nil), http.StatusConflict, "last_admin")
	wantStatus(t, do(t, e.staff, "POST", users+pam.ID+"/deactivate", nil), http.StatusOK)
}

func testLockout(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	wantStatus(t, do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"settings": map[string]any{"lockout_threshold": 3}}), http.StatusOK)
	ada, _ := e.mustMember(slug, "ada", "admin")
	sam, samU := e.mustMember(slug, "sam", "standard")

	// A success in between resets the count.
	for range 2 {
		wantProblem(t, signIn(t, e.anon(), slug, "sam", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")
	}
	e.mustSignIn(slug, "sam", userPassword)
	for range 2 {
		wantProblem(t, signIn(t, e.anon(), slug, "sam", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")
	}
	if got := e.mustGetUser(slug, samU.ID); got.Locked {
		t.Fatalf("sam is locked after 2 failures following a success, threshold 3")
	}
	wantProblem(t, signIn(t, e.anon(), slug, "sam", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")

	if got := e.mustGetUser(slug, samU.ID); !got.Locked {
		t.Fatalf("sam is not locked after 3 failed passwords: %+v", got)
	}
	wantProblem(t, signIn(t, e.anon(), slug, "sam", userPassword), http.StatusUnauthorized, "invalid_credentials")
	wantProblem(t, do(t, sam, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	locks := e.audit(slug, "action=user.locked")
	if len(locks) != 1 || locks[0].Target.ID != samU.ID || locks[0].Actor != nil {
		t.Fatalf("user.locked events: %+v, want one about sam by nobody", locks)
	}
	if ev := e.audit(slug, "action=session.failed"); len(ev) == 0 || ev[0].Reason != "locked" {
		t.Fatalf("the last failed sign-in is recorded as %+v, want reason locked", ev)
	}

	r := do(t, ada, "POST", users+samU.ID+"/unlock", nil)
	wantStatus(t, r, http.StatusOK)
	if decode[userJSON](t, r).Locked {
		t.Fatalf("unlock answered %v, want locked=false", r)
	}
	e.mustSignIn(slug, "sam", userPassword)
	// The count starts again from zero.
	for range 2 {
		wantProblem(t, signIn(t, e.anon(), slug, "sam", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")
	}
	e.mustSignIn(slug, "sam", userPassword)
}

func testConcurrentLockout(t *testing.T, e *env, slug string) {
	wantStatus(t, do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"lockout_threshold": 3}), http.StatusOK)
	_, sam := e.mustMember(slug, "sam", "standard")

	const attempts = 8
	body := `{"tenant":"` + slug + `","username":"sam","password":"not-the-passphrase"}`
	var wg sync.WaitGroup
	for range attempts {
		wg.Go(func() {
			// t.Fatal may not run here, off the test's goroutine.
			res, err := http.Post(e.url+"/api/v1/session", "application/json", strings.NewReader(body))
			if err != nil {
				t.Errorf("a concurrent sign-in: %v", err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("a concurrent failed sign-in answered %d, want 401 (or 429 when hashing is saturated)", res.StatusCode)
			}
		})
	}
	wg.Wait()
	if got := e.mustGetUser(slug, sam.ID); !got.Locked {
		t.Fatalf("sam is not locked after %d concurrent failures, threshold 3", attempts)
	}
	wantProblem(t, signIn(t, e.anon(), slug, "sam", userPassword), http.StatusUnauthorized, "invalid_credentials")
	if ev := e.audit(slug, "action=user.locked"); len(ev) != 1 {
		t.Fatalf("%d user.locked events, want exactly 1", len(ev))
	}
}
