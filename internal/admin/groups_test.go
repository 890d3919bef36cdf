package admin_test

import (
	"slices"
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// MustGroup creates a group in the fixture's tenant as staff.
func (f *fixture) MustGroup(name string) *admin.Group {
	f.tb.Helper()
	g, err := f.svc.CreateGroup(f.staff, f.slug, admin.NewGroup{Name: name})
	if err != nil {
		f.tb.Fatalf("CreateGroup(%q): %v", name, err)
	}
	return g
}

// members lists every member of a group by username, as staff.
func (f *fixture) members(groupID string) []string {
	f.tb.Helper()
	var out []string
	cursor := ""
	for {
		p, err := f.svc.ListMembers(f.staff, f.slug, groupID, cursor, 2)
		if err != nil {
			f.tb.Fatalf("ListMembers: %v", err)
		}
		for _, u := range p.Items {
			out = append(out, u.Username)
		}
		if p.NextCursor == "" {
			return out
		}
		cursor = p.NextCursor
	}
}

func TestGroupsCreateRenameKeepsIDAndDelete(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		ada := f.MustMember(f.slug, "ada", admin.TypeAdmin)

		g, err := f.svc.CreateGroup(ada.ctx, f.slug, admin.NewGroup{Name: "  Testers ", Description: "QA"})
		wantOK(t, "CreateGroup", err)
		if g.Name != "Testers" || g.ID == "" {
			t.Fatalf("created %+v, want name Testers with an id", g)
		}
		_, err = f.svc.CreateGroup(ada.ctx, f.slug, admin.NewGroup{Name: "TESTERS"})
		wantFieldErr(t, err, admin.KindConflict, "group_name_taken", "name")
		_, err = f.svc.CreateGroup(ada.ctx, f.slug, admin.NewGroup{Name: " "})
		wantFieldErr(t, err, admin.KindInvalid, "required", "name")

		renamed, err := f.svc.RenameGroup(ada.ctx, f.slug, g.ID, "Quality")
		wantOK(t, "RenameGroup", err)
		if renamed.ID != g.ID || renamed.Name != "Quality" {
			t.Fatalf("renamed to %+v, want id %s named Quality", renamed, g.ID)
		}
		ev := f.lastAudit(f.slug)
		if ev.Action != "group.updated" || ev.TargetID != g.ID || ev.TargetName != "Quality" {
			t.Fatalf("last audit event %+v, want group.updated of %s", ev, g.ID)
		}
		f.MustGroup("Developers")
		f.MustGroup("Designers")
		var names []string
		cursor := ""
		for {
			p, err := f.svc.ListGroups(ada.ctx, f.slug, admin.GroupFilter{Cursor: cursor, Limit: 2})
			wantOK(t, "ListGroups", err)
			for _, g := range p.Items {
				names = append(names, g.Name)
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if want := []string{"Designers", "Developers", "Quality"}; !slices.Equal(names, want) {
			t.Fatalf("groups %v, want %v", names, want)
		}
		p, err := f.svc.ListGroups(ada.ctx, f.slug, admin.GroupFilter{Q: "DE"})
		wantOK(t, "ListGroups q", err)
		if len(p.Items) != 2 {
			t.Fatalf("q=DE found %d groups, want 2", len(p.Items))
		}

		wantOK(t, "DeleteGroup", f.svc.DeleteGroup(ada.ctx, f.slug, g.ID))
		_, err = f.svc.GetGroup(ada.ctx, f.slug, g.ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		if ev := f.lastAudit(f.slug); ev.Action != "group.deleted" || ev.TargetName != "Quality" {
			t.Fatalf("last audit event %+v, want group.deleted of Quality", ev)
		}
	})
}

func TestGroupMembersInBulk(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		ada := f.MustMember(f.slug, "ada", admin.TypeAdmin)
		bob := f.MustMember(f.slug, "bob", admin.TypeStandard)
		cy, dee := f.MustUser("cy", admin.TypeStandard), f.MustUser("dee", admin.TypeReadOnly)
		g := f.MustGroup("Team")

		added, err := f.svc.AddMembers(ada.ctx, f.slug, g.ID, []string{bob.ID, cy.ID, bob.ID})
		wantOK(t, "AddMembers", err)
		if !slices.Equal(added, []string{bob.ID, cy.ID}) {
			t.Fatalf("added %v, want bob and cy once", added)
		}
		added, err = f.svc.AddMembers(ada.ctx, f.slug, g.ID, []string{cy.ID, dee.ID})
		wantOK(t, "AddMembers again", err)
		if !slices.Equal(added, []string{dee.ID}) {
			t.Fatalf("added %v, want only dee (cy is a member already)", added)
		}
		if got := f.members(g.ID); !slices.Equal(got, []string{"bob", "cy", "dee"}) {
			t.Fatalf("members %v, want bob cy dee", got)
		}
		if got, _ := f.svc.GetGroup(ada.ctx, f.slug, g.ID); got.MemberCount != 3 {
			t.Fatalf("member count %d, want 3", got.MemberCount)
		}
		// A change of memberships ends the member's sessions.
		if _, _, err := f.svc.Authenticate(f.anon, bob.token); err == nil {
			t.Fatal("bob's session survived his joining a group")
		}
		groups, err := f.svc.GroupsOfUser(ada.ctx, f.slug, cy.ID)
		wantOK(t, "GroupsOfUser", err)
		if len(groups) != 1 || groups[0].ID != g.ID {
			t.Fatalf("cy's groups %+v, want Team", groups)
		}

		removed, err := f.svc.RemoveMembers(ada.ctx, f.slug, g.ID, []string{cy.ID, ada.ID + "x"})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_user", "user_ids")
		if removed != nil || !slices.Equal(f.members(g.ID), []string{"bob", "cy", "dee"}) {
			t.Fatal("a refused bulk removal changed the members")
		}
		removed, err = f.svc.RemoveMembers(ada.ctx, f.slug, g.ID, []string{cy.ID, dee.ID, ada.ID + "x"}[:2])
		wantOK(t, "RemoveMembers", err)
		if !slices.Equal(removed, []string{cy.ID, dee.ID}) || !slices.Equal(f.members(g.ID), []string{"bob"}) {
			t.Fatalf("removed %v, members now %v", removed, f.members(g.ID))
		}
		if ev := f.lastAudit(f.slug); ev.Action != "group.members_removed" || ev.TargetID != g.ID {
			t.Fatalf("last audit %+v, want group.members_removed", ev)
		}

		// Nobody changes their own access, and a standard user changes nobody's.
		_, err = f.svc.AddMembers(ada.ctx, f.slug, g.ID, []string{ada.ID})
		wantErr(t, err, admin.KindForbidden, "self_edit_forbidden")
		carol := f.MustMember(f.slug, "carol", admin.TypeStandard)
		_, err = f.svc.AddMembers(carol.ctx, f.slug, g.ID, []string{cy.ID})
		wantErr(t, err, admin.KindForbidden, "forbidden")
		_, err = f.svc.AddMembers(ada.ctx, f.slug, g.ID, nil)
		wantFieldErr(t, err, admin.KindInvalid, "required", "user_ids")
	})
}

func TestGroupsOfAnotherTenantAreNotFound(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		theirs, err := f.svc.CreateGroup(f.staff, "globex", admin.NewGroup{Name: "Theirs"})
		wantOK(t, "CreateGroup globex", err)
		victim := f.MustCreateUser(f.staff, "globex", admin.NewUser{Username: "victim"})
		ada := f.MustMember(f.slug, "ada", admin.TypeAdmin)
		mine := f.MustGroup("Mine")

		_, err = f.svc.GetGroup(ada.ctx, "globex", theirs.ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		_, err = f.svc.GetGroup(ada.ctx, f.slug, theirs.ID)
		wantErr(t, err, admin.KindNotFound, "not_found")
		wantErr(t, f.svc.DeleteGroup(ada.ctx, f.slug, theirs.ID), admin.KindNotFound, "not_found")
		_, err = f.svc.AddMembers(ada.ctx, "globex", theirs.ID, []string{victim.ID})
		wantErr(t, err, admin.KindNotFound, "not_found")
		// Another tenant's user cannot join one's own group either.
		_, err = f.svc.AddMembers(ada.ctx, f.slug, mine.ID, []string{victim.ID})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_user", "user_ids")
	})
}
