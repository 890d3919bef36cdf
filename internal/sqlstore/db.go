// Package sqlstore implements admin.Store on database/sql, once, for
// SQLite (modernc.org/sqlite, no cgo) and PostgreSQL (pgx). The SQL is the
// same for both engines ($N placeholders, BIGINT microsecond times, text
// keys lower-cased by the application); the few differences live in
// dialect.go and the per-engine migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"roster/internal/admin"
)

// DB is an open Roster database.
type DB struct {
	dialect dialect
	write   *sql.DB // SQLite: one connection, so one writer at a time
	read    *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: same as write
	reads   querier // what Read runs its statement on (SQLite: prepared once)
	limits  searchLimits
	blocks  *searchBlocks
	sample  searchSampleCache // PostgreSQL's sample of search texts (users.go)
	closed  atomic.Bool
	dsn     string
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens dsn: a postgres:// URL, or else the path of a SQLite file
// (created when missing). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
		db.SetMaxIdleConns(max(8, 4*runtime.GOMAXPROCS(0)))
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
		}
		// pgx keeps its own cache of prepared statements per connection.
		return &DB{dialect: postgres{}, write: db, read: db, reads: db, limits: defaultSearchLimits, blocks: newSearchBlocks(), dsn: dsn}, nil
	}
	path, err := filepath.Abs(dsn)
	if err != nil {
		return nil, err
	}
	// Reads map the file (mmap_size): a search that visits many pages reads
	// them from the page cache shared by every connection, without a system
	// call per page.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=journal_mode(WAL)&_pragma=cache_size(-65536)&_pragma=mmap_size(4294967296)"
	w, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	return &DB{dialect: sqlite{}, write: w, read: r, reads: &preparedReads{db: r, stmts: map[string]*sql.Stmt{}}, limits: defaultSearchLimits, blocks: newSearchBlocks()}, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.closed.Store(true)
	var err error
	if p, ok := db.reads.(*preparedReads); ok {
		err = p.close()
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name() }

// Ping checks that the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// SQL returns the writer connection pool, for tools and tests.
func (db *DB) SQL() *sql.DB { return db.write }

// Update runs fn in a read-write transaction.
func (db *DB) Update(ctx context.Context, fn func(admin.Tx) error) error {
	return db.run(ctx, db.write, false, fn)
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(admin.Tx) error) error {
	return db.run(ctx, db.read, true, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(admin.Tx) error) (err error) {
	opts := &sql.TxOptions{ReadOnly: readOnly && db.dialect.name() == "postgres"}
	t, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			t.Rollback()
			panic(p)
		}
		if err != nil {
			t.Rollback()
			return
		}
		if err = t.Commit(); err != nil {
			err = db.dialect.mapError(fmt.Errorf("commit: %w", err))
		}
	}()
	return fn(&tx{tx: t, d: db.dialect, limits: db.limits, db: db})
}

// Read runs fn outside a transaction, on the readers: for a read of one
// statement, which is consistent by itself and spares the round trips of
// BEGIN and COMMIT.
func (db *DB) Read(ctx context.Context, fn func(admin.Tx) error) error {
	return fn(&tx{tx: db.reads, d: db.dialect, limits: db.limits, db: db})
}

// querier is what tx runs statements on: a transaction, or a pool for Read.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements admin.Tx.
type tx struct {
	tx      querier
	d       dialect
	limits  searchLimits
	db      *DB      // for what outlives a transaction (search blocks)
	touched []string // tenants whose access changed (AccessChanged)
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := t.tx.ExecContext(ctx, q, args...)
	return r, t.d.mapError(err)
}

// execOne runs a write that must touch exactly one row: ErrNoRows otherwise.
func (t *tx) execOne(ctx context.Context, q string, args ...any) error {
	r, err := t.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return admin.ErrNoRows
	}
	return nil
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r, err := t.tx.QueryContext(ctx, q, args...)
	return r, t.d.mapError(err)
}

// one scans the single row of q with scan; ErrNoRows when there is none.
func one[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), q string, args ...any) (T, error) {
	row := t.tx.QueryRowContext(ctx, q, args...)
	v, err := scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		return v, admin.ErrNoRows
	}
	return v, t.d.mapError(err)
}

// all scans every row of q with scan.
func all[T any](ctx context.Context, t *tx, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, t.d.mapError(rows.Err())
}

type scanner interface{ Scan(dest ...any) error }

// ErrBackupUnsupported is returned by Backup on PostgreSQL, whose own tools
// (pg_dump, base backups) are the right way to back it up.
var ErrBackupUnsupported = errors.New("backup: Roster backs up SQLite only; back up PostgreSQL with pg_dump or a base backup")

// Backup writes a consistent copy of a SQLite database to path while the
// server keeps running (VACUUM INTO: readers and the writer go on). path
// must not exist yet.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect.name() != "sqlite" {
		return ErrBackupUnsupported
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already; choose a new file", path)
	}
	_, err := db.write.ExecContext(ctx, `VACUUM INTO $1`, path)
	return err
}
