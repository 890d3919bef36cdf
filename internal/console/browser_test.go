package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/admin"
)

// The browser tests drive the real console in headless Chromium, one
// browser for the package and a fresh browser context (cookies) per test.

// run performs actions and fails the test with what it was doing.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("%s: %v\npage:\n%.3000s", what, err, html)
	}
}

// textOf is the visible text of the first element sel matches.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// eval runs a script in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// until evaluates the predicate js, once the page has loaded, until it holds, across page loads
// (a form that posts replaces the page, and for a moment there is no list at all), for up to
// fifteen seconds.
func until(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !!(`+js+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %s never held (last error %v)\npage:\n%.3000s", what, js, err, html)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// untilRows waits until the users table lists exactly want (usernames joined by commas).
func untilRows(t *testing.T, ctx context.Context, what, want string) {
	t.Helper()
	until(t, ctx, what, `Array.from(document.querySelectorAll("#users tbody tr[data-user]")).map(r => r.dataset.user).join(",") === `+strconv.Quote(want))
}

// rows are the usernames the users table lists.
func rows(t *testing.T, ctx context.Context) []string {
	return eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#users tbody tr[data-user]")).map(r => r.dataset.user)`)
}

func (e *env) signInBrowser(t *testing.T, ctx context.Context, tenant, login, pw string) {
	t.Helper()
	run(t, ctx, "sign in as "+login,
		chromedp.Navigate(e.url+"/sign-in"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#tenant"), tenant),
		chromedp.SendKeys(chromedp.CSS("#username"), login),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#signin-submit")),
	)
}

// mustAdmin creates an active-ready tenant admin who can sign in with pw
// at once (no forced change).
func (e *env) mustAdmin(t *testing.T, slug, username, pw, locale string) *admin.User {
	t.Helper()
	return e.mustSignable(t, slug, username, admin.TypeAdmin, pw, locale)
}

// mustSignable creates a user of type typ who can sign in with pw at once
// (no forced change), in locale when one is given.
func (e *env) mustSignable(t *testing.T, slug, username string, typ admin.UserType, pw, locale string) *admin.User {
	t.Helper()
	u := e.mustUser(t, slug, username, typ, pw)
	no := false
	p := admin.UserPatch{MustChangePassword: &no}
	if locale != "" {
		p.Locale = &locale
	}
	if _, err := e.svc.UpdateUser(e.staff(), slug, u.ID, p); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	return u
}

func TestBrowserStaffSignsInAndCreatesTenant(t *testing.T) {
	e := mustEnv(t)
	ctx := e.tab(t)
	run(t, ctx, "open the console",
		chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#signin-submit")),
	)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "create a tenant",
		chromedp.WaitVisible(chromedp.CSS("#tenants")),
		chromedp.Click(chromedp.CSS("#tenant-create-toggle")),
		chromedp.SendKeys(chromedp.CSS("#slug"), "globex"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Globex Corporation"),
		chromedp.Click(chromedp.CSS("#tenant-create-submit")),
		chromedp.WaitVisible(chromedp.CSS("#users")),
	)
	if got := textOf(t, ctx, ".flash"); got != "The tenant was created." {
		t.Errorf("flash = %q, want the tenant created", got)
	}
	if got := textOf(t, ctx, ".tenant-name"); got != "Globex Corporation" {
		t.Errorf("tenant in the navigation = %q, want Globex Corporation", got)
	}
	if _, err := e.svc.GetTenant(e.staff(), "globex"); err != nil {
		t.Errorf("the tenant is not in the service: %v", err)
	}
}

func TestBrowserCreateUserThroughDialogWithFieldErrorInPlace(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "dialog")
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "open the create dialog",
		chromedp.Navigate(e.url+"/t/dialog/users"),
		chromedp.Click(chromedp.CSS("#user-create")),
		chromedp.WaitVisible(chromedp.CSS("#user-dialog")),
		chromedp.SendKeys(chromedp.CSS("#u-username"), "dora"),
		chromedp.SendKeys(chromedp.CSS("#u-email"), "dora@"),
		chromedp.SendKeys(chromedp.CSS("#u-first_name"), "Dora"),
		chromedp.SendKeys(chromedp.CSS("#u-last_name"), "Diaz"),
		chromedp.Click(chromedp.CSS("#user-dialog-save")),
		chromedp.WaitVisible(chromedp.CSS("#err-u-email")),
	)
	if got := textOf(t, ctx, "#err-u-email"); !strings.Contains(got, "not an e-mail address") {
		t.Errorf("error beside the e-mail = %q", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("u-email").getAttribute("aria-describedby")`); got != "err-u-email" {
		t.Errorf("the e-mail input is described by %q, want its error", got)
	}
	if !eval[bool](t, ctx, `document.getElementById("user-dialog").open`) {
		t.Errorf("the dialog closed after a refused save")
	}
	if got := eval[string](t, ctx, `document.getElementById("u-username").value`); got != "dora" {
		t.Errorf("the typed username was lost: %q", got)
	}
	if got := rows(t, ctx); len(got) != 0 {
		t.Errorf("a refused create listed users %v", got)
	}
	run(t, ctx, "fix the e-mail and save",
		chromedp.SetValue(chromedp.CSS("#u-email"), "dora@dialog.test"),
		chromedp.Click(chromedp.CSS("#user-dialog-save")),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="dora"]`)),
	)
	if got := textOf(t, ctx, ".flash"); got != "The user was created." {
		t.Errorf("flash = %q", got)
	}
	page, err := e.svc.SearchUsers(e.staff(), "dialog", admin.UserFilter{Q: "dora"})
	if err != nil || len(page.Items) != 1 || page.Items[0].LastName != "Diaz" {
		t.Fatalf("the service does not have Dora Diaz: %v %+v", err, page)
	}
}

func TestBrowserFindDeactivateThroughContextMenuAndShowDeactivated(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "menus")
	for _, name := range []string{"ann", "ben", "benedict", "cat"} {
		e.mustUser(t, "menus", name, admin.TypeStandard, "")
	}
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "find ben",
		chromedp.Navigate(e.url+"/t/menus/users"),
		chromedp.SendKeys(chromedp.CSS("#user-q"), "ben\n"),
	)
	untilRows(t, ctx, "the list after the find", "ben,benedict")
	if got := strings.Join(rows(t, ctx), ","); got != "ben,benedict" {
		t.Fatalf("find ben lists %q, want ben,benedict", got)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(`#users tr[data-user="ben"] td:nth-child(3)`)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("ben's row: %v", err)
	}
	run(t, ctx, "right-click ben and deactivate",
		chromedp.MouseClickNode(nodes[0], chromedp.ButtonType("right")),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="ben"] [data-action="deactivate"]`)),
		chromedp.Click(chromedp.CSS(`#users tr[data-user="ben"] [data-action="deactivate"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	// The list after the change may still be arriving: wait for it.
	untilRows(t, ctx, "the list after the deactivation", "benedict")
	if got := textOf(t, ctx, ".flash"); got != "The user was deactivated." {
		t.Errorf("flash = %q", got)
	}
	if got := strings.Join(rows(t, ctx), ","); got != "benedict" {
		t.Errorf("after deactivation the list shows %q, want benedict (deactivated users hidden)", got)
	}
	run(t, ctx, "show deactivated users",
		chromedp.Click(chromedp.CSS("#show-deactivated")),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="ben"]`)),
	)
	if got := textOf(t, ctx, `#users tr[data-user="ben"] .badge`); got != "Deactivated" {
		t.Errorf("ben's status = %q, want Deactivated", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("user-q").value`); got != "ben" {
		t.Errorf("the find box lost its text after the toggle: %q", got)
	}
}

func TestBrowserForcedPasswordChange(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "forced")
	e.mustUser(t, "forced", "fred", admin.TypeStandard, "temporary password 1")
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "forced", "fred", "temporary password 1")
	run(t, ctx, "the console asks for a new password",
		chromedp.WaitVisible(chromedp.CSS("#forced-notice")),
		chromedp.Navigate(e.url+"/account"),
		chromedp.WaitVisible(chromedp.CSS("#forced-notice")),
	)
	run(t, ctx, "change it",
		chromedp.SendKeys(chromedp.CSS("#current_password"), "temporary password 1"),
		chromedp.SendKeys(chromedp.CSS("#new_password"), "a fresh passphrase of mine"),
		chromedp.SendKeys(chromedp.CSS("#new_password_confirm"), "a fresh passphrase of mine"),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#sessions")),
	)
	if got := textOf(t, ctx, ".flash"); !strings.Contains(got, "password was changed") {
		t.Errorf("flash = %q", got)
	}
}

func TestBrowserJapaneseConsole(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "nihon")
	e.mustAdmin(t, "nihon", "hana", "a long passphrase for her", "ja")
	e.mustUser(t, "nihon", "taro", admin.TypeStandard, "")
	ctx := e.tab(t)
	run(t, ctx, "switch the sign-in page to Japanese",
		chromedp.Navigate(e.url+"/sign-in"),
		chromedp.WaitVisible(chromedp.CSS("#lang-switch")),
		chromedp.Evaluate[chromedp.Void](`void (() => { const s = document.getElementById("lang-switch"); s.value = "ja"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #signin-submit`)),
	)
	if got := textOf(t, ctx, "h1"); got != "サインイン" {
		t.Errorf("sign-in title = %q, want サインイン", got)
	}
	e.signInBrowser(t, ctx, "nihon", "hana", "a long passphrase for her")
	run(t, ctx, "hana's console is Japanese", chromedp.WaitVisible(chromedp.CSS("#users")))
	if got := textOf(t, ctx, "h1"); got != "ユーザーとグループ" {
		t.Errorf("users title = %q", got)
	}
	if got := textOf(t, ctx, `#users tr[data-user="taro"] .badge`); got != "保留中" {
		t.Errorf("taro's status = %q, want 保留中", got)
	}
	run(t, ctx, "a field error in Japanese",
		chromedp.Click(chromedp.CSS("#user-create")),
		chromedp.WaitVisible(chromedp.CSS("#user-dialog")),
		chromedp.SendKeys(chromedp.CSS("#u-username"), "taro"),
		chromedp.SendKeys(chromedp.CSS("#u-email"), "other@nihon.test"),
		chromedp.Click(chromedp.CSS("#user-dialog-save")),
		chromedp.WaitVisible(chromedp.CSS("#err-u-username")),
	)
	if got := textOf(t, ctx, "#err-u-username"); got != "このユーザー名はこのテナントで使用されています。" {
		t.Errorf("username error = %q", got)
	}
	run(t, ctx, "dates follow the language", chromedp.Navigate(e.url+"/t/nihon/audit"), chromedp.WaitVisible(chromedp.CSS("#audit time")))
	if got := textOf(t, ctx, "#audit time"); !strings.Contains(got, "/") || strings.Contains(got, "UTC") {
		t.Errorf("an audit date reads %q, want the browser's Japanese format", got)
	}
}

func TestBrowserGroupsPanelAddsAndRemovesSelectedUsers(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "teams")
	for _, name := range []string{"ann", "bob", "cy"} {
		e.mustUser(t, "teams", name, admin.TypeStandard, "")
	}
	ctx := e.tab(t)
	e.signInBrowser(t, ctx, "", "admin", staffPassword)
	run(t, ctx, "create a group in the panel",
		chromedp.Navigate(e.url+"/t/teams/users"),
		chromedp.SendKeys(chromedp.CSS("#group-new"), "Editors"),
		chromedp.Click(chromedp.CSS("#group-create")),
		chromedp.WaitVisible(chromedp.CSS("#group-detail")),
	)
	run(t, ctx, "rename it",
		chromedp.SetValue(chromedp.CSS("#group-name"), "Reviewers"),
		chromedp.Click(chromedp.CSS("#group-rename")),
		chromedp.WaitVisible(chromedp.CSS(`#groups li[data-group="Reviewers"].current`)),
	)
	members := func() string {
		return strings.Join(eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#members li[data-member]")).map(li => li.dataset.member)`), ",")
	}
	run(t, ctx, "tick ann and cy and press the add button",
		chromedp.Click(chromedp.CSS(`#users tr[data-user="ann"] input[name=user_id]`)),
		chromedp.Click(chromedp.CSS(`#users tr[data-user="cy"] input[name=user_id]`)),
		chromedp.Click(chromedp.CSS("#members-add")),
		chromedp.WaitVisible(chromedp.CSS(`#members li[data-member="cy"]`)),
	)
	if got := members(); got != "ann,cy" {
		t.Fatalf("members after add = %q, want ann,cy", got)
	}
	run(t, ctx, "tick ann among the members and press the remove button",
		chromedp.Click(chromedp.CSS(`#members li[data-member="ann"] input`)),
		chromedp.Click(chromedp.CSS("#members-remove")),
	)
	until(t, ctx, "the members list after the removal",
		`Array.from(document.querySelectorAll("#members li[data-member]")).map(li => li.dataset.member).join(",") === "cy"`)
	if got := members(); got != "cy" {
		t.Fatalf("members after remove = %q, want cy", got)
	}
	groups, err := e.svc.ListGroups(e.staff(), "teams", admin.GroupFilter{})
	if err != nil || len(groups.Items) != 1 || groups.Items[0].Name != "Reviewers" {
		t.Fatalf("the service's groups: %v %+v", err, groups)
	}
	page, err := e.svc.ListMembers(e.staff(), "teams", groups.Items[0].ID, "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].Username != "cy" {
		t.Fatalf("the service's members: %v %+v", err, page)
	}
}
