package admin

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Role is a named set of permissions (R-R2). Predefined roles belong to the
// platform and are seen in every tenant; they change only with the
// catalogue, and can be copied. Custom roles belong to one tenant.
type Role struct {
	ID          string
	TenantID    string // PlatformTenantID for a predefined role
	Name        string
	Description string
	Locked      bool
	Permissions []string // sorted
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Predefined reports whether the role ships with the catalogue.
func (r *Role) Predefined() bool { return r.TenantID == PlatformTenantID }

// NewRole is the input of CreateRole.
type NewRole struct {
	Name        string
	Description string
	Permissions []string
}

// RolePatch changes a custom role; nil fields stay as they are.
type RolePatch struct {
	Name        *string
	Description *string
	Permissions *[]string
}

func roleTarget(r *Role) auditTarget { return auditTarget{"role", r.ID, r.Name} }

func normalizeRoleName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid("name", "required", "A role needs a name.")
	}
	if utf8.RuneCountInString(s) > 100 || strings.ContainsFunc(s, isControl) {
		return "", Invalid("name", "invalid_name", "A name has at most 100 characters and no control characters.")
	}
	return s, nil
}
