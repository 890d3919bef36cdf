package admin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestOnlyStaffCreateAndListTenants(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		tenantAdmin := f.MustMember(f.slug, "carol", admin.TypeAdmin)

		_, err := f.svc.CreateTenant(tenantAdmin.ctx, admin.NewTenant{Slug: "evil", Name: "Evil"})
		wantErr(t, err, admin.KindForbidden, "staff_only")
		_, err = f.svc.ListTenants(tenantAdmin.ctx, "", "", 0)
		wantErr(t, err, admin.KindForbidden, "staff_only")
		_, err = f.svc.CreateTenant(f.anon, admin.NewTenant{Slug: "evil", Name: "Evil"})
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		_, err = f.svc.ListTenants(f.anon, "", "", 0)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
		if _, err := f.svc.GetTenant(f.staff, "evil"); admin.KindOf(err) != admin.KindNotFound {
			t.Fatalf("GetTenant(evil) after refused creations: got %v, want NotFound", err)
		}

		created, err := f.svc.CreateTenant(f.staff, admin.NewTenant{Slug: "globex", Name: "  Globex Corp  "})
		wantOK(t, "staff CreateTenant", err)
		if created.Name != "Globex Corp" || created.Slug != "globex" || created.Settings != admin.DefaultTenantSettings() {
			t.Errorf("created tenant %+v, want slug globex, trimmed name and default settings", created)
		}
		e := f.lastAudit("globex")
		if e.Action != "tenant.created" || e.ActorID != f.staffU.ID || e.TargetID != created.ID || e.Details["after"] == nil {
			t.Errorf("audit after CreateTenant: %+v, want tenant.created by staff on the tenant with after details", e)
		}
		page, err := f.svc.ListTenants(f.staff, "", "", 0)
		wantOK(t, "staff ListTenants", err)
		var slugs []string
		for _, tn := range page.Items {
			slugs = append(slugs, tn.Slug)
		}
		if got := strings.Join(slugs, ","); got != "acme,globex" {
			t.Errorf("ListTenants = %s, want acme,globex (never the platform)", got)
		}
	})
}

func TestTenantSlugNameAndSettingsAreValidated(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		t.Run("slug and name", func(t *testing.T) {
			for _, tc := range []struct {
				slug, name  string
				field, code string // empty: valid
			}{
				{"", "X", "slug", "required"},
				{"Acme2", "X", "slug", "invalid_slug"},
				{"-acme", "X", "slug", "invalid_slug"},
				{"acme-", "X", "slug", "invalid_slug"},
				{"ac_me", "X", "slug", "invalid_slug"},
				{"_platform", "X", "slug", "invalid_slug"},
				{"ac me", "X", "slug", "invalid_slug"},
				{"ключ", "X", "slug", "invalid_slug"},
				{strings.Repeat("a", 64), "X", "slug", "invalid_slug"},
				{"api", "X", "slug", "reserved_slug"},
				{"admin", "X", "slug", "reserved_slug"},
				{"platform", "X", "slug", "reserved_slug"},
				{"noname", "", "name", "required"},
				{"blankname", "   ", "name", "required"},
				{"longname", strings.Repeat("n", 201), "name", "too_long"},
				{"a", "One letter", "", ""},
				{"acme-2", "With a hyphen", "", ""},
				{strings.Repeat("b", 63), "Longest slug", "", ""},
				{"maxname", strings.Repeat("名", 200), "", ""},
			} {
				t.Run(fmt.Sprintf("%.20s/%.10s", tc.slug, tc.name), func(t *testing.T) {
					before := len(f.audit(f.slug))
					_, err := f.svc.CreateTenant(f.staff, admin.NewTenant{Slug: tc.slug, Name: tc.name})
					if tc.code == "" {
						wantOK(t, "CreateTenant", err)
						return
					}
					wantFieldErr(t, err, admin.KindInvalid, tc.code, tc.field)
					if tc.slug != "" {
						if _, err := f.svc.GetTenant(f.staff, tc.slug); admin.KindOf(err) != admin.KindNotFound {
							t.Errorf("GetTenant(%q) after a refused creation: %v, want NotFound", tc.slug, err)
						}
					}
					f.wantNoNewAudit(f.slug, before)
				})
			}
		})
		t.Run("slug is unique", func(t *testing.T) {
			_, err := f.svc.CreateTenant(f.staff, admin.NewTenant{Slug: f.slug, Name: "Second Acme"})
			wantFieldErr(t, err, admin.KindConflict, "slug_taken", "slug")
			if got := f.MustTenant(f.slug).Name; got != "Tenant acme" {
				t.Errorf("the first tenant's name is %q after a refused duplicate, want it unchanged", got)
			}
		})
		t.Run("settings", func(t *testing.T) {
			for _, tc := range []struct {
				name        string
				s           admin.TenantSettingsPatch
				field, code string // empty: valid
			}{
				{"negative max_users", admin.TenantSettingsPatch{MaxUsers: ptr(-1)}, "max_users", "out_of_range"},
				{"lockout 0", admin.TenantSettingsPatch{LockoutThreshold: ptr(0)}, "lockout_threshold", "out_of_range"},
				{"lockout 101", admin.TenantSettingsPatch{LockoutThreshold: ptr(101)}, "lockout_threshold", "out_of_range"},
				{"min length 7", admin.TenantSettingsPatch{PasswordMinLength: ptr(7)}, "password_min_length", "out_of_range"},
				{"min length 129", admin.TenantSettingsPatch{PasswordMinLength: ptr(129)}, "password_min_length", "out_of_range"},
				{"idle 0", admin.TenantSettingsPatch{SessionIdleMinutes: ptr(0)}, "session_idle_minutes", "out_of_range"},
				{"idle over a week", admin.TenantSettingsPatch{SessionIdleMinutes: ptr(10081)}, "session_idle_minutes", "out_of_range"},
				{"absolute 0", admin.TenantSettingsPatch{SessionAbsoluteHours: ptr(0)}, "session_absolute_hours", "out_of_range"},
				{"absolute over 90 days", admin.TenantSettingsPatch{SessionAbsoluteHours: ptr(2161)}, "session_absolute_hours", "out_of_range"},
				{"locale de", admin.TenantSettingsPatch{Locale: ptr("de")}, "locale", "unsupported_locale"},
				{"lowest bounds", admin.TenantSettingsPatch{MaxUsers: ptr(0), LockoutThreshold: ptr(1), PasswordMinLength: ptr(8), SessionIdleMinutes: ptr(1), SessionAbsoluteHours: ptr(1)}, "", ""},
				{"highest bounds", admin.TenantSettingsPatch{MaxUsers: ptr(100_000_000), LockoutThreshold: ptr(100), PasswordMinLength: ptr(128), SessionIdleMinutes: ptr(10080), SessionAbsoluteHours: ptr(2160), Locale: ptr("ja"), MFARequired: ptr(true)}, "", ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					slug := strings.NewReplacer(" ", "-", "_", "-").Replace(tc.name)
					_, createErr := f.svc.CreateTenant(f.staff, admin.NewTenant{Slug: slug, Name: tc.name, Settings: tc.s})
					before := f.MustTenant(f.slug)
					events := len(f.audit(f.slug))
					_, updateErr := f.svc.UpdateTenant(f.staff, f.slug, admin.TenantPatch{Settings: tc.s})
					if tc.code == "" {
						wantOK(t, "CreateTenant", createErr)
						wantOK(t, "UpdateTenant", updateErr)
						return
					}
					wantFieldErr(t, createErr, admin.KindInvalid, tc.code, tc.field)
					wantFieldErr(t, updateErr, admin.KindInvalid, tc.code, tc.field)
					if after := f.MustTenant(f.slug); after.Settings != before.Settings || !after.UpdatedAt.Equal(before.UpdatedAt) {
						t.Errorf("refused UpdateTenant changed the tenant: before %+v, after %+v", before, after)
					}
					f.wantNoNewAudit(f.slug, events)
				})
			}
		})
	})
}

func TestTenantAdminMayChangePoliciesButNotTheSeatLimit(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		boss := f.MustMember(f.slug, "boss", admin.TypeAdmin)
		worker := f.MustMember(f.slug, "worker", admin.TypeStandard)

		got, err := f.svc.UpdateTenant(boss.ctx, f.slug, admin.TenantPatch{Name: ptr("Acme Inc."), Settings: admin.TenantSettingsPatch{LockoutThreshold: ptr(3), PasswordMinLength: ptr(16)}})
		wantOK(t, "tenant admin changes policies", err)
		if got.Settings.LockoutThreshold != 3 || got.Settings.PasswordMinLength != 16 || got.Name != "Acme Inc." {
			t.Errorf("after UpdateTenant: %+v, want lockout 3, min length 16, name Acme Inc.", got)
		}
		e := f.lastAudit(f.slug)
		before, _ := e.Details["before"].(map[string]any)
		after, _ := e.Details["after"].(map[string]any)
		if e.Action != "tenant.updated" || e.ActorID != boss.ID || before["lockout_threshold"] != 5.0 || after["lockout_threshold"] != 3.0 || len(after) != 3 {
			t.Errorf("audit after UpdateTenant: %s by %s, details %v; want tenant.updated by boss with lockout 5→3 and exactly 3 changes", e.Action, e.ActorName, e.Details)
		}

		events := len(f.audit(f.slug))
		_, err = f.svc.UpdateTenant(boss.ctx, f.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{MaxUsers: ptr(1000), LockoutThreshold: ptr(10)}})
		wantErr(t, err, admin.KindForbidden, "staff_only")
		if tn := f.MustTenant(f.slug); tn.Settings.MaxUsers != 0 || tn.Settings.LockoutThreshold != 3 {
			t.Errorf("refused seat-limit change left max_users %d, lockout %d; want 0 and 3", tn.Settings.MaxUsers, tn.Settings.LockoutThreshold)
		}
		f.wantNoNewAudit(f.slug, events)

		_, err = f.svc.UpdateTenant(boss.ctx, f.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{MaxUsers: ptr(0)}})
		wantOK(t, "tenant admin sends the unchanged seat limit", err)

		_, err = f.svc.UpdateTenant(worker.ctx, f.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{LockoutThreshold: ptr(9)}})
		wantErr(t, err, admin.KindForbidden, "forbidden")

		got, err = f.svc.UpdateTenant(f.staff, f.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{MaxUsers: ptr(50)}})
		wantOK(t, "staff sets the seat limit", err)
		if got.Settings.MaxUsers != 50 {
			t.Errorf("max_users = %d after staff set it to 50", got.Settings.MaxUsers)
		}
		if tn, err := f.svc.GetTenant(boss.ctx, f.slug); err != nil || tn.Settings.MaxUsers != 50 {
			t.Errorf("tenant admin GetTenant: %v, %+v; want the tenant with max_users 50", err, tn)
		}
	})
}

func TestListTenantsPagesInSlugOrder(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		want := []string{"acme"}
		for _, s := range []string{"zeta", "beta", "gamma-co", "delta", "alpha", "omega", "epsilon"} {
			f.MustCreateTenant(s, admin.TenantSettingsPatch{})
			want = append(want, s)
		}
		slices.Sort(want)

		var got []string
		cursor, pages := "", 0
		for {
			page, err := f.svc.ListTenants(f.staff, "", cursor, 3)
			wantOK(t, "ListTenants", err)
			pages++
			if len(page.Items) > 3 {
				t.Fatalf("page %d has %d tenants, limit 3", pages, len(page.Items))
			}
			for _, tn := range page.Items {
				got = append(got, tn.Slug)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") || pages != 3 {
			t.Errorf("paging by 3 gave %v in %d pages, want %v in 3", got, pages, want)
		}

		page, err := f.svc.ListTenants(f.staff, "TA", "", 0)
		wantOK(t, "ListTenants q", err)
		var found []string
		for _, tn := range page.Items {
			found = append(found, tn.Slug)
		}
		if got := strings.Join(found, ","); got != "beta,delta,zeta" {
			t.Errorf("ListTenants(q=TA) = %s, want beta,delta,zeta", got)
		}

		_, err = f.svc.ListTenants(f.staff, "", "not a cursor!", 0)
		wantFieldErr(t, err, admin.KindInvalid, "invalid_cursor", "cursor")
		for _, limit := range []int{-1, 501} {
			_, err = f.svc.ListTenants(f.staff, "", "", limit)
			wantFieldErr(t, err, admin.KindInvalid, "out_of_range", "limit")
		}
	})
}
