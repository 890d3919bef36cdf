package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"roster/internal/admin"
)

// TestConsoleFolderRules: the folder page's forms go through the service;
// refusals show beside their field and change nothing; another tenant's
// tree answers 404; a user without the right is refused.
func TestConsoleFolderRules(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "foldersh")
	e.mustTenant(t, "folderso")
	e.mustAdmin(t, "foldersh", "fay", "passphrase of the folder admin", "")
	e.mustAdmin(t, "folderso", "oli", "passphrase of the other admin", "")
	e.mustSignable(t, "foldersh", "sid", admin.TypeStandard, "passphrase of a standard user", "")
	gus := e.mustUser(t, "foldersh", "gus", admin.TypeStandard, "")
	devs := e.mustGroup(t, "foldersh", "Devs")
	e.mustResource(t, "foldersh", "project", "P1", "Apollo", "")
	e.mustResource(t, "foldersh", "project", "P2", "Gemini", "")
	e.mustResource(t, "foldersh", "folder", "F1", "Requirements", "project:P1")
	e.mustResource(t, "foldersh", "folder", "F2", "Specs", "folder:F1")
	team := e.mustGrant(t, "foldersh", admin.SubjectGroup, devs.ID, "auditor", "project:P1", "")

	b := e.client(t)
	b.signIn("foldersh", "fay", "passphrase of the folder admin")
	page := "/t/foldersh/folders"
	a := b.get(page + "?node=folder:F2")
	if a.status != http.StatusOK || !strings.Contains(a.body, `data-node="folder:F2"`) || !strings.Contains(a.body, `data-grant="`+team.ID+`" data-subject="Devs" class="inherited"`) {
		t.Fatalf("folder page: %d\n%.3000s", a.status, a.body)
	}
	csrf := b.csrf(page)

	// Grants: an unknown subject, a missing role; then one that lands.
	for _, c := range []struct {
		name, field string
		form        url.Values
	}{
		{"unknown user", "err-grant-subject", url.Values{"subject_type": {"user"}, "subject": {"nobody"}, "role": {"auditor"}}},
		{"no subject", "err-grant-subject", url.Values{"subject_type": {"user"}, "role": {"auditor"}}},
		{"unknown role", "err-grant-role", url.Values{"subject_type": {"group"}, "subject": {"devs"}, "role": {"nope"}}},
		{"bad access", "err-grant-access", url.Values{"subject_type": {"user"}, "subject": {"gus"}, "role": {"auditor"}, "access": {"all"}}},
	} {
		c.form.Set("csrf", csrf)
		c.form.Set("node", "folder:F2")
		if a := b.post(page+"/grants", c.form); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="`+c.field+`"`) {
			t.Errorf("%s: %d, want 422 with %s\n%.2000s", c.name, a.status, c.field, a.body)
		}
	}
	if gs := e.grantsOn(t, "foldersh", "folder:F2"); len(gs) != 0 {
		t.Fatalf("refused grants were made: %+v", gs)
	}
	a = b.post(page+"/grants", url.Values{"csrf": {csrf}, "node": {"folder:F2"}, "subject_type": {"user"}, "subject": {"GUS"}, "role": {"auditor"}, "access": {"read_only"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("grant on F2: %d\n%.2000s", a.status, a.body)
	}
	gs := e.grantsOn(t, "foldersh", "folder:F2")
	if len(gs) != 1 || gs[0].SubjectID != gus.ID || gs[0].Access != admin.AccessReadOnly {
		t.Fatalf("grants on F2: %+v", gs)
	}

	// Move offers the project's other nodes and the other projects, never the folder's own subtree.
	if a := b.get(page + "?node=folder:F1"); !strings.Contains(a.body, `<option value="project:P2">`) || strings.Contains(a.body, `<option value="folder:F2">`) {
		t.Fatalf("move targets of F1:\n%.4000s", a.body[strings.Index(a.body, `id="folder-move"`):])
	}

	// Folders: a bad key beside its field, a move into itself refused, a create, a move, a delete.
	if a := b.post(page, url.Values{"csrf": {csrf}, "node": {"folder:F1"}, "key": {"a/b"}}); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="err-folder-key"`) {
		t.Fatalf("bad folder key: %d", a.status)
	}
	if a := b.post(page+"/move", url.Values{"csrf": {csrf}, "node": {"folder:F1"}, "parent": {"folder:F2"}}); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="err-move-parent"`) {
		t.Fatalf("move into its own subtree: %d", a.status)
	}
	if a := b.post(page, url.Values{"csrf": {csrf}, "node": {"folder:F2"}, "key": {"F3"}, "name": {"Drafts"}}); a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=folder_created&node=folder%3AF3" {
		t.Fatalf("create F3: %d %q", a.status, a.header.Get("Location"))
	}
	if a := b.post(page+"/move", url.Values{"csrf": {csrf}, "node": {"folder:F3"}, "parent": {"project:P2"}}); a.status != http.StatusSeeOther {
		t.Fatalf("move F3 to P2: %d", a.status)
	}
	if r, err := e.svc.GetResource(e.staff(), "foldersh", "folder", "F3"); err != nil || r.ParentRef() != "project:P2" {
		t.Fatalf("F3 after the move: %+v %v", r, err)
	}
	if a := b.post(page+"/delete", url.Values{"csrf": {csrf}, "node": {"folder:F3"}}); a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "node=project%3AP2") {
		t.Fatalf("delete F3: %d %q", a.status, a.header.Get("Location"))
	}
	if a := b.post(page+"/delete", url.Values{"csrf": {csrf}, "node": {"project:P2"}}); a.status != http.StatusNotFound {
		t.Fatalf("the folder page deleted a project: %d", a.status)
	}
	if a := b.get(page + "?node=folder:F9"); a.status != http.StatusNotFound {
		t.Fatalf("an unknown folder: %d", a.status)
	}
	if a := b.get(page + "?node=user:x"); a.status != http.StatusNotFound {
		t.Fatalf("a node that is no folder: %d", a.status)
	}

	// Another tenant: 404 for its tree and its grants.
	o := e.client(t)
	o.signIn("folderso", "oli", "passphrase of the other admin")
	if a := o.get(page + "?node=folder:F2"); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's folder page: %d", a.status)
	}
	if a := o.post("/t/folderso/folders/grants/"+gs[0].ID+"/delete", url.Values{"csrf": {o.csrf("/t/folderso/folders")}, "node": {"folder:F2"}}); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's grant: %d", a.status)
	}
	if len(e.grantsOn(t, "foldersh", "folder:F2")) != 1 {
		t.Fatal("another tenant's admin removed a grant")
	}
	// A user without the right.
	s := e.client(t)
	s.signIn("foldersh", "sid", "passphrase of a standard user")
	if a := s.get(page); a.status != http.StatusForbidden {
		t.Fatalf("a standard user sees the folder page: %d", a.status)
	}
	if a := s.post(page+"/grants", url.Values{"csrf": {s.csrf("/account")}, "node": {"folder:F2"}, "subject_type": {"user"}, "subject": {"gus"}, "role": {"auditor"}}); a.status != http.StatusForbidden {
		t.Fatalf("a standard user grants: %d", a.status)
	}
	// The owner removes the folder's own grant.
	if a := b.post(page+"/grants/"+gs[0].ID+"/delete", url.Values{"csrf": {csrf}, "node": {"folder:F2"}}); a.status != http.StatusSeeOther || len(e.grantsOn(t, "foldersh", "folder:F2")) != 0 {
		t.Fatalf("remove the grant: %d", a.status)
	}
}

// TestBrowserFolderTree expands the tree with the keyboard, sees the
// grant a sub-folder inherits (with no way to remove it there), and adds a
// grant on the sub-folder.
func TestBrowserFolderTree(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "foldersb")
	ann := e.mustUser(t, "foldersb", "ann", admin.TypeStandard, "")
	devs := e.mustGroup(t, "foldersb", "Devs")
	e.mustResource(t, "foldersb", "project", "P1", "Apollo", "")
	e.mustResource(t, "foldersb", "folder", "F1", "Requirements", "project:P1")
	e.mustResource(t, "foldersb", "folder", "F2", "Specs", "folder:F1")
	e.mustResource(t, "foldersb", "folder", "F3", "Tests", "project:P1")
	e.mustGrant(t, "foldersb", admin.SubjectGroup, devs.ID, "auditor", "project:P1", "")

	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "open the tree",
		chromedp.Navigate(e.url+"/t/foldersb/folders"),
		chromedp.WaitVisible(chromedp.CSS(`#tree details[data-node="project:P1"] > summary`)),
	)
	if eval[bool](t, ctx, `!!document.querySelector('[data-node="folder:F2"]').checkVisibility()`) {
		t.Fatal("Specs shows before Requirements is expanded")
	}
	run(t, ctx, "expand Requirements with the keyboard",
		chromedp.Focus(chromedp.CSS(`details[data-node="folder:F1"] > summary`)),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.tree-leaf[data-node="folder:F2"] a`)),
	)
	run(t, ctx, "choose Specs",
		chromedp.Click(chromedp.CSS(`.tree-leaf[data-node="folder:F2"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#node[data-node="folder:F2"]`)),
	)
	if !eval[bool](t, ctx, `document.querySelector('details[data-node="folder:F1"]').open`) {
		t.Error("the path to the chosen folder is not expanded")
	}
	if got := textOf(t, ctx, `#inherited-grants tr[data-subject="Devs"] td.source`); got != "inherited from Apollo" {
		t.Errorf("the inherited grant's source = %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#inherited-grants button, #inherited-grants form').length`); n != 0 {
		t.Errorf("an inherited grant offers %d controls to remove it here", n)
	}
	run(t, ctx, "add a read-only grant for ann on Specs",
		chromedp.SetValue(chromedp.CSS("#grant-subject-type"), "user"),
		chromedp.SendKeys(chromedp.CSS("#grant-subject"), "ann"),
		chromedp.SetValue(chromedp.CSS("#grant-role"), "auditor"),
		chromedp.SetValue(chromedp.CSS("#grant-access"), "read_only"),
		chromedp.Click(chromedp.CSS("#grant-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#own-grants tr[data-subject="ann"]`)),
	)
	if got := textOf(t, ctx, ".flash"); got != "The role was granted." {
		t.Errorf("flash = %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#own-grants tr[data-subject="ann"] .remove-grant').length`); n != 1 {
		t.Errorf("the folder's own grant offers no removal")
	}
	gs := e.grantsOn(t, "foldersb", "folder:F2")
	if len(gs) != 1 || gs[0].SubjectID != ann.ID || gs[0].Access != admin.AccessReadOnly || gs[0].RoleID != "auditor" {
		t.Fatalf("grants on Specs: %+v", gs)
	}
	// The grant shows as inherited one level down, marked with its source.
	e.mustResource(t, "foldersb", "folder", "F4", "Drafts", "folder:F2")
	run(t, ctx, "open a folder under Specs",
		chromedp.Navigate(e.url+"/t/foldersb/folders?node=folder:F4"),
		chromedp.WaitVisible(chromedp.CSS(`#inherited-grants tr[data-subject="ann"]`)),
	)
	if got := textOf(t, ctx, `#inherited-grants tr[data-subject="ann"] td.source`); got != "inherited from Specs" {
		t.Errorf("ann's grant below Specs: %q", got)
	}
}
