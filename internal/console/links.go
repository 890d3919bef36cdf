package console

import (
	"net/http"
	"net/url"

	"roster/internal/admin"
)

// registerLinks adds the public pages that e-mailed links open (their
// paths are the ones admin.Service puts in the mail) and "forgot password".
func (c *Console) registerLinks(mux *http.ServeMux) {
	mux.Handle("GET /forgot-password", c.serve(public, c.forgotPage))
	mux.Handle("POST /forgot-password", c.serve(public, c.forgotPassword))
	for _, k := range []linkKind{resetLink, activationLink} {
		mux.Handle("GET "+k.path, c.serve(public, c.linkPasswordPage(k)))
		mux.Handle("POST "+k.path, c.serve(public, c.linkPassword(k)))
	}
	mux.Handle("GET /accept-invitation", c.serve(public, c.acceptPage))
	mux.Handle("POST /accept-invitation", c.serve(public, c.acceptInvitation))
}

type forgotPage struct {
	*base
	Form *form
	Sent bool
}

func (c *Console) forgotPage(w http.ResponseWriter, r *http.Request) error {
	f := newForm()
	f.Values["tenant"] = r.URL.Query().Get("tenant")
	c.render(w, r, http.StatusOK, "forgot", &forgotPage{base: c.base(r), Form: f})
	return nil
}

// forgotPassword asks for a reset link. The page that follows is the same
// whether or not the address is known (the service decides in the
// background, R-A5).
func (c *Console) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	f := formFrom(r, "tenant", "email")
	if err := c.svc.RequestPasswordReset(r.Context(), formValue(r, "tenant"), formValue(r, "email")); err != nil {
		b := c.base(r)
		f.fail(b, err, "email")
		c.render(w, r, statusOf(err), "forgot", &forgotPage{base: b, Form: f})
		return nil
	}
	c.render(w, r, http.StatusOK, "forgot", &forgotPage{base: c.base(r), Form: f, Sent: true})
	return nil
}

// linkKind is a page where a link's token sets a password.
type linkKind struct {
	path, title, intro, submit, done string
	redeem                           func(c *Console, r *http.Request, token, pw string) (*admin.User, *admin.Tenant, error)
}

var (
	resetLink = linkKind{"/reset-password", "reset.title", "reset.intro", "reset.submit", "password_reset",
		func(c *Console, r *http.Request, token, pw string) (*admin.User, *admin.Tenant, error) {
			return c.svc.ResetPassword(r.Context(), token, pw)
		}}
	activationLink = linkKind{"/activate", "activate.title", "activate.intro", "activate.submit", "account_activated",
		func(c *Console, r *http.Request, token, pw string) (*admin.User, *admin.Tenant, error) {
			return c.svc.Activate(r.Context(), token, pw)
		}}
)

type linkPasswordPage struct {
	*base
	Path, Title, Intro, Submit string
	Token                      string
	Form                       *form
}

func (c *Console) renderLinkPassword(w http.ResponseWriter, r *http.Request, k linkKind, token string, f *form, status int) {
	b := c.base(r)
	c.render(w, r, status, "linkpassword", &linkPasswordPage{base: b, Path: k.path, Title: b.T(k.title), Intro: b.T(k.intro),
		Submit: b.T(k.submit), Token: token, Form: f})
}

func (c *Console) linkPasswordPage(k linkKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		c.renderLinkPassword(w, r, k, r.URL.Query().Get("token"), newForm(), http.StatusOK)
		return nil
	}
}

// signInAfter is the sign-in page of the user's tenant with a confirmation.
func signInAfter(t *admin.Tenant, done string) string {
	q := url.Values{"done": {done}}
	if t != nil && !t.IsPlatform() {
		q.Set("tenant", t.Slug)
	}
	return "/sign-in?" + q.Encode()
}

func (c *Console) linkPassword(k linkKind) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		token, pw := r.PostFormValue("token"), r.PostFormValue("password")
		var err error
		var t *admin.Tenant
		if pw != r.PostFormValue("password_confirm") {
			err = admin.Invalid("password_confirm", "password_mismatch", "The two passwords differ.")
		} else {
			_, t, err = k.redeem(c, r, token, pw)
		}
		if err != nil {
			f := newForm()
			f.fail(c.base(r), err, "password", "password_confirm")
			c.renderLinkPassword(w, r, k, token, f, statusOf(err))
			return nil
		}
		return redirect(signInAfter(t, k.done))
	}
}

type acceptPage struct {
	*base
	Token string
	Form  *form
}

func (c *Console) acceptPage(w http.ResponseWriter, r *http.Request) error {
	c.render(w, r, http.StatusOK, "accept", &acceptPage{base: c.base(r), Token: r.URL.Query().Get("token"), Form: newForm()})
	return nil
}

// acceptInvitation creates the invitee's account (R-I1) and sends them to
// sign in to their new tenant.
func (c *Console) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	fields := []string{"username", "first_name", "last_name", "password", "password_confirm"}
	f := formFrom(r, "username", "first_name", "last_name")
	token, pw := r.PostFormValue("token"), r.PostFormValue("password")
	var err error
	var t *admin.Tenant
	if pw != r.PostFormValue("password_confirm") {
		err = admin.Invalid("password_confirm", "password_mismatch", "The two passwords differ.")
	} else {
		_, t, err = c.svc.AcceptInvitation(r.Context(), admin.InvitationAcceptance{Token: token, Username: formValue(r, "username"),
			Password: pw, FirstName: formValue(r, "first_name"), LastName: formValue(r, "last_name")})
	}
	if err != nil {
		b := c.base(r)
		f.fail(b, err, fields...)
		c.render(w, r, statusOf(err), "accept", &acceptPage{base: b, Token: token, Form: f})
		return nil
	}
	return redirect(signInAfter(t, "invitation_accepted"))
}
