package console

import (
	"net/http"
	"time"

	"roster/internal/admin"
)

// The API tokens page (R-A10): list, create (the token shown once), revoke.

func (c *Console) registerTokens(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/api-tokens", c.serve(signedIn, c.tokensPage))
	mux.Handle("POST /t/{slug}/api-tokens", c.serve(signedIn, c.createToken))
	mux.Handle("POST /t/{slug}/api-tokens/{id}/revoke", c.serve(signedIn, c.revokeToken))
}

type tokensPage struct {
	*base
	Form   *form
	Tokens []*admin.APIToken
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderTokens(w, r, newForm(), http.StatusOK)
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, f *form, status int) error {
	slug := r.PathValue("slug")
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	list, err := c.svc.ListAPITokens(r.Context(), slug)
	if err != nil {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "api-tokens"
	c.render(w, r, status, "tokens", &tokensPage{base: b, Form: f, Tokens: list})
	return nil
}

// createToken issues a token through the same service call as POST
// api-tokens and shows its secret once.
func (c *Console) createToken(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	f := formFrom(r, "name", "expires_in_days")
	in := admin.NewAPIToken{Name: f.Val("name")}
	var days *int
	err := intField(f, "expires_in_days", &days)
	if err == nil && days != nil {
		if *days < 1 {
			err = admin.Invalid("expires_in_days", "out_of_range", "A token lives at least a day.")
		} else {
			at := c.svc.Clock().Now().Add(time.Duration(*days) * 24 * time.Hour)
			in.ExpiresAt = &at
		}
	}
	var tok *admin.APIToken
	var secret string
	if err == nil {
		tok, secret, err = c.svc.CreateAPIToken(r.Context(), slug, in)
	}
	if err != nil {
		if k := admin.KindOf(err); k == admin.KindInternal || k == admin.KindNotFound {
			return err
		}
		if admin.ErrorOf(err).Field == "expires_at" {
			admin.ErrorOf(err).Field = "expires_in_days"
		}
		f.fail(c.base(r), err, "name", "expires_in_days")
		return c.renderTokens(w, r, f, statusOf(err))
	}
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "api-tokens"
	c.render(w, r, http.StatusCreated, "shownonce", &shownOncePage{base: b, Heading: b.T("tokens.created", tok.Name),
		Hint: b.T("tokens.created_hint"), Secret: secret, Back: b.T("tokens.back"), BackTo: tokensURL(slug)})
	return nil
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	if err := c.svc.RevokeAPIToken(r.Context(), slug, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(tokensURL(slug, "done", "token_revoked"))
}
