package rest

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

// Permission is an entry of the catalogue on the wire.
type Permission struct {
	Name        string `json:"name"`
	Kind        string `json:"kind" enum:"read,write"`
	Description string `json:"description"`
	Builtin     bool   `json:"builtin" doc:"One of Roster's own roster.* rights"`
}

// Role is a role on the wire.
type Role struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Locked      bool      `json:"locked" doc:"Cannot be edited or deleted; can be copied"`
	Predefined  bool      `json:"predefined" doc:"Ships with the catalogue; changed only there"`
	Permissions []string  `json:"permissions"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func roleOut(r *admin.Role) Role {
	return Role{ID: r.ID, Name: r.Name, Description: r.Description, Locked: r.Locked, Predefined: r.Predefined(),
		Permissions: r.Permissions, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Resource is a node of the tenant's tree on the wire.
type Resource struct {
	Type      string    `json:"type"`
	Key       string    `json:"key"`
	Ref       string    `json:"ref" doc:"type:key"`
	Name      string    `json:"name"`
	Parent    string    `json:"parent" doc:"The parent's type:key; collection:<type> when it has no explicit parent"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func resourceOut(r *admin.Resource) Resource {
	return Resource{Type: r.Type, Key: r.Key, Ref: r.Ref(), Name: r.Name, Parent: r.ParentRef(), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Subject is who a grant is for.
type Subject struct {
	Type string `json:"type" enum:"user,group"`
	ID   string `json:"id"`
}

// Grant is a grant on the wire.
type Grant struct {
	ID        string    `json:"id"`
	Subject   Subject   `json:"subject"`
	Role      string    `json:"role" doc:"The role's id"`
	Resource  string    `json:"resource" doc:"type:key"`
	Access    string    `json:"access" enum:"write,read_only"`
	CreatedAt time.Time `json:"created_at"`
}

func grantOut(g *admin.Grant) Grant {
	return Grant{ID: g.ID, Subject: Subject{Type: string(g.SubjectType), ID: g.SubjectID}, Role: g.RoleID, Resource: g.Resource,
		Access: string(g.Access), CreatedAt: g.CreatedAt}
}

// Reason says why a check allowed.
type Reason struct {
	Rule     string   `json:"rule" enum:"grant,admin_type" doc:"grant: a grant on the resource or an ancestor; admin_type: admins hold every roster.* right"`
	GrantID  string   `json:"grant_id,omitempty"`
	RoleID   string   `json:"role_id,omitempty"`
	RoleName string   `json:"role_name,omitempty"`
	Resource string   `json:"resource,omitempty" doc:"Where the grant sits"`
	GroupID  string   `json:"group_id,omitempty" doc:"The group through which the user holds the grant"`
	Path     []string `json:"path,omitempty" doc:"From the grant's resource down to the one asked about"`
}

func reasonOut(r *admin.CheckReason) *Reason {
	if r == nil {
		return nil
	}
	return &Reason{Rule: r.Rule, GrantID: r.GrantID, RoleID: r.RoleID, RoleName: r.RoleName, Resource: r.Resource, GroupID: r.GroupID, Path: r.Path}
}

// CheckResult answers one check.
type CheckResult struct {
	Allowed bool    `json:"allowed"`
	Reason  *Reason `json:"reason" doc:"Why it is allowed; null when denied"`
	Denial  string  `json:"denial,omitempty" doc:"Why it is denied: unknown_user, cannot_sign_in, unknown_permission, unknown_resource, read_only_user, no_grant"`
}

// Check is one question of a batch.
type Check struct {
	User       string `json:"user" doc:"A user id"`
	Permission string `json:"permission"`
	Resource   string `json:"resource" doc:"type:key, e.g. project:P1, collection:job, tenant:<slug>"`
}

// HeldPermission is a permission a user holds, and why.
type HeldPermission struct {
	Name   string  `json:"name"`
	Reason *Reason `json:"reason"`
}

// Holder is a user who holds a permission, and why.
type Holder struct {
	UserID   string  `json:"user_id"`
	Username string  `json:"username"`
	Reason   *Reason `json:"reason"`
}

// Misconfiguration is a problem of a project's teams.
type Misconfiguration struct {
	Problem  string   `json:"problem" enum:"no_team,several_teams"`
	UserID   string   `json:"user_id"`
	Username string   `json:"username"`
	GroupIDs []string `json:"group_ids" doc:"The teams the user is on"`
}

type resourceInput struct {
	Slug string `path:"slug"`
	Type string `path:"type"`
	Key  string `path:"key"`
}

func (a *API) registerAccess(api huma.API) {
	a.registerPermissions(api)
	a.registerRoles(api)
	a.registerResources(api)
	a.registerGrants(api)
	a.registerChecks(api)
}

func (a *API) registerPermissions(api huma.API) {
	huma.Register(api, op("list-permissions", http.MethodGet, "/api/v1/permissions", "The permission catalogue", "Permissions"),
		func(ctx context.Context, in *struct{}) (*body[Page[Permission]], error) {
			list, err := a.svc.ListPermissions(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Permission]{Items: make([]Permission, 0, len(list))}
			for _, p := range list {
				out.Items = append(out.Items, Permission{Name: p.Name, Kind: string(p.Kind), Description: p.Description, Builtin: p.Builtin})
			}
			return reply(out), nil
		})
	huma.Register(api, status(op("register-permission", http.MethodPost, "/api/v1/permissions", "Register a host permission (staff)", "Permissions"), http.StatusCreated),
		func(ctx context.Context, in *body[struct {
			Name        string `json:"name" doc:"Dotted lower-case words, e.g. defects.edit"`
			Kind        string `json:"kind" enum:"read,write"`
			Description string `json:"description,omitempty"`
		}]) (*body[Permission], error) {
			p, err := a.svc.RegisterPermission(ctx, in.Body.Name, admin.PermKind(in.Body.Kind), in.Body.Description)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(Permission{Name: p.Name, Kind: string(p.Kind), Description: p.Description, Builtin: p.Builtin}), nil
		})
}

func (a *API) registerRoles(api huma.API) {
	const tag = "Roles"
	base := "/api/v1/tenants/{slug}/roles"
	huma.Register(api, op("list-roles", http.MethodGet, base, "Predefined and custom roles, with their permissions", tag),
		func(ctx context.Context, in *slugInput) (*body[Page[Role]], error) {
			list, err := a.svc.ListRoles(ctx, in.Slug)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Role]{Items: make([]Role, 0, len(list))}
			for _, r := range list {
				out.Items = append(out.Items, roleOut(r))
			}
			return reply(out), nil
		})
	huma.Register(api, status(op("create-role", http.MethodPost, base, "Create a custom role", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body struct {
				Name        string   `json:"name"`
				Description string   `json:"description,omitempty"`
				Permissions []string `json:"permissions"`
			}
		}) (*body[Role], error) {
			r, err := a.svc.CreateRole(ctx, in.Slug, admin.NewRole{Name: in.Body.Name, Description: in.Body.Description, Permissions: in.Body.Permissions})
			return a.roleReply(ctx, r, err)
		})
	huma.Register(api, op("get-role", http.MethodGet, base+"/{id}", "Get a role and its permissions", tag),
		func(ctx context.Context, in *groupInput) (*body[Role], error) {
			r, err := a.svc.GetRole(ctx, in.Slug, in.ID)
			return a.roleReply(ctx, r, err)
		})
	huma.Register(api, op("update-role", http.MethodPatch, base+"/{id}", "Edit a custom role", tag),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			ID   string `path:"id"`
			Body struct {
				Name        *string   `json:"name,omitempty"`
				Description *string   `json:"description,omitempty"`
				Permissions *[]string `json:"permissions,omitempty"`
			}
		}) (*body[Role], error) {
			r, err := a.svc.UpdateRole(ctx, in.Slug, in.ID, admin.RolePatch{Name: in.Body.Name, Description: in.Body.Description, Permissions: in.Body.Permissions})
			return a.roleReply(ctx, r, err)
		})
	huma.Register(api, status(op("delete-role", http.MethodDelete, base+"/{id}", "Delete a custom role; while granted, name a replacement", tag), http.StatusNoContent),
		func(ctx context.Context, in *struct {
			Slug        string `path:"slug"`
			ID          string `path:"id"`
			Replacement string `query:"replacement" doc:"The role every grant of this one moves to"`
		}) (*struct{}, error) {
			if err := a.svc.DeleteRole(ctx, in.Slug, in.ID, in.Replacement); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(api, status(op("copy-role", http.MethodPost, base+"/{id}/copy", "Copy any role into a new custom role", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			ID   string `path:"id"`
			Body struct {
				Name string `json:"name"`
			}
		}) (*body[Role], error) {
			r, err := a.svc.CopyRole(ctx, in.Slug, in.ID, in.Body.Name)
			return a.roleReply(ctx, r, err)
		})
}

func (a *API) roleReply(ctx context.Context, r *admin.Role, err error) (*body[Role], error) {
	return render(a, ctx, r, err, roleOut)
}

func (a *API) registerResources(api huma.API) {
	const tag = "Resources"
	base := "/api/v1/tenants/{slug}/resources"
	huma.Register(api, status(op("create-resource", http.MethodPost, base, "Add a resource to the tree", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body struct {
				Type   string `json:"type" doc:"project, folder, library, job, or any lower-case word"`
				Key    string `json:"key" doc:"The host's own id, unique per type"`
				Name   string `json:"name,omitempty"`
				Parent string `json:"parent,omitempty" doc:"type:key of the parent; folders need a project or folder"`
			}
		}) (*body[Resource], error) {
			b := in.Body
			r, err := a.svc.CreateResource(ctx, in.Slug, admin.NewResource{Type: b.Type, Key: b.Key, Name: b.Name, Parent: b.Parent})
			return a.resourceReply(ctx, r, err)
		})
	huma.Register(api, op("list-resources", http.MethodGet, base, "List resources by type or parent", tag),
		func(ctx context.Context, in *struct {
			Slug   string `path:"slug"`
			Type   string `query:"type"`
			Parent string `query:"parent" doc:"type:key, or collection:<type> for the items directly under it"`
			Q      string `query:"q" doc:"A part of the key or the name, any case"`
			Cursor string `query:"cursor"`
			Limit  int    `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
		}) (*body[Page[Resource]], error) {
			p, err := a.svc.ListResources(ctx, in.Slug, admin.ResourceFilter{Type: in.Type, Parent: in.Parent, Q: in.Q, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Resource]{Items: make([]Resource, 0, len(p.Items)), NextCursor: p.NextCursor}
			for _, r := range p.Items {
				out.Items = append(out.Items, resourceOut(r))
			}
			return reply(out), nil
		})
	huma.Register(api, op("get-resource", http.MethodGet, base+"/{type}/{key}", "Get a resource", tag),
		func(ctx context.Context, in *resourceInput) (*body[Resource], error) {
			r, err := a.svc.GetResource(ctx, in.Slug, in.Type, in.Key)
			return a.resourceReply(ctx, r, err)
		})
	huma.Register(api, op("update-resource", http.MethodPatch, base+"/{type}/{key}", "Rename or move a resource with its subtree", tag),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Type string `path:"type"`
			Key  string `path:"key"`
			Body struct {
				Name   *string `json:"name,omitempty"`
				Parent *string `json:"parent,omitempty" doc:"type:key of the new parent; empty puts an item under its collection"`
			}
		}) (*body[Resource], error) {
			r, err := a.svc.UpdateResource(ctx, in.Slug, in.Type, in.Key, admin.ResourcePatch{Name: in.Body.Name, Parent: in.Body.Parent})
			return a.resourceReply(ctx, r, err)
		})
	huma.Register(api, status(op("delete-resource", http.MethodDelete, base+"/{type}/{key}", "Delete a resource, its subtree and their grants", tag), http.StatusNoContent),
		func(ctx context.Context, in *resourceInput) (*struct{}, error) {
			if err := a.svc.DeleteResource(ctx, in.Slug, in.Type, in.Key); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(api, op("resource-tree", http.MethodGet, base+"/{type}/{key}/tree", "A resource and everything under it (a project's folders)", tag),
		func(ctx context.Context, in *resourceInput) (*body[Page[Resource]], error) {
			list, err := a.svc.ResourceTree(ctx, in.Slug, in.Type, in.Key)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Resource]{Items: make([]Resource, 0, len(list))}
			for _, r := range list {
				out.Items = append(out.Items, resourceOut(r))
			}
			return reply(out), nil
		})
	huma.Register(api, op("inherited-grants", http.MethodGet, base+"/{type}/{key}/inherited-grants", "The grants a resource inherits from its ancestors, nearest first", tag),
		func(ctx context.Context, in *resourceInput) (*body[Page[Grant]], error) {
			list, err := a.svc.InheritedGrants(ctx, in.Slug, in.Type+":"+in.Key)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Grant]{Items: make([]Grant, 0, len(list))}
			for _, g := range list {
				out.Items = append(out.Items, grantOut(g))
			}
			return reply(out), nil
		})
	huma.Register(api, op("list-misconfigurations", http.MethodGet, base+"/{type}/{key}/misconfigurations", "A project's team problems: users on no team or on several", tag),
		func(ctx context.Context, in *resourceInput) (*body[Page[Misconfiguration]], error) {
			list, err := a.svc.Misconfigurations(ctx, in.Slug, in.Type, in.Key)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Misconfiguration]{Items: make([]Misconfiguration, 0, len(list))}
			for _, m := range list {
				out.Items = append(out.Items, Misconfiguration{Problem: m.Problem, UserID: m.UserID, Username: m.Username, GroupIDs: m.GroupIDs})
			}
			return reply(out), nil
		})
	huma.Register(api, op("who-holds", http.MethodGet, base+"/{type}/{key}/who", "Who holds a permission on a resource, and why", tag),
		func(ctx context.Context, in *struct {
			Slug       string `path:"slug"`
			Type       string `path:"type"`
			Key        string `path:"key"`
			Permission string `query:"permission"`
			Limit      int    `query:"limit" doc:"At most this many users, 1 to 10000 (default 1000)"`
		}) (*body[Page[Holder]], error) {
			list, err := a.svc.WhoHolds(ctx, in.Slug, in.Type, in.Key, in.Permission, in.Limit)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Holder]{Items: make([]Holder, 0, len(list))}
			for _, h := range list {
				out.Items = append(out.Items, Holder{UserID: h.UserID, Username: h.Username, Reason: reasonOut(h.Reason)})
			}
			return reply(out), nil
		})
}

func (a *API) resourceReply(ctx context.Context, r *admin.Resource, err error) (*body[Resource], error) {
	return render(a, ctx, r, err, resourceOut)
}

func (a *API) registerGrants(api huma.API) {
	const tag = "Grants"
	base := "/api/v1/tenants/{slug}/grants"
	huma.Register(api, status(op("create-grant", http.MethodPost, base, "Grant a role on a resource to a user or group", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body struct {
				Subject  Subject `json:"subject"`
				Role     string  `json:"role" doc:"A role id"`
				Resource string  `json:"resource" doc:"type:key"`
				Access   string  `json:"access,omitempty" enum:"write,read_only" doc:"Default write"`
			}
		}) (*body[Grant], error) {
			b := in.Body
			g, err := a.svc.CreateGrant(ctx, in.Slug, admin.NewGrant{SubjectType: admin.SubjectType(b.Subject.Type), SubjectID: b.Subject.ID,
				Role: b.Role, Resource: b.Resource, Access: admin.Access(b.Access)})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(grantOut(g)), nil
		})
	huma.Register(api, op("list-grants", http.MethodGet, base, "Grants of a subject, on a resource, or all", tag),
		func(ctx context.Context, in *struct {
			Slug      string   `path:"slug"`
			Subject   string   `query:"subject" doc:"A user or group id"`
			Resource  string   `query:"resource" doc:"type:key"`
			Resources []string `query:"resources,explode" doc:"Repeated: items of one type (type:key), at most 200, e.g. the projects of a matrix page; not with resource"`
			Cursor    string   `query:"cursor"`
			Limit     int      `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
		}) (*body[Page[Grant]], error) {
			p, err := a.svc.ListGrants(ctx, in.Slug, admin.GrantFilter{Subject: in.Subject, Resource: in.Resource, Resources: in.Resources, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Grant]{Items: make([]Grant, 0, len(p.Items)), NextCursor: p.NextCursor}
			for _, g := range p.Items {
				out.Items = append(out.Items, grantOut(g))
			}
			return reply(out), nil
		})
	huma.Register(api, op("update-grant", http.MethodPatch, base+"/{id}", "Change a grant's role or access in place", tag),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			ID   string `path:"id"`
			Body struct {
				Role   *string `json:"role,omitempty" doc:"A role id"`
				Access *string `json:"access,omitempty" enum:"write,read_only"`
			}
		}) (*body[Grant], error) {
			p := admin.GrantPatch{Role: in.Body.Role}
			if in.Body.Access != nil {
				acc := admin.Access(*in.Body.Access)
				p.Access = &acc
			}
			g, err := a.svc.UpdateGrant(ctx, in.Slug, in.ID, p)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(grantOut(g)), nil
		})
	huma.Register(api, status(op("delete-grant", http.MethodDelete, base+"/{id}", "Revoke a grant", tag), http.StatusNoContent),
		func(ctx context.Context, in *groupInput) (*struct{}, error) {
			if err := a.svc.DeleteGrant(ctx, in.Slug, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})
}

func (a *API) registerChecks(api huma.API) {
	const tag = "Checks"
	// POST check is the hot path of the API: its body is read by
	// decodeChecks, which takes the usual shape of a batch in one pass and
	// without reflection; anything else (other content types, escapes,
	// unknown or missing fields, too many checks) goes the general way,
	// validated against the schema as every other body is, with the same
	// problems.
	const checkPath = "/api/v1/tenants/{slug}/check"
	checkSchema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(checkRequest{}), true, "CheckRequest")
	huma.Register(api, op("check", http.MethodPost, checkPath, "May these users do these things here? With the reason", tag),
		func(ctx context.Context, in *struct {
			Slug        string `path:"slug"`
			ContentType string `header:"Content-Type" hidden:"true"`
			RawBody     []byte // huma neither parses nor validates it: readChecks does
		}) (*body[struct {
			Results []CheckResult `json:"results"`
		}], error) {
			reqs, err := readChecks(api, checkSchema, in.ContentType, in.RawBody)
			if err != nil {
				return nil, err
			}
			res, err := a.svc.Check(ctx, in.Slug, reqs)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := make([]CheckResult, len(res))
			for i, r := range res {
				out[i] = CheckResult{Allowed: r.Allowed, Reason: reasonOut(r.Reason), Denial: r.Denial}
			}
			return reply(struct {
				Results []CheckResult `json:"results"`
			}{out}), nil
		})
	// The document describes the body as the schema, not as raw bytes.
	api.OpenAPI().Paths[checkPath].Post.RequestBody.Content = map[string]*huma.MediaType{"application/json": {Schema: checkSchema}}
	huma.Register(api, op("user-permissions", http.MethodGet, "/api/v1/tenants/{slug}/users/{id}/permissions", "What a user holds on a resource, and why", tag),
		func(ctx context.Context, in *struct {
			Slug     string `path:"slug"`
			ID       string `path:"id"`
			Resource string `query:"resource" doc:"type:key; default the tenant"`
		}) (*body[struct {
			Permissions []HeldPermission `json:"permissions"`
		}], error) {
			held, err := a.svc.EffectivePermissions(ctx, in.Slug, in.ID, in.Resource)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := make([]HeldPermission, len(held))
			for i, h := range held {
				out[i] = HeldPermission{Name: h.Name, Reason: reasonOut(h.Reason)}
			}
			return reply(struct {
				Permissions []HeldPermission `json:"permissions"`
			}{out}), nil
		})
}
