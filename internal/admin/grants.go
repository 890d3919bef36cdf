package admin

import (
	"context"
	"errors"
	"fmt"
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
		g, err = s.grantTx(ctx, tx, t, in, grantFields{resource: "resource", role: "role", subject: "subject.id"}, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// grantFields are the names by which a grant's errors point at its input:
// the grants API's, or an item of a user's creation.
type grantFields struct {
	resource, role, subject string
	// unknownInvalid reports an unknown resource as Invalid
	// "unknown_resource" (a field of a larger request) rather than NotFound.
	unknownInvalid bool
}

// at names field in a refusal of a grant that is part of a larger request
// (so that the refusal points at the item); otherwise err is unchanged.
func (f grantFields) at(err error, field string) error {
	return withField(err, field, f.unknownInvalid)
}

// withField returns a copy of the domain error err naming field, when on
// and err names none.
func withField(err error, field string, on bool) error {
	var e *Error
	if !on || !errors.As(err, &e) || e.Field != "" {
		return err
	}
	e2 := *e
	e2.Field = field
	return &e2
}

// grantTx writes one grant with its audit event inside tx, after every
// check of CreateGrant; in.Access is valid. notify tells the subject by
// mail (not a user created in the same transaction).
func (s *Service) grantTx(ctx context.Context, tx Tx, t *Tenant, in NewGrant, fields grantFields, notify bool) (*Grant, error) {
	res, err := s.existingRef(ctx, tx, t, fields.resource, in.Resource)
	if err != nil {
		if fields.unknownInvalid && KindOf(err) == KindNotFound {
			return nil, Invalid(fields.resource, "unknown_resource", "There is no resource %q in this tenant.", in.Resource)
		}
		return nil, err
	}
	display := t.display(res)
	if err := s.authorizeOn(ctx, t, PermGrantsWrite, display); err != nil {
		return nil, fields.at(err, fields.resource)
	}
	role, err := tx.RoleByID(ctx, t.ID, in.Role)
	if errors.Is(err, ErrNoRows) {
		return nil, Invalid(fields.role, "unknown_role", "There is no role %q in this tenant.", in.Role)
	} else if err != nil {
		return nil, err
	}
	if err := s.checkSubject(ctx, tx, t, in.SubjectType, in.SubjectID); err != nil {
		if e := ErrorOf(err); e != nil && e.Field == "subject.id" && fields.subject != "subject.id" {
			e2 := *e
			e2.Field = fields.subject
			return nil, &e2
		}
		return nil, err
	}
	involved, err := s.involved(ctx, tx, role.Permissions, in.Access)
	if err != nil {
		return nil, err
	}
	if err := s.holdsAll(ctx, t, display, involved); err != nil {
		return nil, fields.at(err, fields.role)
	}
	if err := tx.LockTenant(ctx, t.ID); err != nil {
		return nil, err
	}
	g := &Grant{ID: s.newID(), TenantID: t.ID, SubjectType: in.SubjectType, SubjectID: in.SubjectID, RoleID: role.ID,
		ResourceType: res.typ, ResourceKey: res.key, Access: in.Access, CreatedAt: s.clock.Now(), Resource: display}
	if err := tx.InsertGrant(ctx, g); err != nil {
		if errors.Is(err, ErrUniqueViolation) {
			return nil, &Error{Kind: KindConflict, Code: "grant_exists", Field: fields.role, Message: fmt.Sprintf("The subject already has the role %s on %s.", role.Name, display)}
		}
		return nil, err
	}
	if g.SubjectType == SubjectGroup && g.ResourceType == TypeProject {
		if err := s.checkTeams(ctx, tx, t, g.SubjectID, nil); err != nil {
			return nil, err
		}
	}
	if err := s.grantChanged(ctx, tx, t, g); err != nil {
		return nil, err
	}
	if notify {
		if err := s.notifyGrantChanged(ctx, tx, t, g); err != nil {
			return nil, err
		}
	}
	if err := tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "grant.created", grantTarget(g), grantDetails(g, role))); err != nil {
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

// grantChanged logs the change for the index and ends the sessions of the
// user whose grant it is, or of every member of the group whose grant it is:
// what each of them holds has changed.
func (s *Service) grantChanged(ctx context.Context, tx Tx, t *Tenant, g *Grant) error {
	var err error
	if g.SubjectType == SubjectUser {
		_, err = tx.DeleteUserSessions(ctx, t.ID, g.SubjectID, "")
	} else {
		_, err = tx.DeleteGroupSessions(ctx, t.ID, g.SubjectID)
	}
	if err != nil {
		return err
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
		return s.revokeTx(ctx, tx, t, g, true)
	})
}

// revokeTx deletes g inside tx with its audit event, after the checks of
// DeleteGrant; notify tells the subject by mail.
func (s *Service) revokeTx(ctx context.Context, tx Tx, t *Tenant, g *Grant, notify bool) error {
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
	if notify {
		if err := s.notifyGrantChanged(ctx, tx, t, g); err != nil {
			return err
		}
	}
	return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "grant.deleted", grantTarget(g), grantDetails(g, nil)))
}

// UpdateGrant changes a grant's role or access in place (R-P1), keeping
// its subject, resource and id. The same rules as CreateGrant: it needs
// roster.grants.write on the resource and, for everyone but staff, holding
// there every permission the changed grant gives (Forbidden "escalation");
// nobody changes their own grant or one of a group they are in (Forbidden
// "self_edit_forbidden"). Invalid "unknown_role", "invalid_access";
// NotFound for an unknown grant; Conflict "grant_exists" when the subject
// already has the new role there. A change that changes nothing writes
// nothing. The change ends the sessions of the user, or of the group's
// members, whose grant it is.
func (s *Service) UpdateGrant(ctx context.Context, slug, id string, p GrantPatch) (*Grant, error) {
	if p.Access != nil && *p.Access != AccessWrite && *p.Access != AccessReadOnly {
		return nil, Invalid("access", "invalid_access", "access is write or read_only.")
	}
	var out *Grant
	err := s.store.Update(ctx, func(tx Tx) error {
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
		before := grantDetails(g, nil)
		if p.Role != nil {
			g.RoleID = *p.Role
		}
		if p.Access != nil {
			g.Access = *p.Access
		}
		role, err := tx.RoleByID(ctx, t.ID, g.RoleID)
		if errors.Is(err, ErrNoRows) {
			return Invalid("role", "unknown_role", "There is no role %q in this tenant.", g.RoleID)
		} else if err != nil {
			return err
		}
		out = g
		if g.RoleID == before["role"] && string(g.Access) == before["access"] {
			return nil
		}
		involved, err := s.involved(ctx, tx, role.Permissions, g.Access)
		if err != nil {
			return err
		}
		if err := s.holdsAll(ctx, t, g.Resource, involved); err != nil {
			return err
		}
		if err := tx.UpdateGrant(ctx, g); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("grant_exists", "role", "The subject already has this role on %s.", g.Resource)
			}
			return notFoundAs(err, "Grant")
		}
		if err := s.grantChanged(ctx, tx, t, g); err != nil {
			return err
		}
		if err := s.notifyGrantChanged(ctx, tx, t, g); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "grant.updated", grantTarget(g), diff(before, grantDetails(g, role))))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListGrants lists grants in id order: of a subject (user or group id), on
// a resource or on several items of one type (Resources), or all. Requires
// roster.users.read. Invalid "invalid_filter" for Resource with Resources
// or Resources of mixed types, "too_many" beyond MaxGrantResources.
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
		switch {
		case f.Resource != "" && len(f.Resources) > 0:
			return Invalid("resources", "invalid_filter", "Name one resource, or several, not both.")
		case f.Resource != "":
			r, err := parseRef(t, "resource", f.Resource)
			if err != nil {
				return err
			}
			q.ByResource, q.ResourceType, q.ResourceKey = true, r.typ, r.key
		case len(f.Resources) > MaxGrantResources:
			return Invalid("resources", "too_many", "At most %d resources at once.", MaxGrantResources)
		case len(f.Resources) > 0:
			for _, s := range f.Resources {
				r, err := parseRef(t, "resources", s)
				if err != nil {
					return err
				}
				if r.typ == TypeTenant || r.typ == TypeCollection || (q.ResourceType != "" && r.typ != q.ResourceType) {
					return Invalid("resources", "invalid_filter", "Several resources must be items of one type, e.g. project:P1 and project:P2.")
				}
				q.ResourceType = r.typ
				if !slices.Contains(q.ResourceKeys, r.key) {
					q.ResourceKeys = append(q.ResourceKeys, r.key)
				}
			}
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

// ProjectMisconfigurations is Misconfigurations for several projects at
// once, in one transaction (a page of the project matrix): by project key,
// every key present, an unknown project's list empty. Requires
// roster.users.read; Invalid "too_many" beyond MaxGrantResources keys.
func (s *Service) ProjectMisconfigurations(ctx context.Context, slug string, keys []string) (map[string][]Misconfiguration, error) {
	if len(keys) > MaxGrantResources {
		return nil, Invalid("projects", "too_many", "At most %d projects at once.", MaxGrantResources)
	}
	out := make(map[string][]Misconfiguration, len(keys))
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if _, ok := out[k]; ok {
				continue
			}
			ms, err := tx.Misconfigurations(ctx, t.ID, k)
			if err != nil {
				return err
			}
			if ms == nil {
				ms = []Misconfiguration{}
			}
			out[k] = ms
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
