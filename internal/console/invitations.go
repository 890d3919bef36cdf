package console

import (
	"net/http"
	"net/url"

	"roster/internal/admin"
)

func (c *Console) registerInvitations(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/invitations", c.serve(signedIn, c.invitationsPage))
	mux.Handle("POST /t/{slug}/invitations", c.serve(signedIn, c.invite))
	mux.Handle("POST /t/{slug}/invitations/{id}/{action}", c.serve(signedIn, c.invitationAction))
}

// invitationRow is an invitation as the table shows it.
type invitationRow struct {
	*admin.Invitation
	Shown string // the status shown (expired included)
}

type invitationsPage struct {
	*base
	Status      string
	Invitations []invitationRow
	Groups      []*admin.Group
	Pager       pager
	Form        *form
	Open        bool // the invite form starts open (after a failed attempt)
}

// Types are the user types an invitation may give.
func (invitationsPage) Types() []string { return []string{"standard", "read_only", "admin"} }

// Statuses are the choices of the status filter.
func (invitationsPage) Statuses() []string {
	return []string{admin.InvitationPending, admin.InvitationExpired, admin.InvitationAccepted, admin.InvitationRevoked, "all"}
}

func (c *Console) invitationsPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderInvitations(w, r, newForm(), http.StatusOK)
}

func (c *Console) renderInvitations(w http.ResponseWriter, r *http.Request, f *form, status int) error {
	slug := r.PathValue("slug")
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := c.svc.ListInvitations(r.Context(), slug, admin.InvitationFilter{Status: q.Get("status"), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	groups, err := c.svc.ListGroups(r.Context(), slug, admin.GroupFilter{Limit: 500})
	if err != nil && admin.KindOf(err) != admin.KindForbidden {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "invitations"
	now := c.svc.Clock().Now()
	rows := make([]invitationRow, 0, len(page.Items))
	for _, inv := range page.Items {
		rows = append(rows, invitationRow{Invitation: inv, Shown: inv.DisplayStatus(now)})
	}
	p := &invitationsPage{base: b, Status: q.Get("status"), Invitations: rows, Pager: b.pager(r, page.NextCursor), Form: f, Open: f.HasErrors()}
	if groups != nil {
		p.Groups = groups.Items
	}
	c.render(w, r, status, "invitations", p)
	return nil
}

func invitationsURL(slug, key, value string) string {
	return "/t/" + url.PathEscape(slug) + "/invitations?" + url.Values{key: {value}}.Encode()
}

// invite sends an invitation (R-I1): one service call.
func (c *Console) invite(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	f := formFrom(r, "email", "type", "locale")
	_, err := c.svc.Invite(r.Context(), slug, admin.NewInvitation{Email: formValue(r, "email"), Type: admin.UserType(formValue(r, "type")),
		Locale: formValue(r, "locale"), Groups: r.PostForm["groups"]})
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindNotFound || k == admin.KindForbidden {
			return err
		}
		f.fail(c.base(r), err, "email", "type", "locale", "groups")
		return c.renderInvitations(w, r, f, statusOf(err))
	}
	return redirect(invitationsURL(slug, "done", "invitation_sent"))
}

// invitationAction resends or revokes an invitation (R-I2).
func (c *Console) invitationAction(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	var done string
	var err error
	switch r.PathValue("action") {
	case "resend":
		_, err = c.svc.ResendInvitation(r.Context(), slug, id)
		done = "invitation_resent"
	case "revoke":
		err = c.svc.RevokeInvitation(r.Context(), slug, id)
		done = "invitation_revoked"
	default:
		return admin.NotFound("Action")
	}
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindNotFound {
			return err
		}
		return redirect(invitationsURL(slug, "failed", admin.CodeOf(err)))
	}
	return redirect(invitationsURL(slug, "done", done))
}
