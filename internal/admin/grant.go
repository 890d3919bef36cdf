package admin

import "time"

// SubjectType says who a grant is for.
type SubjectType string

// The subjects of a grant.
const (
	SubjectUser  SubjectType = "user"
	SubjectGroup SubjectType = "group"
)

// Access is what a grant allows of its role: everything (write, the
// default) or only the role's read permissions.
type Access string

// The accesses of a grant.
const (
	AccessWrite    Access = "write"
	AccessReadOnly Access = "read_only"
)

// Grant gives a subject a role on a resource (§1). A group granted on a
// project is a team.
type Grant struct {
	ID           string
	TenantID     string
	SubjectType  SubjectType
	SubjectID    string
	RoleID       string
	ResourceType string // "tenant" (key "") for the root, "collection" (key = type) for a collection
	ResourceKey  string
	Access       Access
	CreatedAt    time.Time

	// Resource is the reference as the API shows it ("tenant:<slug>",
	// "project:P1"), filled in by the service.
	Resource string
}

// NewGrant is the input of CreateGrant.
type NewGrant struct {
	SubjectType SubjectType
	SubjectID   string
	Role        string // a role id
	Resource    string // "type:key"
	Access      Access // default write
}

// GrantFilter selects grants: of one subject (a user or group id), on one
// resource or on several of one type (Resources, at most MaxGrantResources;
// not with Resource), or both.
type GrantFilter struct {
	Subject   string
	Resource  string
	Resources []string
	Cursor    string
	Limit     int
}

// GrantQuery is a grant list as the store runs it, in id order.
type GrantQuery struct {
	SubjectID    string
	ResourceType string
	ResourceKey  string
	ByResource   bool
	ResourceKeys []string // with ResourceType: on any of these (ByResource false)
	After        string
	Limit        int
}

// GrantPage is one page of grants.
type GrantPage struct {
	Items      []*Grant
	NextCursor string
}

// GrantPatch changes a grant in place (R-P1): its role, its access, or
// both; nil fields stay.
type GrantPatch struct {
	Role   *string // a role id
	Access *Access
}

// MaxGrantResources is the most resources one grant list asks about at
// once (a page of the project matrix).
const MaxGrantResources = 200

// TeamConflict is a user who would be on two teams of one project (R-P2).
type TeamConflict struct {
	UserID     string
	ProjectKey string
	GroupID    string // the other team
}

// Misconfiguration is a problem of a project's teams (R-P2): a user with
// access to it on no team, or on two teams or more.
type Misconfiguration struct {
	Problem  string // "no_team" or "several_teams"
	UserID   string
	Username string
	GroupIDs []string // the teams the user is on
}

func grantTarget(g *Grant) auditTarget {
	return auditTarget{"grant", g.ID, string(g.SubjectType) + ":" + g.SubjectID + "@" + g.Resource}
}
