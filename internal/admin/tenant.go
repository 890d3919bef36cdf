package admin

import (
	"regexp"
	"strings"
	"time"
)

// PlatformTenantID is the id of the platform: the pseudo-tenant that staff
// users belong to. It never appears in tenant lists and cannot be addressed
// by slug from the API.
const PlatformTenantID = "platform"

// platformSlug can never collide with a tenant's slug: slugs have no '_'.
const platformSlug = "_platform"

// Tenant is one customer account.
type Tenant struct {
	ID        string
	Slug      string
	Name      string
	Settings  TenantSettings
	UserCount int // users that are not removed: the seats in use (R-U9)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsPlatform reports whether t is the platform (staff) tenant.
func (t *Tenant) IsPlatform() bool { return t.ID == PlatformTenantID }

// TenantSettings are the policies a tenant chooses.
type TenantSettings struct {
	MaxUsers         int // 0: no limit
	LockoutThreshold int // failed passwords before the account locks
	// LockoutCooloffMinutes is 0 for a lock that lasts until an admin
	// unlocks (the default), or how long a first lock lasts; each lockout
	// in a row doubles it, up to a day.
	LockoutCooloffMinutes int
	MFARequired           bool
	PasswordMinLength     int
	SessionIdleMinutes    int
	SessionAbsoluteHours  int
	Locale                string
}

// DefaultTenantSettings are the settings of a new tenant.
func DefaultTenantSettings() TenantSettings {
	return TenantSettings{
		LockoutThreshold:     5,
		PasswordMinLength:    12,
		SessionIdleMinutes:   60,
		SessionAbsoluteHours: 12,
		Locale:               "en",
	}
}

// Supported locales of users, tenants and the console.
var locales = map[string]bool{"en": true, "ja": true}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// reservedSlugs would be confusing or clash with routes.
var reservedSlugs = map[string]bool{"api": true, "admin": true, "platform": true, "static": true, "staff": true}

func validateSlug(slug string) error {
	if slug == "" {
		return Invalid("slug", "required", "A slug is required.")
	}
	if !slugPattern.MatchString(slug) {
		return Invalid("slug", "invalid_slug", "A slug has 1 to 63 lower-case letters, digits and inner hyphens.")
	}
	if reservedSlugs[slug] {
		return Invalid("slug", "reserved_slug", "The slug %q is reserved.", slug)
	}
	return nil
}

func validateTenantName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Invalid("name", "required", "A name is required.")
	}
	if len([]rune(name)) > 200 {
		return Invalid("name", "too_long", "A name has at most 200 characters.")
	}
	return nil
}

func (s TenantSettings) validate() error {
	switch {
	case s.MaxUsers < 0 || s.MaxUsers > 100_000_000:
		return Invalid("max_users", "out_of_range", "max_users is 0 (no limit) or a positive number.")
	case s.LockoutThreshold < 1 || s.LockoutThreshold > 100:
		return Invalid("lockout_threshold", "out_of_range", "lockout_threshold is between 1 and 100.")
	case s.LockoutCooloffMinutes < 0 || s.LockoutCooloffMinutes > 24*60:
		return Invalid("lockout_cooloff_minutes", "out_of_range", "lockout_cooloff_minutes is 0 (locked until an admin unlocks) or up to 1440 (a day).")
	case s.PasswordMinLength < 8 || s.PasswordMinLength > MaxPasswordLength:
		return Invalid("password_min_length", "out_of_range", "password_min_length is between 8 and %d.", MaxPasswordLength)
	case s.SessionIdleMinutes < 1 || s.SessionIdleMinutes > 7*24*60:
		return Invalid("session_idle_minutes", "out_of_range", "session_idle_minutes is between 1 and 10080 (a week).")
	case s.SessionAbsoluteHours < 1 || s.SessionAbsoluteHours > 90*24:
		return Invalid("session_absolute_hours", "out_of_range", "session_absolute_hours is between 1 and 2160 (90 days).")
	case !locales[s.Locale]:
		return Invalid("locale", "unsupported_locale", "locale is \"en\" or \"ja\".")
	}
	return nil
}

// TenantSettingsPatch changes some settings; nil fields stay as they are.
type TenantSettingsPatch struct {
	MaxUsers              *int
	LockoutThreshold      *int
	LockoutCooloffMinutes *int
	MFARequired           *bool
	PasswordMinLength     *int
	SessionIdleMinutes    *int
	SessionAbsoluteHours  *int
	Locale                *string
}

func (p TenantSettingsPatch) apply(s TenantSettings) TenantSettings {
	set(&s.MaxUsers, p.MaxUsers)
	set(&s.LockoutThreshold, p.LockoutThreshold)
	set(&s.LockoutCooloffMinutes, p.LockoutCooloffMinutes)
	set(&s.MFARequired, p.MFARequired)
	set(&s.PasswordMinLength, p.PasswordMinLength)
	set(&s.SessionIdleMinutes, p.SessionIdleMinutes)
	set(&s.SessionAbsoluteHours, p.SessionAbsoluteHours)
	set(&s.Locale, p.Locale)
	return s
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// TenantQuery selects a page of tenants, ordered by slug.
type TenantQuery struct {
	Q     string // substring of slug or name
	After string // slug of the last tenant of the previous page
	Limit int
}
