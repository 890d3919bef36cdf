package admin

import (
	"context"
	"errors"
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

// authorize decides whether the actor in ctx holds perm in tenant. It is
// the one place where access decisions are taken: staff hold every right
// everywhere; a tenant's admins hold every roster.* right in their own
// tenant; nobody else holds any yet. Another tenant answers NotFound so
// that its existence is not revealed.
func (s *Service) authorize(ctx context.Context, tenant *Tenant, perm Permission) error {
	a := ActorFrom(ctx)
	switch {
	case a == nil:
		return errUnauthenticated
	case a.Restricted:
		return a.restrictionError()
	case a.TokenTenantID != "" && a.TokenTenantID != tenant.ID:
		return NotFound("Tenant")
	case a.Staff():
		return nil
	case a.TenantID != tenant.ID:
		return NotFound("Tenant")
	case a.Type == TypeAdmin:
		return nil
	}
	return Forbidden("forbidden", "You do not have the right %s in this tenant.", perm)
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
