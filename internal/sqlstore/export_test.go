package sqlstore

// SetSearchLimits changes the stage bounds of a substring search on db, so
// that a small test tenant takes every stage.
func (db *DB) SetSearchLimits(short, long, many int) {
	db.limits = searchLimits{Short: short, Long: long, Many: many}
}
