package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestPasswordPolicyRefusesCommonPasswordsAndOwnIdentity(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		before := f.MustTenant(f.slug).UserCount
		for _, c := range []struct{ pw, code string }{
			{"password1234", "password_common"},
			{"QWERTYUIOP123", "password_common"},
			{"administrator", "password_common"},
			{"aaaaaaaaaaaaaaa", "password_common"},
			{"short-pw", "password_too_short"},
			{strings.Repeat("x", 129), "password_too_long"},
			{"my name is quentin!", "password_contains_identity"},
		} {
			_, err := f.svc.CreateUser(f.staff, f.slug, admin.NewUser{Username: "quentin", Email: "q@example.com", Password: c.pw})
			wantFieldErr(t, err, admin.KindInvalid, c.code, "password")
		}
		if n := f.MustTenant(f.slug).UserCount; n != before {
			t.Errorf("refused creations took seats: %d, want %d", n, before)
		}
		f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "quentin", Password: "violet kettle harbour"})
	})
}

func TestTemporaryLockLiftsAfterACoolOffThatDoubles(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{LockoutThreshold: ptr(2), LockoutCooloffMinutes: ptr(10)})
		rita := f.MustMember(f.slug, "rita", admin.TypeStandard)
		wrong := func() {
			t.Helper()
			_, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "rita", Password: "not-her-password"})
			wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
		}
		wantLockedFor := func(d time.Duration) {
			t.Helper()
			u := f.MustGetUser(f.slug, rita.ID)
			if !u.LockedAt(f.clock.Now()) || u.LockedUntil == nil || !u.LockedUntil.Equal(f.clock.Now().Add(d)) {
				t.Fatalf("locked %v until %v; want locked until now + %v", u.Locked, u.LockedUntil, d)
			}
		}
		wrong()
		wrong()
		wantLockedFor(10 * time.Minute)
		f.wantSignInRefused(f.slug, "rita", userPassword, "locked")
		f.clock.Advance(11 * time.Minute)
		wrong() // the lock lifted: the count starts again
		wrong()
		wantLockedFor(20 * time.Minute) // the second lockout in a row lasts twice as long
		f.clock.Advance(19 * time.Minute)
		f.wantSignInRefused(f.slug, "rita", userPassword, "locked")
		f.clock.Advance(2 * time.Minute)
		res := f.MustSignIn(f.slug, "rita", userPassword)
		if res.User.Locked || res.User.Lockouts != 0 {
			t.Errorf("after a sign-in: locked %v, %d lockouts; want unlocked and 0", res.User.Locked, res.User.Lockouts)
		}
		u := f.MustGetUser(f.slug, rita.ID)
		if u.Locked || u.LockedUntil != nil || u.Lockouts != 0 || u.FailedSignIns != 0 {
			t.Errorf("stored after a sign-in: %+v", u)
		}
		locks := f.auditWhere(f.slug, admin.AuditFilter{Action: "user.locked"})
		if len(locks) != 2 || locks[0].Details["locked_until"] == nil {
			t.Errorf("user.locked events: %d, newest %v; want 2 with locked_until", len(locks), locks[0].Details)
		}
	})
}

func TestOneAddressIsThrottledAfterTooManyFailures(t *testing.T) {
	t.Parallel()
	db := sqltest.Open(t, "sqlite")
	f := MustFixture(t, db)
	f.MustMember(f.slug, "sam", admin.TypeStandard)
	svc := admin.New(admin.Config{Store: db, Clock: f.clock, Hasher: cheapHasher(), SignInFailuresPerMinute: 3})
	from := func(ip string) context.Context {
		return admin.WithRequestInfo(context.Background(), admin.RequestInfo{IP: ip})
	}
	attacker, other := from("203.0.113.9"), from("198.51.100.4")
	for i, name := range []string{"amy", "ben", "sam"} { // spraying several accounts
		_, err := svc.SignIn(attacker, admin.Credentials{Tenant: f.slug, Username: name, Password: "Summer2026!"})
		wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
		_ = i
	}
	auditBefore := len(f.audit(f.slug))
	_, err := svc.SignIn(attacker, admin.Credentials{Tenant: f.slug, Username: "sam", Password: userPassword})
	wantErr(t, err, admin.KindRateLimited, "too_many_sign_in_failures")
	if _, err := svc.SignIn(other, admin.Credentials{Tenant: f.slug, Username: "sam", Password: userPassword}); err != nil {
		t.Fatalf("another address is throttled too: %v", err)
	}
	if n := len(f.audit(f.slug)); n != auditBefore+1 {
		t.Errorf("audit grew by %d, want 1 (the other address's sign-in; a throttled attempt costs nothing)", n-auditBefore)
	}
	f.clock.Advance(2 * time.Minute)
	if _, err := svc.SignIn(attacker, admin.Credentials{Tenant: f.slug, Username: "sam", Password: userPassword}); err != nil {
		t.Fatalf("still throttled two minutes later: %v", err)
	}
}

func TestTemporaryPasswordIsShownOnceAndForcesAChange(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		boss := f.MustMember(f.slug, "boss", admin.TypeAdmin)
		tom := f.MustMember(f.slug, "tom", admin.TypeStandard)

		pw, err := f.svc.SetTemporaryPassword(boss.ctx, f.slug, tom.ID, "")
		wantOK(t, "SetTemporaryPassword (generated)", err)
		if len(pw) < 20 {
			t.Errorf("generated %q: want at least 20 characters", pw)
		}
		if _, _, err := f.svc.Authenticate(f.anon, tom.token); admin.CodeOf(err) != "unauthenticated" {
			t.Errorf("tom's session survived a new password: %v", err)
		}
		f.wantSignInRefused(f.slug, "tom", userPassword, "wrong_password")
		res := f.MustSignIn(f.slug, "tom", pw)
		if !res.User.MustChangePassword {
			t.Error("a temporary password does not force a change")
		}
		e := f.auditWhere(f.slug, admin.AuditFilter{Action: "user.temporary_password_set"})
		if len(e) != 1 || e[0].Details["generated"] != true || e[0].ActorID != boss.ID {
			t.Fatalf("audit: %+v", e)
		}
		for _, ev := range f.audit(f.slug) {
			if strings.Contains(ev.Reason+ev.TargetName+toJSON(ev.Details), pw) {
				t.Fatalf("the audit trail holds the temporary password: %+v", ev)
			}
		}

		chosen, err := f.svc.SetTemporaryPassword(boss.ctx, f.slug, tom.ID, "harbour lights at noon")
		if err != nil || chosen != "harbour lights at noon" {
			t.Fatalf("SetTemporaryPassword (chosen) = %q, %v", chosen, err)
		}

		before := f.MustGetUser(f.slug, tom.ID)
		n := len(f.audit(f.slug))
		_, err = f.svc.SetTemporaryPassword(boss.ctx, f.slug, tom.ID, "password1234")
		wantFieldErr(t, err, admin.KindInvalid, "password_common", "password")
		_, err = f.svc.SetTemporaryPassword(boss.ctx, f.slug, boss.ID, "")
		wantFieldErr(t, err, admin.KindForbidden, "self_edit_forbidden", "password")
		_, err = f.svc.SetTemporaryPassword(tom.ctx, f.slug, boss.ID, "")
		if admin.KindOf(err) != admin.KindForbidden {
			t.Errorf("a standard user set a temporary password: %v", err)
		}
		sso := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "sso-user", Auth: admin.AuthSSO})
		_, err = f.svc.SetTemporaryPassword(boss.ctx, f.slug, sso.ID, "")
		wantFieldErr(t, err, admin.KindInvalid, "sso_user_password", "password")
		f.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		_, err = f.svc.SetTemporaryPassword(boss.ctx, "globex", tom.ID, "")
		wantErr(t, err, admin.KindNotFound, "not_found")
		wantUnchanged(t, before, f.MustGetUser(f.slug, tom.ID))
		f.wantNoNewAudit(f.slug, n+1) // the SSO user's creation only
	})
}

// totpCode is the code an authenticator app shows for secret at t.
func totpCode(tb testing.TB, secret string, at time.Time) string {
	tb.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustEnrol enrols m in TOTP and returns the secret and recovery codes.
func (f *fixture) mustEnrol(m member) (string, []string) {
	f.tb.Helper()
	e, err := f.svc.StartTOTP(m.ctx)
	wantOK(f.tb, "StartTOTP", err)
	codes, err := f.svc.ConfirmTOTP(m.ctx, totpCode(f.tb, e.Secret, f.clock.Now()))
	wantOK(f.tb, "ConfirmTOTP", err)
	f.clock.Advance(30 * time.Second) // the next code is a new one
	return e.Secret, codes
}

func TestTOTPEnrolmentAndSignInWithCodesUsableOnce(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		uma := f.MustMember(f.slug, "uma", admin.TypeStandard)
		_, err := f.svc.ConfirmTOTP(uma.ctx, "123456")
		wantErr(t, err, admin.KindConflict, "mfa_not_started")

		e, err := f.svc.StartTOTP(uma.ctx)
		wantOK(t, "StartTOTP", err)
		if !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "secret="+e.Secret) {
			t.Fatalf("otpauth URL %q does not carry the secret", e.URL)
		}
		// Until it is confirmed, the password alone still signs in.
		f.MustSignIn(f.slug, "uma", userPassword)
		wrongCode := totpCode(t, e.Secret, f.clock.Now().Add(5*time.Minute))
		_, err = f.svc.ConfirmTOTP(uma.ctx, wrongCode)
		wantFieldErr(t, err, admin.KindInvalid, "wrong_code", "code")
		codes, err := f.svc.ConfirmTOTP(uma.ctx, totpCode(t, e.Secret, f.clock.Now()))
		wantOK(t, "ConfirmTOTP", err)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(codes))
		}
		if !f.MustGetUser(f.slug, uma.ID).MFAEnrolled {
			t.Fatal("not enrolled after confirmation")
		}
		_, err = f.svc.StartTOTP(uma.ctx)
		wantErr(t, err, admin.KindConflict, "mfa_already_enrolled")

		// The code used to confirm is spent; the password alone is not enough.
		sign := func(code string) error {
			_, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "uma", Password: userPassword, TOTP: code})
			return err
		}
		wantErr(t, sign(""), admin.KindUnauthenticated, "mfa_required")
		wantErr(t, sign(totpCode(t, e.Secret, f.clock.Now())), admin.KindUnauthenticated, "invalid_credentials")
		_, err = f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "uma", Password: "wrong-password!", TOTP: ""})
		wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials") // mfa_required only after a right password

		f.clock.Advance(30 * time.Second)
		code := totpCode(t, e.Secret, f.clock.Now())
		wantOK(t, "sign-in with a fresh code", sign(code))
		wantErr(t, sign(code), admin.KindUnauthenticated, "invalid_credentials") // one code, one sign-in
		f.clock.Advance(30 * time.Second)
		wantErr(t, sign(totpCode(t, e.Secret, f.clock.Now().Add(-30*time.Second))), admin.KindUnauthenticated, "invalid_credentials") // no going back

		wantOK(t, "sign-in with a recovery code", sign(strings.ToUpper(codes[3])))
		wantErr(t, sign(codes[3]), admin.KindUnauthenticated, "invalid_credentials")
		if n, _ := f.svc.RecoveryCodesLeft(uma.ctx); n != 9 {
			t.Errorf("%d recovery codes left, want 9", n)
		}
		reasons := map[string]int{}
		for _, ev := range f.auditWhere(f.slug, admin.AuditFilter{Action: "session.failed"}) {
			reasons[ev.Reason]++
		}
		if reasons["totp_reused"] != 3 || reasons["recovery_code_reused"] != 1 {
			t.Errorf("failure reasons %v, want 3 totp_reused and 1 recovery_code_reused", reasons)
		}

		// Secrets are unreadable in the database.
		raw := append(dump(t, db, `SELECT secret FROM mfa_totp`), dump(t, db, `SELECT code_hash FROM recovery_codes`)...)
		for _, s := range append([]string{e.Secret}, codes...) {
			if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, []byte(strings.ReplaceAll(s, "-", ""))) {
				t.Fatalf("the database holds %q in clear", s)
			}
		}

		// An admin resets the enrolment; the password alone signs in again.
		got, err := f.svc.ResetMFA(f.staff, f.slug, uma.ID)
		if err != nil || got.MFAEnrolled {
			t.Fatalf("ResetMFA = %+v, %v", got, err)
		}
		wantOK(t, "sign-in after a reset", sign(""))
		if e := f.lastAudit(f.slug); e.Action != "session.created" {
			t.Errorf("last audit %s", e.Action)
		}
		if n := f.countAudit(f.slug, "user.mfa_reset"); n != 1 {
			t.Errorf("%d user.mfa_reset events, want 1", n)
		}
	})
}

func TestWrongSecondFactorsCountTowardsTheLockout(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{LockoutThreshold: ptr(3)})
		vic := f.MustMember(f.slug, "vic", admin.TypeStandard)
		f.mustEnrol(vic)
		for range 3 {
			_, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "vic", Password: userPassword, TOTP: "000000"})
			wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
		}
		if u := f.MustGetUser(f.slug, vic.ID); !u.Locked {
			t.Fatalf("three wrong codes after the right password: locked %v, want locked", u.Locked)
		}
	})
}

func TestTenantTwoFactorPolicyRestrictsUntilEnrolment(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{MFARequired: ptr(true)})
		wes := f.MustMember(f.slug, "wes", admin.TypeAdmin)
		a := admin.ActorFrom(wes.ctx)
		if !a.Restricted || a.Restriction != admin.RestrictionMFAEnrollment {
			t.Fatalf("actor restricted %v (%q), want mfa_enrollment_required", a.Restricted, a.Restriction)
		}
		_, err := f.svc.SearchUsers(wes.ctx, f.slug, admin.UserFilter{})
		wantErr(t, err, admin.KindForbidden, admin.RestrictionMFAEnrollment)
		_, err = f.svc.MySessions(wes.ctx)
		wantErr(t, err, admin.KindForbidden, admin.RestrictionMFAEnrollment)
		f.mustEnrol(wes)
		if a := admin.ActorFrom(f.MustActor(wes.token)); a.Restricted {
			t.Fatalf("still restricted after enrolment: %q", a.Restriction)
		}

		// An exempt user is not restricted.
		xia := f.MustMember(f.slug, "xia", admin.TypeStandard)
		_, err = f.svc.UpdateUser(f.staff, f.slug, xia.ID, admin.UserPatch{MFAEnforced: ptr(false)})
		wantOK(t, "exempt xia", err)
		if a := admin.ActorFrom(f.MustActor(xia.token)); a.Restricted {
			t.Errorf("an exempt user is restricted: %q", a.Restriction)
		}

		// The password change comes first.
		f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "yan", Password: initialPassword})
		yan := f.MustActor(f.MustSignIn(f.slug, "yan", initialPassword).Token)
		if a := admin.ActorFrom(yan); a.Restriction != admin.RestrictionPasswordChange {
			t.Fatalf("restriction %q, want the password change first", a.Restriction)
		}
		_, err = f.svc.StartTOTP(yan)
		wantErr(t, err, admin.KindForbidden, admin.RestrictionPasswordChange)
		_, err = f.svc.ChangePassword(yan, initialPassword, userPassword)
		wantOK(t, "ChangePassword", err)
		if a := admin.ActorFrom(f.MustActor(f.MustSignIn(f.slug, "yan", userPassword).Token)); a.Restriction != admin.RestrictionMFAEnrollment {
			t.Fatalf("after the password change: %q, want mfa_enrollment_required", a.Restriction)
		}
	})
}

func TestAPITokenActsForItsCreatorInOneTenantUntilRevokedOrExpired(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		ada := f.MustMember(f.slug, "ada", admin.TypeAdmin)
		f.MustMember(f.slug, "bo", admin.TypeAdmin) // keeps ada from being the last admin
		f.MustCreateTenant("globex", admin.TenantSettingsPatch{})

		tok, secret, err := f.svc.CreateAPIToken(ada.ctx, f.slug, admin.NewAPIToken{Name: "ci"})
		wantOK(t, "CreateAPIToken", err)
		if !strings.HasPrefix(secret, "rst_") || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(f.clock.Now().Add(admin.DefaultAPITokenLifetime)) {
			t.Fatalf("token %q expires %v", secret, tok.ExpiresAt)
		}
		if bytes.Contains(dump(t, db, `SELECT token_hash FROM api_tokens`), []byte(secret)) {
			t.Fatal("the database holds the token in clear")
		}
		ctx := f.MustActor(secret)
		if a := admin.ActorFrom(ctx); a.UserID != ada.ID || a.TokenID != tok.ID {
			t.Fatalf("token actor %+v, want ada by token", a)
		}
		if _, err := f.svc.SearchUsers(ctx, f.slug, admin.UserFilter{}); err != nil {
			t.Fatalf("the token cannot list users: %v", err)
		}
		_, err = f.svc.SearchUsers(ctx, "globex", admin.UserFilter{})
		wantErr(t, err, admin.KindNotFound, "not_found")
		_, _, err = f.svc.CreateAPIToken(ctx, f.slug, admin.NewAPIToken{Name: "child"})
		wantErr(t, err, admin.KindForbidden, "api_token_forbidden")
		_, err = f.svc.ChangePassword(ctx, userPassword, "a new phrase for ada")
		wantErr(t, err, admin.KindForbidden, "api_token_forbidden")

		// Bad input changes nothing.
		n := len(f.audit(f.slug))
		for _, c := range []struct {
			in          admin.NewAPIToken
			code, field string
		}{
			{admin.NewAPIToken{Name: " "}, "required", "name"},
			{admin.NewAPIToken{Name: "ci"}, "name_taken", "name"},
			{admin.NewAPIToken{Name: "x", Role: "no-such-role"}, "unknown_role", "role"},
			{admin.NewAPIToken{Name: "x", ExpiresAt: ptr(f.clock.Now().Add(-time.Hour))}, "in_the_past", "expires_at"},
			{admin.NewAPIToken{Name: "x", ExpiresAt: ptr(f.clock.Now().Add(3 * 365 * 24 * time.Hour))}, "out_of_range", "expires_at"},
		} {
			_, _, err := f.svc.CreateAPIToken(ada.ctx, f.slug, c.in)
			if admin.CodeOf(err) != c.code || admin.ErrorOf(err).Field != c.field {
				t.Errorf("CreateAPIToken(%+v) = %v, want %s on %s", c.in, err, c.code, c.field)
			}
		}
		f.wantNoNewAudit(f.slug, n)

		// Narrowed to a role, it holds only that role's permissions.
		reader, err := f.svc.CreateRole(ada.ctx, f.slug, admin.NewRole{Name: "Reader", Permissions: []string{string(admin.PermUsersRead)}})
		wantOK(t, "CreateRole", err)
		_, narrow, err := f.svc.CreateAPIToken(ada.ctx, f.slug, admin.NewAPIToken{Name: "reader", Role: reader.ID})
		wantOK(t, "CreateAPIToken (narrowed)", err)
		nctx := f.MustActor(narrow)
		if _, err := f.svc.SearchUsers(nctx, f.slug, admin.UserFilter{}); err != nil {
			t.Errorf("a token narrowed to a reading role cannot read users: %v", err)
		}
		_, err = f.svc.CreateUser(nctx, f.slug, admin.NewUser{Username: "zoe", Email: "zoe@example.com"})
		wantErr(t, err, admin.KindForbidden, "forbidden")

		// It stops when its creator cannot sign in, and comes back with them.
		_, err = f.svc.DeactivateUser(f.staff, f.slug, ada.ID)
		wantOK(t, "deactivate ada", err)
		_, _, err = f.svc.Authenticate(f.anon, secret)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		_, err = f.svc.ActivateUser(f.staff, f.slug, ada.ID)
		wantOK(t, "activate ada", err)
		f.MustActor(secret)

		// Revoked, it stops at once; another tenant's admin cannot see it.
		_, err = f.svc.ListAPITokens(f.staff, "globex")
		wantOK(t, "list globex", err)
		wantErr(t, f.svc.RevokeAPIToken(f.staff, "globex", tok.ID), admin.KindNotFound, "not_found")
		list, err := f.svc.ListAPITokens(f.staff, f.slug)
		if err != nil || len(list) != 2 || list[0].Name != "ci" || list[0].LastUsedAt == nil {
			t.Fatalf("ListAPITokens = %+v, %v; want ci (used) and reader", list, err)
		}
		wantOK(t, "RevokeAPIToken", f.svc.RevokeAPIToken(f.staff, f.slug, tok.ID))
		_, _, err = f.svc.Authenticate(f.anon, secret)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")

		// Expired, it stops.
		_, short, err := f.svc.CreateAPIToken(f.staff, f.slug, admin.NewAPIToken{Name: "short", ExpiresAt: ptr(f.clock.Now().Add(time.Hour))})
		wantOK(t, "CreateAPIToken (staff)", err)
		staffTok := f.MustActor(short)
		_, err = f.svc.CreateTenant(staffTok, admin.NewTenant{Slug: "initech", Name: "Initech"})
		wantErr(t, err, admin.KindForbidden, "api_token_forbidden") // a staff token works in its tenant only
		f.clock.Advance(time.Hour)
		_, _, err = f.svc.Authenticate(f.anon, short)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
	})
}

// dump returns every value of the query's one column, concatenated.
func dump(tb testing.TB, db *sqlstore.DB, query string) []byte {
	tb.Helper()
	rows, err := db.SQL().Query(query)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			tb.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestConcurrentSignInsWithOneCodeLetExactlyOneIn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{LockoutThreshold: ptr(100)})
		zed := f.MustMember(f.slug, "zed", admin.TypeStandard)
		secret, codes := f.mustEnrol(zed)
		for _, code := range []string{totpCode(t, secret, f.clock.Now()), codes[0]} {
			const tries = 10
			var wg sync.WaitGroup
			errs := make([]error, tries)
			start := make(chan struct{})
			for i := range tries {
				wg.Go(func() {
					<-start
					for {
						_, errs[i] = f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "zed", Password: userPassword, TOTP: code})
						if admin.KindOf(errs[i]) != admin.KindRateLimited {
							return
						}
						time.Sleep(time.Millisecond)
					}
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case admin.CodeOf(err) != "invalid_credentials":
					t.Errorf("a concurrent sign-in: %v", err)
				}
			}
			if ok != 1 {
				t.Errorf("%d concurrent sign-ins with the code %q: %d succeeded, want exactly 1", tries, code, ok)
			}
		}
	})
}

func TestPendingTOTPShowsTheStartedEnrolmentAgain(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, sqltest.Open(t, "sqlite"))
	ivy := f.MustMember(f.slug, "ivy", admin.TypeStandard)
	_, err := f.svc.PendingTOTP(ivy.ctx)
	wantErr(t, err, admin.KindNotFound, "not_found")
	e, err := f.svc.StartTOTP(ivy.ctx)
	wantOK(t, "StartTOTP", err)
	again, err := f.svc.PendingTOTP(ivy.ctx)
	if err != nil || *again != *e {
		t.Fatalf("PendingTOTP = %+v, %v; want %+v", again, err, e)
	}
	_, err = f.svc.ConfirmTOTP(ivy.ctx, totpCode(t, e.Secret, f.clock.Now()))
	wantOK(t, "ConfirmTOTP", err)
	_, err = f.svc.PendingTOTP(ivy.ctx)
	wantErr(t, err, admin.KindNotFound, "not_found")
}

// TestEveryFailedSignInCostsOneHash: whatever the reason a sign-in fails —
// unknown tenant or user, wrong password, locked, deactivated, expired, no
// password, single sign-on, wrong code — it runs exactly one argon2id
// verification, as a success does, so that time does not tell the reasons
// apart; a throttled address runs none.
func TestEveryFailedSignInCostsOneHash(t *testing.T) {
	t.Parallel()
	db := sqltest.Open(t, "sqlite")
	f := MustFixture(t, db, admin.TenantSettingsPatch{LockoutThreshold: ptr(2)})
	h := cheapHasher()
	svc := admin.New(admin.Config{Store: db, Clock: f.clock, Hasher: h, SignInFailuresPerMinute: 1000})
	f.MustMember(f.slug, "ok", admin.TypeStandard)
	locked := f.MustMember(f.slug, "locked", admin.TypeStandard)
	for range 2 {
		svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "locked", Password: "not-the-passphrase"})
	}
	if !f.MustGetUser(f.slug, locked.ID).Locked {
		t.Fatal("setup: not locked")
	}
	gone := f.MustMember(f.slug, "gone", admin.TypeStandard)
	_, err := f.svc.DeactivateUser(f.staff, f.slug, gone.ID)
	wantOK(t, "deactivate", err)
	f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "nopass"})
	f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "sso", Auth: admin.AuthSSO})
	two := f.MustMember(f.slug, "two", admin.TypeStandard)
	e, err := svc.StartTOTP(two.ctx) // this service's key seals it
	wantOK(t, "StartTOTP", err)
	_, err = svc.ConfirmTOTP(two.ctx, totpCode(t, e.Secret, f.clock.Now()))
	wantOK(t, "ConfirmTOTP", err)

	for _, c := range []struct {
		name  string
		creds admin.Credentials
		code  string
	}{
		{"success", admin.Credentials{Tenant: f.slug, Username: "ok", Password: userPassword}, ""},
		{"unknown tenant", admin.Credentials{Tenant: "nope", Username: "ok", Password: userPassword}, "invalid_credentials"},
		{"unknown user", admin.Credentials{Tenant: f.slug, Username: "nobody", Password: userPassword}, "invalid_credentials"},
		{"empty username", admin.Credentials{Tenant: f.slug, Password: userPassword}, "invalid_credentials"},
		{"wrong password", admin.Credentials{Tenant: f.slug, Username: "ok", Password: "not-the-passphrase"}, "invalid_credentials"},
		{"locked", admin.Credentials{Tenant: f.slug, Username: "locked", Password: userPassword}, "invalid_credentials"},
		{"deactivated", admin.Credentials{Tenant: f.slug, Username: "gone", Password: userPassword}, "invalid_credentials"},
		{"no password", admin.Credentials{Tenant: f.slug, Username: "nopass", Password: userPassword}, "invalid_credentials"},
		{"single sign-on", admin.Credentials{Tenant: f.slug, Username: "sso", Password: userPassword}, "invalid_credentials"},
		{"wrong code", admin.Credentials{Tenant: f.slug, Username: "two", Password: userPassword, TOTP: "000000"}, "invalid_credentials"},
		{"code missing", admin.Credentials{Tenant: f.slug, Username: "two", Password: userPassword}, "mfa_required"},
	} {
		before := h.Verifications()
		_, err := svc.SignIn(f.anon, c.creds)
		if admin.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
		if n := h.Verifications() - before; n != 1 {
			t.Errorf("%s: %d verifications, want exactly 1", c.name, n)
		}
	}

	throttled := admin.New(admin.Config{Store: db, Clock: f.clock, Hasher: h, SignInFailuresPerMinute: 1})
	from := admin.WithRequestInfo(context.Background(), admin.RequestInfo{IP: "192.0.2.7"})
	throttled.SignIn(from, admin.Credentials{Tenant: f.slug, Username: "nobody", Password: "x"})
	before := h.Verifications()
	_, err = throttled.SignIn(from, admin.Credentials{Tenant: f.slug, Username: "ok", Password: userPassword})
	wantErr(t, err, admin.KindRateLimited, "too_many_sign_in_failures")
	if n := h.Verifications() - before; n != 0 {
		t.Errorf("a throttled attempt ran %d verifications, want none", n)
	}
}
