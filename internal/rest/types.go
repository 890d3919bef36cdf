package rest

import (
	"encoding/json"
	"io"
	"time"

	"roster/internal/admin"
)

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// User is a user on the wire.
type User struct {
	ID                    string     `json:"id" doc:"Opaque, immutable id"`
	Tenant                string     `json:"tenant" doc:"Slug of the user's tenant; empty for platform staff"`
	Staff                 bool       `json:"staff" doc:"Whether the user is platform staff"`
	Username              string     `json:"username"`
	Email                 string     `json:"email"`
	FirstName             string     `json:"first_name"`
	LastName              string     `json:"last_name"`
	Phone                 string     `json:"phone"`
	Locale                string     `json:"locale" enum:"en,ja"`
	Type                  string     `json:"type" enum:"admin,standard,read_only"`
	Auth                  string     `json:"auth" enum:"password,sso"`
	Status                string     `json:"status" enum:"pending,active,deactivated,removed,expired"`
	ExpiresAt             *time.Time `json:"expires_at"`
	Locked                bool       `json:"locked"`
	LockedUntil           *time.Time `json:"locked_until" doc:"When a temporary lock lifts; null for a lock that lasts until an admin unlocks"`
	MustChangePassword    bool       `json:"must_change_password"`
	MFAEnforced           bool       `json:"mfa_enforced"`
	MFAEnrolled           bool       `json:"mfa_enrolled"`
	MFAEnrollmentRequired bool       `json:"mfa_enrollment_required" doc:"For the signed-in user: two-factor enrolment is due before anything else"`
	DeactivatedByLicence  bool       `json:"deactivated_by_licence"`
	NotificationsDisabled bool       `json:"notifications_disabled"`
	OtherRecipients       []string   `json:"other_recipients"`
	LastSignInAt          *time.Time `json:"last_sign_in_at"`
	RemovedAt             *time.Time `json:"removed_at"`
	RestorableUntil       *time.Time `json:"restorable_until" doc:"For a removed user: the end of the retention window"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
}

func userOut(u *admin.User, tenantSlug string, now time.Time) User {
	out := User{
		ID: u.ID, Tenant: tenantSlug, Staff: u.TenantID == admin.PlatformTenantID,
		Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone,
		Locale: u.Locale, Type: string(u.Type), Auth: string(u.Auth), Status: string(u.DisplayStatus(now)),
		ExpiresAt: u.ExpiresAt, Locked: u.LockedAt(now), MustChangePassword: u.MustChangePassword,
		MFAEnforced: u.MFAEnforced, MFAEnrolled: u.MFAEnrolled, DeactivatedByLicence: u.DeactivatedByLicence,
		NotificationsDisabled: u.NotificationsDisabled, OtherRecipients: u.OtherRecipients,
		LastSignInAt: u.LastSignInAt, RemovedAt: u.RemovedAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
	if out.Staff {
		out.Tenant = ""
	}
	if out.Locked {
		out.LockedUntil = u.LockedUntil
	}
	if out.OtherRecipients == nil {
		out.OtherRecipients = []string{}
	}
	if u.RemovedAt != nil {
		t := u.RemovedAt.Add(admin.RetentionWindow)
		out.RestorableUntil = &t
	}
	return out
}

// TenantSettings are a tenant's policies on the wire.
type TenantSettings struct {
	MaxUsers              int    `json:"max_users" doc:"Seat limit; 0 means no limit"`
	LockoutThreshold      int    `json:"lockout_threshold" doc:"Failed passwords before the account locks"`
	LockoutCooloffMinutes int    `json:"lockout_cooloff_minutes" doc:"0: a lock lasts until an admin unlocks; else a first lock lifts after this many minutes, doubled for each lockout in a row (up to a day)"`
	MFARequired           bool   `json:"mfa_required"`
	PasswordMinLength     int    `json:"password_min_length"`
	SessionIdleMinutes    int    `json:"session_idle_minutes"`
	SessionAbsoluteHours  int    `json:"session_absolute_hours"`
	Locale                string `json:"locale" enum:"en,ja"`
}

// Tenant is a tenant on the wire. Its settings appear both at the top
// level and under "settings".
type Tenant struct {
	ID        string `json:"id"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	UserCount int    `json:"user_count" doc:"Users that are not removed: the seats in use"`
	TenantSettings
	Settings  TenantSettings `json:"settings"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

func tenantOut(t *admin.Tenant) Tenant {
	s := TenantSettings{
		MaxUsers: t.Settings.MaxUsers, LockoutThreshold: t.Settings.LockoutThreshold, MFARequired: t.Settings.MFARequired,
		LockoutCooloffMinutes: t.Settings.LockoutCooloffMinutes,
		PasswordMinLength:     t.Settings.PasswordMinLength, SessionIdleMinutes: t.Settings.SessionIdleMinutes,
		SessionAbsoluteHours: t.Settings.SessionAbsoluteHours, Locale: t.Settings.Locale,
	}
	return Tenant{ID: t.ID, Slug: t.Slug, Name: t.Name, UserCount: t.UserCount, TenantSettings: s, Settings: s, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// SettingsPatch changes some settings; absent fields stay as they are.
type SettingsPatch struct {
	MaxUsers              *int    `json:"max_users,omitempty" minimum:"0" doc:"Seat limit; 0 means no limit (staff only)"`
	LockoutThreshold      *int    `json:"lockout_threshold,omitempty"`
	LockoutCooloffMinutes *int    `json:"lockout_cooloff_minutes,omitempty"`
	MFARequired           *bool   `json:"mfa_required,omitempty"`
	PasswordMinLength     *int    `json:"password_min_length,omitempty"`
	SessionIdleMinutes    *int    `json:"session_idle_minutes,omitempty"`
	SessionAbsoluteHours  *int    `json:"session_absolute_hours,omitempty"`
	Locale                *string `json:"locale,omitempty"`
}

// merged applies nested settings over top-level ones.
func (p SettingsPatch) merged(nested *SettingsPatch) admin.TenantSettingsPatch {
	if nested != nil {
		for _, f := range []struct{ dst, src **int }{{&p.MaxUsers, &nested.MaxUsers}, {&p.LockoutThreshold, &nested.LockoutThreshold},
			{&p.LockoutCooloffMinutes, &nested.LockoutCooloffMinutes},
			{&p.PasswordMinLength, &nested.PasswordMinLength}, {&p.SessionIdleMinutes, &nested.SessionIdleMinutes},
			{&p.SessionAbsoluteHours, &nested.SessionAbsoluteHours}} {
			if *f.src != nil {
				*f.dst = *f.src
			}
		}
		if nested.MFARequired != nil {
			p.MFARequired = nested.MFARequired
		}
		if nested.Locale != nil {
			p.Locale = nested.Locale
		}
	}
	return admin.TenantSettingsPatch{MaxUsers: p.MaxUsers, LockoutThreshold: p.LockoutThreshold, MFARequired: p.MFARequired,
		LockoutCooloffMinutes: p.LockoutCooloffMinutes,
		PasswordMinLength:     p.PasswordMinLength, SessionIdleMinutes: p.SessionIdleMinutes,
		SessionAbsoluteHours: p.SessionAbsoluteHours, Locale: p.Locale}
}

// Session is a session on the wire (never its token).
type Session struct {
	ID         string    `json:"id"`
	Current    bool      `json:"current" doc:"Whether this is the session making the request"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
}

func sessionsOut(list []*admin.Session, current string) []Session {
	out := make([]Session, 0, len(list))
	for _, s := range list {
		out = append(out, Session{ID: s.ID, Current: s.ID == current, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt, IP: s.IP, UserAgent: s.UserAgent})
	}
	return out
}

// AuditEvent is an audit event on the wire.
type AuditEvent struct {
	ID        string         `json:"id"`
	At        time.Time      `json:"at"`
	Actor     *AuditActor    `json:"actor"`
	Action    string         `json:"action"`
	Target    AuditTarget    `json:"target"`
	Outcome   string         `json:"outcome" enum:"success,failure"`
	Reason    string         `json:"reason,omitempty" doc:"Why a failure failed"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	RequestID string         `json:"request_id"`
	Details   map[string]any `json:"details"`
}

// AuditActor is who did it; null for anonymous attempts and system jobs.
type AuditActor struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Staff    bool   `json:"staff"`
}

// AuditTarget is what it was done to.
type AuditTarget struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

func auditOut(e *admin.AuditEvent) AuditEvent {
	out := AuditEvent{ID: e.ID, At: e.At, Action: e.Action, Target: AuditTarget{e.TargetType, e.TargetID, e.TargetName},
		Outcome: e.Outcome, Reason: e.Reason, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Details: e.Details}
	if e.ActorID != "" {
		out.Actor = &AuditActor{ID: e.ActorID, Username: e.ActorName, Staff: e.ActorTenantID == admin.PlatformTenantID}
	}
	if out.Details == nil {
		out.Details = map[string]any{}
	}
	return out
}
