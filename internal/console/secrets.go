package console

import (
	"net/http"
	"net/url"

	"roster/internal/admin"
)

// shownOncePage shows a secret that is never shown again: a temporary
// password (R-A6) or a new API token (R-A10). It is rendered in the answer
// to the POST that made it, never behind a link, and served no-store.
type shownOncePage struct {
	*base
	Heading string
	Hint    string
	Secret  string
	Back    string
	BackTo  string
}

// temporaryPassword sets a generated temporary password through the same
// service call as POST users/{id}/temporary-password, and shows it once.
func (c *Console) temporaryPassword(w http.ResponseWriter, r *http.Request) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	state := listState(r.PostFormValue("back"))
	pw, err := c.svc.SetTemporaryPassword(r.Context(), slug, id, "")
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindNotFound {
			return err
		}
		return redirect(usersURL(slug, state, "failed", admin.CodeOf(err)))
	}
	u, err := c.svc.GetUser(r.Context(), slug, id)
	if err != nil {
		return err
	}
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "users"
	c.render(w, r, http.StatusOK, "shownonce", &shownOncePage{base: b, Heading: b.T("users.temporary_password_for", u.Username),
		Hint: b.T("users.temporary_password_hint"), Secret: pw, Back: b.T("users.back"), BackTo: usersURL(slug, state)})
	return nil
}

// tokensURL is the API tokens page of slug.
func tokensURL(slug string, extra ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	s := "/t/" + url.PathEscape(slug) + "/api-tokens"
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}
