package admin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"roster/internal/access"
)

// API tokens (R-A10): a machine acts in one tenant with the rights of the
// person who created the token, for as long as that person keeps them.

// apiTokenPrefix starts every API token, so that a bearer secret is looked
// up in the right table, and so that a leaked token is easy to recognize.
const apiTokenPrefix = "rst_"

// Token lifetimes.
const (
	DefaultAPITokenLifetime = 90 * 24 * time.Hour
	MaxAPITokenLifetime     = 2 * 365 * 24 * time.Hour
)

// NewAPIToken is the input of CreateAPIToken.
type NewAPIToken struct {
	Name      string
	Role      string     // narrows the token to one role of the creator's
	ExpiresAt *time.Time // default: 90 days from now
}

// CreateAPIToken issues a token in the tenant for the actor and returns it
// with its secret, shown this once; only its hash is stored. Requires
// roster.settings.write; a token cannot create tokens. Invalid for a bad
// name, role or expiry; Conflict "name_taken".
func (s *Service) CreateAPIToken(ctx context.Context, slug string, in NewAPIToken) (*APIToken, string, error) {
	a, err := personFrom(ctx)
	if err != nil {
		return nil, "", err
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return nil, "", Invalid("name", "required", "A name is required.")
	case len([]rune(name)) > 100:
		return nil, "", Invalid("name", "too_long", "A name has at most 100 characters.")
	}
	if err := validateName("name", name); err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	expires := now.Add(DefaultAPITokenLifetime)
	if in.ExpiresAt != nil {
		expires = in.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !expires.After(now) {
			return nil, "", Invalid("expires_at", "in_the_past", "expires_at must be in the future.")
		}
		if expires.After(now.Add(MaxAPITokenLifetime)) {
			return nil, "", Invalid("expires_at", "out_of_range", "A token lives at most two years.")
		}
	}
	secret := apiTokenPrefix + newToken()
	tok := &APIToken{ID: s.newID(), Name: name, TokenHash: HashToken(secret), UserTenantID: a.TenantID, UserID: a.UserID,
		Role: strings.TrimSpace(in.Role), CreatedAt: now, ExpiresAt: &expires}
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermSettingsWrite)
		if err != nil {
			return err
		}
		if err := s.checkTokenRole(ctx, tx, t, tok.Role); err != nil {
			return err
		}
		tok.TenantID = t.ID
		if err := tx.InsertAPIToken(ctx, tok); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("name_taken", "name", "This tenant has a token named %q already.", name)
			}
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "api_token.created", tokenTarget(tok),
			map[string]any{"role": tok.Role, "expires_at": expires.Format(time.RFC3339)}))
	})
	if err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// checkTokenRole refuses a role the token could not be narrowed to: one
// that does not exist in the tenant, or that holds a permission its
// creator does not hold in the tenant (no escalation, R-R4).
func (s *Service) checkTokenRole(ctx context.Context, tx Tx, t *Tenant, roleID string) error {
	if roleID == "" {
		return nil
	}
	r, err := tx.RoleByID(ctx, t.ID, roleID)
	if errors.Is(err, ErrNoRows) {
		return Invalid("role", "unknown_role", "There is no role %q in this tenant.", roleID)
	}
	if err != nil {
		return err
	}
	a := ActorFrom(ctx)
	var checked []string
	for _, p := range r.Permissions {
		if !(a.Type == TypeAdmin && strings.HasPrefix(p, access.RosterPrefix)) {
			checked = append(checked, p)
		}
	}
	return s.holdsAll(ctx, t, t.rootRef(), checked)
}

// tokenRoleAllows narrows an API token's actor to its role: perm must be
// one of the role's permissions (the creator's own rights are checked as
// well, by the caller). Nothing to do for a person or an unnarrowed token.
func (s *Service) tokenRoleAllows(ctx context.Context, a *Actor, t *Tenant, perm Permission) error {
	if a.TokenRole == "" || perm == "" {
		return nil
	}
	var r *Role
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		r, err = tx.RoleByID(ctx, t.ID, a.TokenRole)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return Forbidden("forbidden", "This API token's role no longer exists.")
	}
	if err != nil {
		return err
	}
	if !slices.Contains(r.Permissions, string(perm)) {
		return Forbidden("forbidden", "This API token is limited to the role %s, which does not hold %s.", r.Name, perm)
	}
	return nil
}

// ListAPITokens lists the tenant's tokens (never their secrets). Requires
// roster.settings.write.
func (s *Service) ListAPITokens(ctx context.Context, slug string) ([]*APIToken, error) {
	var out []*APIToken
	err := s.store.View(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermSettingsWrite)
		if err != nil {
			return err
		}
		out, err = tx.ListAPITokens(ctx, t.ID)
		return err
	})
	return out, err
}

// RevokeAPIToken deletes a token: it stops working at once. Requires
// roster.settings.write; NotFound for another tenant's token.
func (s *Service) RevokeAPIToken(ctx context.Context, slug, id string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		t, err := s.tenantFor(ctx, tx, slug, PermSettingsWrite)
		if err != nil {
			return err
		}
		tok, err := tx.APITokenByID(ctx, t.ID, id)
		if err != nil {
			return notFoundAs(err, "API token")
		}
		if err := tx.DeleteAPIToken(ctx, t.ID, id); err != nil {
			return notFoundAs(err, "API token")
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "api_token.revoked", tokenTarget(tok), nil))
	})
}

func tokenTarget(t *APIToken) auditTarget { return auditTarget{"api_token", t.ID, t.Name} }

// authenticateToken resolves an API token to an actor that carries its
// creator's identity, scoped to the token's tenant. The token fails when it
// has expired, or when its creator can no longer sign in.
func (s *Service) authenticateToken(ctx context.Context, token string, now time.Time) (*Actor, *User, error) {
	var tok *APIToken
	var u *User
	err := s.store.View(ctx, func(tx Tx) (err error) {
		if tok, err = tx.APITokenByHash(ctx, HashToken(token)); err != nil {
			return err
		}
		u, err = tx.UserByID(ctx, tok.UserTenantID, tok.UserID)
		return err
	})
	if errors.Is(err, ErrNoRows) {
		return nil, nil, errUnauthenticated
	}
	if err != nil {
		return nil, nil, err
	}
	if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
		return nil, nil, errUnauthenticated
	}
	if can, _ := u.CanSignIn(now); !can {
		return nil, nil, errUnauthenticated
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > touchInterval {
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchAPIToken(ctx, tok.TenantID, tok.ID, now) }); err != nil {
			return nil, nil, err
		}
	}
	a := &Actor{UserID: u.ID, TenantID: u.TenantID, Username: u.Username, Type: u.Type,
		TokenID: tok.ID, TokenTenantID: tok.TenantID, TokenRole: tok.Role}
	return a, u, nil
}
