package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/admin"
)

// TestConsoleRolesPage creates and edits a role through the forms, and
// deleting it while granted shows role_in_use beside the replacement.
func TestConsoleRolesPage(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "rolesh")
	e.mustAdmin(t, "rolesh", "rhea", "passphrase of the role admin", "")
	u := e.mustUser(t, "rolesh", "gus", admin.TypeStandard, "passphrase of the grantee")
	b := e.client(t)
	b.signIn("rolesh", "rhea", "passphrase of the role admin")
	page := "/t/rolesh/roles"
	if a := b.get(page); a.status != http.StatusOK || !strings.Contains(a.body, `data-role-id="auditor"`) {
		t.Fatalf("roles page: %d", a.status)
	}
	a := b.post(page, url.Values{"csrf": {b.csrf(page)}, "name": {"Reader"}, "permissions": {"roster.users.read", "roster.audit.read"}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=role_created") {
		t.Fatalf("create: %d %q\n%.1500s", a.status, a.header.Get("Location"), a.body)
	}
	if a := b.post(page, url.Values{"csrf": {b.csrf(page)}, "name": {"reader"}}); a.status != http.StatusConflict || !strings.Contains(a.body, `id="err-name"`) {
		t.Fatalf("a taken name: %d", a.status)
	}
	roles, _ := e.svc.ListRoles(e.staff(), "rolesh")
	var id string
	for _, r := range roles {
		if r.Name == "Reader" {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatal("the role is not in the service")
	}
	if _, err := e.svc.CreateGrant(e.staff(), "rolesh", admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: u.ID, Role: id, Resource: "tenant:rolesh"}); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	a = b.post(page+"/"+id+"/delete", url.Values{"csrf": {b.csrf(page)}})
	if a.status != http.StatusConflict || !strings.Contains(a.body, `id="err-replacement"`) {
		t.Fatalf("deleting a granted role: %d\n%.1500s", a.status, a.body)
	}
	if a := b.post(page+"/auditor", url.Values{"csrf": {b.csrf(page)}, "name": {"Mine"}}); a.status != http.StatusConflict {
		t.Fatalf("editing a locked role: %d", a.status)
	}
	a = b.post(page+"/"+id+"/delete", url.Values{"csrf": {b.csrf(page)}, "replacement": {"auditor"}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=role_deleted") {
		t.Fatalf("delete with a replacement: %d %q", a.status, a.header.Get("Location"))
	}
}

// TestBrowserRolesCreateAndLockedReadOnly creates a role through the form
// and finds it listed with its rights on hover; a locked role offers only
// Copy.
func TestBrowserRolesCreateAndLockedReadOnly(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "rolesb")
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "create a role",
		chromedp.Navigate(e.url+"/t/rolesb/roles"),
		chromedp.WaitVisible(chromedp.CSS("#roles")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Support"),
		chromedp.Click(chromedp.CSS(`input[value="roster.users.read"]`)),
		chromedp.Click(chromedp.CSS("#role-submit")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-role="Support"]`)),
	)
	if got := textOf(t, ctx, ".flash"); got != "The role was created." {
		t.Errorf("flash = %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('tr[data-role="Support"] td').title`); got != "roster.users.read" {
		t.Errorf("the rights on hover = %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('tr[data-role-id="tenant-administrator"] a.edit').length`); n != 0 {
		t.Errorf("a locked role offers Edit")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('tr[data-role="Support"] a.edit').length`); n != 1 {
		t.Errorf("a custom role offers no Edit")
	}
}
