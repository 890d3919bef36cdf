package console

import (
	"net/http"
	"net/url"
	"strings"

	"roster/internal/admin"
)

// The Roles page (R-R2–R-R4): the tenant's roles with their rights, and a
// form to create, copy or edit one. Predefined roles are read-only; the
// service refuses to change them, the page only offers Copy.

func (c *Console) registerRoles(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/roles", c.serve(signedIn, c.rolesPage))
	mux.Handle("POST /t/{slug}/roles", c.serve(signedIn, c.createRole))
	mux.Handle("POST /t/{slug}/roles/{id}", c.serve(signedIn, c.updateRole))
	mux.Handle("POST /t/{slug}/roles/{id}/copy", c.serve(signedIn, c.copyRole))
	mux.Handle("POST /t/{slug}/roles/{id}/delete", c.serve(signedIn, c.deleteRole))
}

// permGroup is the catalogue's permissions sharing a prefix (the part of
// the name before its first dot).
type permGroup struct {
	Prefix string
	Perms  []*admin.PermissionDef
}

type rolesPage struct {
	*base
	Roles  []*admin.Role
	Groups []permGroup
	// Role is the role the form edits (Edit) or copies (Copy); nil to create.
	Role *admin.Role
	Mode string // "create", "edit", "copy"
	Form *form
	// Checked are the permissions ticked in the form.
	Checked map[string]bool
}

// Rights is a role's permissions as the list shows them on hover.
func (p *rolesPage) Rights(r *admin.Role) string {
	if len(r.Permissions) == 0 {
		return p.T("roles.no_rights")
	}
	return strings.Join(r.Permissions, "\n")
}

func rolesURL(slug string, extra ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	s := "/t/" + url.PathEscape(slug) + "/roles"
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

func (c *Console) rolesPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	switch {
	case q.Get("edit") != "":
		return c.renderRoles(w, r, "edit", q.Get("edit"), newForm(), nil, http.StatusOK)
	case q.Get("copy") != "":
		return c.renderRoles(w, r, "copy", q.Get("copy"), newForm(), nil, http.StatusOK)
	}
	return c.renderRoles(w, r, "create", "", newForm(), nil, http.StatusOK)
}

// renderRoles draws the page with the form in mode on role id; checked nil
// takes the role's own permissions.
func (c *Console) renderRoles(w http.ResponseWriter, r *http.Request, mode, id string, f *form, checked map[string]bool, status int) error {
	slug := r.PathValue("slug")
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	list, err := c.svc.ListRoles(r.Context(), slug)
	if err != nil {
		return err
	}
	perms, err := c.svc.ListPermissions(r.Context())
	if err != nil {
		return err
	}
	p := &rolesPage{Roles: list, Mode: mode, Form: f, Checked: checked}
	for _, d := range perms {
		prefix, _, _ := strings.Cut(d.Name, ".")
		if n := len(p.Groups); n == 0 || p.Groups[n-1].Prefix != prefix {
			p.Groups = append(p.Groups, permGroup{Prefix: prefix})
		}
		g := &p.Groups[len(p.Groups)-1]
		g.Perms = append(g.Perms, d)
	}
	if id != "" {
		if p.Role, err = c.svc.GetRole(r.Context(), slug, id); err != nil {
			return err
		}
		if mode == "edit" && p.Role.Predefined() {
			mode, p.Mode = "view", "view"
		}
		if _, ok := f.Values["name"]; !ok {
			if mode == "copy" {
				f.Values["name"] = ""
			} else {
				f.Values["name"], f.Values["description"] = p.Role.Name, p.Role.Description
			}
		}
		if p.Checked == nil {
			p.Checked = map[string]bool{}
			for _, n := range p.Role.Permissions {
				p.Checked[n] = true
			}
		}
	}
	if p.Checked == nil {
		p.Checked = map[string]bool{}
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "roles"
	p.base = b
	c.render(w, r, status, "roles", p)
	return nil
}

// ticked are the permissions ticked in the submitted form.
func ticked(r *http.Request) ([]string, map[string]bool) {
	names := unique(r.PostForm["permissions"])
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return names, m
}

// roleFailed re-renders the form with err beside its field, or returns
// err for serve to show when it is not the form's to show.
func (c *Console) roleFailed(w http.ResponseWriter, r *http.Request, mode, id string, f *form, checked map[string]bool, err error) error {
	if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindUnauthenticated || (k == admin.KindNotFound && id != "") {
		return err
	}
	f.fail(c.base(r), err, "name", "description", "permissions", "replacement")
	return c.renderRoles(w, r, mode, id, f, checked, statusOf(err))
}

func (c *Console) createRole(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	f := formFrom(r, "name", "description")
	names, checked := ticked(r)
	_, err := c.svc.CreateRole(r.Context(), slug, admin.NewRole{Name: f.Val("name"), Description: f.Val("description"), Permissions: names})
	if err != nil {
		return c.roleFailed(w, r, "create", "", f, checked, err)
	}
	return redirect(rolesURL(slug, "done", "role_created"))
}

func (c *Console) copyRole(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	f := formFrom(r, "name")
	if _, err := c.svc.CopyRole(r.Context(), slug, id, f.Val("name")); err != nil {
		return c.roleFailed(w, r, "copy", id, f, nil, err)
	}
	return redirect(rolesURL(slug, "done", "role_copied"))
}

func (c *Console) updateRole(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	f := formFrom(r, "name", "description")
	names, checked := ticked(r)
	name, desc := f.Val("name"), f.Val("description")
	if names == nil {
		names = []string{}
	}
	if _, err := c.svc.UpdateRole(r.Context(), slug, id, admin.RolePatch{Name: &name, Description: &desc, Permissions: &names}); err != nil {
		return c.roleFailed(w, r, "edit", id, f, checked, err)
	}
	return redirect(rolesURL(slug, "done", "role_updated"))
}

func (c *Console) deleteRole(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	f := formFrom(r, "replacement")
	if err := c.svc.DeleteRole(r.Context(), slug, id, f.Val("replacement")); err != nil {
		return c.roleFailed(w, r, "edit", id, f, nil, err)
	}
	return redirect(rolesURL(slug, "done", "role_deleted"))
}
