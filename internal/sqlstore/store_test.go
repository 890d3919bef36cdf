package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// MustTenant inserts a tenant with a seat limit and returns its id.
func MustTenant(tb testing.TB, db *sqlstore.DB, slug string, maxUsers int) string {
	tb.Helper()
	t := &admin.Tenant{ID: "t-" + slug, Slug: slug, Name: slug, Settings: admin.DefaultTenantSettings(), CreatedAt: t0, UpdatedAt: t0}
	t.Settings.MaxUsers = maxUsers
	if err := db.Update(context.Background(), func(tx admin.Tx) error { return tx.InsertTenant(context.Background(), t) }); err != nil {
		tb.Fatalf("InsertTenant(%s): %v", slug, err)
	}
	return t.ID
}

// MustUser inserts an active user and returns it.
func MustUser(tb testing.TB, db *sqlstore.DB, tenantID, username string) *admin.User {
	tb.Helper()
	u := &admin.User{
		ID: "u-" + username, TenantID: tenantID, Username: username, Email: username + "@example.com",
		Locale: "en", Type: admin.TypeStandard, Auth: admin.AuthPassword, Status: admin.StatusActive,
		CreatedAt: t0, UpdatedAt: t0,
	}
	if err := db.Update(context.Background(), func(tx admin.Tx) error { return tx.InsertUser(context.Background(), u) }); err != nil {
		tb.Fatalf("InsertUser(%s): %v", username, err)
	}
	return u
}

func userCount(tb testing.TB, db *sqlstore.DB, tenantID string) int {
	tb.Helper()
	var n int
	err := db.View(context.Background(), func(tx admin.Tx) error {
		t, err := tx.TenantByID(context.Background(), tenantID)
		if err == nil {
			n = t.UserCount
		}
		return err
	})
	if err != nil {
		tb.Fatalf("TenantByID: %v", err)
	}
	return n
}

func TestMigrationsOfBothEnginesMirrorEachOther(t *testing.T) {
	names := map[string][]string{}
	for _, engine := range sqltest.Engines {
		ms, err := sqlstore.Migrations(engine)
		if err != nil {
			t.Fatalf("Migrations(%s): %v", engine, err)
		}
		if len(ms) == 0 {
			t.Fatalf("no migrations for %s", engine)
		}
		for _, m := range ms {
			names[engine] = append(names[engine], m.Name)
		}
		entries, err := os.ReadDir(filepath.Join("migrations", engine))
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, e := range entries {
			files = append(files, e.Name())
		}
		if !slices.Equal(files, names[engine]) {
			t.Errorf("%s: files %v, embedded migrations %v; every file must be a NNNN_name.sql migration", engine, files, names[engine])
		}
	}
	if !slices.Equal(names["sqlite"], names["postgres"]) {
		t.Errorf("migrations differ:\n sqlite   %v\n postgres %v\nevery change needs a file of the same name for both engines", names["sqlite"], names["postgres"])
	}
}

func TestMigrateAppliesEverythingOnceAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	for _, engine := range sqltest.Engines {
		t.Run(engine, func(t *testing.T) {
			var dsn string
			switch engine {
			case "sqlite":
				dsn = filepath.Join(t.TempDir(), "fresh.db")
			case "postgres":
				url, drop, err := sqltest.NewPostgresDatabase(fmt.Sprintf("roster_migrate_test_%d", os.Getpid()))
				if err != nil {
					t.Skipf("PostgreSQL not available: %v", err)
				}
				t.Cleanup(drop)
				dsn = url
			}
			db, err := sqlstore.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Engine() != engine {
				t.Errorf("Engine() = %s, want %s", db.Engine(), engine)
			}
			ms, _ := sqlstore.Migrations(engine)
			var all []string
			for _, m := range ms {
				all = append(all, m.Name)
			}
			applied, err := db.Migrate(ctx)
			if err != nil || !slices.Equal(applied, all) {
				t.Fatalf("first Migrate applied %v (%v), want %v", applied, err, all)
			}
			applied, err = db.Migrate(ctx)
			if err != nil || len(applied) != 0 {
				t.Fatalf("second Migrate applied %v (%v), want nothing", applied, err)
			}
			if v, err := db.SchemaVersion(ctx); err != nil || v != ms[len(ms)-1].Version {
				t.Errorf("SchemaVersion = %d (%v), want %d", v, err, ms[len(ms)-1].Version)
			}
			if err := db.Ping(ctx); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func TestConcurrentMigrationsApplyEachMigrationOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				applied, err := db.Migrate(context.Background())
				if err == nil && len(applied) != 0 {
					err = fmt.Errorf("applied %v again", applied)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Error(err)
		}
	})
}

func TestAddSeatsNeverPassesMaxUsers(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		limited := MustTenant(t, db, "limited", 2)
		open := MustTenant(t, db, "open", 0)
		add := func(tenantID string, delta int) error {
			return db.Update(ctx, func(tx admin.Tx) error { return tx.AddSeats(ctx, tenantID, delta) })
		}
		for i, step := range []struct {
			tenant string
			delta  int
			err    error
			count  int
		}{
			{limited, 1, nil, 1},
			{limited, 2, admin.ErrStale, 1},
			{limited, 1, nil, 2},
			{limited, 1, admin.ErrStale, 2},
			{limited, 0, nil, 2},
			{limited, -1, nil, 1},
			{limited, 1, nil, 2},
			{open, 1000, nil, 1000},
			{open, -1, nil, 999},
		} {
			err := add(step.tenant, step.delta)
			if !errors.Is(err, step.err) || (step.err == nil && err != nil) {
				t.Fatalf("step %d: AddSeats(%+d) = %v, want %v", i, step.delta, err, step.err)
			}
			if got := userCount(t, db, step.tenant); got != step.count {
				t.Fatalf("step %d: user_count = %d, want %d", i, got, step.count)
			}
		}

		// Concurrent increases never pass the limit.
		raised := MustTenant(t, db, "concurrent", 5)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, stale := 0, 0
		for range 20 {
			wg.Go(func() {
				err := add(raised, 1)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, admin.ErrStale):
					stale++
				default:
					t.Errorf("AddSeats: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 5 || stale != 15 || userCount(t, db, raised) != 5 {
			t.Errorf("20 concurrent AddSeats(+1) under max 5: %d ok, %d stale, count %d; want 5, 15, 5", ok, stale, userCount(t, db, raised))
		}
	})
}

func TestRecordSignInFailureCountsExactlyAndLocksAtTheThreshold(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tenant := MustTenant(t, db, "acme", 0)
		u := MustUser(t, db, tenant, "alice")
		fail := func(userID string) (n int, locked bool, err error) {
			err = db.Update(ctx, func(tx admin.Tx) (err error) {
				f, err := tx.RecordSignInFailure(ctx, tenant, userID, 3, t0)
				n, locked = f.Failures, f.Locked
				return err
			})
			return
		}
		for want := 1; want <= 3; want++ {
			n, locked, err := fail(u.ID)
			if err != nil || n != want || locked != (want == 3) {
				t.Fatalf("failure %d: count %d, locked %v, %v; want %d, %v", want, n, locked, err, want, want == 3)
			}
		}
		if _, _, err := fail(u.ID); !errors.Is(err, admin.ErrNoRows) {
			t.Fatalf("a failure on a locked account: %v, want ErrNoRows (nothing counted)", err)
		}
		if _, _, err := fail("u-nobody"); !errors.Is(err, admin.ErrNoRows) {
			t.Fatalf("a failure of an unknown user: %v, want ErrNoRows", err)
		}

		// Concurrent failures: each count is handed out once, one locks.
		bob := MustUser(t, db, tenant, "bob")
		const tries = 30
		var wg sync.WaitGroup
		counts := make([]int, tries)
		locks := make([]bool, tries)
		errs := make([]error, tries)
		for i := range tries {
			wg.Go(func() { counts[i], locks[i], errs[i] = fail(bob.ID) })
		}
		wg.Wait()
		var got []int
		nLocked := 0
		for i := range tries {
			switch {
			case errs[i] == nil:
				got = append(got, counts[i])
				if locks[i] {
					nLocked++
				}
			case !errors.Is(errs[i], admin.ErrNoRows):
				t.Errorf("attempt %d: %v", i, errs[i])
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2, 3}) || nLocked != 1 {
			t.Errorf("concurrent failures counted %v with %d locks; want [1 2 3] and one lock", got, nLocked)
		}
		var stored *admin.User
		db.View(ctx, func(tx admin.Tx) (err error) { stored, err = tx.UserByID(ctx, tenant, bob.ID); return err })
		if stored.FailedSignIns != 3 || !stored.Locked {
			t.Errorf("stored: %d failures, locked %v; want 3, locked", stored.FailedSignIns, stored.Locked)
		}

		// A temporary lock that has lifted counts as unlocked: the count
		// starts again, and the lockouts in a row are remembered.
		lifts := t0.Add(30 * time.Minute)
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.LockUntil(ctx, tenant, bob.ID, &lifts) }); err != nil {
			t.Fatal(err)
		}
		var f admin.SignInFailure
		err := db.Update(ctx, func(tx admin.Tx) (err error) {
			f, err = tx.RecordSignInFailure(ctx, tenant, bob.ID, 3, t0.Add(10*time.Minute))
			return err
		})
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("a failure before the lock lifts: %v, want ErrNoRows", err)
		}
		err = db.Update(ctx, func(tx admin.Tx) (err error) {
			f, err = tx.RecordSignInFailure(ctx, tenant, bob.ID, 3, t0.Add(time.Hour))
			return err
		})
		if err != nil || f != (admin.SignInFailure{Failures: 1, Locked: false, Lockouts: 1}) {
			t.Errorf("a failure after the lock lifted: %+v, %v; want 1 failure, unlocked, 1 lockout before", f, err)
		}

		// A locked account records no success; a success resets everything.
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.RecordSignIn(ctx, tenant, u.ID, t0.Add(time.Hour)) }); !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("RecordSignIn of a locked account: %v, want ErrNoRows", err)
		}
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.LockUntil(ctx, tenant, u.ID, &lifts) }); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.RecordSignIn(ctx, tenant, u.ID, t0.Add(time.Hour)) }); err != nil {
			t.Fatal(err)
		}
		db.View(ctx, func(tx admin.Tx) (err error) { stored, err = tx.UserByID(ctx, tenant, u.ID); return err })
		if stored.FailedSignIns != 0 || stored.Locked || stored.LockedUntil != nil || stored.Lockouts != 0 || stored.LastSignInAt == nil || !stored.LastSignInAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("after RecordSignIn: %d failures, locked %v until %v, %d lockouts, last sign-in %v", stored.FailedSignIns, stored.Locked, stored.LockedUntil, stored.Lockouts, stored.LastSignInAt)
		}
	})
}

func TestUniqueKeysAreMappedAndScopedToTheTenant(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		acme := MustTenant(t, db, "acme", 0)
		globex := MustTenant(t, db, "globex", 0)
		alice := MustUser(t, db, acme, "alice")

		insert := func(u admin.User) error {
			return db.Update(ctx, func(tx admin.Tx) error { return tx.InsertUser(ctx, &u) })
		}
		dupName := *alice
		dupName.ID, dupName.Username, dupName.Email = "u-2", "ALICE", "other@example.com"
		err := insert(dupName)
		var ue *admin.UniqueError
		if !errors.Is(err, admin.ErrUniqueViolation) || !errors.As(err, &ue) || !strings.Contains(ue.Constraint, "username") {
			t.Errorf("duplicate username: %v, want a UniqueError naming the username key", err)
		}
		dupMail := *alice
		dupMail.ID, dupMail.Username, dupMail.Email = "u-3", "alice2", "Alice@Example.com"
		err = insert(dupMail)
		if !errors.As(err, &ue) || !strings.Contains(ue.Constraint, "email") {
			t.Errorf("duplicate e-mail: %v, want a UniqueError naming the e-mail key", err)
		}
		elsewhere := *alice
		elsewhere.TenantID = globex
		if err := insert(elsewhere); err != nil {
			t.Errorf("the same user in another tenant: %v", err)
		}
		slug := admin.Tenant{ID: "t-x", Slug: "acme", Name: "x", Settings: admin.DefaultTenantSettings(), CreatedAt: t0, UpdatedAt: t0}
		err = db.Update(ctx, func(tx admin.Tx) error { return tx.InsertTenant(ctx, &slug) })
		if !errors.Is(err, admin.ErrUniqueViolation) {
			t.Errorf("duplicate slug: %v, want ErrUniqueViolation", err)
		}

		// Another tenant's row is ErrNoRows, for reads and writes alike.
		err = db.View(ctx, func(tx admin.Tx) error { _, err := tx.UserByID(ctx, "t-nowhere", alice.ID); return err })
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("UserByID in another tenant: %v, want ErrNoRows", err)
		}
		err = db.View(ctx, func(tx admin.Tx) error { _, err := tx.UserByLogin(ctx, "t-nowhere", "alice"); return err })
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("UserByLogin in another tenant: %v, want ErrNoRows", err)
		}
		moved := *alice
		moved.TenantID = "t-nowhere"
		err = db.Update(ctx, func(tx admin.Tx) error { return tx.UpdateUser(ctx, &moved) })
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("UpdateUser in another tenant: %v, want ErrNoRows", err)
		}
		err = db.Update(ctx, func(tx admin.Tx) error { return tx.DeleteUser(ctx, "t-nowhere", alice.ID) })
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("DeleteUser in another tenant: %v, want ErrNoRows", err)
		}
	})
}

func TestUserRoundTripsAndDeletingCascadesToSessions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tenant := MustTenant(t, db, "acme", 0)
		exp, seen := t0.Add(48*time.Hour+123*time.Microsecond), t0.Add(-time.Hour)
		u := &admin.User{
			ID: "u-full", TenantID: tenant, Username: "Full.Name", Email: "Full@Example.com", FirstName: "Fü", LastName: "Ll",
			Phone: "+1 555", Locale: "ja", Type: admin.TypeReadOnly, Auth: admin.AuthSSO, Status: admin.StatusRemoved,
			StatusBeforeRemoval: admin.StatusActive, ExpiresAt: &exp, Locked: true, FailedSignIns: 4, MustChangePassword: true,
			MFAEnforced: true, MFAEnrolled: true, DeactivatedByLicence: true, NotificationsDisabled: true,
			OtherRecipients: []string{"a@example.com", "b@example.com"}, PasswordHash: "$argon2id$x", LastSignInAt: &seen,
			RemovedAt: &seen, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute),
		}
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		var got *admin.User
		if err := db.View(ctx, func(tx admin.Tx) (err error) { got, err = tx.UserByLogin(ctx, tenant, "full@example.COM"); return err }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, u) {
			t.Errorf("read back\n%+v\nwant\n%+v", *got, *u)
		}
		removed := 0
		db.View(ctx, func(tx admin.Tx) error {
			list, err := tx.RemovedBefore(ctx, t0, 10)
			removed = len(list)
			return err
		})
		if removed != 1 {
			t.Errorf("RemovedBefore(t0) found %d users, want 1", removed)
		}

		s := &admin.Session{ID: "s-1", TenantID: tenant, UserID: u.ID, TokenHash: admin.HashToken("tok"), CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.InsertSession(ctx, s) }); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(ctx, func(tx admin.Tx) error { return tx.DeleteUser(ctx, tenant, u.ID) }); err != nil {
			t.Fatal(err)
		}
		err := db.Read(ctx, func(tx admin.Tx) error {
			_, _, _, err := tx.SessionByTokenHash(ctx, admin.HashToken("tok"))
			return err
		})
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("the session of a deleted user: %v, want it gone (ErrNoRows)", err)
		}
	})
}

func TestDeleteUserSessionsKeepsTheOneExcepted(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tenant := MustTenant(t, db, "acme", 0)
		u := MustUser(t, db, tenant, "alice")
		other := MustUser(t, db, tenant, "bob")
		for i, owner := range []string{u.ID, u.ID, u.ID, other.ID} {
			s := &admin.Session{ID: fmt.Sprintf("s-%d", i), TenantID: tenant, UserID: owner, TokenHash: admin.HashToken(fmt.Sprint(i)), CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if err := db.Update(ctx, func(tx admin.Tx) error { return tx.InsertSession(ctx, s) }); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.Update(ctx, func(tx admin.Tx) (err error) { n, err = tx.DeleteUserSessions(ctx, tenant, u.ID, "s-1"); return err }); err != nil || n != 2 {
			t.Fatalf("DeleteUserSessions = %d, %v; want 2", n, err)
		}
		var left []*admin.Session
		db.View(ctx, func(tx admin.Tx) (err error) { left, err = tx.ListUserSessions(ctx, tenant, u.ID); return err })
		if len(left) != 1 || left[0].ID != "s-1" {
			t.Errorf("sessions left: %v, want s-1", left)
		}
		db.View(ctx, func(tx admin.Tx) (err error) { left, err = tx.ListUserSessions(ctx, tenant, other.ID); return err })
		if len(left) != 1 {
			t.Errorf("bob's sessions: %d, want his one untouched", len(left))
		}
		err := db.Update(ctx, func(tx admin.Tx) error { return tx.DeleteSession(ctx, tenant, u.ID, "s-3") })
		if !errors.Is(err, admin.ErrNoRows) {
			t.Errorf("DeleteSession of bob's session as alice: %v, want ErrNoRows", err)
		}
	})
}
