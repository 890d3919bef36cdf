package admin

import (
	"context"
	"errors"
	"slices"
)

// CreateGrant gives a user or group a role on a resource (R-P1, R-P4).
// Requires roster.grants.write on the resource and, for everyone but
// staff, holding there every permission the grant gives (R-R4, Forbidden
// "escalation"); nobody grants to themselves or to a group they are in
// (Forbidden "self_edit_forbidden"). Invalid "unknown_role",
// "unknown_subject", "invalid_access"; NotFound for an unknown resource;
// Conflict "grant_exists", and "team_conflict" when a group granted on a
// project would put a member on two teams of it (R-P2). A user's own
// grant ends their sessions.
func (s *Service) CreateGrant(ctx context.Context, slug string, in NewGrant) (*Grant, error) {
	if in.Access == "" {
		in.Access = AccessWrite
	}
	if in.Access != AccessWrite && in.Access != AccessReadOnly {
		return nil, Invalid("access", "invalid_access", "access is write or read_only.")
	}
	if in.SubjectType != SubjectUser && in.SubjectType != SubjectGroup {
		return nil, Invalid("subject.type", "invalid_subject", "subject.type is user or group.")
	}
	var g *Grant
	err := s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, "")
		if err != nil {
			return err
		}
		res, err := s.existingRef(ctx, tx, t, "resource", in.Resource)
		if err != nil {
			return err
		}
		display := t.display(res)
		if err := s.authorizeOn(ctx, t, PermGrantsWrite, display); err != nil {
			return err
		}
		role, err := tx.RoleByID(ctx, t.ID, in.Role)
		if errors.Is(err, ErrNoRows) {
			return Invalid("role", "unknown_role", "There is no role %q in this tenant.", in.Role)
		} else if err != nil {
			return err
		}
		if err := s.checkSubject(ctx, tx, t, in.SubjectType, in.SubjectID); err != nil {
			return err
		}
		involved, err := s.involved(ctx, tx, role.Permissions, in.Access)
		if err != nil {
			return err
		}
		if err := s.holdsAll(ctx, t, display, involved); err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return err
		}
		g = &Grant{ID: s.newID(), TenantID: t.ID, SubjectType: in.SubjectType, SubjectID: in.SubjectID, RoleID: role.ID,
			ResourceType: res.typ, ResourceKey: res.key, Access: in.Access, CreatedAt: s.clock.Now(), Resource: display}
		if err := tx.InsertGrant(ctx, g); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("grant_exists", "role", "The subject already has this role on %s.", display)
			}
			return err
		}
		if g.SubjectType == SubjectGroup && g.ResourceType == TypeProject {
			if err := s.checkTeams(ctx, tx, t, g.SubjectID, nil); err != nil {
				return err
			}
		}
		if err := s.grantChanged(ctx, tx, t, g); err != nil {
			return err
		}
		if err := s.notifyGrantChanged(ctx, tx, t, g); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "grant.created", grantTarget(g), grantDetails(g, role)))
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func grantDetails(g *Grant, r *Role) map[string]any {
	d := map[string]any{"subject_type": string(g.SubjectType), "subject_id": g.SubjectID, "role": g.RoleID,
		"resource": g.Resource, "access": string(g.Access)}
	if r != nil {
		d["role_name"] = r.Name
	}
	return d
}

// grantChanged logs the change for the index and ends the sessions of a
// user whose own grants changed.
func (s *Service) grantChanged(ctx context.Context, tx Tx, t *Tenant, g *Grant) error {
	if g.SubjectType == SubjectUser {
		if _, err := tx.DeleteUserSessions(ctx, t.ID, g.SubjectID, ""); err != nil {
			return err
		}
	}
	return tx.AccessChanged(ctx, t.ID, "grant:"+g.ID)
}

// existingRef parses a resource reference and checks that the resource
// exists (the root and the collections always do).
func (s *Service) existingRef(ctx context.Context, tx Tx, t *Tenant, field, str string) (ref, error) {
	r, err := parseRef(t, field, str)
	if err != nil {
		return ref{}, err
	}
	if r.typ != TypeTenant && r.typ != TypeCollection {
		if _, err := tx.ResourceByRef(ctx, t.ID, r.typ, r.key); err != nil {
			return ref{}, notFoundAs(err, "Resource")
		}
	}
	return r, nil
}

// checkSubject checks that a grant's subject exists in the tenant and is
// not the actor or a group the actor is in.
func (s *Service) checkSubject(ctx context.Context, tx Tx, t *Tenant, typ SubjectType, id string) error {
	a := ActorFrom(ctx)
	if typ == SubjectUser {
		us, err := tx.UsersByIDs(ctx, t.ID, []string{id})
		if err != nil {
			return err
		}
		if len(us) == 0 || us[0].Status == StatusRemoved {
			return Invalid("subject.id", "unknown_subject", "There is no such user in this tenant.")
		}
		if !a.Staff() && id == a.UserID {
			return &Error{Kind: KindForbidden, Code: "self_edit_forbidden", Field: "subject.id", Message: "You cannot change your own access; ask another administrator."}
		}
		return nil
	}
	if _, err := tx.GroupByID(ctx, t.ID, id); err != nil {
		if errors.Is(err, ErrNoRows) {
			return Invalid("subject.id", "unknown_subject", "There is no such group in this tenant.")
		}
		return err
	}
	if a.Staff() {
		return nil
	}
	groups, err := tx.GroupsOfUser(ctx, t.ID, a.UserID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(groups, func(g *Group) bool { return g.ID == id }) {
		return &Error{Kind: KindForbidden, Code: "self_edit_forbidden", Field: "subject.id", Message: "You are in this group: you cannot change its access; ask another administrator."}
	}
	return nil
}

// involved is what a grant of a role with access gives: every permission,
// or only the read ones.
func (s *Service) involved(ctx context.Context, tx Tx, perms []string, access Access) ([]string, error) {
	if access == AccessWrite {
		return perms, nil
	}
	all, err := tx.ListPermissions(ctx)
	if err != nil {
		return nil, err
	}
	kind := make(map[string]PermKind, len(all))
	for _, p := range all {
		kind[p.Name] = p.Kind
	}
	var out []string
	for _, p := range perms {
		if kind[p] == KindRead {
			out = append(out, p)
		}
	}
	return out, nil
}

// DeleteGrant revokes a grant. Requires roster.grants.write on its
// resource; nobody revokes their own grant or one of a group they are in.
func (s *Service) DeleteGrant(ctx context.Context, slug, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, "")
		if err != nil {
			return err
		}
		g, err := tx.GrantByID(ctx, t.ID, id)
		if err != nil {
			return notFoundAs(err, "Grant")
		}
		g.Resource = t.display(ref{g.ResourceType, g.ResourceKey})
		if err := s.authorizeOn(ctx, t, PermGrantsWrite, g.Resource); err != nil {
			return err
		}
		if err := s.checkSubject(ctx, tx, t, g.SubjectType, g.SubjectID); err != nil && KindOf(err) == KindForbidden {
			return err
		}
		if err := tx.DeleteGrant(ctx, t.ID, g.ID); err != nil {
			return notFoundAs(err, "Grant")
		}
		if err := s.grantChanged(ctx, tx, t, g); err != nil {
			return err
		}
		if err := s.notifyGrantChanged(ctx, tx, t, g); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "grant.deleted", grantTarget(g), grantDetails(g, nil)))
	})
}

// ListGrants lists grants in creation order: of a subject (user or group
// id), on a resource, or all. Requires roster.users.read.
func (s *Service) ListGrants(ctx context.Context, slug string, f GrantFilter) (*GrantPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	q := GrantQuery{SubjectID: f.Subject, Limit: limit + 1}
	if f.Cursor != "" {
		var c UserCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.ID == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		q.After = c.ID
	}
	var page GrantPage
	err = s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		if f.Resource != "" {
			r, err := parseRef(t, "resource", f.Resource)
			if err != nil {
				return err
			}
			q.ByResource, q.ResourceType, q.ResourceKey = true, r.typ, r.key
		}
		items, err := tx.ListGrants(ctx, t.ID, q)
		if err != nil {
			return err
		}
		for _, g := range items {
			g.Resource = t.display(ref{g.ResourceType, g.ResourceKey})
		}
		page.Items, page.NextCursor = trimPage(items, limit, func(g *Grant) UserCursor { return UserCursor{ID: g.ID} })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// Misconfigurations lists the problems of a project's teams (R-P2): users
// on two teams or more and, when the project has teams, users with a
// grant on it or its folders who are on none. Requires roster.users.read.
func (s *Service) Misconfigurations(ctx context.Context, slug, typ, key string) ([]Misconfiguration, error) {
	var out []Misconfiguration
	err := s.store.View(ctx, func(tx Tx) error {
		t, r, err := s.resourceFor(ctx, tx, slug, typ, key, PermUsersRead)
		if err != nil {
			return err
		}
		if r.Type != TypeProject {
			return nil
		}
		out, err = tx.Misconfigurations(ctx, t.ID, r.Key)
		return err
	})
	if out == nil && err == nil {
		out = []Misconfiguration{}
	}
	return out, err
}
