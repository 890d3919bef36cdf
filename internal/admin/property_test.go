package admin_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestIndexAgreesWithTheReferenceEvaluator builds random trees, groups,
// roles and grants through the service, changes them at random, and
// compares every answer of the in-memory index (kept fresh change by change,
// and loaded afresh by a second service) with the plain SQL evaluator.
func TestIndexAgreesWithTheReferenceEvaluator(t *testing.T) {
	t.Parallel()
	for _, engine := range sqltest.Engines {
		t.Run(engine, func(t *testing.T) {
			for seed := uint64(1); seed <= 2; seed++ {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { propertyRound(t, sqltest.Open(t, engine), seed) })
			}
		})
	}
}

func propertyRound(t *testing.T, db *sqlstore.DB, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	f := MustFixture(t, db)
	tn := f.MustTenant(f.slug)
	// Load the index while the tenant is empty: everything below reaches
	// it change by change.
	_, err := f.svc.Check(f.staff, f.slug, []admin.CheckRequest{{UserID: "nobody", Permission: "none", Resource: "tenant:" + f.slug}})
	wantOK(t, "first Check", err)
	perms := []string{"roster.users.read", "roster.audit.read", "roster.groups.write"}
	for i := range 5 {
		kind := admin.KindRead
		if i%2 == 1 {
			kind = admin.KindWrite
		}
		name := fmt.Sprintf("p%d.perm%d", seed, i)
		if _, err := f.svc.RegisterPermission(f.staff, name, kind, ""); err != nil {
			t.Fatal(err)
		}
		perms = append(perms, name)
	}
	pick := func(list []string) string { return list[rng.IntN(len(list))] }

	var roles []string
	for i := range 5 {
		var ps []string
		for _, p := range perms {
			if rng.IntN(3) == 0 {
				ps = append(ps, p)
			}
		}
		r, err := f.svc.CreateRole(f.staff, f.slug, admin.NewRole{Name: fmt.Sprint("role", i), Permissions: ps})
		wantOK(t, "CreateRole", err)
		roles = append(roles, r.ID)
	}
	roles = append(roles, admin.RoleAuditor)

	resources := []string{"tenant:" + f.slug, "collection:project", "collection:job"}
	var parents []string
	for i := range 30 {
		var in admin.NewResource
		switch {
		case i < 4:
			in = admin.NewResource{Type: "project", Key: fmt.Sprint("P", i)}
		case i < 7:
			in = admin.NewResource{Type: "job", Key: fmt.Sprint("J", i)}
		default:
			in = admin.NewResource{Type: "folder", Key: fmt.Sprint("F", i), Parent: pick(parents)}
		}
		_, err := f.svc.CreateResource(f.staff, f.slug, in)
		wantOK(t, "CreateResource", err)
		ref := in.Type + ":" + in.Key
		resources = append(resources, ref)
		if in.Type != "job" {
			parents = append(parents, ref)
		}
	}

	types := []admin.UserType{admin.TypeStandard, admin.TypeStandard, admin.TypeReadOnly, admin.TypeAdmin}
	var users []string
	for i := range 16 {
		in := admin.NewUser{Username: fmt.Sprint("u", i), Type: types[rng.IntN(len(types))]}
		if i%7 == 3 {
			in.ExpiresInDays = ptr(1)
		}
		u := f.MustCreateUser(f.staff, f.slug, in)
		users = append(users, u.ID)
	}
	var groups []string
	for i := range 5 {
		g := f.MustGroup(fmt.Sprint("g", i))
		groups = append(groups, g.ID)
		var members []string
		for _, u := range users {
			if rng.IntN(4) == 0 {
				members = append(members, u)
			}
		}
		if len(members) > 0 {
			_, err := f.svc.AddMembers(f.staff, f.slug, g.ID, members)
			wantOK(t, "AddMembers", err)
		}
	}
	var grants []string
	for range 45 {
		in := admin.NewGrant{SubjectType: admin.SubjectUser, SubjectID: pick(users), Role: pick(roles), Resource: pick(resources)}
		if rng.IntN(2) == 0 {
			in.SubjectType, in.SubjectID = admin.SubjectGroup, pick(groups)
		}
		if rng.IntN(3) == 0 {
			in.Access = admin.AccessReadOnly
		}
		g, err := f.svc.CreateGrant(f.staff, f.slug, in)
		if err == nil {
			grants = append(grants, g.ID)
		} else if c := admin.CodeOf(err); c != "grant_exists" && c != "team_conflict" {
			t.Fatalf("CreateGrant: %v", err)
		}
	}
	_, err = f.svc.DeactivateUser(f.staff, f.slug, users[0])
	wantOK(t, "DeactivateUser", err)

	compare := func(stage string, svc *admin.Service, n int) {
		t.Helper()
		now := f.clock.Now()
		var reqs []admin.CheckRequest
		for range n {
			reqs = append(reqs, admin.CheckRequest{UserID: pick(users), Permission: pick(perms), Resource: pick(resources)})
		}
		for len(reqs) > 0 {
			batch := reqs[:min(len(reqs), admin.MaxChecks)]
			reqs = reqs[len(batch):]
			got, err := svc.Check(f.staff, f.slug, batch)
			wantOK(t, "Check", err)
			for i, r := range batch {
				want, err := db.ReferenceCheck(context.Background(), tn.ID, r.UserID, r.Permission, r.Resource, now)
				wantOK(t, "ReferenceCheck", err)
				if got[i].Allowed != want {
					t.Fatalf("%s: check(%s, %s, %s) = %+v, the reference says %v", stage, r.UserID, r.Permission, r.Resource, got[i], want)
				}
			}
		}
	}
	compare("built", f.svc, 1000)

	// Change things at random; the index follows change by change.
	for i := range 25 {
		switch rng.IntN(6) {
		case 0:
			if len(grants) > 0 {
				k := rng.IntN(len(grants))
				wantOK(t, "DeleteGrant", f.svc.DeleteGrant(f.staff, f.slug, grants[k]))
				grants = append(grants[:k], grants[k+1:]...)
			}
		case 1:
			_, err := f.svc.RemoveMembers(f.staff, f.slug, pick(groups), []string{pick(users)})
			wantOK(t, "RemoveMembers", err)
		case 2:
			_, err := f.svc.AddMembers(f.staff, f.slug, pick(groups), []string{pick(users)})
			if err != nil && admin.CodeOf(err) != "team_conflict" {
				t.Fatalf("AddMembers: %v", err)
			}
		case 3:
			from, to := pick(resources[10:]), pick(parents)
			typ, key, _ := cutRef(from)
			_, err := f.svc.UpdateResource(f.staff, f.slug, typ, key, admin.ResourcePatch{Parent: &to})
			if err != nil && admin.CodeOf(err) != "cycle" && admin.CodeOf(err) != "not_found" && admin.CodeOf(err) != "unknown_parent" {
				t.Fatalf("move %s under %s: %v", from, to, err)
			}
		case 4:
			var ps []string
			for _, p := range perms {
				if rng.IntN(3) == 0 {
					ps = append(ps, p)
				}
			}
			_, err := f.svc.UpdateRole(f.staff, f.slug, pick(roles[:5]), admin.RolePatch{Permissions: &ps})
			wantOK(t, "UpdateRole", err)
		case 5:
			if i%3 == 0 {
				typ, key, _ := cutRef(pick(resources[10:]))
				if err := f.svc.DeleteResource(f.staff, f.slug, typ, key); err != nil && admin.CodeOf(err) != "not_found" {
					t.Fatalf("DeleteResource: %v", err)
				}
			} else {
				_, err := f.svc.UpdateUser(f.staff, f.slug, pick(users), admin.UserPatch{Type: &types[rng.IntN(len(types))]})
				if err != nil && admin.CodeOf(err) != "last_admin" {
					t.Fatalf("UpdateUser: %v", err)
				}
			}
		}
	}
	compare("changed", f.svc, 1000)

	// A second service on the same database loads the index afresh; past
	// the expiry of some accounts, both still agree with the reference.
	f.clock.Advance(48 * time.Hour)
	other := admin.New(admin.Config{Store: db, Clock: f.clock, Hasher: cheapHasher()})
	compare("loaded afresh, later", other, 500)
	compare("kept fresh, later", f.svc, 500)
}

func cutRef(ref string) (string, string, bool) {
	for i := range ref {
		if ref[i] == ':' {
			return ref[:i], ref[i+1:], true
		}
	}
	return ref, "", false
}
