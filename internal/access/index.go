package access

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Index is one tenant's authorization state in memory. Check, Effective and
// WhoHolds may run concurrently with each other and with Apply.
//
// The layout serves Check, which must answer in well under a microsecond
// at a million users without allocating: a user is found by the 128 bits
// of their UUID in an open-addressed table (users.go) that also gives the
// place of their record in arena; the record holds their state, their
// groups and their own grants (node, grant, role) side by side, so a check
// touches the user in one or two cache lines. The walk from the resource
// up to the root reads up, a compact array of parents and of the group
// grants placed on each node (with the role inline); the grant itself is
// read only to build the Reason of an allowed check.
type Index struct {
	mu      sync.RWMutex
	version int64
	root    string

	permIdx   map[string]int32
	permNames []string
	permKinds []Kind

	userTab userTable          // the users, by key (users.go)
	userIdx map[string]userKey // the keys of ids that are no UUID
	userStr map[userKey]string // and back
	chunks  [][]uint32         // the arena of the overflow records
	fill    int                // words used of the last chunk
	used    int                // words of the arena given to records
	garbage int                // words of the arena no record uses
	scratch []uint32
	recBuf  []uint32
	maps    *mappings // the arena and table, when mapped outside the heap

	groupIdx map[string]int32
	groupIDs []string

	roleIdx map[string]int32
	roles   []role

	nodeIdx  map[string]int32
	nodes    []node
	nodeRefs []string
	// up is, by node, the parent + 1 and upGroups: what the walk from a
	// resource to the root reads, 4 bytes a node, so that the whole tree's
	// links stay in the nearest cache.
	up []uint32

	grantIdx map[string]int32
	grants   []grant
	free     []int32 // slots of removed grants
}

type role struct {
	id, name string
	perms    []uint64 // bit p set: the role has permission p
	live     bool
}

type node struct {
	live   bool
	groups []groupGrant // sorted by group, then grant
}

// upGroups marks, in Index.up, a node with group grants on it.
const upGroups = 1 << 31

// parent is the parent of node n, -1 for the root.
func (ix *Index) parent(n int32) int32 { return int32(ix.up[n]&^upGroups) - 1 }

// groupGrant is a group's grant on a node.
type groupGrant struct {
	group, grant int32
	role         uint32 // roleRO
}

type grant struct {
	id       string
	group    bool
	subject  int32   // the group
	user     userKey // or the user
	role     int32
	node     int32
	readOnly bool
}

// New returns an empty index whose root is the tenant resource rootRef
// ("tenant:<slug>").
func New(rootRef string) *Index {
	ix := &Index{
		root:    rootRef,
		permIdx: map[string]int32{}, userIdx: map[string]userKey{}, userStr: map[userKey]string{}, groupIdx: map[string]int32{},
		roleIdx: map[string]int32{}, nodeIdx: map[string]int32{}, grantIdx: map[string]int32{},
	}
	ix.nodeIdx[rootRef] = 0
	ix.nodes = append(ix.nodes, node{live: true})
	ix.nodeRefs = append(ix.nodeRefs, rootRef)
	ix.up = append(ix.up, 0)
	ix.maps = &mappings{}
	releaseWhenDropped(ix)
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
	// The user's entry is the one read that is likely to miss every cache
	// (a million users do not fit): ask for it first, then find the
	// permission and the resource, which are small and cached, while it
	// arrives; the answers keep the order of the checks below.
	var e *userEntry
	hi, lo, isUUID := parseUUID(userID)
	if isUUID {
		if h := ix.userTab.home(hi, lo); h != nil {
			prefetch(unsafe.Pointer(h))
		}
	}
	p, permOK := ix.permIdx[perm]
	n, nodeOK := ix.node(resource)
	if isUUID {
		e = ix.userTab.find(hi, lo, 0)
	} else if k, ok := ix.userIdx[userID]; ok {
		e = ix.userTab.find(k.hi, k.lo, flagSynthetic)
	}
	if e == nil || e.meta&flagLive == 0 {
		return Decision{Denial: UnknownUser}
	}
	if e.meta&flagBarred != 0 {
		return Decision{Denial: CannotSignIn}
	}
	var v userView
	if e.over == 0 {
		// The usual case: all there is to know is in the entry.
		v = userView{meta: e.meta, state: UserState{Type: UserType(e.meta & flagType)}, g16: e.groups[:e.meta>>8]}
	} else {
		v = ix.view(e)
		if v.state.out(now) {
			return Decision{Denial: CannotSignIn}
		}
	}
	if !permOK {
		return Decision{Denial: UnknownPermission}
	}
	write := ix.permKinds[p] == KindWrite
	if write && v.state.Type == ReadOnly {
		return Decision{Denial: ReadOnlyUser}
	}
	if !nodeOK {
		return Decision{Denial: UnknownResource}
	}
	if v.state.Type == Admin && strings.HasPrefix(perm, RosterPrefix) {
		return Decision{Allowed: true, Reason: Reason{Rule: RuleAdminType}}
	}
	// sig, made at the first node with group grants, lets the intersection
	// below pass over most groups the user is not in without searching
	// their list.
	var sig groupSig
	signed := false
	for n >= 0 {
		if len(v.direct) > 0 {
			if gi := ix.matchDirect(v.direct, n, p, write); gi >= 0 {
				return Decision{Allowed: true, Reason: ix.reason(gi, "")}
			}
		}
		up := ix.up[n]
		if up&upGroups != 0 {
			gs := ix.nodes[n].groups
			var gi, grp int32 = -1, -1
			if v.g16 != nil {
				if !signed {
					sig, signed = signOf(v.g16), true
				}
				gi, grp = matchGroups(ix, gs, v.g16, &sig, p, write)
			} else if v.g32 != nil {
				if !signed {
					sig, signed = signOf(v.g32), true
				}
				gi, grp = matchGroups(ix, gs, v.g32, &sig, p, write)
			}
			if gi >= 0 {
				return Decision{Allowed: true, Reason: ix.reason(gi, ix.groupIDs[grp])}
			}
		}
		n = int32(up&^upGroups) - 1
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
	return Reason{Rule: RuleGrant, GrantID: g.id, RoleID: r.id, RoleName: r.name, Resource: ix.nodeRefs[g.node], GroupID: groupID}
}

// gives reports whether a grant of role rr (roleRO) gives permission p.
func (ix *Index) gives(rr uint32, p int32, write bool) bool {
	if write && rr>>31 != 0 {
		return false
	}
	perms := ix.roles[rr&^(1<<31)].perms
	w := int(p >> 6)
	return w < len(perms) && perms[w]&(1<<(uint(p)&63)) != 0
}

// matchDirect finds among a user's direct grants (node, grant, role
// triples sorted by node) one on node n that gives p.
func (ix *Index) matchDirect(direct []uint32, n, p int32, write bool) int32 {
	i := 0
	if len(direct) > 8*directWords {
		lo, hi := 0, len(direct)/directWords
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if int32(direct[m*directWords]) < n {
				lo = m + 1
			} else {
				hi = m
			}
		}
		i = lo * directWords
	}
	for ; i+directWords <= len(direct); i += directWords {
		dn := int32(direct[i])
		if dn > n {
			break
		}
		if dn == n && ix.gives(direct[i+2], p, write) {
			return int32(direct[i+1])
		}
	}
	return -1
}

// matchGroups finds a grant in list to one of groups (sorted) that gives
// p, walking the shorter list and searching the longer.
func matchGroups[G uint16 | uint32](ix *Index, list []groupGrant, groups []G, sig *groupSig, p int32, write bool) (int32, int32) {
	if len(groups) == 0 {
		return -1, -1
	}
	if len(list) <= len(groups) {
		last := int32(groups[len(groups)-1])
		for i := range list {
			gg := &list[i]
			if gg.group <= last && sig.has(gg.group) && containsSorted(groups, G(gg.group)) && ix.gives(gg.role, p, write) {
				return gg.grant, gg.group
			}
		}
		return -1, -1
	}
	for _, gr := range groups {
		for i := searchGroup(list, int32(gr)); i < len(list) && list[i].group == int32(gr); i++ {
			if ix.gives(list[i].role, p, write) {
				return list[i].grant, int32(gr)
			}
		}
	}
	return -1, -1
}

// groupSig is a 256-bit signature of a user's groups: a group whose bit
// is clear is certainly not one of them. With 20 groups about one bit in
// thirteen is set, so most groups a grant names are ruled out by one test
// instead of a search of the user's list.
type groupSig [4]uint64

func signOf[G uint16 | uint32](groups []G) (s groupSig) {
	for _, g := range groups {
		s[g>>6&3] |= 1 << (g & 63)
	}
	return s
}

func (s *groupSig) has(g int32) bool { return s[g>>6&3]&(1<<(g&63)) != 0 }

// searchGroup returns the first position in list whose group is >= g.
func searchGroup(list []groupGrant, g int32) int {
	lo, hi := 0, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if list[m].group < g {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func containsSorted[T uint16 | uint32](list []T, v T) bool {
	if len(list) <= 32 {
		// A short list is faster read through than searched: the loop's
		// branch is predictable, a binary search's are not.
		for _, g := range list {
			if g >= v {
				return g == v
			}
		}
		return false
	}
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
	if ix.nodeRefs[n] != resource {
		out = append(out, resource) // a collection with nothing in it yet
	}
	for ; n >= 0; n = ix.parent(n) {
		out = append(out, ix.nodeRefs[n])
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
	e := ix.findUser(userID)
	if e == nil || e.meta&flagLive == 0 {
		return nil
	}
	v := ix.view(e)
	st := v.state
	n, ok := ix.node(resource)
	if !ok || st.out(now) {
		return nil
	}
	held := map[int32]Reason{}
	if st.Type == Admin {
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
				if write && (g.readOnly || st.Type == ReadOnly) {
					continue
				}
				if _, ok := held[p]; !ok {
					held[p] = ix.reason(gi, groupID)
				}
			}
		}
	}
	for ; n >= 0; n = ix.parent(n) {
		for i := 0; i < len(v.direct); i += directWords {
			if int32(v.direct[i]) == n {
				add(int32(v.direct[i+1]), "")
			}
		}
		for _, gg := range ix.nodes[n].groups {
			if v.hasGroup(gg.group) {
				add(gg.grant, ix.groupIDs[gg.group])
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
	// depth: how far above the resource each of its ancestors is, so that
	// the nearest grant gives the reason.
	depth := map[int32]int{}
	viaGroup := map[int32]Reason{}
	for d := 0; n >= 0; n, d = ix.parent(n), d+1 {
		depth[n] = d
		for _, gg := range ix.nodes[n].groups {
			if _, ok := viaGroup[gg.group]; !ok && ix.gives(gg.role, p, write) {
				viaGroup[gg.group] = ix.reason(gg.grant, ix.groupIDs[gg.group])
			}
		}
	}
	admins := strings.HasPrefix(perm, RosterPrefix)
	var out []Holder
	var buf []uint32
	for i := range ix.userTab.entries {
		e := &ix.userTab.entries[i]
		if e.meta&flagLive == 0 {
			continue
		}
		v := ix.view(e)
		if v.state.out(now) || (write && v.state.Type == ReadOnly) {
			continue
		}
		if admins && v.state.Type == Admin {
			out = append(out, Holder{UserID: ix.userID(e), Reason: Reason{Rule: RuleAdminType}})
			continue
		}
		best, bestD := int32(-1), 0
		for i := 0; i < len(v.direct); i += directWords {
			if d, ok := depth[int32(v.direct[i])]; ok && (best < 0 || d < bestD) && ix.gives(v.direct[i+2], p, write) {
				best, bestD = int32(v.direct[i+1]), d
			}
		}
		if best >= 0 {
			out = append(out, Holder{UserID: ix.userID(e), Reason: ix.reason(best, "")})
			continue
		}
		if len(viaGroup) == 0 {
			continue
		}
		buf = v.groups(buf[:0])
		for _, g := range buf {
			if r, ok := viaGroup[int32(g)]; ok {
				out = append(out, Holder{UserID: ix.userID(e), Reason: r})
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
