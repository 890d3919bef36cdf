package admin

import (
	"context"
	"crypto/rand"
	"strings"
	"time"
)

// TOTP is a user's time-based one-time password secret (RFC 6238). The
// secret is sealed with the server's key; it is pending until the user
// confirms it with a first code.
type TOTP struct {
	TenantID  string
	UserID    string
	Secret    []byte // sealed
	Confirmed bool
	LastStep  int64 // the last time step accepted: no code is accepted twice
	CreatedAt time.Time
}

// APIToken lets a machine act in one tenant with the rights of the user
// who created it (R-A10). Only the SHA-256 of the token is stored.
type APIToken struct {
	TenantID     string
	ID           string
	Name         string
	TokenHash    []byte
	UserTenantID string // the creator's tenant: the platform for staff
	UserID       string
	Role         string // narrows the creator's rights to one role; empty: all of them
	CreatedAt    time.Time
	ExpiresAt    *time.Time
	LastUsedAt   *time.Time
}

// SetTemporaryPassword gives a user a password chosen by an admin, or
// generated when pw is empty, and returns it to be shown this once: it is
// never stored in clear, never mailed, and must be changed at the next
// sign-in (R-A6, R-A4). The user's sessions end. Requires
// roster.users.write; Forbidden "self_edit_forbidden" for one's own
// account; Invalid for a password the policy refuses or for a single
// sign-on user; Conflict "user_removed".
func (s *Service) SetTemporaryPassword(ctx context.Context, slug, id, pw string) (string, error) {
	if len(pw) > 4*MaxPasswordLength {
		return "", Invalid("password", "password_too_long", "A password has at most %d characters.", MaxPasswordLength)
	}
	var t *Tenant
	var u *User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		t, u, err = s.userFor(ctx, tx, slug, id, PermUsersWrite)
		return err
	})
	if err != nil {
		return "", err
	}
	if ActorFrom(ctx).UserID == u.ID {
		return "", &Error{Kind: KindForbidden, Code: "self_edit_forbidden", Field: "password", Message: "Change your own password with your current one instead."}
	}
	if u.Auth != AuthPassword {
		return "", Invalid("password", "sso_user_password", "A single sign-on user has no password.")
	}
	if u.Status == StatusRemoved {
		return "", Conflict("user_removed", "", "The user is removed; restore them first.")
	}
	generated := pw == ""
	if generated {
		pw = temporaryPassword(t.Settings.PasswordMinLength)
	} else if err := checkPassword(t, u, "password", pw); err != nil {
		return "", err
	}
	h, err := s.hash(ctx, pw)
	if err != nil {
		return "", err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, id, PermUsersWrite)
		if err != nil {
			return err
		}
		if u.Status == StatusRemoved {
			return Conflict("user_removed", "", "The user is removed; restore them first.")
		}
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = h, true, s.clock.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		n, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, "")
		if err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.temporary_password_set", userTarget(u),
			map[string]any{"generated": generated, "sessions_ended": n}))
	})
	if err != nil {
		return "", err
	}
	return pw, nil
}

// temporaryPassword returns a random password of at least minLen
// characters (and at least 20) from letters and digits that are hard to
// mix up, in groups of five: about 5 bits a character.
func temporaryPassword(minLen int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	n := max(minLen, 20)
	var b strings.Builder
	buf := make([]byte, 1)
	for count := 0; count < n; {
		if count > 0 && count%5 == 0 && b.Len() > 0 && b.String()[b.Len()-1] != '-' {
			b.WriteByte('-')
		}
		_, _ = rand.Read(buf)
		if int(buf[0]) >= 256/len(alphabet)*len(alphabet) {
			continue // keep the choice uniform
		}
		b.WriteByte(alphabet[int(buf[0])%len(alphabet)])
		count++
	}
	return b.String()
}
