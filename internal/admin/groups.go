package admin

import (
	"context"
	"errors"
	"strings"
)

// ListGroups returns a page of the tenant's groups in name order, those
// whose name contains f.Q when it is set. Requires roster.users.read.
func (s *Service) ListGroups(ctx context.Context, slug string, f GroupFilter) (*GroupPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	if len(f.Q) > maxQueryLength {
		return nil, Invalid("q", "too_long", "A search has at most %d characters.", maxQueryLength)
	}
	q := GroupQuery{Q: strings.ToLower(strings.TrimSpace(f.Q)), Limit: limit + 1}
	if f.Cursor != "" {
		var c UserCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.ID == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		q.AfterKey, q.AfterID = c.Key, c.ID
	}
	var page GroupPage
	err = s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermUsersRead)
		if err != nil {
			return err
		}
		items, err := tx.ListGroups(ctx, t.ID, q)
		if err != nil {
			return err
		}
		page.Items, page.NextCursor = trimPage(items, limit, func(g *Group) UserCursor {
			return UserCursor{Key: strings.ToLower(g.Name), ID: g.ID}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// GetGroup returns one group with its member count. Requires
// roster.users.read; NotFound for an unknown group or another tenant's.
func (s *Service) GetGroup(ctx context.Context, slug, id string) (*Group, error) {
	var g *Group
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		_, g, err = s.groupFor(ctx, tx, slug, id, PermUsersRead)
		return err
	})
	return g, err
}

func (s *Service) groupFor(ctx context.Context, tx Tx, slug, id string, perm Permission) (*Tenant, *Group, error) {
	t, err := s.tenantFor(ctx, tx, slug, perm)
	if err != nil {
		return nil, nil, err
	}
	g, err := tx.GroupByID(ctx, t.ID, id)
	if err != nil {
		return nil, nil, notFoundAs(err, "Group")
	}
	return t, g, nil
}

// CreateGroup creates a group. Requires roster.groups.write. Invalid for a
// bad name; Conflict "group_name_taken" when the tenant has a group of
// that name (ignoring case).
func (s *Service) CreateGroup(ctx context.Context, slug string, in NewGroup) (*Group, error) {
	name, err := normalizeGroupName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := validateDescription(in.Description); err != nil {
		return nil, err
	}
	var g *Group
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermGroupsWrite)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		g = &Group{ID: s.newID(), TenantID: t.ID, Name: name, Description: strings.TrimSpace(in.Description), CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertGroup(ctx, g); err != nil {
			return groupConflict(err, name)
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "group.created", groupTarget(g), map[string]any{"name": g.Name}))
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func groupConflict(err error, name string) error {
	if errors.Is(err, ErrUniqueViolation) {
		return Conflict("group_name_taken", "name", "There is already a group named %q.", name)
	}
	return err
}

// UpdateGroup renames a group or changes its description; the id stays
// (R-G1, R-G3). Requires roster.groups.write. Conflict "group_name_taken".
func (s *Service) UpdateGroup(ctx context.Context, slug, id string, p GroupPatch) (*Group, error) {
	var out *Group
	err := s.store.Update(ctx, func(tx Tx) error {
		t, g, err := s.groupFor(ctx, tx, slug, id, PermGroupsWrite)
		if err != nil {
			return err
		}
		before := map[string]any{"name": g.Name, "description": g.Description}
		if p.Name != nil {
			if g.Name, err = normalizeGroupName(*p.Name); err != nil {
				return err
			}
		}
		if p.Description != nil {
			if err := validateDescription(*p.Description); err != nil {
				return err
			}
			g.Description = strings.TrimSpace(*p.Description)
		}
		out = g
		changes := diff(before, map[string]any{"name": g.Name, "description": g.Description})
		if len(changes["after"].(map[string]any)) == 0 {
			return nil
		}
		g.UpdatedAt = s.clock.Now()
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return groupConflict(err, g.Name)
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "group.updated", groupTarget(g), changes))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RenameGroup is UpdateGroup with a new name only.
func (s *Service) RenameGroup(ctx context.Context, slug, id, name string) (*Group, error) {
	return s.UpdateGroup(ctx, slug, id, GroupPatch{Name: &name})
}

// DeleteGroup deletes a group and its memberships. Requires
// roster.groups.write. Conflict "group_in_use" while the group is granted
// on any resource (R-G2). Members' sessions end: their access changed.
func (s *Service) DeleteGroup(ctx context.Context, slug, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, g, err := s.groupFor(ctx, tx, slug, id, PermGroupsWrite)
		if err != nil {
			return err
		}
		if err := tx.LockTenant(ctx, t.ID); err != nil {
			return err
		}
		n, err := tx.CountGrantsOf(ctx, t.ID, SubjectGroup, g.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return Conflict("group_in_use", "", "The group %q is still granted on %d resource(s); remove those grants first.", g.Name, n)
		}
		if err := tx.DeleteGroup(ctx, t.ID, g.ID); err != nil {
			return notFoundAs(err, "Group")
		}
		if err := tx.AccessChanged(ctx, t.ID, "group:"+g.ID); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "group.deleted", groupTarget(g), map[string]any{"name": g.Name, "members": g.MemberCount}))
	})
}

// AddMembers adds users to a group in bulk (R-G1) and reports which were
// added (those already members are skipped). Requires roster.groups.write.
// Invalid "unknown_user" (field user_ids) when an id is not a user of the
// tenant, or the user is removed; Forbidden "self_edit_forbidden" for the
// actor's own membership; Conflict "team_conflict" when a user would be on
// two teams of one project (R-P2). Nothing changes on any error. The
// added users' sessions end.
func (s *Service) AddMembers(ctx context.Context, slug, groupID string, userIDs []string) ([]string, error) {
	return s.changeMembers(ctx, slug, groupID, userIDs, true)
}

// RemoveMembers removes users from a group in bulk and reports which were
// removed (non-members are skipped). Rules as AddMembers, without teams.
func (s *Service) RemoveMembers(ctx context.Context, slug, groupID string, userIDs []string) ([]string, error) {
	return s.changeMembers(ctx, slug, groupID, userIDs, false)
}

func (s *Service) changeMembers(ctx context.Context, slug, groupID string, userIDs []string, add bool) ([]string, error) {
	ids, err := normalizeIDs("user_ids", userIDs)
	if err != nil {
		return nil, err
	}
	var changed []string
	err = s.store.Update(ctx, func(tx Tx) error {
		t, g, err := s.groupFor(ctx, tx, slug, groupID, PermGroupsWrite)
		if err != nil {
			return err
		}
		if err := s.checkSubjects(ctx, tx, t, ids); err != nil {
			return err
		}
		changed, err = s.membersTx(ctx, tx, t, g, ids, add)
		return err
	})
	if err != nil {
		return nil, err
	}
	if changed == nil {
		changed = []string{}
	}
	return changed, nil
}

// membersTx adds (or removes) the users of ids, already checked, to g
// inside tx with its audit event, refusing what the actor may not give
// (R-R4) and a second team (R-P2), and returns those that changed.
func (s *Service) membersTx(ctx context.Context, tx Tx, t *Tenant, g *Group, ids []string, add bool) ([]string, error) {
	if err := tx.LockTenant(ctx, t.ID); err != nil {
		return nil, err
	}
	if err := s.mayChangeGroupAccess(ctx, tx, t, g); err != nil {
		return nil, err
	}
	var changed []string
	var err error
	action := "group.members_removed"
	if add {
		action = "group.members_added"
		changed, err = tx.AddGroupMembers(ctx, t.ID, g.ID, ids, s.clock.Now())
		if err != nil {
			return nil, err
		}
		if err := s.checkTeams(ctx, tx, t, g.ID, changed); err != nil {
			return nil, err
		}
	} else if changed, err = tx.RemoveGroupMembers(ctx, t.ID, g.ID, ids); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return changed, nil
	}
	if err := s.accessOfUsersChanged(ctx, tx, t.ID, changed); err != nil {
		return nil, err
	}
	return changed, tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, action, groupTarget(g), map[string]any{"user_ids": changed}))
}

// checkSubjects refuses ids that are not users of the tenant, removed
// users, and the actor's own id (nobody changes their own access).
func (s *Service) checkSubjects(ctx context.Context, tx Tx, t *Tenant, ids []string) error {
	a := ActorFrom(ctx)
	users, err := tx.UsersByIDs(ctx, t.ID, ids)
	if err != nil {
		return err
	}
	found := make(map[string]*User, len(users))
	for _, u := range users {
		found[u.ID] = u
	}
	for _, id := range ids {
		u := found[id]
		if u == nil || u.Status == StatusRemoved {
			return Invalid("user_ids", "unknown_user", "%q is not a user of this tenant.", id)
		}
		if !a.Staff() && id == a.UserID {
			return &Error{Kind: KindForbidden, Code: "self_edit_forbidden", Field: "user_ids", Message: "You cannot change your own access; ask another administrator."}
		}
	}
	return nil
}

// accessOfUsersChanged ends the sessions of users whose access changed and
// tells every process's index to reload them.
func (s *Service) accessOfUsersChanged(ctx context.Context, tx Tx, tenantID string, ids []string) error {
	entities := make([]string, len(ids))
	for i, id := range ids {
		if _, err := tx.DeleteUserSessions(ctx, tenantID, id, ""); err != nil {
			return err
		}
		entities[i] = "user:" + id
	}
	return tx.AccessChanged(ctx, tenantID, entities...)
}

// ListMembers returns a page of a group's members in username order.
// Requires roster.users.read.
func (s *Service) ListMembers(ctx context.Context, slug, groupID, cursor string, limit int) (*MemberPage, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	var after UserCursor
	if cursor != "" {
		if err := decodeCursor(cursor, &after); err != nil || after.ID == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
	}
	var page MemberPage
	err = s.store.View(ctx, func(tx Tx) error {
		t, g, err := s.groupFor(ctx, tx, slug, groupID, PermUsersRead)
		if err != nil {
			return err
		}
		items, err := tx.ListGroupMembers(ctx, t.ID, g.ID, after.Key, limit+1)
		if err != nil {
			return err
		}
		page.Items, page.NextCursor = trimPage(items, limit, func(u *User) UserCursor {
			return UserCursor{Key: strings.ToLower(u.Username), ID: u.ID}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// GroupsOfUser lists the groups a user belongs to, in name order.
// Requires roster.users.read, or being that user.
func (s *Service) GroupsOfUser(ctx context.Context, slug, userID string) ([]*Group, error) {
	var out []*Group
	err := s.store.View(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, userID, PermUsersRead)
		if err != nil {
			return err
		}
		out, err = tx.GroupsOfUser(ctx, t.ID, u.ID)
		return err
	})
	if out == nil && err == nil {
		out = []*Group{}
	}
	return out, err
}

// trimPage cuts a page fetched with one row too many down to limit and,
// when there was more, returns the cursor of its last row.
func trimPage[T any](items []T, limit int, cursor func(T) UserCursor) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(cursor(items[limit-1]))
}
