package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

	"roster/internal/admin"
)

const auditColumns = `tenant_id, id, at, actor_id, actor_name, actor_tenant_id, action, target_type, target_id,
	target_name, outcome, reason, ip, user_agent, request_id, details`

func scanAudit(s scanner) (*admin.AuditEvent, error) {
	var e admin.AuditEvent
	var at int64
	var details string
	if err := s.Scan(&e.TenantID, &e.ID, &at, &e.ActorID, &e.ActorName, &e.ActorTenantID, &e.Action, &e.TargetType,
		&e.TargetID, &e.TargetName, &e.Outcome, &e.Reason, &e.IP, &e.UserAgent, &e.RequestID, &details); err != nil {
		return nil, err
	}
	e.At = fromMicros(at)
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return nil, err
	}
	return &e, nil
}

func (t *tx) InsertAuditEvent(ctx context.Context, e *admin.AuditEvent) error {
	details := []byte("{}")
	if e.Details != nil {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return err
		}
	}
	_, err := t.exec(ctx, `INSERT INTO audit_events (`+auditColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		e.TenantID, e.ID, micros(e.At), e.ActorID, e.ActorName, e.ActorTenantID, e.Action, e.TargetType, e.TargetID,
		e.TargetName, e.Outcome, e.Reason, e.IP, e.UserAgent, e.RequestID, string(details))
	return err
}

func (t *tx) ScrubAuditSubject(ctx context.Context, tenantID, userID string) error {
	if _, err := t.exec(ctx, `UPDATE audit_events SET target_name = '', details = '{}'
		WHERE tenant_id = $1 AND target_id = $2`, tenantID, userID); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE audit_events SET actor_name = '', ip = '', user_agent = ''
		WHERE tenant_id = $1 AND actor_id = $2`, tenantID, userID)
	return err
}

func (t *tx) ListAuditEvents(ctx context.Context, tenantID string, q admin.AuditQuery) ([]*admin.AuditEvent, error) {
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", param(len(args))))
	}
	if q.Since != nil {
		add("at >= ?", micros(*q.Since))
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	if q.TargetID != "" {
		add("target_id = ?", q.TargetID)
	}
	if strings.HasSuffix(q.Action, ".") {
		add(`action LIKE ? ESCAPE '\'`, escapeLike(q.Action)+"%")
	} else if q.Action != "" {
		add("action = ?", q.Action)
	}
	if q.Before != "" {
		add("id < ?", q.Before)
	}
	args = append(args, q.Limit)
	return all(ctx, t, scanAudit, `SELECT `+auditColumns+` FROM audit_events WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id DESC LIMIT `+param(len(args)), args...)
}
