// Package rest is Roster's JSON API under /api/v1: routes, wire types, and
// the mapping of domain errors to problem+json. Handlers parse, call one
// admin.Service method and render; no rule lives here. The OpenAPI 3.1
// description at /api/v1/openapi.json is generated from the same
// registrations that serve the routes, so it cannot drift from them.
package rest

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"roster/internal/admin"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "roster_session"

// Config configures the API.
type Config struct {
	Version      string
	SecureCookie bool // set the Secure flag: the server is reached over TLS
	Logger       *slog.Logger
}

// API serves /api/v1.
type API struct {
	svc *admin.Service
	cfg Config
	log *slog.Logger
}

// huma's hook for the errors it raises itself is a package variable: set it
// once, here, rather than in Register, where two servers built at once (as
// in tests) would race on it.
func init() { huma.NewError = newProblem }

// Register adds every /api/v1 route to mux and returns the huma API, whose
// OpenAPI() is the description of them.
func Register(mux *http.ServeMux, svc *admin.Service, cfg Config) huma.API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &API{svc: svc, cfg: cfg, log: cfg.Logger}
	hc := huma.DefaultConfig("Roster", cfg.Version)
	hc.OpenAPIPath = "/api/v1/openapi"
	hc.DocsPath = ""
	hc.SchemasPath = ""
	hc.CreateHooks = nil // no $schema links in bodies
	hc.Info.Description = "Roster administers the users of a multi-tenant product: tenants, users, sessions and the audit trail."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"session": {Type: "apiKey", In: "cookie", Name: SessionCookie},
		"bearer":  {Type: "http", Scheme: "bearer"},
	}
	hc.Security = []map[string][]string{{"session": {}}, {"bearer": {}}}
	api := humago.New(mux, hc)
	a.registerSession(api)
	a.registerMe(api)
	a.registerTenants(api)
	a.registerUsers(api)
	a.registerAudit(api)
	a.registerGroups(api)
	a.registerLinks(api)
	a.registerInvitations(api)
	a.registerCredentials(api)
	a.registerTokens(api)
	a.registerAccess(api)
	return api
}

// fail converts a domain error into the problem huma writes.
func (a *API) fail(ctx context.Context, err error) error {
	return ProblemOf(ctx, a.log, err)
}

// op describes an operation; public ones need no session.
func op(id, method, path, summary string, tags ...string) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags}
}

func public(o huma.Operation) huma.Operation {
	o.Security = []map[string][]string{}
	return o
}

func status(o huma.Operation, code int) huma.Operation {
	o.DefaultStatus = code
	return o
}

// Page is a list of items and the cursor of the next page, if any.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

type body[T any] struct{ Body T }

func reply[T any](v T) *body[T] { return &body[T]{Body: v} }

type slugInput struct {
	Slug string `path:"slug" doc:"The tenant's slug"`
}

type userInput struct {
	Slug string `path:"slug"`
	ID   string `path:"id"`
}
