package admin

import (
	"context"
	"errors"
	"strings"
)

// MyPatch changes the signed-in user's own profile; nil fields stay as they
// are. It holds only what a person may always change about themselves: the
// e-mail, type, status and roles are changed by another administrator
// (R-U2), never here.
type MyPatch struct {
	FirstName             *string
	LastName              *string
	Phone                 *string
	Locale                *string
	NotificationsDisabled *bool
	OtherRecipients       *[]string
}

// UpdateMe changes the signed-in user's own profile, with its audit event,
// in one transaction. Any signed-in user may call it, staff included;
// Invalid for a bad field; Forbidden "password_change_required" (or
// "mfa_enrollment_required") while the session is restricted; Forbidden for an API token.
func (s *Service) UpdateMe(ctx context.Context, p MyPatch) (*User, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return nil, err
	}
	if a.Restricted {
		return nil, a.restrictionError()
	}
	var out *User
	err = s.store.Update(ctx, func(tx Tx) error {
		u, err := tx.UserByID(ctx, a.TenantID, a.UserID)
		if err != nil {
			return notFoundAs(err, "User")
		}
		before := userDetails(u)
		if err := applyProfile(u, p.FirstName, p.LastName, p.Phone, p.Locale, p.OtherRecipients); err != nil {
			return err
		}
		set(&u.NotificationsDisabled, p.NotificationsDisabled)
		out = u
		changes := diff(before, userDetails(u))
		if len(changes["after"].(map[string]any)) == 0 {
			return nil
		}
		u.UpdatedAt = s.clock.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, a.TenantID, "user.updated", userTarget(u), changes))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyProfile validates and applies the fields a person may change about
// themselves; nil fields stay as they are.
func applyProfile(u *User, first, last, phone, locale *string, recipients *[]string) error {
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"first_name", first, &u.FirstName}, {"last_name", last, &u.LastName}} {
		if f.v != nil {
			v := strings.TrimSpace(*f.v)
			if err := validateName(f.name, v); err != nil {
				return err
			}
			*f.dst = v
		}
	}
	if phone != nil {
		v := strings.TrimSpace(*phone)
		if err := validatePhone(v); err != nil {
			return err
		}
		u.Phone = v
	}
	if locale != nil {
		if err := validateLocale(*locale); err != nil {
			return err
		}
		u.Locale = *locale
	}
	if recipients != nil {
		r, err := normalizeRecipients(*recipients)
		if err != nil {
			return err
		}
		u.OtherRecipients = r
	}
	return nil
}

// EndMyOtherSessions ends every session of the signed-in user but the
// current one, with one audit event, and reports how many ended.
// Forbidden while the session is restricted, and for an API token.
func (s *Service) EndMyOtherSessions(ctx context.Context) (int, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return 0, err
	}
	if a.Restricted {
		return 0, a.restrictionError()
	}
	n := 0
	err = s.store.Update(ctx, func(tx Tx) (err error) {
		if n, err = tx.DeleteUserSessions(ctx, a.TenantID, a.UserID, a.SessionID); err != nil && !errors.Is(err, ErrNoRows) {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, a.TenantID, "session.others_ended", auditTarget{"user", a.UserID, a.Username}, map[string]any{"sessions_ended": n}))
	})
	return n, err
}
