package admin_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/sqlstore/sqltest"
)

// The sign-in budget of SPEC §4: password sign-ins per second against
// argon2id alone on the same cores (≥ 90 %), and the session check on
// every request (p99 ≤ 200 µs warm). Run with make bench, or:
//
//	go test -run '^$' -bench 'SignIn|Argon2id|SessionCheck' -benchtime 400x ./internal/admin/

const benchPassword = "violet kettle harbour 7"

// benchService is a service with the production hashing parameters on a
// fresh database of engine, with one active user who can sign in.
func benchService(b *testing.B, engine string) (*admin.Service, admin.Credentials) {
	b.Helper()
	db := sqltest.Open(b, engine)
	svc := admin.New(admin.Config{Store: db, Hasher: password.NewHasher(password.OWASP)})
	ctx := context.Background()
	if _, err := svc.Bootstrap(ctx, staffPassword); err != nil {
		b.Fatal(err)
	}
	res, err := svc.SignIn(ctx, admin.Credentials{Username: "admin", Password: staffPassword})
	if err != nil {
		b.Fatal(err)
	}
	staff := staffContext(b, svc, res.Token)
	if _, err := svc.CreateTenant(staff, admin.NewTenant{Slug: "acme", Name: "Acme"}); err != nil {
		b.Fatal(err)
	}
	if _, err := svc.CreateUser(staff, "acme", admin.NewUser{Username: "bench", Email: "bench@example.com", Password: benchPassword}); err != nil {
		b.Fatal(err)
	}
	return svc, admin.Credentials{Tenant: "acme", Username: "bench", Password: benchPassword}
}

func staffContext(b *testing.B, svc *admin.Service, token string) context.Context {
	b.Helper()
	a, _, err := svc.Authenticate(context.Background(), token)
	if err != nil {
		b.Fatal(err)
	}
	return admin.WithActor(context.Background(), a)
}

// BenchmarkArgon2idAlone is the bound: verifications of one password with
// the production parameters, as many at once as there are cores.
func BenchmarkArgon2idAlone(b *testing.B) {
	h := password.NewHasher(password.OWASP)
	ctx := context.Background()
	hash, err := h.Hash(ctx, benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(ctx, benchPassword, hash); !ok || err != nil {
				b.Fatalf("Verify = %v, %v", ok, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}

// BenchmarkSignIn is whole password sign-ins (the hash, the session, the
// audit event, in one transaction) with as many clients as cores.
func BenchmarkSignIn(b *testing.B) {
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			svc, creds := benchService(b, engine)
			ctx := context.Background()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := svc.SignIn(ctx, creds); err != nil {
						b.Fatalf("SignIn: %v", err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
		})
	}
}

// BenchmarkSessionCheck is the check every request makes: a session token
// to its actor, warm. It reports the median and the 99th percentile.
func BenchmarkSessionCheck(b *testing.B) {
	for _, engine := range sqltest.Engines {
		b.Run(engine, func(b *testing.B) {
			svc, creds := benchService(b, engine)
			ctx := context.Background()
			res, err := svc.SignIn(ctx, creds)
			if err != nil {
				b.Fatal(err)
			}
			for range 200 { // warm the caches and the connection pool
				if _, _, err := svc.Authenticate(ctx, res.Token); err != nil {
					b.Fatal(err)
				}
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, _, err := svc.Authenticate(ctx, res.Token); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e3, "p50_µs")
			b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds())/1e3, "p99_µs")
		})
	}
}
