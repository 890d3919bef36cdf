package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PermKind is a permission's kind: a read_only grant or user never holds a
// write permission.
type PermKind string

// The kinds of permission.
const (
	KindRead  PermKind = "read"
	KindWrite PermKind = "write"
)

// PermissionDef is an entry of the platform-wide permission catalogue (R-R1).
type PermissionDef struct {
	Name        string
	Kind        PermKind
	Description string
	Builtin     bool // one of Roster's own roster.* rights
	CreatedAt   time.Time
}

// rosterPermissions are Roster's own rights (SPEC §2).
var rosterPermissions = []PermissionDef{
	{Name: string(PermUsersRead), Kind: KindRead, Description: "See users, groups and their access"},
	{Name: string(PermUsersWrite), Kind: KindWrite, Description: "Create, edit, deactivate and remove users"},
	{Name: string(PermGroupsWrite), Kind: KindWrite, Description: "Create, rename and delete groups; change their members"},
	{Name: string(PermRolesWrite), Kind: KindWrite, Description: "Create, copy, edit and delete roles"},
	{Name: string(PermGrantsWrite), Kind: KindWrite, Description: "Grant and revoke roles on resources"},
	{Name: string(PermResourcesWrite), Kind: KindWrite, Description: "Create, move and delete projects, folders and other resources"},
	{Name: string(PermLicencesWrite), Kind: KindWrite, Description: "Manage licence pools and assignments"},
	{Name: string(PermInvitationsWrite), Kind: KindWrite, Description: "Invite people"},
	{Name: string(PermAuditRead), Kind: KindRead, Description: "Read the audit trail"},
	{Name: string(PermSettingsWrite), Kind: KindWrite, Description: "Change the tenant's settings"},
}

// Roster's own predefined, locked roles (R-R2).
const (
	RoleTenantAdministrator = "tenant-administrator"
	RoleAuditor             = "auditor"
)

func rosterRoles() []CatalogueRole {
	all := make([]string, len(rosterPermissions))
	for i, p := range rosterPermissions {
		all[i] = p.Name
	}
	return []CatalogueRole{
		{ID: RoleTenantAdministrator, Name: "Tenant administrator", Description: "Every roster.* right in the tenant", Locked: true, Permissions: all},
		{ID: RoleAuditor, Name: "Auditor", Description: "Reads users and the audit trail", Locked: true, Permissions: []string{string(PermUsersRead), string(PermAuditRead)}},
	}
}

// Catalogue is a host product's permissions and predefined roles, as read
// from the file named by ROSTER_PERMISSIONS.
type Catalogue struct {
	Permissions []CataloguePermission `json:"permissions"`
	Roles       []CatalogueRole       `json:"roles"`
}

// CataloguePermission is one permission of a catalogue file.
type CataloguePermission struct {
	Name        string   `json:"name"`
	Kind        PermKind `json:"kind"`
	Description string   `json:"description"`
}

// CatalogueRole is one predefined role of a catalogue file.
type CatalogueRole struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Locked      bool     `json:"locked"`
	Permissions []string `json:"permissions"`
}

// ParseCatalogue reads a catalogue file (JSON) and checks it: names, kinds,
// role ids, and that every role's permissions are in the catalogue or
// Roster's own.
func ParseCatalogue(r io.Reader) (*Catalogue, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var c Catalogue
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	known := map[string]bool{}
	for _, p := range rosterPermissions {
		known[p.Name] = true
	}
	for _, p := range c.Permissions {
		if err := validatePermission(p.Name, p.Kind, p.Description); err != nil {
			return nil, fmt.Errorf("catalogue: permission %q: %w", p.Name, err)
		}
		if known[p.Name] {
			return nil, fmt.Errorf("catalogue: permission %q is listed twice", p.Name)
		}
		known[p.Name] = true
	}
	ids := map[string]bool{RoleTenantAdministrator: true, RoleAuditor: true}
	for _, r := range c.Roles {
		if !roleIDPattern.MatchString(r.ID) || ids[r.ID] {
			return nil, fmt.Errorf("catalogue: role id %q is not a unique lower-case slug", r.ID)
		}
		ids[r.ID] = true
		if _, err := normalizeRoleName(r.Name); err != nil {
			return nil, fmt.Errorf("catalogue: role %q: %w", r.ID, err)
		}
		for _, p := range r.Permissions {
			if !known[p] {
				return nil, fmt.Errorf("catalogue: role %q names the unknown permission %q", r.ID, p)
			}
		}
	}
	return &c, nil
}

var (
	permissionPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}(\.[a-z][a-z0-9_-]{0,62}){1,4}$`)
	roleIDPattern     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
)

func validatePermission(name string, kind PermKind, description string) error {
	switch {
	case !permissionPattern.MatchString(name):
		return Invalid("name", "invalid_name", "A permission is dotted lower-case words, e.g. defects.edit.")
	case kind != KindRead && kind != KindWrite:
		return Invalid("kind", "invalid_kind", "kind is read or write.")
	case utf8.RuneCountInString(description) > 500:
		return Invalid("description", "too_long", "A description has at most 500 characters.")
	}
	return nil
}

// installCatalogue writes Roster's own rights and roles and those of c
// (which may be nil) into the platform: new permissions are added,
// descriptions updated; a permission's kind never changes. Predefined roles
// are replaced as the catalogue says.
func (s *Service) installCatalogue(ctx context.Context, tx Tx, c *Catalogue) error {
	now := s.clock.Now()
	perms := slices.Clone(rosterPermissions)
	roles := rosterRoles()
	if c != nil {
		for _, p := range c.Permissions {
			perms = append(perms, PermissionDef{Name: p.Name, Kind: p.Kind, Description: p.Description})
		}
		roles = append(roles, c.Roles...)
	}
	for _, p := range perms {
		p.Builtin, p.CreatedAt = strings.HasPrefix(p.Name, "roster."), now
		if err := s.putPermission(ctx, tx, &p); err != nil {
			return err
		}
	}
	for _, cr := range roles {
		r := &Role{ID: cr.ID, TenantID: PlatformTenantID, Name: cr.Name, Description: cr.Description, Locked: cr.Locked,
			Permissions: sortedSet(cr.Permissions), CreatedAt: now, UpdatedAt: now}
		old, err := tx.RoleByID(ctx, PlatformTenantID, r.ID)
		switch {
		case errors.Is(err, ErrNoRows):
			err = tx.InsertRole(ctx, r)
		case err == nil:
			r.CreatedAt = old.CreatedAt
			if old.Name == r.Name && old.Description == r.Description && old.Locked == r.Locked && slices.Equal(old.Permissions, r.Permissions) {
				continue
			}
			err = tx.UpdateRole(ctx, r)
		}
		if err != nil {
			return fmt.Errorf("predefined role %s: %w", r.ID, err)
		}
	}
	return nil
}

// putPermission adds a permission or updates its description; Conflict
// "permission_kind_fixed" when it exists with another kind.
func (s *Service) putPermission(ctx context.Context, tx Tx, p *PermissionDef) error {
	old, err := tx.PermissionByName(ctx, p.Name)
	switch {
	case errors.Is(err, ErrNoRows):
		return tx.InsertPermission(ctx, p)
	case err != nil:
		return err
	case old.Kind != p.Kind:
		return Conflict("permission_kind_fixed", "kind", "The permission %s exists with kind %s; a kind never changes.", p.Name, old.Kind)
	case old.Description != p.Description:
		return tx.UpdatePermission(ctx, p)
	}
	p.CreatedAt, p.Builtin = old.CreatedAt, old.Builtin
	return nil
}

// ListPermissions returns the catalogue in name order. Any signed-in user
// may read it.
func (s *Service) ListPermissions(ctx context.Context) ([]*PermissionDef, error) {
	if ActorFrom(ctx) == nil {
		return nil, errUnauthenticated
	}
	var out []*PermissionDef
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListPermissions(ctx)
		return err
	})
	return out, err
}

// RegisterPermission adds a host permission to the catalogue, or updates
// its description (staff only, R-R1). Invalid for a bad name or kind, or a
// roster.* name ("reserved"); Conflict "permission_kind_fixed".
func (s *Service) RegisterPermission(ctx context.Context, name string, kind PermKind, description string) (*PermissionDef, error) {
	if err := s.requireStaff(ctx); err != nil {
		return nil, err
	}
	if err := validatePermission(name, kind, description); err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, "roster.") {
		return nil, Invalid("name", "reserved", "roster.* permissions are Roster's own.")
	}
	p := &PermissionDef{Name: name, Kind: kind, Description: strings.TrimSpace(description), CreatedAt: s.clock.Now()}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := s.putPermission(ctx, tx, p); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, PlatformTenantID, "permission.registered", auditTarget{"permission", p.Name, p.Name},
			map[string]any{"kind": string(p.Kind), "description": p.Description}))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func sortedSet(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}
