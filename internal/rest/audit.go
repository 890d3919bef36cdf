package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"roster/internal/admin"
)

type auditInput struct {
	Slug   string    `path:"slug"`
	Since  time.Time `query:"since" doc:"Only events at or after this time (RFC 3339)"`
	Actor  string    `query:"actor" doc:"Only events by this user id"`
	Action string    `query:"action" doc:"An action (user.created) or a prefix ending in a dot (user.)"`
	Target string    `query:"target" doc:"Only events about this object id"`
	Cursor string    `query:"cursor"`
	Limit  int       `query:"limit" doc:"Page size, 1 to 500 (default 50)"`
}

func (a *API) registerAudit(api huma.API) {
	huma.Register(api, op("list-audit", http.MethodGet, "/api/v1/tenants/{slug}/audit", "The tenant's audit trail, newest first", "Audit"),
		func(ctx context.Context, in *auditInput) (*body[Page[AuditEvent]], error) {
			f := admin.AuditFilter{ActorID: in.Actor, Action: in.Action, TargetID: in.Target, Cursor: in.Cursor, Limit: in.Limit}
			if !in.Since.IsZero() {
				f.Since = &in.Since
			}
			p, err := a.svc.ListAudit(ctx, in.Slug, f)
			if err != nil {
				return nil, a.fail(ctx, err)
			}
			out := Page[AuditEvent]{Items: make([]AuditEvent, 0, len(p.Items)), NextCursor: p.NextCursor}
			for _, e := range p.Items {
				out.Items = append(out.Items, auditOut(e))
			}
			return reply(out), nil
		})
}
