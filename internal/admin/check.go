package admin

import (
	"context"

	"roster/internal/access"
)

// CheckRequest asks whether a user holds a permission on a resource.
type CheckRequest struct {
	UserID     string
	Permission string
	Resource   string // "type:key"
}

// CheckResult answers a CheckRequest: why it is allowed, or why not.
type CheckResult struct {
	Allowed bool
	Reason  *CheckReason // when allowed
	Denial  string       // when denied: unknown_user, cannot_sign_in, unknown_permission, unknown_resource, read_only_user, no_grant
}

// CheckReason says which rule, grant and role allowed, where the grant
// sits, through which group, and the path from there down to the resource.
type CheckReason struct {
	Rule     string // "grant" or "admin_type"
	GrantID  string
	RoleID   string
	RoleName string
	Resource string
	GroupID  string
	Path     []string
}

// MaxChecks is the most checks one batch takes.
const MaxChecks = 1000

// Check answers a batch of checks (R-P5) from the tenant's access index,
// without touching the database for the answers. Requires
// roster.users.read. Invalid "too_many" beyond MaxChecks.
func (s *Service) Check(ctx context.Context, slug string, reqs []CheckRequest) ([]CheckResult, error) {
	t, err := s.tenantView(ctx, slug, PermUsersRead)
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, Invalid("checks", "required", "Send at least one check.")
	}
	if len(reqs) > MaxChecks {
		return nil, Invalid("checks", "too_many", "At most %d checks at once.", MaxChecks)
	}
	ix, err := s.authz.index(ctx, t)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UnixMicro()
	out := make([]CheckResult, len(reqs))
	for i, r := range reqs {
		d := ix.Check(r.UserID, r.Permission, r.Resource, now)
		if !d.Allowed {
			out[i] = CheckResult{Denial: d.Denial.String()}
			continue
		}
		out[i] = CheckResult{Allowed: true, Reason: reasonOf(ix, d.Reason, r.Resource)}
	}
	return out, nil
}

// tenantView loads a tenant and checks perm: one statement, outside a
// transaction (the hot path of the check API), or none when the tenant is
// the actor's own, read with their session for this request.
func (s *Service) tenantView(ctx context.Context, slug string, perm Permission) (*Tenant, error) {
	if a := ActorFrom(ctx); a != nil && a.tenant != nil && a.tenant.Slug == slug && !a.tenant.IsPlatform() && a.tenant.ID == a.TenantID {
		if err := s.authorize(ctx, a.tenant, perm); err != nil {
			return nil, err
		}
		return a.tenant, nil
	}
	var t *Tenant
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		t, err = s.tenantFor(ctx, tx, slug, perm)
		return err
	})
	return t, err
}

func reasonOf(ix *access.Index, r access.Reason, resource string) *CheckReason {
	out := &CheckReason{Rule: r.Rule.String(), GrantID: r.GrantID, RoleID: r.RoleID, RoleName: r.RoleName, Resource: r.Resource, GroupID: r.GroupID}
	if r.Rule == access.RuleGrant {
		path := ix.Path(resource)
		for i, p := range path {
			if p == r.Resource {
				out.Path = path[i:]
				break
			}
		}
	}
	return out
}

// HeldPermission is a permission a user holds on a resource, and why.
type HeldPermission struct {
	Name   string
	Reason *CheckReason
}

// EffectivePermissions lists what a user holds on a resource (R-P5), each
// with its reason. Requires roster.users.read, or being that user.
// NotFound for an unknown user or resource.
func (s *Service) EffectivePermissions(ctx context.Context, slug, userID, resource string) ([]HeldPermission, error) {
	var t *Tenant
	var res ref
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, _, err = s.userFor(ctx, tx, slug, userID, PermUsersRead)
		if err != nil {
			return err
		}
		if resource == "" {
			resource = t.rootRef()
		}
		res, err = s.existingRef(ctx, tx, t, "resource", resource)
		return err
	})
	if err != nil {
		return nil, err
	}
	ix, err := s.authz.index(ctx, t)
	if err != nil {
		return nil, err
	}
	ref := t.display(res)
	held := ix.Effective(userID, ref, s.clock.Now().UnixMicro())
	out := make([]HeldPermission, len(held))
	for i, h := range held {
		out[i] = HeldPermission{Name: h.Permission, Reason: reasonOf(ix, h.Reason, ref)}
	}
	return out, nil
}

// PermissionHolder is a user who holds a permission on a resource, and why.
type PermissionHolder struct {
	UserID   string
	Username string
	Reason   *CheckReason
}

// WhoHolds lists the users who hold perm on a resource (R-P5), at most
// limit (1 to 10,000; default 1,000), in user id order. Requires
// roster.users.read. NotFound for an unknown resource.
func (s *Service) WhoHolds(ctx context.Context, slug, typ, key, perm string, limit int) ([]PermissionHolder, error) {
	var t *Tenant
	var res ref
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if t, err = s.tenantFor(ctx, tx, slug, PermUsersRead); err != nil {
			return err
		}
		switch {
		case limit == 0:
			limit = 1000
		case limit < 1 || limit > 10000:
			return Invalid("limit", "out_of_range", "limit is between 1 and 10000.")
		}
		if perm == "" {
			return Invalid("permission", "required", "Name a permission.")
		}
		res, err = s.existingRef(ctx, tx, t, "resource", typ+":"+key)
		return err
	})
	if err != nil {
		return nil, err
	}
	ix, err := s.authz.index(ctx, t)
	if err != nil {
		return nil, err
	}
	ref := t.display(res)
	holders := ix.WhoHolds(perm, ref, s.clock.Now().UnixMicro(), limit)
	out := make([]PermissionHolder, len(holders))
	ids := make([]string, len(holders))
	for i, h := range holders {
		out[i] = PermissionHolder{UserID: h.UserID, Reason: reasonOf(ix, h.Reason, ref)}
		ids[i] = h.UserID
	}
	names := map[string]string{}
	if err := s.store.View(ctx, func(tx Tx) error {
		us, err := tx.UsersByIDs(ctx, t.ID, ids)
		for _, u := range us {
			names[u.ID] = u.Username
		}
		return err
	}); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Username = names[out[i].UserID]
	}
	return out, nil
}

// ActorMay reports, for each resource of refs ("type:key"), whether the
// actor holds perm on it: what a console shows as editable. It decides
// nothing: every change is still authorized by the call that makes it.
// Requires roster.users.read in the tenant.
func (s *Service) ActorMay(ctx context.Context, slug string, perm Permission, refs []string) ([]bool, error) {
	t, err := s.tenantView(ctx, slug, PermUsersRead)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(refs))
	for i, ref := range refs {
		out[i] = s.authorizeOn(ctx, t, perm, ref) == nil
	}
	return out, nil
}
