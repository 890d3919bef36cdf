package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"roster/internal/admin"
)

// Search blocks: what lets the first page of a substring search skip the
// parts of the sort order that hold no match.
//
// Neither trigram index (FTS5, pg_trgm) gives its matches in a sort order,
// and a walk of the sort order's index reads every entry before the first
// match: when a query's matches come in one run far along the order (a
// first name in username order, a last name in name order), both ways read
// thousands of entries or matches for a page of 50. So for each large
// tenant a process keeps, per sort order, the order cut into blocks of
// consecutive users (about a thousand blocks), and for each trigram of the
// search texts the set of blocks it occurs in. A query's candidate blocks
// are those holding every trigram of its pattern; the search walks the
// index over the candidate blocks' key ranges only, in order, and stops at
// the page. Blocks are a filter and never an answer: every row comes from
// the database through the same conditions as any other walk.
//
// The blocks are built from one reading of the tenant and not changed
// after. A user written since then (the access change log names every
// write of a user row) may sit in a block whose trigrams do not show their
// new text, so those users are searched apart, by id, and the two results
// are merged by the database in the page's order. When too many users have
// changed, or the log has been pruned past the build, the blocks are built
// again in the background and searches take the ordinary stages meanwhile.
// Building reads the tenant once per sort order, in that order, so block
// boundaries follow the database's own collation.

// blockSettings are the sizes the blocks are built with.
type blockSettings struct {
	MinUsers   int // tenants with fewer users get no blocks
	Size       int // users a block, at least; grown so that there are at most MaxBlocks
	MaxBlocks  int
	MaxChanged int // users written since the build beyond which the blocks are rebuilt
	MaxWalk    int // blocks one search may walk before it gives up on them
}

var defaultBlockSettings = blockSettings{MinUsers: 20_000, Size: 256, MaxBlocks: 1024, MaxChanged: 2000, MaxWalk: 48}

// searchBlocks holds the blocks of every large tenant this process has searched.
type searchBlocks struct {
	answered atomic.Int64 // searches the blocks answered (tests)
	mu       sync.Mutex
	set      blockSettings
	tenants  map[string]*tenantBlocks
	building map[string]bool
	small    map[string]time.Time // tenants too small for blocks, when last counted
}

func newSearchBlocks() *searchBlocks {
	return &searchBlocks{set: defaultBlockSettings, tenants: map[string]*tenantBlocks{}, building: map[string]bool{}, small: map[string]time.Time{}}
}

// tenantBlocks are one tenant's blocks, immutable once built but for the
// set of users written since.
type tenantBlocks struct {
	builtAt time.Time
	orders  map[string]*blockOrder // by sort column (sortColumns' col)

	mu      sync.Mutex
	seen    int64               // the change log has been read up to this version (at first: the build's)
	changed map[string]struct{} // users written since the build
	stale   bool                // too many changes, or a gap in the log
}

// blockOrder is one sort order cut into blocks.
type blockOrder struct {
	first []blockKey // the first key of each block, in the order's ascending order
	// tri gives, for each trigram, where its blocks are: a row of bits (a
	// set of blocks of words words) when it is in more than sparseMax
	// blocks, else (encoded as ^(offset<<3 | count)) the block numbers in
	// sparse. Most trigrams of real names and addresses are rare; a list
	// of a few blocks costs a fraction of a row of bits.
	tri    map[uint64]int32
	bits   []uint64
	sparse []int32
	words  int
}

// sparseMax is the most blocks a trigram's list holds instead of a row of bits.
const sparseMax = 4

// blockKey is a position in a sort order: the key, and the id where the
// key is not unique.
type blockKey struct {
	key any // string or int64
	id  string
}

// trigramsOf calls f with each trigram of s (three consecutive runes).
func trigramsOf(s string, f func(uint64)) {
	var a, b rune = -1, -1
	for _, c := range s {
		if a >= 0 {
			f(uint64(a)<<42 | uint64(b)<<21 | uint64(c))
		}
		a, b = b, c
	}
}

// candidates is the set of blocks that hold every trigram of pattern; nil
// when pattern is too short to have one.
func (bo *blockOrder) candidates(pattern string) []uint64 {
	if utf8.RuneCountInString(pattern) < 3 {
		return nil
	}
	out := make([]uint64, bo.words)
	for i := range out {
		out[i] = ^uint64(0)
	}
	trigramsOf(pattern, func(g uint64) {
		row, ok := bo.tri[g]
		if !ok {
			clear(out)
			return
		}
		if row >= 0 {
			for i, w := range bo.bits[int(row)*bo.words : int(row+1)*bo.words] {
				out[i] &= w
			}
			return
		}
		v := ^row
		var keep [sparseMax]int32
		n := 0
		for _, b := range bo.sparse[v>>3 : v>>3+v&7] {
			if hasBlock(out, int(b)) {
				keep[n] = b
				n++
			}
		}
		clear(out)
		for _, b := range keep[:n] {
			out[b>>6] |= 1 << (b & 63)
		}
	})
	return out
}

func hasBlock(set []uint64, i int) bool { return set[i>>6]&(1<<(i&63)) != 0 }

// blocksFor returns the blocks of a tenant when they are usable, and starts
// a build when the tenant is large and has none (or stale ones).
func (t *tx) blocksFor(ctx context.Context, tenantID string) *tenantBlocks {
	if t.db == nil {
		return nil
	}
	sb := t.db.blocks
	sb.mu.Lock()
	tb := sb.tenants[tenantID]
	sb.mu.Unlock()
	if tb != nil {
		if ok, err := tb.catchUp(ctx, t, tenantID, sb.set.MaxChanged); err == nil && ok {
			return tb
		}
		if time.Since(tb.builtAt) < minRebuild {
			// A tenant written this much is not read again at once: the
			// ordinary stages answer until the pause is over.
			return nil
		}
	}
	sb.mu.Lock()
	checked, ok := sb.small[tenantID]
	sb.mu.Unlock()
	if ok && time.Since(checked) < smallRecheck {
		return nil
	}
	n, err := one(ctx, t, scanInt, `SELECT user_count FROM tenants WHERE id = $1`, tenantID)
	switch {
	case err != nil:
	case n >= sb.set.MinUsers:
		sb.startBuild(t.db, tenantID)
	default:
		// Too small for blocks: not asked again for a while.
		sb.mu.Lock()
		sb.small[tenantID] = time.Now()
		sb.mu.Unlock()
	}
	return nil
}

// smallRecheck is how long a tenant found too small for blocks is not
// counted again.
const smallRecheck = time.Minute

// catchUp reads the change log since it was last read; false when the
// blocks are no longer usable.
func (tb *tenantBlocks) catchUp(ctx context.Context, t *tx, tenantID string, maxChanged int) (bool, error) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.stale {
		return false, nil
	}
	changes, err := t.AccessChangesSince(ctx, tenantID, tb.seen, maxChanged+1)
	if err != nil {
		return false, err
	}
	for i, c := range changes {
		if c.Version != tb.seen+int64(i)+1 {
			// Entries are missing (pruned): what changed is unknown.
			tb.stale = true
			return false, nil
		}
		if id, ok := strings.CutPrefix(c.Entity, "user:"); ok {
			tb.changed[id] = struct{}{}
		}
	}
	if len(changes) > 0 {
		tb.seen = changes[len(changes)-1].Version
	}
	if len(tb.changed) > maxChanged || len(changes) > maxChanged {
		tb.stale = true
		return false, nil
	}
	return true, nil
}

func (tb *tenantBlocks) changedIDs() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	ids := make([]string, 0, len(tb.changed))
	for id := range tb.changed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// startBuild builds a tenant's blocks in the background, once at a time.
func (sb *searchBlocks) startBuild(db *DB, tenantID string) {
	sb.mu.Lock()
	if sb.building[tenantID] {
		sb.mu.Unlock()
		return
	}
	sb.building[tenantID] = true
	sb.mu.Unlock()
	go func() {
		start := time.Now()
		err := db.BuildSearchBlocks(context.Background(), tenantID)
		if err != nil && !db.closed.Load() {
			slog.Warn("building the search blocks failed; searches take the ordinary stages", "tenant_id", tenantID, "err", err)
		} else if err == nil {
			slog.Info("search blocks built", "tenant_id", tenantID, "took", time.Since(start).Round(time.Millisecond))
		}
		sb.mu.Lock()
		delete(sb.building, tenantID)
		sb.mu.Unlock()
	}()
}

// minRebuild is the least time between two builds of a tenant's blocks.
const minRebuild = 5 * time.Minute

// BuildSearchBlocks builds (again) the search blocks of a tenant and
// installs them. It runs in the background when a search first needs them;
// tools and benchmarks may call it to have them at once.
func (db *DB) BuildSearchBlocks(ctx context.Context, tenantID string) error {
	sb := db.blocks
	set := sb.set
	var built *tenantBlocks
	err := db.View(ctx, func(atx admin.Tx) error {
		t := atx.(*tx)
		// The version is read before the users: a write that commits in
		// between is both in the reading and in the log after the
		// version, which only makes its user searched apart as well.
		version, err := t.AccessVersion(ctx, tenantID)
		if err != nil {
			return err
		}
		n, err := one(ctx, t, scanInt, `SELECT count(*) FROM users WHERE tenant_id = $1`, tenantID)
		if err != nil {
			return err
		}
		size := max(set.Size, (n+set.MaxBlocks-1)/max(set.MaxBlocks, 1))
		tb := &tenantBlocks{builtAt: time.Now(), seen: version, changed: map[string]struct{}{}, orders: map[string]*blockOrder{}}
		for _, col := range blockColumns() {
			bo, err := t.buildOrder(ctx, tenantID, col, size)
			if err != nil {
				return err
			}
			tb.orders[col] = bo
		}
		built = tb
		return nil
	})
	if err != nil {
		return err
	}
	sb.mu.Lock()
	sb.tenants[tenantID] = built
	sb.mu.Unlock()
	return nil
}

// blockColumns are the distinct key columns of the sort orders.
func blockColumns() []string {
	var cols []string
	for _, sc := range sortColumns {
		if !slices.Contains(cols, sc.col) {
			cols = append(cols, sc.col)
		}
	}
	slices.Sort(cols)
	return cols
}

// buildOrder reads a tenant's users in the ascending order of col and cuts
// it into blocks of size users.
func (t *tx) buildOrder(ctx context.Context, tenantID, col string, size int) (*blockOrder, error) {
	var sc struct {
		num, unique bool
	}
	for _, s := range sortColumns {
		if s.col == col {
			sc.num, sc.unique = s.num, s.unique
		}
	}
	order := col
	if !sc.unique {
		order += ", u.id"
	}
	rows, err := t.query(ctx, `SELECT `+col+`, u.id, u.search FROM users u WHERE u.tenant_id = $1 ORDER BY `+order, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	bo := &blockOrder{tri: map[uint64]int32{}}
	type mark struct {
		tri   int32
		block int32
	}
	var marks []mark // (trigram, block) pairs, one per trigram a block holds
	var inBlock map[uint64]struct{}
	i := 0
	for rows.Next() {
		var k blockKey
		var search string
		var s sql.NullString
		var num int64
		var err error
		if sc.num {
			err = rows.Scan(&num, &k.id, &search)
			k.key = num
		} else {
			err = rows.Scan(&s, &k.id, &search)
			k.key = s.String
		}
		if err != nil {
			return nil, err
		}
		if i%size == 0 {
			bo.first = append(bo.first, k)
			inBlock = map[uint64]struct{}{}
		}
		block := int32(len(bo.first) - 1)
		trigramsOf(search, func(g uint64) {
			if _, ok := inBlock[g]; ok {
				return
			}
			inBlock[g] = struct{}{}
			row, ok := bo.tri[g]
			if !ok {
				row = int32(len(bo.tri))
				bo.tri[g] = row
			}
			marks = append(marks, mark{row, block})
		})
		i++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	bo.words = (len(bo.first) + 63) / 64
	// Each trigram's place: a row of bits, or a list of blocks.
	counts := make([]int32, len(bo.tri))
	for _, m := range marks {
		counts[m.tri]++
	}
	place := make([]int32, len(counts))
	dense := 0
	for r, c := range counts {
		if c > sparseMax {
			place[r] = int32(dense)
			dense++
		} else {
			place[r] = int32(len(bo.sparse))
			bo.sparse = append(bo.sparse, make([]int32, c)...)
			counts[r] = 0 // from here on: how many of its blocks are placed
		}
	}
	bo.bits = make([]uint64, dense*bo.words)
	for _, m := range marks {
		if p := place[m.tri]; counts[m.tri] > sparseMax {
			bo.bits[int(p)*bo.words+int(m.block>>6)] |= 1 << (m.block & 63)
		} else {
			bo.sparse[int(p)+int(counts[m.tri])] = m.block
			counts[m.tri]++
		}
	}
	for g, r := range bo.tri {
		if c := counts[r]; c > sparseMax {
			bo.tri[g] = place[r]
		} else {
			bo.tri[g] = ^(place[r]<<3 | c)
		}
	}
	return bo, nil
}

// blockSearch finds the page through the blocks: the candidate blocks'
// ranges walked in the page's order, and the users written since the
// build searched apart. ok is false when the blocks cannot answer (too
// many candidate blocks walked without a page): the caller goes on with
// the ordinary stages.
func (t *tx) blockSearch(ctx context.Context, tb *tenantBlocks, q admin.UserQuery, cond string, args []any, order, cover, pattern string) ([]*admin.User, bool, error) {
	sc := sortColumns[q.Sort]
	bo := tb.orders[sc.col]
	if bo == nil {
		return nil, false, nil
	}
	cand := bo.candidates(pattern)
	if cand == nil {
		return nil, false, nil
	}
	set := t.db.blocks.set
	// The candidate blocks as runs of consecutive blocks (one walk a run),
	// in the page's direction.
	var runs [][2]int
	cands := 0
	for i, n := 0, len(bo.first); i < n; {
		if !hasBlock(cand, i) {
			i++
			continue
		}
		j := i
		for j+1 < n && hasBlock(cand, j+1) {
			j++
		}
		runs = append(runs, [2]int{i, j})
		cands += j - i + 1
		i = j + 1
	}
	if 4*cands > len(bo.first) {
		// The pattern's trigrams are in most blocks (a rare combination of
		// common trigrams, or matches spread everywhere): the blocks say
		// little that the ordinary stages do not find out more cheaply.
		return nil, false, nil
	}
	if sc.desc {
		slices.Reverse(runs)
	}
	var found []string
	walked := 0
	for _, r := range runs {
		if len(found) >= q.Limit {
			break
		}
		walked += r[1] - r[0] + 1
		if walked > set.MaxWalk {
			// Candidates everywhere and matches few: the trigrams are
			// spread over different users. The ordinary stages do better.
			return nil, false, nil
		}
		ids, err := t.walkBlocks(ctx, bo, sc.col, sc.unique, r[0], r[1], q.Limit-len(found), cond, args, order, cover, pattern)
		if err != nil {
			return nil, false, err
		}
		found = append(found, ids...)
		if len(found) < q.Limit && walked >= set.MaxWalk/12 && walked*q.Limit > set.MaxWalk*max(len(found), 1) {
			// At this rate the page needs more blocks than a search may
			// walk (a filter the blocks know nothing of keeps few of the
			// candidates' matches): give up early.
			return nil, false, nil
		}
	}
	ids := append(found, tb.changedIDs()...)
	if len(ids) == 0 {
		t.db.blocks.answered.Add(1)
		return nil, true, nil
	}
	// The page: the first Limit of the walks' finds and the changed users
	// that match, ordered by the database.
	users, err := t.pageOf(ctx, ids, q.Limit, cond, args, order, pattern)
	if err != nil {
		return nil, false, err
	}
	t.db.blocks.answered.Add(1)
	return users, true, nil
}

// walkBlocks walks the index over blocks lo..hi (in the ascending order of
// the key) and returns the ids of up to limit matches, in the page's order.
func (t *tx) walkBlocks(ctx context.Context, bo *blockOrder, col string, unique bool, lo, hi, limit int, cond string, args []any, order, cover, pattern string) ([]string, error) {
	a := slices.Clone(args)
	where := []string{cond}
	keyCond := func(k blockKey, op string) {
		if unique {
			a = append(a, k.key)
			where = append(where, col+" "+op+" "+param(len(a)))
			return
		}
		a = append(a, k.key, k.id)
		where = append(where, "("+col+", u.id) "+op+" ("+param(len(a)-1)+", "+param(len(a))+")")
	}
	if lo > 0 {
		keyCond(bo.first[lo], ">=")
	}
	if hi+1 < len(bo.first) {
		keyCond(bo.first[hi+1], "<")
	}
	c, v := t.d.substring(pattern, len(a)+1, true)
	a = append(a, v...)
	a = append(a, limit)
	// The range is the narrow part: the walk reads it in order (the test
	// of the search text is one no index serves).
	from := `users u`
	if t.d.name() == "sqlite" {
		from = `users u INDEXED BY ` + cover
	}
	query := `SELECT u.id FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") + ` AND ` + c + ` ORDER BY ` + order + ` LIMIT ` + param(len(a))
	return all(ctx, t, scanString, query, a...)
}

// pageOf reads the first limit users among ids that meet cond and match
// pattern, in the page's order.
func (t *tx) pageOf(ctx context.Context, ids []string, limit int, cond string, args []any, order, pattern string) ([]*admin.User, error) {
	var out []*admin.User
	for _, c := range chunks(ids) {
		a := slices.Clone(args)
		in := inList(len(a)+1, len(c))
		a = anys(a, c)
		m, v := t.d.substring(pattern, len(a)+1, true)
		a = append(a, v...)
		a = append(a, limit)
		users, err := all(ctx, t, scanUser, `SELECT `+userColumns+` FROM users u WHERE `+cond+` AND u.id IN `+in+` AND `+m+
			` ORDER BY `+order+` LIMIT `+param(len(a)), a...)
		if err != nil {
			return nil, err
		}
		out = append(out, users...)
	}
	if len(out) <= limit && len(ids) <= chunkSize {
		return out, nil
	}
	// Several chunks: order their pages together, once more by the
	// database.
	keep := make([]string, len(out))
	for i, u := range out {
		keep[i] = u.ID
	}
	if len(keep) > chunkSize {
		return nil, errors.New("search blocks: too many users written since the build")
	}
	return t.pageOf(ctx, keep, limit, cond, args, order, pattern)
}

// setBlockSettings changes the sizes of the search blocks and drops the
// blocks built so far (tests).
func (db *DB) setBlockSettings(s blockSettings) {
	db.blocks.mu.Lock()
	db.blocks.set = s
	db.blocks.tenants = map[string]*tenantBlocks{}
	db.blocks.small = map[string]time.Time{}
	db.blocks.mu.Unlock()
}
