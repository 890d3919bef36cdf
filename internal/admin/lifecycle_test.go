package admin_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// wantStatus fails unless the stored user has status s.
func (f *fixture) wantStatus(id string, s admin.Status) *admin.User {
	f.tb.Helper()
	u := f.MustGetUser(f.slug, id)
	if u.Status != s {
		f.tb.Fatalf("%s has status %s, want %s", u.Username, u.Status, s)
	}
	return u
}

// wantSignInRefused fails unless signing in as login fails with the
// uniform answer and the audit trail records reason.
func (f *fixture) wantSignInRefused(slug, login, pw, reason string) {
	f.tb.Helper()
	res, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: slug, Username: login, Password: pw})
	if res != nil {
		f.tb.Fatalf("SignIn(%s) returned a session for a refused sign-in", login)
	}
	wantErr(f.tb, err, admin.KindUnauthenticated, "invalid_credentials")
	e := f.auditWhere(slug, admin.AuditFilter{Action: "session.failed"})
	if len(e) == 0 || e[0].Reason != reason || e[0].Outcome != admin.OutcomeFailure {
		got := "no event"
		if len(e) > 0 {
			got = fmt.Sprintf("reason %q, outcome %q", e[0].Reason, e[0].Outcome)
		}
		f.tb.Fatalf("audit of the refused sign-in of %s: %s; want session.failed with reason %q", login, got, reason)
	}
}

func TestPendingUserBecomesActiveAtFirstSignIn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "hana", Password: initialPassword})
		if u.Status != admin.StatusPending || u.LastSignInAt != nil {
			t.Fatalf("new user: status %s, last sign-in %v; want pending, never", u.Status, u.LastSignInAt)
		}
		f.clock.Advance(time.Hour)
		res := f.MustSignIn(f.slug, "hana", initialPassword)
		if res.User.Status != admin.StatusActive {
			t.Errorf("SignIn returned status %s, want active", res.User.Status)
		}
		got := f.wantStatus(u.ID, admin.StatusActive)
		if got.LastSignInAt == nil || !got.LastSignInAt.Equal(f.clock.Now()) {
			t.Errorf("last sign-in = %v, want %v", got.LastSignInAt, f.clock.Now())
		}
		if e := f.lastAudit(f.slug); e.Action != "session.created" || e.ActorID != u.ID || e.TargetID != u.ID {
			t.Errorf("audit after sign-in: %s by %s; want session.created by hana", e.Action, e.ActorName)
		}
	})
}

func TestDeactivationEndsSessionsAtOnceAndBlocksSignIn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		ivy := f.MustMember(f.slug, "ivy", admin.TypeStandard)
		second := f.MustSession(f.slug, "ivy")

		got, err := f.svc.DeactivateUser(f.staff, f.slug, ivy.ID)
		wantOK(t, "DeactivateUser", err)
		if got.Status != admin.StatusDeactivated {
			t.Errorf("DeactivateUser returned status %s", got.Status)
		}
		for _, token := range []string{ivy.token, second} {
			_, _, err := f.svc.Authenticate(f.anon, token)
			wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		}
		sessions, err := f.svc.ListUserSessions(f.staff, f.slug, ivy.ID)
		if err != nil || len(sessions) != 0 {
			t.Errorf("sessions after deactivation: %d (%v), want none", len(sessions), err)
		}
		f.wantSignInRefused(f.slug, "ivy", userPassword, "deactivated")

		_, err = f.svc.DeactivateUser(f.staff, f.slug, ivy.ID)
		wantFieldErr(t, err, admin.KindConflict, "invalid_transition", "status")
	})
}

func TestActivationReturnsToActiveOrPending(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		jo := f.MustMember(f.slug, "jo", admin.TypeStandard)
		never := f.MustUser("never", admin.TypeStandard)

		_, err := f.svc.ActivateUser(f.staff, f.slug, jo.ID)
		wantFieldErr(t, err, admin.KindConflict, "invalid_transition", "status")

		for _, tc := range []struct {
			id   string
			want admin.Status
		}{{jo.ID, admin.StatusActive}, {never.ID, admin.StatusPending}} {
			_, err := f.svc.DeactivateUser(f.staff, f.slug, tc.id)
			wantOK(t, "DeactivateUser", err)
			got, err := f.svc.ActivateUser(f.staff, f.slug, tc.id)
			wantOK(t, "ActivateUser", err)
			if got.Status != tc.want {
				t.Errorf("%s activated to %s, want %s", got.Username, got.Status, tc.want)
			}
			f.wantStatus(tc.id, tc.want)
		}
		f.MustSignIn(f.slug, "jo", userPassword)

		// The same through UpdateUser's status field.
		_, err = f.svc.UpdateUser(f.staff, f.slug, jo.ID, admin.UserPatch{Status: ptr(admin.StatusDeactivated)})
		wantOK(t, "UpdateUser status=deactivated", err)
		f.wantStatus(jo.ID, admin.StatusDeactivated)
		_, err = f.svc.UpdateUser(f.staff, f.slug, jo.ID, admin.UserPatch{Status: ptr(admin.StatusActive)})
		wantOK(t, "UpdateUser status=active", err)
		f.wantStatus(jo.ID, admin.StatusActive)
	})
}

func TestListHidesDeactivatedUnlessAskedAndRemovedAlways(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustUser("pending", admin.TypeStandard)
		f.MustMember(f.slug, "active", admin.TypeStandard)
		deact := f.MustUser("deact", admin.TypeStandard)
		removed := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "removed", Auth: admin.AuthSSO})
		if _, err := f.svc.DeactivateUser(f.staff, f.slug, deact.ID); err != nil {
			t.Fatal(err)
		}
		if deleted, err := f.svc.DeleteUser(f.staff, f.slug, removed.ID); err != nil || deleted {
			t.Fatalf("DeleteUser(sso pending) = %v, %v; want removed", deleted, err)
		}
		for _, tc := range []struct {
			filter admin.UserFilter
			want   string
		}{
			{admin.UserFilter{}, "active,pending"},
			{admin.UserFilter{IncludeDeactivated: true}, "active,deact,pending"},
			{admin.UserFilter{Status: "deactivated"}, "deact"},
			{admin.UserFilter{Status: "removed"}, "removed"},
			{admin.UserFilter{Status: "pending"}, "pending"},
			{admin.UserFilter{Status: "active"}, "active"},
			{admin.UserFilter{Q: "removed", IncludeDeactivated: true}, ""},
		} {
			if got := strings.Join(f.usernames(f.slug, tc.filter), ","); got != tc.want {
				t.Errorf("SearchUsers(%+v) = [%s], want [%s]", tc.filter, got, tc.want)
			}
		}
		// A removed user can still be read by id, so that they can be restored.
		f.wantStatus(removed.ID, admin.StatusRemoved)
	})
}

func TestRemovedUserIsHiddenLosesAccessAndCannotSignIn(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		kim := f.MustMember(f.slug, "kim", admin.TypeStandard)
		seats := f.MustTenant(f.slug).UserCount

		deleted, err := f.svc.DeleteUser(f.staff, f.slug, kim.ID)
		wantOK(t, "DeleteUser", err)
		if deleted {
			t.Errorf("DeleteUser of an active user reported an outright deletion, want a removal")
		}
		got := f.wantStatus(kim.ID, admin.StatusRemoved)
		if got.StatusBeforeRemoval != admin.StatusActive || got.RemovedAt == nil || !got.RemovedAt.Equal(f.clock.Now()) {
			t.Errorf("removed user: before removal %q, removed at %v; want active, now", got.StatusBeforeRemoval, got.RemovedAt)
		}
		if n := f.MustTenant(f.slug).UserCount; n != seats-1 {
			t.Errorf("seats in use = %d after removal, want %d: removed users do not count", n, seats-1)
		}
		if names := f.usernames(f.slug, admin.UserFilter{IncludeDeactivated: true}); slices.Contains(names, "kim") {
			t.Errorf("removed kim is listed: %v", names)
		}
		_, _, err = f.svc.Authenticate(f.anon, kim.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		f.wantSignInRefused(f.slug, "kim", userPassword, "removed")
		if e := f.countAudit(f.slug, "user.removed"); e != 1 {
			t.Errorf("%d user.removed events, want 1", e)
		}

		for name, err := range map[string]error{
			"UpdateUser": func() error {
				_, err := f.svc.UpdateUser(f.staff, f.slug, kim.ID, admin.UserPatch{FirstName: ptr("K")})
				return err
			}(),
			"DeleteUser": func() error { _, err := f.svc.DeleteUser(f.staff, f.slug, kim.ID); return err }(),
			"UnlockUser": func() error { _, err := f.svc.UnlockUser(f.staff, f.slug, kim.ID); return err }(),
		} {
			if admin.KindOf(err) != admin.KindConflict || admin.CodeOf(err) != "user_removed" {
				t.Errorf("%s of a removed user: %v, want Conflict user_removed", name, err)
			}
		}
		_, err = f.svc.DeactivateUser(f.staff, f.slug, kim.ID)
		wantErr(t, err, admin.KindConflict, "invalid_transition")
	})
}

func TestRestoreWithinRetentionReturnsThePreviousStatus(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		lea := f.MustMember(f.slug, "lea", admin.TypeStandard)
		mo := f.MustMember(f.slug, "mo", admin.TypeStandard)
		sso := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "sso", Auth: admin.AuthSSO})
		if _, err := f.svc.DeactivateUser(f.staff, f.slug, mo.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{lea.ID, mo.ID, sso.ID} {
			if _, err := f.svc.DeleteUser(f.staff, f.slug, id); err != nil {
				t.Fatal(err)
			}
		}
		seats := f.MustTenant(f.slug).UserCount
		f.clock.Advance(admin.RetentionWindow - time.Minute)

		for _, tc := range []struct {
			id   string
			want admin.Status
		}{{lea.ID, admin.StatusActive}, {mo.ID, admin.StatusDeactivated}, {sso.ID, admin.StatusPending}} {
			got, err := f.svc.RestoreUser(f.staff, f.slug, tc.id)
			wantOK(t, "RestoreUser", err)
			if got.Status != tc.want || got.RemovedAt != nil || got.StatusBeforeRemoval != "" {
				t.Errorf("restored %s: status %s, removed at %v; want %s, not removed", got.Username, got.Status, got.RemovedAt, tc.want)
			}
			f.wantStatus(tc.id, tc.want)
		}
		if n := f.MustTenant(f.slug).UserCount; n != seats+3 {
			t.Errorf("seats in use = %d after three restores, want %d", n, seats+3)
		}
		if n := f.countAudit(f.slug, "user.restored"); n != 3 {
			t.Errorf("%d user.restored events, want 3", n)
		}
		f.MustSignIn(f.slug, "lea", userPassword)

		_, err := f.svc.RestoreUser(f.staff, f.slug, lea.ID)
		wantFieldErr(t, err, admin.KindConflict, "invalid_transition", "status")
	})
}

func TestRestoreAfterTheRetentionWindowFails(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustMember(f.slug, "old", admin.TypeStandard)
		if _, err := f.svc.DeleteUser(f.staff, f.slug, u.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(admin.RetentionWindow)
		before, events := f.MustGetUser(f.slug, u.ID), len(f.audit(f.slug))
		_, err := f.svc.RestoreUser(f.staff, f.slug, u.ID)
		wantErr(t, err, admin.KindConflict, "retention_expired")
		wantUnchanged(t, before, f.MustGetUser(f.slug, u.ID))
		f.wantNoNewAudit(f.slug, events)
	})
}

func TestPurgeDeletesOnlyUsersPastTheRetentionWindow(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		early := f.MustMember(f.slug, "early", admin.TypeStandard)
		later := f.MustMember(f.slug, "later", admin.TypeStandard)
		kept := f.MustMember(f.slug, "kept", admin.TypeStandard)
		if _, err := f.svc.DeleteUser(f.staff, f.slug, early.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(10 * 24 * time.Hour)
		if _, err := f.svc.DeleteUser(f.staff, f.slug, later.ID); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(4 * 24 * time.Hour) // early: exactly 14 days
		if n, err := f.svc.PurgeRemovedUsers(f.anon); err != nil || n != 0 {
			t.Fatalf("purge at exactly 14 days: %d, %v; want 0", n, err)
		}
		f.clock.Advance(time.Second)
		n, err := f.svc.PurgeRemovedUsers(f.anon)
		if err != nil || n != 1 {
			t.Fatalf("PurgeRemovedUsers = %d, %v; want 1", n, err)
		}
		_, err = f.svc.GetUser(f.staff, f.slug, early.ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		f.wantStatus(later.ID, admin.StatusRemoved)
		f.wantStatus(kept.ID, admin.StatusActive)
		purged := f.auditWhere(f.slug, admin.AuditFilter{Action: "user.purged"})
		if len(purged) != 1 || purged[0].TargetID != early.ID || purged[0].ActorID != "" {
			t.Fatalf("user.purged events %+v, want one for %s by the system", purged, early.ID)
		}
		trail := f.auditWhere(f.slug, admin.AuditFilter{TargetID: early.ID})
		if len(trail) < 3 {
			t.Errorf("the audit trail keeps %d events of the purged user, want its history (≥3)", len(trail))
		}
		for _, e := range trail {
			if e.TargetName != "" || len(e.Details) != 0 || strings.Contains(fmt.Sprint(e), "early") {
				t.Errorf("%s event of the purged user keeps personal data: %+v", e.Action, e)
			}
		}
		if kept := f.auditWhere(f.slug, admin.AuditFilter{TargetID: kept.ID}); len(kept) == 0 || kept[0].TargetName != "kept" {
			t.Errorf("the events of a user who stays lost their names: %+v", kept)
		}
		if n, err := f.svc.PurgeRemovedUsers(f.anon); err != nil || n != 0 {
			t.Errorf("second purge = %d, %v; want 0", n, err)
		}
		f.clock.Advance(10 * 24 * time.Hour)
		if n, err := f.svc.PurgeRemovedUsers(f.anon); err != nil || n != 1 {
			t.Errorf("purge 10 days later = %d, %v; want 1 (later)", n, err)
		}
		if got := f.countAudit(f.slug, "user.purged"); got != 2 {
			t.Errorf("%d user.purged events, want 2", got)
		}
	})
}

func TestDeletingAPendingPasswordUserDeletesOutright(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "typo", Password: initialPassword})
		seats := f.MustTenant(f.slug).UserCount
		deleted, err := f.svc.DeleteUser(f.staff, f.slug, u.ID)
		wantOK(t, "DeleteUser", err)
		if !deleted {
			t.Errorf("DeleteUser of a pending password user reported a removal, want deletion")
		}
		_, err = f.svc.GetUser(f.staff, f.slug, u.ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		if n := f.MustTenant(f.slug).UserCount; n != seats-1 {
			t.Errorf("seats = %d after deletion, want %d", n, seats-1)
		}
		e := f.lastAudit(f.slug)
		if e.Action != "user.deleted" || e.TargetID != u.ID || e.Details["before"] == nil {
			t.Errorf("audit: %s on %s, details %v; want user.deleted with before", e.Action, e.TargetID, e.Details)
		}
		// The username is free again.
		f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "typo"})
	})
}

func TestDeletingAnActiveOrSSOPendingUserRemoves(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		active := f.MustMember(f.slug, "active", admin.TypeStandard)
		sso := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "ssopending", Auth: admin.AuthSSO})
		deact := f.MustUser("deactpending", admin.TypeStandard)
		if _, err := f.svc.DeactivateUser(f.staff, f.slug, deact.ID); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{active.ID, sso.ID, deact.ID} {
			deleted, err := f.svc.DeleteUser(f.staff, f.slug, id)
			wantOK(t, "DeleteUser", err)
			if deleted {
				t.Errorf("DeleteUser(%s) deleted outright, want a removal", id)
			}
			f.wantStatus(id, admin.StatusRemoved)
		}
	})
}

func TestExpiredUserCannotSignInAndShowsExpired(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		temp := f.MustMember(f.slug, "temp", admin.TypeStandard)
		f.MustMember(f.slug, "perm", admin.TypeStandard)
		_, err := f.svc.UpdateUser(f.staff, f.slug, temp.ID, admin.UserPatch{ExpiresInDays: ptr(2)})
		wantOK(t, "set expiry", err)
		pendingTemp := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "pendingtemp", ExpiresInDays: ptr(1)})

		if _, _, err := f.svc.Authenticate(f.anon, temp.token); err != nil {
			t.Fatalf("session before expiry: %v", err)
		}
		if got := strings.Join(f.usernames(f.slug, admin.UserFilter{Status: "expired"}), ","); got != "" {
			t.Errorf("expired users before expiry: %s, want none", got)
		}

		f.clock.Advance(2 * 24 * time.Hour)
		now := f.clock.Now()
		for _, id := range []string{temp.ID, pendingTemp.ID} {
			u := f.MustGetUser(f.slug, id)
			if got := u.DisplayStatus(now); got != admin.StatusExpired {
				t.Errorf("%s shows %s, want expired", u.Username, got)
			}
		}
		_, _, err = f.svc.Authenticate(f.anon, temp.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		f.wantSignInRefused(f.slug, "temp", userPassword, "expired")

		for _, tc := range []struct {
			status, want string
		}{
			{"expired", "pendingtemp,temp"},
			{"active", "perm"},
			{"pending", ""},
			{"", "pendingtemp,perm,temp"},
		} {
			if got := strings.Join(f.usernames(f.slug, admin.UserFilter{Status: tc.status}), ","); got != tc.want {
				t.Errorf("SearchUsers(status=%q) = [%s], want [%s]", tc.status, got, tc.want)
			}
		}

		// Deactivated is shown as such even when past the expiry.
		_, err = f.svc.DeactivateUser(f.staff, f.slug, temp.ID)
		wantOK(t, "deactivate expired", err)
		if got := f.MustGetUser(f.slug, temp.ID).DisplayStatus(now); got != admin.StatusDeactivated {
			t.Errorf("deactivated expired user shows %s, want deactivated", got)
		}
	})
}

func TestLastActiveAdminCannotBeDeactivatedRemovedOrDemoted(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		root := f.MustMember(f.slug, "root", admin.TypeAdmin)
		f.MustUser("pendingadmin", admin.TypeAdmin) // pending admins do not count
		deputy := f.MustMember(f.slug, "deputy", admin.TypeAdmin)
		if _, err := f.svc.DeactivateUser(f.staff, f.slug, deputy.ID); err != nil {
			t.Fatal(err)
		}

		attempts := []struct {
			name string
			do   func() error
		}{
			{"DeactivateUser", func() error { _, err := f.svc.DeactivateUser(f.staff, f.slug, root.ID); return err }},
			{"DeleteUser", func() error { _, err := f.svc.DeleteUser(f.staff, f.slug, root.ID); return err }},
			{"demote", func() error {
				_, err := f.svc.UpdateUser(f.staff, f.slug, root.ID, admin.UserPatch{Type: ptr(admin.TypeStandard)})
				return err
			}},
			{"status deactivated", func() error {
				_, err := f.svc.UpdateUser(f.staff, f.slug, root.ID, admin.UserPatch{Status: ptr(admin.StatusDeactivated)})
				return err
			}},
		}
		for _, a := range attempts {
			t.Run("alone/"+a.name, func(t *testing.T) {
				before, events := f.MustGetUser(f.slug, root.ID), len(f.audit(f.slug))
				wantErr(t, a.do(), admin.KindConflict, "last_admin")
				wantUnchanged(t, before, f.MustGetUser(f.slug, root.ID))
				f.wantNoNewAudit(f.slug, events)
			})
		}

		if _, err := f.svc.ActivateUser(f.staff, f.slug, deputy.ID); err != nil {
			t.Fatal(err)
		}
		// With two active admins, one may go; then the other is the last.
		deputyCtx := f.MustActor(f.MustSession(f.slug, "deputy"))
		_, err := f.svc.UpdateUser(deputyCtx, f.slug, root.ID, admin.UserPatch{Type: ptr(admin.TypeStandard)})
		wantOK(t, "deputy demotes root", err)
		_, err = f.svc.DeactivateUser(f.staff, f.slug, deputy.ID)
		wantErr(t, err, admin.KindConflict, "last_admin")
	})
}

func TestSeatLimitCountsEveryoneButRemovedUsers(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db, admin.TenantSettingsPatch{MaxUsers: ptr(3)})
		pending := f.MustUser("pending", admin.TypeStandard)
		deact := f.MustUser("deact", admin.TypeStandard)
		active := f.MustMember(f.slug, "active", admin.TypeStandard)
		if _, err := f.svc.DeactivateUser(f.staff, f.slug, deact.ID); err != nil {
			t.Fatal(err)
		}
		wantSeats := func(n int) {
			t.Helper()
			if got := f.MustTenant(f.slug).UserCount; got != n {
				t.Fatalf("seats in use = %d, want %d", got, n)
			}
		}
		wantSeats(3)

		events := len(f.audit(f.slug))
		_, err := f.svc.CreateUser(f.staff, f.slug, admin.NewUser{Username: "fourth", Email: "fourth@example.com"})
		wantErr(t, err, admin.KindConflict, "seat_limit")
		f.wantNoNewAudit(f.slug, events)
		wantSeats(3)

		if _, err := f.svc.DeleteUser(f.staff, f.slug, active.ID); err != nil {
			t.Fatal(err)
		}
		wantSeats(2)
		f.MustUser("fourth", admin.TypeStandard)
		wantSeats(3)

		_, err = f.svc.RestoreUser(f.staff, f.slug, active.ID)
		wantErr(t, err, admin.KindConflict, "seat_limit")
		f.wantStatus(active.ID, admin.StatusRemoved)
		wantSeats(3)

		if deleted, err := f.svc.DeleteUser(f.staff, f.slug, pending.ID); err != nil || !deleted {
			t.Fatalf("DeleteUser(pending) = %v, %v", deleted, err)
		}
		wantSeats(2)
		_, err = f.svc.RestoreUser(f.staff, f.slug, active.ID)
		wantOK(t, "restore into a free seat", err)
		wantSeats(3)

		// Staff raise the limit; a tenant without a limit takes anyone.
		if _, err := f.svc.UpdateTenant(f.staff, f.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{MaxUsers: ptr(0)}}); err != nil {
			t.Fatal(err)
		}
		f.MustUser("fifth", admin.TypeStandard)
		wantSeats(4)
	})
}

func TestConcurrentCreationsNeverOversell(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		const limit, tries = 5, 20
		f := MustFixture(t, db, admin.TenantSettingsPatch{MaxUsers: ptr(limit)})
		var wg sync.WaitGroup
		errs := make([]error, tries)
		start := make(chan struct{})
		for i := range tries {
			wg.Go(func() {
				<-start
				_, errs[i] = f.svc.CreateUser(f.staff, f.slug, admin.NewUser{Username: fmt.Sprintf("rush%02d", i), Email: fmt.Sprintf("rush%02d@example.com", i)})
			})
		}
		close(start)
		wg.Wait()
		ok, full := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case admin.CodeOf(err) == "seat_limit" && admin.KindOf(err) == admin.KindConflict:
				full++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != limit || full != tries-limit {
			t.Errorf("%d created, %d refused with seat_limit; want %d and %d", ok, full, limit, tries-limit)
		}
		if n := f.MustTenant(f.slug).UserCount; n != limit {
			t.Errorf("seats in use = %d, want %d", n, limit)
		}
		if n := len(f.usernames(f.slug, admin.UserFilter{IncludeDeactivated: true})); n != limit {
			t.Errorf("%d users exist, want %d", n, limit)
		}
		if n := f.countAudit(f.slug, "user.created"); n != limit {
			t.Errorf("%d user.created events, want %d", n, limit)
		}
	})
}
