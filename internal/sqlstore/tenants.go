package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"roster/internal/admin"
)

// micros stores a time; fromMicros reads it back in UTC.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// param is the placeholder of the nth argument.
func param(n int) string { return "$" + strconv.Itoa(n) }

const tenantColumns = `id, slug, name, max_users, lockout_threshold, mfa_required, password_min_length,
	session_idle_minutes, session_absolute_hours, locale, user_count, created_at, updated_at, lockout_cooloff_minutes`

// tenantFields returns the scan destinations of tenantColumns for t and a
// function that completes t once they are filled.
func tenantFields(t *admin.Tenant) ([]any, func() error) {
	var created, updated int64
	dest := []any{&t.ID, &t.Slug, &t.Name, &t.Settings.MaxUsers, &t.Settings.LockoutThreshold, &t.Settings.MFARequired,
		&t.Settings.PasswordMinLength, &t.Settings.SessionIdleMinutes, &t.Settings.SessionAbsoluteHours, &t.Settings.Locale,
		&t.UserCount, &created, &updated, &t.Settings.LockoutCooloffMinutes}
	return dest, func() error {
		t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
		return nil
	}
}

func scanTenant(s scanner) (*admin.Tenant, error) {
	var t admin.Tenant
	dest, done := tenantFields(&t)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return &t, done()
}

func (t *tx) InsertTenant(ctx context.Context, tn *admin.Tenant) error {
	s := tn.Settings
	_, err := t.exec(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		tn.ID, tn.Slug, tn.Name, s.MaxUsers, s.LockoutThreshold, s.MFARequired, s.PasswordMinLength,
		s.SessionIdleMinutes, s.SessionAbsoluteHours, s.Locale, tn.UserCount, micros(tn.CreatedAt), micros(tn.UpdatedAt),
		s.LockoutCooloffMinutes)
	return err
}

func (t *tx) TenantByID(ctx context.Context, id string) (*admin.Tenant, error) {
	return one(ctx, t, scanTenant, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id)
}

func (t *tx) TenantBySlug(ctx context.Context, slug string) (*admin.Tenant, error) {
	return one(ctx, t, scanTenant, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug)
}

func (t *tx) ListTenants(ctx context.Context, q admin.TenantQuery) ([]*admin.Tenant, error) {
	like := "%" + escapeLike(q.Q) + "%"
	return all(ctx, t, scanTenant, `SELECT `+tenantColumns+` FROM tenants
		WHERE id <> $1 AND slug > $2 AND ($3 = '' OR lower(slug) LIKE $4 ESCAPE '\' OR lower(name) LIKE $4 ESCAPE '\')
		ORDER BY slug LIMIT $5`, admin.PlatformTenantID, q.After, q.Q, like, q.Limit)
}

func (t *tx) UpdateTenant(ctx context.Context, tn *admin.Tenant) error {
	s := tn.Settings
	return t.execOne(ctx, `UPDATE tenants SET name = $2, max_users = $3, lockout_threshold = $4, mfa_required = $5,
		password_min_length = $6, session_idle_minutes = $7, session_absolute_hours = $8, locale = $9, updated_at = $10,
		lockout_cooloff_minutes = $11
		WHERE id = $1`,
		tn.ID, tn.Name, s.MaxUsers, s.LockoutThreshold, s.MFARequired, s.PasswordMinLength,
		s.SessionIdleMinutes, s.SessionAbsoluteHours, s.Locale, micros(tn.UpdatedAt), s.LockoutCooloffMinutes)
}

func (t *tx) LockTenant(ctx context.Context, tenantID string) error {
	return t.d.lockTenant(ctx, t, tenantID)
}

// AddSeats moves the seat count in one conditional statement, so that
// concurrent creations can never pass max_users.
func (t *tx) AddSeats(ctx context.Context, tenantID string, delta int) error {
	err := t.execOne(ctx, `UPDATE tenants SET user_count = user_count + $2
		WHERE id = $1 AND ($2 <= 0 OR max_users = 0 OR user_count + $2 <= max_users)`, tenantID, delta)
	if err == admin.ErrNoRows {
		return admin.ErrStale
	}
	return err
}
