package admin

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// UserType sets what a user may hold: admins hold every roster.* right in
// their tenant, read-only users never hold a write permission (R-R5).
type UserType string

// The user types.
const (
	TypeAdmin    UserType = "admin"
	TypeStandard UserType = "standard"
	TypeReadOnly UserType = "read_only"
)

func (t UserType) valid() bool {
	return t == TypeAdmin || t == TypeStandard || t == TypeReadOnly
}

// AuthMethod is how a user signs in; it is fixed when the user is created.
type AuthMethod string

// The authentication methods.
const (
	AuthPassword AuthMethod = "password"
	AuthSSO      AuthMethod = "sso"
)

// Status is where a user is in the lifecycle of R-U3.
type Status string

// The stored statuses. StatusExpired is never stored: it is shown for a
// pending or active user whose expires_at has passed (R-U6).
const (
	StatusPending     Status = "pending"
	StatusActive      Status = "active"
	StatusDeactivated Status = "deactivated"
	StatusRemoved     Status = "removed"
	StatusExpired     Status = "expired"
)

// RetentionWindow is how long a removed user can be restored (R-U4).
const RetentionWindow = 14 * 24 * time.Hour

// User is a person in a tenant (or, in the platform tenant, a staff user).
type User struct {
	ID                    string
	TenantID              string
	Username              string
	Email                 string
	FirstName             string
	LastName              string
	Phone                 string
	Locale                string
	Type                  UserType
	Auth                  AuthMethod
	Status                Status // the stored status; see DisplayStatus
	StatusBeforeRemoval   Status // the status a restore returns to
	ExpiresAt             *time.Time
	Locked                bool
	LockedUntil           *time.Time // when a temporary lock lifts; nil for a lock until unlocked
	Lockouts              int        // lockouts in a row, which lengthen a temporary lock
	FailedSignIns         int
	MustChangePassword    bool
	MFAEnforced           bool
	MFAEnrolled           bool
	DeactivatedByLicence  bool
	NotificationsDisabled bool
	OtherRecipients       []string
	PasswordHash          string // PHC string; empty when the user has no password
	LastSignInAt          *time.Time
	RemovedAt             *time.Time
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// Expired reports whether the account has passed its expiry at now.
func (u *User) Expired(now time.Time) bool {
	return u.ExpiresAt != nil && !now.Before(*u.ExpiresAt)
}

// DisplayStatus is the status shown to people: the stored one, or
// "expired" for a pending or active account past its expiry.
func (u *User) DisplayStatus(now time.Time) Status {
	if (u.Status == StatusActive || u.Status == StatusPending) && u.Expired(now) {
		return StatusExpired
	}
	return u.Status
}

// LockedAt reports whether the account is locked at now: locked, and
// either until an admin unlocks it or until a time still to come.
func (u *User) LockedAt(now time.Time) bool {
	return u.Locked && (u.LockedUntil == nil || now.Before(*u.LockedUntil))
}

// CanSignIn reports whether the account may start a session at now, and
// if not, the reason recorded in the audit trail.
func (u *User) CanSignIn(now time.Time) (bool, string) {
	switch {
	case u.Status == StatusRemoved:
		return false, "removed"
	case u.Status == StatusDeactivated:
		return false, "deactivated"
	case u.DeactivatedByLicence:
		return false, "deactivated_by_licence"
	case u.LockedAt(now):
		return false, "locked"
	case u.Expired(now):
		return false, "expired"
	}
	return true, ""
}

// Field limits.
const (
	MaxPasswordLength = 128
	maxNameLength     = 100
	maxEmailLength    = 254
	maxRecipients     = 10
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)
var phonePattern = regexp.MustCompile(`^\+?[0-9 ().-]{3,32}$`)

func validateUsername(s string) error {
	if s == "" {
		return Invalid("username", "required", "A username is required.")
	}
	if !usernamePattern.MatchString(s) {
		return Invalid("username", "invalid_username", "A username has 1 to 64 characters: letters, digits and . _ @ + -, starting with a letter or digit.")
	}
	return nil
}

// normalizeEmail checks an address and returns it trimmed.
func normalizeEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid(field, "required", "An e-mail address is required.")
	}
	if len(s) > maxEmailLength {
		return "", Invalid(field, "invalid_email", "An e-mail address has at most %d characters.", maxEmailLength)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", Invalid(field, "invalid_email", "%q is not an e-mail address like name@example.com.", s)
	}
	return s, nil
}

func validateName(field, s string) error {
	if utf8.RuneCountInString(s) > maxNameLength {
		return Invalid(field, "too_long", "%s has at most %d characters.", field, maxNameLength)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return Invalid(field, "invalid_characters", "%s may not contain control characters.", field)
		}
	}
	return nil
}

func validatePhone(s string) error {
	if s != "" && !phonePattern.MatchString(s) {
		return Invalid("phone", "invalid_phone", "A phone number has 3 to 32 digits, spaces, and + ( ) - . characters.")
	}
	return nil
}

func validateLocale(s string) error {
	if !locales[s] {
		return Invalid("locale", "unsupported_locale", "locale is \"en\" or \"ja\".")
	}
	return nil
}

func normalizeRecipients(list []string) ([]string, error) {
	if len(list) > maxRecipients {
		return nil, Invalid("other_recipients", "too_many", "At most %d other recipients.", maxRecipients)
	}
	out := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, r := range list {
		a, err := normalizeEmail("other_recipients", r)
		if err != nil {
			return nil, err
		}
		if k := strings.ToLower(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// UserSort orders a user search.
type UserSort string

// The sort orders of a user search, each backed by an index so that
// keyset paging stays fast at any size.
const (
	SortUsername     UserSort = "username"
	SortUsernameDesc UserSort = "-username"
	SortEmail        UserSort = "email"
	SortName         UserSort = "name"
	SortCreated      UserSort = "created_at"
	SortCreatedDesc  UserSort = "-created_at"
)

func (s UserSort) valid() bool {
	switch s {
	case SortUsername, SortUsernameDesc, SortEmail, SortName, SortCreated, SortCreatedDesc:
		return true
	}
	return false
}

// UserQuery is a search for users as the store runs it. The domain builds
// it from a UserFilter: statuses already resolved, cursor already decoded.
type UserQuery struct {
	Q        string   // lower-cased substring of username, names or e-mail
	Statuses []Status // stored statuses to include
	Expired  *bool    // only expired (true) or only not expired (false) accounts
	Type     UserType
	Group    string // only members of this group
	Role     string // only users granted this role, directly or through a group
	Project  string // only users granted on this project, directly or through a group
	Sort     UserSort
	After    *UserCursor // the last row of the previous page
	Limit    int
	Now      time.Time
}

// UserCursor is the position after which a page starts: the sort key of
// the last row and its id (the tie-breaker).
type UserCursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

// SortKey is the value of u's sort column for s, as the store compares it.
func (u *User) SortKey(s UserSort) string {
	switch s {
	case SortEmail:
		return strings.ToLower(u.Email)
	case SortName:
		return NameKey(u.FirstName, u.LastName)
	case SortCreated, SortCreatedDesc:
		return strconv.FormatInt(u.CreatedAt.UnixMicro(), 10)
	default:
		return strings.ToLower(u.Username)
	}
}

// NameKey is the sort key of a person's name: last name, then first name.
func NameKey(first, last string) string {
	return strings.ToLower(last + "\x1f" + first)
}

// SearchText is the text the substring search runs over. Every word
// starts after a space, so that a search for the start of a word can look
// for " " + q.
func SearchText(username, first, last, email string) string {
	return strings.ToLower(" " + username + " " + first + " " + last + " " + email)
}
