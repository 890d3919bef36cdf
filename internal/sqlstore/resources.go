package sqlstore

import (
	"context"

	"roster/internal/admin"
)

const resourceColumns = `r.tenant_id, r.type, r.key, r.name, r.parent_type, r.parent_key, r.created_at, r.updated_at`

func scanResource(s scanner) (*admin.Resource, error) {
	var r admin.Resource
	var created, updated int64
	if err := s.Scan(&r.TenantID, &r.Type, &r.Key, &r.Name, &r.ParentType, &r.ParentKey, &created, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}

func (t *tx) InsertResource(ctx context.Context, r *admin.Resource) error {
	_, err := t.exec(ctx, `INSERT INTO resources (tenant_id, type, key, name, parent_type, parent_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.TenantID, r.Type, r.Key, r.Name, r.ParentType, r.ParentKey, micros(r.CreatedAt), micros(r.UpdatedAt))
	return err
}

func (t *tx) ResourceByRef(ctx context.Context, tenantID, typ, key string) (*admin.Resource, error) {
	return one(ctx, t, scanResource, `SELECT `+resourceColumns+` FROM resources r WHERE r.tenant_id = $1 AND r.type = $2 AND r.key = $3`,
		tenantID, typ, key)
}

func (t *tx) ListResources(ctx context.Context, tenantID string, q admin.ResourceQuery) ([]*admin.Resource, error) {
	like := "%" + escapeLike(q.Q) + "%"
	return all(ctx, t, scanResource, `SELECT `+resourceColumns+` FROM resources r
		WHERE r.tenant_id = $1 AND ($2 = '' OR r.type = $2)
			AND ($3 = FALSE OR (r.parent_type = $4 AND r.parent_key = $5))
			AND (r.type > $6 OR (r.type = $6 AND r.key > $7))
			AND ($9 = '' OR lower(r.key) LIKE $10 ESCAPE '\' OR lower(r.name) LIKE $10 ESCAPE '\')
		ORDER BY r.type, r.key LIMIT $8`,
		tenantID, q.Type, q.Parent, q.ParentType, q.ParentKey, q.AfterType, q.AfterKey, q.Limit, q.Q, like)
}

func (t *tx) UpdateResource(ctx context.Context, r *admin.Resource) error {
	return t.execOne(ctx, `UPDATE resources SET name = $4, parent_type = $5, parent_key = $6, updated_at = $7
		WHERE tenant_id = $1 AND type = $2 AND key = $3`,
		r.TenantID, r.Type, r.Key, r.Name, r.ParentType, r.ParentKey, micros(r.UpdatedAt))
}

// Subtree walks down from a resource with a recursive query; the UNION
// (not UNION ALL) stops on a cycle, which the service never lets happen.
func (t *tx) Subtree(ctx context.Context, tenantID, typ, key string) ([]*admin.Resource, error) {
	return all(ctx, t, scanResource, `WITH RECURSIVE sub (type, key) AS (
			SELECT $2, $3
			UNION
			SELECT c.type, c.key FROM resources c JOIN sub ON c.tenant_id = $1 AND c.parent_type = sub.type AND c.parent_key = sub.key
		)
		SELECT `+resourceColumns+` FROM resources r JOIN sub ON r.tenant_id = $1 AND r.type = sub.type AND r.key = sub.key
		ORDER BY r.type, r.key`, tenantID, typ, key)
}

func (t *tx) DeleteResources(ctx context.Context, tenantID string, rs []*admin.Resource) ([]*admin.Grant, error) {
	var deleted []*admin.Grant
	for _, r := range rs {
		gs, err := all(ctx, t, scanGrant, `SELECT `+grantColumns+` FROM grants g WHERE g.tenant_id = $1 AND g.resource_type = $2 AND g.resource_key = $3`,
			tenantID, r.Type, r.Key)
		if err != nil {
			return nil, err
		}
		deleted = append(deleted, gs...)
		if _, err := t.exec(ctx, `DELETE FROM grants WHERE tenant_id = $1 AND resource_type = $2 AND resource_key = $3`, tenantID, r.Type, r.Key); err != nil {
			return nil, err
		}
		if _, err := t.exec(ctx, `DELETE FROM resources WHERE tenant_id = $1 AND type = $2 AND key = $3`, tenantID, r.Type, r.Key); err != nil {
			return nil, err
		}
	}
	return deleted, nil
}
