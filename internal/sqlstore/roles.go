package sqlstore

import (
	"context"
	"strings"

	"roster/internal/admin"
)

func scanPermission(s scanner) (*admin.PermissionDef, error) {
	var p admin.PermissionDef
	var created int64
	if err := s.Scan(&p.Name, &p.Kind, &p.Description, &p.Builtin, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	return &p, nil
}

const permissionColumns = `name, kind, description, builtin, created_at`

func (t *tx) PermissionByName(ctx context.Context, name string) (*admin.PermissionDef, error) {
	return one(ctx, t, scanPermission, `SELECT `+permissionColumns+` FROM permissions WHERE name = $1`, name)
}

func (t *tx) InsertPermission(ctx context.Context, p *admin.PermissionDef) error {
	_, err := t.exec(ctx, `INSERT INTO permissions (`+permissionColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		p.Name, p.Kind, p.Description, p.Builtin, micros(p.CreatedAt))
	return err
}

func (t *tx) UpdatePermission(ctx context.Context, p *admin.PermissionDef) error {
	return t.execOne(ctx, `UPDATE permissions SET description = $2 WHERE name = $1`, p.Name, p.Description)
}

func (t *tx) ListPermissions(ctx context.Context) ([]*admin.PermissionDef, error) {
	return all(ctx, t, scanPermission, `SELECT `+permissionColumns+` FROM permissions ORDER BY name`)
}

const roleColumns = `r.tenant_id, r.id, r.name, r.description, r.locked, r.created_at, r.updated_at`

func scanRole(s scanner) (*admin.Role, error) {
	var r admin.Role
	var created, updated int64
	if err := s.Scan(&r.TenantID, &r.ID, &r.Name, &r.Description, &r.Locked, &created, &updated); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	r.Permissions = []string{}
	return &r, nil
}

// withPermissions fills in the permissions of roles.
func (t *tx) withPermissions(ctx context.Context, roles []*admin.Role) error {
	if len(roles) == 0 {
		return nil
	}
	byKey := map[string]*admin.Role{}
	tenants := map[string]bool{}
	for _, r := range roles {
		byKey[r.TenantID+"\x00"+r.ID] = r
		tenants[r.TenantID] = true
	}
	for tenantID := range tenants {
		rows, err := t.query(ctx, `SELECT role_id, permission FROM role_permissions WHERE tenant_id = $1 ORDER BY role_id, permission`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, p string
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return err
			}
			if r := byKey[tenantID+"\x00"+id]; r != nil {
				r.Permissions = append(r.Permissions, p)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) InsertRole(ctx context.Context, r *admin.Role) error {
	if _, err := t.exec(ctx, `INSERT INTO roles (tenant_id, id, name, name_key, description, locked, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.TenantID, r.ID, r.Name, strings.ToLower(r.Name), r.Description, r.Locked, micros(r.CreatedAt), micros(r.UpdatedAt)); err != nil {
		return err
	}
	return t.insertRolePermissions(ctx, r)
}

func (t *tx) insertRolePermissions(ctx context.Context, r *admin.Role) error {
	for _, c := range chunks(r.Permissions) {
		var b strings.Builder
		args := []any{r.TenantID, r.ID}
		for i, p := range c {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("($1, $2, " + param(3+i) + ")")
			args = append(args, p)
		}
		if _, err := t.exec(ctx, `INSERT INTO role_permissions (tenant_id, role_id, permission) VALUES `+b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) RoleByID(ctx context.Context, tenantID, id string) (*admin.Role, error) {
	r, err := one(ctx, t, scanRole, `SELECT `+roleColumns+` FROM roles r WHERE r.id = $2 AND r.tenant_id IN ($1, $3)
		ORDER BY CASE WHEN r.tenant_id = $1 THEN 0 ELSE 1 END LIMIT 1`, tenantID, id, admin.PlatformTenantID)
	if err != nil {
		return nil, err
	}
	return r, t.withPermissions(ctx, []*admin.Role{r})
}

func (t *tx) ListRoles(ctx context.Context, tenantID string) ([]*admin.Role, error) {
	roles, err := all(ctx, t, scanRole, `SELECT `+roleColumns+` FROM roles r WHERE r.tenant_id IN ($1, $2) ORDER BY r.name_key, r.id`,
		tenantID, admin.PlatformTenantID)
	if err != nil {
		return nil, err
	}
	return roles, t.withPermissions(ctx, roles)
}

func (t *tx) UpdateRole(ctx context.Context, r *admin.Role) error {
	if err := t.execOne(ctx, `UPDATE roles SET name = $3, name_key = $4, description = $5, locked = $6, updated_at = $7
		WHERE tenant_id = $1 AND id = $2`, r.TenantID, r.ID, r.Name, strings.ToLower(r.Name), r.Description, r.Locked, micros(r.UpdatedAt)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM role_permissions WHERE tenant_id = $1 AND role_id = $2`, r.TenantID, r.ID); err != nil {
		return err
	}
	return t.insertRolePermissions(ctx, r)
}

func (t *tx) DeleteRole(ctx context.Context, tenantID, id string) error {
	if _, err := t.exec(ctx, `DELETE FROM role_permissions WHERE tenant_id = $1 AND role_id = $2`, tenantID, id); err != nil {
		return err
	}
	return t.execOne(ctx, `DELETE FROM roles WHERE tenant_id = $1 AND id = $2`, tenantID, id)
}

func (t *tx) CountGrantsOfRole(ctx context.Context, tenantID, roleID string) (int, error) {
	return one(ctx, t, scanInt, `SELECT COUNT(*) FROM grants WHERE tenant_id = $1 AND role_id = $2`, tenantID, roleID)
}

func (t *tx) ReplaceRoleInGrants(ctx context.Context, tenantID, roleID, replacementID string) ([]string, error) {
	ids, err := all(ctx, t, scanString, `SELECT id FROM grants WHERE tenant_id = $1 AND role_id = $2 ORDER BY id`, tenantID, roleID)
	if err != nil {
		return nil, err
	}
	// A subject that has the replacement on the same resource already keeps that grant.
	if _, err := t.exec(ctx, `DELETE FROM grants WHERE tenant_id = $1 AND role_id = $2 AND EXISTS (
		SELECT 1 FROM grants o WHERE o.tenant_id = grants.tenant_id AND o.role_id = $3 AND o.subject_type = grants.subject_type
			AND o.subject_id = grants.subject_id AND o.resource_type = grants.resource_type AND o.resource_key = grants.resource_key)`,
		tenantID, roleID, replacementID); err != nil {
		return nil, err
	}
	if _, err := t.exec(ctx, `UPDATE grants SET role_id = $3 WHERE tenant_id = $1 AND role_id = $2`, tenantID, roleID, replacementID); err != nil {
		return nil, err
	}
	return ids, nil
}
