package rest

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

type tenantBody struct {
	Slug string `json:"slug" doc:"URL-safe, unique: lower-case letters, digits and inner hyphens"`
	Name string `json:"name"`
	SettingsPatch
	Settings *SettingsPatch `json:"settings,omitempty" required:"false" doc:"The same settings, nested; they win over top-level ones"`
}

type tenantPatchBody struct {
	Name *string `json:"name,omitempty"`
	SettingsPatch
	Settings *SettingsPatch `json:"settings,omitempty" required:"false"`
}

type listInput struct {
	Q      string `query:"q" maxLength:"100" doc:"Substring of the slug or name"`
	Cursor string `query:"cursor"`
	Limit  int    `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
}

func (a *API) registerTenants(api huma.API) {
	huma.Register(api, status(op("create-tenant", http.MethodPost, "/api/v1/tenants", "Create a tenant (staff)", "Tenants"), http.StatusCreated),
		func(ctx context.Context, in *body[tenantBody]) (*body[Tenant], error) {
			b := in.Body
			t, err := a.svc.CreateTenant(ctx, admin.NewTenant{Slug: b.Slug, Name: b.Name, Settings: b.SettingsPatch.merged(b.Settings)})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(tenantOut(t)), nil
		})

	huma.Register(api, op("list-tenants", http.MethodGet, "/api/v1/tenants", "List tenants (staff)", "Tenants"),
		func(ctx context.Context, in *listInput) (*body[Page[Tenant]], error) {
			p, err := a.svc.ListTenants(ctx, in.Q, in.Cursor, in.Limit)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[Tenant]{Items: make([]Tenant, 0, len(p.Items)), NextCursor: p.NextCursor}
			for _, t := range p.Items {
				out.Items = append(out.Items, tenantOut(t))
			}
			return reply(out), nil
		})

	huma.Register(api, op("get-tenant", http.MethodGet, "/api/v1/tenants/{slug}", "Get a tenant and its settings", "Tenants"),
		func(ctx context.Context, in *slugInput) (*body[Tenant], error) {
			t, err := a.svc.GetTenant(ctx, in.Slug)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(tenantOut(t)), nil
		})

	huma.Register(api, op("update-tenant", http.MethodPatch, "/api/v1/tenants/{slug}", "Change a tenant's name or settings", "Tenants"),
		func(ctx context.Context, in *struct {
			Slug string `path:"slug"`
			Body tenantPatchBody
		}) (*body[Tenant], error) {
			b := in.Body
			t, err := a.svc.UpdateTenant(ctx, in.Slug, admin.TenantPatch{Name: b.Name, Settings: b.SettingsPatch.merged(b.Settings)})
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			return reply(tenantOut(t)), nil
		})
}
