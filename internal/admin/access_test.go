package admin_test

import (
	"slices"
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// world is a fixture with a small tracker catalogue, two roles and a tree:
// project:P1 > folder:F1 > folder:F2, and project:P2.
type world struct {
	*fixture
	reader, editor, granter *admin.Role
}

func MustWorld(tb testing.TB, db *sqlstore.DB) *world {
	tb.Helper()
	f := MustFixture(tb, db)
	for _, p := range []struct {
		name string
		kind admin.PermKind
	}{{"defects.read", admin.KindRead}, {"defects.edit", admin.KindWrite}} {
		if _, err := f.svc.RegisterPermission(f.staff, p.name, p.kind, ""); err != nil {
			tb.Fatalf("RegisterPermission(%s): %v", p.name, err)
		}
	}
	w := &world{fixture: f}
	w.reader = w.MustRole("Reader", "defects.read")
	w.editor = w.MustRole("Editor", "defects.read", "defects.edit")
	w.granter = w.MustRole("Lead", "defects.read", "roster.grants.write", "roster.users.read")
	w.MustResource("project", "P1", "")
	w.MustResource("folder", "F1", "project:P1")
	w.MustResource("folder", "F2", "folder:F1")
	w.MustResource("project", "P2", "")
	return w
}

func (w *world) MustRole(name string, perms ...string) *admin.Role {
	w.tb.Helper()
	r, err := w.svc.CreateRole(w.staff, w.slug, admin.NewRole{Name: name, Permissions: perms})
	if err != nil {
		w.tb.Fatalf("CreateRole(%s): %v", name, err)
	}
	return r
}

func (w *world) MustResource(typ, key, parent string) {
	w.tb.Helper()
	if _, err := w.svc.CreateResource(w.staff, w.slug, admin.NewResource{Type: typ, Key: key, Parent: parent}); err != nil {
		w.tb.Fatalf("CreateResource(%s:%s): %v", typ, key, err)
	}
}

func (w *world) MustGrant(st admin.SubjectType, subject string, role *admin.Role, resource string, acc admin.Access) *admin.Grant {
	w.tb.Helper()
	g, err := w.svc.CreateGrant(w.staff, w.slug, admin.NewGrant{SubjectType: st, SubjectID: subject, Role: role.ID, Resource: resource, Access: acc})
	if err != nil {
		w.tb.Fatalf("CreateGrant(%s %s %s on %s): %v", st, subject, role.Name, resource, err)
	}
	return g
}

// check asks one question as staff.
func (w *world) check(user, perm, resource string) admin.CheckResult {
	w.tb.Helper()
	res, err := w.svc.Check(w.staff, w.slug, []admin.CheckRequest{{UserID: user, Permission: perm, Resource: resource}})
	if err != nil {
		w.tb.Fatalf("Check: %v", err)
	}
	return res[0]
}

func TestGrantsFollowTheTreeGroupsAndCaps(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann := w.MustMember(w.slug, "ann", admin.TypeStandard)
		bob := w.MustUser("bob", admin.TypeReadOnly)
		cy := w.MustUser("cy", admin.TypeStandard)
		devs := w.MustGroup("devs")
		_, err := w.svc.AddMembers(w.staff, w.slug, devs.ID, []string{bob.ID, cy.ID})
		wantOK(t, "AddMembers", err)

		team := w.MustGrant(admin.SubjectGroup, devs.ID, w.editor, "project:P1", "")
		own := w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "folder:F1", admin.AccessReadOnly)
		if _, _, err := w.svc.Authenticate(w.anon, ann.token); err == nil {
			t.Fatal("ann's session survived a change of her grants")
		}

		for _, c := range []struct {
			user, perm, res string
			allowed         bool
			grant           string
			denial          string
		}{
			{cy.ID, "defects.edit", "folder:F2", true, team.ID, ""},
			{bob.ID, "defects.read", "folder:F2", true, team.ID, ""},
			{bob.ID, "defects.edit", "folder:F2", false, "", "read_only_user"},
			{ann.ID, "defects.read", "folder:F2", true, own.ID, ""},
			{ann.ID, "defects.read", "project:P1", false, "", "no_grant"},
			{cy.ID, "defects.read", "project:P2", false, "", "no_grant"},
			{cy.ID, "defects.read", "project:P9", false, "", "unknown_resource"},
			{cy.ID, "nothing.read", "project:P1", false, "", "unknown_permission"},
		} {
			got := w.check(c.user, c.perm, c.res)
			if got.Allowed != c.allowed || got.Denial != c.denial || (c.allowed && got.Reason.GrantID != c.grant) {
				t.Errorf("check(%s, %s, %s) = %+v, want allowed=%v by %q denial %q", c.user, c.perm, c.res, got, c.allowed, c.grant, c.denial)
			}
		}
		got := w.check(cy.ID, "defects.edit", "folder:F2")
		if r := got.Reason; r.GroupID != devs.ID || r.RoleName != "Editor" || !slices.Equal(r.Path, []string{"project:P1", "folder:F1", "folder:F2"}) {
			t.Fatalf("reason %+v, want Editor via devs along P1 > F1 > F2", r)
		}

		// Access to all projects is a grant on their collection.
		w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "collection:project", "")
		if got := w.check(ann.ID, "defects.read", "project:P2"); !got.Allowed || got.Reason.Resource != "collection:project" {
			t.Fatalf("ann with access to all projects: %+v", got)
		}

		// Moving F1 under P2 takes the team's grant away from it; deleting P1 deletes its grants.
		_, err = w.svc.UpdateResource(w.staff, w.slug, "folder", "F1", admin.ResourcePatch{Parent: ptr("project:P2")})
		wantOK(t, "move F1", err)
		if got := w.check(cy.ID, "defects.edit", "folder:F2"); got.Allowed {
			t.Fatalf("after the move cy still edits F2: %+v", got)
		}
		_, err = w.svc.UpdateResource(w.staff, w.slug, "project", "P2", admin.ResourcePatch{Parent: ptr("folder:F2")})
		wantFieldErr(t, err, admin.KindInvalid, "cycle", "parent")
		wantOK(t, "delete P1", w.svc.DeleteResource(w.staff, w.slug, "project", "P1"))
		if p, _ := w.svc.ListGrants(w.staff, w.slug, admin.GrantFilter{Subject: devs.ID}); len(p.Items) != 0 {
			t.Fatalf("grants of devs after deleting P1: %+v", p.Items)
		}
		if got := w.check(cy.ID, "defects.read", "project:P1"); got.Denial != "unknown_resource" {
			t.Fatalf("a deleted project: %+v", got)
		}

		// Effective permissions and who holds what.
		held, err := w.svc.EffectivePermissions(w.staff, w.slug, ann.ID, "folder:F2")
		wantOK(t, "EffectivePermissions", err)
		if len(held) != 1 || held[0].Name != "defects.read" {
			t.Fatalf("ann holds %+v on F2", held)
		}
		who, err := w.svc.WhoHolds(w.staff, w.slug, "project", "P2", "defects.read", 0)
		wantOK(t, "WhoHolds", err)
		if len(who) != 1 || who[0].Username != "ann" {
			t.Fatalf("who reads P2: %+v", who)
		}
	})
}

func TestNoEscalationAndNoSelfGrant(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		lead := w.MustMember(w.slug, "lead", admin.TypeStandard)
		other := w.MustUser("other", admin.TypeStandard)
		w.MustGrant(admin.SubjectUser, lead.ID, w.granter, "project:P1", "")
		lead.ctx = w.MustActor(w.MustSession(w.slug, "lead"))

		// The lead may grant what they hold, where they hold it.
		_, err := w.svc.CreateGrant(lead.ctx, w.slug, admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: other.ID, Role: w.reader.ID, Resource: "folder:F1"})
		wantOK(t, "grant reader on F1", err)
		events := len(w.audit(w.slug))
		for _, c := range []struct {
			name string
			in   admin.NewGrant
			code string
		}{
			{"more than they hold", admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: other.ID, Role: w.editor.ID, Resource: "project:P1"}, "escalation"},
			{"where they hold nothing", admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: other.ID, Role: w.reader.ID, Resource: "project:P2"}, "forbidden"},
			{"to themselves", admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: lead.ID, Role: w.reader.ID, Resource: "folder:F1"}, "self_edit_forbidden"},
		} {
			_, err := w.svc.CreateGrant(lead.ctx, w.slug, c.in)
			wantErr(t, err, admin.KindForbidden, c.code)
		}
		w.wantNoNewAudit(w.slug, events)
		// Editor access read_only gives only reads: that the lead may grant.
		_, err = w.svc.CreateGrant(lead.ctx, w.slug, admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: other.ID, Role: w.editor.ID, Resource: "project:P1", Access: admin.AccessReadOnly})
		wantOK(t, "grant editor read_only", err)

		// An admin holds roster.* but not the host's rights: no role with them.
		ada := w.MustMember(w.slug, "ada", admin.TypeAdmin)
		_, err = w.svc.CreateRole(ada.ctx, w.slug, admin.NewRole{Name: "Sneaky", Permissions: []string{"defects.edit"}})
		wantErr(t, err, admin.KindForbidden, "escalation")
		_, err = w.svc.CreateRole(ada.ctx, w.slug, admin.NewRole{Name: "Helpers", Permissions: []string{"roster.users.read"}})
		wantOK(t, "admin creates a roster.* role", err)
	})
}

func TestRolesPredefinedCopyEditDelete(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		roles, err := w.svc.ListRoles(w.staff, w.slug)
		wantOK(t, "ListRoles", err)
		var admins *admin.Role
		for _, r := range roles {
			if r.ID == admin.RoleTenantAdministrator {
				admins = r
			}
		}
		if admins == nil || !admins.Locked || !admins.Predefined() || len(admins.Permissions) != 10 {
			t.Fatalf("tenant administrator role %+v, want locked with the 10 roster.* rights", admins)
		}
		_, err = w.svc.UpdateRole(w.staff, w.slug, admins.ID, admin.RolePatch{Name: ptr("Mine")})
		wantErr(t, err, admin.KindConflict, "role_locked")
		wantErr(t, w.svc.DeleteRole(w.staff, w.slug, admins.ID, ""), admin.KindConflict, "role_locked")
		cp, err := w.svc.CopyRole(w.staff, w.slug, admins.ID, "Deputy")
		wantOK(t, "CopyRole", err)
		if cp.Locked || cp.Predefined() || !slices.Equal(cp.Permissions, admins.Permissions) {
			t.Fatalf("copy %+v", cp)
		}
		_, err = w.svc.CreateRole(w.staff, w.slug, admin.NewRole{Name: "auditor"})
		wantFieldErr(t, err, admin.KindConflict, "role_name_taken", "name")
		_, err = w.svc.CreateRole(w.staff, w.slug, admin.NewRole{Name: "X", Permissions: []string{"no.such"}})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_permission", "permissions")

		// A custom role granted somewhere is deleted only with a replacement.
		u := w.MustUser("uma", admin.TypeStandard)
		g := w.MustGrant(admin.SubjectUser, u.ID, w.reader, "project:P1", "")
		wantErr(t, w.svc.DeleteRole(w.staff, w.slug, w.reader.ID, ""), admin.KindConflict, "role_in_use")
		wantOK(t, "DeleteRole with replacement", w.svc.DeleteRole(w.staff, w.slug, w.reader.ID, w.editor.ID))
		if got := w.check(u.ID, "defects.edit", "folder:F2"); !got.Allowed || got.Reason.GrantID != g.ID || got.Reason.RoleID != w.editor.ID {
			t.Fatalf("after replacing Reader by Editor, uma: %+v", got)
		}
		// Editing a role's permissions takes effect at once.
		_, err = w.svc.UpdateRole(w.staff, w.slug, w.editor.ID, admin.RolePatch{Permissions: &[]string{"defects.read"}})
		wantOK(t, "UpdateRole", err)
		if got := w.check(u.ID, "defects.edit", "folder:F2"); got.Allowed {
			t.Fatalf("after taking defects.edit out of Editor: %+v", got)
		}
	})
}

func TestTeamsAndGroupInUse(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann, bob, cy := w.MustUser("ann", admin.TypeStandard), w.MustUser("bob", admin.TypeStandard), w.MustUser("cy", admin.TypeStandard)
		red, blue := w.MustGroup("red"), w.MustGroup("blue")
		_, err := w.svc.AddMembers(w.staff, w.slug, red.ID, []string{ann.ID, bob.ID})
		wantOK(t, "AddMembers red", err)
		_, err = w.svc.AddMembers(w.staff, w.slug, blue.ID, []string{bob.ID})
		wantOK(t, "AddMembers blue", err)
		w.MustGrant(admin.SubjectGroup, red.ID, w.reader, "project:P1", "")

		// blue as a second team of P1 would put bob on two teams.
		_, err = w.svc.CreateGrant(w.staff, w.slug, admin.NewGrant{SubjectType: admin.SubjectGroup, SubjectID: blue.ID, Role: w.reader.ID, Resource: "project:P1"})
		wantErr(t, err, admin.KindConflict, "team_conflict")
		_, err = w.svc.RemoveMembers(w.staff, w.slug, blue.ID, []string{bob.ID})
		wantOK(t, "RemoveMembers", err)
		w.MustGrant(admin.SubjectGroup, blue.ID, w.reader, "project:P1", "")
		// Now joining blue would put ann on two teams.
		_, err = w.svc.AddMembers(w.staff, w.slug, blue.ID, []string{cy.ID, ann.ID})
		wantErr(t, err, admin.KindConflict, "team_conflict")
		if got := w.members(blue.ID); len(got) != 0 {
			t.Fatalf("a refused membership change left blue with %v", got)
		}

		// cy has access on a folder of P1 but is on no team.
		w.MustGrant(admin.SubjectUser, cy.ID, w.reader, "folder:F2", "")
		mis, err := w.svc.Misconfigurations(w.staff, w.slug, "project", "P1")
		wantOK(t, "Misconfigurations", err)
		if len(mis) != 1 || mis[0].Problem != "no_team" || mis[0].Username != "cy" {
			t.Fatalf("misconfigurations %+v, want cy on no team", mis)
		}

		wantErr(t, w.svc.DeleteGroup(w.staff, w.slug, red.ID), admin.KindConflict, "group_in_use")
	})
}

func TestAStandardUserActsByTheirTenantGrants(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		aud := w.MustMember(w.slug, "aud", admin.TypeStandard)
		_, err := w.svc.ListAudit(aud.ctx, w.slug, admin.AuditFilter{})
		wantErr(t, err, admin.KindForbidden, "forbidden")
		auditor, err := w.svc.GetRole(w.staff, w.slug, admin.RoleAuditor)
		wantOK(t, "GetRole auditor", err)
		w.MustGrant(admin.SubjectUser, aud.ID, auditor, "tenant:"+w.slug, "")
		aud.ctx = w.MustActor(w.MustSession(w.slug, "aud"))
		_, err = w.svc.ListAudit(aud.ctx, w.slug, admin.AuditFilter{})
		wantOK(t, "ListAudit as auditor", err)
		_, err = w.svc.CreateGroup(aud.ctx, w.slug, admin.NewGroup{Name: "nope"})
		wantErr(t, err, admin.KindForbidden, "forbidden")
	})
}

func TestSearchUsersByGroupRoleAndProject(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann, bob := w.MustUser("ann", admin.TypeStandard), w.MustUser("bob", admin.TypeStandard)
		w.MustUser("cy", admin.TypeStandard)
		devs := w.MustGroup("devs")
		_, err := w.svc.AddMembers(w.staff, w.slug, devs.ID, []string{bob.ID})
		wantOK(t, "AddMembers", err)
		w.MustGrant(admin.SubjectGroup, devs.ID, w.editor, "project:P1", "")
		w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "project:P1", "")
		w.MustGrant(admin.SubjectUser, ann.ID, w.editor, "folder:F1", "")
		for _, c := range []struct {
			f    admin.UserFilter
			want []string
		}{
			{admin.UserFilter{Group: devs.ID}, []string{"bob"}},
			{admin.UserFilter{Role: w.editor.ID}, []string{"ann", "bob"}},
			{admin.UserFilter{Role: w.reader.ID}, []string{"ann"}},
			{admin.UserFilter{Project: "P1"}, []string{"ann", "bob"}},
			{admin.UserFilter{Project: "P2"}, nil},
			{admin.UserFilter{Project: "P1", Q: "bo"}, []string{"bob"}},
		} {
			if got := w.usernames(w.slug, c.f); !slices.Equal(got, c.want) {
				t.Errorf("search %+v = %v, want %v", c.f, got, c.want)
			}
		}
	})
}

func TestAnotherTenantsRolesResourcesAndGrantsAreNotFound(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		w.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		theirRole, err := w.svc.CreateRole(w.staff, "globex", admin.NewRole{Name: "Theirs", Permissions: []string{"defects.read"}})
		wantOK(t, "CreateRole globex", err)
		_, err = w.svc.CreateResource(w.staff, "globex", admin.NewResource{Type: "project", Key: "G1"})
		wantOK(t, "CreateResource globex", err)
		victim := w.MustCreateUser(w.staff, "globex", admin.NewUser{Username: "victim"})
		theirGrant, err := w.svc.CreateGrant(w.staff, "globex", admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: victim.ID, Role: theirRole.ID, Resource: "project:G1"})
		wantOK(t, "CreateGrant globex", err)
		ada := w.MustMember(w.slug, "ada", admin.TypeAdmin)
		events := len(w.audit("globex"))

		_, err = w.svc.GetRole(ada.ctx, w.slug, theirRole.ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		_, err = w.svc.GetResource(ada.ctx, w.slug, "project", "G1")
		wantErr(t, err, admin.KindNotFound, "not_found")
		wantErr(t, w.svc.DeleteGrant(ada.ctx, w.slug, theirGrant.ID), admin.KindNotFound, "not_found")
		wantErr(t, w.svc.DeleteGrant(ada.ctx, "globex", theirGrant.ID), admin.KindNotFound, "not_found")
		_, err = w.svc.Check(ada.ctx, "globex", []admin.CheckRequest{{UserID: victim.ID, Permission: "defects.read", Resource: "project:G1"}})
		wantErr(t, err, admin.KindNotFound, "not_found")
		// Their role cannot be granted here, nor their user, nor on their tenant root.
		_, err = w.svc.CreateGrant(w.staff, w.slug, admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: ada.ID, Role: theirRole.ID, Resource: "project:P1"})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_role", "role")
		_, err = w.svc.CreateGrant(w.staff, w.slug, admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: victim.ID, Role: w.reader.ID, Resource: "project:P1"})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_subject", "subject.id")
		_, err = w.svc.CreateGrant(w.staff, w.slug, admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: ada.ID, Role: w.reader.ID, Resource: "tenant:globex"})
		wantErr(t, err, admin.KindNotFound, "not_found")
		// Checks in one's own tenant know nothing of theirs.
		got := w.check(victim.ID, "defects.read", "project:G1")
		if got.Allowed || got.Denial != "unknown_user" {
			t.Fatalf("a check in acme about globex's user: %+v", got)
		}
		w.wantNoNewAudit("globex", events)
	})
}
