package admin_test

import (
	"strings"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore/sqltest"
)

// TestSignInStepSealsThePassword covers the value the console's code page
// carries instead of the password: it opens only for the same tenant and
// login, within its lifetime, untampered, and never shows the password.
func TestSignInStepSealsThePassword(t *testing.T) {
	t.Parallel()
	db := sqltest.Open(t, "sqlite")
	f := MustFixture(t, db)
	c := admin.Credentials{Tenant: "Acme", Username: "Alice", Password: "correct horse battery staple"}
	step := f.svc.SealSignInStep(c)
	if strings.Contains(step, "horse") || strings.Contains(step, c.Password) {
		t.Fatalf("the sealed step shows the password: %q", step)
	}
	if again := f.svc.SealSignInStep(c); again == step {
		t.Error("two seals of one password are equal; want a fresh nonce each time")
	}
	pw, err := f.svc.OpenSignInStep(admin.Credentials{Tenant: "acme", Username: "alice "}, step)
	if err != nil || pw != c.Password {
		t.Fatalf("open for the same tenant and login = %q, %v", pw, err)
	}
	for name, tc := range map[string]struct {
		creds admin.Credentials
		step  string
	}{
		"another login":  {admin.Credentials{Tenant: "acme", Username: "bob"}, step},
		"another tenant": {admin.Credentials{Tenant: "globex", Username: "alice"}, step},
		"tampered":       {admin.Credentials{Tenant: "acme", Username: "alice"}, step[:len(step)-2] + "AA"},
		"not base64":     {admin.Credentials{Tenant: "acme", Username: "alice"}, "%%%"},
		"empty":          {admin.Credentials{Tenant: "acme", Username: "alice"}, ""},
	} {
		if _, err := f.svc.OpenSignInStep(tc.creds, tc.step); admin.CodeOf(err) != "sign_in_step_expired" {
			t.Errorf("%s: %v, want sign_in_step_expired", name, err)
		}
	}
	f.clock.Advance(admin.SignInStepLifetime + time.Second)
	if _, err := f.svc.OpenSignInStep(c, step); admin.CodeOf(err) != "sign_in_step_expired" {
		t.Errorf("after its lifetime: %v, want sign_in_step_expired", err)
	}
}
