package admin

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Resource is a node of the tenant's tree (§1): a project, a folder, a
// library, a job, or any other type the host uses. The tenant itself
// ("tenant:<slug>") and one collection per type ("collection:<type>") are
// implicit nodes: an item without a parent sits under its type's
// collection; folders have a project or folder parent.
type Resource struct {
	TenantID   string
	Type       string
	Key        string // the host's own id, unique per type in the tenant
	Name       string
	ParentType string // empty: under the type's collection
	ParentKey  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Ref is the resource's reference, "type:key".
func (r *Resource) Ref() string { return r.Type + ":" + r.Key }

// ParentRef is the reference of the resource's parent: its collection when
// it has no explicit parent.
func (r *Resource) ParentRef() string {
	if r.ParentType == "" {
		return "collection:" + r.Type
	}
	return r.ParentType + ":" + r.ParentKey
}

// NewResource is the input of CreateResource.
type NewResource struct {
	Type   string
	Key    string
	Name   string
	Parent string // "type:key", or empty
}

// ResourcePatch renames or moves a resource; nil fields stay.
type ResourcePatch struct {
	Name   *string
	Parent *string // "type:key", or "" to put the item under its collection
}

// ResourceQuery lists resources, in (type, key) order after a position.
type ResourceQuery struct {
	Type       string
	ParentType string // with ParentKey: only the children of that node
	ParentKey  string
	Parent     bool   // filter by parent (ParentType "" means: directly under the collection)
	Q          string // lower-case substring of the key or the name
	AfterType  string
	AfterKey   string
	Limit      int
}

// ResourceFilter is the caller's view of a resource list.
type ResourceFilter struct {
	Type   string
	Parent string // "type:key" or "collection:<type>"
	Q      string // a part of the key or the name, any case
	Cursor string
	Limit  int
}

// ResourcePage is one page of resources.
type ResourcePage struct {
	Items      []*Resource
	NextCursor string
}

// Special resource types.
const (
	TypeTenant     = "tenant"
	TypeCollection = "collection"
	TypeProject    = "project"
	TypeFolder     = "folder"
)

var resourceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func validateResourceType(field, t string) error {
	if !resourceTypePattern.MatchString(t) || t == TypeTenant || t == TypeCollection {
		return Invalid(field, "invalid_type", "A resource type is a lower-case word (not tenant or collection), e.g. project.")
	}
	return nil
}

func validateResourceKey(field, k string) error {
	if k == "" || utf8.RuneCountInString(k) > 200 || strings.ContainsFunc(k, func(r rune) bool { return isControl(r) || r == '/' }) {
		return Invalid(field, "invalid_key", "A key has 1 to 200 characters, no slash and no control characters.")
	}
	return nil
}

// ref is a parsed resource reference: the tenant root, a collection, or an item.
type ref struct{ typ, key string }

func (r ref) String() string { return r.typ + ":" + r.key }

// parseRef parses "type:key" for the tenant t: "tenant:<slug>" is the
// root (stored as type tenant, key ""), "collection:<type>" a collection.
func parseRef(t *Tenant, field, s string) (ref, error) {
	typ, key, ok := strings.Cut(s, ":")
	if !ok {
		return ref{}, Invalid(field, "invalid_resource", "A resource is written type:key, e.g. project:P1.")
	}
	switch typ {
	case TypeTenant:
		if key != t.Slug {
			return ref{}, NotFound("Resource")
		}
		return ref{TypeTenant, ""}, nil
	case TypeCollection:
		if err := validateResourceType(field, key); err != nil {
			return ref{}, err
		}
		return ref{TypeCollection, key}, nil
	}
	if err := validateResourceType(field, typ); err != nil {
		return ref{}, err
	}
	if err := validateResourceKey(field, key); err != nil {
		return ref{}, err
	}
	return ref{typ, key}, nil
}

// display is the reference as the API shows it: the root as tenant:<slug>.
func (t *Tenant) display(r ref) string {
	if r.typ == TypeTenant {
		return t.rootRef()
	}
	return r.String()
}

// rootRef is the tenant's root resource, "tenant:<slug>".
func (t *Tenant) rootRef() string { return TypeTenant + ":" + t.Slug }

func resourceTarget(r *Resource) auditTarget { return auditTarget{"resource", r.Ref(), r.Name} }
