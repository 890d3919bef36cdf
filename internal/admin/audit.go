package admin

import (
	"context"
	"time"
)

// AuditEvent is an immutable record of a change or a sign-in attempt.
type AuditEvent struct {
	ID            string // time-ordered: a later event has a greater id
	TenantID      string
	At            time.Time
	ActorID       string // empty for anonymous attempts and system jobs
	ActorName     string
	ActorTenantID string // the platform for staff acting in a tenant
	Action        string // "user.created", "session.failed", …
	TargetType    string
	TargetID      string
	TargetName    string
	Outcome       string // "success" or "failure"
	Reason        string // why a failure failed: the real reason, never shown to the one who failed
	IP            string
	UserAgent     string
	RequestID     string
	Details       map[string]any // before/after values of what changed
}

// Outcomes of an audit event.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// AuditQuery selects audit events, newest first.
type AuditQuery struct {
	Since    *time.Time
	ActorID  string
	Action   string // an exact action, or a prefix ending in "." ("user.")
	TargetID string
	Before   string // id of the last event of the previous page
	Limit    int
}

// AuditFilter is the caller's view of an audit search.
type AuditFilter struct {
	Since    *time.Time
	ActorID  string
	Action   string
	TargetID string
	Cursor   string
	Limit    int
}

// AuditPage is one page of events and the cursor of the next, if any.
type AuditPage struct {
	Items      []*AuditEvent
	NextCursor string
}

// audit builds an event for the request in ctx.
func (s *Service) audit(ctx context.Context, tenantID, action string, target auditTarget, details map[string]any) *AuditEvent {
	ri := RequestInfoFrom(ctx)
	e := &AuditEvent{
		ID:         s.newID(),
		TenantID:   tenantID,
		At:         s.clock.Now(),
		Action:     action,
		TargetType: target.Type,
		TargetID:   target.ID,
		TargetName: target.Name,
		Outcome:    OutcomeSuccess,
		IP:         ri.IP,
		UserAgent:  ri.UserAgent,
		RequestID:  ri.RequestID,
		Details:    details,
	}
	if a := ActorFrom(ctx); a != nil {
		e.ActorID, e.ActorName, e.ActorTenantID = a.UserID, a.Username, a.TenantID
	}
	return e
}

type auditTarget struct{ Type, ID, Name string }

func userTarget(u *User) auditTarget     { return auditTarget{"user", u.ID, u.Username} }
func tenantTarget(t *Tenant) auditTarget { return auditTarget{"tenant", t.ID, t.Slug} }

// ListAudit returns a page of a tenant's audit events, newest first.
// Requires roster.audit.read in the tenant; NotFound for another tenant.
func (s *Service) ListAudit(ctx context.Context, slug string, f AuditFilter) (*AuditPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	q := AuditQuery{Since: f.Since, ActorID: f.ActorID, Action: f.Action, TargetID: f.TargetID, Limit: limit + 1}
	if f.Cursor != "" {
		var c struct {
			ID string `json:"i"`
		}
		if err := decodeCursor(f.Cursor, &c); err != nil || c.ID == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		q.Before = c.ID
	}
	var page AuditPage
	err = s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermAuditRead)
		if err != nil {
			return err
		}
		items, err := tx.ListAuditEvents(ctx, t.ID, q)
		if err != nil {
			return err
		}
		if len(items) > limit {
			items = items[:limit]
			page.NextCursor = encodeCursor(struct {
				ID string `json:"i"`
			}{items[limit-1].ID})
		}
		page.Items = items
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}
