package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

type userCreateBody struct {
	Username              string          `json:"username" doc:"Unique in the tenant, case-insensitively; never changes"`
	Email                 string          `json:"email" doc:"Unique in the tenant, case-insensitively"`
	FirstName             string          `json:"first_name,omitempty"`
	LastName              string          `json:"last_name,omitempty"`
	Phone                 string          `json:"phone,omitempty"`
	Locale                string          `json:"locale,omitempty" doc:"en or ja; default: the tenant's locale"`
	Type                  string          `json:"type,omitempty" doc:"admin, standard (default) or read_only"`
	Auth                  string          `json:"auth,omitempty" doc:"password (default) or sso; never changes"`
	Password              string          `json:"password,omitempty" doc:"Initial password; the user must change it at first sign-in"`
	ExpiresAt             *time.Time      `json:"expires_at,omitempty" doc:"When the account expires"`
	ExpiresInDays         *int            `json:"expires_in_days,omitempty" doc:"Expire the account this many days from now"`
	MFAEnforced           *bool           `json:"mfa_enforced,omitempty" doc:"Whether the tenant's two-factor policy applies (default true)"`
	NotificationsDisabled bool            `json:"notifications_disabled,omitempty"`
	OtherRecipients       []string        `json:"other_recipients,omitempty" doc:"Addresses copied on notifications (never on mail carrying a link or secret)"`
	Groups                []string        `json:"groups,omitempty" doc:"Ids of groups the user joins, in the same transaction (requires roster.groups.write)"`
	Roles                 []string        `json:"roles,omitempty" doc:"Ids of roles granted on the tenant (tenant:<slug>): the user's default roles"`
	Grants                []userGrantBody `json:"grants,omitempty" doc:"Roles on collections (collection:project = access to all projects) or on items (project:P1)"`
}

// userGrantBody is one grant given with a new user.
type userGrantBody struct {
	Resource string `json:"resource" doc:"type:key, e.g. collection:project or project:P1"`
	Role     string `json:"role" doc:"A role id"`
	Access   string `json:"access,omitempty" enum:"write,read_only" doc:"Default write"`
}

type userPatchBody struct {
	Username              *string    `json:"username,omitempty" doc:"Immutable: any other value is refused"`
	Auth                  *string    `json:"auth,omitempty" doc:"Immutable: any other value is refused"`
	Email                 *string    `json:"email,omitempty"`
	FirstName             *string    `json:"first_name,omitempty"`
	LastName              *string    `json:"last_name,omitempty"`
	Phone                 *string    `json:"phone,omitempty"`
	Locale                *string    `json:"locale,omitempty"`
	Type                  *string    `json:"type,omitempty"`
	Status                *string    `json:"status,omitempty" doc:"active or deactivated"`
	ExpiresAt             *time.Time `json:"expires_at,omitempty"`
	ExpiresInDays         *int       `json:"expires_in_days,omitempty" doc:"0 clears the expiry"`
	MFAEnforced           *bool      `json:"mfa_enforced,omitempty"`
	NotificationsDisabled *bool      `json:"notifications_disabled,omitempty"`
	OtherRecipients       *[]string  `json:"other_recipients,omitempty"`
	MustChangePassword    *bool      `json:"must_change_password,omitempty"`
}

type userListInput struct {
	Slug               string `path:"slug"`
	Q                  string `query:"q" doc:"Substring of username, first or last name, or e-mail"`
	Status             string `query:"status" doc:"pending, active, deactivated, removed or expired"`
	Type               string `query:"type" doc:"admin, standard or read_only"`
	IncludeDeactivated bool   `query:"include_deactivated" doc:"Also list deactivated users"`
	Group              string `query:"group" doc:"Only members of this group (id)"`
	Role               string `query:"role" doc:"Only users granted this role (id), themselves or through a group"`
	Licence            string `query:"licence"`
	Project            string `query:"project" doc:"Only users granted on this project (key), themselves or through a group"`
	Sort               string `query:"sort" doc:"username (default), -username, email, name, created_at, -created_at"`
	Cursor             string `query:"cursor"`
	Limit              int    `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
}

func userGrants(in []userGrantBody) []admin.UserGrant {
	out := make([]admin.UserGrant, len(in))
	for i, g := range in {
		out[i] = admin.UserGrant{Resource: g.Resource, Role: g.Role, Access: admin.Access(g.Access)}
	}
	return out
}

func (a *API) registerUsers(api huma.API) {
	const tag = "Users"
	base := "/api/v1/tenants/{slug}/users"

	huma.Register(api, status(op("create-user", http.MethodPost, base, "Create a user, with their groups and grants in the same transaction", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body userCreateBody
		}) (*body[User], error) {
			b := in.Body
			u, err := a.svc.CreateUser(ctx, in.Slug, admin.NewUser{
				Username: b.Username, Email: b.Email, FirstName: b.FirstName, LastName: b.LastName, Phone: b.Phone,
				Locale: b.Locale, Type: admin.UserType(b.Type), Auth: admin.AuthMethod(b.Auth), Password: b.Password,
				ExpiresAt: b.ExpiresAt, ExpiresInDays: b.ExpiresInDays, MFAEnforced: b.MFAEnforced,
				NotificationsDisabled: b.NotificationsDisabled, OtherRecipients: b.OtherRecipients,
				Groups: b.Groups, Roles: b.Roles, Grants: userGrants(b.Grants),
			})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(userOut(u, in.Slug, a.svc.Clock().Now())), nil
		})

	huma.Register(api, op("list-users", http.MethodGet, base, "Find users, one keyset page at a time", tag),
		func(ctx context.Context, in *userListInput) (*body[Page[User]], error) {
			if in.Licence != "" {
				return nil, a.fail(ctx, admin.Invalid("licence", "unsupported_filter", "Filtering by licence is not available yet."))
			}
			p, err := a.svc.SearchUsers(ctx, in.Slug, admin.UserFilter{Q: in.Q, Status: in.Status, Type: in.Type,
				IncludeDeactivated: in.IncludeDeactivated, Sort: in.Sort, Cursor: in.Cursor, Limit: in.Limit,
				Group: in.Group, Role: in.Role, Project: in.Project})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(a.usersPage(p.Items, p.NextCursor, in.Slug)), nil
		})

	huma.Register(api, op("get-user", http.MethodGet, base+"/{id}", "Get a user", tag),
		func(ctx context.Context, in *userInput) (*body[User], error) {
			u, err := a.svc.GetUser(ctx, in.Slug, in.ID)
			return a.userReply(ctx, in.Slug, u, err)
		})

	huma.Register(api, op("update-user", http.MethodPatch, base+"/{id}", "Change a user", tag),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			ID   string `path:"id"`
			Body userPatchBody
		}) (*body[User], error) {
			b := in.Body
			p := admin.UserPatch{Username: b.Username, Email: b.Email, FirstName: b.FirstName, LastName: b.LastName,
				Phone: b.Phone, Locale: b.Locale, ExpiresAt: b.ExpiresAt, ExpiresInDays: b.ExpiresInDays,
				MFAEnforced: b.MFAEnforced, NotificationsDisabled: b.NotificationsDisabled, OtherRecipients: b.OtherRecipients,
				MustChangePassword: b.MustChangePassword}
			if b.Auth != nil {
				m := admin.AuthMethod(*b.Auth)
				p.Auth = &m
			}
			if b.Type != nil {
				t := admin.UserType(*b.Type)
				p.Type = &t
			}
			if b.Status != nil {
				s := admin.Status(*b.Status)
				p.Status = &s
			}
			u, err := a.svc.UpdateUser(ctx, in.Slug, in.ID, p)
			return a.userReply(ctx, in.Slug, u, err)
		})

	huma.Register(api, status(op("delete-user", http.MethodDelete, base+"/{id}", "Remove a user (restorable for 14 days), or delete a pending one", tag), http.StatusNoContent),
		func(ctx context.Context, in *userInput) (*struct{}, error) {
			if _, err := a.svc.DeleteUser(ctx, in.Slug, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})

	actions := []struct {
		name, summary string
		fn            func(ctx context.Context, slug, id string) (*admin.User, error)
	}{
		{"deactivate", "Deactivate a user; their sessions end at once", a.svc.DeactivateUser},
		{"activate", "Activate a deactivated user", a.svc.ActivateUser},
		{"unlock", "Unlock a user locked out by failed passwords", a.svc.UnlockUser},
		{"restore", "Restore a removed user within the retention window", a.svc.RestoreUser},
	}
	for _, act := range actions {
		huma.Register(api, op(act.name+"-user", http.MethodPost, base+"/{id}/"+act.name, act.summary, tag),
			func(ctx context.Context, in *userInput) (*body[User], error) {
				u, err := act.fn(ctx, in.Slug, in.ID)
				return a.userReply(ctx, in.Slug, u, err)
			})
	}

	huma.Register(api, status(op("change-user-access", http.MethodPost, base+"/{id}/access",
		"Change a user's groups and own grants in one transaction: all of it or nothing", tag), http.StatusNoContent),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			ID   string `path:"id"`
			Body struct {
				JoinGroups  []string        `json:"join_groups,omitempty" doc:"Ids of groups the user joins"`
				LeaveGroups []string        `json:"leave_groups,omitempty" doc:"Ids of groups the user leaves"`
				Grants      []userGrantBody `json:"grants,omitempty" doc:"Roles given to the user on resources (tenant:<slug> for a default role)"`
				Revoke      []string        `json:"revoke,omitempty" doc:"Ids of the user's own grants to revoke"`
			}
		}) (*struct{}, error) {
			b := in.Body
			if err := a.svc.ChangeUserAccess(ctx, in.Slug, in.ID, admin.UserAccessChange{JoinGroups: b.JoinGroups, LeaveGroups: b.LeaveGroups,
				AddGrants: userGrants(b.Grants), Revoke: b.Revoke}); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})

	huma.Register(api, op("list-user-sessions", http.MethodGet, base+"/{id}/sessions", "A user's sessions", tag),
		func(ctx context.Context, in *userInput) (*body[Page[Session]], error) {
			list, err := a.svc.ListUserSessions(ctx, in.Slug, in.ID)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			current := ""
			if act := admin.ActorFrom(ctx); act != nil {
				current = act.SessionID
			}
			return reply(Page[Session]{Items: sessionsOut(list, current)}), nil
		})

	huma.Register(api, status(op("end-user-sessions", http.MethodDelete, base+"/{id}/sessions", "Sign a user out everywhere", tag), http.StatusNoContent),
		func(ctx context.Context, in *userInput) (*struct{}, error) {
			if _, err := a.svc.EndUserSessions(ctx, in.Slug, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})
}

func (a *API) userReply(ctx context.Context, slug string, u *admin.User, err error) (*body[User], error) {
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return reply(userOut(u, slug, a.svc.Clock().Now())), nil
}
