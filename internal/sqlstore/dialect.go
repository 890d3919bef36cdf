package sqlstore

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"roster/internal/admin"
)

// dialect holds what differs between the engines.
type dialect interface {
	name() string
	// mapError turns driver errors into the store errors of package admin.
	mapError(err error) error
	// lockTenant serializes writers of one tenant where needed.
	lockTenant(ctx context.Context, t *tx, tenantID string) error
	// substring returns the SQL condition (and its arguments, numbered
	// from n) that keeps users whose search text contains pattern. dense
	// says the pattern matches so many rows that walking the sort order and
	// testing each row beats fetching every match from the index.
	substring(pattern string, n int, dense bool) (string, []any)
	// notifyAccess tells other processes, at commit, that a tenant's
	// access changed (PostgreSQL NOTIFY; SQLite processes poll).
	notifyAccess(ctx context.Context, t *tx, tenantID string) error
	// skipLocked ends a SELECT whose rows the transaction will update so
	// that concurrent transactions skip them rather than wait or share them.
	skipLocked() string
}

// AccessChannel is the PostgreSQL notification channel of access changes;
// the payload is the tenant id.
const AccessChannel = "roster_access"

type sqlite struct{}

func (sqlite) name() string { return "sqlite" }

func (sqlite) mapError(err error) error {
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// "UNIQUE constraint failed: users.tenant_id, users.email_key"
			msg := se.Error()
			if i := strings.LastIndex(msg, "failed: "); i >= 0 {
				msg = msg[i+len("failed: "):]
			}
			return &admin.UniqueError{Constraint: msg}
		}
	}
	return err
}

// SQLite runs one writer at a time (the write pool has one connection and
// every transaction begins IMMEDIATE), so there is nothing to lock.
func (sqlite) lockTenant(context.Context, *tx, string) error { return nil }

func (sqlite) notifyAccess(context.Context, *tx, string) error { return nil }

// SQLite's single writer already keeps claimers apart.
func (sqlite) skipLocked() string { return "" }

// With a trigram FTS5 index, patterns of three characters or more are
// looked up in the index unless they are dense; shorter ones are scanned.
func (sqlite) substring(pattern string, n int, dense bool) (string, []any) {
	if dense || utf8.RuneCountInString(pattern) < 3 {
		return "instr(u.search, " + param(n) + ") > 0", []any{pattern}
	}
	return "u.rowid IN (SELECT rowid FROM users_fts WHERE users_fts MATCH " + param(n) + ")", []any{ftsPhrase(pattern)}
}

// ftsPhrase quotes q as one FTS5 phrase.
func ftsPhrase(q string) string {
	return `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
}

type postgres struct{}

func (postgres) name() string { return "postgres" }

func (postgres) mapError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &admin.UniqueError{Constraint: pe.ConstraintName}
	}
	return err
}

func (postgres) lockTenant(ctx context.Context, t *tx, tenantID string) error {
	_, err := t.exec(ctx, "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", tenantID)
	return err
}

func (postgres) notifyAccess(ctx context.Context, t *tx, tenantID string) error {
	_, err := t.exec(ctx, "SELECT pg_notify('"+AccessChannel+"', $1)", tenantID)
	return err
}
func (postgres) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// pg_trgm's GIN index serves LIKE '%q%'.
func (postgres) substring(pattern string, n int, dense bool) (string, []any) {
	if dense {
		// A test of the rows at hand that no index serves, so that the
		// planner walks the index the rest of the query names.
		return "strpos(u.search, " + param(n) + ") > 0", []any{pattern}
	}
	return "u.search LIKE " + param(n) + " ESCAPE '\\'", []any{"%" + escapeLike(pattern) + "%"}
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
