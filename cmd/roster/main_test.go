package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

const adminPassword = "operator-chosen-passphrase"

// syncBuffer is an output stream the server and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a `roster serve` started by a test.
type running struct {
	url            string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

// mustServe runs `roster serve` with args and the environment env until it
// is ready, and stops it when the test ends.
func mustServe(tb testing.TB, env map[string]string, args ...string) *running {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	m := &Main{Stdout: r.stdout, Stderr: r.stderr, Getenv: func(k string) string { return env[k] }, Ready: func(addr string) { ready <- addr }}
	go func() { r.done <- m.Run(ctx, append([]string{"serve"}, args...)) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
	})
	select {
	case addr := <-ready:
		r.url = "http://" + addr
	case err := <-r.done:
		r.done <- err
		tb.Fatalf("roster serve ended before it was ready: %v\nstderr:\n%s", err, r.stderr)
	case <-time.After(60 * time.Second):
		tb.Fatalf("roster serve is not ready after a minute\nstderr:\n%s", r.stderr)
	}
	return r
}

// stop cancels the server's context and returns what Run returned.
func (r *running) stop(tb testing.TB) error {
	tb.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		tb.Fatalf("roster serve did not stop within 30 s of its context ending")
		return nil
	}
}

// get answers GET path on the running server.
func (r *running) get(tb testing.TB, path string, header ...string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest("GET", r.url+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// signIn signs in as the staff user and returns the status, the user and
// the session cookie.
func (r *running) signIn(tb testing.TB, pw string) (int, map[string]any, *http.Cookie) {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": pw})
	res, err := http.Post(r.url+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("POST /api/v1/session: %v", err)
	}
	defer res.Body.Close()
	var out struct {
		User map[string]any `json:"user"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	for _, c := range res.Cookies() {
		if c.Name == "roster_session" {
			return res.StatusCode, out.User, c
		}
	}
	return res.StatusCode, out.User, nil
}

// databases are where `roster serve` is run: a SQLite file and, when a
// PostgreSQL server answers, a fresh PostgreSQL database.
func databases(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "roster.db") },
		"postgres": func(t *testing.T) string {
			url, drop, err := sqltest.NewPostgresDatabase(fmt.Sprintf("roster_cmd_%d_%d", os.Getpid(), time.Now().UnixNano()))
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("PostgreSQL is required under CI: %v", err)
				}
				t.Skipf("PostgreSQL not available: %v", err)
			}
			t.Cleanup(drop)
			return url
		},
	}
}

// TestServeSignsInAndShutsDownGracefully covers R-O1/R-O3: `roster serve`
// on an empty database with ROSTER_ADMIN_PASSWORD creates the staff user
// with that password, answers health and sign-in, and returns nil once its
// context ends. A second start on the same database creates nothing.
func TestServeSignsInAndShutsDownGracefully(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := databases(t)[engine](t)
			srv := mustServe(t, map[string]string{"ROSTER_ADMIN_PASSWORD": adminPassword}, "--addr", "127.0.0.1:0", "--db", db)

			for _, path := range []string{"/healthz", "/readyz"} {
				if code, body := srv.get(t, path); code != http.StatusOK {
					t.Fatalf("GET %s = %d %s, want 200", path, code, body)
				}
			}
			code, user, cookie := srv.signIn(t, adminPassword)
			if code != http.StatusOK || cookie == nil || user["username"] != "admin" || user["must_change_password"] != false {
				t.Fatalf("signing in with ROSTER_ADMIN_PASSWORD: %d %v cookie %v, want 200 admin with no change due", code, user, cookie)
			}
			if code, body := srv.get(t, "/api/v1/me", "Cookie", cookie.Name+"="+cookie.Value); code != http.StatusOK || !strings.Contains(body, `"username":"admin"`) {
				t.Fatalf("GET /api/v1/me with the cookie = %d %s", code, body)
			}
			if out := srv.stdout.String(); strings.Contains(out, "one-time password") {
				t.Fatalf("with ROSTER_ADMIN_PASSWORD set, serve printed a one-time password:\n%s", out)
			}
			if strings.Contains(srv.stderr.String(), adminPassword) {
				t.Fatalf("the log holds the admin password")
			}

			if err := srv.stop(t); err != nil {
				t.Fatalf("Run returned %v after its context ended, want nil\nstderr:\n%s", err, srv.stderr)
			}
			if c, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.url, "http://"), time.Second); err == nil {
				c.Close()
				t.Fatalf("the server still accepts connections after shutdown")
			}

			// Again on the same database, configured through the environment alone.
			again := mustServe(t, map[string]string{"ROSTER_DB": db, "ROSTER_ADDR": "127.0.0.1:0", "ROSTER_LOG_FORMAT": "text"})
			if out := again.stdout.String(); strings.Contains(out, "one-time password") {
				t.Fatalf("a second start printed a new admin password:\n%s", out)
			}
			if code, _, _ := again.signIn(t, adminPassword); code != http.StatusOK {
				t.Fatalf("after a restart the admin password answers %d, want 200", code)
			}
			if err := again.stop(t); err != nil {
				t.Fatalf("the second Run returned %v, want nil", err)
			}
		})
	}
}

var oneTimePassword = regexp.MustCompile(`one-time password:\s+(\S+)`)

// TestServeGeneratesOneTimeAdminPassword covers R-O1 without
// ROSTER_ADMIN_PASSWORD: the generated password is printed once on stdout,
// never logged, and signs in to a session that must change it first.
func TestServeGeneratesOneTimeAdminPassword(t *testing.T) {
	srv := mustServe(t, map[string]string{}, "--addr", "127.0.0.1:0", "--db", filepath.Join(t.TempDir(), "roster.db"))
	m := oneTimePassword.FindStringSubmatch(srv.stdout.String())
	if m == nil {
		t.Fatalf("stdout has no one-time password:\n%s", srv.stdout)
	}
	pw := m[1]
	if len(pw) < 16 {
		t.Fatalf("the one-time password %q is too short", pw)
	}
	if strings.Contains(srv.stderr.String(), pw) {
		t.Fatalf("the one-time password is in the log:\n%s", srv.stderr)
	}
	code, user, cookie := srv.signIn(t, pw)
	if code != http.StatusOK || cookie == nil || user["must_change_password"] != true {
		t.Fatalf("signing in with the one-time password: %d %v, want 200 with must_change_password=true", code, user)
	}
	if code, body := srv.get(t, "/api/v1/tenants", "Cookie", cookie.Name+"="+cookie.Value); code != http.StatusForbidden || !strings.Contains(body, "password_change_required") {
		t.Fatalf("GET /api/v1/tenants before the change = %d %s, want 403 password_change_required", code, body)
	}
	if err := srv.stop(t); err != nil {
		t.Fatalf("Run returned %v, want nil", err)
	}
}

// run runs one command to its end and returns its error and output.
func run(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err = m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

var schemaVersion = regexp.MustCompile(`^database schema at version ([1-9][0-9]*) \((sqlite|postgres)\)\n$`)

// TestMigratePrintsSchemaVersion covers `roster migrate` (R-O3) on both
// engines: it applies the migrations, prints the version, and running it
// again changes nothing.
func TestMigratePrintsSchemaVersion(t *testing.T) {
	for engine, fresh := range databases(t) {
		t.Run(engine, func(t *testing.T) {
			db := fresh(t)
			out, stderr, err := run("migrate", "--db", db)
			if err != nil {
				t.Fatalf("migrate: %v\n%s", err, stderr)
			}
			m := schemaVersion.FindStringSubmatch(out)
			if m == nil || m[2] != engine {
				t.Fatalf("migrate printed %q, want the %s schema version", out, engine)
			}
			if !strings.Contains(stderr, "applied migration") {
				t.Fatalf("the first migrate logged no applied migration:\n%s", stderr)
			}
			again, stderr, err := run("migrate", "--db", db)
			if err != nil || again != out || strings.Contains(stderr, "applied migration") {
				t.Fatalf("migrate again: %v, printed %q (first %q), log %s", err, again, out, stderr)
			}
		})
	}
}

// TestCommands covers the commands that need no database.
func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name           string
		args           []string
		wantErr        bool
		stdout, stderr string
		wantErrIs      error
		stdoutPattern  *regexp.Regexp
	}{
		{name: "version", args: []string{"version"}, stdoutPattern: regexp.MustCompile(`^roster \S+\n$`)},
		{name: "help", args: []string{"help"}, stdout: "roster serve"},
		{name: "no command", args: nil, wantErr: true, wantErrIs: flag.ErrHelp, stderr: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, wantErr: true},
		{name: "unknown flag", args: []string{"serve", "--frobnicate"}, wantErr: true, stderr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"migrate", "extra"}, wantErr: true},
		{name: "bad log level", args: []string{"migrate", "--db", ":memory:", "--log-level", "loud"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := run(tc.args...)
			if (err != nil) != tc.wantErr || (tc.wantErrIs != nil && !errors.Is(err, tc.wantErrIs)) {
				t.Fatalf("Run(%q) = %v, want error %v (%v)", tc.args, err, tc.wantErr, tc.wantErrIs)
			}
			if tc.stdoutPattern != nil && !tc.stdoutPattern.MatchString(out) {
				t.Fatalf("stdout %q does not match %v", out, tc.stdoutPattern)
			}
			if !strings.Contains(out, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("stdout %q, stderr %q: want them to contain %q and %q", out, stderr, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestBackupCopiesALiveSQLiteDatabase covers `roster backup` (R-O3): the
// copy is taken while another connection holds the database open, opens
// as a Roster database with the same schema and rows, never overwrites a
// file, and PostgreSQL is refused with a pointer to its own tools.
func TestBackupCopiesALiveSQLiteDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "roster.db")
	live, err := sqlstore.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if _, err := live.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.New(admin.Config{Store: live}).Bootstrap(ctx, "a long enough password 1"); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(dir, "copy.db")
	out, stderr, err := run("backup", "--db", src, "--out", dst)
	if err != nil || !strings.Contains(out, dst) {
		t.Fatalf("backup: %v, %q\n%s", err, out, stderr)
	}
	cp, err := sqlstore.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	want, _ := live.SchemaVersion(ctx)
	if got, err := cp.SchemaVersion(ctx); err != nil || got != want {
		t.Fatalf("copy at schema %d (%v), want %d", got, err, want)
	}
	var users int
	if err := cp.SQL().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("copy holds %d users (%v), want the staff user", users, err)
	}

	if _, _, err := run("backup", "--db", src, "--out", dst); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v, want a refusal", err)
	}
	if _, _, err := run("backup", "--db", src); err == nil || !strings.Contains(err.Error(), "-out") {
		t.Fatalf("backup without -out: %v, want a refusal", err)
	}
	if fresh, ok := databases(t)["postgres"]; ok {
		if _, _, err := run("backup", "--db", fresh(t), "--out", filepath.Join(dir, "pg")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Fatalf("backup of PostgreSQL: %v, want a refusal naming pg_dump", err)
		}
	}
}

// TestServeDemoSeedsATenant covers `roster serve --demo`: the tracker
// catalogue's roles and a demo tenant, seeded once.
func TestServeDemoSeedsATenant(t *testing.T) {
	db := databases(t)["sqlite"](t)
	srv := mustServe(t, map[string]string{"ROSTER_ADMIN_PASSWORD": adminPassword}, "--addr", "127.0.0.1:0", "--db", db, "--demo")
	if out := srv.stdout.String(); !strings.Contains(out, `Seeded the demo tenant "demo"`) {
		t.Fatalf("serve --demo printed:\n%s", out)
	}
	_, _, cookie := srv.signIn(t, adminPassword)
	if cookie == nil {
		t.Fatal("no session")
	}
	code, body := srv.get(t, "/api/v1/tenants/demo/roles", "Cookie", cookie.Name+"="+cookie.Value)
	if code != http.StatusOK || !strings.Contains(body, `"name":"Project Administrator"`) || !strings.Contains(body, `"name":"Project Assignment"`) {
		t.Fatalf("GET demo roles = %d %s", code, body)
	}
	code, body = srv.get(t, "/api/v1/tenants/demo/resources?type=folder", "Cookie", cookie.Name+"="+cookie.Value)
	if code != http.StatusOK || !strings.Contains(body, `"ref":"folder:APOLLO-SPECS-DRAFTS"`) {
		t.Fatalf("GET demo folders = %d %s", code, body)
	}
	if err := srv.stop(t); err != nil {
		t.Fatal(err)
	}
}
