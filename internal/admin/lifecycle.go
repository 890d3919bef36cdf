package admin

import (
	"context"
	"errors"
	"strings"

	"roster/internal/password"
)

// UpdateUser changes a user (R-U2). Username, auth and id never change
// (Invalid "immutable"); nobody changes their own e-mail, type or status
// (Forbidden "self_edit_forbidden"); the last active admin keeps their type
// and status (Conflict "last_admin"). A change of type ends the user's sessions.
// With p.Access the user's groups and grants change in the same
// transaction, with the rules and errors of ChangeUserAccess.
func (s *Service) UpdateUser(ctx context.Context, slug, id string, p UserPatch) (*User, error) {
	var ac accessChange
	if p.Access != nil {
		var err error
		if ac, err = normalizeAccessChange(*p.Access); err != nil {
			return nil, err
		}
	}
	var out *User
	err := s.store.Update(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, id, PermUsersWrite)
		if err != nil {
			return err
		}
		if u.Status == StatusRemoved {
			return Conflict("user_removed", "", "The user is removed; restore them first.")
		}
		before := userDetails(u)
		self := ActorFrom(ctx).UserID == u.ID
		if err := s.applyPatch(ctx, tx, t, u, p, self); err != nil {
			return err
		}
		if p.Unlock {
			u.Locked, u.FailedSignIns, u.LockedUntil, u.Lockouts = false, 0, nil, 0
		}
		u.UpdatedAt = s.clock.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return userConflict(err, u)
		}
		changes := diff(before, userDetails(u))
		if len(changes["after"].(map[string]any)) == 0 {
			out = u
			return s.changeAccessTx(ctx, tx, t, u, ac)
		}
		if before["type"] != string(u.Type) || before["status"] != string(u.Status) {
			if _, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, ""); err != nil {
				return err
			}
		}
		if err := s.notifyStatusChange(ctx, tx, t, u, Status(before["status"].(string))); err != nil {
			return err
		}
		if !strings.EqualFold(before["email"].(string), u.Email) {
			if err := s.addressChanged(ctx, tx, t, u); err != nil {
				return err
			}
		}
		out = u
		if err := tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.updated", userTarget(u), changes)); err != nil {
			return err
		}
		return s.changeAccessTx(ctx, tx, t, u, ac)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) applyPatch(ctx context.Context, tx Tx, t *Tenant, u *User, p UserPatch, self bool) error {
	if p.Username != nil && *p.Username != u.Username {
		return Invalid("username", "immutable", "A username never changes.")
	}
	if p.Auth != nil && *p.Auth != u.Auth {
		return Invalid("auth", "immutable", "How a user signs in is fixed when the user is created.")
	}
	if self {
		switch {
		case p.Email != nil && !strings.EqualFold(strings.TrimSpace(*p.Email), u.Email):
			return selfEdit("email")
		case p.Type != nil && *p.Type != u.Type:
			return selfEdit("type")
		case p.Status != nil && *p.Status != u.Status:
			return selfEdit("status")
		}
	}
	if p.Email != nil {
		e, err := normalizeEmail("email", *p.Email)
		if err != nil {
			return err
		}
		u.Email = e
	}
	if err := applyProfile(u, p.FirstName, p.LastName, p.Phone, p.Locale, p.OtherRecipients); err != nil {
		return err
	}
	if p.ExpiresAt != nil || p.ExpiresInDays != nil {
		e, err := s.expiry(p.ExpiresAt, p.ExpiresInDays)
		if err != nil {
			return err
		}
		u.ExpiresAt = e
	}
	set(&u.MFAEnforced, p.MFAEnforced)
	set(&u.NotificationsDisabled, p.NotificationsDisabled)
	set(&u.MustChangePassword, p.MustChangePassword)
	if u.MustChangePassword && u.Auth == AuthSSO {
		return Invalid("must_change_password", "sso_user_password", "A single sign-on user has no password to change.")
	}
	if p.Type != nil && *p.Type != u.Type {
		if !p.Type.valid() {
			return Invalid("type", "invalid_type", "type is admin, standard or read_only.")
		}
		if u.Type == TypeAdmin {
			if err := s.keepAnAdmin(ctx, tx, t, u); err != nil {
				return err
			}
		}
		u.Type = *p.Type
	}
	if p.Status != nil && *p.Status != u.Status {
		switch *p.Status {
		case StatusDeactivated:
			return s.deactivate(ctx, tx, t, u)
		case StatusActive:
			if u.Status != StatusDeactivated {
				return Invalid("status", "invalid_transition", "Only a deactivated user can be activated; a pending user becomes active at their first sign-in.")
			}
			u.Status = reactivatedStatus(u)
		default:
			return Invalid("status", "invalid_transition", "status can be set to active or deactivated; remove a user with DELETE.")
		}
	}
	return nil
}

func selfEdit(field string) error {
	return &Error{Kind: KindForbidden, Code: "self_edit_forbidden", Field: field, Message: "You cannot change your own " + strings.ReplaceAll(field, "_", " ") + "; ask another administrator."}
}

// keepAnAdmin refuses a change that would leave the tenant without an
// active admin (R-U8). It locks the tenant so that two admins demoting
// each other at once cannot both succeed.
func (s *Service) keepAnAdmin(ctx context.Context, tx Tx, t *Tenant, u *User) error {
	if u.Type != TypeAdmin || u.Status != StatusActive {
		return nil
	}
	if err := tx.LockTenant(ctx, t.ID); err != nil {
		return err
	}
	n, err := tx.CountActiveAdmins(ctx, t.ID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Conflict("last_admin", "", "%s is the last active administrator of this tenant.", u.Username)
	}
	return nil
}

func (s *Service) deactivate(ctx context.Context, tx Tx, t *Tenant, u *User) error {
	if u.Status != StatusActive && u.Status != StatusPending {
		return Conflict("invalid_transition", "status", "Only a pending or active user can be deactivated.")
	}
	if err := s.keepAnAdmin(ctx, tx, t, u); err != nil {
		return err
	}
	u.Status = StatusDeactivated
	return nil
}

// notifyStatusChange tells u that their account was deactivated or
// reactivated (R-E2), when it was.
func (s *Service) notifyStatusChange(ctx context.Context, tx Tx, t *Tenant, u *User, before Status) error {
	switch {
	case before == u.Status:
		return nil
	case u.Status == StatusDeactivated:
		return s.Notify(ctx, tx, t, u, MailDeactivated, nil)
	case before == StatusDeactivated && (u.Status == StatusActive || u.Status == StatusPending):
		return s.Notify(ctx, tx, t, u, MailReactivated, nil)
	}
	return nil
}

// reactivatedStatus is where an activated user goes: active if they have
// ever signed in, else back to pending.
func reactivatedStatus(u *User) Status {
	if u.LastSignInAt != nil {
		return StatusActive
	}
	return StatusPending
}

// lifecycle runs one state change of a user in a transaction with its
// audit event.
func (s *Service) lifecycle(ctx context.Context, slug, id, action string, selfForbidden bool, change func(tx Tx, t *Tenant, u *User) error) (*User, error) {
	var out *User
	err := s.store.Update(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, id, PermUsersWrite)
		if err != nil {
			return err
		}
		if selfForbidden && ActorFrom(ctx).UserID == u.ID {
			return selfEdit("status")
		}
		before := userDetails(u)
		if err := change(tx, t, u); err != nil {
			return err
		}
		out = u
		if action == "" {
			return nil
		}
		u.UpdatedAt = s.clock.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := s.notifyStatusChange(ctx, tx, t, u, Status(before["status"].(string))); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, action, userTarget(u), diff(before, userDetails(u))))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeactivateUser stops a pending or active user from signing in and ends
// their sessions at once (R-U3). Conflict "last_admin", "invalid_transition".
func (s *Service) DeactivateUser(ctx context.Context, slug, id string) (*User, error) {
	return s.lifecycle(ctx, slug, id, "user.deactivated", true, func(tx Tx, t *Tenant, u *User) error {
		if err := s.deactivate(ctx, tx, t, u); err != nil {
			return err
		}
		_, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, "")
		return err
	})
}

// ActivateUser lets a deactivated user sign in again. Conflict "invalid_transition".
func (s *Service) ActivateUser(ctx context.Context, slug, id string) (*User, error) {
	return s.lifecycle(ctx, slug, id, "user.activated", true, func(tx Tx, t *Tenant, u *User) error {
		if u.Status != StatusDeactivated {
			return Conflict("invalid_transition", "status", "Only a deactivated user can be activated.")
		}
		u.Status = reactivatedStatus(u)
		return nil
	})
}

// UnlockUser clears a lockout and its count of failed passwords (R-A2).
func (s *Service) UnlockUser(ctx context.Context, slug, id string) (*User, error) {
	return s.lifecycle(ctx, slug, id, "user.unlocked", false, func(tx Tx, t *Tenant, u *User) error {
		if u.Status == StatusRemoved {
			return Conflict("user_removed", "", "The user is removed; restore them first.")
		}
		u.Locked, u.FailedSignIns, u.LockedUntil, u.Lockouts = false, 0, nil, 0
		return nil
	})
}

// DeleteUser removes a user (R-U4): they disappear from lists, lose all
// access and their sessions at once, and can be restored for 14 days. A
// pending password user is deleted outright instead (R-U5); deleted
// reports which happened. Conflict "last_admin".
func (s *Service) DeleteUser(ctx context.Context, slug, id string) (deleted bool, err error) {
	_, err = s.lifecycle(ctx, slug, id, "", true, func(tx Tx, t *Tenant, u *User) error {
		if u.Status == StatusRemoved {
			return Conflict("user_removed", "", "The user is already removed.")
		}
		if err := s.keepAnAdmin(ctx, tx, t, u); err != nil {
			return err
		}
		if err := tx.AddSeats(ctx, t.ID, -1); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, ""); err != nil {
			return err
		}
		details := userDetails(u)
		if u.Status == StatusPending && u.Auth != AuthSSO {
			deleted = true
			if err := tx.DeleteUser(ctx, t.ID, u.ID); err != nil {
				return err
			}
			return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.deleted", userTarget(u), map[string]any{"before": details}))
		}
		now := s.clock.Now()
		u.StatusBeforeRemoval, u.Status, u.RemovedAt, u.UpdatedAt = u.Status, StatusRemoved, &now, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.removed", userTarget(u), diff(details, userDetails(u))))
	})
	return deleted, err
}

// RestoreUser brings back a removed user within the retention window, to
// the status they had (R-U4). Conflict "invalid_transition",
// "retention_expired", "seat_limit".
func (s *Service) RestoreUser(ctx context.Context, slug, id string) (*User, error) {
	return s.lifecycle(ctx, slug, id, "user.restored", false, func(tx Tx, t *Tenant, u *User) error {
		if u.Status != StatusRemoved {
			return Conflict("invalid_transition", "status", "Only a removed user can be restored.")
		}
		if u.RemovedAt == nil || !s.clock.Now().Before(u.RemovedAt.Add(RetentionWindow)) {
			return Conflict("retention_expired", "", "The user was removed more than 14 days ago and can no longer be restored.")
		}
		if err := s.takeSeat(ctx, tx, t); err != nil {
			return err
		}
		u.Status, u.StatusBeforeRemoval, u.RemovedAt = u.StatusBeforeRemoval, "", nil
		if u.Status == "" {
			u.Status = StatusPending
		}
		return nil
	})
}

// PurgeRemovedUsers deletes the personal data of users removed longer than
// the retention window ago; the audit trail keeps their id. It reports how
// many were purged. Run by the server's background job.
func (s *Service) PurgeRemovedUsers(ctx context.Context) (int, error) {
	cutoff := s.clock.Now().Add(-RetentionWindow)
	n := 0
	for {
		var batch []*User
		if err := s.store.View(ctx, func(tx Tx) (err error) {
			batch, err = tx.RemovedBefore(ctx, cutoff, 100)
			return err
		}); err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, u := range batch {
			err := s.store.Update(ctx, func(tx Tx) error {
				if err := tx.DeleteUser(ctx, u.TenantID, u.ID); err != nil {
					return err
				}
				if err := tx.ScrubAuditSubject(ctx, u.TenantID, u.ID); err != nil {
					return err
				}
				return tx.InsertAuditEvent(ctx, s.audit(ctx, u.TenantID, "user.purged", auditTarget{Type: "user", ID: u.ID}, nil))
			})
			if err != nil && !errors.Is(err, ErrNoRows) {
				return n, err
			}
			n++
		}
	}
}

// ListUserSessions lists a user's sessions. Requires roster.users.read (or being that user).
func (s *Service) ListUserSessions(ctx context.Context, slug, id string) ([]*Session, error) {
	var out []*Session
	err := s.store.View(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, id, PermUsersRead)
		if err != nil {
			return err
		}
		out, err = tx.ListUserSessions(ctx, t.ID, u.ID)
		return err
	})
	return out, err
}

// EndUserSessions signs a user out everywhere. Requires roster.users.write.
func (s *Service) EndUserSessions(ctx context.Context, slug, id string) (int, error) {
	n := 0
	_, err := s.lifecycle(ctx, slug, id, "", false, func(tx Tx, t *Tenant, u *User) (err error) {
		if n, err = tx.DeleteUserSessions(ctx, t.ID, u.ID, ""); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.sessions_ended", userTarget(u), map[string]any{"count": n}))
	})
	return n, err
}

// hash hashes a password, mapping a full hashing queue to RateLimited.
func (s *Service) hash(ctx context.Context, pw string) (string, error) {
	h, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return "", hashError(err)
	}
	return h, nil
}

func hashError(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &Error{Kind: KindRateLimited, Code: "too_many_requests", Message: "The server is busy; try again in a moment.", Err: err}
	}
	return Internal(err)
}
