// Package access is Roster's permission engine: a tenant's resource tree,
// its users, groups, roles and grants, held in memory as an Index that
// answers a check without I/O and without allocating. The domain (package
// admin) feeds it from the database and asks it; this package does no I/O.
//
// The model: a grant gives a subject (a user, or every member of a group) a
// role on a resource, with access write or read_only. A user holds a
// permission on a resource when a grant on that resource or on any of its
// ancestors (folder, project, collection, tenant) gives it — inheritance
// only ever adds. A read_only grant gives only the role's read permissions;
// a read_only user never holds a write permission; an admin user holds
// every roster.* permission in their tenant; a user who cannot sign in now
// holds nothing.
package access

import (
	"strings"
)

// Kind is a permission's kind.
type Kind uint8

// The kinds of permission.
const (
	KindRead Kind = iota + 1
	KindWrite
)

// UserType mirrors the user types that cap what a user holds.
type UserType uint8

// The user types.
const (
	Standard UserType = iota
	Admin
	ReadOnly
)

// UserState is what the index needs to know of a user.
type UserState struct {
	Type UserType
	// Barred is set when the user cannot sign in now for a lasting reason
	// (deactivated, removed, locked, deactivated by licence).
	Barred bool
	// Expires is the account's expiry in Unix microseconds, 0 for none.
	Expires int64
	// LockedUntil is the end of a temporary lock in Unix microseconds, 0
	// for none.
	LockedUntil int64
}

// out reports whether a user in state st cannot sign in at now.
func (st *UserState) out(now int64) bool {
	return st.Barred || (st.Expires != 0 && now >= st.Expires) || now < st.LockedUntil
}

// Grant is a grant as the index takes it.
type Grant struct {
	ID           string
	SubjectGroup bool   // the subject is a group, else a user
	SubjectID    string // the user's or group's id
	RoleID       string
	Resource     string // "type:key"
	ReadOnly     bool
}

// Reason says why a check allowed: the grant, its role, where it sits and,
// for a group's grant, the group.
type Reason struct {
	Rule     Rule
	GrantID  string
	RoleID   string
	RoleName string
	Resource string // the resource the grant is on, "type:key"
	GroupID  string // the group through which the user holds the grant; empty for a direct grant
}

// Rule is the rule that allowed a check.
type Rule uint8

// The rules that allow.
const (
	RuleNone      Rule = iota
	RuleGrant          // a grant on the resource or an ancestor
	RuleAdminType      // an admin user holds every roster.* permission
)

func (r Rule) String() string {
	switch r {
	case RuleGrant:
		return "grant"
	case RuleAdminType:
		return "admin_type"
	}
	return ""
}

// Denial says why a check denied.
type Denial uint8

// The reasons for a denial.
const (
	Allowed           Denial = iota
	UnknownUser              // no such user in the tenant
	CannotSignIn             // deactivated, removed, locked, expired, deactivated by licence
	UnknownPermission        // not in the catalogue
	UnknownResource          // no such resource in the tenant
	ReadOnlyUser             // a read_only user asked for a write permission
	NoGrant                  // no grant gives it
)

func (d Denial) String() string {
	return [...]string{"", "unknown_user", "cannot_sign_in", "unknown_permission", "unknown_resource", "read_only_user", "no_grant"}[d]
}

// Decision is the answer to a check.
type Decision struct {
	Allowed bool
	Reason  Reason // when allowed
	Denial  Denial // when denied
}

// Held is one permission a user holds on a resource, and why.
type Held struct {
	Permission string
	Reason     Reason
}

// Holder is a user who holds a permission on a resource, and why.
type Holder struct {
	UserID string
	Reason Reason
}

// RosterPrefix starts the names of Roster's own permissions.
const RosterPrefix = "roster."

// SplitRef splits "type:key" at the first colon.
func SplitRef(ref string) (typ, key string, ok bool) {
	typ, key, ok = strings.Cut(ref, ":")
	return typ, key, ok && typ != ""
}

// CollectionRef is the reference of the collection of a resource type.
func CollectionRef(typ string) string { return "collection:" + typ }
