package console

import (
	"net/http"
	"net/url"
	"strconv"

	"roster/internal/admin"
)

func (c *Console) registerTenants(mux *http.ServeMux) {
	mux.Handle("GET /tenants", c.serve(signedIn, c.tenantsPage))
	mux.Handle("POST /tenants", c.serve(signedIn, c.createTenant))
	mux.Handle("GET /t/{slug}/settings", c.serve(signedIn, c.settingsPage))
	mux.Handle("POST /t/{slug}/settings", c.serve(signedIn, c.saveSettings))
}

// pager links to the first and the next keyset page of a list.
type pager struct {
	Label, First, FirstText, Next, NextText string
	Prev, PrevText                          string // the previous page, where the list keeps its way back
}

func (b *base) pager(r *http.Request, next string) pager {
	p := pager{Label: b.T("list.pages"), FirstText: b.T("list.first"), NextText: b.T("list.next")}
	q := r.URL.Query()
	q.Del("done")
	q.Del("failed")
	if q.Get("cursor") != "" {
		q.Del("cursor")
		p.First = r.URL.Path + "?" + q.Encode()
	}
	if next != "" {
		q.Set("cursor", next)
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return p
}

type tenantsPage struct {
	*base
	Q       string
	Tenants []*admin.Tenant
	Pager   pager
	Form    *form
	Open    bool // the create form starts open (after a failed attempt)
}

func (c *Console) tenantsPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderTenants(w, r, newForm(), http.StatusOK)
}

func (c *Console) renderTenants(w http.ResponseWriter, r *http.Request, f *form, status int) error {
	b := c.base(r)
	b.Nav = "tenants"
	q := r.URL.Query()
	page, err := c.svc.ListTenants(r.Context(), q.Get("q"), q.Get("cursor"), 50)
	if err != nil {
		return err
	}
	c.render(w, r, status, "tenants", &tenantsPage{base: b, Q: q.Get("q"), Tenants: page.Items, Pager: b.pager(r, page.NextCursor), Form: f, Open: f.HasErrors()})
	return nil
}

// createTenant creates a tenant (staff only, decided by the service) and
// opens its users.
func (c *Console) createTenant(w http.ResponseWriter, r *http.Request) error {
	f := formFrom(r, "slug", "name", "max_users")
	in := admin.NewTenant{Slug: formValue(r, "slug"), Name: formValue(r, "name")}
	err := intField(f, "max_users", &in.Settings.MaxUsers)
	if err == nil {
		_, err = c.svc.CreateTenant(r.Context(), in)
	}
	if err != nil {
		if admin.KindOf(err) == admin.KindForbidden || admin.KindOf(err) == admin.KindInternal {
			return err
		}
		f.fail(c.base(r), err, "slug", "name", "max_users")
		return c.renderTenants(w, r, f, statusOf(err))
	}
	return redirect("/t/" + url.PathEscape(in.Slug) + "/users?done=tenant_created")
}

// intField parses the form's number field name into *dst; empty leaves
// dst nil. A value that is not a number is an Invalid error for name.
func intField(f *form, name string, dst **int) error {
	s := f.Val(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return admin.Invalid(name, "not_a_number", "%s is a whole number.", name)
	}
	*dst = &n
	return nil
}

type settingsPage struct {
	*base
	Form *form
}

// settingsFields are the tenant settings the page edits, in order, with
// their kinds.
var settingsNumbers = []string{"max_users", "lockout_threshold", "lockout_cooloff_minutes", "password_min_length", "session_idle_minutes", "session_absolute_hours"}

func (c *Console) settingsPage(w http.ResponseWriter, r *http.Request) error {
	t, err := c.svc.GetTenant(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	f := newForm()
	s := t.Settings
	for k, v := range map[string]int{"max_users": s.MaxUsers, "lockout_threshold": s.LockoutThreshold, "lockout_cooloff_minutes": s.LockoutCooloffMinutes, "password_min_length": s.PasswordMinLength, "session_idle_minutes": s.SessionIdleMinutes, "session_absolute_hours": s.SessionAbsoluteHours} {
		f.Values[k] = strconv.Itoa(v)
	}
	f.Values["name"], f.Values["locale"] = t.Name, s.Locale
	if s.MFARequired {
		f.Values["mfa_required"] = "on"
	}
	return c.renderSettings(w, r, t, f, http.StatusOK)
}

func (c *Console) renderSettings(w http.ResponseWriter, r *http.Request, t *admin.Tenant, f *form, status int) error {
	b := c.base(r)
	b.Tenant, b.Nav = t, "settings"
	c.render(w, r, status, "settings", &settingsPage{base: b, Form: f})
	return nil
}

// saveSettings changes the tenant through the same service call as PATCH
// /api/v1/tenants/{slug}; who may change what (the seat limit is staff's)
// is the service's decision.
func (c *Console) saveSettings(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	f := formFrom(r, append([]string{"name", "locale", "mfa_required"}, settingsNumbers...)...)
	var p admin.TenantPatch
	name, locale, mfa := f.Val("name"), f.Val("locale"), f.Checked("mfa_required")
	p.Name, p.Settings.Locale, p.Settings.MFARequired = &name, &locale, &mfa
	s := &p.Settings
	for _, n := range []struct {
		name string
		dst  **int
	}{{"max_users", &s.MaxUsers}, {"lockout_threshold", &s.LockoutThreshold}, {"lockout_cooloff_minutes", &s.LockoutCooloffMinutes}, {"password_min_length", &s.PasswordMinLength}, {"session_idle_minutes", &s.SessionIdleMinutes}, {"session_absolute_hours", &s.SessionAbsoluteHours}} {
		if err == nil {
			err = intField(f, n.name, n.dst)
		}
	}
	if err == nil {
		_, err = c.svc.UpdateTenant(r.Context(), slug, p)
	}
	if err != nil {
		if admin.KindOf(err) == admin.KindInternal || admin.KindOf(err) == admin.KindNotFound {
			return err
		}
		f.fail(c.base(r), err, append([]string{"name", "locale", "mfa_required"}, settingsNumbers...)...)
		return c.renderSettings(w, r, t, f, statusOf(err))
	}
	return redirect("/t/" + url.PathEscape(slug) + "/settings?done=settings_saved")
}
