package admin

import (
	"context"
	"errors"
	"strings"

	"roster/internal/access"
)

// Permission is a right. Roster's own rights start with "roster.".
type Permission string

// Roster's own rights (SPEC §2).
const (
	PermUsersRead        Permission = "roster.users.read"
	PermUsersWrite       Permission = "roster.users.write"
	PermGroupsWrite      Permission = "roster.groups.write"
	PermRolesWrite       Permission = "roster.roles.write"
	PermGrantsWrite      Permission = "roster.grants.write"
	PermResourcesWrite   Permission = "roster.resources.write"
	PermLicencesWrite    Permission = "roster.licences.write"
	PermInvitationsWrite Permission = "roster.invitations.write"
	PermAuditRead        Permission = "roster.audit.read"
	PermSettingsWrite    Permission = "roster.settings.write"
)

// errUnauthenticated is returned to a request without a valid session.
var errUnauthenticated = &Error{Kind: KindUnauthenticated, Code: "unauthenticated", Message: "Sign in first."}

// errTokenForbidden refuses an API token what only a person may do:
// platform-wide actions, and their own credentials and sessions.
var errTokenForbidden = &Error{Kind: KindForbidden, Code: "api_token_forbidden", Message: "An API token cannot do this; sign in as a person."}

// authorize decides whether the actor in ctx holds perm in tenant (on its
// root resource). It and authorizeOn are the one place where access
// decisions are taken: staff hold every right everywhere; a tenant's admins
// hold every roster.* right in their own tenant (R-R5); everyone else holds
// what their grants give, as the access index answers. Another tenant
// answers NotFound so that its existence is not revealed. An empty perm
// only checks that the actor may address the tenant at all.
func (s *Service) authorize(ctx context.Context, tenant *Tenant, perm Permission) error {
	return s.authorizeOn(ctx, tenant, perm, tenant.rootRef())
}

// authorizeOn decides whether the actor holds perm on the resource ref
// ("type:key") of tenant.
func (s *Service) authorizeOn(ctx context.Context, tenant *Tenant, perm Permission, ref string) error {
	a := ActorFrom(ctx)
	switch {
	case a == nil:
		return errUnauthenticated
	case a.Restricted:
		return a.restrictionError()
	case a.TokenTenantID != "" && a.TokenTenantID != tenant.ID:
		return NotFound("Tenant")
	}
	if err := s.tokenRoleAllows(ctx, a, tenant, perm); err != nil {
		return err
	}
	switch {
	case a.Staff():
		return nil
	case a.TenantID != tenant.ID:
		return NotFound("Tenant")
	case perm == "":
		return nil
	case a.Type == TypeAdmin && strings.HasPrefix(string(perm), access.RosterPrefix):
		return nil
	}
	ix, err := s.authz.index(ctx, tenant)
	if err != nil {
		return err
	}
	if ix.Check(a.UserID, string(perm), ref, s.clock.Now().UnixMicro()).Allowed {
		return nil
	}
	if ref == tenant.rootRef() {
		return Forbidden("forbidden", "You do not have the right %s in this tenant.", perm)
	}
	return Forbidden("forbidden", "You do not have the right %s on %s.", perm, ref)
}

// holdsAll refuses, with Forbidden "escalation", an actor who does not hold
// every one of perms on ref (R-R4): nobody grants, or puts in a role, more
// than they hold. Staff hold everything.
func (s *Service) holdsAll(ctx context.Context, t *Tenant, ref string, perms []string) error {
	a := ActorFrom(ctx)
	if len(perms) == 0 || (a.Staff() && a.TokenRole == "") {
		return nil
	}
	ix, err := s.authz.index(ctx, t)
	if err != nil {
		return err
	}
	now := s.clock.Now().UnixMicro()
	for _, p := range perms {
		if err := s.tokenRoleAllows(ctx, a, t, Permission(p)); err != nil {
			return Forbidden("escalation", "You can only give permissions you hold yourself: this API token does not hold %s.", p)
		}
		if !ix.Check(a.UserID, p, ref, now).Allowed {
			return Forbidden("escalation", "You can only give permissions you hold yourself: you do not hold %s on %s.", p, ref)
		}
	}
	return nil
}

// requireStaff allows platform staff only.
func (s *Service) requireStaff(ctx context.Context) error {
	a := ActorFrom(ctx)
	switch {
	case a == nil:
		return errUnauthenticated
	case a.Restricted:
		return a.restrictionError()
	case a.TokenID != "":
		return errTokenForbidden
	case !a.Staff():
		return Forbidden("staff_only", "Only platform staff may do this.")
	}
	return nil
}

// tenantFor loads the tenant named by slug and checks that the actor holds
// perm in it. The platform is never addressed by slug.
func (s *Service) tenantFor(ctx context.Context, tx Tx, slug string, perm Permission) (*Tenant, error) {
	if ActorFrom(ctx) == nil {
		return nil, errUnauthenticated
	}
	t, err := tx.TenantBySlug(ctx, slug)
	if errors.Is(err, ErrNoRows) || (err == nil && t.IsPlatform()) {
		return nil, NotFound("Tenant")
	}
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, t, perm); err != nil {
		return nil, err
	}
	return t, nil
}
