package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"roster/internal/admin"
)

// mustGroup creates a group with members through the service.
func (e *env) mustGroup(tb testing.TB, slug, name string, members ...string) *admin.Group {
	tb.Helper()
	g, err := e.svc.CreateGroup(e.staff(), slug, admin.NewGroup{Name: name})
	if err != nil {
		tb.Fatalf("CreateGroup %s: %v", name, err)
	}
	if len(members) > 0 {
		if _, err := e.svc.AddMembers(e.staff(), slug, g.ID, members); err != nil {
			tb.Fatalf("AddMembers %s: %v", name, err)
		}
	}
	return g
}

// mustResource creates a resource through the service.
func (e *env) mustResource(tb testing.TB, slug, typ, key, name, parent string) {
	tb.Helper()
	if _, err := e.svc.CreateResource(e.staff(), slug, admin.NewResource{Type: typ, Key: key, Name: name, Parent: parent}); err != nil {
		tb.Fatalf("CreateResource %s:%s: %v", typ, key, err)
	}
}

// mustGrant grants through the service as staff.
func (e *env) mustGrant(tb testing.TB, slug string, st admin.SubjectType, id, role, resource string, acc admin.Access) *admin.Grant {
	tb.Helper()
	g, err := e.svc.CreateGrant(e.staff(), slug, admin.NewGrant{SubjectType: st, SubjectID: id, Role: role, Resource: resource, Access: acc})
	if err != nil {
		tb.Fatalf("CreateGrant %s %s on %s: %v", st, id, resource, err)
	}
	return g
}

// grantsOn lists the grants on a resource as staff.
func (e *env) grantsOn(tb testing.TB, slug, resource string) []*admin.Grant {
	tb.Helper()
	p, err := e.svc.ListGrants(e.staff(), slug, admin.GrantFilter{Resource: resource})
	if err != nil {
		tb.Fatalf("ListGrants %s: %v", resource, err)
	}
	return p.Items
}

// TestConsoleProjectMatrixRules: the matrix's forms go through the
// service's rules; refusals change nothing and show in place; another
// tenant's page and grants answer 404; a user without the right is refused.
func TestConsoleProjectMatrixRules(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "matrixh")
	e.mustTenant(t, "matrixo")
	e.mustAdmin(t, "matrixh", "mia", "passphrase of the matrix admin", "")
	e.mustAdmin(t, "matrixo", "oz", "passphrase of the other admin", "")
	std := e.mustSignable(t, "matrixh", "sam", admin.TypeStandard, "passphrase of a standard user", "")
	gus := e.mustUser(t, "matrixh", "gus", admin.TypeStandard, "")
	e.mustResource(t, "matrixh", "project", "P1", "Apollo", "")
	e.mustResource(t, "matrixh", "project", "P2", "Gemini", "")
	g := e.mustGrant(t, "matrixh", admin.SubjectUser, gus.ID, "auditor", "project:P1", "")

	b := e.client(t)
	b.signIn("matrixh", "mia", "passphrase of the matrix admin")
	page := "/t/matrixh/projects"
	a := b.get(page)
	if a.status != http.StatusOK || !strings.Contains(a.body, `data-subject="gus"`) || !strings.Contains(a.body, `data-project="P2"`) {
		t.Fatalf("matrix page: %d\n%.3000s", a.status, a.body)
	}
	csrf := b.csrf(page)

	// Change the role in place, toggle access, revoke.
	a = b.post(page+"/grants/"+g.ID, url.Values{"csrf": {csrf}, "back": {page + "?q=P"}, "role": {"tenant-administrator"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=grant_updated&q=P" {
		t.Fatalf("change role: %d %q\n%.2000s", a.status, a.header.Get("Location"), a.body)
	}
	a = b.post(page+"/grants/"+g.ID, url.Values{"csrf": {csrf}, "back": {page}, "access": {"read_only"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("toggle access: %d", a.status)
	}
	if gs := e.grantsOn(t, "matrixh", "project:P1"); len(gs) != 1 || gs[0].RoleID != "tenant-administrator" || gs[0].Access != admin.AccessReadOnly {
		t.Fatalf("after the changes: %+v", gs)
	}
	// Bad input changes nothing and shows in the cell.
	a = b.post(page+"/grants/"+g.ID, url.Values{"csrf": {csrf}, "back": {page}, "subject": {"user:" + gus.ID}, "project": {"P1"}, "access": {"all"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `class="cell granted failed"`) {
		t.Fatalf("bad access: %d\n%.3000s", a.status, a.body)
	}
	a = b.post(page+"/grants/"+g.ID, url.Values{"csrf": {csrf}, "back": {page}, "role": {"nope"}})
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown role: %d", a.status)
	}
	// A back address off the matrix is ignored.
	a = b.post(page+"/grants/"+g.ID, url.Values{"csrf": {csrf}, "back": {"https://evil.test/"}, "role": {""}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=grant_deleted" {
		t.Fatalf("revoke: %d %q", a.status, a.header.Get("Location"))
	}
	if gs := e.grantsOn(t, "matrixh", "project:P1"); len(gs) != 0 {
		t.Fatalf("the revoked grant is still there: %+v", gs)
	}

	// A cell of a new row: "None" changes nothing; a role grants.
	a = b.post(page+"/grants", url.Values{"csrf": {csrf}, "back": {page}, "subject": {"user:" + gus.ID}, "project": {"P2"}, "role": {""}})
	if a.status != http.StatusSeeOther || len(e.grantsOn(t, "matrixh", "project:P2")) != 0 {
		t.Fatalf("none on an empty cell: %d", a.status)
	}
	a = b.post(page+"/grants", url.Values{"csrf": {csrf}, "back": {page}, "subject": {"user:" + gus.ID}, "project": {"P2"}, "role": {"auditor"}})
	if a.status != http.StatusSeeOther || len(e.grantsOn(t, "matrixh", "project:P2")) != 1 {
		t.Fatalf("grant from an empty cell: %d\n%.2000s", a.status, a.body)
	}
	// An unknown project, subject or a team without a group.
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
	}{
		{"unknown project", url.Values{"subject": {"user:" + gus.ID}, "project": {"P9"}, "role": {"auditor"}}, http.StatusNotFound},
		{"unknown subject", url.Values{"subject": {"user:nobody"}, "project": {"P1"}, "role": {"auditor"}}, http.StatusUnprocessableEntity},
		{"bad subject type", url.Values{"subject": {"robot:x"}, "project": {"P1"}, "role": {"auditor"}}, http.StatusUnprocessableEntity},
		{"team without group", url.Values{"team": {"1"}, "project": {"P1"}, "role": {"auditor"}}, http.StatusUnprocessableEntity},
		{"team without role", url.Values{"team": {"1"}, "group": {"x"}, "project": {"P1"}}, http.StatusUnprocessableEntity},
	} {
		c.form.Set("csrf", csrf)
		if a := b.post(page+"/grants", c.form); a.status != c.status {
			t.Errorf("%s: %d, want %d", c.name, a.status, c.status)
		}
	}
	if gs := e.grantsOn(t, "matrixh", "project:P1"); len(gs) != 0 {
		t.Fatalf("refused grants were made: %+v", gs)
	}
	// No CSRF token, no change.
	if a := b.post(page+"/grants", url.Values{"subject": {"user:" + gus.ID}, "project": {"P1"}, "role": {"auditor"}}); a.status != http.StatusForbidden {
		t.Fatalf("without CSRF: %d", a.status)
	}

	// Create a project: a bad key shows beside its field; a good one lands.
	a = b.post(page, url.Values{"csrf": {csrf}, "back": {page}, "key": {"a/b"}, "name": {"Slashed"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="err-key"`) || !strings.Contains(a.body, `id="project-create" open`) {
		t.Fatalf("bad key: %d\n%.3000s", a.status, a.body)
	}
	a = b.post(page, url.Values{"csrf": {csrf}, "back": {page}, "key": {"P3"}, "name": {"Mercury"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("create project: %d\n%.2000s", a.status, a.body)
	}
	if a := b.get(page + "?q=merc"); !strings.Contains(a.body, `data-project="P3"`) || strings.Contains(a.body, `data-project="P1"`) {
		t.Fatalf("filter by name finds %.3000s", a.body)
	}

	// The row picker lists matching users and groups, and adds a row.
	e.mustGroup(t, "matrixh", "Gusto")
	if a := b.get(page + "?find=gus"); !strings.Contains(a.body, `class="add-row" data-subject="gus"`) || !strings.Contains(a.body, `data-subject="Gusto"`) {
		t.Fatalf("picker: %.3000s", a.body)
	}
	if a := b.get(page + "?add=user:" + std.ID); !strings.Contains(a.body, `data-subject="sam"`) {
		t.Fatalf("an added row is missing")
	}

	// Another tenant: its page and its grants answer 404.
	other := e.client(t)
	other.signIn("matrixo", "oz", "passphrase of the other admin")
	if a := other.get(page); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's matrix: %d", a.status)
	}
	g2 := e.grantsOn(t, "matrixh", "project:P2")[0]
	if a := other.post("/t/matrixo/projects/grants/"+g2.ID, url.Values{"csrf": {other.csrf("/t/matrixo/projects")}, "role": {""}}); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's grant: %d", a.status)
	}
	if len(e.grantsOn(t, "matrixh", "project:P2")) != 1 {
		t.Fatal("another tenant's admin revoked a grant")
	}
	// Added rows of another tenant's users do not show.
	if a := other.get("/t/matrixo/projects?add=user:" + gus.ID); strings.Contains(a.body, `data-subject="gus"`) {
		t.Fatal("another tenant's user shows as a row")
	}

	// A user without roster.users.read is refused.
	s := e.client(t)
	s.signIn("matrixh", "sam", "passphrase of a standard user")
	if a := s.get(page); a.status != http.StatusForbidden {
		t.Fatalf("a standard user sees the matrix: %d", a.status)
	}
}

// choose sets a select's value as a person would and lets the page react
// (a cell's role select submits itself).
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`void (() => { const s = document.querySelector(` + strconv.Quote(sel) + `); s.value = ` + strconv.Quote(value) + `; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
}

// TestBrowserProjectMatrix sets a role in a cell, toggles its access, adds
// a group as a team, sees a team_conflict refused in place and the
// misconfiguration badge of a user on no team.
func TestBrowserProjectMatrix(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "matrixb")
	ann := e.mustUser(t, "matrixb", "ann", admin.TypeStandard, "")
	ben := e.mustUser(t, "matrixb", "ben", admin.TypeStandard, "")
	red := e.mustGroup(t, "matrixb", "red", ann.ID)
	blue := e.mustGroup(t, "matrixb", "blue", ann.ID)
	e.mustResource(t, "matrixb", "project", "P1", "Apollo", "")
	e.mustResource(t, "matrixb", "project", "P2", "Gemini", "")
	e.mustGrant(t, "matrixb", admin.SubjectGroup, red.ID, "auditor", "project:P1", "")
	e.mustGrant(t, "matrixb", admin.SubjectUser, ben.ID, "auditor", "project:P1", "")

	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "open the matrix",
		chromedp.Navigate(e.url+"/t/matrixb/projects"),
		chromedp.WaitVisible(chromedp.CSS("#matrix")),
	)
	// The badge: ben has access to P1, which has a team, and is on none.
	if got := textOf(t, ctx, `th[data-project="P1"] details.problems summary`); got != "Team problems: 1" {
		t.Errorf("P1's badge = %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('th[data-project="P1"] details.problems summary').title`); got != "ben has access but is on no team." {
		t.Errorf("P1's badge on hover = %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('th[data-project="P2"] details.problems').length`); n != 0 {
		t.Errorf("P2 has no teams, yet a badge")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('tr[data-subject="ben"] td[data-project="P1"] .problem-mark').length`); n != 1 {
		t.Errorf("ben's P1 cell is not marked")
	}

	cell := `tr[data-subject="ben"] td[data-project="P2"]`
	run(t, ctx, "give ben Auditor on P2 from the cell",
		choose(cell+` select[name="role"]`, "auditor"),
		chromedp.WaitVisible(chromedp.CSS(cell+` .grant .access-toggle`)),
	)
	if got := textOf(t, ctx, ".flash"); got != "The role was granted." {
		t.Errorf("flash = %q", got)
	}
	gs := e.grantsOn(t, "matrixb", "project:P2")
	if len(gs) != 1 || gs[0].SubjectID != ben.ID || gs[0].RoleID != "auditor" || gs[0].Access != admin.AccessWrite {
		t.Fatalf("grants on P2 after setting the cell: %+v", gs)
	}
	run(t, ctx, "toggle the access to read-only",
		chromedp.Click(chromedp.CSS(cell+` .access-toggle[aria-pressed="false"]`)),
		chromedp.WaitVisible(chromedp.CSS(cell+` .access-toggle[aria-pressed="true"]`)),
	)
	if gs := e.grantsOn(t, "matrixb", "project:P2"); len(gs) != 1 || gs[0].Access != admin.AccessReadOnly {
		t.Fatalf("after the toggle: %+v", gs)
	}
	run(t, ctx, "change the role in place",
		choose(cell+` select[name="role"]`, "tenant-administrator"),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
		chromedp.WaitVisible(chromedp.CSS(cell+` .access-toggle`)),
	)
	if gs2 := e.grantsOn(t, "matrixb", "project:P2"); len(gs2) != 1 || gs2[0].ID != gs[0].ID || gs2[0].RoleID != "tenant-administrator" || gs2[0].Access != admin.AccessReadOnly {
		t.Fatalf("the grant was not changed in place: %+v", gs2)
	}

	run(t, ctx, "add red as a team of P2", append(addTeam("P2", red.ID, "auditor"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-subject="red"] td[data-project="P2"] .grant`)))...)
	if got := textOf(t, ctx, ".flash"); got != "The group was added as a team." {
		t.Errorf("flash = %q", got)
	}
	run(t, ctx, "add blue as a second team of ann on P2", append(addTeam("P2", blue.ID, "auditor"),
		chromedp.WaitVisible(chromedp.CSS(`th[data-project="P2"] .field-error`)))...)
	if got := textOf(t, ctx, `th[data-project="P2"] .field-error`); !strings.Contains(got, "ann would be on two teams of project P2") || !strings.Contains(got, "red") {
		t.Errorf("the team_conflict in place = %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('th[data-project="P2"] select[name="group"]').getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("the group select is not marked invalid: %q", got)
	}
	for _, g := range e.grantsOn(t, "matrixb", "project:P2") {
		if g.SubjectID == blue.ID {
			t.Fatal("the conflicting team was added")
		}
	}
}

// TestBrowserMatrixCellByKeyboard: arrowing through a cell's roles does
// not submit at each step; Enter applies the role reached.
func TestBrowserMatrixCellByKeyboard(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "matrixk")
	kim := e.mustUser(t, "matrixk", "kim", admin.TypeStandard, "")
	e.mustResource(t, "matrixk", "project", "P1", "Apollo", "")
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	sel := `tr[data-subject="kim"] td[data-project="P1"] select[name="role"]`
	run(t, ctx, "step through the roles of an empty cell",
		chromedp.Navigate(e.url+"/t/matrixk/projects?add=user:"+kim.ID),
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.ArrowDown),
	)
	if got := eval[string](t, ctx, `document.querySelector('`+sel+`').value`); got != "tenant-administrator" {
		t.Fatalf("after two steps the cell shows %q, want the second role", got)
	}
	if len(e.grantsOn(t, "matrixk", "project:P1")) != 0 {
		t.Fatal("a keyboard step granted a role")
	}
	run(t, ctx, "apply with Enter",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if gs := e.grantsOn(t, "matrixk", "project:P1"); len(gs) != 1 || gs[0].RoleID != "tenant-administrator" || gs[0].SubjectID != kim.ID {
		t.Fatalf("grants after Enter: %+v", gs)
	}
}

// TestConsoleMatrixPagesItsRows: past 60 users and groups the matrix
// shows its rows a page at a time; a row just added comes first.
func TestConsoleMatrixPagesItsRows(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "matrixr")
	e.mustResource(t, "matrixr", "project", "P1", "Apollo", "")
	for i := range 62 {
		u := e.mustUser(t, "matrixr", fmt.Sprintf("u%02d", i), admin.TypeStandard, "")
		e.mustGrant(t, "matrixr", admin.SubjectUser, u.ID, "auditor", "project:P1", "")
	}
	late := e.mustUser(t, "matrixr", "zed", admin.TypeStandard, "")
	b := e.client(t)
	b.signIn("", "admin", staffPassword)
	a := b.get("/t/matrixr/projects")
	if n := strings.Count(a.body, `<tr data-subject=`); n != 60 || !strings.Contains(a.body, "Users and groups 1–60 of 62") || !strings.Contains(a.body, `id="rows-next"`) {
		t.Fatalf("first page of rows: %d rows\n%.500s", n, a.body[strings.Index(a.body, "<main"):])
	}
	a = b.get("/t/matrixr/projects?from=60")
	if n := strings.Count(a.body, `<tr data-subject=`); n != 2 || !strings.Contains(a.body, `data-subject="u61"`) || !strings.Contains(a.body, `id="rows-prev"`) {
		t.Fatalf("second page of rows: %d rows", n)
	}
	a = b.get("/t/matrixr/projects?add=user:" + late.ID)
	if i, j := strings.Index(a.body, `data-subject="zed"`), strings.Index(a.body, `data-subject="u00"`); i < 0 || i > j {
		t.Fatalf("the added row is not first")
	}
}

// TestConsoleMatrixShowsRefusalsInTheCell: a tenant admin holds Roster's
// rights but not the host's, so a role with a host permission is refused
// (escalation) in the cell where it was tried; so is a change of one's own
// access; nothing changes.
func TestConsoleMatrixShowsRefusalsInTheCell(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "matrixe")
	mia := e.mustAdmin(t, "matrixe", "mia", "passphrase of the matrix admin", "")
	gus := e.mustUser(t, "matrixe", "gus", admin.TypeStandard, "")
	e.mustResource(t, "matrixe", "project", "P1", "Apollo", "")
	if _, err := e.svc.RegisterPermission(e.staff(), "matrixtest.edit", admin.KindWrite, ""); err != nil && admin.KindOf(err) != admin.KindConflict {
		t.Fatal(err)
	}
	editor, err := e.svc.CreateRole(e.staff(), "matrixe", admin.NewRole{Name: "Editor", Permissions: []string{"matrixtest.edit"}})
	if err != nil {
		t.Fatal(err)
	}
	own := e.mustGrant(t, "matrixe", admin.SubjectUser, mia.ID, "auditor", "project:P1", "")
	b := e.client(t)
	b.signIn("matrixe", "mia", "passphrase of the matrix admin")
	page := "/t/matrixe/projects"
	csrf := b.csrf(page)
	a := b.post(page+"/grants", url.Values{"csrf": {csrf}, "back": {page + "?add=user:" + gus.ID}, "subject": {"user:" + gus.ID}, "project": {"P1"}, "role": {editor.ID}})
	if a.status != http.StatusForbidden || !strings.Contains(a.body, `<td data-project="P1" class="cell failed">`) || !strings.Contains(a.body, `data-subject="gus"`) {
		t.Fatalf("escalation: %d\n%.3000s", a.status, a.body)
	}
	a = b.post(page+"/grants/"+own.ID, url.Values{"csrf": {csrf}, "back": {page}, "subject": {"user:" + mia.ID}, "project": {"P1"}, "access": {"read_only"}})
	if a.status != http.StatusForbidden || !strings.Contains(a.body, `class="cell granted failed"`) {
		t.Fatalf("own access: %d", a.status)
	}
	if gs := e.grantsOn(t, "matrixe", "project:P1"); len(gs) != 1 || gs[0].Access != admin.AccessWrite {
		t.Fatalf("a refused change changed grants: %+v", gs)
	}
}

// TestConsoleMatrixShowsReadOnlyColumnsToThoseWhoMayNotChangeThem: a lead
// who may change the grants of one project sees that column's cells as
// forms and the others' as text, with no form to post.
func TestConsoleMatrixShowsReadOnlyColumnsToThoseWhoMayNotChangeThem(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "leadview")
	e.mustResource(t, "leadview", "project", "P1", "Apollo", "")
	e.mustResource(t, "leadview", "project", "P2", "Gemini", "")
	reader, err := e.svc.CreateRole(e.staff(), "leadview", admin.NewRole{Name: "Reader", Permissions: []string{"roster.users.read"}})
	if err != nil {
		t.Fatal(err)
	}
	lead, err := e.svc.CreateRole(e.staff(), "leadview", admin.NewRole{Name: "Lead", Permissions: []string{"roster.users.read", "roster.grants.write"}})
	if err != nil {
		t.Fatal(err)
	}
	lia := e.mustSignable(t, "leadview", "lia", admin.TypeStandard, "passphrase of the project lead", "")
	e.mustGrant(t, "leadview", admin.SubjectUser, lia.ID, reader.ID, "tenant:leadview", "")
	e.mustGrant(t, "leadview", admin.SubjectUser, lia.ID, lead.ID, "project:P1", "")
	gus := e.mustUser(t, "leadview", "gus", admin.TypeStandard, "")
	e.mustGrant(t, "leadview", admin.SubjectUser, gus.ID, reader.ID, "project:P1", "")
	e.mustGrant(t, "leadview", admin.SubjectUser, gus.ID, reader.ID, "project:P2", "read_only")

	b := e.client(t)
	b.signIn("leadview", "lia", "passphrase of the project lead")
	a := b.get("/t/leadview/projects")
	if a.status != http.StatusOK {
		t.Fatalf("matrix page: %d\n%.3000s", a.status, a.body)
	}
	cell := func(project string) string {
		t.Helper()
		start := strings.Index(a.body, `<tr data-subject="gus"`)
		if start < 0 {
			t.Fatalf("no row for gus\n%.4000s", a.body)
		}
		row := a.body[start:]
		row = row[:strings.Index(row, "</tr>")]
		i := strings.Index(row, `<td data-project="`+project+`"`)
		if i < 0 {
			t.Fatalf("no cell for %s in gus's row", project)
		}
		c := row[i:]
		return c[:strings.Index(c, "</td>")]
	}
	if c := cell("P1"); !strings.Contains(c, "<form") || !strings.Contains(c, "<select") {
		t.Errorf("the lead's own project is not editable:\n%s", c)
	}
	if c := cell("P2"); strings.Contains(c, "<form") || !strings.Contains(c, `class="role-name"`) || !strings.Contains(c, "Reader") || !strings.Contains(c, "Read-only") {
		t.Errorf("another project's cell is not shown read-only with its role and access:\n%s", c)
	}
	if strings.Count(a.body, `class="team-add"`) != 1 || !strings.Contains(a.body, `class="read-only-column"`) {
		t.Error("the add-group-as-team form is offered on a project the lead may not change")
	}
	// The service still refuses a change posted by hand.
	gs := e.grantsOn(t, "leadview", "project:P2")
	page := "/t/leadview/projects"
	if r := b.post(page+"/grants/"+gs[0].ID, url.Values{"csrf": {b.csrf(page)}, "back": {page}, "role": {""}}); r.status != http.StatusForbidden {
		t.Errorf("a revoke posted by hand on a read-only column: %d", r.status)
	}
	if len(e.grantsOn(t, "leadview", "project:P2")) != 1 {
		t.Error("the grant on the read-only column was revoked")
	}
}

// addTeam opens the "add group as team" form of a project's column and
// submits group with role.
func addTeam(project, group, role string) []chromedp.Action[chromedp.Void] {
	th := `th[data-project="` + project + `"] `
	return []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(th + `details.team-add summary`)),
		chromedp.WaitVisible(chromedp.CSS(th + `select[name="group"]`)),
		chromedp.SetValue(chromedp.CSS(th+`select[name="group"]`), group),
		chromedp.SetValue(chromedp.CSS(th+`select[name="role"]`), role),
		chromedp.Click(chromedp.CSS(th + `.team-submit`)),
	}
}
