package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Credentials are what a person types to sign in.
type Credentials struct {
	Tenant   string // slug; empty for staff
	Username string // username or e-mail
	Password string
	TOTP     string
}

// SignInResult is a new session: Token goes to the client once and is
// never stored.
type SignInResult struct {
	User    *User
	Tenant  *Tenant
	Session *Session
	Token   string
}

// errBadCredentials is the one answer to every failed sign-in, whatever the
// reason, so that nobody can learn which accounts exist (R-A2).
var errBadCredentials = &Error{Kind: KindUnauthenticated, Code: "invalid_credentials", Message: "The username or password is incorrect, or the account cannot sign in."}

// errMFARequired answers a correct password of an enrolled user who gave no
// second factor: the client asks for it and signs in again.
var errMFARequired = &Error{Kind: KindUnauthenticated, Code: "mfa_required", Message: "Enter the code from your authenticator app, or a recovery code."}

// SignIn checks credentials and starts a session. Every failure is the same
// Unauthenticated "invalid_credentials" (the audit trail records the real
// reason); Unauthenticated "mfa_required" when the password is right and a
// second factor is due but missing; RateLimited when too many hashes are
// running or the client's address has failed too often in the last minute.
func (s *Service) SignIn(ctx context.Context, c Credentials) (*SignInResult, error) {
	ip := RequestInfoFrom(ctx).IP
	if s.throttle.exceeded(ip, s.clock.Now()) {
		s.log.InfoContext(ctx, "sign-in throttled", "ip", ip)
		return nil, errTooManyFailures
	}
	slug := strings.TrimSpace(c.Tenant)
	if slug == "" {
		slug = platformSlug
	}
	login := strings.TrimSpace(c.Username)
	if len(c.Password) > 4*MaxPasswordLength {
		c.Password = c.Password[:4*MaxPasswordLength] // bound the work an attacker can ask for
	}
	var t *Tenant
	var u *User
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.TenantBySlug(ctx, slug); err != nil {
			return err
		}
		if login != "" {
			u, err = tx.UserByLogin(ctx, t.ID, login)
		}
		return err
	})
	if err != nil && !errors.Is(err, ErrNoRows) {
		return nil, err
	}
	hash := ""
	if u != nil && u.Auth == AuthPassword {
		hash = u.PasswordHash
	}
	ok, rehash, herr := s.hasher.Verify(ctx, c.Password, hash)
	if herr != nil {
		return nil, hashError(herr)
	}
	if t == nil {
		// Recorded in the platform's trail, so that the answer costs the
		// same write as any other failure.
		return nil, s.signInFailed(ctx, &Tenant{ID: PlatformTenantID}, nil, login, "unknown_tenant")
	}
	if u == nil {
		return nil, s.signInFailed(ctx, t, nil, login, "unknown_user")
	}
	now := s.clock.Now()
	if !ok {
		reason := "wrong_password"
		switch {
		case u.Auth == AuthSSO:
			reason = "sso_user"
		case u.PasswordHash == "":
			reason = "no_password"
		}
		return nil, s.signInFailed(ctx, t, u, login, reason)
	}
	if can, reason := u.CanSignIn(now); !can {
		return nil, s.signInFailed(ctx, t, u, login, reason)
	}
	var factor *secondFactor
	if u.MFAEnrolled {
		if strings.TrimSpace(c.TOTP) == "" {
			return nil, errMFARequired
		}
		if factor, err = s.checkSecondFactor(ctx, t, u, c.TOTP, now); err != nil {
			return nil, err
		}
		if factor == nil {
			return nil, s.signInFailed(ctx, t, u, login, "wrong_totp")
		}
	}
	// Hash outside the transaction, and write the new hash on a fresh read
	// of the user: u is from before RecordSignIn and may be stale.
	newHash := ""
	if rehash {
		if h, err := s.hasher.Hash(ctx, c.Password); err == nil {
			newHash = h
		}
	}
	token, sess := s.newSession(ctx, t, u, now)
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.RecordSignIn(ctx, t.ID, u.ID, now); err != nil {
			return err
		}
		if u.Locked { // a temporary lock that had lifted is cleared
			if err := tx.AccessChanged(ctx, t.ID, "user:"+u.ID); err != nil {
				return err
			}
		}
		details := map[string]any{"session_id": sess.ID}
		if factor != nil {
			if err := factor.spend(ctx, tx, t, u, now); err != nil {
				return err
			}
			details["second_factor"] = factor.kind
		}
		if newHash != "" {
			fresh, err := tx.UserByID(ctx, t.ID, u.ID)
			if err != nil {
				return err
			}
			fresh.PasswordHash = newHash
			if err := tx.UpdateUser(ctx, fresh); err != nil {
				return err
			}
			u.PasswordHash = newHash
		}
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		e := s.audit(ctx, t.ID, "session.created", userTarget(u), details)
		e.ActorID, e.ActorName, e.ActorTenantID = u.ID, u.Username, u.TenantID
		return tx.InsertAuditEvent(ctx, e)
	})
	switch {
	case errors.Is(err, ErrNoRows):
		// A concurrent failure locked the account after the check above.
		return nil, s.signInFailed(ctx, t, u, login, "locked")
	case errors.Is(err, ErrStale) && factor != nil:
		// The code was used by a concurrent sign-in, or the recovery code spent.
		return nil, s.signInFailed(ctx, t, u, login, factor.kind+"_reused")
	case err != nil:
		return nil, err
	}
	if u.Status == StatusPending {
		u.Status = StatusActive
	}
	u.LastSignInAt, u.FailedSignIns, u.Locked, u.LockedUntil, u.Lockouts = &now, 0, false, nil, 0
	return &SignInResult{User: u, Tenant: t, Session: sess, Token: token}, nil
}

// maxLockWait bounds a temporary lock, however many lockouts in a row.
const maxLockWait = 24 * time.Hour

// lockWait is how long the lockouts-th lockout in a row lasts under a
// tenant's cool-off: the cool-off, doubled for each lockout before it.
// Zero: locked until an admin unlocks.
func lockWait(t *Tenant, lockouts int) time.Duration {
	if t.Settings.LockoutCooloffMinutes <= 0 {
		return 0
	}
	d := time.Duration(t.Settings.LockoutCooloffMinutes) * time.Minute
	for i := 0; i < lockouts && d < maxLockWait; i++ {
		d *= 2
	}
	return min(d, maxLockWait)
}

// signInFailed records a failed attempt with its real reason, counts a
// wrong password (or second factor) towards the lockout and the client's
// address towards the throttle, and returns the uniform error.
func (s *Service) signInFailed(ctx context.Context, t *Tenant, u *User, login, reason string) error {
	now := s.clock.Now()
	s.throttle.fail(RequestInfoFrom(ctx).IP, now)
	err := s.store.Update(ctx, func(tx Tx) error {
		target := auditTarget{Type: "user", Name: truncate(login, 64)}
		if u != nil {
			target = userTarget(u)
		}
		e := s.audit(ctx, t.ID, "session.failed", target, nil)
		e.Outcome, e.Reason = OutcomeFailure, reason
		if err := tx.InsertAuditEvent(ctx, e); err != nil {
			return err
		}
		counted := reason == "wrong_password" || reason == "wrong_totp" || strings.HasSuffix(reason, "_reused")
		if u == nil || !counted || u.LockedAt(now) || u.Status == StatusRemoved {
			return nil
		}
		f, err := tx.RecordSignInFailure(ctx, t.ID, u.ID, t.Settings.LockoutThreshold, now)
		if errors.Is(err, ErrNoRows) {
			return nil // a concurrent attempt locked the account first: keep this attempt's audit event
		}
		if err != nil {
			return err
		}
		if !f.Locked {
			if u.Locked { // a temporary lock that had lifted is cleared
				return tx.AccessChanged(ctx, t.ID, "user:"+u.ID)
			}
			return nil
		}
		details := map[string]any{"failed_sign_ins": f.Failures}
		var until *time.Time
		if d := lockWait(t, f.Lockouts); d > 0 {
			lifts := now.Add(d)
			until = &lifts
			details["locked_until"] = lifts.Format(time.RFC3339)
		}
		if err := tx.LockUntil(ctx, t.ID, u.ID, until); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, ""); err != nil {
			return err
		}
		le := s.audit(ctx, t.ID, "user.locked", userTarget(u), details)
		le.ActorID, le.ActorName, le.ActorTenantID = "", "", ""
		if err := tx.InsertAuditEvent(ctx, le); err != nil {
			return err
		}
		return s.NotifyLocked(ctx, tx, t, u)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "recording a failed sign-in", "err", err)
	}
	return errBadCredentials
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func (s *Service) newSession(ctx context.Context, t *Tenant, u *User, now time.Time) (string, *Session) {
	token := newToken()
	ri := RequestInfoFrom(ctx)
	return token, &Session{
		ID: s.newID(), TenantID: t.ID, UserID: u.ID, TokenHash: HashToken(token),
		CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(time.Duration(t.Settings.SessionAbsoluteHours) * time.Hour),
		IP:        ri.IP, UserAgent: truncate(ri.UserAgent, 256),
	}
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how every bearer secret is stored: SHA-256 of the token.
// Tokens carry 256 random bits, so a fast hash is enough.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Authenticate resolves a session token to its actor and user. A session
// past its lifetime, or whose user can no longer sign in, ends on the spot.
// Unauthenticated for an unknown or ended session.
func (s *Service) Authenticate(ctx context.Context, token string) (*Actor, *User, error) {
	if token == "" || len(token) > 128 {
		return nil, nil, errUnauthenticated
	}
	now := s.clock.Now()
	if strings.HasPrefix(token, apiTokenPrefix) {
		return s.authenticateToken(ctx, token, now)
	}
	var sess *Session
	var u *User
	var t *Tenant
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		sess, u, t, err = tx.SessionByTokenHash(ctx, HashToken(token))
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return nil, nil, errUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	can, _ := u.CanSignIn(now)
	idle := time.Duration(t.Settings.SessionIdleMinutes) * time.Minute
	if !can || !now.Before(sess.ExpiresAt) || sess.idleExpired(now, idle) {
		// A concurrent request may have ended it already.
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, t.ID, u.ID, sess.ID) }); err != nil && !errors.Is(err, ErrNoRows) {
			return nil, nil, err
		}
		return nil, nil, errUnauthenticated
	}
	if now.Sub(sess.LastSeenAt) > touchInterval {
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchSession(ctx, t.ID, sess.ID, now) }); err != nil {
			return nil, nil, err
		}
	}
	r := restrictionOf(t, u)
	a := &Actor{UserID: u.ID, TenantID: u.TenantID, Username: u.Username, Type: u.Type, SessionID: sess.ID, Restricted: r != "", Restriction: r, tenant: t}
	return a, u, nil
}

// personFrom returns the actor of ctx if it is a person signed in with a
// session: Unauthenticated without one, Forbidden "api_token_forbidden"
// for an API token.
func personFrom(ctx context.Context) (*Actor, error) {
	a := ActorFrom(ctx)
	switch {
	case a == nil:
		return nil, errUnauthenticated
	case a.TokenID != "":
		return nil, errTokenForbidden
	}
	return a, nil
}

// SignOut ends the actor's current session.
func (s *Service) SignOut(ctx context.Context) error {
	a, err := personFrom(ctx)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, a.TenantID, a.UserID, a.SessionID); err != nil && !errors.Is(err, ErrNoRows) {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, a.TenantID, "session.ended", auditTarget{"user", a.UserID, a.Username}, map[string]any{"session_id": a.SessionID}))
	})
}

// Me returns the signed-in user and their tenant.
func (s *Service) Me(ctx context.Context) (*User, *Tenant, error) {
	a := ActorFrom(ctx)
	if a == nil {
		return nil, nil, errUnauthenticated
	}
	var u *User
	var t *Tenant
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if t, err = tx.TenantByID(ctx, a.TenantID); err != nil {
			return err
		}
		u, err = tx.UserByID(ctx, a.TenantID, a.UserID)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return nil, nil, errUnauthenticated
	}
	return u, t, err
}

// MySessions lists the signed-in user's sessions. Forbidden
// "password_change_required" while a password change is due (R-A4).
func (s *Service) MySessions(ctx context.Context) ([]*Session, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return nil, err
	}
	if a.Restricted {
		return nil, a.restrictionError()
	}
	var out []*Session
	err = s.store.View(ctx, func(tx Tx) (err error) {
		out, err = tx.ListUserSessions(ctx, a.TenantID, a.UserID)
		return err
	})
	return out, err
}

// EndMySession ends one of the signed-in user's own sessions. NotFound for
// any other session; Forbidden "password_change_required" while a password
// change is due (R-A4).
func (s *Service) EndMySession(ctx context.Context, id string) error {
	a, err := personFrom(ctx)
	if err != nil {
		return err
	}
	if a.Restricted {
		return a.restrictionError()
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, a.TenantID, a.UserID, id); err != nil {
			return notFoundAs(err, "Session")
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, a.TenantID, "session.ended", auditTarget{"user", a.UserID, a.Username}, map[string]any{"session_id": id}))
	})
}

// ChangePassword sets the signed-in user's password after checking the
// current one (R-A3), lifts a forced change (R-A4) and ends the user's
// other sessions. A wrong current password counts towards the lockout.
func (s *Service) ChangePassword(ctx context.Context, current, next string) (*User, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return nil, err
	}
	u, t, err := s.Me(ctx)
	if err != nil {
		return nil, err
	}
	if u.Auth != AuthPassword {
		return nil, Forbidden("sso_user_password", "You sign in through single sign-on and have no password here.")
	}
	ok, _, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return nil, hashError(err)
	}
	if !ok {
		_ = s.signInFailed(ctx, t, u, u.Username, "wrong_password")
		return nil, Invalid("current_password", "wrong_password", "The current password is not correct.")
	}
	if err := checkPassword(t, u, "new_password", next); err != nil {
		return nil, err
	}
	if current == next {
		return nil, Invalid("new_password", "password_reused", "The new password must differ from the current one.")
	}
	h, err := s.hash(ctx, next)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		fresh, err := tx.UserByID(ctx, t.ID, u.ID)
		if err != nil {
			return err
		}
		u = fresh
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = h, false, s.clock.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		n, err := tx.DeleteUserSessions(ctx, t.ID, u.ID, a.SessionID)
		if err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.password_changed", userTarget(u), map[string]any{"other_sessions_ended": n}))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
