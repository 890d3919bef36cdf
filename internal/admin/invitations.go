package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Invitation is an offer to join a tenant sent to one address (R-I1), with
// the access to give the invitee when they accept.
type Invitation struct {
	ID             string
	TenantID       string
	Email          string
	Locale         string
	Type           UserType
	Roles          []string
	Groups         []string
	Grants         []InvitationGrant
	Status         string // InvitationPending, InvitationAccepted or InvitationRevoked; see DisplayStatus
	InvitedBy      string
	InvitedByName  string
	SentCount      int
	AcceptedUserID string
	ExpiresAt      time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// InvitationGrant is a grant an invitation gives on acceptance: a role on
// a resource ("type:key"), with write (default) or read_only access.
type InvitationGrant struct {
	Role     string `json:"role"`
	Resource string `json:"resource"`
	Access   string `json:"access,omitempty"`
}

// The stored states of an invitation. InvitationExpired is only shown.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// DisplayStatus is the status shown: "expired" for a pending invitation
// past its expiry.
func (inv *Invitation) DisplayStatus(now time.Time) string {
	if inv.Status == InvitationPending && !now.Before(inv.ExpiresAt) {
		return InvitationExpired
	}
	return inv.Status
}

// NewInvitation is the input of Invite.
type NewInvitation struct {
	Email  string
	Locale string   // default: the tenant's locale
	Type   UserType // default: standard
	Roles  []string
	Groups []string
	Grants []InvitationGrant
}

// InvitationFilter selects invitations, newest first.
type InvitationFilter struct {
	Status string // pending (the default), accepted, revoked, expired or all
	Cursor string
	Limit  int
}

// InvitationQuery is an InvitationFilter as the store runs it.
type InvitationQuery struct {
	Statuses []string
	Before   *InvitationCursor
	Limit    int
}

// InvitationCursor is the last row of the previous page.
type InvitationCursor struct {
	CreatedAt int64  `json:"c"`
	ID        string `json:"i"`
}

// InvitationPage is one page of invitations.
type InvitationPage struct {
	Items      []*Invitation
	NextCursor string
}

// InvitationAcceptance is what the invitee gives to join.
type InvitationAcceptance struct {
	Token     string
	Username  string
	Password  string
	FirstName string
	LastName  string
}

const maxInvitationItems = 100

func validateInvitation(in *NewInvitation) error {
	for _, list := range []struct {
		field string
		items []string
	}{{"roles", in.Roles}, {"groups", in.Groups}} {
		if len(list.items) > maxInvitationItems {
			return Invalid(list.field, "too_many", "At most %d %s.", maxInvitationItems, list.field)
		}
		for _, v := range list.items {
			if strings.TrimSpace(v) == "" || len(v) > 200 {
				return Invalid(list.field, "invalid_reference", "Each of %s is a non-empty name or id.", list.field)
			}
		}
	}
	if len(in.Grants) > maxInvitationItems {
		return Invalid("grants", "too_many", "At most %d grants.", maxInvitationItems)
	}
	for i, g := range in.Grants {
		field := fmt.Sprintf("grants[%d]", i)
		switch {
		case strings.TrimSpace(g.Role) == "" || len(g.Role) > 200:
			return Invalid(field+".role", "required", "A grant names a role.")
		case !strings.Contains(g.Resource, ":") || len(g.Resource) > 400:
			return Invalid(field+".resource", "invalid_resource", "A resource is written type:key, e.g. project:P1.")
		case g.Access != "" && g.Access != "write" && g.Access != "read_only":
			return Invalid(field+".access", "invalid_access", "access is write or read_only.")
		}
	}
	return nil
}

// Invite invites an address to the tenant (R-I1) and e-mails it a link
// that expires in seven days. Requires roster.invitations.write. Conflict
// "email_taken" when a user of the tenant has the address (with the way to
// restore them when they are removed, R-U4), "already_invited" when a
// pending invitation exists (resend it instead).
func (s *Service) Invite(ctx context.Context, slug string, in NewInvitation) (*Invitation, error) {
	addr, err := normalizeEmail("email", in.Email)
	if err != nil {
		return nil, err
	}
	if in.Type == "" {
		in.Type = TypeStandard
	}
	if !in.Type.valid() {
		return nil, Invalid("type", "invalid_type", "type is admin, standard or read_only.")
	}
	if err := validateInvitation(&in); err != nil {
		return nil, err
	}
	var inv *Invitation
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermInvitationsWrite)
		if err != nil {
			return err
		}
		locale := in.Locale
		if locale == "" {
			locale = t.Settings.Locale
		}
		if err := validateLocale(locale); err != nil {
			return err
		}
		if err := s.addressFree(ctx, tx, t, addr); err != nil {
			return err
		}
		if err := s.checkInvitationGroups(ctx, tx, t, in.Groups); err != nil {
			return err
		}
		if err := s.checkInvitationGrants(ctx, tx, t, in.Roles, in.Grants); err != nil {
			return err
		}
		now := s.clock.Now()
		if old, err := tx.PendingInvitationByEmail(ctx, t.ID, strings.ToLower(addr)); err == nil {
			if now.Before(old.ExpiresAt) {
				return Conflict("already_invited", "email", "%s has a pending invitation already; resend it instead.", addr)
			}
			old.Status, old.UpdatedAt = InvitationRevoked, now // an expired offer makes way for the new one
			if err := tx.UpdateInvitation(ctx, old); err != nil {
				return err
			}
		} else if !errors.Is(err, ErrNoRows) {
			return err
		}
		a := ActorFrom(ctx)
		if in.Type == TypeAdmin && !a.Staff() && a.Type != TypeAdmin {
			return Forbidden("forbidden", "Only an administrator can invite an administrator.")
		}
		inv = &Invitation{ID: s.newID(), TenantID: t.ID, Email: addr, Locale: locale, Type: in.Type,
			Roles: nonNil(in.Roles), Groups: nonNil(in.Groups), Grants: in.Grants, Status: InvitationPending,
			InvitedBy: a.UserID, InvitedByName: a.Username, SentCount: 1, CreatedAt: now, UpdatedAt: now,
			ExpiresAt: now.Add(InvitationTTL)}
		if inv.Grants == nil {
			inv.Grants = []InvitationGrant{}
		}
		if err := tx.InsertInvitation(ctx, inv); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("already_invited", "email", "%s has a pending invitation already; resend it instead.", addr)
			}
			return err
		}
		if err := s.sendInvitation(ctx, tx, t, inv); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "invitation.created", invitationTarget(inv), map[string]any{"after": invitationDetails(inv)}))
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// addressFree refuses an address that a user of the tenant already has.
func (s *Service) addressFree(ctx context.Context, tx Tx, t *Tenant, addr string) error {
	other, err := tx.UserByLogin(ctx, t.ID, addr)
	if errors.Is(err, ErrNoRows) || (err == nil && !strings.EqualFold(other.Email, addr)) {
		return nil
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Another user of this tenant has the e-mail address %s.", addr)
	if other.Status == StatusRemoved && other.RemovedAt != nil {
		msg += fmt.Sprintf(" It belongs to the removed user %s: restore them (until %s) instead of inviting again.", other.Username, other.RemovedAt.Add(RetentionWindow).Format("2006-01-02 15:04 MST"))
	}
	return &Error{Kind: KindConflict, Code: "email_taken", Field: "email", Message: msg}
}

func (s *Service) sendInvitation(ctx context.Context, tx Tx, t *Tenant, inv *Invitation) error {
	data := tenantMailData(t, nil)
	data["invited_by"] = inv.InvitedByName
	l, err := s.issueLink(ctx, tx, t, MailInvitation, inv.ID, inv.Email, inv.Locale, inv.ExpiresAt.Sub(s.clock.Now()), data)
	if err != nil {
		return err
	}
	inv.ExpiresAt = l.ExpiresAt
	return nil
}

func invitationTarget(inv *Invitation) auditTarget {
	return auditTarget{Type: "invitation", ID: inv.ID, Name: inv.Email}
}

func invitationDetails(inv *Invitation) map[string]any {
	return map[string]any{"email": inv.Email, "type": string(inv.Type), "locale": inv.Locale, "roles": inv.Roles,
		"groups": inv.Groups, "grants": inv.Grants, "status": inv.Status, "expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)}
}

// invitationFor loads an invitation of the tenant after checking perm.
func (s *Service) invitationFor(ctx context.Context, tx Tx, slug, id string, perm Permission) (*Tenant, *Invitation, error) {
	t, err := s.tenantFor(ctx, tx, slug, perm)
	if err != nil {
		return nil, nil, err
	}
	inv, err := tx.InvitationByID(ctx, t.ID, id)
	if err != nil {
		return nil, nil, notFoundAs(err, "Invitation")
	}
	return t, inv, nil
}

// GetInvitation returns one invitation. Requires roster.invitations.write.
func (s *Service) GetInvitation(ctx context.Context, slug, id string) (*Invitation, error) {
	var inv *Invitation
	err := s.store.View(ctx, func(tx Tx) (err error) {
		_, inv, err = s.invitationFor(ctx, tx, slug, id, PermInvitationsWrite)
		return err
	})
	return inv, err
}

// ListInvitations lists a tenant's invitations, newest first (R-I2):
// pending ones unless the filter asks otherwise. Requires
// roster.invitations.write.
func (s *Service) ListInvitations(ctx context.Context, slug string, f InvitationFilter) (*InvitationPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	q := InvitationQuery{Limit: limit + 1}
	switch f.Status {
	case "", InvitationPending, InvitationExpired:
		q.Statuses = []string{InvitationPending}
	case InvitationAccepted, InvitationRevoked:
		q.Statuses = []string{f.Status}
	case "all":
	default:
		return nil, Invalid("status", "invalid_status", "status is pending, accepted, revoked, expired or all.")
	}
	if f.Cursor != "" {
		var c InvitationCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.ID == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		q.Before = &c
	}
	want := func(status string) bool {
		switch f.Status {
		case "", InvitationPending:
			return status == InvitationPending
		case InvitationExpired:
			return status == InvitationExpired
		}
		return true
	}
	now := s.clock.Now()
	var page InvitationPage
	err = s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermInvitationsWrite)
		if err != nil {
			return err
		}
		// Pending and expired differ only by the clock: fetch pending ones
		// and keep those the filter wants, page by page.
		for {
			items, err := tx.ListInvitations(ctx, t.ID, q)
			if err != nil {
				return err
			}
			more := len(items) > limit
			if more {
				items = items[:limit]
			}
			for _, inv := range items {
				if want(inv.DisplayStatus(now)) {
					page.Items = append(page.Items, inv)
				}
			}
			if !more {
				return nil
			}
			last := items[limit-1]
			c := InvitationCursor{CreatedAt: last.CreatedAt.UnixMicro(), ID: last.ID}
			if len(page.Items) >= limit {
				page.NextCursor = encodeCursor(c)
				return nil
			}
			q.Before = &c
		}
	})
	if err != nil {
		return nil, err
	}
	return &page, nil
}

// ResendInvitation sends a pending invitation again with a new link that
// expires seven days from now; the previous link stops working (R-I2).
// Requires roster.invitations.write. Conflict "invitation_closed" for an
// accepted or revoked invitation.
func (s *Service) ResendInvitation(ctx context.Context, slug, id string) (*Invitation, error) {
	var inv *Invitation
	err := s.store.Update(ctx, func(tx Tx) error {
		t, i, err := s.invitationFor(ctx, tx, slug, id, PermInvitationsWrite)
		if err != nil {
			return err
		}
		inv = i
		if inv.Status != InvitationPending {
			return Conflict("invitation_closed", "", "The invitation was %s; send a new one.", inv.Status)
		}
		now := s.clock.Now()
		inv.ExpiresAt, inv.UpdatedAt = now.Add(InvitationTTL), now
		inv.SentCount++
		if err := s.sendInvitation(ctx, tx, t, inv); err != nil {
			return err
		}
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "invitation.resent", invitationTarget(inv), map[string]any{"expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)}))
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// RevokeInvitation withdraws a pending invitation; its link stops working
// (R-I2). Requires roster.invitations.write. Conflict "invitation_closed"
// for an accepted or revoked invitation.
func (s *Service) RevokeInvitation(ctx context.Context, slug, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, inv, err := s.invitationFor(ctx, tx, slug, id, PermInvitationsWrite)
		if err != nil {
			return err
		}
		if inv.Status != InvitationPending {
			return Conflict("invitation_closed", "", "The invitation was %s already.", inv.Status)
		}
		inv.Status, inv.UpdatedAt = InvitationRevoked, s.clock.Now()
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		if err := tx.SupersedeLinks(ctx, t.ID, inv.ID, string(MailInvitation)); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "invitation.revoked", invitationTarget(inv), nil))
	})
}

// AcceptInvitation creates the invitee's account from the token
// of their invitation link (R-I1): the invited address, the chosen
// username and password, and the access the invitation carries. The link
// works once. Invalid "invalid_token", "token_expired", or a field that
// fails validation; Conflict "username_taken", "email_taken" or
// "seat_limit" (checked now, at acceptance: R-U9).
func (s *Service) AcceptInvitation(ctx context.Context, in InvitationAcceptance) (*User, *Tenant, error) {
	var l *Link
	var t *Tenant
	var inv *Invitation
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if l, err = s.findLink(ctx, tx, MailInvitation, in.Token); err != nil {
			return err
		}
		if t, err = tx.TenantByID(ctx, l.TenantID); err != nil {
			return err
		}
		inv, err = tx.InvitationByID(ctx, l.TenantID, l.SubjectID)
		return err
	})
	if errors.Is(err, ErrNoRows) || (err == nil && inv.Status != InvitationPending) {
		return nil, nil, errInvalidToken
	}
	if err != nil {
		return nil, nil, err
	}
	if in.Password == "" {
		return nil, nil, Invalid("password", "required", "Choose a password.")
	}
	u, err := s.buildUser(ctx, t, NewUser{Username: in.Username, Email: inv.Email, FirstName: in.FirstName,
		LastName: in.LastName, Locale: inv.Locale, Type: inv.Type, Auth: AuthPassword, Password: in.Password})
	if err != nil {
		return nil, nil, err
	}
	u.MustChangePassword = false // they chose it themselves
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.UseLink(ctx, l.TenantID, l.ID, HashToken(in.Token), s.clock.Now()); err != nil {
			return err
		}
		fresh, err := tx.InvitationByID(ctx, t.ID, inv.ID)
		if err != nil {
			return err
		}
		if fresh.Status != InvitationPending {
			return ErrNoRows
		}
		inv = fresh
		if err := s.insertUser(ctx, tx, t, u); err != nil {
			return err
		}
		inv.Status, inv.AcceptedUserID, inv.UpdatedAt = InvitationAccepted, u.ID, s.clock.Now()
		if err := tx.UpdateInvitation(ctx, inv); err != nil {
			return err
		}
		skipped, err := s.applyInvitationAccess(ctx, tx, t, u, inv)
		if err != nil {
			return err
		}
		e := s.audit(ctx, t.ID, "user.created", userTarget(u), map[string]any{"after": userDetails(u), "invitation_id": inv.ID})
		e.ActorID, e.ActorName, e.ActorTenantID = u.ID, u.Username, u.TenantID
		if err := tx.InsertAuditEvent(ctx, e); err != nil {
			return err
		}
		e = s.audit(ctx, t.ID, "invitation.accepted", invitationTarget(inv), map[string]any{"user_id": u.ID,
			"roles": inv.Roles, "groups": inv.Groups, "grants": inv.Grants, "skipped": skipped})
		e.ActorID, e.ActorName, e.ActorTenantID = u.ID, u.Username, u.TenantID
		return tx.InsertAuditEvent(ctx, e)
	})
	if errors.Is(err, ErrNoRows) {
		return nil, nil, errInvalidToken
	}
	if err != nil {
		return nil, nil, err
	}
	return u, t, nil
}

// offeredGrant is one grant an invitation offers, with the input field it
// came from: each role is a grant on the tenant's root.
type offeredGrant struct {
	field string
	InvitationGrant
}

func offeredGrants(t *Tenant, roles []string, grants []InvitationGrant) []offeredGrant {
	var out []offeredGrant
	for _, r := range roles {
		out = append(out, offeredGrant{"roles", InvitationGrant{Role: r, Resource: t.rootRef()}})
	}
	for i, g := range grants {
		out = append(out, offeredGrant{fmt.Sprintf("grants[%d]", i), g})
	}
	return out
}

func (g offeredGrant) access() Access {
	if g.Access == "" {
		return AccessWrite
	}
	return Access(g.Access)
}

// checkInvitationGrants refuses roles and grants that name no role or
// resource of the tenant, and those the inviter could not give themselves
// (roster.grants.write on the resource and every permission involved:
// R-R4). The check happens now, because the invitee accepts without the
// inviter.
func (s *Service) checkInvitationGrants(ctx context.Context, tx Tx, t *Tenant, roles []string, grants []InvitationGrant) error {
	for _, g := range offeredGrants(t, roles, grants) {
		resField, roleField := g.field+".resource", g.field+".role"
		if g.field == "roles" {
			resField, roleField = "roles", "roles"
		}
		res, err := s.existingRef(ctx, tx, t, resField, g.Resource)
		if KindOf(err) == KindNotFound {
			return Invalid(resField, "unknown_resource", "There is no resource %s in this tenant.", g.Resource)
		}
		if err != nil {
			return err
		}
		display := t.display(res)
		if err := s.authorizeOn(ctx, t, PermGrantsWrite, display); err != nil {
			return err
		}
		role, err := tx.RoleByID(ctx, t.ID, g.Role)
		if errors.Is(err, ErrNoRows) {
			return Invalid(roleField, "unknown_role", "There is no role %q in this tenant.", g.Role)
		}
		if err != nil {
			return err
		}
		involved, err := s.involved(ctx, tx, role.Permissions, g.access())
		if err != nil {
			return err
		}
		if err := s.holdsAll(ctx, t, display, involved); err != nil {
			return err
		}
	}
	return nil
}

// checkInvitationGroups refuses groups that do not exist in the tenant or
// whose access the inviter could not give by adding a member (R-R4): the
// check happens now, because the invitee accepts without the inviter.
func (s *Service) checkInvitationGroups(ctx context.Context, tx Tx, t *Tenant, ids []string) error {
	if len(ids) > 0 {
		if err := s.authorize(ctx, t, PermGroupsWrite); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return Invalid("groups", "duplicate", "The group %q is listed twice.", id)
		}
		seen[id] = true
		g, err := tx.GroupByID(ctx, t.ID, id)
		if errors.Is(err, ErrNoRows) {
			return Invalid("groups", "unknown_group", "%q is not a group of this tenant.", id)
		}
		if err != nil {
			return err
		}
		if err := s.mayChangeGroupAccess(ctx, tx, t, g); err != nil {
			return err
		}
	}
	return nil
}

// applyInvitationAccess gives the new user what the invitation offers:
// membership of its groups, its roles (on the tenant's root) and its
// grants, each with its audit event. What vanished since the invitation
// was sent (a deleted group, role or resource) is skipped and listed.
func (s *Service) applyInvitationAccess(ctx context.Context, tx Tx, t *Tenant, u *User, inv *Invitation) (skipped []string, err error) {
	offered := offeredGrants(t, inv.Roles, inv.Grants)
	if len(inv.Groups) == 0 && len(offered) == 0 {
		return nil, nil
	}
	if err := tx.LockTenant(ctx, t.ID); err != nil {
		return nil, err
	}
	for _, id := range inv.Groups {
		if _, err := tx.GroupByID(ctx, t.ID, id); errors.Is(err, ErrNoRows) {
			skipped = append(skipped, "group:"+id)
			continue
		} else if err != nil {
			return nil, err
		}
		added, err := tx.AddGroupMembers(ctx, t.ID, id, []string{u.ID}, s.clock.Now())
		if err != nil {
			return nil, err
		}
		if err := s.checkTeams(ctx, tx, t, id, added); err != nil {
			return nil, err
		}
	}
	for _, og := range offered {
		res, err := s.existingRef(ctx, tx, t, "resource", og.Resource)
		if KindOf(err) == KindNotFound || KindOf(err) == KindInvalid {
			skipped = append(skipped, "resource:"+og.Resource)
			continue
		} else if err != nil {
			return nil, err
		}
		role, err := tx.RoleByID(ctx, t.ID, og.Role)
		if errors.Is(err, ErrNoRows) {
			skipped = append(skipped, "role:"+og.Role)
			continue
		} else if err != nil {
			return nil, err
		}
		g := &Grant{ID: s.newID(), TenantID: t.ID, SubjectType: SubjectUser, SubjectID: u.ID, RoleID: role.ID,
			ResourceType: res.typ, ResourceKey: res.key, Access: og.access(), CreatedAt: s.clock.Now(), Resource: t.display(res)}
		if err := tx.InsertGrant(ctx, g); errors.Is(err, ErrUniqueViolation) {
			continue // the same role on the same resource twice
		} else if err != nil {
			return nil, err
		}
		if err := s.grantChanged(ctx, tx, t, g); err != nil {
			return nil, err
		}
		d := grantDetails(g, role)
		d["invitation_id"] = inv.ID
		e := s.audit(ctx, t.ID, "grant.created", grantTarget(g), d)
		e.ActorID, e.ActorName, e.ActorTenantID = u.ID, u.Username, u.TenantID
		if err := tx.InsertAuditEvent(ctx, e); err != nil {
			return nil, err
		}
	}
	return skipped, s.accessOfUsersChanged(ctx, tx, t.ID, []string{u.ID})
}
