package admin_test

import (
	"slices"
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// grantsOf lists a subject's grants as "role@resource/access", as staff.
func (w *world) grantsOf(subject string) []string {
	w.tb.Helper()
	p, err := w.svc.ListGrants(w.staff, w.slug, admin.GrantFilter{Subject: subject, Limit: 500})
	if err != nil {
		w.tb.Fatalf("ListGrants(%s): %v", subject, err)
	}
	var out []string
	for _, g := range p.Items {
		out = append(out, g.RoleID+"@"+g.Resource+"/"+string(g.Access))
	}
	slices.Sort(out)
	return out
}

// groupNamesOf lists the groups of a user by name, as staff.
func (w *world) groupNamesOf(userID string) []string {
	w.tb.Helper()
	gs, err := w.svc.GroupsOfUser(w.staff, w.slug, userID)
	if err != nil {
		w.tb.Fatalf("GroupsOfUser: %v", err)
	}
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func TestCreateUserWithGroupsRolesAndGrants(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		devs := w.MustGroup("devs")
		u, err := w.svc.CreateUser(w.staff, w.slug, admin.NewUser{
			Username: "nia", Email: "nia@example.com",
			Groups: []string{devs.ID, devs.ID},
			Roles:  []string{w.reader.ID},
			Grants: []admin.UserGrant{
				{Resource: "collection:project", Role: w.editor.ID, Access: admin.AccessReadOnly},
				{Resource: "project:P2", Role: w.editor.ID},
			},
		})
		wantOK(t, "CreateUser with access", err)
		if got := w.groupNamesOf(u.ID); !slices.Equal(got, []string{"devs"}) {
			t.Fatalf("groups of nia %v, want [devs]", got)
		}
		want := []string{
			w.editor.ID + "@collection:project/read_only",
			w.editor.ID + "@project:P2/write",
			w.reader.ID + "@tenant:acme/write",
		}
		slices.Sort(want)
		if got := w.grantsOf(u.ID); !slices.Equal(got, want) {
			t.Fatalf("grants of nia\n got %v\nwant %v", got, want)
		}
		// Access to all projects reaches a folder; the read-only access does not edit.
		if got := w.check(u.ID, "defects.read", "folder:F2"); !got.Allowed {
			t.Fatalf("nia reads F2: %+v", got)
		}
		if got := w.check(u.ID, "defects.edit", "project:P2"); !got.Allowed || got.Reason.Resource != "project:P2" {
			t.Fatalf("nia edits P2 by her own grant: %+v", got)
		}
		if got := w.check(u.ID, "defects.edit", "project:P1"); got.Allowed {
			t.Fatalf("read-only access to all projects let nia edit P1: %+v", got)
		}
		// One transaction, one audit event per change.
		for action, n := range map[string]int{"user.created": 1, "group.members_added": 1, "grant.created": 3} {
			if got := w.countAudit(w.slug, action); got != n {
				t.Errorf("%d %s events, want %d", got, action, n)
			}
		}
	})
}

func TestCreateUserRefusalsLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		red, blue := w.MustGroup("red"), w.MustGroup("blue")
		w.MustGrant(admin.SubjectGroup, red.ID, w.reader, "project:P1", "")
		w.MustGrant(admin.SubjectGroup, blue.ID, w.reader, "project:P1", "")
		editors := w.MustGroup("editors")
		w.MustGrant(admin.SubjectGroup, editors.ID, w.editor, "project:P1", "")

		// Another tenant's group, as its own id.
		w.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		foreign, err := w.svc.CreateGroup(w.staff, "globex", admin.NewGroup{Name: "red"})
		wantOK(t, "CreateGroup in globex", err)

		// A lead who may create users and give what they hold on P1: reading.
		hirer := w.MustRole("Hirer", "roster.users.read", "roster.users.write", "roster.groups.write", "roster.grants.write", "defects.read")
		lead := w.MustMember(w.slug, "lead", admin.TypeStandard)
		w.MustGrant(admin.SubjectUser, lead.ID, hirer, "tenant:acme", "")
		lead.ctx = w.MustActor(w.MustSession(w.slug, "lead"))
		// What the lead may do, they can: reading on P1, a group that reads.
		_, err = w.svc.CreateUser(lead.ctx, w.slug, admin.NewUser{Username: "fine", Email: "fine@example.com",
			Groups: []string{red.ID}, Grants: []admin.UserGrant{{Resource: "project:P1", Role: w.reader.ID}}})
		wantOK(t, "the lead creates a reader", err)

		tenantBefore := w.MustTenant(w.slug)
		events := len(w.audit(w.slug))
		for _, c := range []struct {
			name  string
			ctx   bool // as the lead
			in    admin.NewUser
			kind  admin.Kind
			code  string
			field string
		}{
			{"an unknown group", false, admin.NewUser{Groups: []string{"nope"}}, admin.KindInvalid, "unknown_group", "groups"},
			{"another tenant's group", false, admin.NewUser{Groups: []string{foreign.ID}}, admin.KindInvalid, "unknown_group", "groups"},
			{"an unknown default role", false, admin.NewUser{Roles: []string{"nope"}}, admin.KindInvalid, "unknown_role", "roles"},
			{"an unknown role in a grant", false, admin.NewUser{Grants: []admin.UserGrant{{Resource: "project:P1", Role: "nope"}}}, admin.KindInvalid, "unknown_role", "grants[0].role"},
			{"an unknown resource", false, admin.NewUser{Grants: []admin.UserGrant{{Resource: "collection:project", Role: w.reader.ID}, {Resource: "project:P9", Role: w.reader.ID}}}, admin.KindInvalid, "unknown_resource", "grants[1].resource"},
			{"another tenant's root", false, admin.NewUser{Grants: []admin.UserGrant{{Resource: "tenant:globex", Role: w.reader.ID}}}, admin.KindInvalid, "unknown_resource", "grants[0].resource"},
			{"a bad access", false, admin.NewUser{Grants: []admin.UserGrant{{Resource: "project:P1", Role: w.reader.ID, Access: "all"}}}, admin.KindInvalid, "invalid_access", "grants[0].access"},
			{"the same grant twice", false, admin.NewUser{Roles: []string{w.reader.ID}, Grants: []admin.UserGrant{{Resource: "tenant:acme", Role: w.reader.ID}}}, admin.KindConflict, "grant_exists", "grants[0].role"},
			{"two teams of one project", false, admin.NewUser{Groups: []string{red.ID, blue.ID}}, admin.KindConflict, "team_conflict", "groups"},
			{"a role the lead does not hold", true, admin.NewUser{Grants: []admin.UserGrant{{Resource: "project:P1", Role: w.editor.ID}}}, admin.KindForbidden, "escalation", "grants[0].role"},
			{"a default role the lead does not hold", true, admin.NewUser{Roles: []string{w.editor.ID}}, admin.KindForbidden, "escalation", "roles"},
			{"a group that gives more than the lead holds", true, admin.NewUser{Groups: []string{editors.ID}}, admin.KindForbidden, "escalation", "groups"},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := c.in
				in.Username, in.Email = "ghost", "ghost@example.com"
				ctx := w.staff
				if c.ctx {
					ctx = lead.ctx
				}
				_, err := w.svc.CreateUser(ctx, w.slug, in)
				wantFieldErr(t, err, c.kind, c.code, c.field)
				if got := w.usernames(w.slug, admin.UserFilter{Q: "ghost"}); len(got) != 0 {
					t.Fatalf("a refused creation left users %v", got)
				}
			})
		}
		w.wantNoNewAudit(w.slug, events)
		if got := w.MustTenant(w.slug).UserCount; got != tenantBefore.UserCount {
			t.Fatalf("seats in use %d after refusals, want %d", got, tenantBefore.UserCount)
		}
		for _, g := range []*admin.Group{red, blue, editors} {
			if got := w.members(g.ID); slices.Contains(got, "ghost") {
				t.Fatalf("ghost is a member of %s after a refusal", g.Name)
			}
		}

		// The seat limit refuses the user and, with it, their access.
		_, err = w.svc.UpdateTenant(w.staff, w.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{MaxUsers: ptr(tenantBefore.UserCount)}})
		wantOK(t, "seat limit", err)
		_, err = w.svc.CreateUser(w.staff, w.slug, admin.NewUser{Username: "ghost", Email: "ghost@example.com", Groups: []string{red.ID}})
		wantErr(t, err, admin.KindConflict, "seat_limit")
		if got := w.members(red.ID); slices.Contains(got, "ghost") {
			t.Fatal("a user refused for the seat limit joined red")
		}
	})
}

func TestChangeUserAccessIsAllOrNothing(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		devs, ops := w.MustGroup("devs"), w.MustGroup("ops")
		u, err := w.svc.CreateUser(w.staff, w.slug, admin.NewUser{Username: "ola", Email: "ola@example.com",
			Groups: []string{devs.ID}, Roles: []string{w.reader.ID}})
		wantOK(t, "CreateUser", err)
		own, err := w.svc.ListGrants(w.staff, w.slug, admin.GrantFilter{Subject: u.ID})
		wantOK(t, "ListGrants", err)
		readerGrant := own.Items[0].ID
		other := w.MustUser("pat", admin.TypeStandard)
		pats := w.MustGrant(admin.SubjectUser, other.ID, w.reader, "project:P1", "")

		events := len(w.audit(w.slug))
		for _, c := range []struct {
			name        string
			in          admin.UserAccessChange
			kind        admin.Kind
			code, field string
		}{
			{"another user's grant", admin.UserAccessChange{Revoke: []string{pats.ID}}, admin.KindInvalid, "unknown_grant", "revoke"},
			{"a revocation with an unknown role", admin.UserAccessChange{Revoke: []string{readerGrant}, AddGrants: []admin.UserGrant{{Resource: "project:P1", Role: "nope"}}}, admin.KindInvalid, "unknown_role", "grants[0].role"},
			{"leaving an unknown group", admin.UserAccessChange{LeaveGroups: []string{devs.ID, "nope"}}, admin.KindInvalid, "unknown_group", "leave_groups"},
		} {
			err := w.svc.ChangeUserAccess(w.staff, w.slug, u.ID, c.in)
			if err == nil {
				t.Fatalf("%s: accepted", c.name)
			}
			wantFieldErr(t, err, c.kind, c.code, c.field)
		}
		w.wantNoNewAudit(w.slug, events)
		if got := w.grantsOf(u.ID); len(got) != 1 {
			t.Fatalf("after refusals ola has grants %v", got)
		}

		err = w.svc.ChangeUserAccess(w.staff, w.slug, u.ID, admin.UserAccessChange{
			JoinGroups: []string{ops.ID}, LeaveGroups: []string{devs.ID}, Revoke: []string{readerGrant},
			AddGrants: []admin.UserGrant{{Resource: "collection:project", Role: w.editor.ID}},
		})
		wantOK(t, "ChangeUserAccess", err)
		if got := w.groupNamesOf(u.ID); !slices.Equal(got, []string{"ops"}) {
			t.Fatalf("groups of ola %v, want [ops]", got)
		}
		if got := w.grantsOf(u.ID); !slices.Equal(got, []string{w.editor.ID + "@collection:project/write"}) {
			t.Fatalf("grants of ola %v", got)
		}

		// UpdateUser with Access is one transaction with the user's own change.
		before := w.MustGetUser(w.slug, u.ID)
		n := len(w.audit(w.slug))
		_, err = w.svc.UpdateUser(w.staff, w.slug, u.ID, admin.UserPatch{FirstName: ptr("Olga"),
			Access: &admin.UserAccessChange{LeaveGroups: []string{ops.ID}, AddGrants: []admin.UserGrant{{Resource: "project:P9", Role: w.reader.ID}}}})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_resource", "grants[0].resource")
		wantUnchanged(t, before, w.MustGetUser(w.slug, u.ID))
		w.wantNoNewAudit(w.slug, n)
		_, err = w.svc.UpdateUser(w.staff, w.slug, u.ID, admin.UserPatch{FirstName: ptr("Olga"),
			Access: &admin.UserAccessChange{LeaveGroups: []string{ops.ID}}})
		wantOK(t, "UpdateUser with access", err)
		if got := w.groupNamesOf(u.ID); len(got) != 0 || w.MustGetUser(w.slug, u.ID).FirstName != "Olga" {
			t.Fatalf("after UpdateUser with access: groups %v", got)
		}

		// Nobody changes their own access, even an administrator.
		ada := w.MustMember(w.slug, "ada", admin.TypeAdmin)
		err = w.svc.ChangeUserAccess(ada.ctx, w.slug, ada.ID, admin.UserAccessChange{JoinGroups: []string{devs.ID}})
		wantErr(t, err, admin.KindForbidden, "self_edit_forbidden")
		// Another tenant's user is not found.
		w.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		err = w.svc.ChangeUserAccess(w.staff, "globex", u.ID, admin.UserAccessChange{JoinGroups: []string{devs.ID}})
		wantErr(t, err, admin.KindNotFound, "not_found")
	})
}
