package admin_test

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/sqlstore"
)

// Passwords used throughout the tests. None contains a test username or
// e-mail address, so the identity rule of the password policy never fires
// by accident.
const (
	staffPassword   = "staff-passphrase-for-tests"
	initialPassword = "first-day-passphrase"
	userPassword    = "second-day-passphrase"
)

// testClock is a fixed clock that a test moves forward by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

// Now returns the clock's current time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cheapHasher keeps tests fast: argon2id with 64 KiB and one pass.
func cheapHasher() *password.Hasher {
	return password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
}

// fixture is a bootstrapped platform on one database: a service with a
// test clock, a signed-in staff user, and a tenant "acme".
type fixture struct {
	tb     testing.TB
	db     *sqlstore.DB
	svc    *admin.Service
	clock  *testClock
	anon   context.Context // no actor
	staff  context.Context // carries the staff actor
	staffU *admin.User
	slug   string // the tenant MustFixture creates
}

// MustFixture bootstraps the platform on db, signs in its staff user and
// creates the tenant "acme" with the given settings.
func MustFixture(tb testing.TB, db *sqlstore.DB, settings ...admin.TenantSettingsPatch) *fixture {
	tb.Helper()
	clock := newTestClock()
	f := &fixture{
		tb: tb, db: db, clock: clock, anon: context.Background(), slug: "acme",
		svc: admin.New(admin.Config{Store: db, Clock: clock, Hasher: cheapHasher(), Logger: slog.New(slog.DiscardHandler)}),
	}
	if _, err := f.svc.Bootstrap(f.anon, staffPassword); err != nil {
		tb.Fatalf("Bootstrap: %v", err)
	}
	res := f.MustSignIn("", "admin", staffPassword)
	f.staff = f.MustActor(res.Token)
	f.staffU = res.User
	var s admin.TenantSettingsPatch
	if len(settings) > 0 {
		s = settings[0]
	}
	f.MustCreateTenant(f.slug, s)
	return f
}

// MustCreateTenant creates a tenant as staff.
func (f *fixture) MustCreateTenant(slug string, s admin.TenantSettingsPatch) *admin.Tenant {
	f.tb.Helper()
	t, err := f.svc.CreateTenant(f.staff, admin.NewTenant{Slug: slug, Name: "Tenant " + slug, Settings: s})
	if err != nil {
		f.tb.Fatalf("CreateTenant(%q): %v", slug, err)
	}
	return t
}

// MustTenant reads a tenant as staff.
func (f *fixture) MustTenant(slug string) *admin.Tenant {
	f.tb.Helper()
	t, err := f.svc.GetTenant(f.staff, slug)
	if err != nil {
		f.tb.Fatalf("GetTenant(%q): %v", slug, err)
	}
	return t
}

// MustCreateUser creates a user as the actor of ctx; the e-mail defaults to
// username@example.com.
func (f *fixture) MustCreateUser(ctx context.Context, slug string, in admin.NewUser) *admin.User {
	f.tb.Helper()
	if in.Email == "" {
		in.Email = in.Username + "@example.com"
	}
	u, err := f.svc.CreateUser(ctx, slug, in)
	if err != nil {
		f.tb.Fatalf("CreateUser(%q, %q): %v", slug, in.Username, err)
	}
	return u
}

// MustUser creates a pending user without a password in the fixture's tenant, as staff.
func (f *fixture) MustUser(username string, typ admin.UserType) *admin.User {
	f.tb.Helper()
	return f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: username, Type: typ})
}

// MustGetUser reads a user as staff.
func (f *fixture) MustGetUser(slug, id string) *admin.User {
	f.tb.Helper()
	u, err := f.svc.GetUser(f.staff, slug, id)
	if err != nil {
		f.tb.Fatalf("GetUser(%q, %s): %v", slug, id, err)
	}
	return u
}

// MustSignIn signs in with a username (or e-mail) and password.
func (f *fixture) MustSignIn(slug, login, pw string) *admin.SignInResult {
	f.tb.Helper()
	res, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: slug, Username: login, Password: pw})
	if err != nil {
		f.tb.Fatalf("SignIn(%q, %q): %v", slug, login, err)
	}
	return res
}

// MustActor resolves a session token and returns a context carrying its actor.
func (f *fixture) MustActor(token string) context.Context {
	f.tb.Helper()
	a, _, err := f.svc.Authenticate(f.anon, token)
	if err != nil {
		f.tb.Fatalf("Authenticate: %v", err)
	}
	return admin.WithActor(f.anon, a)
}

// member is a signed-in tenant user: their user, the context that carries
// them as the actor, and their session token.
type member struct {
	*admin.User
	ctx   context.Context
	token string
}

// MustMember creates a user in slug with an initial password, signs them in
// (which activates them), sets their own password (lifting the forced
// change of R-A4) and returns them signed in with an unrestricted session.
func (f *fixture) MustMember(slug, username string, typ admin.UserType) member {
	f.tb.Helper()
	u := f.MustCreateUser(f.staff, slug, admin.NewUser{Username: username, Type: typ, Password: initialPassword})
	res := f.MustSignIn(slug, username, initialPassword)
	if _, err := f.svc.ChangePassword(f.MustActor(res.Token), initialPassword, userPassword); err != nil {
		f.tb.Fatalf("ChangePassword(%q): %v", username, err)
	}
	return member{User: f.MustGetUser(slug, u.ID), ctx: f.MustActor(res.Token), token: res.Token}
}

// MustSession signs a member in once more and returns the new session's token.
func (f *fixture) MustSession(slug, username string) string {
	f.tb.Helper()
	return f.MustSignIn(slug, username, userPassword).Token
}

// audit returns every audit event of a tenant, newest first.
func (f *fixture) audit(slug string) []*admin.AuditEvent {
	f.tb.Helper()
	return f.auditWhere(slug, admin.AuditFilter{})
}

// auditWhere returns every audit event of a tenant that f selects, newest first.
func (f *fixture) auditWhere(slug string, filter admin.AuditFilter) []*admin.AuditEvent {
	f.tb.Helper()
	var out []*admin.AuditEvent
	filter.Limit = 500
	for {
		page, err := f.svc.ListAudit(f.staff, slug, filter)
		if err != nil {
			f.tb.Fatalf("ListAudit(%q): %v", slug, err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		filter.Cursor = page.NextCursor
	}
}

// countAudit counts a tenant's audit events of one action.
func (f *fixture) countAudit(slug, action string) int {
	f.tb.Helper()
	return len(f.auditWhere(slug, admin.AuditFilter{Action: action}))
}

// lastAudit returns the newest audit event of a tenant.
func (f *fixture) lastAudit(slug string) *admin.AuditEvent {
	f.tb.Helper()
	page, err := f.svc.ListAudit(f.staff, slug, admin.AuditFilter{Limit: 1})
	if err != nil || len(page.Items) == 0 {
		f.tb.Fatalf("ListAudit(%q): %v, %d events", slug, err, len(page.Items))
	}
	return page.Items[0]
}

// usernames searches a tenant as staff (every page) and returns the usernames found in order.
func (f *fixture) usernames(slug string, filter admin.UserFilter) []string {
	f.tb.Helper()
	var out []string
	for {
		page, err := f.svc.SearchUsers(f.staff, slug, filter)
		if err != nil {
			f.tb.Fatalf("SearchUsers(%q, %+v): %v", slug, filter, err)
		}
		for _, u := range page.Items {
			out = append(out, u.Username)
		}
		if page.NextCursor == "" {
			return out
		}
		filter.Cursor = page.NextCursor
	}
}

// wantErr fails unless err is a domain error of kind and code.
func wantErr(tb testing.TB, err error, kind admin.Kind, code string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %v error %q", kind, code)
	}
	if gotKind, gotCode := admin.KindOf(err), admin.CodeOf(err); gotKind != kind || gotCode != code {
		tb.Fatalf("got %v error %q (%v), want %v error %q", gotKind, gotCode, err, kind, code)
	}
}

// wantFieldErr fails unless err is a domain error of kind and code about field.
func wantFieldErr(tb testing.TB, err error, kind admin.Kind, code, field string) {
	tb.Helper()
	wantErr(tb, err, kind, code)
	if got := admin.ErrorOf(err).Field; got != field {
		tb.Fatalf("error %v names field %q, want %q", err, got, field)
	}
}

// wantOK fails when err is not nil.
func wantOK(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// wantUnchanged fails when a user differs from what it was before a refused change.
func wantUnchanged(tb testing.TB, before, after *admin.User) {
	tb.Helper()
	if !reflect.DeepEqual(before, after) {
		tb.Fatalf("a refused change altered the user:\nbefore %+v\nafter  %+v", before, after)
	}
}

// wantNoNewAudit fails when the tenant's audit trail grew past n events.
func (f *fixture) wantNoNewAudit(slug string, n int) {
	f.tb.Helper()
	if got := len(f.audit(slug)); got != n {
		f.tb.Fatalf("audit trail of %s has %d events, want %d: a refused change was recorded as made", slug, got, n)
	}
}

func ptr[T any](v T) *T { return &v }
