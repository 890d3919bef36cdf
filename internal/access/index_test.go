package access_test

import (
	"testing"

	"roster/internal/access"
)

const now = int64(1_700_000_000_000_000)

// tree builds: tenant:acme > collection:project > project:P1 > folder:F1 > folder:F2,
// with a reader and an editor role and a few users and groups.
func tree(tb testing.TB) *access.Index {
	tb.Helper()
	ix := access.New("tenant:acme")
	ix.Apply(func(m *access.Mutator) {
		m.SetPermission("defects.read", access.KindRead)
		m.SetPermission("defects.edit", access.KindWrite)
		m.SetPermission("roster.users.read", access.KindRead)
		m.SetRole("reader", "Reader", []string{"defects.read"})
		m.SetRole("editor", "Editor", []string{"defects.read", "defects.edit"})
		m.SetResource("project:P1", "")
		m.SetResource("folder:F2", "folder:F1") // child before parent
		m.SetResource("folder:F1", "project:P1")
		m.SetResource("project:P2", "")
		m.SetUser("ann", access.UserState{}, []string{"devs"})
		m.SetUser("bob", access.UserState{Type: access.ReadOnly}, []string{"devs"})
		m.SetUser("cat", access.UserState{Type: access.Admin}, nil)
		m.SetUser("dan", access.UserState{Barred: true}, []string{"devs"})
		m.SetUser("eve", access.UserState{Expires: now}, nil)
		m.SetGrant(access.Grant{ID: "g1", SubjectGroup: true, SubjectID: "devs", RoleID: "editor", Resource: "project:P1"})
		m.SetGrant(access.Grant{ID: "g2", SubjectID: "eve", RoleID: "editor", Resource: "tenant:acme"})
		m.SetGrant(access.Grant{ID: "g3", SubjectID: "cat", RoleID: "reader", Resource: "folder:F1", ReadOnly: true})
	})
	return ix
}

func TestCheckFollowsTheTreeAndTheCaps(t *testing.T) {
	ix := tree(t)
	for _, c := range []struct {
		user, perm, res string
		want            access.Denial
		grant, group    string
	}{
		{"ann", "defects.edit", "folder:F2", access.Allowed, "g1", "devs"},
		{"ann", "defects.edit", "project:P1", access.Allowed, "g1", "devs"},
		{"ann", "defects.edit", "project:P2", access.NoGrant, "", ""},
		{"ann", "defects.edit", "collection:project", access.NoGrant, "", ""},
		{"bob", "defects.read", "folder:F1", access.Allowed, "g1", "devs"},
		{"bob", "defects.edit", "folder:F1", access.ReadOnlyUser, "", ""},
		{"cat", "roster.users.read", "tenant:acme", access.Allowed, "", ""},
		{"cat", "defects.read", "folder:F2", access.Allowed, "g3", ""},
		{"cat", "defects.read", "project:P1", access.NoGrant, "", ""},
		{"dan", "defects.read", "project:P1", access.CannotSignIn, "", ""},
		{"eve", "defects.read", "project:P1", access.CannotSignIn, "", ""},
		{"zed", "defects.read", "project:P1", access.UnknownUser, "", ""},
		{"ann", "nope.read", "project:P1", access.UnknownPermission, "", ""},
		{"ann", "defects.read", "project:P9", access.UnknownResource, "", ""},
	} {
		d := ix.Check(c.user, c.perm, c.res, now)
		if d.Denial != c.want || d.Allowed != (c.want == access.Allowed) || d.Reason.GrantID != c.grant || d.Reason.GroupID != c.group {
			t.Errorf("Check(%s, %s, %s) = %+v, want %v by grant %q via %q", c.user, c.perm, c.res, d, c.want, c.grant, c.group)
		}
	}
	// Before her expiry, eve holds what her tenant-wide grant gives.
	if d := ix.Check("eve", "defects.edit", "folder:F2", now-1); !d.Allowed || d.Reason.Resource != "tenant:acme" {
		t.Errorf("eve before expiry: %+v", d)
	}
}

func TestChangesApplyAtOnce(t *testing.T) {
	ix := tree(t)
	ix.Apply(func(m *access.Mutator) {
		m.RemoveGrant("g1")
		m.SetResource("folder:F1", "project:P2") // move
		m.SetGrant(access.Grant{ID: "g4", SubjectID: "ann", RoleID: "reader", Resource: "project:P2"})
	})
	if d := ix.Check("ann", "defects.read", "folder:F2", now); !d.Allowed || d.Reason.GrantID != "g4" {
		t.Fatalf("after the move, ann reads F2 by g4: %+v", d)
	}
	if d := ix.Check("ann", "defects.edit", "folder:F2", now); d.Allowed {
		t.Fatalf("after removing g1, ann still edits: %+v", d)
	}
	ix.Apply(func(m *access.Mutator) { m.RemoveResource("folder:F1"); m.RemoveResource("folder:F2") })
	if d := ix.Check("ann", "defects.read", "folder:F2", now); d.Denial != access.UnknownResource {
		t.Fatalf("a removed folder: %+v", d)
	}
	if got := ix.Path("folder:F2"); got != nil {
		t.Fatalf("path of a removed folder %v", got)
	}
}

func TestEffectiveAndWhoHolds(t *testing.T) {
	ix := tree(t)
	held := ix.Effective("bob", "folder:F2", now)
	if len(held) != 1 || held[0].Permission != "defects.read" || held[0].Reason.GrantID != "g1" {
		t.Fatalf("bob's effective permissions on F2: %+v", held)
	}
	who := ix.WhoHolds("defects.edit", "folder:F1", now, 0)
	if len(who) != 1 || who[0].UserID != "ann" {
		t.Fatalf("who edits F1: %+v (bob is read-only, dan barred, eve expired)", who)
	}
	if got := ix.Path("folder:F2"); len(got) != 5 || got[0] != "tenant:acme" || got[4] != "folder:F2" {
		t.Fatalf("path %v", got)
	}
}

func TestCheckDoesNotAllocate(t *testing.T) {
	ix := tree(t)
	if n := testing.AllocsPerRun(1000, func() { ix.Check("ann", "defects.edit", "folder:F2", now) }); n != 0 {
		t.Fatalf("Check allocates %v times", n)
	}
}
