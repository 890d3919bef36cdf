package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

// Group is a group on the wire.
type Group struct {
	ID          string    `json:"id" doc:"Opaque id; a rename keeps it"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	MemberCount int       `json:"member_count"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func groupOut(g *admin.Group) Group {
	return Group{ID: g.ID, Name: g.Name, Description: g.Description, MemberCount: g.MemberCount, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

type groupInput struct {
	Slug string `path:"slug"`
	ID   string `path:"id"`
}

type membersBody struct {
	UserIDs []string `json:"user_ids" minItems:"1" maxItems:"1000" doc:"Ids of users of the tenant"`
}

// MembersChanged reports a bulk membership change.
type MembersChanged struct {
	UserIDs []string `json:"user_ids" doc:"The users whose membership changed; those already so are left out"`
}

func (a *API) registerGroups(api huma.API) {
	const tag = "Groups"
	base := "/api/v1/tenants/{slug}/groups"

	huma.Register(api, status(op("create-group", http.MethodPost, base, "Create a group", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body struct {
				Name        string `json:"name"`
				Description string `json:"description,omitempty"`
			}
		}) (*body[Group], error) {
			g, err := a.svc.CreateGroup(ctx, in.Slug, admin.NewGroup{Name: in.Body.Name, Description: in.Body.Description})
			return a.groupReply(ctx, g, err)
		})

	huma.Register(api, op("list-groups", http.MethodGet, base, "List groups in name order, one keyset page at a time", tag),
		func(ctx context.Context, in *struct {
			Slug   string `path:"slug"`
			Q      string `query:"q" doc:"Substring of the name"`
			Cursor string `query:"cursor"`
			Limit  int    `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
		}) (*body[Page[Group]], error) {
			p, err := a.svc.ListGroups(ctx, in.Slug, admin.GroupFilter{Q: in.Q, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Group]{Items: make([]Group, 0, len(p.Items)), NextCursor: p.NextCursor}
			for _, g := range p.Items {
				out.Items = append(out.Items, groupOut(g))
			}
			return reply(out), nil
		})

	huma.Register(api, op("get-group", http.MethodGet, base+"/{id}", "Get a group", tag),
		func(ctx context.Context, in *groupInput) (*body[Group], error) {
			g, err := a.svc.GetGroup(ctx, in.Slug, in.ID)
			return a.groupReply(ctx, g, err)
		})

	huma.Register(api, op("update-group", http.MethodPatch, base+"/{id}", "Rename a group (its id stays) or change its description", tag),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			ID   string `path:"id"`
			Body struct {
				Name        *string `json:"name,omitempty"`
				Description *string `json:"description,omitempty"`
			}
		}) (*body[Group], error) {
			g, err := a.svc.UpdateGroup(ctx, in.Slug, in.ID, admin.GroupPatch{Name: in.Body.Name, Description: in.Body.Description})
			return a.groupReply(ctx, g, err)
		})

	huma.Register(api, status(op("delete-group", http.MethodDelete, base+"/{id}", "Delete a group; 409 group_in_use while it is granted anywhere", tag), http.StatusNoContent),
		func(ctx context.Context, in *groupInput) (*struct{}, error) {
			if err := a.svc.DeleteGroup(ctx, in.Slug, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})

	huma.Register(api, op("list-group-members", http.MethodGet, base+"/{id}/members", "A group's members in username order", tag),
		func(ctx context.Context, in *struct {
			Slug   string `path:"slug"`
			ID     string `path:"id"`
			Cursor string `query:"cursor"`
			Limit  int    `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
		}) (*body[Page[User]], error) {
			p, err := a.svc.ListMembers(ctx, in.Slug, in.ID, in.Cursor, in.Limit)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(a.usersPage(p.Items, p.NextCursor, in.Slug)), nil
		})

	for _, m := range []struct {
		method, id, summary string
		fn                  func(ctx context.Context, slug, groupID string, ids []string) ([]string, error)
	}{
		{http.MethodPost, "add-group-members", "Add users to a group in bulk", a.svc.AddMembers},
		{http.MethodDelete, "remove-group-members", "Remove users from a group in bulk", a.svc.RemoveMembers},
	} {
		huma.Register(api, op(m.id, m.method, base+"/{id}/members", m.summary, tag),
			func(ctx context.Context, in *struct {
				Slug string `path:"slug"`
				ID   string `path:"id"`
				Body membersBody
			}) (*body[MembersChanged], error) {
				ids, err := m.fn(ctx, in.Slug, in.ID, in.Body.UserIDs)
				if err != nil {
					return nil, a.fail(ctx, err)
				}
				return reply(MembersChanged{UserIDs: ids}), nil
			})
	}

	huma.Register(api, op("list-user-groups", http.MethodGet, "/api/v1/tenants/{slug}/users/{id}/groups", "The groups a user belongs to", tag),
		func(ctx context.Context, in *userInput) (*body[Page[Group]], error) {
			list, err := a.svc.GroupsOfUser(ctx, in.Slug, in.ID)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Group]{Items: make([]Group, 0, len(list))}
			for _, g := range list {
				out.Items = append(out.Items, groupOut(g))
			}
			return reply(out), nil
		})
}

func (a *API) groupReply(ctx context.Context, g *admin.Group, err error) (*body[Group], error) {
	return render(a, ctx, g, err, groupOut)
}

// usersPage renders a page of users of the tenant slug.
func (a *API) usersPage(items []*admin.User, next, slug string) Page[User] {
	now := a.svc.Clock().Now()
	out := Page[User]{Items: make([]User, 0, len(items)), NextCursor: next}
	for _, u := range items {
		out.Items = append(out.Items, userOut(u, slug, now))
	}
	return out
}

// render answers v as its wire form, or the problem for err.
func render[T, W any](a *API, ctx context.Context, v T, err error, out func(T) W) (*body[W], error) {
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return reply(out(v)), nil
}
