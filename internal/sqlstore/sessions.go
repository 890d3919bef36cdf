package sqlstore

import (
	"context"
	"time"

	"roster/internal/admin"
)

const sessionColumns = `tenant_id, id, user_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent`

func scanSession(s scanner) (*admin.Session, error) {
	var ss admin.Session
	var created, seen, expires int64
	if err := s.Scan(&ss.TenantID, &ss.ID, &ss.UserID, &ss.TokenHash, &created, &seen, &expires, &ss.IP, &ss.UserAgent); err != nil {
		return nil, err
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return &ss, nil
}

func (t *tx) InsertSession(ctx context.Context, s *admin.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.TenantID, s.ID, s.UserID, s.TokenHash, micros(s.CreatedAt), micros(s.LastSeenAt), micros(s.ExpiresAt), s.IP, s.UserAgent)
	return err
}

func (t *tx) SessionByTokenHash(ctx context.Context, hash []byte) (*admin.Session, error) {
	return one(ctx, t, scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = $1`, hash)
}

func (t *tx) TouchSession(ctx context.Context, tenantID, id string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2 AND last_seen_at < $3`, tenantID, id, micros(at))
	return err
}

func (t *tx) DeleteSession(ctx context.Context, tenantID, userID, id string) error {
	return t.execOne(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id)
}

func (t *tx) DeleteUserSessions(ctx context.Context, tenantID, userID, exceptID string) (int, error) {
	r, err := t.exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND id <> $3`, tenantID, userID, exceptID)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}

func (t *tx) ListUserSessions(ctx context.Context, tenantID, userID string) ([]*admin.Session, error) {
	return all(ctx, t, scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id`, tenantID, userID)
}
