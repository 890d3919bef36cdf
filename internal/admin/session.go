package admin

import "time"

// Session is a signed-in browser or API client. Only a hash of its token is
// stored; the token itself exists in the client's cookie alone.
type Session struct {
	ID         string // public id, shown in session lists
	TenantID   string
	UserID     string
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // the absolute lifetime
	IP         string
	UserAgent  string
}

// idleExpired reports whether the session has been idle for longer than idle at now.
func (s *Session) idleExpired(now time.Time, idle time.Duration) bool {
	return now.Sub(s.LastSeenAt) > idle
}

// touchInterval is how stale last_seen_at may grow before a request
// writes it again: a write per request would make every read a write.
const touchInterval = time.Minute
