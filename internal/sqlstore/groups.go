package sqlstore

import (
	"context"
	"strings"
	"time"

	"roster/internal/admin"
)

// inList returns "($n, $n+1, …)" for k arguments numbered from n.
func inList(n, k int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := 0; i < k; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(param(n + i))
	}
	b.WriteByte(')')
	return b.String()
}

// anys turns strings into query arguments, after the leading ones.
func anys(lead []any, ss []string) []any {
	out := make([]any, 0, len(lead)+len(ss))
	out = append(out, lead...)
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// chunkSize bounds the arguments of one statement (SQLite allows 32766,
// PostgreSQL 65535).
const chunkSize = 500

func chunks(ids []string) [][]string {
	var out [][]string
	for len(ids) > chunkSize {
		out = append(out, ids[:chunkSize])
		ids = ids[chunkSize:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

func (t *tx) UsersByIDs(ctx context.Context, tenantID string, ids []string) ([]*admin.User, error) {
	var out []*admin.User
	for _, c := range chunks(ids) {
		us, err := all(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u WHERE u.tenant_id = $1 AND u.id IN `+inList(2, len(c)),
			anys([]any{tenantID}, c)...)
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
	}
	return out, nil
}

const groupColumns = `g.tenant_id, g.id, g.name, g.description, g.created_at, g.updated_at,
	(SELECT COUNT(*) FROM group_members m WHERE m.tenant_id = g.tenant_id AND m.group_id = g.id)`

func scanGroup(s scanner) (*admin.Group, error) {
	var g admin.Group
	var created, updated int64
	if err := s.Scan(&g.TenantID, &g.ID, &g.Name, &g.Description, &created, &updated, &g.MemberCount); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &g, nil
}

func (t *tx) InsertGroup(ctx context.Context, g *admin.Group) error {
	_, err := t.exec(ctx, `INSERT INTO groups (tenant_id, id, name, name_key, description, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		g.TenantID, g.ID, g.Name, strings.ToLower(g.Name), g.Description, micros(g.CreatedAt), micros(g.UpdatedAt))
	return err
}

func (t *tx) GroupByID(ctx context.Context, tenantID, id string) (*admin.Group, error) {
	return one(ctx, t, scanGroup, `SELECT `+groupColumns+` FROM groups g WHERE g.tenant_id = $1 AND g.id = $2`, tenantID, id)
}

func (t *tx) ListGroups(ctx context.Context, tenantID string, q admin.GroupQuery) ([]*admin.Group, error) {
	return all(ctx, t, scanGroup, `SELECT `+groupColumns+` FROM groups g
		WHERE g.tenant_id = $1 AND ($2 = '' OR g.name_key LIKE $3 ESCAPE '\') AND (g.name_key > $4 OR (g.name_key = $4 AND g.id > $5))
		ORDER BY g.name_key, g.id LIMIT $6`,
		tenantID, q.Q, "%"+escapeLike(q.Q)+"%", q.AfterKey, q.AfterID, q.Limit)
}

func (t *tx) UpdateGroup(ctx context.Context, g *admin.Group) error {
	return t.execOne(ctx, `UPDATE groups SET name = $3, name_key = $4, description = $5, updated_at = $6
		WHERE tenant_id = $1 AND id = $2`, g.TenantID, g.ID, g.Name, strings.ToLower(g.Name), g.Description, micros(g.UpdatedAt))
}

func (t *tx) DeleteGroup(ctx context.Context, tenantID, id string) error {
	if _, err := t.exec(ctx, `DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2`, tenantID, id); err != nil {
		return err
	}
	return t.execOne(ctx, `DELETE FROM groups WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) memberIDs(ctx context.Context, tenantID, groupID string, ids []string) (map[string]bool, error) {
	in := map[string]bool{}
	for _, c := range chunks(ids) {
		got, err := all(ctx, t, scanString, `SELECT user_id FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id IN `+inList(3, len(c)),
			anys([]any{tenantID, groupID}, c)...)
		if err != nil {
			return nil, err
		}
		for _, id := range got {
			in[id] = true
		}
	}
	return in, nil
}

func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

func (t *tx) AddGroupMembers(ctx context.Context, tenantID, groupID string, userIDs []string, at time.Time) ([]string, error) {
	in, err := t.memberIDs(ctx, tenantID, groupID, userIDs)
	if err != nil {
		return nil, err
	}
	var added []string
	for _, id := range userIDs {
		if !in[id] {
			added = append(added, id)
		}
	}
	for _, c := range chunks(added) {
		var b strings.Builder
		args := []any{tenantID, groupID, micros(at)}
		for i, id := range c {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("($1, $2, " + param(4+i) + ", $3)")
			args = append(args, id)
		}
		if _, err := t.exec(ctx, `INSERT INTO group_members (tenant_id, group_id, user_id, created_at) VALUES `+b.String(), args...); err != nil {
			return nil, err
		}
	}
	return added, nil
}

func (t *tx) RemoveGroupMembers(ctx context.Context, tenantID, groupID string, userIDs []string) ([]string, error) {
	in, err := t.memberIDs(ctx, tenantID, groupID, userIDs)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, id := range userIDs {
		if in[id] {
			removed = append(removed, id)
		}
	}
	for _, c := range chunks(removed) {
		if _, err := t.exec(ctx, `DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id IN `+inList(3, len(c)),
			anys([]any{tenantID, groupID}, c)...); err != nil {
			return nil, err
		}
	}
	return removed, nil
}

func (t *tx) ListGroupMembers(ctx context.Context, tenantID, groupID, after string, limit int) ([]*admin.User, error) {
	return all(ctx, t, scanUser, `SELECT `+userColumns+` FROM group_members m
		JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
		WHERE m.tenant_id = $1 AND m.group_id = $2 AND u.username_key > $3 AND u.status <> 'removed'
		ORDER BY u.username_key LIMIT $4`, tenantID, groupID, after, limit)
}

func (t *tx) GroupsOfUser(ctx context.Context, tenantID, userID string) ([]*admin.Group, error) {
	return all(ctx, t, scanGroup, `SELECT `+groupColumns+` FROM group_members m
		JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
		WHERE m.tenant_id = $1 AND m.user_id = $2 ORDER BY g.name_key, g.id`, tenantID, userID)
}
