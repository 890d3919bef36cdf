package admin

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// ListRoles returns the predefined roles and the tenant's own, in name
// order. Requires roster.users.read.
func (s *Service) ListRoles(ctx context.Context, slug string) ([]*Role, error) {
	var out []*Role
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		out, err = tx.ListRoles(ctx, t.ID)
		return err
	})
	return out, err
}

// GetRole returns a role with its permissions (R-R3). Requires
// roster.users.read; NotFound for another tenant's role.
func (s *Service) GetRole(ctx context.Context, slug, id string) (*Role, error) {
	var r *Role
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		_, r, err = s.roleFor(ctx, tx, slug, id, PermUsersRead)
		return err
	})
	return r, err
}

func (s *Service) roleFor(ctx context.Context, tx Tx, slug, id string, perm Permission) (*Tenant, *Role, error) {
	t, err := s.tenantFor(ctx, tx, slug, perm)
	if err != nil {
		return nil, nil, err
	}
	r, err := tx.RoleByID(ctx, t.ID, id)
	if err != nil {
		return nil, nil, notFoundAs(err, "Role")
	}
	return t, r, nil
}

// CreateRole creates a custom role. Requires roster.roles.write and, for
// everyone but staff, holding every one of its permissions on the tenant
// (R-R4, Forbidden "escalation"). Invalid "unknown_permission" (field
// permissions); Conflict "role_name_taken".
func (s *Service) CreateRole(ctx context.Context, slug string, in NewRole) (*Role, error) {
	name, err := normalizeRoleName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := validateDescription(in.Description); err != nil {
		return nil, err
	}
	var r *Role
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermRolesWrite)
		if err != nil {
			return err
		}
		perms, err := s.rolePermissions(ctx, tx, t, in.Permissions)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		r = &Role{ID: s.newID(), TenantID: t.ID, Name: name, Description: strings.TrimSpace(in.Description), Permissions: perms, CreatedAt: now, UpdatedAt: now}
		if err := s.insertRole(ctx, tx, t, r); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "role.created", roleTarget(r), map[string]any{"name": r.Name, "permissions": r.Permissions}))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// CopyRole creates a custom role with the permissions of any role,
// predefined or custom, under a new name. Rules as CreateRole.
func (s *Service) CopyRole(ctx context.Context, slug, id, name string) (*Role, error) {
	name, err := normalizeRoleName(name)
	if err != nil {
		return nil, err
	}
	var r *Role
	err = s.store.Update(ctx, func(tx Tx) error {
		t, src, err := s.roleFor(ctx, tx, slug, id, PermRolesWrite)
		if err != nil {
			return err
		}
		if err := s.holdsAll(ctx, t, t.rootRef(), src.Permissions); err != nil {
			return err
		}
		now := s.clock.Now()
		r = &Role{ID: s.newID(), TenantID: t.ID, Name: name, Description: src.Description, Permissions: slices.Clone(src.Permissions), CreatedAt: now, UpdatedAt: now}
		if err := s.insertRole(ctx, tx, t, r); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "role.copied", roleTarget(r), map[string]any{"from": src.ID, "from_name": src.Name, "permissions": r.Permissions}))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) insertRole(ctx context.Context, tx Tx, t *Tenant, r *Role) error {
	if err := s.roleNameFree(ctx, tx, t, r); err != nil {
		return err
	}
	if err := tx.InsertRole(ctx, r); err != nil {
		if errors.Is(err, ErrUniqueViolation) {
			return Conflict("role_name_taken", "name", "There is already a role named %q.", r.Name)
		}
		return err
	}
	return tx.AccessChanged(ctx, t.ID, "role:"+r.ID)
}

// roleNameFree refuses the name of a predefined role (the unique key
// covers the tenant's own roles).
func (s *Service) roleNameFree(ctx context.Context, tx Tx, t *Tenant, r *Role) error {
	roles, err := tx.ListRoles(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, o := range roles {
		if o.ID != r.ID && strings.EqualFold(o.Name, r.Name) {
			return Conflict("role_name_taken", "name", "There is already a role named %q.", r.Name)
		}
	}
	return nil
}

// rolePermissions checks a role's permission list: every name in the
// catalogue, held by the actor on the tenant (R-R4); sorted, duplicates
// dropped.
func (s *Service) rolePermissions(ctx context.Context, tx Tx, t *Tenant, names []string) ([]string, error) {
	perms := sortedSet(names)
	if len(perms) > 1000 {
		return nil, Invalid("permissions", "too_many", "A role has at most 1000 permissions.")
	}
	known, err := tx.ListPermissions(ctx)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(known))
	for _, p := range known {
		have[p.Name] = true
	}
	for _, p := range perms {
		if !have[p] {
			return nil, Invalid("permissions", "unknown_permission", "%q is not in the permission catalogue.", p)
		}
	}
	if err := s.holdsAll(ctx, t, t.rootRef(), perms); err != nil {
		return nil, err
	}
	if perms == nil {
		perms = []string{}
	}
	return perms, nil
}

func roleImmutable(r *Role) error {
	if r.Locked {
		return Conflict("role_locked", "", "The role %q is locked: copy it to change it.", r.Name)
	}
	return Conflict("role_predefined", "", "The role %q ships with the catalogue: copy it to change it.", r.Name)
}

// UpdateRole renames a custom role or changes its permissions. Requires
// roster.roles.write and holding every permission the role will have
// (R-R4). Conflict "role_locked"/"role_predefined" for a predefined role.
func (s *Service) UpdateRole(ctx context.Context, slug, id string, p RolePatch) (*Role, error) {
	var out *Role
	err := s.store.Update(ctx, func(tx Tx) error {
		t, r, err := s.roleFor(ctx, tx, slug, id, PermRolesWrite)
		if err != nil {
			return err
		}
		if r.Predefined() {
			return roleImmutable(r)
		}
		before := map[string]any{"name": r.Name, "description": r.Description, "permissions": r.Permissions}
		if p.Name != nil {
			if r.Name, err = normalizeRoleName(*p.Name); err != nil {
				return err
			}
			if err := s.roleNameFree(ctx, tx, t, r); err != nil {
				return err
			}
		}
		if p.Description != nil {
			if err := validateDescription(*p.Description); err != nil {
				return err
			}
			r.Description = strings.TrimSpace(*p.Description)
		}
		if p.Permissions != nil {
			if r.Permissions, err = s.rolePermissions(ctx, tx, t, *p.Permissions); err != nil {
				return err
			}
		} else if err := s.holdsAll(ctx, t, t.rootRef(), r.Permissions); err != nil {
			return err
		}
		out = r
		changes := diff(before, map[string]any{"name": r.Name, "description": r.Description, "permissions": r.Permissions})
		if len(changes["after"].(map[string]any)) == 0 {
			return nil
		}
		r.UpdatedAt = s.clock.Now()
		if err := tx.UpdateRole(ctx, r); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("role_name_taken", "name", "There is already a role named %q.", r.Name)
			}
			return err
		}
		if err := tx.AccessChanged(ctx, t.ID, "role:"+r.ID); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "role.updated", roleTarget(r), changes))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRole deletes a custom role. While it is granted the request must
// name a replacement role, which every grant of it moves to (Conflict
// "role_in_use" otherwise); the actor must hold the replacement's
// permissions (R-R4). Conflict "role_locked"/"role_predefined".
func (s *Service) DeleteRole(ctx context.Context, slug, id, replacement string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, r, err := s.roleFor(ctx, tx, slug, id, PermRolesWrite)
		if err != nil {
			return err
		}
		if r.Predefined() {
			return roleImmutable(r)
		}
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return err
		}
		n, err := tx.CountGrantsOfRole(ctx, t.ID, r.ID)
		if err != nil {
			return err
		}
		details := map[string]any{"name": r.Name, "grants": n}
		var changed []string
		if n > 0 {
			if replacement == "" {
				return Conflict("role_in_use", "replacement", "The role %q is granted %d time(s): name a replacement role.", r.Name, n)
			}
			repl, err := tx.RoleByID(ctx, t.ID, replacement)
			if err != nil || repl.ID == r.ID {
				return Invalid("replacement", "unknown_role", "The replacement is not another role of this tenant.")
			}
			if err := s.holdsAll(ctx, t, t.rootRef(), repl.Permissions); err != nil {
				return err
			}
			if changed, err = tx.ReplaceRoleInGrants(ctx, t.ID, r.ID, repl.ID); err != nil {
				return err
			}
			details["replacement"], details["replacement_name"] = repl.ID, repl.Name
		}
		if err := tx.DeleteRole(ctx, t.ID, r.ID); err != nil {
			return notFoundAs(err, "Role")
		}
		entities := []string{"role:" + r.ID}
		for _, g := range changed {
			entities = append(entities, "grant:"+g)
		}
		if err := tx.AccessChanged(ctx, t.ID, entities...); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "role.deleted", roleTarget(r), details))
	})
}
