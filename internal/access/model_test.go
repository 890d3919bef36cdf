package access_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"roster/internal/access"
)

// model is the plainest statement of the rules, to hold the index to.
type model struct {
	root   string
	kinds  map[string]access.Kind
	roles  map[string]map[string]bool
	users  map[string]modelUser
	parent map[string]string // resource → parent; present: the resource exists
	grants map[string]access.Grant
}

type modelUser struct {
	st     access.UserState
	groups map[string]bool
}

func (md *model) check(user, perm, res string, now int64) access.Denial {
	u, ok := md.users[user]
	if !ok {
		return access.UnknownUser
	}
	if u.st.Barred || (u.st.Expires != 0 && now >= u.st.Expires) || now < u.st.LockedUntil {
		return access.CannotSignIn
	}
	kind, ok := md.kinds[perm]
	if !ok {
		return access.UnknownPermission
	}
	if kind == access.KindWrite && u.st.Type == access.ReadOnly {
		return access.ReadOnlyUser
	}
	if _, ok := md.parent[res]; !ok && res != md.root {
		return access.UnknownResource
	}
	if u.st.Type == access.Admin && access.IsRoster(perm) {
		return access.Allowed
	}
	for r := res; ; r = md.parent[r] {
		for _, g := range md.grants {
			if g.Resource != r || !md.roles[g.RoleID][perm] || (kind == access.KindWrite && g.ReadOnly) {
				continue
			}
			if g.SubjectGroup && u.groups[g.SubjectID] || !g.SubjectGroup && g.SubjectID == user {
				return access.Allowed
			}
		}
		if r == md.root {
			return access.NoGrant
		}
	}
}

// TestIndexAgreesWithTheModel drives the index and the model through the
// same random changes, with UUID and other ids, users in many groups (past
// what a user's entry holds inline), group numbers past 65,535, expiries,
// locks and many direct grants, and compares every answer.
func TestIndexAgreesWithTheModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const now = int64(1_700_000_000_000_000)
	ix := access.New("tenant:t")
	md := &model{root: "tenant:t", kinds: map[string]access.Kind{}, roles: map[string]map[string]bool{},
		users: map[string]modelUser{}, parent: map[string]string{"collection:project": "tenant:t"}, grants: map[string]access.Grant{}}
	perms := []string{"roster.users.read", "a.read", "a.write", "b.read", "b.write"}
	var groups []string
	ix.Apply(func(m *access.Mutator) {
		for i, p := range perms {
			kind := access.KindRead
			if i%2 == 0 && i > 0 {
				kind = access.KindWrite
			}
			m.SetPermission(p, kind)
			md.kinds[p] = kind
		}
		for r := range 4 {
			set := map[string]bool{}
			var list []string
			for _, p := range perms {
				if rng.IntN(2) == 0 {
					set[p] = true
					list = append(list, p)
				}
			}
			m.SetRole(fmt.Sprint("r", r), fmt.Sprint("R", r), list)
			md.roles[fmt.Sprint("r", r)] = set
		}
		// Enough groups that some are numbered past 65,535.
		var many []string
		for g := range 66_000 {
			many = append(many, fmt.Sprint("g", g))
		}
		m.SetUser("00000000-0000-0000-0000-0000000000ff", access.UserState{}, many)
		md.users["00000000-0000-0000-0000-0000000000ff"] = modelUser{groups: set(many)}
		groups = many
	})
	resources := []string{"tenant:t", "collection:project"}
	var users []string
	for i := range 40 {
		if i%4 == 0 {
			users = append(users, fmt.Sprint("user", i)) // not a UUID
		} else if i%4 == 1 {
			users = append(users, fmt.Sprintf("%08X-0000-7000-8000-%012d", i, i)) // upper case: not canonical
		} else {
			users = append(users, fmt.Sprintf("%08x-0000-7000-8000-%012d", i, i))
		}
	}
	users = append(users, "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-0000000000ff")
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	pickGroup := func() string {
		if rng.IntN(3) == 0 {
			return groups[65_530+rng.IntN(400)]
		}
		return groups[rng.IntN(30)]
	}
	grantN := 0
	for round := range 60 {
		ix.Apply(func(m *access.Mutator) {
			for range 20 {
				switch rng.IntN(9) {
				case 0, 1:
					u := pick(users)
					st := access.UserState{Type: access.UserType(rng.IntN(3))}
					switch rng.IntN(8) {
					case 0:
						st.Barred = true
					case 1:
						st.Expires = now + int64(rng.IntN(3)-1)
					case 2:
						st.LockedUntil = now + int64(rng.IntN(3)-1)
					}
					var gs []string
					for range rng.IntN(30) {
						gs = append(gs, pickGroup())
					}
					m.SetUser(u, st, gs)
					md.users[u] = modelUser{st: st, groups: set(gs)}
				case 2:
					u := pick(users)
					m.RemoveUser(u)
					delete(md.users, u)
				case 3:
					ref := fmt.Sprintf("folder:F%d", rng.IntN(30))
					parent := pick(resources)
					if ancestorOrSelf(md, ref, parent) {
						continue
					}
					m.SetResource(ref, parent)
					if _, ok := md.parent[ref]; !ok {
						resources = append(resources, ref)
					}
					md.parent[ref] = parent
				case 4, 5, 6:
					grantN++
					g := access.Grant{ID: fmt.Sprint("grant", grantN), RoleID: fmt.Sprint("r", rng.IntN(4)), Resource: pick(resources), ReadOnly: rng.IntN(3) == 0}
					if rng.IntN(2) == 0 {
						g.SubjectGroup, g.SubjectID = true, pickGroup()
					} else {
						g.SubjectID = pick(users)
					}
					if len(md.grants) > 0 && rng.IntN(4) == 0 { // replace one
						for id := range md.grants {
							g.ID = id
							break
						}
					}
					m.SetGrant(g)
					md.grants[g.ID] = g
				case 7:
					for id := range md.grants {
						m.RemoveGrant(id)
						delete(md.grants, id)
						break
					}
				case 8:
					u := pick(users)
					if _, ok := md.users[u]; ok {
						var gs []string
						for range rng.IntN(25) {
							gs = append(gs, pickGroup())
						}
						m.SetGroups(u, gs)
						mu := md.users[u]
						mu.groups = set(gs)
						md.users[u] = mu
					}
				}
			}
		})
		for range 300 {
			u, p, r := pick(users), pick(perms), pick(resources)
			want := md.check(u, p, r, now)
			d := ix.Check(u, p, r, now)
			if d.Denial != want || d.Allowed != (want == access.Allowed) {
				t.Fatalf("round %d: Check(%s, %s, %s) = %+v, the model says %v", round, u, p, r, d, want)
			}
			if d.Allowed && d.Reason.Rule == access.RuleGrant {
				g := md.grants[d.Reason.GrantID]
				if !md.roles[g.RoleID][p] || (g.SubjectGroup && (!md.users[u].groups[g.SubjectID] || d.Reason.GroupID != g.SubjectID)) ||
					(!g.SubjectGroup && g.SubjectID != u) || g.Resource != d.Reason.Resource || !ancestorOrSelf(md, g.Resource, r) {
					t.Fatalf("round %d: Check(%s, %s, %s) allowed by %+v, which is not a reason", round, u, p, r, d.Reason)
				}
			}
			held := ix.Effective(u, r, now)
			if has := slices.ContainsFunc(held, func(h access.Held) bool { return h.Permission == p }); has != (want == access.Allowed) {
				t.Fatalf("round %d: Effective(%s, %s) = %+v, the model says %s: %v", round, u, r, held, p, want)
			}
		}
		p, r := pick(perms), pick(resources)
		var want []string
		for u := range md.users {
			if md.check(u, p, r, now) == access.Allowed {
				want = append(want, u)
			}
		}
		slices.Sort(want)
		var got []string
		for _, h := range ix.WhoHolds(p, r, now, 0) {
			got = append(got, h.UserID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: WhoHolds(%s, %s) = %v, the model says %v", round, p, r, got, want)
		}
	}
	if st := ix.Stats(); st.Users != len(md.users) {
		t.Fatalf("Stats counts %d users, the model %d", st.Users, len(md.users))
	}
}

func set(list []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range list {
		out[s] = true
	}
	return out
}

// ancestorOrSelf reports whether a is res or above it in the model.
func ancestorOrSelf(md *model, a, res string) bool {
	for r := res; ; r = md.parent[r] {
		if r == a {
			return true
		}
		if r == md.root || r == "" {
			return false
		}
	}
}

// TestChecksRunWhileTheIndexChanges runs checks on several goroutines
// while batches add users (growing the user table), move groups and
// replace grants (moving overflow records and compacting the arena); run
// with -race.
func TestChecksRunWhileTheIndexChanges(t *testing.T) {
	ix := access.New("tenant:t")
	ix.Apply(func(m *access.Mutator) {
		m.SetPermission("a.read", access.KindRead)
		m.SetRole("r", "R", []string{"a.read"})
		m.SetResource("project:P", "")
		m.SetGrant(access.Grant{ID: "g", SubjectGroup: true, SubjectID: "team", RoleID: "r", Resource: "project:P"})
		m.SetUser("00000000-0000-7000-8000-000000000000", access.UserState{}, []string{"team"})
	})
	id := func(i int) string { return fmt.Sprintf("%08x-0000-7000-8000-000000000000", i) }
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if d := ix.Check(id(0), "a.read", "project:P", now); !d.Allowed {
					t.Errorf("user 0 lost their access: %+v", d)
					return
				}
				ix.Check(id(i%5000), "a.read", "project:P", now)
			}
		}()
	}
	for b := range 50 {
		ix.Apply(func(m *access.Mutator) {
			for i := b * 100; i < b*100+100; i++ {
				m.SetUser(id(i+1), access.UserState{}, []string{"team", fmt.Sprint("x", i%7)})
				for k := range 3 {
					m.SetGrant(access.Grant{ID: fmt.Sprint("d", i, "-", k), SubjectID: id(i + 1), RoleID: "r", Resource: "project:P"})
				}
			}
			for i := range b * 100 {
				m.RemoveGrant(fmt.Sprint("d", i, "-", b%3))
			}
		})
	}
	close(stop)
	wg.Wait()
	if st := ix.Stats(); st.Users != 5001 {
		t.Fatalf("%d users", st.Users)
	}
}

// TestUUIDsAreReadExactly: a canonical UUID and only that is a UUID key,
// and it reads back as the same string.
func TestUUIDsAreReadExactly(t *testing.T) {
	ix := access.New("tenant:t")
	ids := []string{"0123abcd-4567-89ef-0a1b-2c3d4e5f6789", "ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000"}
	others := []string{"0123ABCD-4567-89ef-0a1b-2c3d4e5f6789", "0123abcd-4567-89ef-0a1b-2c3d4e5f678g", "0123abcd+4567-89ef-0a1b-2c3d4e5f6789",
		"0123abcd-4567-89ef-0a1b-2c3d4e5f678", "0123abcd-4567-89ef-0a1b-2c3d4e5f67890", "0123abcd-4567-89ef-0a1b-2c3d4e5f678\\xff"[:36], "{0123abc-4567-89ef-0a1b-2c3d4e5f6789"}
	ix.Apply(func(m *access.Mutator) {
		m.SetPermission("roster.users.read", access.KindRead)
		for _, id := range append(ids, others...) {
			m.SetUser(id, access.UserState{Type: access.Admin}, nil)
		}
	})
	var want []string
	for _, id := range append(ids, others...) {
		if d := ix.Check(id, "roster.users.read", "tenant:t", now); !d.Allowed {
			t.Errorf("%q: %+v", id, d)
		}
		want = append(want, id)
	}
	slices.Sort(want)
	var got []string
	for _, h := range ix.WhoHolds("roster.users.read", "tenant:t", now, 0) {
		got = append(got, h.UserID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("WhoHolds gives %q, want %q", got, want)
	}
	if d := ix.Check("0123abcd-4567-89ef-0a1b-2c3d4e5f6788", "roster.users.read", "tenant:t", now); d.Denial != access.UnknownUser {
		t.Fatalf("a neighbouring UUID: %+v", d)
	}
}
