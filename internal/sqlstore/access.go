package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"roster/internal/admin"
)

// AccessChanged bumps the tenant's access_version by one per entity and
// logs the entities under the new versions. The UPDATE takes the tenant
// row's lock until commit, so versions commit in order on PostgreSQL;
// SQLite has one writer. PostgreSQL also notifies listeners at commit.
func (t *tx) AccessChanged(ctx context.Context, tenantID string, entities ...string) error {
	if len(entities) == 0 {
		return nil
	}
	v, err := one(ctx, t, scanInt64, `UPDATE tenants SET access_version = access_version + $2 WHERE id = $1 RETURNING access_version`,
		tenantID, len(entities))
	if err != nil {
		return err
	}
	first := v - int64(len(entities)) + 1
	at := micros(time.Now())
	for start := 0; start < len(entities); start += chunkSize {
		end := min(start+chunkSize, len(entities))
		var b strings.Builder
		args := []any{tenantID, at}
		for i, e := range entities[start:end] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("($1, " + param(3+2*i) + ", " + param(4+2*i) + ", $2)")
			args = append(args, first+int64(start+i), e)
		}
		if _, err := t.exec(ctx, `INSERT INTO access_changes (tenant_id, version, entity, at) VALUES `+b.String(), args...); err != nil {
			return err
		}
	}
	t.touch(tenantID)
	return t.d.notifyAccess(ctx, t, tenantID)
}

func (t *tx) AccessTouched() []string { return t.touched }

func (t *tx) touch(tenantID string) {
	if !slices.Contains(t.touched, tenantID) {
		t.touched = append(t.touched, tenantID)
	}
}

func (t *tx) AccessVersion(ctx context.Context, tenantID string) (int64, error) {
	return one(ctx, t, scanInt64, `SELECT access_version FROM tenants WHERE id = $1`, tenantID)
}

func (t *tx) AccessVersions(ctx context.Context, tenantIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, c := range chunks(tenantIDs) {
		rows, err := t.query(ctx, `SELECT id, access_version FROM tenants WHERE id IN `+inList(1, len(c)), anys(nil, c)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *tx) AccessChangesSince(ctx context.Context, tenantID string, version int64, limit int) ([]admin.AccessChange, error) {
	return all(ctx, t, func(s scanner) (admin.AccessChange, error) {
		var c admin.AccessChange
		err := s.Scan(&c.Version, &c.Entity)
		return c, err
	}, `SELECT version, entity FROM access_changes WHERE tenant_id = $1 AND version > $2 ORDER BY version LIMIT $3`, tenantID, version, limit)
}

// PruneAccessChanges deletes log entries older than before; a process whose
// index is further behind reloads it whole.
func (t *tx) PruneAccessChanges(ctx context.Context, before time.Time) (int, error) {
	r, err := t.exec(ctx, `DELETE FROM access_changes WHERE at < $1`, micros(before))
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}

const userAccessColumns = `id, type, status, locked, deactivated_by_licence, expires_at, locked_until`

func scanUserAccess(s scanner) (admin.UserAccess, error) {
	var u admin.UserAccess
	var expires, lockedUntil sql.NullInt64
	err := s.Scan(&u.ID, &u.Type, &u.Status, &u.Locked, &u.DeactivatedByLicence, &expires, &lockedUntil)
	u.ExpiresAt, u.LockedUntil = timePtr(expires), timePtr(lockedUntil)
	return u, err
}

func (t *tx) UserAccessByID(ctx context.Context, tenantID, id string) (admin.UserAccess, []string, error) {
	u, err := one(ctx, t, scanUserAccess, `SELECT `+userAccessColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return u, nil, err
	}
	groups, err := all(ctx, t, scanString, `SELECT group_id FROM group_members WHERE tenant_id = $1 AND user_id = $2`, tenantID, id)
	return u, groups, err
}

// LoadAccess streams a tenant's state, row by row, in the order
// AccessVisitor documents.
func (t *tx) LoadAccess(ctx context.Context, tenantID string, v admin.AccessVisitor) error {
	perms, err := t.ListPermissions(ctx)
	if err != nil {
		return err
	}
	for _, p := range perms {
		v.Permission(p.Name, p.Kind)
	}
	roles, err := t.ListRoles(ctx, tenantID)
	if err != nil {
		return err
	}
	for _, r := range roles {
		v.Role(r)
	}
	if err := each(ctx, t, scanUserAccess, v.User, `SELECT `+userAccessColumns+` FROM users WHERE tenant_id = $1`, tenantID); err != nil {
		return err
	}
	type member struct{ user, group string }
	if err := each(ctx, t, func(s scanner) (member, error) {
		var m member
		err := s.Scan(&m.user, &m.group)
		return m, err
	}, func(m member) { v.Membership(m.user, m.group) },
		`SELECT user_id, group_id FROM group_members WHERE tenant_id = $1 ORDER BY user_id`, tenantID); err != nil {
		return err
	}
	if err := each(ctx, t, scanResource, v.Resource, `SELECT `+resourceColumns+` FROM resources r WHERE r.tenant_id = $1`, tenantID); err != nil {
		return err
	}
	return each(ctx, t, scanGrant, v.Grant, `SELECT `+grantColumns+` FROM grants g WHERE g.tenant_id = $1`, tenantID)
}

// each scans every row of q and hands it to fn, without collecting them.
func each[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), fn func(T), q string, args ...any) error {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		fn(v)
	}
	return t.d.mapError(rows.Err())
}
