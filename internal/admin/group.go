package admin

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Group is a tenant-scoped set of users (R-G1). Renaming keeps its id, so
// history finds its current name by id (R-G3).
type Group struct {
	ID          string
	TenantID    string
	Name        string
	Description string
	MemberCount int // filled by reads; ignored by writes
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewGroup is the input of CreateGroup.
type NewGroup struct {
	Name        string
	Description string
}

// GroupPatch changes a group; nil fields stay as they are.
type GroupPatch struct {
	Name        *string
	Description *string
}

// GroupFilter is the caller's view of a group list: a substring of the
// name, and keyset paging in name order.
type GroupFilter struct {
	Q      string
	Cursor string
	Limit  int
}

// GroupQuery is a group list as the store runs it.
type GroupQuery struct {
	Q        string // lower-cased substring of the name
	AfterKey string // name key of the last group of the previous page
	AfterID  string
	Limit    int
}

// GroupPage is one page of groups.
type GroupPage struct {
	Items      []*Group
	NextCursor string
}

// MemberPage is one page of a group's members, in username order.
type MemberPage struct {
	Items      []*User
	NextCursor string
}

// MaxBulk is the most user ids one bulk membership change takes.
const MaxBulk = 1000

func groupTarget(g *Group) auditTarget { return auditTarget{"group", g.ID, g.Name} }

// normalizeGroupName trims a group name and checks it: 1 to 200
// characters, no control characters.
func normalizeGroupName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Invalid("name", "required", "A group needs a name.")
	}
	if utf8.RuneCountInString(s) > 200 || strings.ContainsFunc(s, isControl) {
		return "", Invalid("name", "invalid_name", "A name has at most 200 characters and no control characters.")
	}
	return s, nil
}

func validateDescription(s string) error {
	if utf8.RuneCountInString(s) > 1000 {
		return Invalid("description", "too_long", "A description has at most 1000 characters.")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// normalizeIDs checks a bulk list of user ids: 1 to MaxBulk of them,
// duplicates dropped, order kept.
func normalizeIDs(field string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, Invalid(field, "required", "Name at least one user.")
	}
	if len(ids) > MaxBulk {
		return nil, Invalid(field, "too_many", "At most %d users at once.", MaxBulk)
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id == "" || len(id) > 100 {
			return nil, Invalid(field, "invalid_id", "%q is not a user id.", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}
