package admin_test

import (
	"context"
	"testing"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestDemoTenantShowsTheModel seeds the demo tenant with the tracker
// catalogue and checks the answers a newcomer would try first.
func TestDemoTenantShowsTheModel(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := admin.New(admin.Config{Store: db, Clock: newTestClock(), Hasher: cheapHasher(), Catalogue: admin.TrackerCatalogue()})
		_, err := svc.Bootstrap(ctx, staffPassword)
		wantOK(t, "Bootstrap", err)
		made, err := svc.SeedDemo(ctx)
		if err != nil || !made {
			t.Fatalf("SeedDemo: %v, %v", made, err)
		}
		if made, err := svc.SeedDemo(ctx); err != nil || made {
			t.Fatalf("a second SeedDemo: %v, %v; want nothing done", made, err)
		}
		res, err := svc.SignIn(ctx, admin.Credentials{Username: "admin", Password: staffPassword})
		wantOK(t, "SignIn", err)
		a, _, err := svc.Authenticate(ctx, res.Token)
		wantOK(t, "Authenticate", err)
		staff := admin.WithActor(ctx, a)

		id := map[string]string{}
		page, err := svc.SearchUsers(staff, admin.DemoSlug, admin.UserFilter{})
		wantOK(t, "SearchUsers", err)
		for _, u := range page.Items {
			id[u.Username] = u.ID
		}
		for _, c := range []struct {
			user, perm, res string
			want            bool
		}{
			{"erin", "tests.run", "folder:APOLLO-TESTS", true},                 // her own grant on the folder
			{"erin", "tests.run", "folder:APOLLO-SPECS", false},                // not on its sibling
			{"carol", "requirements.edit", "folder:APOLLO-SPECS-DRAFTS", true}, // her team's, inherited two levels down
			{"dave", "tests.edit", "project:GEMINI", false},                    // read-only access
			{"dave", "tests.read", "project:GEMINI", true},
			{"frank", "defects.read", "project:GEMINI", true},      // access to all projects
			{"frank", "defects.edit", "project:GEMINI", false},     // a read_only user
			{"bob", "roster.grants.write", "project:APOLLO", true}, // a project administrator
			{"bob", "roster.grants.write", "project:GEMINI", false},
		} {
			got, err := svc.Check(staff, admin.DemoSlug, []admin.CheckRequest{{UserID: id[c.user], Permission: c.perm, Resource: c.res}})
			wantOK(t, "Check", err)
			if got[0].Allowed != c.want {
				t.Errorf("%s %s on %s: %+v, want %v", c.user, c.perm, c.res, got[0], c.want)
			}
		}
		roles, err := svc.ListRoles(staff, admin.DemoSlug)
		wantOK(t, "ListRoles", err)
		locked := 0
		for _, r := range roles {
			if r.Locked {
				locked++
			}
		}
		if len(roles) != 8 || locked != 4 {
			t.Fatalf("%d roles, %d locked; want Roster's 2 and the tracker's 6, 4 locked", len(roles), locked)
		}
	})
}
