package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

// InvitationGrant is a grant an invitation gives on acceptance.
type InvitationGrant struct {
	Role     string `json:"role" doc:"A role's id or name"`
	Resource string `json:"resource" doc:"type:key, e.g. project:P1"`
	Access   string `json:"access,omitempty" enum:"write,read_only" doc:"write (default) or read_only"`
}

// Invitation is an invitation on the wire.
type Invitation struct {
	ID             string            `json:"id"`
	Email          string            `json:"email"`
	Locale         string            `json:"locale" enum:"en,ja"`
	Type           string            `json:"type" enum:"admin,standard,read_only"`
	Roles          []string          `json:"roles"`
	Groups         []string          `json:"groups"`
	Grants         []InvitationGrant `json:"grants"`
	Status         string            `json:"status" enum:"pending,accepted,revoked,expired"`
	InvitedBy      string            `json:"invited_by" doc:"Id of the user who invited"`
	InvitedByName  string            `json:"invited_by_name"`
	SentCount      int               `json:"sent_count" doc:"How many times the invitation was e-mailed"`
	AcceptedUserID string            `json:"accepted_user_id,omitempty" doc:"The user the invitation became"`
	ExpiresAt      time.Time         `json:"expires_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

func invitationOut(inv *admin.Invitation, now time.Time) Invitation {
	out := Invitation{ID: inv.ID, Email: inv.Email, Locale: inv.Locale, Type: string(inv.Type), Roles: inv.Roles,
		Groups: inv.Groups, Grants: make([]InvitationGrant, 0, len(inv.Grants)), Status: inv.DisplayStatus(now),
		InvitedBy: inv.InvitedBy, InvitedByName: inv.InvitedByName, SentCount: inv.SentCount,
		AcceptedUserID: inv.AcceptedUserID, ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt, UpdatedAt: inv.UpdatedAt}
	for _, g := range inv.Grants {
		out.Grants = append(out.Grants, InvitationGrant(g))
	}
	return out
}

type invitationCreateBody struct {
	Email  string            `json:"email" maxLength:"254"`
	Locale string            `json:"locale,omitempty" doc:"Language of the mail and of the new user: en or ja; default: the tenant's"`
	Type   string            `json:"type,omitempty" doc:"admin, standard (default) or read_only"`
	Roles  []string          `json:"roles,omitempty" doc:"Roles to give on acceptance"`
	Groups []string          `json:"groups,omitempty" doc:"Groups to join on acceptance"`
	Grants []InvitationGrant `json:"grants,omitempty" doc:"Grants to give on acceptance"`
}

type invitationInput struct {
	Slug string `path:"slug"`
	ID   string `path:"id"`
}

type acceptInput struct {
	Body struct {
		Token     string `json:"token" maxLength:"256" doc:"The token= parameter of the invitation link"`
		Username  string `json:"username" maxLength:"64"`
		Password  string `json:"password,omitempty" required:"false" maxLength:"1024"`
		FirstName string `json:"first_name,omitempty" required:"false" maxLength:"100"`
		LastName  string `json:"last_name,omitempty" required:"false" maxLength:"100"`
	}
}

func (a *API) registerInvitations(api huma.API) {
	const tag = "Invitations"
	base := "/api/v1/tenants/{slug}/invitations"

	huma.Register(api, status(op("create-invitation", http.MethodPost, base, "Invite an e-mail address to the tenant", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body invitationCreateBody
		}) (*body[Invitation], error) {
			b := in.Body
			ni := admin.NewInvitation{Email: b.Email, Locale: b.Locale, Type: admin.UserType(b.Type), Roles: b.Roles, Groups: b.Groups}
			for _, g := range b.Grants {
				ni.Grants = append(ni.Grants, admin.InvitationGrant(g))
			}
			inv, err := a.svc.Invite(ctx, in.Slug, ni)
			return a.invitationReply(ctx, inv, err)
		})

	huma.Register(api, op("list-invitations", http.MethodGet, base, "List invitations, newest first", tag),
		func(ctx context.Context, in *struct {
			Slug   string `path:"slug"`
			Status string `query:"status" doc:"pending (default), accepted, revoked, expired or all"`
			Cursor string `query:"cursor"`
			Limit  int    `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
		}) (*body[Page[Invitation]], error) {
			p, err := a.svc.ListInvitations(ctx, in.Slug, admin.InvitationFilter{Status: in.Status, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			now := a.svc.Clock().Now()
			out := Page[Invitation]{Items: make([]Invitation, 0, len(p.Items)), NextCursor: p.NextCursor}
			for _, inv := range p.Items {
				out.Items = append(out.Items, invitationOut(inv, now))
			}
			return reply(out), nil
		})

	huma.Register(api, op("get-invitation", http.MethodGet, base+"/{id}", "Get an invitation", tag),
		func(ctx context.Context, in *invitationInput) (*body[Invitation], error) {
			inv, err := a.svc.GetInvitation(ctx, in.Slug, in.ID)
			return a.invitationReply(ctx, inv, err)
		})

	huma.Register(api, op("resend-invitation", http.MethodPost, base+"/{id}/resend", "E-mail a pending invitation again with a new link", tag),
		func(ctx context.Context, in *invitationInput) (*body[Invitation], error) {
			inv, err := a.svc.ResendInvitation(ctx, in.Slug, in.ID)
			return a.invitationReply(ctx, inv, err)
		})

	huma.Register(api, status(op("revoke-invitation", http.MethodDelete, base+"/{id}", "Revoke a pending invitation", tag), http.StatusNoContent),
		func(ctx context.Context, in *invitationInput) (*struct{}, error) {
			if err := a.svc.RevokeInvitation(ctx, in.Slug, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})

	huma.Register(api, status(public(op("accept-invitation", http.MethodPost, "/api/v1/invitations/accept",
		"Accept an invitation: create the account with a username and password (single use)", tag)), http.StatusCreated),
		func(ctx context.Context, in *acceptInput) (*body[User], error) {
			b := in.Body
			u, t, err := a.svc.AcceptInvitation(ctx, admin.InvitationAcceptance{Token: b.Token, Username: b.Username,
				Password: b.Password, FirstName: b.FirstName, LastName: b.LastName})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(userOut(u, t.Slug, a.svc.Clock().Now())), nil
		})
}

func (a *API) invitationReply(ctx context.Context, inv *admin.Invitation, err error) (*body[Invitation], error) {
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return reply(invitationOut(inv, a.svc.Clock().Now())), nil
}
