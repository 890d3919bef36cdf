package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

type signInInput struct {
	Body struct {
		Tenant   string `json:"tenant,omitempty" required:"false" doc:"Tenant slug; empty or absent for platform staff"`
		Username string `json:"username" maxLength:"254" doc:"Username or e-mail address"`
		Password string `json:"password" maxLength:"1024"`
		TOTP     string `json:"totp,omitempty" required:"false" doc:"A TOTP code or a recovery code, when two-factor authentication is due"`
	}
}

type signInOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      struct {
		User User `json:"user"`
	}
}

type passwordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"1024"`
		NewPassword     string `json:"new_password" maxLength:"1024"`
	}
}

type idInput struct {
	ID string `path:"id"`
}

type cookieOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

func (a *API) registerSession(api huma.API) {
	huma.Register(api, public(op("sign-in", http.MethodPost, "/api/v1/session", "Sign in", "Session")),
		func(ctx context.Context, in *signInInput) (*signInOutput, error) {
			res, err := a.svc.SignIn(ctx, admin.Credentials{Tenant: in.Body.Tenant, Username: in.Body.Username, Password: in.Body.Password, TOTP: in.Body.TOTP})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := &signInOutput{SetCookie: a.cookie(res.Token, res.Session.ExpiresAt)}
			out.Body.User = meOut(res.User, res.Tenant, a.svc.Clock().Now())
			return out, nil
		})

	huma.Register(api, status(op("sign-out", http.MethodDelete, "/api/v1/session", "Sign out", "Session"), http.StatusNoContent),
		func(ctx context.Context, _ *struct{}) (*cookieOutput, error) {
			if err := a.svc.SignOut(ctx); err != nil {
				return nil, a.fail(ctx, err)
			}
			return &cookieOutput{SetCookie: a.cookie("", time.Unix(0, 0))}, nil
		})

	huma.Register(api, op("get-me", http.MethodGet, "/api/v1/me", "The signed-in user", "Session"),
		func(ctx context.Context, _ *struct{}) (*body[User], error) {
			u, t, err := a.svc.Me(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(meOut(u, t, a.svc.Clock().Now())), nil
		})

	huma.Register(api, op("change-password", http.MethodPost, "/api/v1/me/password", "Change your password; ends your other sessions", "Session"),
		func(ctx context.Context, in *passwordInput) (*body[User], error) {
			u, err := a.svc.ChangePassword(ctx, in.Body.CurrentPassword, in.Body.NewPassword)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			_, t, err := a.svc.Me(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(meOut(u, t, a.svc.Clock().Now())), nil
		})

	huma.Register(api, op("list-my-sessions", http.MethodGet, "/api/v1/me/sessions", "Your sessions", "Session"),
		func(ctx context.Context, _ *struct{}) (*body[Page[Session]], error) {
			list, err := a.svc.MySessions(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(Page[Session]{Items: sessionsOut(list, admin.ActorFrom(ctx).SessionID)}), nil
		})

	huma.Register(api, status(op("end-my-session", http.MethodDelete, "/api/v1/me/sessions/{id}", "End one of your sessions", "Session"), http.StatusNoContent),
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			if err := a.svc.EndMySession(ctx, in.ID); err != nil {
				return nil, a.fail(ctx, err)
			}
			return nil, nil
		})
}

// meOut is the signed-in user, with what is due before anything else.
func meOut(u *admin.User, t *admin.Tenant, now time.Time) User {
	out := userOut(u, t.Slug, now)
	out.MFAEnrollmentRequired = admin.MFAEnrollmentDue(t, u)
	return out
}

// cookie is the session cookie carrying token until expires.
func (a *API) cookie(token string, expires time.Time) http.Cookie {
	return NewSessionCookie(token, expires, a.cfg.SecureCookie)
}
