// Package sqltest opens real, fresh, migrated databases for tests: a SQLite
// file in a temporary directory and a PostgreSQL database created for the
// test and dropped after it. Under CI (CI=true) a PostgreSQL server that
// cannot be reached fails the test instead of skipping it.
package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"roster/internal/sqlstore"
)

// Engines are the database engines every store test runs on.
var Engines = []string{"sqlite", "postgres"}

// PostgresURL is the server tests create their databases on:
// ROSTER_TEST_POSTGRES, or the local server with trust authentication.
func PostgresURL() string {
	if u := os.Getenv("ROSTER_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	counter      atomic.Int64
)

// Each runs fn once per engine, as subtests named after the engine.
func Each(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) {
			fn(t, Open(t, engine))
		})
	}
}

// Open returns a fresh, migrated database of engine, closed (and for
// PostgreSQL dropped) when the test ends.
func Open(tb testing.TB, engine string) *sqlstore.DB {
	tb.Helper()
	ctx := context.Background()
	var dsn string
	switch engine {
	case "sqlite":
		dsn = filepath.Join(tb.TempDir(), "roster.db")
	case "postgres":
		dsn = freshPostgres(tb)
	default:
		tb.Fatalf("unknown engine %q", engine)
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", engine, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s: %v", engine, err)
	}
	return db
}

// unavailable skips, or fails under CI, when PostgreSQL cannot be used.
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("PostgreSQL is required under CI: %v", err)
	}
	tb.Skipf("PostgreSQL not available: %v", err)
}

// freshPostgres creates a database from a migrated template (made once per
// process) and returns its URL.
func freshPostgres(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		unavailable(tb, err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		unavailable(tb, err)
	}
	templateOnce.Do(func() { templateName, templateErr = makeTemplate(ctx, admin) })
	if templateErr != nil {
		tb.Fatalf("template database: %v", templateErr)
	}
	name := fmt.Sprintf("roster_test_%d_%d", os.Getpid(), counter.Add(1))
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+templateName); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() { drop(PostgresURL(), name) })
	return withDatabase(PostgresURL(), name)
}

// NewPostgresDatabase creates an empty database for a process-level test
// (such as a benchmark) and returns its URL and a function that drops it.
func NewPostgresDatabase(name string) (string, func(), error) {
	ctx := context.Background()
	admin, err := sql.Open("pgx", PostgresURL())
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	return withDatabase(PostgresURL(), name), func() { drop(PostgresURL(), name) }, nil
}

func makeTemplate(ctx context.Context, admin *sql.DB) (string, error) {
	name := fmt.Sprintf("roster_tmpl_%d", os.Getpid())
	drop(PostgresURL(), name)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	db, err := sqlstore.Open(ctx, withDatabase(PostgresURL(), name))
	if err != nil {
		return "", err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	return name, err
}

// DropTemplate drops the template database; call it from TestMain.
func DropTemplate() {
	if templateName != "" {
		drop(PostgresURL(), templateName)
	}
}

func drop(server, name string) {
	admin, err := sql.Open("pgx", server)
	if err != nil {
		return
	}
	defer admin.Close()
	admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
}

func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}
