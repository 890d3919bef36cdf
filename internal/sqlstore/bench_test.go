package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// The search benchmarks run on one tenant of 1,000,000 users (SPEC §4),
// seeded once per engine and kept between runs: a SQLite file under
// $ROSTER_BENCH_DIR (default: the system temp dir) and the PostgreSQL
// database roster_bench_1m. Set ROSTER_BENCH_USERS for a smaller tenant.

const benchSlug = "bench"

func benchUsers() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("ROSTER_BENCH_USERS"), &n); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var firstNames = strings.Fields(`anna ben carla david emma felix greta hugo ida jonas klara leo mia noah olga paul
	quinn rosa sam tina ulrich vera walter xenia yusuf zoe aiko haruto yui sota hina ren mei kaito sakura daiki
	fatima omar layla karim amira samir nadia tariq lina youssef maria jose carmen luis sofia pablo lucia diego
	elena marco giulia luca chiara matteo sara andrea giorgio francesca olivia liam ava ethan isabella mason
	sophia logan charlotte lucas amelia oliver harper elijah evelyn james abigail william emily henry ella
	priya arjun ananya rohan diya vikram kavya aditya ishaan meera wei jun li ming hui lei fang yan tao xin`)

var lastNames = strings.Fields(`smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez
	lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez
	clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores green adams
	nelson baker hall rivera campbell mitchell carter roberts mueller schmidt schneider fischer weber meyer
	wagner becker schulz hoffmann sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato
	rossi russo ferrari esposito bianchi romano colombo ricci marino greco kowalski nowak wisniewski dubois
	durand lefebvre moreau laurent simon michel petit bernard silva santos oliveira souza pereira costa
	kim park choi jung kang cho yoon jang lim han patel sharma singh kumar gupta khan ali hassan hussein
	ivanov petrov sidorov smirnov popov novak horvat kovacs nagy andersson johansson karlsson nilsson larsen`)

var domains = strings.Fields(`example.com example.org example.net acme.test globex.test initech.test umbrella.test`)

// benchUser describes the ith seeded user deterministically.
func benchUser(i int) (username, first, last, email, status, typ string, created int64) {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	first = firstNames[r.IntN(len(firstNames))]
	last = lastNames[r.IntN(len(lastNames))]
	username = fmt.Sprintf("%s.%s.%d", first, last, i)
	email = fmt.Sprintf("%s.%s%d@%s", first[:1], last, i, domains[r.IntN(len(domains))])
	status, typ = "active", "standard"
	switch p := r.IntN(100); {
	case p < 5:
		status = "pending"
	case p < 10:
		status = "deactivated"
	}
	switch p := r.IntN(1000); {
	case p < 10:
		typ = "admin"
	case p < 110:
		typ = "read_only"
	}
	created = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).UnixMicro()
	return
}

func benchRow(tenantID string, i int) []any {
	username, first, last, email, status, typ, created := benchUser(i)
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	first, last = title(first), title(last)
	return []any{tenantID, fmt.Sprintf("00000000-0000-7000-8000-%012d", i), username, strings.ToLower(username), email,
		strings.ToLower(email), first, last, admin.NameKey(first, last), admin.SearchText(username, first, last, email),
		"en", typ, "password", status, created, created}
}

const benchInsert = `INSERT INTO users (tenant_id, id, username, username_key, email, email_key, first_name, last_name,
	name_key, search, locale, type, auth, status, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`

var benchColumns = []string{"tenant_id", "id", "username", "username_key", "email", "email_key", "first_name", "last_name",
	"name_key", "search", "locale", "type", "auth", "status", "created_at", "updated_at"}

// openBenchDB opens (seeding on first use) the 1M-user database of engine.
func openBenchDB(b *testing.B, engine string) (*sqlstore.DB, *admin.Tenant) {
	b.Helper()
	ctx := context.Background()
	n := benchUsers()
	var dsn string
	switch engine {
	case "sqlite":
		dir := os.Getenv("ROSTER_BENCH_DIR")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "roster-bench")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		dsn = filepath.Join(dir, fmt.Sprintf("users-%d.db", n))
	case "postgres":
		name := fmt.Sprintf("roster_bench_%d", n)
		pg, err := sql.Open("pgx", sqltest.PostgresURL())
		if err != nil {
			b.Fatal(err)
		}
		defer pg.Close()
		if err := pg.PingContext(ctx); err != nil {
			b.Skipf("PostgreSQL not available: %v", err)
		}
		var exists bool
		if err := pg.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			b.Fatal(err)
		}
		if !exists {
			if _, err := pg.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
				b.Fatal(err)
			}
		}
		dsn = strings.Replace(sqltest.PostgresURL(), "/test?", "/"+name+"?", 1)
	}
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var t *admin.Tenant
	err = db.View(ctx, func(tx admin.Tx) (err error) { t, err = tx.TenantBySlug(ctx, benchSlug); return err })
	if err == nil && t.UserCount == n {
		return db, t
	}
	b.Logf("seeding %d users into %s (once)…", n, engine)
	start := time.Now()
	t = seed(b, db, n)
	b.Logf("seeded in %v", time.Since(start).Round(time.Second))
	return db, t
}

func seed(b *testing.B, db *sqlstore.DB, n int) *admin.Tenant {
	ctx := context.Background()
	raw := db.SQL()
	for _, q := range []string{"DELETE FROM audit_events", "DELETE FROM sessions", "DELETE FROM users", "DELETE FROM tenants"} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now().UTC()
	t := &admin.Tenant{ID: "bench-tenant", Slug: benchSlug, Name: "Benchmark", Settings: admin.DefaultTenantSettings(), CreatedAt: now, UpdatedAt: now}
	if err := db.Update(ctx, func(tx admin.Tx) error { return tx.InsertTenant(ctx, t) }); err != nil {
		b.Fatal(err)
	}
	if db.Engine() == "postgres" {
		conn, err := raw.Conn(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		err = conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			if _, err := pc.Exec(ctx, "DROP INDEX IF EXISTS users_search_trgm"); err != nil {
				return err
			}
			i := 0
			_, err := pc.CopyFrom(ctx, pgx.Identifier{"users"}, benchColumns, pgx.CopyFromFunc(func() ([]any, error) {
				if i == n {
					return nil, nil
				}
				i++
				return benchRow(t.ID, i-1), nil
			}))
			if err != nil {
				return err
			}
			if _, err := pc.Exec(ctx, "CREATE INDEX users_search_trgm ON users USING gin (search gin_trgm_ops)"); err != nil {
				return err
			}
			// Autovacuum would set the visibility map that index-only
			// scans need; it may be off, so vacuum once here.
			_, err = pc.Exec(ctx, "VACUUM (ANALYZE) users")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	} else {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.PrepareContext(ctx, benchInsert)
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			if _, err := stmt.ExecContext(ctx, benchRow(t.ID, i)...); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"} {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := raw.ExecContext(ctx, "UPDATE tenants SET user_count = $1 WHERE id = $2", n, t.ID); err != nil {
		b.Fatal(err)
	}
	t.UserCount = n
	return t
}

func staffCtx() context.Context {
	return admin.WithActor(context.Background(), &admin.Actor{UserID: "bench-staff", TenantID: admin.PlatformTenantID, Username: "staff", Type: admin.TypeAdmin})
}

// BenchmarkUserSearch measures the first page of 50 (and a second page by
// cursor) of a user search in a 1M-user tenant, through the service, with
// every kind of filter. It reports p50 and p95 per query in milliseconds.
func BenchmarkUserSearch(b *testing.B) {
	filters := []struct {
		name string
		f    admin.UserFilter
	}{
		{"default", admin.UserFilter{}},
		{"include_deactivated", admin.UserFilter{IncludeDeactivated: true}},
		{"status=pending", admin.UserFilter{Status: "pending"}},
		{"status=deactivated", admin.UserFilter{Status: "deactivated"}},
		{"type=admin", admin.UserFilter{Type: "admin"}},
		{"type=read_only&status=active", admin.UserFilter{Type: "read_only", Status: "active"}},
		{"q=smith(common)", admin.UserFilter{Q: "smith"}},
		{"q=ann(dense)", admin.UserFilter{Q: "ann"}},
		{"q=tanaka.4242(rare)", admin.UserFilter{Q: "tanaka.4242"}},
		{"q=zz(short)", admin.UserFilter{Q: "zz"}},
		{"q=nomatch", admin.UserFilter{Q: "qqqxqqq"}},
		{"q=example.org(domain)", admin.UserFilter{Q: "example.org"}},
		{"q=yamamoto&status=pending", admin.UserFilter{Q: "yamamoto", Status: "pending"}},
		{"q=lee&type=admin", admin.UserFilter{Q: "lee", Type: "admin"}},
		{"sort=name", admin.UserFilter{Sort: "name"}},
		{"sort=-created_at", admin.UserFilter{Sort: "-created_at"}},
		{"sort=email&q=kim", admin.UserFilter{Sort: "email", Q: "kim"}},
		{"q=sam(clustered)", admin.UserFilter{Q: "sam"}},
		{"sort=name&q=smith(clustered)", admin.UserFilter{Sort: "name", Q: "smith"}},
	}
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			db, tenant := openBenchDB(b, engine)
			if os.Getenv("ROSTER_BENCH_BLOCKS") == "off" {
				db.UseSearchBlocks(256, 2000, 48) // and never built: the ordinary stages alone
			} else {
				// The search blocks a large tenant's first searches build in
				// the background (blocks.go), built here at once.
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				if err := db.BuildSearchBlocks(context.Background(), tenant.ID); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				runtime.GC()
				runtime.ReadMemStats(&after)
				fmt.Printf("%s: search blocks built in %v, %.1f MB\n", engine, took.Round(time.Millisecond), float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20))
			}
			svc := admin.New(admin.Config{Store: db, Hasher: password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})})
			ctx := staffCtx()
			for _, fc := range filters {
				b.Run(fc.name, func(b *testing.B) {
					first, err := svc.SearchUsers(ctx, benchSlug, fc.f)
					if err != nil {
						b.Fatal(err)
					}
					second := fc.f
					second.Cursor = first.NextCursor
					durations := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						f := fc.f
						if i%2 == 1 && first.NextCursor != "" {
							f = second
						}
						start := time.Now()
						if _, err := svc.SearchUsers(ctx, benchSlug, f); err != nil {
							b.Fatal(err)
						}
						durations = append(durations, time.Since(start))
					}
					b.StopTimer()
					reportPercentiles(b, durations)
					b.ReportMetric(float64(len(first.Items)), "rows")
				})
			}
		})
	}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkUserWrites measures user create, update and deactivate, each
// with its audit event in the same transaction: on a fresh database, and in
// a second tenant of the database that holds the 1,000,000-user tenant, so
// that every index (the trigram index included) is at full size.
func BenchmarkUserWrites(b *testing.B) {
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			b.Run("fresh", func(b *testing.B) {
				db := sqltest.Open(b, engine)
				if _, err := admin.New(admin.Config{Store: db}).Bootstrap(context.Background(), "benchmark staff password"); err != nil {
					b.Fatal(err)
				}
				benchWrites(b, db)
			})
			b.Run("beside-1M", func(b *testing.B) {
				db, _ := openBenchDB(b, engine)
				benchWrites(b, db)
			})
		})
	}
}

// benchWrites creates a new tenant and runs b.N create-update-deactivate
// cycles in it.
func benchWrites(b *testing.B, db *sqlstore.DB) {
	svc := admin.New(admin.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	ctx := staffCtx()
	slug := fmt.Sprintf("w%d", time.Now().UnixNano())
	if _, err := svc.CreateTenant(ctx, admin.NewTenant{Slug: slug, Name: "Writes"}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		u, err := svc.CreateUser(ctx, slug, admin.NewUser{Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i), FirstName: "Bench", LastName: "User"})
		if err != nil {
			b.Fatal(err)
		}
		last := fmt.Sprintf("Renamed%d", i)
		if _, err := svc.UpdateUser(ctx, slug, u.ID, admin.UserPatch{LastName: &last}); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.DeactivateUser(ctx, slug, u.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(3*b.N)/time.Since(start).Seconds(), "writes/s")
}
