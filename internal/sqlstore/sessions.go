package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"roster/internal/admin"
)

const sessionColumns = `tenant_id, id, user_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent`

// sessionFields returns the scan destinations of sessionColumns for ss
// and a function that completes ss once they are filled.
func sessionFields(ss *admin.Session) ([]any, func() error) {
	var created, seen, expires int64
	dest := []any{&ss.TenantID, &ss.ID, &ss.UserID, &ss.TokenHash, &created, &seen, &expires, &ss.IP, &ss.UserAgent}
	return dest, func() error {
		ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
		return nil
	}
}

func scanSession(s scanner) (*admin.Session, error) {
	var ss admin.Session
	dest, done := sessionFields(&ss)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return &ss, done()
}

// sessionWithUser is a session with its user and tenant, read in one
// statement: the check that every request makes.
type sessionWithUser struct {
	s *admin.Session
	u *admin.User
	t *admin.Tenant
}

// qualified prefixes every column of a column list with alias.
func qualified(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

var sessionWithUserQuery = `SELECT ` + qualified("s", sessionColumns) + `, ` + userColumns + `, ` + qualified("t", tenantColumns) + `
	FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id JOIN tenants t ON t.id = s.tenant_id
	WHERE s.token_hash = $1`

func (t *tx) SessionByTokenHash(ctx context.Context, hash []byte) (*admin.Session, *admin.User, *admin.Tenant, error) {
	r, err := one(ctx, t, func(sc scanner) (sessionWithUser, error) {
		r := sessionWithUser{&admin.Session{}, &admin.User{}, &admin.Tenant{}}
		sd, sdone := sessionFields(r.s)
		ud, udone := userFields(r.u)
		td, tdone := tenantFields(r.t)
		if err := sc.Scan(append(append(sd, ud...), td...)...); err != nil {
			return r, err
		}
		return r, errors.Join(sdone(), udone(), tdone())
	}, sessionWithUserQuery, hash)
	return r.s, r.u, r.t, err
}

func (t *tx) InsertSession(ctx context.Context, s *admin.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.TenantID, s.ID, s.UserID, s.TokenHash, micros(s.CreatedAt), micros(s.LastSeenAt), micros(s.ExpiresAt), s.IP, s.UserAgent)
	return err
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

func (t *tx) DeleteGroupSessions(ctx context.Context, tenantID, groupID string) (int, error) {
	r, err := t.exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1
		AND user_id IN (SELECT m.user_id FROM group_members m WHERE m.tenant_id = $1 AND m.group_id = $2)`, tenantID, groupID)
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}

func (t *tx) ListUserSessions(ctx context.Context, tenantID, userID string) ([]*admin.Session, error) {
	return all(ctx, t, scanSession, `SELECT `+sessionColumns+` FROM sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id`, tenantID, userID)
}
