package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"roster/internal/admin"
)

func (c *Console) registerUsers(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/users", c.serve(signedIn, c.usersPage))
	mux.Handle("POST /t/{slug}/users", c.serve(signedIn, c.createUser))
	mux.Handle("POST /t/{slug}/users/bulk", c.serve(signedIn, c.bulkUsers))
	mux.Handle("POST /t/{slug}/users/{id}", c.serve(signedIn, c.editUser))
	mux.Handle("POST /t/{slug}/users/{id}/temporary-password", c.serve(signedIn, c.temporaryPassword))
	mux.Handle("POST /t/{slug}/users/{id}/{action}", c.serve(signedIn, c.userAction))
}

// listKeys are the query parameters that make up the state of the Users
// page; after an action the page comes back to the same state.
var listKeys = []string{"q", "status", "type", "sort", "show_deactivated", "cursor", "prev", "group", "gq"}

// listState keeps only listKeys of a query string (a form's "back" field
// or the request's own query), so that nothing else travels through it.
func listState(raw string) url.Values {
	in, _ := url.ParseQuery(raw)
	out := url.Values{}
	for _, k := range listKeys {
		if v := in.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// usersURL is the Users page of slug in state, with extra parameters.
func usersURL(slug string, state url.Values, extra ...string) string {
	q := url.Values{}
	for k, v := range state {
		q[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	s := "/t/" + url.PathEscape(slug) + "/users"
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// userRow is a user as the table shows it.
type userRow struct {
	*admin.User
	Shown     admin.Status // the status shown (expired included)
	Self      bool
	LockedNow bool // locked, and not a temporary lock that has lifted
}

// CanDelete reports whether the menu offers Delete rather than Remove:
// only a pending password user is deleted outright (R-U5).
func (u userRow) CanDelete() bool {
	return u.Status == admin.StatusPending && u.Auth == admin.AuthPassword
}

// Name is the user's full name.
func (u userRow) Name() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

type usersPage struct {
	*base
	State  url.Values
	Back   string // State encoded, for the forms' "back" field
	Users  []userRow
	Pager  pager
	Dialog *userDialog
	Groups *groupsPanel
	now    time.Time
}

// Filter is the value of one list parameter.
func (p *usersPage) Filter(key string) string { return p.State.Get(key) }

// Sorts, Statuses and Types are the options of the list's selects.
func (p *usersPage) Sorts() []string {
	return []string{"username", "-username", "name", "email", "created_at", "-created_at"}
}
func (p *usersPage) Statuses() []string {
	return []string{"pending", "active", "deactivated", "removed", "expired"}
}
func (p *usersPage) Types() []string { return []string{"admin", "standard", "read_only"} }

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request) error {
	var d *userDialog
	q := r.URL.Query()
	switch {
	case q.Get("new") != "":
		d = c.newUserDialog(r)
	case q.Get("edit") != "":
		u, err := c.svc.GetUser(r.Context(), r.PathValue("slug"), q.Get("edit"))
		if err != nil {
			return err
		}
		d = c.editUserDialog(r, u, nil)
	}
	if d != nil {
		if err := c.withAccess(r, d, nil); err != nil {
			return err
		}
	}
	return c.renderUsers(w, r, listState(r.URL.RawQuery), d, http.StatusOK)
}

// renderUsers draws the Users & Groups page of the request's tenant in
// state, with the dialog d open when it is not nil.
func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, state url.Values, d *userDialog, status int) error {
	slug := r.PathValue("slug")
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "users"
	page, err := c.svc.SearchUsers(r.Context(), slug, admin.UserFilter{
		Q: state.Get("q"), Status: state.Get("status"), Type: state.Get("type"), Sort: state.Get("sort"),
		IncludeDeactivated: state.Get("show_deactivated") != "", Cursor: state.Get("cursor"), Limit: 50,
	})
	if err != nil {
		if admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		// A filter the service refuses shows the problem over an empty list.
		b.Problem = b.ErrorText(err)
		page = &admin.UserPage{}
	}
	now := c.svc.Clock().Now()
	p := &usersPage{base: b, State: state, Back: state.Encode(), Dialog: d, now: now}
	for _, u := range page.Items {
		p.Users = append(p.Users, userRow{User: u, Shown: u.DisplayStatus(now), Self: b.Me != nil && b.Me.ID == u.ID, LockedNow: u.LockedAt(now)})
	}
	p.Pager = usersPager(b, slug, state, page.NextCursor)
	if p.Groups, err = c.groupsPanel(r, slug, state); err != nil {
		return err
	}
	c.render(w, r, status, "users", p)
	return nil
}

// The users table pages by keyset (R-U7): the service hands out the cursor
// of the next page only. The way back is kept in the URL: "prev" is the
// stack of the cursors of the pages before this one ("~" for the first),
// at most maxBackStack deep; deeper than that, "First page" remains.
const (
	maxBackStack = 20
	firstPage    = "~"
)

// usersPager links the first, previous and next pages of the list in state.
func usersPager(b *base, slug string, state url.Values, next string) pager {
	p := pager{Label: b.T("list.pages"), FirstText: b.T("list.first"), NextText: b.T("list.next"), PrevText: b.T("list.previous")}
	cursor := state.Get("cursor")
	var stack []string
	if s := state.Get("prev"); s != "" {
		stack = strings.Split(s, ".")
	}
	with := func(cursor string, stack []string) string {
		st := url.Values{}
		for k, v := range state {
			st[k] = v
		}
		st.Del("cursor")
		st.Del("prev")
		if cursor != "" && cursor != firstPage {
			st.Set("cursor", cursor)
		}
		if len(stack) > 0 {
			st.Set("prev", strings.Join(stack, "."))
		}
		return usersURL(slug, st)
	}
	if cursor != "" {
		p.First = with("", nil)
		if n := len(stack); n > 0 {
			p.Prev = with(stack[n-1], stack[:n-1])
		}
		if p.Prev == p.First {
			p.First = "" // page 2: the previous page is the first
		}
	}
	if next != "" {
		here := cursor
		if here == "" {
			here = firstPage
		}
		back := append(append([]string{}, stack...), here)
		if len(back) > maxBackStack {
			back = back[len(back)-maxBackStack:]
		}
		p.Next = with(next, back)
	}
	return p
}

// userDialog is the create / edit dialog (R-U1, R-U2).
type userDialog struct {
	Edit   bool
	User   *admin.User // the user edited
	Form   *form
	Self   bool
	Access *dialogAccess
}

// withAccess loads the access sections of d; sent, when not nil, is what
// a refused submission asked for, shown again instead of the stored access.
func (c *Console) withAccess(r *http.Request, d *userDialog, sent *accessForm) error {
	id := ""
	if d.Edit {
		id = d.User.ID
	}
	a, _, err := c.loadDialogAccess(r.Context(), r.PathValue("slug"), id)
	if err != nil {
		return err
	}
	if sent != nil && !d.Self {
		a.Form = *sent
	}
	if d.Self {
		a.Why = c.base(r).T("users.why_own_access")
	}
	d.Access = a
	return nil
}

var userFields = []string{"username", "email", "first_name", "last_name", "phone", "locale", "type", "auth", "password",
	"expires_in_days", "mfa_enforced", "notifications_disabled", "other_recipients", "must_change_password", "locked"}

func (c *Console) newUserDialog(r *http.Request) *userDialog {
	f := newForm()
	f.Values["type"], f.Values["auth"], f.Values["mfa_enforced"] = "standard", "password", "on"
	return &userDialog{Form: f}
}

func (c *Console) editUserDialog(r *http.Request, u *admin.User, f *form) *userDialog {
	if f == nil {
		f = newForm()
		f.Values = map[string]string{
			"username": u.Username, "email": u.Email, "first_name": u.FirstName, "last_name": u.LastName,
			"phone": u.Phone, "locale": u.Locale, "type": string(u.Type), "auth": string(u.Auth),
			"other_recipients": strings.Join(u.OtherRecipients, ", "),
		}
		for k, v := range map[string]bool{"mfa_enforced": u.MFAEnforced, "notifications_disabled": u.NotificationsDisabled, "must_change_password": u.MustChangePassword, "locked": u.Locked} {
			if v {
				f.Values[k] = "on"
			}
		}
	}
	a := admin.ActorFrom(r.Context())
	return &userDialog{Edit: true, User: u, Form: f, Self: a != nil && a.UserID == u.ID}
}

// recipients splits the "other recipients" box on commas, semicolons and
// white space.
func recipients(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// createUser creates a user through the same service call as POST
// /api/v1/tenants/{slug}/users; a refusal reopens the dialog with the
// error beside its field.
func (c *Console) createUser(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	f := formFrom(r, userFields...)
	in := admin.NewUser{
		Username: f.Val("username"), Email: f.Val("email"), FirstName: f.Val("first_name"), LastName: f.Val("last_name"),
		Phone: f.Val("phone"), Locale: f.Val("locale"), Type: admin.UserType(f.Val("type")), Auth: admin.AuthMethod(f.Val("auth")),
		Password: f.Val("password"), NotificationsDisabled: f.Checked("notifications_disabled"), OtherRecipients: recipients(f.Val("other_recipients")),
	}
	mfa := f.Checked("mfa_enforced")
	in.MFAEnforced = &mfa
	acc := accessFrom(r)
	in.Roles = sortedKeys(acc.Roles)
	in.Groups = sortedKeys(acc.Groups)
	plan := acc.wanted()
	in.Grants = plan.grants
	err := intField(f, "expires_in_days", &in.ExpiresInDays)
	if err == nil && in.ExpiresInDays != nil && *in.ExpiresInDays == 0 {
		in.ExpiresInDays = nil
	}
	if err == nil {
		_, err = c.svc.CreateUser(r.Context(), slug, in)
	}
	state := listState(r.PostFormValue("back"))
	if err != nil {
		d := &userDialog{Form: f}
		if err := c.withAccess(r, d, &acc); err != nil {
			return err
		}
		return c.dialogFailed(w, r, state, d, err, plan.fields)
	}
	return redirect(usersURL(slug, state, "done", "user_created"))
}

// dialogFailed shows the Users page again with the dialog open and err
// beside the field it names (or above the form).
func (c *Console) dialogFailed(w http.ResponseWriter, r *http.Request, state url.Values, d *userDialog, err error, grantFields []string) error {
	switch admin.KindOf(err) {
	case admin.KindInternal, admin.KindUnauthenticated, admin.KindRateLimited:
		return err
	}
	if !d.Access.failAccess(c.base(r), err, grantFields) {
		d.Form.fail(c.base(r), err, userFields...)
	}
	return c.renderUsers(w, r, state, d, statusOf(err))
}

// editUser saves the dialog through the same service call as PATCH
// /api/v1/tenants/{slug}/users/{id}. Fields the dialog shows disabled are
// not sent, so they stay as they are; the service refuses them anyway.
func (c *Console) editUser(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	u, err := c.svc.GetUser(r.Context(), slug, id)
	if err != nil {
		return err
	}
	f := formFrom(r, userFields...)
	var p admin.UserPatch
	str := func(name string) *string {
		if _, ok := r.PostForm[name]; !ok {
			return nil
		}
		v := f.Val(name)
		return &v
	}
	flag := func(name string) *bool {
		if _, ok := r.PostForm[name+"_shown"]; !ok {
			return nil
		}
		v := f.Checked(name)
		return &v
	}
	p.Email, p.FirstName, p.LastName, p.Phone, p.Locale = str("email"), str("first_name"), str("last_name"), str("phone"), str("locale")
	if t := str("type"); t != nil {
		typ := admin.UserType(*t)
		p.Type = &typ
	}
	p.MFAEnforced, p.NotificationsDisabled, p.MustChangePassword = flag("mfa_enforced"), flag("notifications_disabled"), flag("must_change_password")
	if rc := str("other_recipients"); rc != nil {
		list := recipients(*rc)
		p.OtherRecipients = &list
	}
	// The access sections, when they were shown editable: what changed
	// from the user's current access is saved with the rest of the
	// dialog, in one transaction (memberships and grants).
	var acc *accessForm
	var fields []string
	if _, shown := r.PostForm["access_shown"]; shown {
		sent := accessFrom(r)
		acc = &sent
	}
	err = intField(f, "expires_in_days", &p.ExpiresInDays)
	if err == nil && acc != nil {
		var cur *currentAccess
		if cur, err = c.currentAccess(r.Context(), slug, id); err == nil {
			change, fs := cur.change(slug, *acc)
			p.Access, fields = &change, fs
		}
	}
	if locked := flag("locked"); u.Locked && locked != nil && !*locked {
		// The seed's "clear the check box to let the user sign in": in
		// the same transaction as the rest of the dialog.
		p.Unlock = true
	}
	if err == nil {
		_, err = c.svc.UpdateUser(r.Context(), slug, id, p)
	}
	state := listState(r.PostFormValue("back"))
	if err != nil {
		d := c.editUserDialog(r, u, f)
		if err := c.withAccess(r, d, acc); err != nil {
			return err
		}
		return c.dialogFailed(w, r, state, d, err, fields)
	}
	return redirect(usersURL(slug, state, "done", "user_saved"))
}

// userActions are the lifecycle actions of the row menu, each one service
// call (the same as the API's POST users/{id}/<action>).
var userActions = map[string]func(c *Console, r *http.Request, slug, id string) (string, error){
	"deactivate": func(c *Console, r *http.Request, slug, id string) (string, error) {
		_, err := c.svc.DeactivateUser(r.Context(), slug, id)
		return "user_deactivated", err
	},
	"activate": func(c *Console, r *http.Request, slug, id string) (string, error) {
		_, err := c.svc.ActivateUser(r.Context(), slug, id)
		return "user_activated", err
	},
	"unlock": func(c *Console, r *http.Request, slug, id string) (string, error) {
		_, err := c.svc.UnlockUser(r.Context(), slug, id)
		return "user_unlocked", err
	},
	"restore": func(c *Console, r *http.Request, slug, id string) (string, error) {
		_, err := c.svc.RestoreUser(r.Context(), slug, id)
		return "user_restored", err
	},
	"resend-activation": func(c *Console, r *http.Request, slug, id string) (string, error) {
		return "activation_sent", c.svc.ResendActivation(r.Context(), slug, id)
	},
	"reset-password": func(c *Console, r *http.Request, slug, id string) (string, error) {
		return "reset_sent", c.svc.SendPasswordReset(r.Context(), slug, id)
	},
	"remove": func(c *Console, r *http.Request, slug, id string) (string, error) {
		deleted, err := c.svc.DeleteUser(r.Context(), slug, id)
		if deleted {
			return "user_deleted", err
		}
		return "user_removed", err
	},
}

func init() {
	userActions["delete"] = userActions["remove"]
	userActions["mfa-reset"] = func(c *Console, r *http.Request, slug, id string) (string, error) {
		_, err := c.svc.ResetMFA(r.Context(), slug, id)
		return "mfa_reset", err
	}
}

func (c *Console) userAction(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	act, ok := userActions[r.PathValue("action")]
	if !ok {
		return admin.NotFound("Action")
	}
	state := listState(r.PostFormValue("back"))
	done, err := act(c, r, slug, id)
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindNotFound {
			return err
		}
		return redirect(usersURL(slug, state, "failed", admin.CodeOf(err)))
	}
	return redirect(usersURL(slug, state, "done", done))
}

// bulkUsers applies one action to every selected user, each in its own
// transaction, and reports how many succeeded and the first refusal.
func (c *Console) bulkUsers(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	state := listState(r.PostFormValue("back"))
	act, ok := userActions[r.PostFormValue("action")]
	ids := r.PostForm["user_id"]
	if !ok || r.PostFormValue("action") == "delete" {
		return admin.NotFound("Action")
	}
	if len(ids) == 0 {
		return redirect(usersURL(slug, state, "failed", "nothing_selected"))
	}
	if len(ids) > 500 {
		ids = ids[:500]
	}
	var first error
	for _, id := range ids {
		if _, err := act(c, r, slug, id); err != nil {
			if admin.KindOf(err) == admin.KindInternal {
				return err
			}
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return redirect(usersURL(slug, state, "failed", admin.CodeOf(first)))
	}
	return redirect(usersURL(slug, state, "done", "bulk_done"))
}
