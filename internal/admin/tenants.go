package admin

import (
	"context"
	"errors"
	"strings"
)

// NewTenant is the input of CreateTenant.
type NewTenant struct {
	Slug     string
	Name     string
	Settings TenantSettingsPatch
}

// TenantPatch changes a tenant; nil fields stay as they are.
type TenantPatch struct {
	Name     *string
	Settings TenantSettingsPatch
}

// TenantPage is one page of tenants.
type TenantPage struct {
	Items      []*Tenant
	NextCursor string
}

// CreateTenant creates a tenant. Staff only. Invalid for bad input,
// Conflict "slug_taken" when the slug is in use.
func (s *Service) CreateTenant(ctx context.Context, in NewTenant) (*Tenant, error) {
	if err := s.requireStaff(ctx); err != nil {
		return nil, err
	}
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name = strings.TrimSpace(in.Name)
	if err := validateSlug(in.Slug); err != nil {
		return nil, err
	}
	if err := validateTenantName(in.Name); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	t := &Tenant{ID: s.newID(), Slug: in.Slug, Name: in.Name, Settings: in.Settings.apply(DefaultTenantSettings()), CreatedAt: now, UpdatedAt: now}
	if err := t.Settings.validate(); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.InsertTenant(ctx, t); err != nil {
			if errors.Is(err, ErrUniqueViolation) {
				return Conflict("slug_taken", "slug", "The slug %q is already in use.", t.Slug)
			}
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "tenant.created", tenantTarget(t), map[string]any{"after": tenantDetails(t)}))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ListTenants returns a page of tenants ordered by slug. Staff only.
func (s *Service) ListTenants(ctx context.Context, q string, cursor string, limit int) (*TenantPage, error) {
	if err := s.requireStaff(ctx); err != nil {
		return nil, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	tq := TenantQuery{Q: strings.ToLower(strings.TrimSpace(q)), Limit: limit + 1}
	if cursor != "" {
		var c struct {
			Slug string `json:"s"`
		}
		if err := decodeCursor(cursor, &c); err != nil || c.Slug == "" {
			return nil, Invalid("cursor", "invalid_cursor", "The cursor is not one this server gave out.")
		}
		tq.After = c.Slug
	}
	var page TenantPage
	err = s.store.View(ctx, func(tx Tx) error {
		items, err := tx.ListTenants(ctx, tq)
		if err != nil {
			return err
		}
		if len(items) > limit {
			items = items[:limit]
			page.NextCursor = encodeCursor(struct {
				Slug string `json:"s"`
			}{items[limit-1].Slug})
		}
		page.Items = items
		return nil
	})
	return &page, err
}

// GetTenant returns a tenant: to staff, or to the tenant's own admins.
func (s *Service) GetTenant(ctx context.Context, slug string) (*Tenant, error) {
	var t *Tenant
	err := s.store.View(ctx, func(tx Tx) (err error) {
		t, err = s.tenantFor(ctx, tx, slug, PermUsersRead)
		return err
	})
	return t, err
}

// UpdateTenant changes a tenant's name or settings. Staff may change
// anything; a tenant's admins may change its policies but never its seat
// limit (max_users), which is the platform's to set.
func (s *Service) UpdateTenant(ctx context.Context, slug string, p TenantPatch) (*Tenant, error) {
	var t *Tenant
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		t, err = s.tenantFor(ctx, tx, slug, PermSettingsWrite)
		if err != nil {
			return err
		}
		if p.Settings.MaxUsers != nil && *p.Settings.MaxUsers != t.Settings.MaxUsers && !ActorFrom(ctx).Staff() {
			return Forbidden("staff_only", "Only platform staff may change the seat limit.")
		}
		before := tenantDetails(t)
		if p.Name != nil {
			name := strings.TrimSpace(*p.Name)
			if err := validateTenantName(name); err != nil {
				return err
			}
			t.Name = name
		}
		t.Settings = p.Settings.apply(t.Settings)
		if err := t.Settings.validate(); err != nil {
			return err
		}
		t.UpdatedAt = s.clock.Now()
		if err := tx.UpdateTenant(ctx, t); err != nil {
			return err
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "tenant.updated", tenantTarget(t), diff(before, tenantDetails(t))))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func tenantDetails(t *Tenant) map[string]any {
	return map[string]any{
		"slug": t.Slug, "name": t.Name,
		"max_users": t.Settings.MaxUsers, "lockout_threshold": t.Settings.LockoutThreshold,
		"lockout_cooloff_minutes": t.Settings.LockoutCooloffMinutes,
		"mfa_required":            t.Settings.MFARequired, "password_min_length": t.Settings.PasswordMinLength,
		"session_idle_minutes": t.Settings.SessionIdleMinutes, "session_absolute_hours": t.Settings.SessionAbsoluteHours,
		"locale": t.Settings.Locale,
	}
}

// diff keeps the fields whose values differ, as {"before": …, "after": …}.
func diff(before, after map[string]any) map[string]any {
	b, a := map[string]any{}, map[string]any{}
	for k, v := range after {
		if !equalValue(before[k], v) {
			b[k], a[k] = before[k], v
		}
	}
	return map[string]any{"before": b, "after": a}
}

func equalValue(x, y any) bool {
	xs, ok1 := x.([]string)
	ys, ok2 := y.([]string)
	if ok1 || ok2 {
		if len(xs) != len(ys) {
			return false
		}
		for i := range xs {
			if xs[i] != ys[i] {
				return false
			}
		}
		return true
	}
	return x == y
}
