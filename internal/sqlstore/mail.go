package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"roster/internal/admin"
)

const mailColumns = `tenant_id, id, template, locale, to_addr, cc, data, link_id, state, attempts, next_attempt_at,
	lease_owner, last_error, created_at, sent_at`

func scanMail(s scanner) (*admin.OutboxMail, error) {
	var m admin.OutboxMail
	var cc, data string
	var next, created int64
	var sent sql.NullInt64
	if err := s.Scan(&m.TenantID, &m.ID, &m.Template, &m.Locale, &m.To, &cc, &data, &m.LinkID, &m.State, &m.Attempts,
		&next, &m.LeaseOwner, &m.LastError, &created, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cc), &m.Cc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
		return nil, err
	}
	m.NextAttemptAt, m.CreatedAt, m.SentAt = fromMicros(next), fromMicros(created), timePtr(sent)
	return &m, nil
}

func (t *tx) InsertMail(ctx context.Context, m *admin.OutboxMail) error {
	data, err := json.Marshal(m.Data)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO mail_outbox (`+mailColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		m.TenantID, m.ID, m.Template, m.Locale, m.To, recipientsJSON(m.Cc), string(data), m.LinkID, m.State, m.Attempts,
		micros(m.NextAttemptAt), m.LeaseOwner, m.LastError, micros(m.CreatedAt), nullMicros(m.SentAt))
	return err
}

// ClaimMail leases due mail in one statement. On PostgreSQL the inner
// SELECT skips rows another claimer holds (FOR UPDATE SKIP LOCKED), so
// several processes deliver from one outbox without sharing a row.
func (t *tx) ClaimMail(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]*admin.OutboxMail, error) {
	list, err := all(ctx, t, scanMail, `UPDATE mail_outbox SET lease_owner = $1, next_attempt_at = $3, attempts = attempts + 1
		WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM mail_outbox
			WHERE state = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $4`+t.d.skipLocked()+`)
		RETURNING `+mailColumns, owner, micros(now), micros(leaseUntil), limit)
	slices.SortFunc(list, func(a, b *admin.OutboxMail) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return list, err
}

func (t *tx) FinishMail(ctx context.Context, tenantID, id, owner, state string, at time.Time, lastError string) error {
	next, sent := sql.NullInt64{}, sql.NullInt64{}
	switch state {
	case admin.MailPending:
		next = sql.NullInt64{Int64: micros(at), Valid: true}
	case admin.MailSent:
		sent = sql.NullInt64{Int64: micros(at), Valid: true}
	}
	return t.execOne(ctx, `UPDATE mail_outbox SET state = $4, last_error = $5, sent_at = $6,
		next_attempt_at = COALESCE($7, next_attempt_at), lease_owner = ''
		WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state = 'pending'`,
		tenantID, id, owner, state, lastError, sent, next)
}

func (t *tx) PurgeMail(ctx context.Context, before time.Time) (int, error) {
	return t.count(ctx, `DELETE FROM mail_outbox WHERE state <> 'pending' AND created_at < $1`, micros(before))
}

// count runs a write and reports how many rows it touched.
func (t *tx) count(ctx context.Context, q string, args ...any) (int, error) {
	r, err := t.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}

const linkColumns = `tenant_id, id, kind, subject_id, state, created_at, expires_at, used_at`

func scanLink(s scanner) (*admin.Link, error) {
	var l admin.Link
	var created, expires int64
	var used sql.NullInt64
	if err := s.Scan(&l.TenantID, &l.ID, &l.Kind, &l.SubjectID, &l.State, &created, &expires, &used); err != nil {
		return nil, err
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt = fromMicros(created), fromMicros(expires), timePtr(used)
	return &l, nil
}

func (t *tx) InsertLink(ctx context.Context, l *admin.Link) error {
	_, err := t.exec(ctx, `INSERT INTO links (`+linkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		l.TenantID, l.ID, l.Kind, l.SubjectID, l.State, micros(l.CreatedAt), micros(l.ExpiresAt), nullMicros(l.UsedAt))
	return err
}

func (t *tx) SupersedeLinks(ctx context.Context, tenantID, subjectID, kind string) error {
	_, err := t.exec(ctx, `UPDATE links SET state = 'superseded', token_hash = NULL
		WHERE tenant_id = $1 AND subject_id = $2 AND kind = $3 AND state = 'live'`, tenantID, subjectID, kind)
	return err
}

func (t *tx) MintLink(ctx context.Context, tenantID, id string, hash []byte, now time.Time) error {
	return t.execOne(ctx, `UPDATE links SET token_hash = $3
		WHERE tenant_id = $1 AND id = $2 AND state = 'live' AND expires_at > $4`, tenantID, id, hash, micros(now))
}

func (t *tx) LinkByTokenHash(ctx context.Context, hash []byte) (*admin.Link, error) {
	return one(ctx, t, scanLink, `SELECT `+linkColumns+` FROM links WHERE token_hash = $1 AND state = 'live'`, hash)
}

func (t *tx) UseLink(ctx context.Context, tenantID, id string, hash []byte, at time.Time) error {
	return t.execOne(ctx, `UPDATE links SET state = 'used', token_hash = NULL, used_at = $4
		WHERE tenant_id = $1 AND id = $2 AND token_hash = $3 AND state = 'live'`, tenantID, id, hash, micros(at))
}

func (t *tx) CountRecentLinks(ctx context.Context, tenantID, subjectID, kind string, since time.Time) (int, error) {
	return one(ctx, t, scanInt, `SELECT COUNT(*) FROM links
		WHERE tenant_id = $1 AND subject_id = $2 AND kind = $3 AND created_at >= $4`, tenantID, subjectID, kind, micros(since))
}

func (t *tx) PurgeLinks(ctx context.Context, before time.Time) (int, error) {
	return t.count(ctx, `DELETE FROM links WHERE expires_at < $1`, micros(before))
}

const invitationColumns = `tenant_id, id, email, locale, type, roles, group_ids, grants, status, invited_by,
	invited_by_name, sent_count, accepted_user_id, expires_at, created_at, updated_at`

func scanInvitation(s scanner) (*admin.Invitation, error) {
	var inv admin.Invitation
	var roles, groups, grants string
	var expires, created, updated int64
	if err := s.Scan(&inv.TenantID, &inv.ID, &inv.Email, &inv.Locale, &inv.Type, &roles, &groups, &grants, &inv.Status,
		&inv.InvitedBy, &inv.InvitedByName, &inv.SentCount, &inv.AcceptedUserID, &expires, &created, &updated); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		dst any
	}{{roles, &inv.Roles}, {groups, &inv.Groups}, {grants, &inv.Grants}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, err
		}
	}
	inv.ExpiresAt, inv.CreatedAt, inv.UpdatedAt = fromMicros(expires), fromMicros(created), fromMicros(updated)
	return &inv, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (t *tx) InsertInvitation(ctx context.Context, inv *admin.Invitation) error {
	_, err := t.exec(ctx, `INSERT INTO invitations (`+invitationColumns+`, email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		inv.TenantID, inv.ID, inv.Email, inv.Locale, inv.Type, jsonText(inv.Roles), jsonText(inv.Groups), jsonText(inv.Grants),
		inv.Status, inv.InvitedBy, inv.InvitedByName, inv.SentCount, inv.AcceptedUserID, micros(inv.ExpiresAt),
		micros(inv.CreatedAt), micros(inv.UpdatedAt), strings.ToLower(inv.Email))
	return err
}

func (t *tx) InvitationByID(ctx context.Context, tenantID, id string) (*admin.Invitation, error) {
	return one(ctx, t, scanInvitation, `SELECT `+invitationColumns+` FROM invitations WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) PendingInvitationByEmail(ctx context.Context, tenantID, emailKey string) (*admin.Invitation, error) {
	return one(ctx, t, scanInvitation, `SELECT `+invitationColumns+` FROM invitations
		WHERE tenant_id = $1 AND email_key = $2 AND status = 'pending'`, tenantID, emailKey)
}

// UpdateInvitation writes what can change: status, expiry, sends, acceptance.
func (t *tx) UpdateInvitation(ctx context.Context, inv *admin.Invitation) error {
	return t.execOne(ctx, `UPDATE invitations SET status = $3, sent_count = $4, accepted_user_id = $5, expires_at = $6,
		updated_at = $7 WHERE tenant_id = $1 AND id = $2`,
		inv.TenantID, inv.ID, inv.Status, inv.SentCount, inv.AcceptedUserID, micros(inv.ExpiresAt), micros(inv.UpdatedAt))
}

func (t *tx) ListInvitations(ctx context.Context, tenantID string, q admin.InvitationQuery) ([]*admin.Invitation, error) {
	where := []string{"tenant_id = $1"}
	args := []any{tenantID}
	if len(q.Statuses) > 0 {
		var ps []string
		for _, s := range q.Statuses {
			args = append(args, s)
			ps = append(ps, param(len(args)))
		}
		where = append(where, "status IN ("+strings.Join(ps, ", ")+")")
	}
	if q.Before != nil {
		args = append(args, q.Before.CreatedAt, q.Before.ID)
		where = append(where, "(created_at, id) < ("+param(len(args)-1)+", "+param(len(args))+")")
	}
	args = append(args, q.Limit)
	return all(ctx, t, scanInvitation, `SELECT `+invitationColumns+` FROM invitations WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT `+param(len(args)), args...)
}

func (t *tx) UsersExpiringBetween(ctx context.Context, from, to time.Time, limit int) ([]*admin.User, error) {
	return all(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u
		WHERE u.expires_at IS NOT NULL AND u.expires_at >= $1 AND u.expires_at < $2 AND u.status IN ('pending', 'active')
		AND NOT EXISTS (SELECT 1 FROM expiry_notices n WHERE n.tenant_id = u.tenant_id AND n.user_id = u.id AND n.expires_at = u.expires_at)
		ORDER BY u.expires_at LIMIT $3`, micros(from), micros(to), limit)
}

func (t *tx) InsertExpiryNotice(ctx context.Context, tenantID, userID string, expiresAt, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO expiry_notices (tenant_id, user_id, expires_at, notified_at) VALUES ($1, $2, $3, $4)`,
		tenantID, userID, micros(expiresAt), micros(at))
	return err
}
