package admin

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Link is a single-use, expiring link sent by e-mail: an activation or a
// password reset bound to one user, or an invitation. Only the SHA-256 of
// its token is stored, and only from the moment its mail is delivered; a
// newer link of the same kind for the same subject supersedes it.
type Link struct {
	ID        string
	TenantID  string
	Kind      MailTemplate // MailActivation, MailPasswordReset or MailInvitation
	SubjectID string       // the user, or the invitation
	State     string       // LinkLive, LinkUsed or LinkSuperseded
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// The states of a link.
const (
	LinkLive       = "live"
	LinkUsed       = "used"
	LinkSuperseded = "superseded"
)

// Lifetimes of links (R-A5, R-E1, R-I1).
const (
	ResetLinkTTL      = time.Hour
	ActivationLinkTTL = 7 * 24 * time.Hour
	InvitationTTL     = 7 * 24 * time.Hour
)

// resetThrottle bounds the password-reset mails one user can be sent in
// resetThrottleWindow, so that the public request cannot flood a mailbox.
const (
	resetThrottle       = 3
	resetThrottleWindow = time.Hour
)

var (
	errInvalidToken = Invalid("token", "invalid_token", "This link is not valid: it was used already, replaced by a newer one, or never existed.")
	errTokenExpired = Invalid("token", "token_expired", "This link has expired; ask for a new one.")
)

// issueLink supersedes the subject's live links of kind, records a new one
// and queues its mail to the subject's own address (never to
// other_recipients), all in the caller's transaction.
func (s *Service) issueLink(ctx context.Context, tx Tx, t *Tenant, kind MailTemplate, subjectID, to, locale string, ttl time.Duration, data map[string]string) (*Link, error) {
	if err := tx.SupersedeLinks(ctx, t.ID, subjectID, string(kind)); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	l := &Link{ID: s.newID(), TenantID: t.ID, Kind: kind, SubjectID: subjectID, State: LinkLive, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := tx.InsertLink(ctx, l); err != nil {
		return nil, err
	}
	data["link_expires_at"] = l.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")
	return l, s.queueMail(ctx, tx, &OutboxMail{TenantID: t.ID, Template: kind, Locale: locale, To: to, Data: data, LinkID: l.ID})
}

// sendActivation queues the activation mail of a new password user (R-E1).
func (s *Service) sendActivation(ctx context.Context, tx Tx, t *Tenant, u *User) error {
	_, err := s.issueLink(ctx, tx, t, MailActivation, u.ID, u.Email, u.Locale, ActivationLinkTTL, tenantMailData(t, u))
	return err
}

// addressChanged ends the links mailed to a user's former address, which
// may not be theirs (a typo, a reassigned mailbox); a pending user who still
// has to set a password gets a new activation link at the new address.
func (s *Service) addressChanged(ctx context.Context, tx Tx, t *Tenant, u *User) error {
	for _, kind := range []MailTemplate{MailActivation, MailPasswordReset} {
		if err := tx.SupersedeLinks(ctx, t.ID, u.ID, string(kind)); err != nil {
			return err
		}
	}
	if u.Status == StatusPending && u.Auth == AuthPassword && u.PasswordHash == "" {
		return s.sendActivation(ctx, tx, t, u)
	}
	return nil
}

// ResendActivation sends a pending password user a new activation link;
// the previous one stops working (R-E1). Requires roster.users.write.
// Conflict "not_pending" for a user who is not pending, "sso_user" for a
// single sign-on user; RateLimited beyond three links an hour.
func (s *Service) ResendActivation(ctx context.Context, slug, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, id, PermUsersWrite)
		if err != nil {
			return err
		}
		if u.Auth != AuthPassword {
			return Conflict("sso_user", "", "%s signs in through single sign-on and has no password to set.", u.Username)
		}
		if u.Status != StatusPending {
			return Conflict("not_pending", "", "Only a pending user can be sent an activation link.")
		}
		if err := s.throttleLinks(ctx, tx, t, u, MailActivation); err != nil {
			return err
		}
		if err := s.sendActivation(ctx, tx, t, u); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.activation_sent", userTarget(u), nil))
	})
}

// SendPasswordReset e-mails a user a password-reset link, as an admin
// action (R-A5); their current password keeps working until the link is
// used. Requires roster.users.write. Conflict "sso_user",
// "invalid_transition" for a deactivated or removed user; RateLimited
// beyond three links an hour.
func (s *Service) SendPasswordReset(ctx context.Context, slug, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, u, err := s.userFor(ctx, tx, slug, id, PermUsersWrite)
		if err != nil {
			return err
		}
		if u.Auth != AuthPassword {
			return Conflict("sso_user", "", "%s signs in through single sign-on and has no password to reset.", u.Username)
		}
		if u.Status != StatusPending && u.Status != StatusActive {
			return Conflict("invalid_transition", "status", "Only a pending or active user can be sent a reset link.")
		}
		if err := s.throttleLinks(ctx, tx, t, u, MailPasswordReset); err != nil {
			return err
		}
		if _, err := s.issueLink(ctx, tx, t, MailPasswordReset, u.ID, u.Email, u.Locale, ResetLinkTTL, tenantMailData(t, u)); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.password_reset_sent", userTarget(u), nil))
	})
}

var errLinkThrottled = &Error{Kind: KindRateLimited, Code: "too_many_requests", Message: "Too many links were sent to this user in the last hour; try again later."}

// throttleLinks refuses a link of kind beyond resetThrottle in the window.
// It counts under the tenant's lock, so that concurrent requests (several
// processes on PostgreSQL) cannot all pass the count before any inserts.
func (s *Service) throttleLinks(ctx context.Context, tx Tx, t *Tenant, u *User, kind MailTemplate) error {
	if err := tx.LockTenant(ctx, t.ID); err != nil {
		return err
	}
	n, err := tx.CountRecentLinks(ctx, t.ID, u.ID, string(kind), s.clock.Now().Add(-resetThrottleWindow))
	if err != nil {
		return err
	}
	if n >= resetThrottle {
		return errLinkThrottled
	}
	return nil
}

// RequestPasswordReset is "forgot password" (R-A5): it e-mails a reset link
// to the password user of the tenant (slug; empty for staff) whose address
// is email, if there is one who may sign in, and otherwise does nothing.
// Its result never tells which happened: nil, or Invalid for a malformed
// address. The lookup and the mail run in the background, after the
// answer, so that its timing does not tell either (WaitBackground waits for
// them). At most three links an hour go to one user; further requests are
// dropped silently, as are requests beyond backgroundLimit in flight.
func (s *Service) RequestPasswordReset(ctx context.Context, slug, email string) error {
	addr, err := normalizeEmail("email", email)
	if err != nil {
		return err
	}
	slug = strings.TrimSpace(slug)
	if slug == "" {
		slug = platformSlug
	}
	if len(slug) > 100 {
		return nil
	}
	select {
	case s.background <- struct{}{}:
	default:
		s.log.WarnContext(ctx, "password reset request dropped: too many in flight")
		return nil
	}
	s.bg.Add(1)
	go func() {
		defer func() { <-s.background; s.bg.Done() }()
		if err := s.requestPasswordReset(context.WithoutCancel(ctx), slug, addr); err != nil {
			s.log.ErrorContext(ctx, "password reset request", "err", err)
		}
	}()
	return nil
}

// backgroundLimit bounds the background work requests can start.
const backgroundLimit = 64

// WaitBackground waits for the work that requests started in the
// background (password-reset requests) to finish.
func (s *Service) WaitBackground() { s.bg.Wait() }

func (s *Service) requestPasswordReset(ctx context.Context, slug, addr string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TenantBySlug(ctx, slug)
		if errors.Is(err, ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		u, err := tx.UserByLogin(ctx, t.ID, addr)
		if errors.Is(err, ErrNoRows) || (err == nil && !strings.EqualFold(u.Email, addr)) {
			return nil
		}
		if err != nil {
			return err
		}
		e := s.audit(ctx, t.ID, "user.password_reset_requested", userTarget(u), nil)
		if u.Auth != AuthPassword || (u.Status != StatusPending && u.Status != StatusActive) {
			e.Outcome, e.Reason = OutcomeFailure, "not_eligible"
			return tx.InsertAuditEvent(ctx, e)
		}
		if err := s.throttleLinks(ctx, tx, t, u, MailPasswordReset); err != nil {
			if KindOf(err) != KindRateLimited {
				return err
			}
			e.Outcome, e.Reason = OutcomeFailure, "throttled"
			return tx.InsertAuditEvent(ctx, e)
		}
		if _, err := s.issueLink(ctx, tx, t, MailPasswordReset, u.ID, u.Email, u.Locale, ResetLinkTTL, tenantMailData(t, u)); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, e)
	})
}

// Activate sets the first password of a pending user from the token of
// their activation link (R-E1). Invalid "invalid_token" for a link that is
// unknown, used or superseded, "token_expired", or a password the tenant's
// policy refuses.
func (s *Service) Activate(ctx context.Context, token, password string) (*User, *Tenant, error) {
	return s.redeemPasswordLink(ctx, MailActivation, token, password)
}

// ResetPassword sets a new password from the token of a reset link (R-A5)
// and ends every session of the user. Errors as for Activate.
func (s *Service) ResetPassword(ctx context.Context, token, password string) (*User, *Tenant, error) {
	return s.redeemPasswordLink(ctx, MailPasswordReset, token, password)
}

// findLink resolves a token to its live link of kind; expired links are
// told apart so that the person knows to ask for a new one.
func (s *Service) findLink(ctx context.Context, tx Tx, kind MailTemplate, token string) (*Link, error) {
	if token == "" || len(token) > 128 {
		return nil, errInvalidToken
	}
	l, err := tx.LinkByTokenHash(ctx, HashToken(token))
	if errors.Is(err, ErrNoRows) || (err == nil && l.Kind != kind) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if !s.clock.Now().Before(l.ExpiresAt) {
		return nil, errTokenExpired
	}
	return l, nil
}

func (s *Service) redeemPasswordLink(ctx context.Context, kind MailTemplate, token, pw string) (*User, *Tenant, error) {
	var l *Link
	var t *Tenant
	var u *User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if l, err = s.findLink(ctx, tx, kind, token); err != nil {
			return err
		}
		if t, err = tx.TenantByID(ctx, l.TenantID); err != nil {
			return err
		}
		u, err = tx.UserByID(ctx, l.TenantID, l.SubjectID)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return nil, nil, errInvalidToken
	}
	if err != nil {
		return nil, nil, err
	}
	if u.Auth != AuthPassword || (kind == MailActivation && u.Status != StatusPending) ||
		(u.Status != StatusPending && u.Status != StatusActive) {
		return nil, nil, errInvalidToken
	}
	if err := checkPassword(t, u, "password", pw); err != nil {
		return nil, nil, err
	}
	h, err := s.hash(ctx, pw)
	if err != nil {
		return nil, nil, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		// Used once: of two concurrent redemptions only one matches.
		if err := tx.UseLink(ctx, l.TenantID, l.ID, HashToken(token), s.clock.Now()); err != nil {
			return err
		}
		fresh, err := tx.UserByID(ctx, t.ID, u.ID)
		if err != nil {
			return err
		}
		u = fresh
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = h, false, s.clock.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		n, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, "")
		if err != nil {
			return err
		}
		action := "user.password_reset"
		if kind == MailActivation {
			action = "user.activation_completed"
		}
		e := s.audit(ctx, t.ID, action, userTarget(u), map[string]any{"sessions_ended": n, "link_id": l.ID})
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
