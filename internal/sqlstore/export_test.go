package sqlstore

import (
	"context"
	"time"

	"roster/internal/admin"
)

// SetSearchLimits changes the stage bounds of a substring search on db, so
// that a small test tenant takes every stage.
func (db *DB) SetSearchLimits(short, long, many int) {
	db.limits = searchLimits{Short: short, Long: long, Many: many}
}

// SearchShare is PostgreSQL's estimate of the share of users whose search
// text q matches, from its statistics' sample (0 without one).
func (db *DB) SearchShare(q string) (float64, error) {
	db.sample.mu.Lock()
	db.sample.at = time.Time{}
	db.sample.mu.Unlock()
	var share float64
	err := db.View(context.Background(), func(atx admin.Tx) error {
		var err error
		_, _, estimate := atx.(*tx).postgresStages(context.Background(), admin.UserQuery{Q: q}, "", nil, "", searchPattern(q))
		share, err = estimate()
		return err
	})
	return share, err
}

// UseSearchBlocks sets small search blocks (size users each) that are
// never built in the background, and drops those built so far.
func (db *DB) UseSearchBlocks(size, maxChanged, maxWalk int) {
	db.setBlockSettings(blockSettings{MinUsers: 1 << 30, Size: size, MaxBlocks: 1 << 20, MaxChanged: maxChanged, MaxWalk: maxWalk})
}

// BlockAnswers counts the searches the search blocks have answered.
func (db *DB) BlockAnswers() int64 { return db.blocks.answered.Load() }

// BuildSearchBlocksOnNeed lets a tenant of minUsers or more have its
// search blocks built in the background by the first search that needs
// them, as in production.
func (db *DB) BuildSearchBlocksOnNeed(minUsers int) {
	db.setBlockSettings(blockSettings{MinUsers: minUsers, Size: 4, MaxBlocks: 1 << 20, MaxChanged: 100, MaxWalk: 1000})
}

// HasSearchBlocks reports whether a tenant's search blocks are built.
func (db *DB) HasSearchBlocks(tenantID string) bool {
	db.blocks.mu.Lock()
	defer db.blocks.mu.Unlock()
	return db.blocks.tenants[tenantID] != nil
}
