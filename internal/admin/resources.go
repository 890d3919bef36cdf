package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CreateResource adds a resource to the tenant's tree. Requires
// roster.resources.write on the parent. Invalid for a bad type, key, name
// or parent ("parent_required" for a folder without a project or folder
// parent); NotFound for an unknown parent; Conflict "resource_exists".
func (s *Service) CreateResource(ctx context.Context, slug string, in NewResource) (*Resource, error) {
	if err := validateResourceType("type", in.Type); err != nil {
		return nil, err
	}
	if err := validateResourceKey("key", in.Key); err != nil {
		return nil, err
	}
	name, err := normalizeResourceName(in.Name, in.Key)
	if err != nil {
		return nil, err
	}
	var r *Resource
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, "")
		if err != nil {
			return err
		}
		now := s.clock.Now()
		r = &Resource{TenantID: t.ID, Type: in.Type, Key: in.Key, Name: name, CreatedAt: now, UpdatedAt: now}
		if err := s.placeResource(ctx, tx, t, r, in.Parent); err != nil {
			return err
		}
		if err := s.authorizeOn(ctx, t, PermResourcesWrite, r.ParentRef()); err != nil {
			return err
		}
		if err := tx.InsertResource(ctx, r); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("resource_exists", "key", "There is already a %s with the key %q.", r.Type, r.Key)
			}
			return err
		}
		if err := tx.AccessChanged(ctx, t.ID, "resource:"+r.Ref()); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "resource.created", resourceTarget(r), map[string]any{"parent": r.ParentRef()}))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func normalizeResourceName(name, key string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = key
	}
	if len([]rune(name)) > 200 || strings.ContainsFunc(name, isControl) {
		return "", Invalid("name", "invalid_name", "A name has at most 200 characters and no control characters.")
	}
	return name, nil
}

// placeResource sets r's parent from parent ("type:key" or empty): the
// parent must be an item of the tenant (not the root or a collection); a
// folder needs a project or folder parent.
func (s *Service) placeResource(ctx context.Context, tx Tx, t *Tenant, r *Resource, parent string) error {
	r.ParentType, r.ParentKey = "", ""
	if parent == "" || parent == "collection:"+r.Type {
		if r.Type == TypeFolder {
			return Invalid("parent", "parent_required", "A folder sits in a project or another folder.")
		}
		return nil
	}
	p, err := parseRef(t, "parent", parent)
	if err != nil {
		return err
	}
	if p.typ == TypeTenant || p.typ == TypeCollection {
		return Invalid("parent", "invalid_parent", "Leave parent out to put an item under its collection.")
	}
	if r.Type == TypeFolder && p.typ != TypeProject && p.typ != TypeFolder {
		return Invalid("parent", "parent_required", "A folder sits in a project or another folder.")
	}
	if _, err := tx.ResourceByRef(ctx, t.ID, p.typ, p.key); err != nil {
		if errors.Is(err, ErrNoRows) {
			return Invalid("parent", "unknown_parent", "There is no %s in this tenant.", parent)
		}
		return err
	}
	r.ParentType, r.ParentKey = p.typ, p.key
	return nil
}

// GetResource returns one resource. Requires roster.users.read.
func (s *Service) GetResource(ctx context.Context, slug, typ, key string) (*Resource, error) {
	var r *Resource
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		_, r, err = s.resourceFor(ctx, tx, slug, typ, key, PermUsersRead)
		return err
	})
	return r, err
}

func (s *Service) resourceFor(ctx context.Context, tx Tx, slug, typ, key string, perm Permission) (*Tenant, *Resource, error) {
	t, err := s.tenantFor(ctx, tx, slug, perm)
	if err != nil {
		return nil, nil, err
	}
	r, err := tx.ResourceByRef(ctx, t.ID, typ, key)
	if err != nil {
		return nil, nil, notFoundAs(err, "Resource")
	}
	return t, r, nil
}

// ListResources lists resources in (type, key) order, of one type and/or
// under one parent, and whose key or name contains q (any case). Requires
// roster.users.read.
func (s *Service) ListResources(ctx context.Context, slug string, f ResourceFilter) (*ResourcePage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	q := ResourceQuery{Type: f.Type, Limit: limit + 1, Q: strings.ToLower(strings.TrimSpace(f.Q))}
	if len([]rune(q.Q)) > 200 {
		return nil, Invalid("q", "too_long", "Search for at most 200 characters.")
	}
	if f.Type != "" {
		if err := validateResourceType("type", f.Type); err != nil {
			return nil, err
		}
	}
	if f.Cursor != "" {
		var c UserCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.ID == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		q.AfterType, q.AfterKey = c.ID, c.Key
	}
	var page ResourcePage
	err = s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		if f.Parent != "" {
			p, err := parseRef(t, "parent", f.Parent)
			if err != nil {
				return err
			}
			q.Parent = true
			switch p.typ {
			case TypeCollection:
				q.Type = p.key
			case TypeTenant:
				return Invalid("parent", "invalid_parent", "The tenant's children are its collections.")
			default:
				q.ParentType, q.ParentKey = p.typ, p.key
			}
		}
		items, err := tx.ListResources(ctx, t.ID, q)
		if err != nil {
			return err
		}
		page.Items, page.NextCursor = trimPage(items, limit, func(r *Resource) UserCursor { return UserCursor{Key: r.Key, ID: r.Type} })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// UpdateResource renames a resource or moves it (with its subtree) under
// another parent. Requires roster.resources.write on the resource and on
// the new parent. Invalid "cycle" when the new parent is inside it.
func (s *Service) UpdateResource(ctx context.Context, slug, typ, key string, p ResourcePatch) (*Resource, error) {
	var out *Resource
	err := s.store.Update(ctx, func(tx Tx) error {
		t, r, err := s.resourceFor(ctx, tx, slug, typ, key, "")
		if err != nil {
			return err
		}
		if err := s.authorizeOn(ctx, t, PermResourcesWrite, r.Ref()); err != nil {
			return err
		}
		before := map[string]any{"name": r.Name, "parent": r.ParentRef()}
		if p.Name != nil {
			if r.Name, err = normalizeResourceName(*p.Name, r.Key); err != nil {
				return err
			}
		}
		if p.Parent != nil {
			if err := s.placeResource(ctx, tx, t, r, *p.Parent); err != nil {
				return err
			}
			if r.ParentType != "" {
				sub, err := tx.Subtree(ctx, t.ID, r.Type, r.Key)
				if err != nil {
					return err
				}
				for _, n := range sub {
					if n.Type == r.ParentType && n.Key == r.ParentKey {
						return Invalid("parent", "cycle", "A resource cannot move into itself or its own subtree.")
					}
				}
			}
			if err := s.authorizeOn(ctx, t, PermResourcesWrite, r.ParentRef()); err != nil {
				return err
			}
		}
		out = r
		changes := diff(before, map[string]any{"name": r.Name, "parent": r.ParentRef()})
		if len(changes["after"].(map[string]any)) == 0 {
			return nil
		}
		r.UpdatedAt = s.clock.Now()
		if err := tx.UpdateResource(ctx, r); err != nil {
			return err
		}
		if err := tx.AccessChanged(ctx, t.ID, "resource:"+r.Ref()); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "resource.updated", resourceTarget(r), changes))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteResource deletes a resource, its whole subtree and every grant on
// any of them, in one transaction. Requires roster.resources.write on it.
func (s *Service) DeleteResource(ctx context.Context, slug, typ, key string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, r, err := s.resourceFor(ctx, tx, slug, typ, key, "")
		if err != nil {
			return err
		}
		if err := s.authorizeOn(ctx, t, PermResourcesWrite, r.Ref()); err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return err
		}
		sub, err := tx.Subtree(ctx, t.ID, r.Type, r.Key)
		if err != nil {
			return err
		}
		grants, err := tx.DeleteResources(ctx, t.ID, sub)
		if err != nil {
			return err
		}
		entities := make([]string, 0, len(sub)+len(grants))
		refs := make([]string, 0, len(sub))
		for _, n := range sub {
			entities = append(entities, "resource:"+n.Ref())
			refs = append(refs, n.Ref())
		}
		for _, g := range grants {
			entities = append(entities, "grant:"+g.ID)
			if g.SubjectType == SubjectUser {
				if _, err := tx.DeleteUserSessions(ctx, t.ID, g.SubjectID, ""); err != nil {
					return err
				}
			}
		}
		if err := tx.AccessChanged(ctx, t.ID, entities...); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "resource.deleted", resourceTarget(r),
			map[string]any{"resources": refs, "grants_deleted": len(grants)}))
	})
}

// ResourceTree returns a resource and everything under it, in (type, key)
// order: the folder tree of a project. Requires roster.users.read.
// NotFound for an unknown resource.
func (s *Service) ResourceTree(ctx context.Context, slug, typ, key string) ([]*Resource, error) {
	var out []*Resource
	err := s.store.View(ctx, func(tx Tx) error {
		t, r, err := s.resourceFor(ctx, tx, slug, typ, key, PermUsersRead)
		if err != nil {
			return err
		}
		out, err = tx.Subtree(ctx, t.ID, r.Type, r.Key)
		return err
	})
	return out, err
}

// InheritedGrants lists the grants a resource inherits (R-P3): those on
// each of its ancestors, nearest first, up to the tenant itself, each with
// Resource naming where it sits. A resource's own grants are not among
// them. Requires roster.users.read; NotFound for an unknown resource.
func (s *Service) InheritedGrants(ctx context.Context, slug, resource string) ([]*Grant, error) {
	var out []*Grant
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		r, err := s.existingRef(ctx, tx, t, "resource", resource)
		if err != nil {
			return err
		}
		var chain []ref
		for seen := 0; r.typ != TypeTenant; seen++ {
			if seen > maxTreeDepth {
				return Internal(fmt.Errorf("resource tree deeper than %d at %s", maxTreeDepth, r))
			}
			switch r.typ {
			case TypeCollection:
				r = ref{TypeTenant, ""}
			default:
				n, err := tx.ResourceByRef(ctx, t.ID, r.typ, r.key)
				if err != nil {
					return err
				}
				p, err := parseRef(t, "resource", n.ParentRef())
				if err != nil {
					return err
				}
				r = p
			}
			chain = append(chain, r)
		}
		for _, a := range chain {
			gs, err := tx.ListGrants(ctx, t.ID, GrantQuery{ByResource: true, ResourceType: a.typ, ResourceKey: a.key, Limit: maxGrantsPerResource})
			if err != nil {
				return err
			}
			for _, g := range gs {
				g.Resource = t.display(a)
				out = append(out, g)
			}
		}
		return nil
	})
	return out, err
}

// maxTreeDepth bounds a walk up the tree (the service never makes a cycle;
// this only turns a corrupt tree into an error instead of a hang).
const maxTreeDepth = 1000

// maxGrantsPerResource bounds the grants read from one ancestor.
const maxGrantsPerResource = 10000
