package console

import (
	"net/http"
	"net/url"
	"time"

	"roster/internal/admin"
	"roster/internal/rest"
)

func (c *Console) registerSignIn(mux *http.ServeMux) {
	mux.Handle("GET /sign-in", c.serve(public, c.signInPage))
	mux.Handle("POST /sign-in", c.serve(public, c.signIn))
	mux.Handle("POST /sign-out", c.serve(restricted, c.signOut))
	mux.Handle("GET /password", c.serve(restricted, c.passwordPage))
	mux.Handle("POST /password", c.serve(restricted, c.changePassword))
}

type signInPage struct {
	*base
	Form *form
	Next string
	// SecondStep asks for the code of an enrolled user whose password was
	// right. The password is not typed twice and never written into the
	// page: a hidden field carries it sealed with the server's key, bound
	// to the tenant and login, for five minutes (admin.SealSignInStep).
	SecondStep bool
	Step       string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) error {
	b := c.base(r)
	if b.Me != nil {
		return redirect("/")
	}
	f := newForm()
	f.Values["tenant"] = r.URL.Query().Get("tenant")
	c.render(w, r, http.StatusOK, "signin", &signInPage{base: b, Form: f, Next: localBack(r.URL.Query().Get("next"))})
	return nil
}

// signIn starts a session through the same service call as POST
// /api/v1/session and sets the same cookie.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) error {
	f := formFrom(r, "tenant", "username")
	creds := admin.Credentials{
		Tenant: formValue(r, "tenant"), Username: formValue(r, "username"), Password: r.PostFormValue("password"),
		TOTP: formValue(r, "totp"),
	}
	var err error
	if step := r.PostFormValue("step"); step != "" {
		creds.Password, err = c.svc.OpenSignInStep(creds, step)
	}
	var res *admin.SignInResult
	if err == nil {
		res, err = c.svc.SignIn(r.Context(), creds)
	}
	if admin.CodeOf(err) == "mfa_required" {
		c.render(w, r, http.StatusUnauthorized, "signin", &signInPage{base: c.base(r), Form: f, Next: localBack(r.PostFormValue("next")),
			SecondStep: true, Step: c.svc.SealSignInStep(creds)})
		return nil
	}
	if err != nil {
		b := c.base(r)
		f.fail(b, err)
		c.render(w, r, statusOf(err), "signin", &signInPage{base: b, Form: f, Next: localBack(r.PostFormValue("next"))})
		return nil
	}
	ck := rest.NewSessionCookie(res.Token, res.Session.ExpiresAt, c.secure)
	http.SetCookie(w, &ck)
	if res.User.MustChangePassword {
		return redirect("/password")
	}
	if admin.MFAEnrollmentDue(res.Tenant, res.User) {
		return redirect("/account/mfa")
	}
	return redirect(localBack(r.PostFormValue("next")))
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := c.svc.SignOut(r.Context()); err != nil && admin.KindOf(err) != admin.KindUnauthenticated {
		return err
	}
	ck := rest.NewSessionCookie("", time.Unix(0, 0), c.secure)
	http.SetCookie(w, &ck)
	return redirect("/sign-in")
}

type passwordPage struct {
	*base
	Form   *form
	Forced bool
}

type passwordField struct{ Name, Label, Auto string }

// Fields are the three password inputs, in order.
func (passwordPage) Fields() []passwordField {
	return []passwordField{
		{"current_password", "password.current", "current-password"},
		{"new_password", "password.new", "new-password"},
		{"new_password_confirm", "password.confirm", "new-password"},
	}
}

// passwordPage is the forced password change of R-A4, and the change of
// one's own password from My account.
func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request) error {
	b := c.base(r)
	b.Nav = "account"
	c.render(w, r, http.StatusOK, "password", &passwordPage{base: b, Form: newForm(), Forced: b.Me != nil && b.Me.MustChangePassword})
	return nil
}

func (c *Console) changePassword(w http.ResponseWriter, r *http.Request) error {
	next := r.PostFormValue("new_password")
	var err error
	if next != r.PostFormValue("new_password_confirm") {
		err = admin.Invalid("new_password_confirm", "password_mismatch", "The two new passwords differ.")
	} else {
		_, err = c.svc.ChangePassword(r.Context(), r.PostFormValue("current_password"), next)
	}
	if err != nil {
		b := c.base(r)
		b.Nav = "account"
		f := newForm()
		f.fail(b, err, "current_password", "new_password", "new_password_confirm")
		c.render(w, r, statusOf(err), "password", &passwordPage{base: b, Form: f, Forced: b.Me != nil && b.Me.MustChangePassword})
		return nil
	}
	return redirect("/?" + url.Values{"done": {"password_changed"}}.Encode())
}
