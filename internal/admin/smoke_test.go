package admin_test

import (
	"context"
	"testing"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestSmoke(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := admin.New(admin.Config{Store: db, Hasher: password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})})
		if _, err := svc.Bootstrap(ctx, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		res, err := svc.SignIn(ctx, admin.Credentials{Username: "admin", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		actor, _, err := svc.Authenticate(ctx, res.Token)
		if err != nil {
			t.Fatal(err)
		}
		ctx = admin.WithActor(ctx, actor)
		if _, err := svc.CreateTenant(ctx, admin.NewTenant{Slug: "acme", Name: "Acme"}); err != nil {
			t.Fatal(err)
		}
		u, err := svc.CreateUser(ctx, "acme", admin.NewUser{Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Liddell", Type: admin.TypeAdmin, Password: "wonderland rabbit"})
		if err != nil {
			t.Fatal(err)
		}
		page, err := svc.SearchUsers(ctx, "acme", admin.UserFilter{Q: "lidd"})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != u.ID {
			t.Fatalf("search: %v %+v", err, page)
		}
		page, err = svc.SearchUsers(ctx, "acme", admin.UserFilter{Q: "al"})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("search short: %v %+v", err, page)
		}
		if _, err := svc.CreateUser(ctx, "acme", admin.NewUser{Username: "ALICE", Email: "a2@example.com"}); admin.CodeOf(err) != "username_taken" {
			t.Fatalf("dup: %v", err)
		}
		if _, err := svc.DeactivateUser(ctx, "acme", u.ID); err != nil {
			t.Fatal(err)
		}
		ap, err := svc.ListAudit(ctx, "acme", admin.AuditFilter{})
		if err != nil || len(ap.Items) != 3 {
			t.Fatalf("audit: %v %d", err, len(ap.Items))
		}
	})
}
