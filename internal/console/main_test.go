package console_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/server"
	"roster/internal/sqlstore"
)

const staffPassword = "staff password for the console tests"

// env is one Roster served over HTTP on a SQLite file, shared by every test
// of the package (the console adds no storage of its own; the store tests
// run both engines), and one headless Chromium shared by the browser
// tests, each of which works in a browser context of its own.
type env struct {
	url     string
	svc     *admin.Service
	db      *sqlstore.DB
	staffID string

	browserOnce sync.Once
	browser     context.Context // nil when no Chromium is installed
	browserErr  error
}

var (
	shared     *env
	sharedOnce sync.Once
	cleanups   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// cheapHasher keeps argon2id's shape with tiny parameters, so that tests
// sign in quickly.
func cheapHasher() *password.Hasher {
	return password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
}

// mustEnv starts the shared server on first use.
func mustEnv(tb testing.TB) *env {
	tb.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "roster-console-")
		if err != nil {
			tb.Fatalf("temp dir: %v", err)
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		ctx := context.Background()
		db, err := sqlstore.Open(ctx, filepath.Join(dir, "roster.db"))
		if err != nil {
			tb.Fatalf("open: %v", err)
		}
		cleanups = append(cleanups, func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			tb.Fatalf("migrate: %v", err)
		}
		svc := admin.New(admin.Config{Store: db, Hasher: cheapHasher(), Logger: slog.New(slog.DiscardHandler)})
		if _, err := svc.Bootstrap(ctx, staffPassword); err != nil {
			tb.Fatalf("bootstrap: %v", err)
		}
		srv := httptest.NewServer(server.New(server.Config{Service: svc, DB: db, Logger: slog.New(slog.DiscardHandler)}).Handler())
		cleanups = append(cleanups, srv.Close)
		e := &env{url: srv.URL, svc: svc, db: db}
		res, err := svc.SignIn(ctx, admin.Credentials{Username: "admin", Password: staffPassword})
		if err != nil {
			tb.Fatalf("staff sign-in: %v", err)
		}
		e.staffID = res.User.ID
		shared = e
	})
	if shared == nil {
		tb.Fatal("the shared test server did not start")
	}
	return shared
}

// staff is a context acting as the platform's staff user, for seeding
// through the service.
func (e *env) staff() context.Context {
	return admin.WithActor(context.Background(), &admin.Actor{UserID: e.staffID, TenantID: admin.PlatformTenantID, Username: "admin", Type: admin.TypeAdmin})
}

// mustTenant creates a tenant through the service.
func (e *env) mustTenant(tb testing.TB, slug string) {
	tb.Helper()
	if _, err := e.svc.CreateTenant(e.staff(), admin.NewTenant{Slug: slug, Name: slug + " Inc."}); err != nil {
		tb.Fatalf("CreateTenant %s: %v", slug, err)
	}
}

// mustUser creates a user through the service; pw, when given, is an
// initial password (which forces a change at first sign-in).
func (e *env) mustUser(tb testing.TB, slug, username string, typ admin.UserType, pw string) *admin.User {
	tb.Helper()
	u, err := e.svc.CreateUser(e.staff(), slug, admin.NewUser{Username: username, Email: username + "@" + slug + ".test", FirstName: username, LastName: "Tester", Type: typ, Password: pw})
	if err != nil {
		tb.Fatalf("CreateUser %s: %v", username, err)
	}
	return u
}

// mustLock locks a user out by wrong passwords (five: more than the
// tenant's threshold).
func (e *env) mustLock(tb testing.TB, slug string, u *admin.User) {
	tb.Helper()
	for range 5 {
		e.svc.SignIn(context.Background(), admin.Credentials{Tenant: slug, Username: u.Username, Password: "not " + u.Username + "'s passphrase"})
	}
	if u, _ := e.svc.GetUser(e.staff(), slug, u.ID); !u.Locked {
		tb.Fatalf("%s is not locked after five wrong passwords", u.Username)
	}
}

// chromium finds the browser the tests drive.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab returns a fresh browser context (its own cookies) in the shared
// browser, with a deadline. Without Chromium the test skips, or fails
// under CI=true.
func (e *env) tab(t *testing.T) context.Context {
	t.Helper()
	e.browserOnce.Do(func() {
		path := chromium()
		if path == "" {
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
			chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1400, 900))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		b, cancelBrowser := chromedp.NewContext(alloc)
		if err := chromedp.Do(b); err != nil {
			e.browserErr = err
			cancelBrowser()
			cancelAlloc()
			return
		}
		e.browser = b
		cleanups = append(cleanups, cancelAlloc, cancelBrowser)
	})
	if e.browser == nil {
		msg := "chromium is not installed (scripts/ensure-chromium.sh installs it)"
		if e.browserErr != nil {
			msg = "chromium does not start: " + e.browserErr.Error()
		}
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}
