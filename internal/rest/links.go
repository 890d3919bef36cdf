package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

type tokenPasswordInput struct {
	Body struct {
		Token    string `json:"token" maxLength:"256" doc:"The token= parameter of the link in the e-mail"`
		Password string `json:"password" maxLength:"1024" doc:"The new password"`
	}
}

type resetRequestInput struct {
	Body struct {
		Tenant string `json:"tenant,omitempty" required:"false" maxLength:"100" doc:"Tenant slug; empty or absent for platform staff"`
		Email  string `json:"email" maxLength:"254"`
	}
}

type acceptedOutput struct {
	Body struct {
		Status string `json:"status" doc:"Always \"accepted\": the answer never tells whether the address exists"`
	}
}

// registerLinks adds the public endpoints that links in e-mails lead to,
// and the admin actions that send them.
func (a *API) registerLinks(api huma.API) {
	const tag = "Links"
	redeem := func(fn func(ctx context.Context, token, pw string) (*admin.User, *admin.Tenant, error)) func(context.Context, *tokenPasswordInput) (*body[User], error) {
		return func(ctx context.Context, in *tokenPasswordInput) (*body[User], error) {
			u, t, err := fn(ctx, in.Body.Token, in.Body.Password)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(userOut(u, t.Slug, a.svc.Clock().Now())), nil
		}
	}
	huma.Register(api, public(op("activate", http.MethodPost, "/api/v1/activate",
		"Set the first password from an activation link (single use)", tag)), redeem(a.svc.Activate))
	huma.Register(api, public(op("reset-password", http.MethodPost, "/api/v1/password-reset",
		"Set a new password from a reset link (single use); ends every session of the user", tag)), redeem(a.svc.ResetPassword))

	huma.Register(api, status(public(op("request-password-reset", http.MethodPost, "/api/v1/password-reset/request",
		"Forgot password: e-mail a reset link; 202 whether or not the address exists", tag)), http.StatusAccepted),
		func(ctx context.Context, in *resetRequestInput) (*acceptedOutput, error) {
			if err := a.svc.RequestPasswordReset(ctx, in.Body.Tenant, in.Body.Email); err != nil {
				return nil, a.fail(ctx, err)
			}
			out := &acceptedOutput{}
			out.Body.Status = "accepted"
			return out, nil
		})

	base := "/api/v1/tenants/{slug}/users/{id}"
	for _, act := range []struct {
		id, path, summary string
		fn                func(ctx context.Context, slug, id string) error
	}{
		{"send-password-reset", "/reset-password", "E-mail the user a password-reset link", a.svc.SendPasswordReset},
		{"resend-activation", "/resend-activation", "E-mail a pending user a new activation link", a.svc.ResendActivation},
	} {
		huma.Register(api, status(op(act.id, http.MethodPost, base+act.path, act.summary, "Users"), http.StatusAccepted),
			func(ctx context.Context, in *userInput) (*acceptedOutput, error) {
				if err := act.fn(ctx, in.Slug, in.ID); err != nil {
					return nil, a.fail(ctx, err)
				}
				out := &acceptedOutput{}
				out.Body.Status = "accepted"
				return out, nil
			})
	}
}
