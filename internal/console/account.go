package console

import (
	"net/http"
	"strings"

	"roster/internal/admin"
)

func (c *Console) registerAccount(mux *http.ServeMux) {
	mux.Handle("GET /account", c.serve(signedIn, c.accountPage))
	mux.Handle("POST /account", c.serve(signedIn, c.saveAccount))
	mux.Handle("POST /account/sessions/{id}/end", c.serve(signedIn, c.endSession))
	mux.Handle("POST /account/sessions/end-others", c.serve(signedIn, c.endOtherSessions))
}

type accountPage struct {
	*base
	Form     *form
	Sessions []sessionRow
}

type sessionRow struct {
	*admin.Session
	Current bool
}

var profileFields = []string{"first_name", "last_name", "phone", "locale", "notifications_disabled", "other_recipients"}

func (c *Console) accountPage(w http.ResponseWriter, r *http.Request) error {
	u, _, err := c.svc.Me(r.Context())
	if err != nil {
		return err
	}
	f := newForm()
	f.Values = map[string]string{"first_name": u.FirstName, "last_name": u.LastName, "phone": u.Phone, "locale": u.Locale, "other_recipients": strings.Join(u.OtherRecipients, ", ")}
	if u.NotificationsDisabled {
		f.Values["notifications_disabled"] = "on"
	}
	return c.renderAccount(w, r, f, http.StatusOK)
}

func (c *Console) renderAccount(w http.ResponseWriter, r *http.Request, f *form, status int) error {
	b := c.base(r)
	b.Nav = "account"
	list, err := c.svc.MySessions(r.Context())
	if err != nil {
		return err
	}
	p := &accountPage{base: b, Form: f}
	current := admin.ActorFrom(r.Context()).SessionID
	for _, s := range list {
		p.Sessions = append(p.Sessions, sessionRow{Session: s, Current: s.ID == current})
	}
	c.render(w, r, status, "account", p)
	return nil
}

// EmailField shows the person's own address, which they may not change
// (R-U2): another administrator changes it.
func (p *accountPage) EmailField() field {
	fl := field{ID: "email", Name: "email", Label: p.T("users.email"), Type: "email", Value: p.Me.Email}
	return p.Disable(fl, "users.why_own_email")
}

// saveAccount changes the person's own profile through the same service
// call as PATCH /api/v1/me.
func (c *Console) saveAccount(w http.ResponseWriter, r *http.Request) error {
	f := formFrom(r, profileFields...)
	first, last, phone, locale := f.Val("first_name"), f.Val("last_name"), f.Val("phone"), f.Val("locale")
	off := f.Checked("notifications_disabled")
	list := recipients(f.Val("other_recipients"))
	_, err := c.svc.UpdateMe(r.Context(), admin.MyPatch{FirstName: &first, LastName: &last, Phone: &phone, Locale: &locale, NotificationsDisabled: &off, OtherRecipients: &list})
	if err != nil {
		if admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		f.fail(c.base(r), err, profileFields...)
		return c.renderAccount(w, r, f, statusOf(err))
	}
	return redirect("/account?done=profile_saved")
}

func (c *Console) endSession(w http.ResponseWriter, r *http.Request) error {
	if err := c.svc.EndMySession(r.Context(), r.PathValue("id")); err != nil {
		if admin.KindOf(err) == admin.KindNotFound {
			return redirect("/account?failed=not_found")
		}
		return err
	}
	return redirect("/account?done=session_ended")
}

func (c *Console) endOtherSessions(w http.ResponseWriter, r *http.Request) error {
	if _, err := c.svc.EndMyOtherSessions(r.Context()); err != nil {
		return err
	}
	return redirect("/account?done=sessions_ended")
}
