package console

import "roster/internal/admin"

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
