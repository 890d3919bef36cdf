// Package console is Roster's web console: server-rendered HTML pages over
// the same admin.Service as the JSON API, so that no rule lives here.
// Templates, message catalogues (English and Japanese) and static assets
// are embedded; the scripts are small, our own, and only enhance pages
// that work without them. Every form carries a CSRF token; every page is
// served with a Content-Security-Policy that allows no inline script.
package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"

	"roster/internal/admin"
)

//go:embed templates messages static
var files embed.FS

// Config wires a Console.
type Config struct {
	Service      *admin.Service
	Logger       *slog.Logger
	SecureCookie bool // the server is reached over TLS: cookies get the Secure flag
}

// Console serves the web console's pages.
type Console struct {
	svc    *admin.Service
	log    *slog.Logger
	secure bool
	pages  map[string]*template.Template
	assets *assets
	cats   map[string]catalogue
}

// New parses the templates and catalogues and hashes the assets. Embedded
// files that fail to parse are a bug caught by the package's tests, so it
// panics rather than return an error.
func New(cfg Config) *Console {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Console{svc: cfg.Service, log: cfg.Logger, secure: cfg.SecureCookie}
	var err error
	if c.cats, err = loadCatalogues(files); err != nil {
		panic(err)
	}
	if c.assets, err = loadAssets(files); err != nil {
		panic(err)
	}
	if c.pages, err = parsePages(files, c.assets); err != nil {
		panic(err)
	}
	return c
}

// parsePages parses every page of templates/ with the layout and the
// partials: one template set per page, executed from "layout".
func parsePages(fsys fs.FS, a *assets) (map[string]*template.Template, error) {
	pages, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(fsys, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{"asset": a.url, "join": strings.Join, "nodeArgs": nodeArgs, "indent": indent}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(fsys, append([]string{"templates/layout.html", p}, partials...)...)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// handler is a console page or action: it writes its answer or returns an
// error, which serve turns into a page.
type handler func(w http.ResponseWriter, r *http.Request) error

// access says who may reach a route.
type access int

const (
	signedIn   access = iota // a session is needed; a restricted one is sent to change its password
	public                   // anyone (sign-in, assets)
	restricted               // a restricted session may come here (password change, sign-out)
)

// Register adds the console's routes to mux. Routes other features add go
// here too (see docs/CONSOLE.md).
func (c *Console) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/{file}", http.HandlerFunc(c.assets.serve))
	mux.Handle("GET /{$}", c.serve(signedIn, c.home))
	mux.Handle("POST /locale", c.serve(public, c.setLocale))
	c.registerSignIn(mux)
	c.registerTenants(mux)
	c.registerUsers(mux)
	c.registerGroups(mux)
	c.registerAudit(mux)
	c.registerAccount(mux)
	c.registerMFA(mux)
	c.registerTokens(mux)
	c.registerLinks(mux)
	c.registerInvitations(mux)
	c.registerRoles(mux)
	c.registerPermissions(mux)
	c.registerProjects(mux)
	c.registerFolders(mux)
}

// restrictionPages are the pages that lead a restricted session out of its
// restriction, by admin.Actor.Restriction. A feature that adds a
// restriction adds its page here.
var restrictionPages = map[string]string{
	admin.RestrictionPasswordChange: "/password",
}

// redirectError sends the browser elsewhere instead of rendering a page.
type redirectError struct{ to string }

func (e *redirectError) Error() string { return "redirect to " + e.to }

// redirect returns the error that sends the browser to "to" with a 303.
func redirect(to string) error { return &redirectError{to} }

// serve wraps h with the console's rules: security headers, the sign-in
// requirement, the forced password change, CSRF on every POST, and the
// rendering of errors as pages.
func (c *Console) serve(who access, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w.Header())
		c.ensureCSRFCookie(w, r)
		a := admin.ActorFrom(r.Context())
		switch {
		case who != public && a == nil:
			c.redirect(w, r, "/sign-in?next="+url.QueryEscape(r.URL.RequestURI()))
			return
		case who == signedIn && a.Restricted:
			if to, ok := restrictionPages[a.Restriction]; ok {
				c.redirect(w, r, to)
			} else {
				c.fail(w, r, admin.Forbidden(a.Restriction, "Finish setting up your account first."))
			}
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil || !c.csrfValid(r) {
				c.renderError(w, r, http.StatusForbidden, "error.csrf")
				return
			}
		}
		err := h(w, r)
		var re *redirectError
		switch {
		case err == nil:
		case errors.As(err, &re):
			c.redirect(w, r, re.to)
		default:
			c.fail(w, r, err)
		}
	})
}

// consoleHeaders are the security headers of every console answer: a
// policy with no inline script or style, no framing, forms to us only.
func consoleHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
}

func (c *Console) redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// fail renders err as a page: an expired session goes back to sign-in,
// the rest becomes an error page with the domain's safe message.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := admin.ErrorOf(err)
	status := http.StatusInternalServerError
	switch e.Kind {
	case admin.KindUnauthenticated:
		c.redirect(w, r, "/sign-in")
		return
	case admin.KindNotFound:
		status = http.StatusNotFound
	case admin.KindForbidden:
		status = http.StatusForbidden
	case admin.KindInvalid, admin.KindMalformed:
		status = http.StatusUnprocessableEntity
	case admin.KindConflict:
		status = http.StatusConflict
	case admin.KindRateLimited:
		status = http.StatusTooManyRequests
	default:
		c.log.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err, "request_id", admin.RequestInfoFrom(r.Context()).RequestID)
	}
	b := c.base(r)
	c.render(w, r, status, "error", &errorPage{base: b, Status: status, Message: b.ErrorText(err)})
}

func (c *Console) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	b := c.base(r)
	c.render(w, r, status, "error", &errorPage{base: b, Status: status, Message: b.T(key)})
}

type errorPage struct {
	*base
	Status  int
	Message string
}

// render executes page with data; a template failure is a bug, logged and
// answered with a plain 500.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := c.pages[page]
	if !ok {
		panic("console: no page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		c.log.ErrorContext(r.Context(), "console template", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// home sends each person where they work: staff to the tenants, a
// tenant's admins to its users, everyone else to their account.
func (c *Console) home(w http.ResponseWriter, r *http.Request) error {
	b := c.base(r)
	to := "/account"
	switch {
	case b.Me == nil:
		return redirect("/sign-in")
	case b.Staff():
		to = "/tenants"
	case b.Me.Type == admin.TypeAdmin:
		to = "/t/" + url.PathEscape(b.MyTenant.Slug) + "/users"
	}
	if done := r.URL.Query().Get("done"); done != "" {
		to += "?" + url.Values{"done": {done}}.Encode()
	}
	return redirect(to)
}

// localBack returns next when it is a path on this site, else "/": a
// redirect after sign-in must never leave the console.
func localBack(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func formValue(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
