package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

// APIToken is an API token on the wire (never its secret).
type APIToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role,omitempty" doc:"The role the token is narrowed to, if any"`
	CreatedBy  string     `json:"created_by" doc:"Id of the user whose rights the token acts with"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// NewAPITokenOutput is a new token with its secret, shown this once.
type NewAPITokenOutput struct {
	APIToken
	Token string `json:"token" doc:"The secret: send it as Authorization: Bearer <token>. Shown this once."`
}

func tokenOut(t *admin.APIToken) APIToken {
	return APIToken{ID: t.ID, Name: t.Name, Role: t.Role, CreatedBy: t.UserID, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

func (a *API) registerTokens(api huma.API) {
	const tag = "API tokens"
	base := "/api/v1/tenants/{slug}/api-tokens"
	huma.Register(api, status(op("create-api-token", http.MethodPost, base, "Create an API token; its secret is shown this once", tag), http.StatusCreated),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body struct {
				Name      string     `json:"name" maxLength:"200"`
				Role      string     `json:"role,omitempty" doc:"Narrow the token to one role"`
				ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"Default: 90 days from now; at most two years"`
			}
		}) (*body[NewAPITokenOutput], error) {
			t, secret, err := a.svc.CreateAPIToken(ctx, in.Slug, admin.NewAPIToken{Name: in.Body.Name, Role: in.Body.Role, ExpiresAt: in.Body.ExpiresAt})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(NewAPITokenOutput{APIToken: tokenOut(t), Token: secret}), nil
		})

	huma.Register(api, op("list-api-tokens", http.MethodGet, base, "List the tenant's API tokens", tag),
		func(ctx context.Context, in *slugInput) (*body[Page[APIToken]], error) {
			list, err := a.svc.ListAPITokens(ctx, in.Slug)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[APIToken]{Items: make([]APIToken, 0, len(list))}
			for _, t := range list {
				out.Items = append(out.Items, tokenOut(t))
			}
			return reply(out), nil
		})

	huma.Register(api, status(op("revoke-api-token", http.MethodDelete, base+"/{id}", "Revoke an API token", tag), http.StatusNoContent),
		func(ctx context.Context, in *userInput) (*struct{}, error) {
			if err := a.svc.RevokeAPIToken(ctx, in.Slug, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})
}
