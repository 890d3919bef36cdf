package sqlstore

import (
	"context"

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
	var share float64
	err := db.View(context.Background(), func(atx admin.Tx) error {
		var err error
		_, _, estimate := atx.(*tx).postgresStages(context.Background(), admin.UserQuery{Q: q}, "", nil, "", searchPattern(q))
		share, err = estimate()
		return err
	})
	return share, err
}
