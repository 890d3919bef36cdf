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
	ui := m.userSlot(id)
	u := &ix.users[ui]
	u.state, u.live = st, true
	gs := u.groups[:0]
	for _, g := range groupIDs {
		gs = append(gs, m.groupSlot(g))
	}
	slices.Sort(gs)
	u.groups = slices.Compact(gs)
}

// SetGroups replaces a user's groups, keeping their state.
func (m *Mutator) SetGroups(id string, groupIDs []string) {
	u := &m.ix.users[m.userSlot(id)]
	m.SetUser(id, u.state, groupIDs)
}

// RemoveUser forgets a user: every check for them denies. Their grants
// stay until removed (the store deletes them with the user).
func (m *Mutator) RemoveUser(id string) {
	if ui, ok := m.ix.userIdx[id]; ok {
		u := &m.ix.users[ui]
		u.live, u.groups = false, nil
	}
}

func (m *Mutator) userSlot(id string) int32 {
	ix := m.ix
	if ui, ok := ix.userIdx[id]; ok {
		return ui
	}
	ui := int32(len(ix.users))
	ix.userIdx[id] = ui
	ix.users = append(ix.users, user{id: id})
	return ui
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
	ix.nodes = append(ix.nodes, node{ref: ref, parent: -1, live: live})
	ix.nodes[n].parent = m.defaultParent(ref)
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
	m.ix.nodes[n].parent = p
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
	if g.Resource == ix.nodes[0].ref {
		n = 0
	} else {
		typ, _, _ := SplitRef(g.Resource)
		n = m.nodeSlot(g.Resource, typ == "collection")
	}
	gr := grant{id: g.ID, group: g.SubjectGroup, role: m.roleSlot(g.RoleID), node: n, readOnly: g.ReadOnly, live: true}
	if g.SubjectGroup {
		gr.subject = m.groupSlot(g.SubjectID)
	} else {
		gr.subject = m.userSlot(g.SubjectID)
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
	nd := &ix.nodes[n]
	sg := subjectGrant{gr.subject, gi}
	if gr.group {
		nd.groups = insertSG(nd.groups, sg)
	} else {
		nd.users = insertSG(nd.users, sg)
		u := &ix.users[gr.subject]
		u.direct = append(u.direct, gi)
	}
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
	nd := &ix.nodes[g.node]
	sg := subjectGrant{g.subject, gi}
	if g.group {
		nd.groups = deleteSG(nd.groups, sg)
	} else {
		nd.users = deleteSG(nd.users, sg)
		u := &ix.users[g.subject]
		if k := slices.Index(u.direct, gi); k >= 0 {
			u.direct = slices.Delete(u.direct, k, k+1)
		}
	}
	ix.grants[gi] = grant{}
	ix.free = append(ix.free, gi)
}

func cmpSG(a, b subjectGrant) int {
	if a.subject != b.subject {
		return int(a.subject) - int(b.subject)
	}
	return int(a.grant) - int(b.grant)
}

func insertSG(list []subjectGrant, sg subjectGrant) []subjectGrant {
	i, found := slices.BinarySearchFunc(list, sg, cmpSG)
	if found {
		return list
	}
	return slices.Insert(list, i, sg)
}

func deleteSG(list []subjectGrant, sg subjectGrant) []subjectGrant {
	i, found := slices.BinarySearchFunc(list, sg, cmpSG)
	if !found {
		return list
	}
	return slices.Delete(list, i, i+1)
}

// Stats describes the size of an index.
type Stats struct {
	Users, Groups, Roles, Resources, Grants, Permissions, Memberships int
}

// Stats counts what the index holds.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Stats{Groups: len(ix.groupIDs), Resources: len(ix.nodes), Grants: len(ix.grantIdx), Permissions: len(ix.permNames)}
	for i := range ix.users {
		if ix.users[i].live {
			s.Users++
			s.Memberships += len(ix.users[i].groups)
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
