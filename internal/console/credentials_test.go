package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"roster/internal/admin"
)

// codeAt is what an authenticator app shows for secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBrowserTwoFactorEnrolmentAndSignIn: under the tenant's 2FA policy a
// user is sent to the enrolment page, scans (reads) the key, confirms with
// a code, sees ten recovery codes once, and from then on signs in with the
// password and then a code.
func TestBrowserTwoFactorEnrolmentAndSignIn(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "twofa")
	if _, err := e.svc.UpdateTenant(e.staff(), "twofa", admin.TenantPatch{Settings: admin.TenantSettingsPatch{MFARequired: ptr(true)}}); err != nil {
		t.Fatal(err)
	}
	u := e.mustUser(t, "twofa", "tara", admin.TypeStandard, "")
	if _, err := e.svc.SetTemporaryPassword(e.staff(), "twofa", u.ID, "first orchard passphrase"); err != nil {
		t.Fatal(err)
	}
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "twofa", "tara", "first orchard passphrase")
	run(t, ctx, "change the temporary password first",
		chromedp.WaitVisible(chromedp.CSS("#forced-notice")),
		chromedp.SendKeys(chromedp.CSS("#current_password"), "first orchard passphrase"),
		chromedp.SendKeys(chromedp.CSS("#new_password"), "own orchard passphrase"),
		chromedp.SendKeys(chromedp.CSS("#new_password_confirm"), "own orchard passphrase"),
		chromedp.Click(chromedp.CSS("#password-submit")),
	)
	run(t, ctx, "the console sends her to set up 2FA",
		chromedp.WaitVisible(chromedp.CSS("#mfa-required")),
		chromedp.Navigate(e.url+"/t/twofa/users"),
		chromedp.WaitVisible(chromedp.CSS("#mfa-start")),
		chromedp.Click(chromedp.CSS("#mfa-start")),
		chromedp.WaitVisible(chromedp.CSS("#mfa-qr")),
	)
	if w := eval[int](t, ctx, `document.querySelector("#mfa-qr").naturalWidth`); w < 100 {
		t.Fatalf("the QR code image is %d pixels wide: it did not load", w)
	}
	secret := textOf(t, ctx, "#mfa-secret")
	run(t, ctx, "a wrong code is refused in place",
		chromedp.SendKeys(chromedp.CSS("#code"), "000000"),
		chromedp.Click(chromedp.CSS("#mfa-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#err-code")),
	)
	if again := textOf(t, ctx, "#mfa-secret"); again != secret {
		t.Fatalf("after a wrong code the key changed: %q, was %q", again, secret)
	}
	run(t, ctx, "confirm with the app's code",
		chromedp.SendKeys(chromedp.CSS("#code"), codeAt(t, secret, time.Now())),
		chromedp.Click(chromedp.CSS("#mfa-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	codes := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#recovery-codes code")).map(c => c.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	run(t, ctx, "the console opens up",
		chromedp.Click(chromedp.CSS("#mfa-continue")),
		chromedp.WaitNotPresent(chromedp.CSS("#mfa-continue")),
		chromedp.Navigate(e.url+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#sessions")),
		chromedp.Click(chromedp.CSS(`form[action="/sign-out"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)

	// Signing in again takes the password, then a code (the next step's:
	// the one used to confirm is spent).
	password := func(then ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
		return append([]chromedp.Action[chromedp.Void]{
			chromedp.Navigate(e.url + "/sign-in"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#tenant"), "twofa"),
			chromedp.SendKeys(chromedp.CSS("#username"), "tara"),
			chromedp.SendKeys(chromedp.CSS("#password"), "own orchard passphrase"),
			chromedp.Click(chromedp.CSS("#signin-submit")),
		}, then...)
	}
	run(t, ctx, "the second step asks for a code", password(
		chromedp.WaitVisible(chromedp.CSS("#totp")),
		chromedp.SendKeys(chromedp.CSS("#totp"), "111111"),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
	)...)
	run(t, ctx, "the code page", password(chromedp.WaitVisible(chromedp.CSS("#totp")))...)
	if eval[bool](t, ctx, `document.documentElement.outerHTML.includes("own orchard passphrase")`) {
		t.Fatal("the code page carries the password in clear")
	}
	run(t, ctx, "a right code signs her in", password(
		chromedp.WaitVisible(chromedp.CSS("#totp")),
		chromedp.SendKeys(chromedp.CSS("#totp"), codeAt(t, secret, time.Now().Add(30*time.Second))),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#signin-submit")),
		chromedp.Navigate(e.url+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#sessions")),
	)...)
}

var shownOnce = regexp.MustCompile(`id="shown-once">([^<]+)<`)

// TestConsoleAdminCredentialActions covers the users menu's temporary
// password (shown once, forces a change), the 2FA reset, the lockout
// cool-off setting and the API tokens page.
func TestConsoleAdminCredentialActions(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "creds")
	boss := e.mustUser(t, "creds", "boss", admin.TypeAdmin, "")
	if _, err := e.svc.SetTemporaryPassword(e.staff(), "creds", boss.ID, "first harbour passphrase"); err != nil {
		t.Fatal(err)
	}
	b := e.client(t)
	b.signIn("creds", "boss", "first harbour passphrase")
	b.post("/password", url.Values{"csrf": {b.csrf("/password")}, "current_password": {"first harbour passphrase"},
		"new_password": {"own harbour passphrase"}, "new_password_confirm": {"own harbour passphrase"}})
	kim := e.mustUser(t, "creds", "kim", admin.TypeStandard, "")

	users := b.get("/t/creds/users").body
	if !strings.Contains(users, "/users/"+kim.ID+"/temporary-password") {
		t.Fatal("the users menu offers no temporary password")
	}
	a := b.post("/t/creds/users/"+kim.ID+"/temporary-password", url.Values{"csrf": {b.csrf("/t/creds/users")}})
	m := shownOnce.FindStringSubmatch(a.body)
	if a.status != http.StatusOK || m == nil || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("temporary password page: %d %q\n%.1500s", a.status, a.header.Get("Cache-Control"), a.body)
	}
	res, err := e.svc.SignIn(context.Background(), admin.Credentials{Tenant: "creds", Username: "kim", Password: m[1]})
	if err != nil || !res.User.MustChangePassword {
		t.Fatalf("signing in with the shown password: %v (must change: %v)", err, res != nil && res.User.MustChangePassword)
	}
	if strings.Contains(b.get("/t/creds/users").body, m[1]) {
		t.Fatal("the temporary password is shown again")
	}

	// Reset 2FA from the menu.
	kimCtx := admin.WithActor(context.Background(), mustActor(t, e, res.Token))
	if _, err := e.svc.ChangePassword(kimCtx, m[1], "own meadow passphrase"); err != nil {
		t.Fatal(err)
	}
	kimCtx = admin.WithActor(context.Background(), mustActor(t, e, mustSignIn(t, e, "creds", "kim", "own meadow passphrase")))
	en, err := e.svc.StartTOTP(kimCtx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ConfirmTOTP(kimCtx, codeAt(t, en.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	a = b.post("/t/creds/users/"+kim.ID+"/mfa-reset", url.Values{"csrf": {b.csrf("/t/creds/users")}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=mfa_reset") {
		t.Fatalf("mfa-reset: %d %s", a.status, a.header.Get("Location"))
	}
	if u, _ := e.svc.GetUser(e.staff(), "creds", kim.ID); u.MFAEnrolled {
		t.Fatal("still enrolled after the reset")
	}

	// The cool-off setting.
	a = b.post("/t/creds/settings", url.Values{"csrf": {b.csrf("/t/creds/settings")}, "name": {"creds Inc."}, "locale": {"en"},
		"lockout_threshold": {"5"}, "lockout_cooloff_minutes": {"15"}, "password_min_length": {"12"}, "session_idle_minutes": {"60"}, "session_absolute_hours": {"12"}})
	if tn, _ := e.svc.GetTenant(e.staff(), "creds"); a.status != http.StatusSeeOther || tn.Settings.LockoutCooloffMinutes != 15 {
		t.Fatalf("saving the cool-off: %d, stored %d", a.status, tn.Settings.LockoutCooloffMinutes)
	}

	// API tokens: create (shown once), use, revoke.
	a = b.post("/t/creds/api-tokens", url.Values{"csrf": {b.csrf("/t/creds/api-tokens")}, "name": {"nightly sync"}})
	m = shownOnce.FindStringSubmatch(a.body)
	if a.status != http.StatusCreated || m == nil || !strings.HasPrefix(m[1], "rst_") {
		t.Fatalf("create token: %d\n%.1500s", a.status, a.body)
	}
	if _, _, err := e.svc.Authenticate(context.Background(), m[1]); err != nil {
		t.Fatalf("the shown token does not work: %v", err)
	}
	page := b.get("/t/creds/api-tokens").body
	if !strings.Contains(page, "nightly sync") || strings.Contains(page, m[1]) {
		t.Fatal("the tokens page lacks the token's name or shows its secret")
	}
	a = b.post("/t/creds/api-tokens", url.Values{"csrf": {b.csrf("/t/creds/api-tokens")}, "name": {"nightly sync"}})
	if a.status != http.StatusConflict || !strings.Contains(a.body, "exists already") {
		t.Fatalf("a second token of the same name: %d", a.status)
	}
	id := regexp.MustCompile(`/api-tokens/([^/]+)/revoke`).FindStringSubmatch(page)
	if id == nil {
		t.Fatal("no revoke form")
	}
	b.post("/t/creds/api-tokens/"+id[1]+"/revoke", url.Values{"csrf": {b.csrf("/t/creds/api-tokens")}})
	if _, _, err := e.svc.Authenticate(context.Background(), m[1]); err == nil {
		t.Fatal("a revoked token still works")
	}
}

func mustSignIn(t *testing.T, e *env, tenant, login, pw string) string {
	t.Helper()
	res, err := e.svc.SignIn(context.Background(), admin.Credentials{Tenant: tenant, Username: login, Password: pw})
	if err != nil {
		t.Fatalf("SignIn %s: %v", login, err)
	}
	return res.Token
}

func mustActor(t *testing.T, e *env, token string) *admin.Actor {
	t.Helper()
	a, _, err := e.svc.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
func ptr[T any](v T) *T { return &v }
