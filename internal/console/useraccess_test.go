package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster/internal/admin"
)

// access is a user's groups and own grants as "role@resource/access", read
// through the service.
func (e *env) access(t *testing.T, slug, id string) (groups, grants []string) {
	t.Helper()
	gs, err := e.svc.GroupsOfUser(e.staff(), slug, id)
	if err != nil {
		t.Fatalf("GroupsOfUser: %v", err)
	}
	for _, g := range gs {
		groups = append(groups, g.Name)
	}
	p, err := e.svc.ListGrants(e.staff(), slug, admin.GrantFilter{Subject: id})
	if err != nil {
		t.Fatalf("ListGrants: %v", err)
	}
	for _, g := range p.Items {
		grants = append(grants, g.RoleID+"@"+g.Resource+"/"+string(g.Access))
	}
	slices.Sort(grants)
	return groups, grants
}

// TestConsoleUserDialogGivesRolesGroupsAndAccess creates a user with a
// default role, a group, access to all projects and to one project; a
// refusal shows beside its field and creates nothing; the edit dialog
// shows the access, changes it through the service and refuses the
// actor's own.
func TestConsoleUserDialogGivesRolesGroupsAndAccess(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "acc")
	ines := e.mustAdmin(t, "acc", "ines", "passphrase of the access admin", "")
	if _, err := e.svc.CreateResource(e.staff(), "acc", admin.NewResource{Type: "project", Key: "P1", Name: "Apollo"}); err != nil {
		t.Fatal(err)
	}
	devs, err := e.svc.CreateGroup(e.staff(), "acc", admin.NewGroup{Name: "devs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RegisterPermission(e.staff(), "defects.edit", admin.KindWrite, ""); err != nil {
		t.Fatal(err)
	}
	editor, err := e.svc.CreateRole(e.staff(), "acc", admin.NewRole{Name: "Editor", Permissions: []string{"defects.edit"}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.client(t)
	b.signIn("acc", "ines", "passphrase of the access admin")
	page := "/t/acc/users"
	if a := b.get(page + "?new=1"); a.status != http.StatusOK || !strings.Contains(a.body, `id="role-auditor"`) ||
		!strings.Contains(a.body, `id="group-`+devs.ID+`"`) || !strings.Contains(a.body, `id="all_project"`) || !strings.Contains(a.body, `title="roster.audit.read`) {
		t.Fatalf("the create dialog lacks roles (with rights on hover), groups or access: %d\n%.3000s", a.status, a.body)
	}
	form := func(extra url.Values) url.Values {
		v := url.Values{"csrf": {b.csrf(page)}, "username": {"nora"}, "email": {"nora@acc.test"}, "type": {"standard"}, "auth": {"password"}}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}

	for _, c := range []struct {
		name   string
		extra  url.Values
		status int
		beside string
	}{
		{"an unknown project", url.Values{"project_key": {"P9"}, "project_role": {"auditor"}, "project_access": {"write"}}, 422, `id="err-project_1"`},
		{"access to all projects without a role", url.Values{"all_project": {"on"}, "all_project_role": {""}}, 422, `id="err-all_project"`},
		{"a role the admin does not hold", url.Values{"role": {editor.ID}}, 403, `id="err-roles"`},
		{"another tenant's group", url.Values{"group": {"not-a-group-here"}}, 422, `id="err-groups"`},
	} {
		a := b.post(page, form(c.extra))
		if a.status != c.status || !strings.Contains(a.body, c.beside) {
			t.Fatalf("%s: %d, want %d with %s\n%.4000s", c.name, a.status, c.status, c.beside, a.body)
		}
		if p, _ := e.svc.SearchUsers(e.staff(), "acc", admin.UserFilter{Q: "nora"}); len(p.Items) != 0 {
			t.Fatalf("%s: a refused creation left nora behind", c.name)
		}
	}

	a := b.post(page, form(url.Values{"role": {"auditor"}, "group": {devs.ID},
		"all_project": {"on"}, "all_project_role": {"auditor"}, "all_project_access": {"read_only"},
		"project_key": {"P1", ""}, "project_role": {"tenant-administrator", ""}, "project_access": {"write", "write"}}))
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=user_created") {
		t.Fatalf("create with access: %d %q\n%.3000s", a.status, a.header.Get("Location"), a.body)
	}
	p, _ := e.svc.SearchUsers(e.staff(), "acc", admin.UserFilter{Q: "nora"})
	nora := p.Items[0]
	groups, grants := e.access(t, "acc", nora.ID)
	want := []string{"auditor@collection:project/read_only", "auditor@tenant:acc/write", "tenant-administrator@project:P1/write"}
	if !slices.Equal(groups, []string{"devs"}) || !slices.Equal(grants, want) {
		t.Fatalf("nora's access: groups %v grants %v, want [devs] %v", groups, grants, want)
	}

	// The edit dialog shows it all, and saving a change applies only the change.
	a = b.get(page + "?edit=" + nora.ID)
	for _, s := range []string{`id="role-auditor" name="role" value="auditor" checked`, `id="group-` + devs.ID + `" name="group" value="` + devs.ID + `" checked`,
		`id="all_project" name="all_project" value="on" checked`, `id="project_key_1" name="project_key" list="dialog-projects" value="P1"`} {
		if !strings.Contains(a.body, s) {
			t.Fatalf("the edit dialog lacks %s\n%.6000s", s, a.body)
		}
	}
	edit := url.Values{"csrf": {b.csrf(page)}, "email": {"nora@acc.test"}, "access_shown": {"1"}, "group": {devs.ID},
		"all_project": {"on"}, "all_project_role": {"auditor"}, "all_project_access": {"write"},
		"project_key": {""}, "project_role": {""}, "project_access": {"write"}}
	a = b.post(page+"/"+nora.ID, edit)
	if a.status != http.StatusSeeOther {
		t.Fatalf("save the edit: %d\n%.3000s", a.status, a.body)
	}
	groups, grants = e.access(t, "acc", nora.ID)
	if !slices.Equal(groups, []string{"devs"}) || !slices.Equal(grants, []string{"auditor@collection:project/write"}) {
		t.Fatalf("after the edit nora has groups %v grants %v", groups, grants)
	}
	// A refused access change changes none of it and shows beside its field.
	// The whole dialog is one transaction: the new first name is not
	// saved either.
	edit.Set("role", editor.ID)
	edit.Del("group")
	edit.Set("first_name", "Renamed")
	a = b.post(page+"/"+nora.ID, edit)
	if a.status != http.StatusForbidden || !strings.Contains(a.body, `id="err-roles"`) {
		t.Fatalf("an escalating edit: %d\n%.3000s", a.status, a.body)
	}
	if g2, gr2 := e.access(t, "acc", nora.ID); !slices.Equal(g2, groups) || !slices.Equal(gr2, grants) {
		t.Fatalf("a refused edit changed nora's access: %v %v", g2, gr2)
	}
	if u, _ := e.svc.GetUser(e.staff(), "acc", nora.ID); u.FirstName == "Renamed" {
		t.Fatal("a refused edit saved the first name")
	}
	if !strings.Contains(a.body, `value="Renamed"`) {
		t.Fatal("the refused dialog lost the typed first name")
	}

	// Her own access is shown disabled with the reason; forcing it is refused.
	a = b.get(page + "?edit=" + ines.ID)
	if !strings.Contains(a.body, `id="why-access"`) || !strings.Contains(a.body, `id="access-roles" disabled`) || strings.Contains(a.body, `name="access_shown"`) {
		t.Fatalf("the own-access sections are not disabled with the reason\n%.5000s", a.body)
	}
	a = b.post(page+"/"+ines.ID, url.Values{"csrf": {b.csrf(page)}, "access_shown": {"1"}, "group": {devs.ID}})
	if a.status != http.StatusForbidden {
		t.Fatalf("forcing one's own access: %d", a.status)
	}
	if g, _ := e.access(t, "acc", ines.ID); len(g) != 0 {
		t.Fatalf("ines joined %v herself", g)
	}

	// Effective permissions with the why.
	a = b.get(page + "/" + nora.ID + "/permissions?resource=project:P1")
	if a.status != http.StatusOK || !strings.Contains(a.body, `data-permission="roster.users.read"`) || !strings.Contains(a.body, "collection:project") {
		t.Fatalf("effective permissions: %d\n%.4000s", a.status, a.body)
	}
	if a := b.get(page + "/" + nora.ID + "/permissions?resource=project:P9"); a.status != 422 || !strings.Contains(a.body, `id="err-perm-resource"`) {
		t.Fatalf("an unknown resource: %d", a.status)
	}
	e.mustTenant(t, "acc2")
	other := e.mustUser(t, "acc2", "olga", admin.TypeStandard, "")
	if a := b.get("/t/acc/users/" + other.ID + "/permissions"); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's user: %d", a.status)
	}
}

// TestConsoleUsersPagerGoesBack pages forward twice and back again by the
// "previous page" link, which the keyset list keeps in the URL.
func TestConsoleUsersPagerGoesBack(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "pages")
	for i := range 120 {
		e.mustUser(t, "pages", fmt.Sprintf("u%03d", i), admin.TypeStandard, "")
	}
	b := e.client(t)
	b.signIn("", "admin", staffPassword)
	link := func(body, id string) string {
		i := strings.Index(body, `id="`+id+`"`)
		if i < 0 {
			return ""
		}
		start := strings.LastIndex(body[:i], `href="`) + len(`href="`)
		end := strings.Index(body[start:], `"`)
		return strings.ReplaceAll(body[start:start+end], "&amp;", "&")
	}
	first := func(body string) string {
		i := strings.Index(body, `data-user="`) + len(`data-user="`)
		return body[i : i+4]
	}
	p1 := b.get("/t/pages/users")
	if first(p1.body) != "u000" || link(p1.body, "page-prev") != "" {
		t.Fatalf("page 1 starts at %s", first(p1.body))
	}
	p2 := b.get(link(p1.body, "page-next"))
	p3 := b.get(link(p2.body, "page-next"))
	if first(p2.body) != "u050" || first(p3.body) != "u100" || link(p3.body, "page-next") != "" {
		t.Fatalf("pages start at %s, %s", first(p2.body), first(p3.body))
	}
	back2 := b.get(link(p3.body, "page-prev"))
	if first(back2.body) != "u050" {
		t.Fatalf("previous of page 3 starts at %s, want u050", first(back2.body))
	}
	back1 := b.get(link(back2.body, "page-prev"))
	if first(back1.body) != "u000" || link(back1.body, "page-prev") != "" {
		t.Fatalf("previous of page 2 starts at %s, want u000 with no previous", first(back1.body))
	}
	// An action from page 3 comes back to page 3 with its way back.
	if l := link(p3.body, "page-first"); l == "" {
		t.Fatal("page 3 has no first-page link")
	}
}

// TestConsoleDialogUnlocksWithTheRestOfTheEdit clears the dialog's
// "locked" box: the lock is lifted in the same transaction as the other
// fields, so a refused save leaves the user locked, and a good one
// unlocks and saves at once.
func TestConsoleDialogUnlocksWithTheRestOfTheEdit(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "lock")
	e.mustAdmin(t, "lock", "ines", "passphrase of the lock admin", "")
	lou := e.mustUser(t, "lock", "lou", admin.TypeStandard, "lou's first passphrase")
	e.mustLock(t, "lock", lou)
	b := e.client(t)
	b.signIn("lock", "ines", "passphrase of the lock admin")
	page := "/t/lock/users"
	if a := b.get(page + "?edit=" + lou.ID); !strings.Contains(a.body, `name="locked_shown"`) {
		t.Fatalf("the dialog of a locked user has no locked box\n%.4000s", a.body)
	}
	form := url.Values{"csrf": {b.csrf(page)}, "locked_shown": {"1"}, "email": {"not an address"}, "first_name": {"Louis"}}
	if a := b.post(page+"/"+lou.ID, form); a.status != http.StatusUnprocessableEntity {
		t.Fatalf("a save with a bad address: %d", a.status)
	}
	if u, _ := e.svc.GetUser(e.staff(), "lock", lou.ID); !u.Locked || u.FirstName == "Louis" {
		t.Fatalf("a refused save changed lou: locked %v, first name %q", u.Locked, u.FirstName)
	}
	form.Set("email", "lou@lock.test")
	if a := b.post(page+"/"+lou.ID, form); a.status != http.StatusSeeOther {
		t.Fatalf("the save: %d\n%.3000s", a.status, a.body)
	}
	if u, _ := e.svc.GetUser(e.staff(), "lock", lou.ID); u.Locked || u.FirstName != "Louis" {
		t.Fatalf("after the save lou is locked %v, first name %q", u.Locked, u.FirstName)
	}
}
