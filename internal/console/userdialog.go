package console

import (
	"net/url"
	"strconv"
	"strings"

	"roster/internal/admin"
)

// The Users page's links keep the list's state.

// NewURL opens the create dialog.
func (p *usersPage) NewURL() string { return usersURL(p.Tenant.Slug, p.State, "new", "1") }

// EditURL opens the edit dialog of user id.
func (p *usersPage) EditURL(id string) string { return usersURL(p.Tenant.Slug, p.State, "edit", id) }

// CloseURL closes the dialog.
func (p *usersPage) CloseURL() string { return usersURL(p.Tenant.Slug, p.State) }

// DialogAction is where the dialog posts.
func (p *usersPage) DialogAction() string {
	if p.Dialog.Edit {
		return "/t/" + p.Tenant.Slug + "/users/" + p.Dialog.User.ID
	}
	return "/t/" + p.Tenant.Slug + "/users"
}

// selectField is a select as the dialog draws it.
type selectField struct {
	field
	Options []option
}

type option struct{ Value, Label string }

// dialogField is the dialog's input name, with its value and error, and
// the reason it is disabled when it may not change.
func (p *usersPage) dialogField(name, label, typ string) field {
	f := p.Dialog.Form
	fl := field{ID: "u-" + name, Name: name, Label: p.T(label), Type: typ, Value: f.Val(name), Error: f.Err(name)}
	d := p.Dialog
	why := ""
	switch {
	case d.Edit && (name == "username" || name == "auth"):
		why = "users.why_" + name
	case d.Self && (name == "email" || name == "type" || name == "status"):
		why = "users.why_own_" + name
	case d.Edit && name == "status":
		why = "users.why_status"
	case d.Edit && name == "must_change_password" && d.User.Auth == admin.AuthSSO:
		why = "users.why_sso_password"
	case d.Edit && name == "locked" && !d.User.Locked:
		why = "users.why_not_locked"
	}
	if why != "" {
		fl = p.Disable(fl, why)
	}
	return fl
}

// UserInfoFields are the person's details.
func (p *usersPage) UserInfoFields() []field {
	out := []field{p.dialogField("username", "users.username", "text")}
	out[0].Required = !p.Dialog.Edit
	if !p.Dialog.Edit {
		pw := p.dialogField("password", "users.initial_password", "password")
		pw.Reason = p.T("users.initial_password_hint")
		out = append(out, pw)
	}
	email := p.dialogField("email", "users.email", "email")
	email.Required = true
	return append(out, email,
		p.dialogField("first_name", "users.first_name", "text"),
		p.dialogField("last_name", "users.last_name", "text"),
		p.dialogField("phone", "users.phone", "tel"))
}

// AccountSelects are the type, sign-in method and language.
func (p *usersPage) AccountSelects() []selectField {
	typ := selectField{field: p.dialogField("type", "users.type", "")}
	for _, t := range []string{"standard", "admin", "read_only"} {
		typ.Options = append(typ.Options, option{t, p.T("type." + t)})
	}
	auth := selectField{field: p.dialogField("auth", "users.auth", "")}
	for _, a := range []string{"password", "sso"} {
		auth.Options = append(auth.Options, option{a, p.T("auth." + a)})
	}
	loc := selectField{field: p.dialogField("locale", "users.locale", ""), Options: []option{{"", p.T("users.locale_tenant")}, {"en", "English"}, {"ja", "日本語"}}}
	return []selectField{typ, auth, loc}
}

// AccountFields are the status (shown, changed from the menu) and the expiry.
func (p *usersPage) AccountFields() []field {
	var out []field
	d := p.Dialog
	if d.Edit {
		st := p.dialogField("status", "users.status", "text")
		st.Value = p.T("status." + string(d.User.DisplayStatus(p.now)))
		out = append(out, st)
	}
	exp := p.dialogField("expires_in_days", "users.expires_in_days", "number")
	exp.Reason = p.T("users.expires_hint")
	if d.Edit && d.User.ExpiresAt != nil {
		exp.Reason = p.T("users.expires_at", d.User.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")) + " " + p.T("users.expires_edit_hint")
	}
	return append(out, exp)
}

// AccountChecks are the two-factor exemption and, when editing, the
// forced password change and the lock.
func (p *usersPage) AccountChecks() []field {
	out := []field{p.dialogField("mfa_enforced", "users.mfa_enforced", "checkbox")}
	if p.Dialog.Edit {
		out = append(out, p.dialogField("must_change_password", "users.must_change_password", "checkbox"),
			p.dialogField("locked", "users.locked_box", "checkbox"))
	}
	return out
}

// MailChecks are the e-mail subscription settings.
func (p *usersPage) MailChecks() []field {
	return []field{p.dialogField("notifications_disabled", "users.notifications_disabled", "checkbox")}
}

// RecipientsField is the box of other e-mail recipients.
func (p *usersPage) RecipientsField() field {
	f := p.dialogField("other_recipients", "users.other_recipients", "text")
	f.Wide, f.Reason = true, p.T("users.other_recipients_hint")
	return f
}

// Rights is a role's permissions as the dialog shows them on hover (and
// to a screen reader), as the Roles page does.
func (p *usersPage) Rights(r *admin.Role) string {
	if len(r.Permissions) == 0 {
		return p.T("roles.no_rights")
	}
	return strings.Join(r.Permissions, "\n")
}

// roleName is the name of role id, or the id when it is not listed.
func (p *usersPage) roleName(id string) string {
	for _, r := range p.Dialog.Access.Roles {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

// roleChoice is one role of a role select.
type roleChoice struct {
	ID, Name, Rights string
	Selected         bool
}

// RoleChoices are the tenant's roles with the one chosen marked.
func (p *usersPage) RoleChoices(chosen string) []roleChoice {
	out := make([]roleChoice, 0, len(p.Dialog.Access.Roles))
	for _, r := range p.Dialog.Access.Roles {
		out = append(out, roleChoice{ID: r.ID, Name: r.Name, Rights: p.Rights(r), Selected: r.ID == chosen})
	}
	return out
}

// DefaultRoles are the checkboxes of the tenant-level roles.
func (p *usersPage) DefaultRoles() []roleChoice {
	out := p.RoleChoices("")
	for i := range out {
		out[i].Selected = p.Dialog.Access.Form.Roles[out[i].ID]
	}
	return out
}

// groupChoice is one group of the groups list.
type groupChoice struct {
	ID, Name string
	Selected bool
}

// GroupChoices are the tenant's groups with the user's ticked.
func (p *usersPage) GroupChoices() []groupChoice {
	a := p.Dialog.Access
	out := make([]groupChoice, 0, len(a.Groups))
	for _, g := range a.Groups {
		out = append(out, groupChoice{ID: g.ID, Name: g.Name, Selected: a.Form.Groups[g.ID]})
	}
	return out
}

// allRow is one "access all <type>" line.
type allRow struct {
	Type, Label, RoleLabel, AccessLabel string
	allAccess
	Error string
}

// allTexts are the catalogue keys of each "access all" line.
var allTexts = map[string]struct{ label, role, access string }{
	"project": {"users.access_all_project", "users.access_all_role_project", "users.access_all_access_project"},
	"library": {"users.access_all_library", "users.access_all_role_library", "users.access_all_access_library"},
	"job":     {"users.access_all_job", "users.access_all_role_job", "users.access_all_access_job"},
}

// AllRows are the "access all projects / libraries / jobs" lines.
func (p *usersPage) AllRows() []allRow {
	a := p.Dialog.Access
	out := make([]allRow, 0, len(accessTypes))
	for _, t := range accessTypes {
		k := allTexts[t]
		out = append(out, allRow{Type: t, Label: p.T(k.label), RoleLabel: p.T(k.role), AccessLabel: p.T(k.access),
			allAccess: a.Form.All[t], Error: a.Errors["all_"+t]})
	}
	return out
}

// projectRow is one line of project access.
type projectRow struct {
	N int // from 1, for the labels
	projectAccess
	Error string
}

// ProjectRows are the user's project access lines and blank ones to add more.
func (p *usersPage) ProjectRows() []projectRow {
	a := p.Dialog.Access
	var out []projectRow
	for i, pr := range a.Form.Projects {
		out = append(out, projectRow{N: i + 1, projectAccess: pr, Error: a.Errors["project_"+strconv.Itoa(i)]})
	}
	for i := 0; i < blankProjectRows; i++ {
		out = append(out, projectRow{N: len(out) + 1})
	}
	return out
}

// OtherGrants are the user's grants the dialog does not edit, as text.
func (p *usersPage) OtherGrants() []string {
	var out []string
	for _, g := range p.Dialog.Access.Other {
		s := p.T("users.grant_on", p.roleName(g.RoleID), g.Resource)
		if g.Access == admin.AccessReadOnly {
			s += " " + p.T("users.read_only_suffix")
		}
		out = append(out, s)
	}
	return out
}

// AccessError is the error beside an access part ("roles", "groups").
func (p *usersPage) AccessError(name string) string { return p.Dialog.Access.Errors[name] }

// PermissionsURL is the effective permissions page of user id.
func (p *usersPage) PermissionsURL(id string) string {
	return "/t/" + url.PathEscape(p.Tenant.Slug) + "/users/" + url.PathEscape(id) + "/permissions"
}
