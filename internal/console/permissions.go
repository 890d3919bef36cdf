package console

import (
	"net/http"
	"net/url"
	"strings"

	"roster/internal/admin"
)

// The effective permissions of a user (R-P5) on a resource they choose —
// the tenant, a project, a folder — each with the reason: the grant and
// its role, where it sits, through which group, or the admin type.

func (c *Console) registerPermissions(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/users/{id}/permissions", c.serve(signedIn, c.permissionsPage))
}

// heldRow is one permission as the page lists it.
type heldRow struct {
	Name     string
	Rule     string // "grant" or "admin_type"
	RoleName string
	Resource string
	Group    string // the group's name, when held through one
	Path     string // from where the grant sits down to the resource
}

type permissionsPage struct {
	*base
	User      *admin.User
	Resource  string // the reference asked about
	Resources []*admin.Resource
	Held      []heldRow
	Problem   string // the resource was refused
	BackURL   string
}

func (c *Console) permissionsPage(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	ctx := r.Context()
	t, err := c.svc.GetTenant(ctx, slug)
	if err != nil {
		return err
	}
	u, err := c.svc.GetUser(ctx, slug, id)
	if err != nil {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "users"
	p := &permissionsPage{base: b, User: u, Resource: strings.TrimSpace(r.URL.Query().Get("resource")),
		BackURL: "/t/" + url.PathEscape(slug) + "/users?" + url.Values{"edit": {u.ID}}.Encode()}
	if p.Resource == "" {
		p.Resource = "tenant:" + slug
	}
	res, err := c.svc.ListResources(ctx, slug, admin.ResourceFilter{Limit: 500})
	if err != nil {
		return err
	}
	p.Resources = res.Items
	status := http.StatusOK
	held, err := c.svc.EffectivePermissions(ctx, slug, id, p.Resource)
	switch k := admin.KindOf(err); {
	case err == nil:
	case k == admin.KindInvalid || (k == admin.KindNotFound && p.Resource != "tenant:"+slug):
		// A resource that does not exist is the form's error, not the page's.
		p.Problem, status = b.T("permissions.unknown_resource", p.Resource), http.StatusUnprocessableEntity
	default:
		return err
	}
	groups := map[string]string{}
	if len(held) > 0 {
		gs, err := c.svc.GroupsOfUser(ctx, slug, id)
		if err != nil {
			return err
		}
		for _, g := range gs {
			groups[g.ID] = g.Name
		}
	}
	for _, h := range held {
		row := heldRow{Name: h.Name}
		if why := h.Reason; why != nil {
			row.Rule, row.RoleName, row.Resource, row.Path = why.Rule, why.RoleName, why.Resource, strings.Join(why.Path, " › ")
			if why.GroupID != "" {
				row.Group = groups[why.GroupID]
				if row.Group == "" {
					row.Group = why.GroupID
				}
			}
		}
		p.Held = append(p.Held, row)
	}
	c.render(w, r, status, "permissions", p)
	return nil
}

// ResourceLabel is how the resource list names a resource.
func (p *permissionsPage) ResourceLabel(r *admin.Resource) string {
	if r.Name == "" || r.Name == r.Key {
		return r.Ref()
	}
	return r.Ref() + " — " + r.Name
}

// Why is the reason of one held permission, in a sentence.
func (p *permissionsPage) Why(h heldRow) string {
	if h.Rule == "admin_type" {
		return p.T("permissions.why_admin")
	}
	if h.Group != "" {
		return p.T("permissions.why_group", h.RoleName, h.Resource, h.Group)
	}
	return p.T("permissions.why_grant", h.RoleName, h.Resource)
}
