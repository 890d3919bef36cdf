package admin

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"roster/internal/access"
)

// UserAccess is what the access index needs of a user.
type UserAccess struct {
	ID                   string
	Type                 UserType
	Status               Status
	Locked               bool
	DeactivatedByLicence bool
	ExpiresAt            *time.Time
	LockedUntil          *time.Time // a temporary lock; nil with Locked: until unlocked
}

func (u UserAccess) state() access.UserState {
	st := access.UserState{
		Barred: u.Status == StatusRemoved || u.Status == StatusDeactivated || u.DeactivatedByLicence || (u.Locked && u.LockedUntil == nil),
	}
	if u.Locked && u.LockedUntil != nil {
		st.LockedUntil = u.LockedUntil.UnixMicro()
	}
	switch u.Type {
	case TypeAdmin:
		st.Type = access.Admin
	case TypeReadOnly:
		st.Type = access.ReadOnly
	}
	if u.ExpiresAt != nil {
		st.Expires = u.ExpiresAt.UnixMicro()
	}
	return st
}

// AccessVisitor receives a tenant's whole authorization state from
// Tx.LoadAccess, in this order: permissions, roles, users, memberships
// (ordered by user), resources, grants.
type AccessVisitor interface {
	Permission(name string, kind PermKind)
	Role(r *Role)
	User(u UserAccess)
	Membership(userID, groupID string)
	Resource(r *Resource)
	Grant(g *Grant)
}

// AccessChange is one entry of a tenant's access change log.
type AccessChange struct {
	Version int64
	Entity  string
}

// authz keeps one access.Index per tenant, loaded on first use and kept
// fresh: after every write of this process (syncingStore), and by
// WatchAccess for the writes of other processes.
type authz struct {
	s       *Service
	mu      sync.Mutex
	tenants map[string]*tenantIndex
}

type tenantIndex struct {
	sync sync.Mutex // one load or sync at a time
	ix   atomic.Pointer[access.Index]
	slug string
}

func newAuthz(s *Service) *authz { return &authz{s: s, tenants: map[string]*tenantIndex{}} }

func (a *authz) entry(tenantID, slug string) *tenantIndex {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.tenants[tenantID]
	if e == nil {
		e = &tenantIndex{slug: slug}
		a.tenants[tenantID] = e
	}
	return e
}

// index returns the tenant's index, loading it on first use.
func (a *authz) index(ctx context.Context, t *Tenant) (*access.Index, error) {
	e := a.entry(t.ID, t.Slug)
	if ix := e.ix.Load(); ix != nil {
		return ix, nil
	}
	e.sync.Lock()
	defer e.sync.Unlock()
	if ix := e.ix.Load(); ix != nil {
		return ix, nil
	}
	ix, err := a.load(ctx, t.ID, t.Slug)
	if err != nil {
		return nil, err
	}
	e.ix.Store(ix)
	return ix, nil
}

// loader builds an index from LoadAccess.
type loader struct {
	m      *access.Mutator
	root   string
	user   string
	groups []string
}

func (l *loader) Permission(name string, kind PermKind) { l.m.SetPermission(name, accessKind(kind)) }
func (l *loader) Role(r *Role)                          { l.m.SetRole(r.ID, r.Name, r.Permissions) }
func (l *loader) User(u UserAccess)                     { l.m.SetUser(u.ID, u.state(), nil) }
func (l *loader) Membership(userID, groupID string) {
	if userID != l.user {
		l.flush()
		l.user = userID
	}
	l.groups = append(l.groups, groupID)
}
func (l *loader) flush() {
	if l.user != "" {
		l.m.SetGroups(l.user, l.groups)
	}
	l.user, l.groups = "", l.groups[:0]
}
func (l *loader) Resource(r *Resource) { l.m.SetResource(r.Ref(), explicitParent(r)) }
func (l *loader) Grant(g *Grant)       { l.m.SetGrant(indexGrant(g, l.root)) }

func explicitParent(r *Resource) string {
	if r.ParentType == "" {
		return ""
	}
	return r.ParentType + ":" + r.ParentKey
}

func accessKind(k PermKind) access.Kind {
	if k == KindRead {
		return access.KindRead
	}
	return access.KindWrite
}

func indexGrant(g *Grant, root string) access.Grant {
	res := g.ResourceType + ":" + g.ResourceKey
	if g.ResourceType == TypeTenant {
		res = root
	}
	return access.Grant{ID: g.ID, SubjectGroup: g.SubjectType == SubjectGroup, SubjectID: g.SubjectID, RoleID: g.RoleID,
		Resource: res, ReadOnly: g.Access == AccessReadOnly}
}

// load reads a tenant's whole state: the version first, so that the data
// is at least as new as it, and a later sync re-applies what came between.
func (a *authz) load(ctx context.Context, tenantID, slug string) (*access.Index, error) {
	root := TypeTenant + ":" + slug
	ix := access.New(root)
	var err error
	ix.Apply(func(m *access.Mutator) {
		err = a.s.store.View(ctx, func(tx Tx) error {
			v, err := tx.AccessVersion(ctx, tenantID)
			if err != nil {
				return err
			}
			l := &loader{m: m, root: root}
			if err := tx.LoadAccess(ctx, tenantID, l); err != nil {
				return err
			}
			l.flush()
			m.SetVersion(v)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return ix, nil
}

// syncBatch is how many changes one round of a sync applies.
const syncBatch = 5000

// sync brings a loaded tenant index up to the database's version. A gap in
// the log (pruned) or an error drops the index, to be loaded afresh.
func (a *authz) sync(ctx context.Context, tenantID string) {
	a.mu.Lock()
	e := a.tenants[tenantID]
	a.mu.Unlock()
	if e == nil || e.ix.Load() == nil {
		return
	}
	e.sync.Lock()
	defer e.sync.Unlock()
	ix := e.ix.Load()
	if ix == nil {
		return
	}
	for {
		n, err := a.syncOnce(ctx, tenantID, ix)
		if err != nil {
			a.s.log.Warn("access index dropped, to be reloaded", "tenant", tenantID, "err", err)
			e.ix.Store(nil)
			return
		}
		if n < syncBatch {
			return
		}
	}
}

type errGap struct{}

func (errGap) Error() string { return "a gap in the access change log" }

func (a *authz) syncOnce(ctx context.Context, tenantID string, ix *access.Index) (int, error) {
	from := ix.Version()
	var changes []AccessChange
	var apply []func(m *access.Mutator)
	err := a.s.store.View(ctx, func(tx Tx) error {
		var err error
		changes, err = tx.AccessChangesSince(ctx, tenantID, from, syncBatch)
		if err != nil || len(changes) == 0 {
			return err
		}
		if changes[0].Version != from+1 {
			return errGap{}
		}
		seen := map[string]bool{}
		var perms []*PermissionDef
		for _, c := range changes {
			if seen[c.Entity] {
				continue
			}
			seen[c.Entity] = true
			f, err := a.reload(ctx, tx, tenantID, ix.Root(), c.Entity, &perms)
			if err != nil {
				return err
			}
			if f != nil {
				apply = append(apply, f)
			}
		}
		return nil
	})
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	last := changes[len(changes)-1].Version
	ix.Apply(func(m *access.Mutator) {
		for _, f := range apply {
			f(m)
		}
		m.SetVersion(last)
	})
	return len(changes), nil
}

// reload reads the current state of one changed entity and returns the
// change to the index.
func (a *authz) reload(ctx context.Context, tx Tx, tenantID, root, entity string, perms *[]*PermissionDef) (func(*access.Mutator), error) {
	kind, id, _ := strings.Cut(entity, ":")
	switch kind {
	case "user":
		u, groups, err := tx.UserAccessByID(ctx, tenantID, id)
		if err == ErrNoRows {
			return func(m *access.Mutator) { m.RemoveUser(id) }, nil
		}
		if err != nil {
			return nil, err
		}
		return func(m *access.Mutator) { m.SetUser(id, u.state(), groups) }, nil
	case "role":
		r, err := tx.RoleByID(ctx, tenantID, id)
		if err == ErrNoRows {
			return func(m *access.Mutator) { m.RemoveRole(id) }, nil
		}
		if err != nil {
			return nil, err
		}
		if *perms == nil {
			if *perms, err = tx.ListPermissions(ctx); err != nil {
				return nil, err
			}
		}
		all := *perms
		return func(m *access.Mutator) {
			for _, p := range all {
				m.SetPermission(p.Name, accessKind(p.Kind))
			}
			m.SetRole(r.ID, r.Name, r.Permissions)
		}, nil
	case "resource":
		typ, key, _ := strings.Cut(id, ":")
		r, err := tx.ResourceByRef(ctx, tenantID, typ, key)
		if err == ErrNoRows {
			return func(m *access.Mutator) { m.RemoveResource(id) }, nil
		}
		if err != nil {
			return nil, err
		}
		return func(m *access.Mutator) { m.SetResource(r.Ref(), explicitParent(r)) }, nil
	case "grant":
		g, err := tx.GrantByID(ctx, tenantID, id)
		if err == ErrNoRows {
			return func(m *access.Mutator) { m.RemoveGrant(id) }, nil
		}
		if err != nil {
			return nil, err
		}
		return func(m *access.Mutator) { m.SetGrant(indexGrant(g, root)) }, nil
	}
	return nil, nil // groups: a deleted group has no grants left; nothing to do
}

// syncingStore brings the access indexes of the tenants a write touched up
// to date as soon as it commits, so that the next request sees the change.
type syncingStore struct {
	Store
	authz *authz
}

func (s *syncingStore) Update(ctx context.Context, fn func(Tx) error) error {
	var touched []string
	err := s.Store.Update(ctx, func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		touched = tx.AccessTouched()
		return nil
	})
	if err == nil {
		for _, t := range touched {
			s.authz.sync(context.WithoutCancel(ctx), t)
		}
	}
	return err
}

// SyncAccess brings every loaded index up to the database's version: the
// writes of other processes. WatchAccess calls it periodically.
func (s *Service) SyncAccess(ctx context.Context) error {
	a := s.authz
	a.mu.Lock()
	ids := make([]string, 0, len(a.tenants))
	for id, e := range a.tenants {
		if e.ix.Load() != nil {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	var versions map[string]int64
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		versions, err = tx.AccessVersions(ctx, ids)
		return err
	}); err != nil {
		return err
	}
	for _, id := range ids {
		a.mu.Lock()
		e := a.tenants[id]
		a.mu.Unlock()
		if ix := e.ix.Load(); ix != nil && versions[id] != ix.Version() {
			a.sync(ctx, id)
		}
	}
	return nil
}

// WatchAccess keeps the indexes fresh against other processes' writes
// until ctx ends: at every tick, and at once when wake receives (a
// PostgreSQL notification), if wake is not nil.
func (s *Service) WatchAccess(ctx context.Context, every time.Duration, wake <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		if err := s.SyncAccess(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("syncing access indexes", "err", err)
		}
	}
}

// AccessIndex returns a tenant's index, loading it if needed: for
// benchmarks and tools. Staff only.
func (s *Service) AccessIndex(ctx context.Context, slug string) (*access.Index, error) {
	if err := s.requireStaff(ctx); err != nil {
		return nil, err
	}
	var t *Tenant
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		t, err = tx.TenantBySlug(ctx, slug)
		return notFoundAs(err, "Tenant")
	}); err != nil {
		return nil, err
	}
	return s.authz.index(ctx, t)
}

// AccessLogRetention is how long the access change log keeps an entry; a
// process whose index is further behind loads it afresh.
const AccessLogRetention = time.Hour

// PruneAccessChanges deletes access change log entries older than
// AccessLogRetention (a periodic job).
func (s *Service) PruneAccessChanges(ctx context.Context) error {
	return s.store.Update(ctx, func(tx Tx) error {
		_, err := tx.PruneAccessChanges(ctx, s.clock.Now().Add(-AccessLogRetention))
		return err
	})
}
