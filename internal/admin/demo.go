package admin

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
)

//go:embed catalogues/tracker.json
var trackerCatalogue []byte

// TrackerCatalogue is the example catalogue of a requirements, test and
// defect tracker: its permissions and the predefined roles of seed 004
// (Project Administrator and Project Assignment locked).
func TrackerCatalogue() *Catalogue {
	c, err := ParseCatalogue(bytes.NewReader(trackerCatalogue))
	if err != nil {
		panic("the embedded tracker catalogue: " + err.Error())
	}
	return c
}

// DemoSlug is the tenant SeedDemo creates.
const DemoSlug = "demo"

// DemoPassword is the initial password of the demo's users; each must
// choose their own at first sign-in.
const DemoPassword = "demo-passphrase-2026"

// SeedDemo creates, once, a demo tenant in a tracker's shape: users of each
// type, two groups, projects with nested folders, a library and a job, and
// grants that show teams, inheritance, read-only access and "access all".
// It needs the tracker catalogue installed (Config.Catalogue). It returns
// false when the tenant exists already.
func (s *Service) SeedDemo(ctx context.Context) (bool, error) {
	var staff *User
	err := s.store.View(ctx, func(tx Tx) error {
		if _, err := tx.TenantBySlug(ctx, DemoSlug); err == nil {
			return errDemoExists
		} else if !errors.Is(err, ErrNoRows) {
			return err
		}
		var err error
		staff, err = tx.UserByLogin(ctx, PlatformTenantID, "admin")
		return err
	})
	if errors.Is(err, errDemoExists) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ctx = WithActor(ctx, &Actor{UserID: staff.ID, TenantID: PlatformTenantID, Username: staff.Username, Type: staff.Type})
	if _, err := s.CreateTenant(ctx, NewTenant{Slug: DemoSlug, Name: "Demo Tracker Inc."}); err != nil {
		return false, err
	}
	users := map[string]string{}
	for _, u := range []struct {
		name, first, last string
		typ               UserType
	}{
		{"alice", "Alice", "Admin", TypeAdmin}, {"bob", "Bob", "Lead", TypeStandard}, {"carol", "Carol", "Analyst", TypeStandard},
		{"dave", "Dave", "Analyst", TypeStandard}, {"erin", "Erin", "Tester", TypeStandard}, {"frank", "Frank", "Auditor", TypeReadOnly},
	} {
		created, err := s.CreateUser(ctx, DemoSlug, NewUser{Username: u.name, Email: u.name + "@demo.example", FirstName: u.first,
			LastName: u.last, Type: u.typ, Password: DemoPassword})
		if err != nil {
			return false, fmt.Errorf("demo user %s: %w", u.name, err)
		}
		users[u.name] = created.ID
	}
	groups := map[string]string{}
	for name, members := range map[string][]string{"Requirements team": {"carol", "dave"}, "Test team": {"erin"}} {
		g, err := s.CreateGroup(ctx, DemoSlug, NewGroup{Name: name})
		if err != nil {
			return false, err
		}
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = users[m]
		}
		if _, err := s.AddMembers(ctx, DemoSlug, g.ID, ids); err != nil {
			return false, err
		}
		groups[name] = g.ID
	}
	for _, r := range []NewResource{
		{Type: TypeProject, Key: "APOLLO", Name: "Apollo"},
		{Type: TypeProject, Key: "GEMINI", Name: "Gemini"},
		{Type: TypeFolder, Key: "APOLLO-SPECS", Name: "Specifications", Parent: "project:APOLLO"},
		{Type: TypeFolder, Key: "APOLLO-SPECS-DRAFTS", Name: "Drafts", Parent: "folder:APOLLO-SPECS"},
		{Type: TypeFolder, Key: "APOLLO-TESTS", Name: "Test plans", Parent: "project:APOLLO"},
		{Type: "library", Key: "SHARED", Name: "Shared library"},
		{Type: "job", Key: "NIGHTLY", Name: "Nightly run"},
	} {
		if _, err := s.CreateResource(ctx, DemoSlug, r); err != nil {
			return false, fmt.Errorf("demo resource %s:%s: %w", r.Type, r.Key, err)
		}
	}
	for _, g := range []NewGrant{
		{SubjectType: SubjectUser, SubjectID: users["bob"], Role: "project-administrator", Resource: "project:APOLLO"},
		{SubjectType: SubjectGroup, SubjectID: groups["Requirements team"], Role: "project-user-rm", Resource: "project:APOLLO"},
		{SubjectType: SubjectGroup, SubjectID: groups["Test team"], Role: "project-user-tm", Resource: "project:GEMINI"},
		{SubjectType: SubjectUser, SubjectID: users["erin"], Role: "project-user-tm", Resource: "folder:APOLLO-TESTS"},
		{SubjectType: SubjectUser, SubjectID: users["dave"], Role: "project-user-rm-tm", Resource: "project:GEMINI", Access: AccessReadOnly},
		{SubjectType: SubjectUser, SubjectID: users["frank"], Role: "project-user-view-only", Resource: "collection:project"},
		{SubjectType: SubjectUser, SubjectID: users["frank"], Role: RoleAuditor, Resource: "tenant:" + DemoSlug},
		{SubjectType: SubjectUser, SubjectID: users["alice"], Role: "project-administrator", Resource: "tenant:" + DemoSlug},
		{SubjectType: SubjectGroup, SubjectID: groups["Test team"], Role: "project-user-view-only", Resource: "collection:library"},
	} {
		if _, err := s.CreateGrant(ctx, DemoSlug, g); err != nil {
			return false, fmt.Errorf("demo grant of %s on %s: %w", g.Role, g.Resource, err)
		}
	}
	return true, nil
}

var errDemoExists = errors.New("the demo tenant exists")
