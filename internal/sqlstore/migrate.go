package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrations embed.FS

// Migration is one schema change: NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations of engine ("sqlite" or
// "postgres") in order.
func Migrations(engine string) ([]Migration, error) {
	dir := path.Join("migrations", engine)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", name)
		}
		b, err := migrations.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	// Versions are unique but may have gaps: numbers are handed out ahead
	// of time, and a migration applies whenever its file lands (each one is
	// recorded by version, so a lower number landing later still applies).
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Migrate applies the migrations the database lacks, each in its own
// transaction, and reports which it applied. Several processes may start
// at once: PostgreSQL serializes them with an advisory lock, SQLite with
// its single writer.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := Migrations(db.dialect.name())
	if err != nil {
		return nil, err
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range ms {
		done, err := db.applyOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

func (db *DB) applyOne(ctx context.Context, m Migration) (bool, error) {
	t, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer t.Rollback()
	if db.dialect.name() == "postgres" {
		if _, err := t.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7418842001)"); err != nil {
			return false, err
		}
	}
	var n int
	if err := t.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := t.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := t.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return false, err
	}
	return true, t.Commit()
}

// SchemaVersion reports the highest applied migration (0 for none).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}
