package console_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"roster/internal/admin"
)

// rowMenu right-clicks a user's row and chooses action from its menu,
// accepting the confirmation it may ask, and waits for the outcome.
func rowMenu(t *testing.T, ctx context.Context, user, action string) {
	t.Helper()
	row := `#users tr[data-user="` + user + `"]`
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(row+` td:nth-child(3)`)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("the row of %s: %v", user, err)
	}
	run(t, ctx, "right-click "+user+" and choose "+action,
		// Accept the confirmation, and take away the last outcome so that
		// the wait below sees the page that answers this action.
		chromedp.Evaluate[chromedp.Void](`void (window.confirm = () => true, document.querySelectorAll(".flash").forEach(f => f.remove()))`),
		chromedp.MouseClickNode(nodes[0], chromedp.ButtonType("right")),
		chromedp.WaitVisible(chromedp.CSS(row+` [data-action="`+action+`"]`)),
		chromedp.Click(chromedp.CSS(row+` [data-action="`+action+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
}

// statusOf reads a user's status through the service.
func (e *env) statusOf(t *testing.T, slug, id string) admin.Status {
	t.Helper()
	u, err := e.svc.GetUser(e.staff(), slug, id)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	return u.Status
}

func TestBrowserRowMenuRemovesRestoresDeletesAndUnlocks(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "life")
	pia := e.mustUser(t, "life", "pia", admin.TypeStandard, "pia's first passphrase")
	sam, err := e.svc.CreateUser(e.staff(), "life", admin.NewUser{Username: "sam", Email: "sam@life.test", Auth: admin.AuthSSO})
	if err != nil {
		t.Fatal(err)
	}
	lou := e.mustUser(t, "life", "lou", admin.TypeStandard, "lou's first passphrase")
	e.mustLock(t, "life", lou)
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "open the users", chromedp.Navigate(e.url+"/t/life/users"), chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="pia"]`)))

	rowMenu(t, ctx, "pia", "delete")
	if got := textOf(t, ctx, ".flash"); got != "The user was deleted." {
		t.Errorf("flash after delete = %q", got)
	}
	if _, err := e.svc.GetUser(e.staff(), "life", pia.ID); admin.KindOf(err) != admin.KindNotFound {
		t.Errorf("a deleted pending user is still there: %v", err)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#users tr[data-user="sam"] [data-action="delete"]').length`); n != 0 {
		t.Errorf("a single sign-on user is offered Delete")
	}

	rowMenu(t, ctx, "sam", "remove")
	if got := e.statusOf(t, "life", sam.ID); got != admin.StatusRemoved {
		t.Fatalf("sam is %s after Remove", got)
	}
	run(t, ctx, "list removed users", chromedp.Navigate(e.url+"/t/life/users?status=removed"), chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="sam"]`)))
	rowMenu(t, ctx, "sam", "restore")
	if got := textOf(t, ctx, ".flash"); got != "The user was restored." {
		t.Errorf("flash after restore = %q", got)
	}
	if got := e.statusOf(t, "life", sam.ID); got == admin.StatusRemoved {
		t.Fatalf("sam is still removed after Restore")
	}

	run(t, ctx, "back to the list", chromedp.Navigate(e.url+"/t/life/users"), chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="lou"] .badge.locked`)))
	rowMenu(t, ctx, "lou", "unlock")
	if u, _ := e.svc.GetUser(e.staff(), "life", lou.ID); u.Locked {
		t.Fatal("lou is still locked after Unlock")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#users tr[data-user="lou"] .badge.locked').length`); n != 0 {
		t.Errorf("lou still shows locked")
	}
}

func TestBrowserBulkDeactivatesSelectedUsers(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "bulk")
	ids := map[string]string{}
	for _, name := range []string{"ada", "bea", "cal"} {
		ids[name] = e.mustUser(t, "bulk", name, admin.TypeStandard, "").ID
	}
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "tick ada and cal and deactivate them",
		chromedp.Navigate(e.url+"/t/bulk/users"),
		chromedp.Click(chromedp.CSS(`#users tr[data-user="ada"] input[name=user_id]`)),
		chromedp.Click(chromedp.CSS(`#users tr[data-user="cal"] input[name=user_id]`)),
		chromedp.WaitVisible(chromedp.CSS(`#selected-count`)),
	)
	if got := textOf(t, ctx, "#selected-count"); got != "2 selected" {
		t.Errorf("selection count = %q", got)
	}
	run(t, ctx, "press Deactivate selected",
		chromedp.Click(chromedp.CSS("#bulk-deactivate")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	untilRows(t, ctx, "the list after the bulk deactivation", "bea")
	if got := strings.Join(rows(t, ctx), ","); got != "bea" {
		t.Errorf("after the bulk deactivation the list shows %q, want bea", got)
	}
	for name, want := range map[string]admin.Status{"ada": admin.StatusDeactivated, "bea": admin.StatusPending, "cal": admin.StatusDeactivated} {
		if got := e.statusOf(t, "bulk", ids[name]); got != want {
			t.Errorf("%s is %s, want %s", name, got, want)
		}
	}
}

// tabTo presses Tab until the focused element matches the script's test
// (an expression over el), at most limit times.
func tabTo(t *testing.T, ctx context.Context, test string, limit int) {
	t.Helper()
	for range limit {
		if eval[bool](t, ctx, `(el => !!el && (`+test+`))(document.activeElement)`) {
			return
		}
		run(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("%d presses of Tab never reached %s (at %s)", limit, test,
		eval[string](t, ctx, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
}

// TestBrowserKeyboardOnlyEdit finds a user, opens their row menu, edits
// and saves with the keyboard alone.
func TestBrowserKeyboardOnlyEdit(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "keys")
	for _, name := range []string{"gina", "grete", "hal"} {
		e.mustUser(t, "keys", name, admin.TypeStandard, "")
	}
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "open the users", chromedp.Navigate(e.url+"/t/keys/users"), chromedp.WaitVisible(chromedp.CSS("#users")))
	tabTo(t, ctx, `el.id === "user-q"`, 40)
	run(t, ctx, "type and press Enter",
		chromedp.KeyEvent("grete"), chromedp.KeyEvent(kb.Enter),
	)
	untilRows(t, ctx, "the list after the find", "grete")
	if got := strings.Join(rows(t, ctx), ","); got != "grete" {
		t.Fatalf("the find lists %q", got)
	}
	tabTo(t, ctx, `el.tagName === "SUMMARY" && el.closest("tr").dataset.user === "grete"`, 40)
	run(t, ctx, "open the menu with Enter", chromedp.KeyEvent(kb.Enter))
	if got := eval[string](t, ctx, `document.activeElement.dataset.action || ""`); got != "edit" {
		t.Fatalf("the open menu's focus is on %q, want its first item, Edit", got)
	}
	run(t, ctx, "the arrow keys move through the menu and back", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowUp))
	run(t, ctx, "choose Edit", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#user-dialog")))
	tabTo(t, ctx, `el.id === "u-last_name"`, 10)
	run(t, ctx, "replace the last name and press Enter",
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent("Grey"),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if got := textOf(t, ctx, ".flash"); got != "The user was saved." {
		t.Errorf("flash = %q", got)
	}
	p, err := e.svc.SearchUsers(e.staff(), "keys", admin.UserFilter{Q: "grete"})
	if err != nil || len(p.Items) != 1 || p.Items[0].LastName != "Grey" {
		t.Fatalf("grete's last name was not saved: %v %+v", err, p.Items[0])
	}
	if got := eval[string](t, ctx, `document.getElementById("user-q").value`); got != "grete" {
		t.Errorf("the list came back without its find: %q", got)
	}
}

// TestBrowserDialogGivesGroupRoleAndAccessAllProjects creates a user with
// a group, a default role and access to all projects, sees them in the
// edit dialog and in the user's effective permissions.
func TestBrowserDialogGivesGroupRoleAndAccessAllProjects(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "grant")
	devs, err := e.svc.CreateGroup(e.staff(), "grant", admin.NewGroup{Name: "devs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateResource(e.staff(), "grant", admin.NewResource{Type: "project", Key: "P1", Name: "Apollo"}); err != nil {
		t.Fatal(err)
	}
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "fill the create dialog with access",
		chromedp.Navigate(e.url+"/t/grant/users"),
		chromedp.Click(chromedp.CSS("#user-create")),
		chromedp.WaitVisible(chromedp.CSS("#user-dialog")),
		chromedp.SendKeys(chromedp.CSS("#u-username"), "vera"),
		chromedp.SendKeys(chromedp.CSS("#u-email"), "vera@grant.test"),
		chromedp.Click(chromedp.CSS("#role-auditor")),
		chromedp.Click(chromedp.CSS("#group-"+devs.ID)),
		chromedp.Click(chromedp.CSS("#all_project")),
		chromedp.SetValue(chromedp.CSS("#all_project_role"), "auditor"),
		chromedp.SetValue(chromedp.CSS("#all_project_access"), "read_only"),
		chromedp.Click(chromedp.CSS("#user-dialog-save")),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="vera"]`)),
	)
	if got := textOf(t, ctx, ".flash"); got != "The user was created." {
		t.Fatalf("flash = %q", got)
	}
	run(t, ctx, "open her edit dialog",
		chromedp.Click(chromedp.CSS(`#users tr[data-user="vera"] td:nth-child(2) a`)),
		chromedp.WaitVisible(chromedp.CSS("#user-dialog #all_project")),
	)
	got := eval[[]bool](t, ctx, `["role-auditor", "group-`+devs.ID+`", "all_project"].map(id => document.getElementById(id).checked)`)
	if !slices.Equal(got, []bool{true, true, true}) {
		t.Fatalf("the edit dialog shows role, group, all projects ticked = %v", got)
	}
	if v := eval[string](t, ctx, `document.getElementById("all_project_access").value + "/" + document.getElementById("all_project_role").value`); v != "read_only/auditor" {
		t.Fatalf("access to all projects shows %q", v)
	}
	if title := eval[string](t, ctx, `document.querySelector('label[for="role-auditor"]').title`); !strings.Contains(title, "roster.audit.read") {
		t.Errorf("the role's rights on hover = %q", title)
	}
	run(t, ctx, "see her effective permissions on the project",
		chromedp.Click(chromedp.CSS("#user-dialog-permissions")),
		chromedp.WaitVisible(chromedp.CSS("#permissions")),
		chromedp.SetValue(chromedp.CSS("#perm-resource"), "project:P1"),
		chromedp.Click(chromedp.CSS("#permissions-show")),
		chromedp.WaitVisible(chromedp.CSS(`#permissions tr[data-permission="roster.users.read"]`)),
	)
	why := textOf(t, ctx, `#permissions tr[data-permission="roster.audit.read"] .why`)
	if !strings.Contains(why, "collection:project") && !strings.Contains(why, "tenant:grant") {
		t.Errorf("the reason for roster.audit.read = %q", why)
	}
}
