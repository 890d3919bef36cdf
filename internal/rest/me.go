package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

type myPatchBody struct {
	FirstName             *string   `json:"first_name,omitempty"`
	LastName              *string   `json:"last_name,omitempty"`
	Phone                 *string   `json:"phone,omitempty"`
	Locale                *string   `json:"locale,omitempty" doc:"en or ja"`
	NotificationsDisabled *bool     `json:"notifications_disabled,omitempty"`
	OtherRecipients       *[]string `json:"other_recipients,omitempty"`
}

type endedOutput struct {
	Body struct {
		Ended int `json:"ended" doc:"How many sessions ended"`
	}
}

// registerMe adds what a signed-in person may do to their own account
// beyond the session routes: edit their profile, end their other sessions.
func (a *API) registerMe(api huma.API) {
	huma.Register(api, op("update-me", http.MethodPatch, "/api/v1/me", "Change your own profile (not your e-mail, type or status)", "Session"),
		func(ctx context.Context, in *struct{ Body myPatchBody }) (*body[User], error) {
			b := in.Body
			u, err := a.svc.UpdateMe(ctx, admin.MyPatch{
				FirstName: b.FirstName, LastName: b.LastName, Phone: b.Phone, Locale: b.Locale,
				NotificationsDisabled: b.NotificationsDisabled, OtherRecipients: b.OtherRecipients,
			})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			_, t, err := a.svc.Me(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(userOut(u, t.Slug, a.svc.Clock().Now())), nil
		})

	huma.Register(api, op("end-my-other-sessions", http.MethodDelete, "/api/v1/me/sessions", "End all your sessions but this one", "Session"),
		func(ctx context.Context, _ *struct{}) (*endedOutput, error) {
			n, err := a.svc.EndMyOtherSessions(ctx)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := &endedOutput{}
			out.Body.Ended = n
			return out, nil
		})
}

// NewSessionCookie is the session cookie carrying token until expires, with
// the foundation's rules (HttpOnly, SameSite=Lax, Secure over TLS). An
// empty token makes a cookie that deletes the session cookie. The console
// uses it too, so that both sign-ins set the same cookie.
func NewSessionCookie(token string, expires time.Time, secure bool) http.Cookie {
	c := http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, Expires: expires}
	if token == "" {
		c.MaxAge = -1
	}
	return c
}
