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
	save := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		steps = append([]chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1360, 820)}, steps...)
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
	save("audit", chromedp.Navigate(e.url+"/t/acme/audit"), chromedp.WaitVisible(chromedp.CSS("#audit")))
	save("account", chromedp.Navigate(e.url+"/account"), chromedp.WaitVisible(chromedp.CSS("#sessions")))

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
}
