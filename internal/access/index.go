package access

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Index is one tenant's authorization state in memory. Check, Effective and
// WhoHolds may run concurrently with each other and with Apply.
type Index struct {
	mu      sync.RWMutex
	version int64
	root    string

	permIdx   map[string]int32
	permNames []string
	permKinds []Kind

	userIdx map[string]int32
	users   []user

	groupIdx map[string]int32
	groupIDs []string

	roleIdx map[string]int32
	roles   []role

	nodeIdx map[string]int32
	nodes   []node

	grantIdx map[string]int32
	grants   []grant
	free     []int32 // slots of removed grants
}

type user struct {
	id     string
	state  UserState
	groups []int32 // sorted
	direct []int32 // the user's own grants
	live   bool
}

type role struct {
	id, name string
	perms    []uint64 // bit p set: the role has permission p
	live     bool
}

type node struct {
	ref    string
	parent int32 // -1 for the root
	live   bool
	users  []subjectGrant // sorted by subject, then grant
	groups []subjectGrant
}

type subjectGrant struct{ subject, grant int32 }

type grant struct {
	id       string
	group    bool
	subject  int32
	role     int32
	node     int32
	readOnly bool
	live     bool
}

// New returns an empty index whose root is the tenant resource rootRef
// ("tenant:<slug>").
func New(rootRef string) *Index {
	ix := &Index{
		root:    rootRef,
		permIdx: map[string]int32{}, userIdx: map[string]int32{}, groupIdx: map[string]int32{},
		roleIdx: map[string]int32{}, nodeIdx: map[string]int32{}, grantIdx: map[string]int32{},
	}
	ix.nodeIdx[rootRef] = 0
	ix.nodes = append(ix.nodes, node{ref: rootRef, parent: -1, live: true})
	return ix
}

// Root is the reference of the tenant resource.
func (ix *Index) Root() string { return ix.root }

// Version is the change counter the index has applied up to.
func (ix *Index) Version() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.version
}

// Check decides whether user holds perm on resource at now (Unix
// microseconds). It does no I/O and does not allocate.
func (ix *Index) Check(userID, perm, resource string, now int64) Decision {
	ix.mu.RLock()
	d := ix.check(userID, perm, resource, now)
	ix.mu.RUnlock()
	return d
}

// CheckNow is Check at the current time.
func (ix *Index) CheckNow(userID, perm, resource string) Decision {
	return ix.Check(userID, perm, resource, time.Now().UnixMicro())
}

func (ix *Index) check(userID, perm, resource string, now int64) Decision {
	ui, ok := ix.userIdx[userID]
	if !ok || !ix.users[ui].live {
		return Decision{Denial: UnknownUser}
	}
	u := &ix.users[ui]
	if u.state.out(now) {
		return Decision{Denial: CannotSignIn}
	}
	p, ok := ix.permIdx[perm]
	if !ok {
		return Decision{Denial: UnknownPermission}
	}
	write := ix.permKinds[p] == KindWrite
	if write && u.state.Type == ReadOnly {
		return Decision{Denial: ReadOnlyUser}
	}
	n, ok := ix.node(resource)
	if !ok {
		return Decision{Denial: UnknownResource}
	}
	if u.state.Type == Admin && strings.HasPrefix(perm, RosterPrefix) {
		return Decision{Allowed: true, Reason: Reason{Rule: RuleAdminType}}
	}
	// A user's own grants are few: test them at each node rather than
	// search the node's (the root's may be many).
	few := len(u.direct) <= 8
	for ; n >= 0; n = ix.nodes[n].parent {
		nd := &ix.nodes[n]
		if few {
			for _, gi := range u.direct {
				if ix.grants[gi].node == n && ix.gives(gi, p, write) {
					return Decision{Allowed: true, Reason: ix.reason(gi, "")}
				}
			}
		} else if len(nd.users) > 0 {
			if g, gi := ix.matchUser(nd.users, ui, p, write); g >= 0 {
				return Decision{Allowed: true, Reason: ix.reason(gi, "")}
			}
		}
		if len(nd.groups) > 0 && len(u.groups) > 0 {
			if gi, grp := ix.matchGroups(nd.groups, u.groups, p, write); gi >= 0 {
				return Decision{Allowed: true, Reason: ix.reason(gi, ix.groupIDs[grp])}
			}
		}
	}
	return Decision{Denial: NoGrant}
}

// node finds a live resource. A collection the index has not met yet is
// empty, but it exists: it answers as the root does.
func (ix *Index) node(resource string) (int32, bool) {
	n, ok := ix.nodeIdx[resource]
	if ok {
		return n, ix.nodes[n].live
	}
	if strings.HasPrefix(resource, "collection:") && len(resource) > len("collection:") {
		return 0, true
	}
	return 0, false
}

func (ix *Index) reason(gi int32, groupID string) Reason {
	g := &ix.grants[gi]
	r := &ix.roles[g.role]
	return Reason{Rule: RuleGrant, GrantID: g.id, RoleID: r.id, RoleName: r.name, Resource: ix.nodes[g.node].ref, GroupID: groupID}
}

// gives reports whether grant gi gives permission p.
func (ix *Index) gives(gi int32, p int32, write bool) bool {
	g := &ix.grants[gi]
	if write && g.readOnly {
		return false
	}
	perms := ix.roles[g.role].perms
	w := int(p >> 6)
	return w < len(perms) && perms[w]&(1<<(uint(p)&63)) != 0
}

// search returns the first position in list whose subject is >= s.
func search(list []subjectGrant, s int32) int {
	lo, hi := 0, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if list[m].subject < s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// matchUser finds a grant of subject ui in list that gives p.
func (ix *Index) matchUser(list []subjectGrant, ui, p int32, write bool) (int, int32) {
	for i := search(list, ui); i < len(list) && list[i].subject == ui; i++ {
		if ix.gives(list[i].grant, p, write) {
			return i, list[i].grant
		}
	}
	return -1, -1
}

// matchGroups finds a grant in list to one of groups (sorted) that gives
// p, walking the shorter list and searching the longer.
func (ix *Index) matchGroups(list []subjectGrant, groups []int32, p int32, write bool) (int32, int32) {
	if len(list) <= len(groups) {
		for _, sg := range list {
			if containsSorted(groups, sg.subject) && ix.gives(sg.grant, p, write) {
				return sg.grant, sg.subject
			}
		}
		return -1, -1
	}
	for _, gr := range groups {
		if _, gi := ix.matchUser(list, gr, p, write); gi >= 0 {
			return gi, gr
		}
	}
	return -1, -1
}

func containsSorted(list []int32, v int32) bool {
	lo, hi := 0, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if list[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(list) && list[lo] == v
}

// Path lists the references from the root down to resource, or nil for an
// unknown resource.
func (ix *Index) Path(resource string) []string {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	n, ok := ix.node(resource)
	if !ok {
		return nil
	}
	var out []string
	if ix.nodes[n].ref != resource {
		out = append(out, resource) // a collection with nothing in it yet
	}
	for ; n >= 0; n = ix.nodes[n].parent {
		out = append(out, ix.nodes[n].ref)
	}
	slices.Reverse(out)
	return out
}

// Effective lists every permission user holds on resource at now, in name
// order, each with one reason. Nil when the user or resource is unknown or
// the user cannot sign in.
func (ix *Index) Effective(userID, resource string, now int64) []Held {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ui, ok := ix.userIdx[userID]
	if !ok || !ix.users[ui].live {
		return nil
	}
	u := &ix.users[ui]
	n, ok := ix.node(resource)
	if !ok || u.state.out(now) {
		return nil
	}
	held := map[int32]Reason{}
	if u.state.Type == Admin {
		for p, name := range ix.permNames {
			if strings.HasPrefix(name, RosterPrefix) {
				held[int32(p)] = Reason{Rule: RuleAdminType}
			}
		}
	}
	add := func(gi int32, groupID string) {
		g := &ix.grants[gi]
		for w, bits := range ix.roles[g.role].perms {
			for b := 0; bits != 0 && b < 64; b++ {
				if bits&(1<<uint(b)) == 0 {
					continue
				}
				bits &^= 1 << uint(b)
				p := int32(w*64 + b)
				write := ix.permKinds[p] == KindWrite
				if write && (g.readOnly || u.state.Type == ReadOnly) {
					continue
				}
				if _, ok := held[p]; !ok {
					held[p] = ix.reason(gi, groupID)
				}
			}
		}
	}
	for ; n >= 0; n = ix.nodes[n].parent {
		nd := &ix.nodes[n]
		for i := search(nd.users, ui); i < len(nd.users) && nd.users[i].subject == ui; i++ {
			add(nd.users[i].grant, "")
		}
		for _, sg := range nd.groups {
			if containsSorted(u.groups, sg.subject) {
				add(sg.grant, ix.groupIDs[sg.subject])
			}
		}
	}
	out := make([]Held, 0, len(held))
	for p, r := range held {
		out = append(out, Held{Permission: ix.permNames[p], Reason: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Permission < out[j].Permission })
	return out
}

// WhoHolds lists the users who hold perm on resource at now, each with one
// reason, in user id order, at most limit of them (0: no limit).
func (ix *Index) WhoHolds(perm, resource string, now int64, limit int) []Holder {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	p, ok := ix.permIdx[perm]
	n, ok2 := ix.node(resource)
	if !ok || !ok2 {
		return nil
	}
	write := ix.permKinds[p] == KindWrite
	direct := map[int32]Reason{}
	viaGroup := map[int32]Reason{}
	for ; n >= 0; n = ix.nodes[n].parent {
		nd := &ix.nodes[n]
		for _, sg := range nd.users {
			if _, ok := direct[sg.subject]; !ok && ix.gives(sg.grant, p, write) {
				direct[sg.subject] = ix.reason(sg.grant, "")
			}
		}
		for _, sg := range nd.groups {
			if _, ok := viaGroup[sg.subject]; !ok && ix.gives(sg.grant, p, write) {
				viaGroup[sg.subject] = ix.reason(sg.grant, ix.groupIDs[sg.subject])
			}
		}
	}
	admins := strings.HasPrefix(perm, RosterPrefix)
	var out []Holder
	for ui := range ix.users {
		u := &ix.users[ui]
		if !u.live || u.state.out(now) || (write && u.state.Type == ReadOnly) {
			continue
		}
		if admins && u.state.Type == Admin {
			out = append(out, Holder{UserID: u.id, Reason: Reason{Rule: RuleAdminType}})
			continue
		}
		if r, ok := direct[int32(ui)]; ok {
			out = append(out, Holder{UserID: u.id, Reason: r})
			continue
		}
		if len(viaGroup) == 0 {
			continue
		}
		for _, g := range u.groups {
			if r, ok := viaGroup[g]; ok {
				out = append(out, Holder{UserID: u.id, Reason: r})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
