package console_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/admin"
)

// TestScreenshots renders the console's main pages into the directory
// named by ROSTER_SCREENSHOTS (make screenshots: docs/screenshots/). It
// skips otherwise: the pictures are documentation, not a check.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("ROSTER_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ROSTER_SCREENSHOTS to a directory (make screenshots)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := mustEnv(t)
	seedDemo(t, e)
	ctx := e.tab(t)
	height := int64(820)
	save := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		steps = append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1360, height)}, steps...)
		run(t, ctx, name, steps...)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	save("sign-in", chromedp.Navigate(e.url+"/sign-in"), chromedp.WaitVisible(chromedp.CSS("#signin-submit")))
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	save("tenants", chromedp.Navigate(e.url+"/tenants"), chromedp.WaitVisible(chromedp.CSS("#tenants")))
	g, _ := e.svc.ListGroups(e.staff(), "acme", admin.GroupFilter{Q: "design"})
	users := e.url + "/t/acme/users?group=" + g.Items[0].ID
	save("users-and-groups", chromedp.Navigate(users), chromedp.WaitVisible(chromedp.CSS("#group-detail")))
	save("user-menu", chromedp.Navigate(users), chromedp.WaitVisible(chromedp.CSS("#users")),
		chromedp.Click(chromedp.CSS(`#users tr[data-user="carol"] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="carol"] [role=menuitem]`)))
	save("user-dialog", chromedp.Navigate(users), chromedp.WaitVisible(chromedp.CSS("#users")),
		chromedp.Click(chromedp.CSS("#user-create")), chromedp.WaitVisible(chromedp.CSS("#u-username")),
		chromedp.SendKeys(chromedp.CSS("#u-username"), "zoe"), chromedp.SendKeys(chromedp.CSS("#u-email"), "zoe@"),
		chromedp.Click(chromedp.CSS("#user-dialog-save")), chromedp.WaitVisible(chromedp.CSS("#err-u-email")))
	carol := ""
	if p, _ := e.svc.SearchUsers(e.staff(), "acme", admin.UserFilter{Q: "carol"}); len(p.Items) == 1 {
		carol = p.Items[0].ID
	}
	height = 1500 // the whole dialog, access sections included
	save("user-dialog-access", chromedp.Navigate(users+"&edit="+carol), chromedp.WaitVisible(chromedp.CSS("#access-projects")))
	height = 820
	save("user-permissions", chromedp.Navigate(e.url+"/t/acme/users/"+carol+"/permissions?resource=folder:F1"), chromedp.WaitVisible(chromedp.CSS("#permissions")))
	save("roles", chromedp.Navigate(e.url+"/t/acme/roles"), chromedp.WaitVisible(chromedp.CSS("#roles")))
	save("audit", chromedp.Navigate(e.url+"/t/acme/audit"), chromedp.WaitVisible(chromedp.CSS("#audit")))
	save("account", chromedp.Navigate(e.url+"/account"), chromedp.WaitVisible(chromedp.CSS("#sessions")))
	seedProjects(t, e)
	save("project-permissions", chromedp.Navigate(e.url+"/t/acme/projects"), chromedp.WaitVisible(chromedp.CSS("#matrix")),
		chromedp.Click(chromedp.CSS(`th[data-project="APO"] details.problems summary`)))
	save("folder-permissions", chromedp.Navigate(e.url+"/t/acme/folders?node=folder:SPEC"), chromedp.WaitVisible(chromedp.CSS("#inherited-grants")))

	ctx = e.tab(t)
	e.signInBrowser(t, ctx, "acme", "hiro", "a long passphrase of his")
	save("users-ja", chromedp.Navigate(users), chromedp.WaitVisible(chromedp.CSS("#group-detail")))
}

// seedDemo fills the tenant "acme" with people, statuses and groups.
func seedDemo(t *testing.T, e *env) {
	t.Helper()
	if _, err := e.svc.CreateTenant(e.staff(), admin.NewTenant{Slug: "acme", Name: "Acme Corporation"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"globex", "initech", "umbrella"} {
		e.mustTenant(t, s)
	}
	e.mustAdmin(t, "acme", "hiro", "a long passphrase of his", "ja")
	people := []struct{ user, first, last string }{
		{"alice", "Alice", "Adams"}, {"bob", "Bob", "Baker"}, {"carol", "Carol", "Chen"}, {"dave", "Dave", "Dubois"},
		{"erin", "Erin", "Evans"}, {"frank", "Frank", "Fischer"}, {"grace", "Grace", "Garcia"}, {"heidi", "Heidi", "Hoffmann"},
		{"ivan", "Ivan", "Ivanov"}, {"judy", "Judy", "Jones"},
	}
	ids := map[string]string{}
	for i, p := range people {
		typ := admin.TypeStandard
		if i == 0 {
			typ = admin.TypeAdmin
		}
		if i == 9 {
			typ = admin.TypeReadOnly
		}
		u, err := e.svc.CreateUser(e.staff(), "acme", admin.NewUser{Username: p.user, Email: p.user + "@acme.example", FirstName: p.first, LastName: p.last, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		ids[p.user] = u.ID
	}
	e.svc.DeactivateUser(e.staff(), "acme", ids["frank"])
	design, err := e.svc.CreateGroup(e.staff(), "acme", admin.NewGroup{Name: "Design"})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.CreateGroup(e.staff(), "acme", admin.NewGroup{Name: "Engineering"})
	e.svc.CreateGroup(e.staff(), "acme", admin.NewGroup{Name: "Support"})
	if _, err := e.svc.AddMembers(e.staff(), "acme", design.ID, []string{ids["carol"], ids["erin"], ids["grace"]}); err != nil {
		t.Fatal(err)
	}
	// Access: projects and a folder, a role of the host's, Carol's roles
	// and Design's team grant.
	for _, p := range []struct {
		name string
		kind admin.PermKind
	}{{"defects.read", admin.KindRead}, {"defects.edit", admin.KindWrite}, {"tests.run", admin.KindWrite}} {
		if _, err := e.svc.RegisterPermission(e.staff(), p.name, p.kind, ""); err != nil {
			t.Fatal(err)
		}
	}
	tester, err := e.svc.CreateRole(e.staff(), "acme", admin.NewRole{Name: "Tester", Description: "Runs tests, reads and files defects", Permissions: []string{"defects.read", "defects.edit", "tests.run"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []admin.NewResource{{Type: "project", Key: "APOLLO", Name: "Apollo"}, {Type: "project", Key: "GEMINI", Name: "Gemini"}, {Type: "folder", Key: "F1", Name: "Release 1", Parent: "project:APOLLO"}} {
		if _, err := e.svc.CreateResource(e.staff(), "acme", r); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []admin.NewGrant{
		{SubjectType: admin.SubjectUser, SubjectID: ids["carol"], Role: "auditor", Resource: "tenant:acme"},
		{SubjectType: admin.SubjectUser, SubjectID: ids["carol"], Role: tester.ID, Resource: "collection:project", Access: admin.AccessReadOnly},
		{SubjectType: admin.SubjectUser, SubjectID: ids["carol"], Role: tester.ID, Resource: "project:GEMINI"},
		{SubjectType: admin.SubjectGroup, SubjectID: design.ID, Role: tester.ID, Resource: "project:APOLLO"},
	} {
		if _, err := e.svc.CreateGrant(e.staff(), "acme", g); err != nil {
			t.Fatal(err)
		}
	}
}

// seedProjects gives "acme" projects, folders, teams and grants, with a
// user on two teams and one on none.
func seedProjects(t *testing.T, e *env) {
	t.Helper()
	for _, r := range [][3]string{{"project", "APO", "Apollo"}, {"project", "GEM", "Gemini"}, {"project", "MER", "Mercury"}} {
		e.mustResource(t, "acme", r[0], r[1], r[2], "")
	}
	e.mustResource(t, "acme", "folder", "REQ", "Requirements", "project:APO")
	e.mustResource(t, "acme", "folder", "SPEC", "Specifications", "folder:REQ")
	e.mustResource(t, "acme", "folder", "TST", "Tests", "project:APO")
	reviewer, err := e.svc.CreateRole(e.staff(), "acme", admin.NewRole{Name: "Reviewer", Permissions: []string{"roster.users.read", "roster.audit.read"}})
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := e.svc.ListGroups(e.staff(), "acme", admin.GroupFilter{})
	byName := map[string]string{}
	for _, g := range groups.Items {
		byName[g.Name] = g.ID
	}
	users, _ := e.svc.SearchUsers(e.staff(), "acme", admin.UserFilter{Limit: 50})
	ids := map[string]string{}
	for _, u := range users.Items {
		ids[u.Username] = u.ID
	}
	e.mustGrant(t, "acme", admin.SubjectGroup, byName["Design"], reviewer.ID, "project:APO", "")
	e.mustGrant(t, "acme", admin.SubjectGroup, byName["Engineering"], "tenant-administrator", "project:GEM", "")
	e.mustGrant(t, "acme", admin.SubjectUser, ids["bob"], reviewer.ID, "project:APO", admin.AccessReadOnly)
	e.mustGrant(t, "acme", admin.SubjectUser, ids["dave"], "auditor", "project:MER", "")
	e.mustGrant(t, "acme", admin.SubjectUser, ids["heidi"], "tenant-administrator", "folder:REQ", "")
	e.mustGrant(t, "acme", admin.SubjectGroup, byName["Support"], "auditor", "collection:project", "")
}
