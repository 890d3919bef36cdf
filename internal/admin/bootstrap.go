package admin

import (
	"context"
	"errors"
)

// Bootstrap makes sure the platform tenant exists and, on an empty
// database, creates the staff user "admin" (R-O1). With adminPassword
// empty it generates one and returns it, to be shown once; that password
// must be changed at first sign-in. Returns "" when nothing was created.
// It also installs the permission catalogue: Roster's own rights and roles
// and those of Config.Catalogue.
func (s *Service) Bootstrap(ctx context.Context, adminPassword string) (generated string, err error) {
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TenantBySlug(ctx, platformSlug)
		if errors.Is(err, ErrNoRows) {
			now := s.clock.Now()
			t = &Tenant{ID: PlatformTenantID, Slug: platformSlug, Name: "Platform", Settings: DefaultTenantSettings(), CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertTenant(ctx, t); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if err := s.installCatalogue(ctx, tx, s.catalogue); err != nil {
			return err
		}
		if t.UserCount > 0 {
			return nil
		}
		pw, must := adminPassword, false
		if pw == "" {
			pw, must = newToken()[:24], true
		}
		u, err := s.buildUser(ctx, t, NewUser{Username: "admin", Email: "admin@roster.invalid", FirstName: "Platform", LastName: "Administrator", Type: TypeAdmin, Password: pw})
		if err != nil {
			return err
		}
		u.MustChangePassword, u.Status = must, StatusActive
		if err := s.insertUser(ctx, tx, t, u); err != nil {
			return err
		}
		if must {
			generated = pw
		}
		return tx.InsertAuditEvent(ctx, s.audit(ctx, t.ID, "user.created", userTarget(u), map[string]any{"after": userDetails(u), "bootstrap": true}))
	})
	return generated, err
}
