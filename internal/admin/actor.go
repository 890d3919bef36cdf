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
	// Restricted is set while a password change is due (R-A4): only the
	// calls that lead out of it are allowed.
	Restricted bool
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
