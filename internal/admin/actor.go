package admin

import "context"

// Actor is who makes a request: a signed-in user (staff or tenant user).
// The server sets it once per request; the service reads it from the context.
type Actor struct {
	UserID    string
	TenantID  string
	Username  string
	Type      UserType
	SessionID string
	// Restricted is set while a password change (R-A4) or a two-factor
	// enrolment (R-A7) is due: only the calls that lead out of it are
	// allowed. Restriction says which, as the code of the refusal.
	Restricted  bool
	Restriction string
	// TokenID is set when the actor is an API token acting for its
	// creator (R-A10); the token works in TokenTenantID only, and a
	// TokenRole narrows the creator's rights to that role.
	TokenID       string
	TokenTenantID string
	TokenRole     string

	// tenant is the actor's own tenant as the session's statement read it
	// at the start of the request, for the reads that need nothing fresher
	// (tenantView): the check API then costs one statement a request.
	tenant *Tenant
}

// The restrictions of a session.
const (
	RestrictionPasswordChange = "password_change_required"
	RestrictionMFAEnrollment  = "mfa_enrollment_required"
)

// restrictionError is the refusal of a restricted actor.
func (a *Actor) restrictionError() error {
	if a.Restriction == RestrictionMFAEnrollment {
		return Forbidden(RestrictionMFAEnrollment, "Set up two-factor authentication first.")
	}
	return Forbidden(RestrictionPasswordChange, "Change your password first.")
}

// restrictionOf is the restriction a session of u in t is under, if any:
// the password change comes first, then the two-factor enrolment.
func restrictionOf(t *Tenant, u *User) string {
	switch {
	case u.MustChangePassword:
		return RestrictionPasswordChange
	case MFAEnrollmentDue(t, u):
		return RestrictionMFAEnrollment
	}
	return ""
}

// MFAEnrollmentDue reports whether u must enrol a second factor before
// anything else: the tenant requires it, u is not exempt, has a password
// (single sign-on users prove themselves to their provider) and has not
// enrolled yet.
func MFAEnrollmentDue(t *Tenant, u *User) bool {
	return t.Settings.MFARequired && u.MFAEnforced && !u.MFAEnrolled && u.Auth == AuthPassword
}

// Staff reports whether the actor belongs to the platform.
func (a *Actor) Staff() bool { return a != nil && a.TenantID == PlatformTenantID }

// RequestInfo describes where a request comes from, for the audit trail.
type RequestInfo struct {
	IP        string
	UserAgent string
	RequestID string
}

type actorKey struct{}
type requestKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx, or nil for an anonymous request.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// WithRequestInfo returns a context that carries ri.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestKey{}, ri)
}

// RequestInfoFrom returns the request description of ctx (zero if none).
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestKey{}).(RequestInfo)
	return ri
}
