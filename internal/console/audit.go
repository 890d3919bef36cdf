package console

import (
	"encoding/json"
	"net/http"
	"time"

	"roster/internal/admin"
)

func (c *Console) registerAudit(mux *http.ServeMux) {
	mux.Handle("GET /t/{slug}/audit", c.serve(signedIn, c.auditPage))
}

type auditPage struct {
	*base
	Action string
	Actor  string
	Target string
	Since  string
	Events []auditRow
	Pager  pager
}

type auditRow struct {
	*admin.AuditEvent
	Changes string // the event's details as compact JSON
}

// auditPage lists the tenant's events newest first, filtered by action
// (exact, or a prefix ending in "."), actor id, target id and a start
// day, through the same service call as GET /api/v1/tenants/{slug}/audit.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) error {
	slug := r.PathValue("slug")
	t, err := c.svc.GetTenant(r.Context(), slug)
	if err != nil {
		return err
	}
	b := c.base(r)
	b.Tenant, b.Nav = t, "audit"
	q := r.URL.Query()
	p := &auditPage{base: b, Action: q.Get("action"), Actor: q.Get("actor"), Target: q.Get("target"), Since: q.Get("since")}
	f := admin.AuditFilter{Action: p.Action, ActorID: p.Actor, TargetID: p.Target, Cursor: q.Get("cursor"), Limit: 50}
	if p.Since != "" {
		if d, err := time.Parse("2006-01-02", p.Since); err == nil {
			f.Since = &d
		} else {
			b.Problem = b.T("audit.bad_since")
		}
	}
	page, err := c.svc.ListAudit(r.Context(), slug, f)
	if err != nil {
		if admin.KindOf(err) != admin.KindInvalid {
			return err
		}
		b.Problem = b.ErrorText(err)
		page = &admin.AuditPage{}
	}
	for _, e := range page.Items {
		row := auditRow{AuditEvent: e}
		if len(e.Details) > 0 {
			j, _ := json.Marshal(e.Details)
			row.Changes = string(j)
		}
		p.Events = append(p.Events, row)
	}
	p.Pager = b.pager(r, page.NextCursor)
	c.render(w, r, http.StatusOK, "audit", p)
	return nil
}
