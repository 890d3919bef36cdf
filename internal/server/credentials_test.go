package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestCredentials covers the credential endpoints of SPEC §3 through the
// real handler on both databases: temporary passwords (R-A6), TOTP
// enrolment and sign-in (R-A7), the tenant's two-factor policy with its
// restricted session, API tokens (R-A10) and the lockout cool-off (R-A2).
func TestCredentials(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		runScenarios(t, e, nil, []scenario{
			{"temporary password is shown once and forces a change", testTemporaryPassword},
			{"TOTP enrolment, sign-in and recovery codes", testTOTP},
			{"two-factor policy restricts until enrolment", testMFAPolicy},
			{"API tokens act as bearer until revoked", testAPITokens},
			{"a temporary lock lifts after the cool-off", testCooloff},
		})
	})
}

func testTemporaryPassword(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	ada, _ := e.mustMember(slug, "ada", "admin")
	tom, tomU := e.mustMember(slug, "tom", "standard")

	r := do(t, ada, "POST", users+tomU.ID+"/temporary-password", map[string]any{})
	wantStatus(t, r, http.StatusOK)
	pw := r.str("password")
	if len(pw) < 20 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("generated %q, Cache-Control %q; want 20+ characters, no-store", pw, r.header.Get("Cache-Control"))
	}
	wantProblem(t, do(t, tom, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	c, u := e.mustSignIn(slug, "tom", pw)
	if !u.MustChangePassword {
		t.Fatal("a temporary password does not force a change")
	}
	wantProblem(t, do(t, c, "GET", users, nil), http.StatusForbidden, "password_change_required")
	if strings.Contains(string(do(t, e.staff, "GET", "/api/v1/tenants/"+slug+"/audit?limit=500", nil).raw), pw) {
		t.Fatal("the audit trail holds the temporary password")
	}

	r = do(t, ada, "POST", users+tomU.ID+"/temporary-password", map[string]any{"password": "lantern over the bay"})
	if r.status != http.StatusOK || r.str("password") != "lantern over the bay" {
		t.Fatalf("chosen temporary password: %v", r)
	}
	wantProblem(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated") // a new password ends the sessions
	c, _ = e.mustSignIn(slug, "tom", "lantern over the bay")
	before := e.snapshot(slug)
	wantProblem(t, do(t, ada, "POST", users+tomU.ID+"/temporary-password", map[string]any{"password": "qwertyuiop123"}), http.StatusUnprocessableEntity, "password_common", "password")
	wantProblem(t, do(t, ada, "POST", users+tomU.ID+"/temporary-password", map[string]any{"pass": "x"}), http.StatusUnprocessableEntity, "unknown_field", "pass")
	wantProblem(t, do(t, c, "POST", users+tomU.ID+"/temporary-password", map[string]any{}), http.StatusForbidden, "password_change_required")
	e.mustTenant(slug+"-other", nil)
	wantProblem(t, do(t, ada, "POST", "/api/v1/tenants/"+slug+"-other/users/"+tomU.ID+"/temporary-password", map[string]any{}), http.StatusNotFound, "not_found")
	e.wantUnchanged(slug, before, do(t, e.staff, "GET", users+tomU.ID, nil))
}

// code is what an authenticator app shows for secret at the env's time.
func (e *env) code(tb testing.TB, secret string) string {
	tb.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustEnrol enrols c in TOTP and returns the secret and recovery codes.
func (e *env) mustEnrol(tb testing.TB, c *client) (string, []string) {
	tb.Helper()
	r := do(tb, c, "POST", "/api/v1/me/mfa/totp", nil)
	wantStatus(tb, r, http.StatusOK)
	secret := r.str("secret")
	if !strings.HasPrefix(r.str("otpauth_url"), "otpauth://totp/") || !strings.HasPrefix(r.str("qr_png"), "data:image/png;base64,") || !strings.HasPrefix(r.str("qr_svg"), "<svg") {
		tb.Fatalf("enrolment answer lacks the URL or QR codes: %.300s", r.raw)
	}
	r = do(tb, c, "POST", "/api/v1/me/mfa/totp/confirm", map[string]any{"code": e.code(tb, secret)})
	wantStatus(tb, r, http.StatusOK)
	codes := decode[struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}](tb, r).RecoveryCodes
	if len(codes) != 10 {
		tb.Fatalf("%d recovery codes, want 10", len(codes))
	}
	e.clock.Advance(30 * time.Second)
	return secret, codes
}

func signInTOTP(tb testing.TB, c *client, tenant, login, pw, code string) reply {
	tb.Helper()
	return do(tb, c, "POST", "/api/v1/session", map[string]any{"tenant": tenant, "username": login, "password": pw, "totp": code})
}

func testTOTP(t *testing.T, e *env, slug string) {
	uma, umaU := e.mustMember(slug, "uma", "standard")
	wantProblem(t, do(t, uma, "POST", "/api/v1/me/mfa/totp/confirm", map[string]any{"code": "123456"}), http.StatusConflict, "mfa_not_started")
	wantStatus(t, do(t, uma, "POST", "/api/v1/me/mfa/totp", nil), http.StatusOK)
	wantProblem(t, do(t, uma, "POST", "/api/v1/me/mfa/totp/confirm", map[string]any{"code": "12ab56"}), http.StatusUnprocessableEntity, "wrong_code", "code")
	secret, codes := e.mustEnrol(t, uma)

	wantProblem(t, signIn(t, e.anon(), slug, "uma", userPassword), http.StatusUnauthorized, "mfa_required")
	wantProblem(t, signInTOTP(t, e.anon(), slug, "uma", "not-the-passphrase", ""), http.StatusUnauthorized, "invalid_credentials")
	wantProblem(t, signInTOTP(t, e.anon(), slug, "uma", userPassword, "000000"), http.StatusUnauthorized, "invalid_credentials")
	code := e.code(t, secret)
	c := e.anon()
	wantStatus(t, signInTOTP(t, c, slug, "uma", userPassword, code), http.StatusOK)
	wantStatus(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusOK)
	wantProblem(t, signInTOTP(t, e.anon(), slug, "uma", userPassword, code), http.StatusUnauthorized, "invalid_credentials")
	wantStatus(t, signInTOTP(t, e.anon(), slug, "uma", userPassword, codes[0]), http.StatusOK)
	wantProblem(t, signInTOTP(t, e.anon(), slug, "uma", userPassword, codes[0]), http.StatusUnauthorized, "invalid_credentials")
	r := do(t, uma, "GET", "/api/v1/me/mfa", nil)
	if r.status != http.StatusOK || r.obj["enrolled"] != true || r.obj["recovery_codes_left"] != float64(9) {
		t.Fatalf("GET /me/mfa = %v", r)
	}
	wantProblem(t, do(t, uma, "POST", "/api/v1/me/mfa/totp", nil), http.StatusConflict, "mfa_already_enrolled")

	// An admin resets the enrolment.
	r = do(t, e.staff, "POST", "/api/v1/tenants/"+slug+"/users/"+umaU.ID+"/mfa/reset", nil)
	if r.status != http.StatusOK || decode[userJSON](t, r).MFAEnrolled {
		t.Fatalf("mfa/reset = %v", r)
	}
	wantStatus(t, signIn(t, e.anon(), slug, "uma", userPassword), http.StatusOK)
}

func testMFAPolicy(t *testing.T, e *env, slug string) {
	users := "/api/v1/tenants/" + slug + "/users"
	wantStatus(t, do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"mfa_required": true}), http.StatusOK)
	e.mustCreateUser(e.staff, slug, map[string]any{"username": "val", "type": "admin", "password": initialPassword})
	c, u := e.mustSignIn(slug, "val", initialPassword)
	if !u.MustChangePassword || !u.MFAEnrollmentRequired {
		t.Fatalf("sign-in user: must_change_password %v, mfa_enrollment_required %v; want both", u.MustChangePassword, u.MFAEnrollmentRequired)
	}
	// The password change comes first.
	wantProblem(t, do(t, c, "POST", "/api/v1/me/mfa/totp", nil), http.StatusForbidden, "password_change_required")
	wantStatus(t, do(t, c, "POST", "/api/v1/me/password", map[string]any{"current_password": initialPassword, "new_password": userPassword}), http.StatusOK)
	wantProblem(t, do(t, c, "GET", users, nil), http.StatusForbidden, "mfa_enrollment_required")
	wantProblem(t, do(t, c, "GET", "/api/v1/me/sessions", nil), http.StatusForbidden, "mfa_enrollment_required")
	r := do(t, c, "GET", "/api/v1/me", nil)
	if r.status != http.StatusOK || !decode[userJSON](t, r).MFAEnrollmentRequired {
		t.Fatalf("GET /me = %v, want mfa_enrollment_required", r)
	}
	e.mustEnrol(t, c)
	wantStatus(t, do(t, c, "GET", users, nil), http.StatusOK)
}

func testAPITokens(t *testing.T, e *env, slug string) {
	base := "/api/v1/tenants/" + slug + "/api-tokens"
	ada, _ := e.mustMember(slug, "ada", "admin")
	r := do(t, ada, "POST", base, map[string]any{"name": "deploy bot"})
	wantStatus(t, r, http.StatusCreated)
	id, token := r.str("id"), r.str("token")
	if !strings.HasPrefix(token, "rst_") || r.obj["expires_at"] == nil {
		t.Fatalf("create token = %v", r)
	}
	bot := e.client("bot")
	bot.bearer = token
	if r := do(t, bot, "GET", "/api/v1/tenants/"+slug+"/users", nil); r.status != http.StatusOK {
		t.Fatalf("the token cannot list users: %v", r)
	}
	wantProblem(t, do(t, bot, "GET", "/api/v1/tenants", nil), http.StatusForbidden, "api_token_forbidden")
	wantProblem(t, do(t, bot, "POST", base, map[string]any{"name": "child"}), http.StatusForbidden, "api_token_forbidden")
	e.mustTenant(slug+"-b", nil)
	wantProblem(t, do(t, bot, "GET", "/api/v1/tenants/"+slug+"-b/users", nil), http.StatusNotFound, "not_found")

	r = do(t, ada, "GET", base, nil)
	if r.status != http.StatusOK || strings.Contains(string(r.raw), token) || !strings.Contains(string(r.raw), `"deploy bot"`) {
		t.Fatalf("list tokens = %v", r)
	}
	before := e.snapshot(slug)
	wantProblem(t, do(t, ada, "POST", base, map[string]any{"name": "deploy bot"}), http.StatusConflict, "name_taken", "name")
	wantProblem(t, do(t, ada, "POST", base, map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}), http.StatusUnprocessableEntity, "in_the_past", "expires_at")
	wantProblem(t, do(t, ada, "POST", base, map[string]any{"name": "x", "expires_at": "soon"}), http.StatusUnprocessableEntity, "invalid", "expires_at")
	wantProblem(t, do(t, ada, "DELETE", "/api/v1/tenants/"+slug+"-b/api-tokens/"+id, nil), http.StatusNotFound, "not_found")
	e.wantUnchanged(slug, before, do(t, e.staff, "GET", "/api/v1/tenants/"+slug, nil))

	wantStatus(t, do(t, ada, "DELETE", base+"/"+id, nil), http.StatusNoContent)
	wantProblem(t, do(t, bot, "GET", "/api/v1/tenants/"+slug+"/users", nil), http.StatusUnauthorized, "unauthenticated")
	wantProblem(t, do(t, ada, "DELETE", base+"/"+id, nil), http.StatusNotFound, "not_found")
}

func testCooloff(t *testing.T, e *env, slug string) {
	r := do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"lockout_threshold": 2, "lockout_cooloff_minutes": 5})
	if r.status != http.StatusOK || decode[tenantJSON](t, r).LockoutCooloff != 5 {
		t.Fatalf("PATCH lockout_cooloff_minutes = %v", r)
	}
	wantProblem(t, do(t, e.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"lockout_cooloff_minutes": -1}), http.StatusUnprocessableEntity, "out_of_range", "lockout_cooloff_minutes")
	_, sam := e.mustMember(slug, "sam", "standard")
	for range 2 {
		wantProblem(t, signIn(t, e.anon(), slug, "sam", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")
	}
	u := e.mustGetUser(slug, sam.ID)
	if !u.Locked || u.LockedUntil == nil || !u.LockedUntil.Equal(e.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("after 2 failures: locked %v until %v; want 5 minutes", u.Locked, u.LockedUntil)
	}
	wantProblem(t, signIn(t, e.anon(), slug, "sam", userPassword), http.StatusUnauthorized, "invalid_credentials")
	e.clock.Advance(6 * time.Minute)
	if u := e.mustGetUser(slug, sam.ID); u.Locked {
		t.Fatalf("still shown locked after the cool-off: %+v", u)
	}
	wantStatus(t, signIn(t, e.anon(), slug, "sam", userPassword), http.StatusOK)
}

// TestOneAddressGets429AfterTooManyFailedSignIns covers the per-address
// throttle of R-A2 (ROSTER_SIGNIN_FAILURES_PER_MINUTE).
func TestOneAddressGets429AfterTooManyFailedSignIns(t *testing.T) {
	t.Parallel()
	db := sqltest.Open(t, "sqlite")
	e := mustEnvWith(t, db, func(c *admin.Config) { c.SignInFailuresPerMinute = 4 })
	e.mustTenant("acme", nil)
	e.mustMember("acme", "sam", "standard")
	for _, name := range []string{"amy", "ben", "cat", "sam"} {
		wantProblem(t, signIn(t, e.anon(), "acme", name, "Winter2026!"), http.StatusUnauthorized, "invalid_credentials")
	}
	r := signIn(t, e.anon(), "acme", "sam", userPassword)
	wantProblem(t, r, http.StatusTooManyRequests, "too_many_sign_in_failures")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.clock.Advance(2 * time.Minute)
	wantStatus(t, signIn(t, e.anon(), "acme", "sam", userPassword), http.StatusOK)
}
