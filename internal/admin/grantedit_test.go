package admin_test

import (
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestUpdateGrantChangesRoleAndAccessInPlace: a grant keeps its id,
// subject and resource; the change is audited, ends the user's sessions and
// is seen by the next check.
func TestUpdateGrantChangesRoleAndAccessInPlace(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann := w.MustMember(w.slug, "ann", admin.TypeStandard)
		g := w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "project:P1", "")
		token := w.MustSession(w.slug, "ann")

		got, err := w.svc.UpdateGrant(w.staff, w.slug, g.ID, admin.GrantPatch{Role: &w.editor.ID})
		wantOK(t, "UpdateGrant role", err)
		if got.ID != g.ID || got.RoleID != w.editor.ID || got.Access != admin.AccessWrite || got.Resource != "project:P1" {
			t.Fatalf("updated grant %+v", got)
		}
		if r := w.check(ann.ID, "defects.edit", "folder:F2"); !r.Allowed || r.Reason.GrantID != g.ID {
			t.Fatalf("after the change to Editor: %+v", r)
		}
		if _, _, err := w.svc.Authenticate(w.anon, token); err == nil {
			t.Fatal("ann's session survived a change of her grant")
		}
		ev := w.lastAudit(w.slug)
		if ev.Action != "grant.updated" {
			t.Fatalf("last audit event %q, want grant.updated", ev.Action)
		}

		ro := admin.AccessReadOnly
		_, err = w.svc.UpdateGrant(w.staff, w.slug, g.ID, admin.GrantPatch{Access: &ro})
		wantOK(t, "UpdateGrant access", err)
		if r := w.check(ann.ID, "defects.edit", "project:P1"); r.Allowed {
			t.Fatalf("read_only access still edits: %+v", r)
		}
		if r := w.check(ann.ID, "defects.read", "project:P1"); !r.Allowed {
			t.Fatalf("read_only access no longer reads: %+v", r)
		}

		// Nothing to change: nothing written.
		events := len(w.audit(w.slug))
		_, err = w.svc.UpdateGrant(w.staff, w.slug, g.ID, admin.GrantPatch{Access: &ro})
		wantOK(t, "UpdateGrant no-op", err)
		w.wantNoNewAudit(w.slug, events)

		// Bad input changes nothing.
		bad := admin.Access("everything")
		_, err = w.svc.UpdateGrant(w.staff, w.slug, g.ID, admin.GrantPatch{Access: &bad})
		wantFieldErr(t, err, admin.KindInvalid, "invalid_access", "access")
		_, err = w.svc.UpdateGrant(w.staff, w.slug, g.ID, admin.GrantPatch{Role: ptr("nope")})
		wantFieldErr(t, err, admin.KindInvalid, "unknown_role", "role")
		_, err = w.svc.UpdateGrant(w.staff, w.slug, "no-such-grant", admin.GrantPatch{Access: &ro})
		wantErr(t, err, admin.KindNotFound, "not_found")
		w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "project:P1", "")
		_, err = w.svc.UpdateGrant(w.staff, w.slug, g.ID, admin.GrantPatch{Role: &w.reader.ID})
		wantFieldErr(t, err, admin.KindConflict, "grant_exists", "role")
		w.wantNoNewAudit(w.slug, events+1)

		// Another tenant's grant is not found.
		w.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		_, err = w.svc.UpdateGrant(w.staff, "globex", g.ID, admin.GrantPatch{Role: &w.editor.ID})
		wantErr(t, err, admin.KindNotFound, "not_found")
	})
}

// TestUpdateGrantNoEscalationNoSelfEdit: changing a grant follows the rules
// of making one (R-R4).
func TestUpdateGrantNoEscalationNoSelfEdit(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		lead := w.MustMember(w.slug, "lead", admin.TypeStandard)
		other := w.MustUser("other", admin.TypeStandard)
		own := w.MustGrant(admin.SubjectUser, lead.ID, w.granter, "project:P1", "")
		lead.ctx = w.MustActor(w.MustSession(w.slug, "lead"))
		g, err := w.svc.CreateGrant(lead.ctx, w.slug, admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: other.ID, Role: w.reader.ID, Resource: "folder:F1"})
		wantOK(t, "lead grants reader", err)
		p2 := w.MustGrant(admin.SubjectUser, other.ID, w.reader, "project:P2", "")
		events := len(w.audit(w.slug))

		_, err = w.svc.UpdateGrant(lead.ctx, w.slug, g.ID, admin.GrantPatch{Role: &w.editor.ID})
		wantErr(t, err, admin.KindForbidden, "escalation")
		_, err = w.svc.UpdateGrant(lead.ctx, w.slug, own.ID, admin.GrantPatch{Access: ptr(admin.AccessReadOnly)})
		wantErr(t, err, admin.KindForbidden, "self_edit_forbidden")
		_, err = w.svc.UpdateGrant(lead.ctx, w.slug, p2.ID, admin.GrantPatch{Access: ptr(admin.AccessReadOnly)})
		wantErr(t, err, admin.KindForbidden, "forbidden")
		w.wantNoNewAudit(w.slug, events)

		// Editor with read_only access gives only reads, which the lead holds.
		_, err = w.svc.UpdateGrant(lead.ctx, w.slug, g.ID, admin.GrantPatch{Role: &w.editor.ID, Access: ptr(admin.AccessReadOnly)})
		wantOK(t, "lead makes it Editor read_only", err)
		// Back to write would give defects.edit, which the lead lacks.
		_, err = w.svc.UpdateGrant(lead.ctx, w.slug, g.ID, admin.GrantPatch{Access: ptr(admin.AccessWrite)})
		wantErr(t, err, admin.KindForbidden, "escalation")
	})
}

// TestGrantsOfSeveralProjectsAndInheritedGrants: the lists the project
// matrix and the folder tree read.
func TestGrantsOfSeveralProjectsAndInheritedGrants(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann := w.MustUser("ann", admin.TypeStandard)
		devs := w.MustGroup("devs")
		w.MustResource("project", "P3", "")
		root := w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "tenant:acme", "")
		all := w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "collection:project", "")
		g1 := w.MustGrant(admin.SubjectGroup, devs.ID, w.editor, "project:P1", "")
		g2 := w.MustGrant(admin.SubjectUser, ann.ID, w.editor, "project:P2", admin.AccessReadOnly)
		w.MustGrant(admin.SubjectUser, ann.ID, w.editor, "project:P3", "")
		f1 := w.MustGrant(admin.SubjectUser, ann.ID, w.editor, "folder:F1", "")
		w.MustGrant(admin.SubjectUser, ann.ID, w.reader, "folder:F2", "")

		page, err := w.svc.ListGrants(w.staff, w.slug, admin.GrantFilter{Resources: []string{"project:P1", "project:P2", "project:P1"}})
		wantOK(t, "ListGrants P1, P2", err)
		if ids := grantIDs(page.Items); len(ids) != 2 || !ids[g1.ID] || !ids[g2.ID] {
			t.Fatalf("grants on P1 and P2: %+v", page.Items)
		}
		page, err = w.svc.ListGrants(w.staff, w.slug, admin.GrantFilter{Resources: []string{"project:P1", "project:P2"}, Subject: ann.ID})
		wantOK(t, "ListGrants P1, P2 of ann", err)
		if len(page.Items) != 1 || page.Items[0].ID != g2.ID || page.Items[0].Resource != "project:P2" {
			t.Fatalf("ann's grants on P1 and P2: %+v", page.Items)
		}
		for _, c := range []struct {
			name string
			f    admin.GrantFilter
			code string
		}{
			{"mixed types", admin.GrantFilter{Resources: []string{"project:P1", "folder:F1"}}, "invalid_filter"},
			{"a collection", admin.GrantFilter{Resources: []string{"collection:project"}}, "invalid_filter"},
			{"both filters", admin.GrantFilter{Resource: "project:P1", Resources: []string{"project:P2"}}, "invalid_filter"},
			{"not a reference", admin.GrantFilter{Resources: []string{"P1"}}, "invalid_resource"},
			{"too many", admin.GrantFilter{Resources: make([]string, admin.MaxGrantResources+1)}, "too_many"},
		} {
			_, err := w.svc.ListGrants(w.staff, w.slug, c.f)
			wantErr(t, err, admin.KindInvalid, c.code)
		}

		inh, err := w.svc.InheritedGrants(w.staff, w.slug, "folder:F2")
		wantOK(t, "InheritedGrants F2", err)
		var where []string
		for _, g := range inh {
			where = append(where, g.Resource)
		}
		if want := []string{"folder:F1", "project:P1", "collection:project", "tenant:acme"}; len(where) != len(want) || where[0] != want[0] || where[1] != want[1] || where[2] != want[2] || where[3] != want[3] {
			t.Fatalf("F2 inherits from %v, want %v", where, want)
		}
		if inh[0].ID != f1.ID || inh[1].ID != g1.ID || inh[2].ID != all.ID || inh[3].ID != root.ID {
			t.Fatalf("inherited grants in the wrong order: %+v", inh)
		}
		if inh, err := w.svc.InheritedGrants(w.staff, w.slug, "tenant:acme"); err != nil || len(inh) != 0 {
			t.Fatalf("the root inherits %+v (%v)", inh, err)
		}
		_, err = w.svc.InheritedGrants(w.staff, w.slug, "folder:F9")
		wantErr(t, err, admin.KindNotFound, "not_found")
		w.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		_, err = w.svc.InheritedGrants(w.staff, "globex", "folder:F2")
		wantErr(t, err, admin.KindNotFound, "not_found")

		tree, err := w.svc.ResourceTree(w.staff, w.slug, "project", "P1")
		wantOK(t, "ResourceTree P1", err)
		if len(tree) != 3 {
			t.Fatalf("the tree of P1: %+v", tree)
		}
		_, err = w.svc.ResourceTree(w.staff, "globex", "project", "P1")
		wantErr(t, err, admin.KindNotFound, "not_found")

		// A reader of users may look; a user without that right may not.
		ann2 := w.MustMember(w.slug, "bea", admin.TypeStandard)
		_, err = w.svc.InheritedGrants(ann2.ctx, w.slug, "folder:F2")
		wantErr(t, err, admin.KindForbidden, "forbidden")
	})
}

// TestListResourcesFindsByKeyOrName: the matrix's project filter.
func TestListResourcesFindsByKeyOrName(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		if _, err := w.svc.CreateResource(w.staff, w.slug, admin.NewResource{Type: "project", Key: "APO", Name: "Apollo 100%"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			q    string
			want int
		}{{"apo", 1}, {"APOLLO", 1}, {"p", 3}, {"100%", 1}, {"0%", 1}, {"%", 1}, {"_", 0}, {"", 3}} {
			page, err := w.svc.ListResources(w.staff, w.slug, admin.ResourceFilter{Type: "project", Q: c.q})
			wantOK(t, "ListResources q="+c.q, err)
			if len(page.Items) != c.want {
				t.Errorf("q=%q finds %d projects, want %d", c.q, len(page.Items), c.want)
			}
		}
	})
}

func grantIDs(gs []*admin.Grant) map[string]bool {
	out := map[string]bool{}
	for _, g := range gs {
		out[g.ID] = true
	}
	return out
}

// TestProjectMisconfigurationsOfSeveralProjects agrees with the one-project
// call, for every key asked.
func TestProjectMisconfigurationsOfSeveralProjects(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann := w.MustUser("ann", admin.TypeStandard)
		bob := w.MustUser("bob", admin.TypeStandard)
		red := w.MustGroup("red")
		_, err := w.svc.AddMembers(w.staff, w.slug, red.ID, []string{ann.ID})
		wantOK(t, "AddMembers", err)
		w.MustGrant(admin.SubjectGroup, red.ID, w.reader, "project:P1", "")
		w.MustGrant(admin.SubjectUser, bob.ID, w.reader, "folder:F2", "")
		got, err := w.svc.ProjectMisconfigurations(w.staff, w.slug, []string{"P1", "P2", "P9", "P1"})
		wantOK(t, "ProjectMisconfigurations", err)
		one, _ := w.svc.Misconfigurations(w.staff, w.slug, "project", "P1")
		if len(got) != 3 || len(got["P1"]) != 1 || got["P1"][0].Username != "bob" || got["P1"][0].Problem != one[0].Problem || len(got["P2"]) != 0 || got["P9"] == nil {
			t.Fatalf("misconfigurations of P1, P2, P9: %+v", got)
		}
		_, err = w.svc.ProjectMisconfigurations(w.staff, w.slug, make([]string, admin.MaxGrantResources+1))
		wantErr(t, err, admin.KindInvalid, "too_many")
		_, err = w.svc.ProjectMisconfigurations(w.anon, w.slug, []string{"P1"})
		if err == nil {
			t.Fatal("an anonymous caller read misconfigurations")
		}
	})
}

// TestGroupGrantEndsMembersSessions: a grant to a group changes what each
// member holds, so creating or deleting it ends the members' sessions and
// leaves everyone else's alone.
func TestGroupGrantEndsMembersSessions(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		w := MustWorld(t, db)
		ann := w.MustMember(w.slug, "ann", admin.TypeStandard)
		w.MustMember(w.slug, "bob", admin.TypeStandard)
		team := w.MustGroup("Team")
		if _, err := w.svc.AddMembers(w.staff, w.slug, team.ID, []string{ann.ID}); err != nil {
			t.Fatal(err)
		}
		annToken, bobToken := w.MustSession(w.slug, "ann"), w.MustSession(w.slug, "bob")

		g := w.MustGrant(admin.SubjectGroup, team.ID, w.reader, "project:P1", "")
		if _, _, err := w.svc.Authenticate(w.anon, annToken); err == nil {
			t.Fatal("ann's session survived a grant to her group")
		}
		if _, _, err := w.svc.Authenticate(w.anon, bobToken); err != nil {
			t.Fatalf("bob, who is not in the group, was signed out: %v", err)
		}

		annToken = w.MustSession(w.slug, "ann")
		wantOK(t, "DeleteGrant", w.svc.DeleteGrant(w.staff, w.slug, g.ID))
		if _, _, err := w.svc.Authenticate(w.anon, annToken); err == nil {
			t.Fatal("ann's session survived the deletion of her group's grant")
		}
		if _, _, err := w.svc.Authenticate(w.anon, bobToken); err != nil {
			t.Fatalf("bob was signed out by another group's grant: %v", err)
		}
	})
}
