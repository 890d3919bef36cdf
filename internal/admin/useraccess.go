package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// UserGrant is a role on a resource given to one user: "collection:project"
// is access to all projects (R-P4), "project:P1" to one.
type UserGrant struct {
	Resource string // "type:key"
	Role     string // a role id
	Access   Access // default write
}

// MaxUserAccess is the most groups, roles or grants one user request names.
const MaxUserAccess = 200

// newAccess is the access part of a NewUser, checked for form: ids
// deduplicated, accesses defaulted; groupField names the groups in errors.
type newAccess struct {
	groups, roles []string
	grants        []UserGrant
	groupField    string
}

func normalizeNewAccess(in NewUser, groupField string) (newAccess, error) {
	out := newAccess{groupField: groupField}
	var err error
	if out.groups, err = accessIDs(groupField, "group", in.Groups); err != nil {
		return out, err
	}
	if out.roles, err = accessIDs("roles", "role", in.Roles); err != nil {
		return out, err
	}
	if len(in.Grants) > MaxUserAccess {
		return out, Invalid("grants", "too_many", "At most %d grants at once.", MaxUserAccess)
	}
	for i, g := range in.Grants {
		if g.Access == "" {
			g.Access = AccessWrite
		}
		if g.Access != AccessWrite && g.Access != AccessReadOnly {
			return out, Invalid(fmt.Sprintf("grants[%d].access", i), "invalid_access", "access is write or read_only.")
		}
		if strings.TrimSpace(g.Role) == "" {
			return out, Invalid(fmt.Sprintf("grants[%d].role", i), "required", "Name the role to grant.")
		}
		out.grants = append(out.grants, g)
	}
	return out, nil
}

// accessIDs deduplicates a list of ids, which may be empty.
func accessIDs(field, what string, ids []string) ([]string, error) {
	if len(ids) > MaxUserAccess {
		return nil, Invalid(field, "too_many", "At most %d at once.", MaxUserAccess)
	}
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > 100 {
			return nil, Invalid(field, "invalid_id", "%q is not a %s id.", id, what)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// giveNewUserAccess puts a user into groups and writes grants inside tx,
// each with its audit event, without mail: a new user's activation mail is
// on its way, and ChangeUserAccess sends one mail for the whole change.
func (s *Service) giveNewUserAccess(ctx context.Context, tx Tx, t *Tenant, u *User, acc newAccess) error {
	if err := s.joinGroups(ctx, tx, t, u.ID, acc.groups, acc.groupField); err != nil {
		return err
	}
	for _, id := range acc.roles {
		in := NewGrant{SubjectType: SubjectUser, SubjectID: u.ID, Role: id, Resource: t.rootRef(), Access: AccessWrite}
		if _, err := s.grantTx(ctx, tx, t, in, grantFields{resource: "roles", role: "roles", subject: "roles", unknownInvalid: true}, false); err != nil {
			return err
		}
	}
	for i, g := range acc.grants {
		in := NewGrant{SubjectType: SubjectUser, SubjectID: u.ID, Role: g.Role, Resource: g.Resource, Access: g.Access}
		f := fmt.Sprintf("grants[%d].", i)
		if _, err := s.grantTx(ctx, tx, t, in, grantFields{resource: f + "resource", role: f + "role", subject: f + "resource", unknownInvalid: true}, false); err != nil {
			return err
		}
	}
	return nil
}

// joinGroups adds one user to groups (ids of the tenant's groups; another
// tenant's id is unknown) inside tx. Requires roster.groups.write.
func (s *Service) joinGroups(ctx context.Context, tx Tx, t *Tenant, userID string, groups []string, field string) error {
	return s.eachGroup(ctx, tx, t, groups, field, func(g *Group) error {
		_, err := s.membersTx(ctx, tx, t, g, []string{userID}, true)
		return withField(err, field, KindOf(err) == KindConflict || KindOf(err) == KindForbidden)
	})
}

// eachGroup checks that the actor may change memberships and calls fn
// with each group of ids, Invalid "unknown_group" for an id that is not
// a group of the tenant.
func (s *Service) eachGroup(ctx context.Context, tx Tx, t *Tenant, ids []string, field string, fn func(*Group) error) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.authorize(ctx, t, PermGroupsWrite); err != nil {
		return withField(err, field, true)
	}
	for _, id := range ids {
		g, err := tx.GroupByID(ctx, t.ID, id)
		if errors.Is(err, ErrNoRows) {
			return Invalid(field, "unknown_group", "There is no group %q in this tenant.", id)
		}
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// UserAccessChange is a change of one user's groups and own grants, as
// the user dialog saves it.
type UserAccessChange struct {
	JoinGroups  []string    // group ids
	LeaveGroups []string    // group ids
	AddGrants   []UserGrant // new grants of the user
	Revoke      []string    // ids of the user's own grants
}

// ChangeUserAccess applies c to a user in one transaction: every change
// with its audit event, or none. Requires what AddMembers, RemoveMembers,
// CreateGrant and DeleteGrant require; nobody changes their own access
// (Forbidden "self_edit_forbidden"). Errors name the fields of CreateUser
// ("grants[i]…"), "join_groups", "leave_groups" and "revoke" (Invalid
// "unknown_grant" for a grant that is not the user's). NotFound for a user
// of another tenant. The user's sessions end when anything changed.
func (s *Service) ChangeUserAccess(ctx context.Context, slug, userID string, c UserAccessChange) error {
	ac, err := normalizeAccessChange(c)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, userID, PermUsersRead)
		if err != nil {
			return err
		}
		return s.changeAccessTx(ctx, tx, t, u, ac)
	})
}

// accessChange is a UserAccessChange checked for form.
type accessChange struct {
	add           newAccess
	leave, revoke []string
}

func (c accessChange) empty() bool {
	return len(c.leave)+len(c.revoke)+len(c.add.groups)+len(c.add.grants) == 0
}

func normalizeAccessChange(c UserAccessChange) (accessChange, error) {
	var out accessChange
	var err error
	if out.add, err = normalizeNewAccess(NewUser{Groups: c.JoinGroups, Grants: c.AddGrants}, "join_groups"); err != nil {
		return out, err
	}
	if out.leave, err = accessIDs("leave_groups", "group", c.LeaveGroups); err != nil {
		return out, err
	}
	out.revoke, err = accessIDs("revoke", "grant", c.Revoke)
	return out, err
}

// changeAccessTx applies c to u inside tx (ChangeUserAccess, UpdateUser).
func (s *Service) changeAccessTx(ctx context.Context, tx Tx, t *Tenant, u *User, c accessChange) error {
	if c.empty() {
		return nil
	}
	if err := s.checkSubjects(ctx, tx, t, []string{u.ID}); err != nil {
		if e := ErrorOf(err); e.Field == "user_ids" {
			e2 := *e
			e2.Field = ""
			return &e2
		}
		return err
	}
	for _, id := range c.revoke {
		g, err := tx.GrantByID(ctx, t.ID, id)
		if errors.Is(err, ErrNoRows) || (err == nil && (g.SubjectType != SubjectUser || g.SubjectID != u.ID)) {
			return Invalid("revoke", "unknown_grant", "%q is not a grant of this user.", id)
		}
		if err != nil {
			return err
		}
		if err := s.revokeTx(ctx, tx, t, g, false); err != nil {
			return err
		}
	}
	if err := s.eachGroup(ctx, tx, t, c.leave, "leave_groups", func(g *Group) error {
		_, err := s.membersTx(ctx, tx, t, g, []string{u.ID}, false)
		return withField(err, "leave_groups", KindOf(err) == KindForbidden)
	}); err != nil {
		return err
	}
	if err := s.giveNewUserAccess(ctx, tx, t, u, c.add); err != nil {
		return err
	}
	if len(c.revoke)+len(c.add.grants) > 0 && u.Status != StatusRemoved {
		// One mail for the whole change, not one per grant (R-E2).
		return s.NotifyRolesChanged(ctx, tx, t, u, "")
	}
	return nil
}
