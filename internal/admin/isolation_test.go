package admin_test

import (
	"context"
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// call is one service call made as the actor of ctx.
type call struct {
	name string
	do   func(ctx context.Context) error
}

// callsOn lists the service calls that address a tenant or one of its users.
func callsOn(f *fixture, slug, userID string) []call {
	return []call{
		{"GetTenant", func(ctx context.Context) error { _, err := f.svc.GetTenant(ctx, slug); return err }},
		{"UpdateTenant", func(ctx context.Context) error {
			_, err := f.svc.UpdateTenant(ctx, slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{LockoutThreshold: ptr(9)}})
			return err
		}},
		{"SearchUsers", func(ctx context.Context) error {
			_, err := f.svc.SearchUsers(ctx, slug, admin.UserFilter{})
			return err
		}},
		{"CreateUser", func(ctx context.Context) error {
			_, err := f.svc.CreateUser(ctx, slug, admin.NewUser{Username: "intruder", Email: "intruder@example.com"})
			return err
		}},
		{"GetUser", func(ctx context.Context) error { _, err := f.svc.GetUser(ctx, slug, userID); return err }},
		{"UpdateUser", func(ctx context.Context) error {
			_, err := f.svc.UpdateUser(ctx, slug, userID, admin.UserPatch{FirstName: ptr("Hacked")})
			return err
		}},
		{"DeactivateUser", func(ctx context.Context) error { _, err := f.svc.DeactivateUser(ctx, slug, userID); return err }},
		{"ActivateUser", func(ctx context.Context) error { _, err := f.svc.ActivateUser(ctx, slug, userID); return err }},
		{"UnlockUser", func(ctx context.Context) error { _, err := f.svc.UnlockUser(ctx, slug, userID); return err }},
		{"DeleteUser", func(ctx context.Context) error { _, err := f.svc.DeleteUser(ctx, slug, userID); return err }},
		{"RestoreUser", func(ctx context.Context) error { _, err := f.svc.RestoreUser(ctx, slug, userID); return err }},
		{"ListUserSessions", func(ctx context.Context) error { _, err := f.svc.ListUserSessions(ctx, slug, userID); return err }},
		{"EndUserSessions", func(ctx context.Context) error { _, err := f.svc.EndUserSessions(ctx, slug, userID); return err }},
		{"ListAudit", func(ctx context.Context) error { _, err := f.svc.ListAudit(ctx, slug, admin.AuditFilter{}); return err }},
		{"ActorMay", func(ctx context.Context) error {
			_, err := f.svc.ActorMay(ctx, slug, admin.PermGrantsWrite, []string{"tenant:" + slug})
			return err
		}},
	}
}

func TestAnotherTenantIsNotFoundNeverForbidden(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		acmeAdmin := f.MustMember(f.slug, "yara", admin.TypeAdmin)
		acmeStandard := f.MustMember(f.slug, "zack", admin.TypeStandard)
		victim := f.MustMember("globex", "victim", admin.TypeAdmin)
		before, events, tenantBefore := f.MustGetUser("globex", victim.ID), len(f.audit("globex")), f.MustTenant("globex")

		for _, actor := range []member{acmeAdmin, acmeStandard} {
			for _, c := range callsOn(f, "globex", victim.ID) {
				t.Run(actor.Username+"/"+c.name+"/globex", func(t *testing.T) {
					wantErr(t, c.do(actor.ctx), admin.KindNotFound, "not_found")
				})
			}
			// Naming the other tenant's user under one's own tenant finds nothing either.
			for _, c := range callsOn(f, f.slug, victim.ID)[4:13] {
				if actor.Type != admin.TypeAdmin {
					continue
				}
				t.Run(actor.Username+"/"+c.name+"/own slug", func(t *testing.T) {
					wantErr(t, c.do(actor.ctx), admin.KindNotFound, "not_found")
				})
			}
		}
		// The platform is no tenant, even for staff.
		for _, c := range callsOn(f, "_platform", f.staffU.ID)[:5] {
			t.Run("staff/"+c.name+"/_platform", func(t *testing.T) {
				wantErr(t, c.do(f.staff), admin.KindNotFound, "not_found")
			})
		}

		wantUnchanged(t, before, f.MustGetUser("globex", victim.ID))
		f.wantNoNewAudit("globex", events)
		if after := f.MustTenant("globex"); after.Settings != tenantBefore.Settings || after.UserCount != tenantBefore.UserCount {
			t.Errorf("globex changed: before %+v, after %+v", tenantBefore, after)
		}
		if _, _, err := f.svc.Authenticate(f.anon, victim.token); err != nil {
			t.Errorf("the victim's session ended: %v", err)
		}
	})
}

func TestStandardUserIsForbiddenInTheirOwnTenant(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		colleague := f.MustMember(f.slug, "colleague", admin.TypeStandard)
		for _, typ := range []admin.UserType{admin.TypeStandard, admin.TypeReadOnly} {
			m := f.MustMember(f.slug, "plain-"+string(typ), typ)
			for _, c := range callsOn(f, f.slug, colleague.ID) {
				t.Run(string(typ)+"/"+c.name, func(t *testing.T) {
					wantErr(t, c.do(m.ctx), admin.KindForbidden, "forbidden")
				})
			}
			// They may read themselves and their own sessions, but not change themselves here.
			if u, err := f.svc.GetUser(m.ctx, f.slug, m.ID); err != nil || u.ID != m.ID {
				t.Errorf("%s reads themselves: %v", typ, err)
			}
			if s, err := f.svc.ListUserSessions(m.ctx, f.slug, m.ID); err != nil || len(s) != 1 {
				t.Errorf("%s lists their sessions: %d, %v; want 1", typ, len(s), err)
			}
			_, err := f.svc.UpdateUser(m.ctx, f.slug, m.ID, admin.UserPatch{FirstName: ptr("Me")})
			wantErr(t, err, admin.KindForbidden, "forbidden")
		}
		if got := f.MustGetUser(f.slug, colleague.ID); got.Status != admin.StatusActive || got.FirstName != "" {
			t.Errorf("the colleague changed: %+v", got)
		}
	})
}

func TestAnonymousCallsAreUnauthenticated(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustUser("someone", admin.TypeStandard)
		for _, c := range callsOn(f, f.slug, u.ID) {
			t.Run(c.name, func(t *testing.T) {
				wantErr(t, c.do(f.anon), admin.KindUnauthenticated, "unauthenticated")
			})
		}
		for name, err := range map[string]error{
			"Me":         func() error { _, _, err := f.svc.Me(f.anon); return err }(),
			"MySessions": func() error { _, err := f.svc.MySessions(f.anon); return err }(),
			"ChangePassword": func() error {
				_, err := f.svc.ChangePassword(f.anon, userPassword, "another-passphrase")
				return err
			}(),
			"EndMySession": f.svc.EndMySession(f.anon, "x"),
		} {
			if admin.KindOf(err) != admin.KindUnauthenticated {
				t.Errorf("anonymous %s: %v, want Unauthenticated", name, err)
			}
		}
		for _, token := range []string{"", "garbage", string(make([]byte, 200))} {
			_, _, err := f.svc.Authenticate(f.anon, token)
			wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		}
	})
}
