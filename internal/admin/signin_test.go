package admin_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestSignInByUsernameOrEmailIgnoringCase(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "Lena", Email: "lena.k@example.com", Password: initialPassword})
		for _, login := range []string{"Lena", "lena", "LENA", "lena.k@example.com", "Lena.K@Example.COM", "  lena  "} {
			res := f.MustSignIn(f.slug, login, initialPassword)
			if res.User.ID != u.ID || res.Tenant.Slug != f.slug || res.Token == "" || res.Session.UserID != u.ID {
				t.Errorf("SignIn(%q) = user %s, tenant %s, token %q; want Lena of acme with a token", login, res.User.Username, res.Tenant.Slug, res.Token)
			}
			if strings.Contains(string(res.Session.TokenHash), res.Token) || len(res.Session.TokenHash) != 32 {
				t.Errorf("the session stores %d bytes for its token, want its SHA-256", len(res.Session.TokenHash))
			}
		}
		if n := f.countAudit(f.slug, "session.created"); n != 6 {
			t.Errorf("%d session.created events, want 6", n)
		}
		// The same name in another tenant is another account.
		_, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: "globex", Username: "lena", Password: initialPassword})
		wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
		// Staff sign in without a tenant; a tenant user cannot sign in as staff.
		_, err = f.svc.SignIn(f.anon, admin.Credentials{Username: "lena", Password: initialPassword})
		wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
	})
}

func TestEveryFailedSignInLooksTheSameAndTheAuditKnowsWhy(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustMember(f.slug, "alice", admin.TypeStandard)
		f.MustMember(f.slug, "locked", admin.TypeStandard)
		for range f.MustTenant(f.slug).Settings.LockoutThreshold {
			f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "locked", Password: "not the password"})
		}
		deact := f.MustMember(f.slug, "deact", admin.TypeStandard)
		gone := f.MustMember(f.slug, "gone", admin.TypeStandard)
		temp := f.MustMember(f.slug, "temp", admin.TypeStandard)
		f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "sso", Auth: admin.AuthSSO})
		f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "nopw"})
		wantOK(t, "deactivate", func() error { _, err := f.svc.DeactivateUser(f.staff, f.slug, deact.ID); return err }())
		wantOK(t, "remove", func() error { _, err := f.svc.DeleteUser(f.staff, f.slug, gone.ID); return err }())
		wantOK(t, "expire", func() error {
			_, err := f.svc.UpdateUser(f.staff, f.slug, temp.ID, admin.UserPatch{ExpiresAt: ptr(f.clock.Now().Add(time.Hour))})
			return err
		}())
		f.clock.Advance(2 * time.Hour)

		var message string
		for _, tc := range []struct {
			name           string
			slug, login    string
			password       string
			reason         string // empty: no tenant to record it in
			targetKnownIDs bool
		}{
			{"unknown tenant", "nowhere", "alice", userPassword, "", false},
			{"unknown user", f.slug, "nobody", userPassword, "unknown_user", false},
			{"empty username", f.slug, "", userPassword, "unknown_user", false},
			{"wrong password", f.slug, "alice", "not the password", "wrong_password", true},
			{"empty password", f.slug, "alice", "", "wrong_password", true},
			{"locked", f.slug, "locked", userPassword, "locked", true},
			{"deactivated", f.slug, "deact", userPassword, "deactivated", true},
			{"removed", f.slug, "gone", userPassword, "removed", true},
			{"expired", f.slug, "temp", userPassword, "expired", true},
			{"sso user", f.slug, "sso", userPassword, "sso_user", true},
			{"password user without a password", f.slug, "nopw", "", "no_password", true},
			{"very long password", f.slug, "alice", strings.Repeat("p", 10_000), "wrong_password", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				events := len(f.audit(f.slug))
				res, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: tc.slug, Username: tc.login, Password: tc.password})
				if res != nil {
					t.Fatalf("a refused sign-in returned a session")
				}
				wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
				e := admin.ErrorOf(err)
				if message == "" {
					message = e.Message
				}
				if e.Message != message || e.Field != "" || e.Err != nil {
					t.Errorf("answer %+v differs from the others (message %q): it must not tell why", e, message)
				}
				if tc.reason == "" {
					f.wantNoNewAudit(f.slug, events)
					return
				}
				got := f.audit(f.slug)
				if len(got) < events+1 {
					t.Fatalf("no audit event for the refused sign-in")
				}
				ev := got[0]
				if ev.Action != "session.failed" || ev.Outcome != admin.OutcomeFailure || ev.Reason != tc.reason {
					t.Errorf("audit: %s, outcome %s, reason %q; want session.failed, failure, %q", ev.Action, ev.Outcome, ev.Reason, tc.reason)
				}
				if tc.targetKnownIDs && (ev.TargetType != "user" || ev.TargetID == "" || ev.TargetName != tc.login) {
					t.Errorf("audit target %s %q %q, want the user %s", ev.TargetType, ev.TargetID, ev.TargetName, tc.login)
				}
				if !tc.targetKnownIDs && (ev.TargetID != "" || ev.TargetName != tc.login) {
					t.Errorf("audit target id %q name %q, want no id and the login typed", ev.TargetID, ev.TargetName)
				}
			})
		}
	})
}

func TestLockoutAfterTheTenantsThresholdAndUnlock(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{LockoutThreshold: ptr(3)})
		mia := f.MustMember(f.slug, "mia", admin.TypeStandard)
		wrong := func() {
			t.Helper()
			_, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "mia", Password: "wrong-password-here"})
			wantErr(t, err, admin.KindUnauthenticated, "invalid_credentials")
		}
		wantFailures := func(n int, locked bool) {
			t.Helper()
			u := f.MustGetUser(f.slug, mia.ID)
			if u.FailedSignIns != n || u.Locked != locked {
				t.Fatalf("failed sign-ins %d, locked %v; want %d, %v", u.FailedSignIns, u.Locked, n, locked)
			}
		}

		wrong()
		wrong()
		wantFailures(2, false)
		f.MustSignIn(f.slug, "mia", userPassword) // a success starts the count again
		wantFailures(0, false)

		wrong()
		wrong()
		wrong()
		wantFailures(3, true)
		_, _, err := f.svc.Authenticate(f.anon, mia.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		f.wantSignInRefused(f.slug, "mia", userPassword, "locked")
		wrong() // a locked account counts no further
		wantFailures(3, true)
		locks := f.auditWhere(f.slug, admin.AuditFilter{Action: "user.locked"})
		if len(locks) != 1 || locks[0].TargetID != mia.ID || locks[0].ActorID != "" {
			t.Fatalf("user.locked events: %+v; want one for mia, by nobody", locks)
		}

		got, err := f.svc.UnlockUser(f.staff, f.slug, mia.ID)
		wantOK(t, "UnlockUser", err)
		if got.Locked || got.FailedSignIns != 0 {
			t.Errorf("UnlockUser returned locked %v, failures %d", got.Locked, got.FailedSignIns)
		}
		wantFailures(0, false)
		if e := f.lastAudit(f.slug); e.Action != "user.unlocked" || e.TargetID != mia.ID || e.ActorID != f.staffU.ID {
			t.Errorf("audit: %s on %s by %s, want user.unlocked on mia by staff", e.Action, e.TargetName, e.ActorName)
		}
		f.MustSignIn(f.slug, "mia", userPassword)

		// An edit that lifts the lock (the console's dialog) does it in
		// its own transaction: all of it, or none of it.
		wrong()
		wrong()
		wrong()
		wantFailures(3, true)
		_, err = f.svc.UpdateUser(f.staff, f.slug, mia.ID, admin.UserPatch{Email: ptr("not an address"), Unlock: true})
		wantErr(t, err, admin.KindInvalid, "invalid_email")
		wantFailures(3, true)
		got, err = f.svc.UpdateUser(f.staff, f.slug, mia.ID, admin.UserPatch{FirstName: ptr("Mía"), Unlock: true})
		wantOK(t, "UpdateUser with Unlock", err)
		if got.Locked || got.FirstName != "Mía" {
			t.Errorf("UpdateUser with Unlock returned locked %v, first name %q", got.Locked, got.FirstName)
		}
		wantFailures(0, false)
		e := f.lastAudit(f.slug)
		after, _ := e.Details["after"].(map[string]any)
		if e.Action != "user.updated" || after["locked"] != false || after["first_name"] != "Mía" {
			t.Errorf("audit: %s %v, want user.updated with locked and first name after", e.Action, e.Details)
		}
		f.MustSignIn(f.slug, "mia", userPassword)
	})
}

func TestConcurrentWrongPasswordsLockAtExactlyTheThreshold(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		const attempts = 50
		f := MustFixture(t, db)
		threshold := f.MustTenant(f.slug).Settings.LockoutThreshold
		nick := f.MustMember(f.slug, "nick", admin.TypeStandard)
		failedBefore := f.countAudit(f.slug, "session.failed")

		var wg sync.WaitGroup
		errs := make([]error, attempts)
		start := make(chan struct{})
		for i := range attempts {
			wg.Go(func() {
				<-start
				for {
					_, errs[i] = f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "nick", Password: "guess-number-" + string(rune('a'+i%26))})
					// The hasher sheds load beyond its queue; that attempt never ran.
					if admin.KindOf(errs[i]) != admin.KindRateLimited {
						return
					}
					runtime.Gosched()
					time.Sleep(time.Millisecond)
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if admin.CodeOf(err) != "invalid_credentials" {
				t.Errorf("attempt %d: %v, want invalid_credentials", i, err)
			}
		}
		u := f.MustGetUser(f.slug, nick.ID)
		if u.FailedSignIns != threshold || !u.Locked {
			t.Errorf("after %d concurrent wrong passwords: %d failures, locked %v; want exactly %d and locked", attempts, u.FailedSignIns, u.Locked, threshold)
		}
		if n := f.countAudit(f.slug, "user.locked"); n != 1 {
			t.Errorf("%d user.locked events, want exactly 1", n)
		}
		if n := f.countAudit(f.slug, "session.failed") - failedBefore; n != attempts {
			t.Errorf("%d session.failed events, want one per attempt (%d)", n, attempts)
		}
	})
}

func TestSessionEndsAfterIdleTimeout(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{SessionIdleMinutes: ptr(30)})
		olga := f.MustMember(f.slug, "olga", admin.TypeStandard)
		for i := range 4 {
			f.clock.Advance(29 * time.Minute)
			if _, _, err := f.svc.Authenticate(f.anon, olga.token); err != nil {
				t.Fatalf("request %d after 29 idle minutes: %v", i, err)
			}
		}
		f.clock.Advance(30 * time.Minute)
		if _, _, err := f.svc.Authenticate(f.anon, olga.token); err != nil {
			t.Fatalf("request after exactly 30 idle minutes: %v", err)
		}
		f.clock.Advance(30*time.Minute + time.Second)
		_, _, err := f.svc.Authenticate(f.anon, olga.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		if s, err := f.svc.ListUserSessions(f.staff, f.slug, olga.ID); err != nil || len(s) != 0 {
			t.Errorf("sessions after the idle timeout: %d (%v), want the idle one gone", len(s), err)
		}
	})
}

func TestSessionEndsAfterItsAbsoluteLifetime(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{SessionIdleMinutes: ptr(30), SessionAbsoluteHours: ptr(2)})
		pia := f.MustMember(f.slug, "pia", admin.TypeStandard)
		for elapsed := 20 * time.Minute; elapsed < 2*time.Hour; elapsed += 20 * time.Minute {
			f.clock.Advance(20 * time.Minute)
			if _, _, err := f.svc.Authenticate(f.anon, pia.token); err != nil {
				t.Fatalf("busy session after %v: %v", elapsed, err)
			}
		}
		f.clock.Advance(20 * time.Minute)
		_, _, err := f.svc.Authenticate(f.anon, pia.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
	})
}

func TestConcurrentRequestsOnAnEndedSessionAllAnswerUnauthenticated(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{SessionIdleMinutes: ptr(5)})
		quinn := f.MustMember(f.slug, "quinn", admin.TypeStandard)
		f.clock.Advance(time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { _, _, errs[i] = f.svc.Authenticate(f.anon, quinn.token) })
		}
		wg.Wait()
		for i, err := range errs {
			if admin.KindOf(err) != admin.KindUnauthenticated {
				t.Errorf("request %d on an idle-expired session: %v, want Unauthenticated", i, err)
			}
		}
	})
}

func TestSignOutEndsOnlyTheCurrentSession(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		rae := f.MustMember(f.slug, "rae", admin.TypeStandard)
		other := f.MustSession(f.slug, "rae")
		wantOK(t, "SignOut", f.svc.SignOut(rae.ctx))
		_, _, err := f.svc.Authenticate(f.anon, rae.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		if _, _, err := f.svc.Authenticate(f.anon, other); err != nil {
			t.Errorf("the other session ended too: %v", err)
		}
		if e := f.lastAudit(f.slug); e.Action != "session.ended" || e.ActorID != rae.ID {
			t.Errorf("audit: %s by %s, want session.ended by rae", e.Action, e.ActorName)
		}
		wantErr(t, f.svc.SignOut(f.anon), admin.KindUnauthenticated, "unauthenticated")
	})
}

func TestUserSeesAndEndsOnlyTheirOwnSessions(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		sol := f.MustMember(f.slug, "sol", admin.TypeStandard)
		tom := f.MustMember(f.slug, "tom", admin.TypeStandard)
		phone := f.MustSession(f.slug, "sol")

		mine, err := f.svc.MySessions(sol.ctx)
		wantOK(t, "MySessions", err)
		if len(mine) != 2 {
			t.Fatalf("sol has %d sessions, want 2", len(mine))
		}
		for _, s := range mine {
			if s.UserID != sol.ID {
				t.Errorf("MySessions lists a session of %s", s.UserID)
			}
		}
		tomSessions, err := f.svc.MySessions(tom.ctx)
		wantOK(t, "MySessions(tom)", err)

		err = f.svc.EndMySession(sol.ctx, tomSessions[0].ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		if _, _, err := f.svc.Authenticate(f.anon, tom.token); err != nil {
			t.Errorf("tom's session ended by sol: %v", err)
		}
		err = f.svc.EndMySession(sol.ctx, "no-such-session")
		wantErr(t, err, admin.KindNotFound, "not_found")

		phoneActor, _, err := f.svc.Authenticate(f.anon, phone)
		wantOK(t, "Authenticate(phone)", err)
		wantOK(t, "EndMySession(phone)", f.svc.EndMySession(sol.ctx, phoneActor.SessionID))
		_, _, err = f.svc.Authenticate(f.anon, phone)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		if _, _, err := f.svc.Authenticate(f.anon, sol.token); err != nil {
			t.Errorf("ending the phone session ended the current one: %v", err)
		}
	})
}

func TestChangePasswordNeedsTheCurrentOneAndFollowsThePolicy(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		uma := f.MustMember(f.slug, "umaumi", admin.TypeStandard)
		for _, tc := range []struct {
			name, current, next string
			field, code         string
		}{
			{"wrong current password", "not-my-password", "a-brand-new-passphrase", "current_password", "wrong_password"},
			{"too short", userPassword, "short-one", "new_password", "password_too_short"},
			{"too long", userPassword, strings.Repeat("z", 129), "new_password", "password_too_long"},
			{"contains the username", userPassword, "Hello-UmaUmi-2026", "new_password", "password_contains_identity"},
			{"common", userPassword, "iloveyou1234", "new_password", "password_common"},
			{"unchanged", userPassword, userPassword, "new_password", "password_reused"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.MustGetUser(f.slug, uma.ID)
				_, err := f.svc.ChangePassword(uma.ctx, tc.current, tc.next)
				wantFieldErr(t, err, admin.KindInvalid, tc.code, tc.field)
				if after := f.MustGetUser(f.slug, uma.ID); after.PasswordHash != before.PasswordHash {
					t.Errorf("a refused change replaced the password hash")
				}
			})
		}
		if u := f.MustGetUser(f.slug, uma.ID); u.FailedSignIns != 1 {
			t.Errorf("failed sign-ins = %d after one wrong current password, want 1", u.FailedSignIns)
		}
		f.MustSignIn(f.slug, "umaumi", userPassword)
	})
}

func TestChangePasswordEndsTheOtherSessionsAndLiftsTheForcedChange(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "vic", Password: initialPassword})
		laptop := f.MustSignIn(f.slug, "vic", initialPassword)
		phone := f.MustSignIn(f.slug, "vic", initialPassword)
		if !laptop.User.MustChangePassword {
			t.Fatalf("a user with an initial password signed in without must_change_password")
		}
		ctx := f.MustActor(laptop.Token)
		if !admin.ActorFrom(ctx).Restricted {
			t.Fatalf("the actor of a user who must change their password is not restricted")
		}
		got, err := f.svc.ChangePassword(ctx, initialPassword, "a-much-better-passphrase")
		wantOK(t, "ChangePassword", err)
		if got.MustChangePassword {
			t.Errorf("must_change_password still set after the change")
		}
		if f.MustGetUser(f.slug, u.ID).MustChangePassword {
			t.Errorf("must_change_password still stored after the change")
		}
		_, _, err = f.svc.Authenticate(f.anon, phone.Token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		a, _, err := f.svc.Authenticate(f.anon, laptop.Token)
		wantOK(t, "the current session survives", err)
		if a.Restricted {
			t.Errorf("the current session is still restricted after the change")
		}
		e := f.lastAudit(f.slug)
		if e.Action != "user.password_changed" || e.ActorID != u.ID || e.Details["other_sessions_ended"] != 1.0 {
			t.Errorf("audit: %s by %s, details %v; want user.password_changed by vic ending 1 other session", e.Action, e.ActorName, e.Details)
		}
		f.wantSignInRefused(f.slug, "vic", initialPassword, "wrong_password")
		f.MustSignIn(f.slug, "vic", "a-much-better-passphrase")
	})
}

func TestRestrictedActorMustChangePasswordBeforeAnythingElse(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		other := f.MustUser("other", admin.TypeStandard)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "wes", Type: admin.TypeAdmin, Password: initialPassword})
		res := f.MustSignIn(f.slug, "wes", initialPassword)
		ctx := f.MustActor(res.Token)

		for _, c := range []struct {
			name string
			do   func(ctx context.Context) error
		}{
			{"SearchUsers", func(ctx context.Context) error {
				_, err := f.svc.SearchUsers(ctx, f.slug, admin.UserFilter{})
				return err
			}},
			{"GetUser other", func(ctx context.Context) error { _, err := f.svc.GetUser(ctx, f.slug, other.ID); return err }},
			{"GetUser self", func(ctx context.Context) error { _, err := f.svc.GetUser(ctx, f.slug, u.ID); return err }},
			{"CreateUser", func(ctx context.Context) error {
				_, err := f.svc.CreateUser(ctx, f.slug, admin.NewUser{Username: "x", Email: "x@example.com"})
				return err
			}},
			{"UpdateUser", func(ctx context.Context) error {
				_, err := f.svc.UpdateUser(ctx, f.slug, other.ID, admin.UserPatch{FirstName: ptr("O")})
				return err
			}},
			{"DeactivateUser", func(ctx context.Context) error { _, err := f.svc.DeactivateUser(ctx, f.slug, other.ID); return err }},
			{"GetTenant", func(ctx context.Context) error { _, err := f.svc.GetTenant(ctx, f.slug); return err }},
			{"UpdateTenant", func(ctx context.Context) error {
				_, err := f.svc.UpdateTenant(ctx, f.slug, admin.TenantPatch{Name: ptr("X")})
				return err
			}},
			{"ListAudit", func(ctx context.Context) error {
				_, err := f.svc.ListAudit(ctx, f.slug, admin.AuditFilter{})
				return err
			}},
			{"ListUserSessions", func(ctx context.Context) error { _, err := f.svc.ListUserSessions(ctx, f.slug, u.ID); return err }},
			{"MySessions", func(ctx context.Context) error { _, err := f.svc.MySessions(ctx); return err }},
			{"EndMySession", func(ctx context.Context) error { return f.svc.EndMySession(ctx, "any") }},
			{"CreateTenant", func(ctx context.Context) error {
				_, err := f.svc.CreateTenant(ctx, admin.NewTenant{Slug: "x", Name: "X"})
				return err
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantErr(t, c.do(ctx), admin.KindForbidden, "password_change_required")
			})
		}

		me, _, err := f.svc.Me(ctx)
		if err != nil || me.ID != u.ID || !me.MustChangePassword {
			t.Errorf("Me while restricted: %v, %+v; want wes with must_change_password", err, me)
		}
		_, err = f.svc.ChangePassword(ctx, initialPassword, userPassword)
		wantOK(t, "ChangePassword while restricted", err)
		ctx = f.MustActor(res.Token)
		if _, err := f.svc.SearchUsers(ctx, f.slug, admin.UserFilter{}); err != nil {
			t.Errorf("SearchUsers after the change: %v", err)
		}
		wantOK(t, "SignOut", f.svc.SignOut(ctx))
	})
}

func TestSignInRehashesAnOldHashAndStillActivates(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "xena", Password: initialPassword})
		stronger := admin.New(admin.Config{Store: db, Clock: f.clock, Hasher: password.NewHasher(password.Params{Memory: 128, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16})})
		res, err := stronger.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "xena", Password: initialPassword})
		wantOK(t, "SignIn with new hash parameters", err)
		got := f.MustGetUser(f.slug, u.ID)
		if !strings.Contains(got.PasswordHash, "m=128,t=2") {
			t.Errorf("hash %s was not upgraded to the new parameters", got.PasswordHash)
		}
		if got.Status != admin.StatusActive || got.LastSignInAt == nil {
			t.Errorf("after a rehashing first sign-in: status %s, last sign-in %v; want active, now", got.Status, got.LastSignInAt)
		}
		if _, _, err := stronger.Authenticate(f.anon, res.Token); err != nil {
			t.Errorf("the new session: %v", err)
		}
		if _, err := stronger.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "xena", Password: initialPassword}); err != nil {
			t.Errorf("sign-in with the upgraded hash: %v", err)
		}
	})
}
