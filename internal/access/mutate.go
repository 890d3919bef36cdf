package access

import (
	"slices"
	"strings"
)

// Mutator changes an index; it exists only inside Apply, which holds the
// index's write lock, so that checks see a batch of changes whole or not
// at all.
type Mutator struct{ ix *Index }

// Apply runs fn with the index locked for writing.
func (ix *Index) Apply(fn func(m *Mutator)) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	fn(&Mutator{ix: ix})
	ix.compact()
}

// SetVersion records the change counter the index now reflects.
func (m *Mutator) SetVersion(v int64) { m.ix.version = v }

// SetPermission adds a permission to the catalogue (its kind never changes).
func (m *Mutator) SetPermission(name string, kind Kind) int32 {
	ix := m.ix
	if p, ok := ix.permIdx[name]; ok {
		return p
	}
	p := int32(len(ix.permNames))
	ix.permIdx[name] = p
	ix.permNames = append(ix.permNames, name)
	ix.permKinds = append(ix.permKinds, kind)
	return p
}

// SetUser replaces what the index knows of a user: state and groups.
func (m *Mutator) SetUser(id string, st UserState, groupIDs []string) {
	ix := m.ix
	gs := ix.scratch[:0]
	for _, g := range groupIDs {
		gs = append(gs, uint32(m.groupSlot(g)))
	}
	slices.Sort(gs)
	gs = slices.Compact(gs)
	ix.scratch = gs
	e := m.user(id)
	ix.writeUser(e, true, st, gs, ix.view(e).direct)
}

// SetGroups replaces a user's groups, keeping their state.
func (m *Mutator) SetGroups(id string, groupIDs []string) {
	e := m.user(id)
	m.SetUser(id, m.ix.view(e).state, groupIDs)
}

// RemoveUser forgets a user: every check for them denies. Their grants
// stay until removed (the store deletes them with the user).
func (m *Mutator) RemoveUser(id string) {
	ix := m.ix
	if e := ix.findUser(id); e != nil {
		ix.writeUser(e, false, UserState{}, nil, ix.view(e).direct)
	}
}

// user returns the entry of a user, adding an empty one (not live) if
// needed. The entry stays valid until the next user is added.
func (m *Mutator) user(id string) *userEntry {
	ix := m.ix
	if hi, lo, ok := parseUUID(id); ok {
		if e := ix.userTab.find(hi, lo, 0); e != nil {
			return e
		}
		return ix.insertUser(hi, lo, 0)
	}
	if k, ok := ix.userIdx[id]; ok {
		return ix.entry(k)
	}
	ix.userTab.synth++
	k := userKey{hi: 0, lo: ix.userTab.synth, synthetic: flagSynthetic}
	ix.userIdx[id] = k
	ix.userStr[k] = id
	return ix.insertUser(k.hi, k.lo, k.synthetic)
}

func (m *Mutator) groupSlot(id string) int32 {
	ix := m.ix
	if g, ok := ix.groupIdx[id]; ok {
		return g
	}
	g := int32(len(ix.groupIDs))
	ix.groupIdx[id] = g
	ix.groupIDs = append(ix.groupIDs, id)
	return g
}

// SetRole replaces a role's name and permissions; permissions unknown to
// the catalogue are skipped.
func (m *Mutator) SetRole(id, name string, perms []string) {
	ix := m.ix
	ri, ok := ix.roleIdx[id]
	if !ok {
		ri = int32(len(ix.roles))
		ix.roleIdx[id] = ri
		ix.roles = append(ix.roles, role{id: id})
	}
	bits := make([]uint64, (len(ix.permNames)+63)/64)
	for _, p := range perms {
		if pi, ok := ix.permIdx[p]; ok {
			bits[pi>>6] |= 1 << (uint(pi) & 63)
		}
	}
	ix.roles[ri] = role{id: id, name: name, perms: bits, live: true}
}

// RemoveRole drops a role's permissions: grants of it give nothing.
func (m *Mutator) RemoveRole(id string) {
	if ri, ok := m.ix.roleIdx[id]; ok {
		m.ix.roles[ri] = role{id: id}
	}
}

func (m *Mutator) roleSlot(id string) int32 {
	ix := m.ix
	if ri, ok := ix.roleIdx[id]; ok {
		return ri
	}
	ri := int32(len(ix.roles))
	ix.roleIdx[id] = ri
	ix.roles = append(ix.roles, role{id: id})
	return ri
}

// defaultParent is where a resource sits without an explicit parent: the
// root for a collection, its type's collection for anything else.
func (m *Mutator) defaultParent(ref string) int32 {
	typ, _, _ := SplitRef(ref)
	if typ == "collection" {
		return 0
	}
	return m.nodeSlot(CollectionRef(typ), true)
}

// nodeSlot returns the node of ref, creating it (under its default parent)
// when missing; live says whether a created node exists already (a
// collection) or waits for SetResource (a parent met before its row).
func (m *Mutator) nodeSlot(ref string, live bool) int32 {
	ix := m.ix
	if n, ok := ix.nodeIdx[ref]; ok {
		if live {
			ix.nodes[n].live = true
		}
		return n
	}
	n := int32(len(ix.nodes))
	ix.nodeIdx[ref] = n
	ix.nodes = append(ix.nodes, node{live: live})
	ix.up = append(ix.up, 0)
	ix.nodeRefs = append(ix.nodeRefs, ref)
	ix.setParent(n, m.defaultParent(ref))
	return n
}

// SetResource records a resource and its parent ("" for the default: its
// type's collection). A collection ("collection:<type>") is always known.
func (m *Mutator) SetResource(ref, parentRef string) {
	n := m.nodeSlot(ref, true)
	if n == 0 {
		return
	}
	p := m.defaultParent(ref)
	if parentRef != "" {
		p = m.nodeSlot(parentRef, false)
	}
	m.ix.setParent(n, p)
}

func (ix *Index) setParent(n, p int32) { ix.up[n] = ix.up[n]&upGroups | uint32(p+1) }

// groupsChanged keeps the mark of node n's group grants in up.
func (ix *Index) groupsChanged(n int32) {
	if len(ix.nodes[n].groups) > 0 {
		ix.up[n] |= upGroups
	} else {
		ix.up[n] &^= upGroups
	}
}

// RemoveResource forgets a resource: checks on it deny. The caller removes
// its descendants and grants too.
func (m *Mutator) RemoveResource(ref string) {
	typ, _, _ := SplitRef(ref)
	if n, ok := m.ix.nodeIdx[ref]; ok && n != 0 && typ != "collection" {
		m.ix.nodes[n].live = false
	}
}

// SetGrant adds or replaces a grant.
func (m *Mutator) SetGrant(g Grant) {
	m.RemoveGrant(g.ID)
	ix := m.ix
	var n int32
	if g.Resource == ix.root {
		n = 0
	} else {
		typ, _, _ := SplitRef(g.Resource)
		n = m.nodeSlot(g.Resource, typ == "collection")
	}
	gr := grant{id: g.ID, group: g.SubjectGroup, role: m.roleSlot(g.RoleID), node: n, readOnly: g.ReadOnly}
	if g.SubjectGroup {
		gr.subject = m.groupSlot(g.SubjectID)
	} else {
		gr.user = m.user(g.SubjectID).key()
	}
	var gi int32
	if k := len(ix.free); k > 0 {
		gi, ix.free = ix.free[k-1], ix.free[:k-1]
		ix.grants[gi] = gr
	} else {
		gi = int32(len(ix.grants))
		ix.grants = append(ix.grants, gr)
	}
	ix.grantIdx[g.ID] = gi
	rr := roleRO(gr.role, gr.readOnly)
	if gr.group {
		nd := &ix.nodes[n]
		gg := groupGrant{group: gr.subject, grant: gi, role: rr}
		if i, found := slices.BinarySearchFunc(nd.groups, gg, cmpGG); !found {
			nd.groups = slices.Insert(nd.groups, i, gg)
		}
		ix.groupsChanged(n)
		return
	}
	m.editDirect(gr.user, func(direct []uint32) []uint32 {
		i := 0
		for i < len(direct) && (int32(direct[i]) < n || int32(direct[i]) == n && int32(direct[i+1]) < gi) {
			i += directWords
		}
		return slices.Insert(direct, i, uint32(n), uint32(gi), rr)
	})
}

// editDirect replaces a user's direct grants by what edit makes of a
// copy of them.
func (m *Mutator) editDirect(k userKey, edit func([]uint32) []uint32) {
	ix := m.ix
	e := ix.entry(k)
	v := ix.view(e)
	buf := v.groups(ix.scratch[:0])
	ng := len(buf)
	buf = append(buf, v.direct...)
	groups := buf[:ng:ng]
	direct := edit(buf[ng:])
	ix.scratch = buf
	ix.writeUser(e, v.meta&flagLive != 0, v.state, groups, direct)
}

// RemoveGrant removes a grant, if the index has it.
func (m *Mutator) RemoveGrant(id string) {
	ix := m.ix
	gi, ok := ix.grantIdx[id]
	if !ok {
		return
	}
	delete(ix.grantIdx, id)
	g := ix.grants[gi]
	if g.group {
		nd := &ix.nodes[g.node]
		gg := groupGrant{group: g.subject, grant: gi}
		if i, found := slices.BinarySearchFunc(nd.groups, gg, cmpGG); found {
			nd.groups = slices.Delete(nd.groups, i, i+1)
		}
		ix.groupsChanged(g.node)
	} else {
		m.editDirect(g.user, func(direct []uint32) []uint32 {
			for i := 0; i < len(direct); i += directWords {
				if int32(direct[i+1]) == gi {
					return slices.Delete(direct, i, i+directWords)
				}
			}
			return direct
		})
	}
	ix.grants[gi] = grant{}
	ix.free = append(ix.free, gi)
}

func cmpGG(a, b groupGrant) int {
	if a.group != b.group {
		return int(a.group) - int(b.group)
	}
	return int(a.grant) - int(b.grant)
}

// Stats describes the size of an index.
type Stats struct {
	Users, Groups, Roles, Resources, Grants, Permissions, Memberships int
	// MappedBytes is the memory of the user table and the arena when they
	// are mapped apart from the Go heap (Linux), which the heap's figures
	// do not count.
	MappedBytes int64
}

// Stats counts what the index holds.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Stats{Groups: len(ix.groupIDs), Resources: len(ix.nodes), Grants: len(ix.grantIdx), Permissions: len(ix.permNames),
		MappedBytes: ix.maps.bytes}
	for i := range ix.userTab.entries {
		if e := &ix.userTab.entries[i]; e.meta&flagLive != 0 {
			v := ix.view(e)
			s.Users++
			s.Memberships += len(v.g16) + len(v.g32)
		}
	}
	for i := range ix.roles {
		if ix.roles[i].live {
			s.Roles++
		}
	}
	return s
}

// IsRoster reports whether a permission is one of Roster's own.
func IsRoster(name string) bool { return strings.HasPrefix(name, RosterPrefix) }
