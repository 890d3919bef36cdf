package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"roster/internal/admin"
)

// The access sections of the user dialog (R-U1, R-P4): default roles
// (grants on the tenant root), groups, "access all projects / libraries /
// jobs" (grants on those collections) and access to specific projects.
// The page only collects what is ticked; the service decides, in one
// transaction (CreateUser, ChangeUserAccess).

// accessTypes are the collections the dialog offers access to all of.
var accessTypes = []string{"project", "library", "job"}

// blankProjectRows is how many empty project rows the dialog offers.
const blankProjectRows = 2

// allAccess is one "access all <type>" line.
type allAccess struct {
	On           bool
	Role, Access string
}

// projectAccess is one line of project access.
type projectAccess struct{ Key, Role, Access string }

// accessForm is the access the dialog shows or was sent.
type accessForm struct {
	Roles    map[string]bool // role ids ticked
	Groups   map[string]bool // group ids chosen
	All      map[string]allAccess
	Projects []projectAccess
}

func newAccessForm() accessForm {
	return accessForm{Roles: map[string]bool{}, Groups: map[string]bool{}, All: map[string]allAccess{}}
}

// accessFrom reads the access sections of a posted dialog.
func accessFrom(r *http.Request) accessForm {
	a := newAccessForm()
	for _, id := range r.PostForm["role"] {
		a.Roles[id] = true
	}
	for _, id := range r.PostForm["group"] {
		a.Groups[id] = true
	}
	for _, t := range accessTypes {
		a.All[t] = allAccess{On: r.PostFormValue("all_"+t) != "", Role: r.PostFormValue("all_" + t + "_role"), Access: r.PostFormValue("all_" + t + "_access")}
	}
	keys, roles, accs := r.PostForm["project_key"], r.PostForm["project_role"], r.PostForm["project_access"]
	for i, k := range keys {
		p := projectAccess{Key: strings.TrimSpace(k)}
		if i < len(roles) {
			p.Role = roles[i]
		}
		if i < len(accs) {
			p.Access = accs[i]
		}
		if p.Key != "" || p.Role != "" {
			a.Projects = append(a.Projects, p)
		}
	}
	return a
}

// grantPlan is the grants a dialog asks for, and for each the dialog
// field a refusal of it is shown beside.
type grantPlan struct {
	grants []admin.UserGrant
	fields []string
}

func (p *grantPlan) add(g admin.UserGrant, field string) {
	p.grants = append(p.grants, g)
	p.fields = append(p.fields, field)
}

// wanted lists the grants of the form other than default roles, in the
// dialog's order.
func (a accessForm) wanted() grantPlan {
	var p grantPlan
	for _, t := range accessTypes {
		if all := a.All[t]; all.On {
			p.add(admin.UserGrant{Resource: "collection:" + t, Role: all.Role, Access: admin.Access(all.Access)}, "all_"+t)
		}
	}
	for i, pr := range a.Projects {
		p.add(admin.UserGrant{Resource: "project:" + pr.Key, Role: pr.Role, Access: admin.Access(pr.Access)}, "project_"+strconv.Itoa(i))
	}
	return p
}

// dialogAccess is what the access sections draw: the tenant's roles,
// groups and projects, the form's state, the grants the dialog does not
// edit, and the errors beside each part.
type dialogAccess struct {
	Roles    []*admin.Role
	Groups   []*admin.Group
	Projects []*admin.Resource
	Form     accessForm
	Other    []*admin.Grant
	// Why is the reason the user's access cannot be changed here (the
	// actor's own); empty when it can.
	Why    string
	Errors map[string]string
}

// loadDialogAccess reads the tenant's roles, groups and projects for the
// dialog; for an existing user (id not empty) also their access.
func (c *Console) loadDialogAccess(ctx context.Context, slug, id string) (*dialogAccess, *currentAccess, error) {
	d := &dialogAccess{Form: newAccessForm(), Errors: map[string]string{}}
	var err error
	if d.Roles, err = c.svc.ListRoles(ctx, slug); err != nil {
		return nil, nil, err
	}
	groups, err := c.svc.ListGroups(ctx, slug, admin.GroupFilter{Limit: 500})
	if err != nil {
		return nil, nil, err
	}
	d.Groups = groups.Items
	projects, err := c.svc.ListResources(ctx, slug, admin.ResourceFilter{Type: admin.TypeProject, Limit: 500})
	if err != nil {
		return nil, nil, err
	}
	d.Projects = projects.Items
	if id == "" {
		return d, nil, nil
	}
	cur, err := c.currentAccess(ctx, slug, id)
	if err != nil {
		return nil, nil, err
	}
	d.Form, d.Other = cur.form, cur.other
	// A group of the user beyond the first 500 still shows as chosen.
	for _, g := range cur.groups {
		if !slices.ContainsFunc(d.Groups, func(x *admin.Group) bool { return x.ID == g.ID }) {
			d.Groups = append(d.Groups, g)
		}
	}
	return d, cur, nil
}

// currentAccess is a user's groups and own grants as the dialog edits them.
type currentAccess struct {
	form   accessForm
	groups []*admin.Group
	roles  map[string]string         // role id → grant id (tenant root, write)
	all    map[string][]*admin.Grant // collection type → grants
	items  map[string][]*admin.Grant // "project:<key>|role|access" → grants
	other  []*admin.Grant
}

func (c *Console) currentAccess(ctx context.Context, slug, id string) (*currentAccess, error) {
	cur := &currentAccess{form: newAccessForm(), roles: map[string]string{}, all: map[string][]*admin.Grant{}, items: map[string][]*admin.Grant{}}
	var err error
	if cur.groups, err = c.svc.GroupsOfUser(ctx, slug, id); err != nil {
		return nil, err
	}
	for _, g := range cur.groups {
		cur.form.Groups[g.ID] = true
	}
	var grants []*admin.Grant
	for cursor := ""; ; {
		page, err := c.svc.ListGrants(ctx, slug, admin.GrantFilter{Subject: id, Cursor: cursor, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, g := range page.Items {
			if g.SubjectType == admin.SubjectUser {
				grants = append(grants, g)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for _, g := range grants {
		switch {
		case g.ResourceType == admin.TypeTenant && g.Access == admin.AccessWrite:
			cur.roles[g.RoleID] = g.ID
			cur.form.Roles[g.RoleID] = true
		case g.ResourceType == admin.TypeCollection && slices.Contains(accessTypes, g.ResourceKey):
			t := g.ResourceKey
			if len(cur.all[t]) == 0 {
				cur.form.All[t] = allAccess{On: true, Role: g.RoleID, Access: string(g.Access)}
			}
			cur.all[t] = append(cur.all[t], g)
		case g.ResourceType == admin.TypeProject:
			k := g.Resource + "|" + g.RoleID + "|" + string(g.Access)
			cur.items[k] = append(cur.items[k], g)
			cur.form.Projects = append(cur.form.Projects, projectAccess{Key: g.ResourceKey, Role: g.RoleID, Access: string(g.Access)})
		default:
			cur.other = append(cur.other, g)
		}
	}
	return cur, nil
}

// change is what turns the user's current access into the form's: the
// grants to add (with the field of each), those to revoke, the groups to
// join and leave. Grants the dialog does not show are left alone.
func (cur *currentAccess) change(slug string, a accessForm) (admin.UserAccessChange, []string) {
	var c admin.UserAccessChange
	var fields []string
	for _, id := range sortedKeys(a.Roles) {
		if _, ok := cur.roles[id]; !ok {
			c.AddGrants = append(c.AddGrants, admin.UserGrant{Resource: "tenant:" + slug, Role: id, Access: admin.AccessWrite})
			fields = append(fields, "roles")
		}
	}
	for _, id := range sortedKeys(cur.roles) {
		if !a.Roles[id] {
			c.Revoke = append(c.Revoke, cur.roles[id])
		}
	}
	kept := map[string]bool{}
	plan := a.wanted()
	for i, g := range plan.grants {
		access := g.Access
		if access == "" {
			access = admin.AccessWrite
		}
		var have []*admin.Grant
		if typ, ok := strings.CutPrefix(g.Resource, "collection:"); ok {
			have = cur.all[typ]
		} else {
			have = cur.items[g.Resource+"|"+g.Role+"|"+string(access)]
		}
		if j := slices.IndexFunc(have, func(x *admin.Grant) bool {
			return !kept[x.ID] && x.RoleID == g.Role && x.Access == access
		}); j >= 0 {
			kept[have[j].ID] = true
			continue
		}
		c.AddGrants = append(c.AddGrants, g)
		fields = append(fields, plan.fields[i])
	}
	for _, typ := range accessTypes {
		for _, g := range cur.all[typ] {
			if !kept[g.ID] {
				c.Revoke = append(c.Revoke, g.ID)
			}
		}
	}
	for _, k := range sortedKeys(cur.items) {
		for _, g := range cur.items[k] {
			if !kept[g.ID] {
				c.Revoke = append(c.Revoke, g.ID)
			}
		}
	}
	for _, id := range sortedKeys(a.Groups) {
		if !cur.form.Groups[id] {
			c.JoinGroups = append(c.JoinGroups, id)
		}
	}
	for _, id := range sortedKeys(cur.form.Groups) {
		if !a.Groups[id] {
			c.LeaveGroups = append(c.LeaveGroups, id)
		}
	}
	return c, fields
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// accessField is the dialog field a service error about the access points
// at: the service names "groups", "join_groups", "leave_groups", "roles" or
// "grants[i].<part>", i indexing fields.
func accessField(err error, fields []string) string {
	f := admin.ErrorOf(err).Field
	switch f {
	case "groups", "join_groups", "leave_groups":
		return "groups"
	case "roles":
		return "roles"
	}
	var i int
	var part string
	if n, _ := fmt.Sscanf(f, "grants[%d].%s", &i, &part); n == 2 && i >= 0 && i < len(fields) {
		return fields[i]
	}
	return ""
}

// failAccess shows err beside the access field it names, if any, and
// reports whether it did.
func (d *dialogAccess) failAccess(b *base, err error, fields []string) bool {
	if d == nil {
		return false
	}
	if name := accessField(err, fields); name != "" {
		d.Errors[name] = b.ErrorText(err)
		return true
	}
	return false
}
