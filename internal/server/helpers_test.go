package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/password"
	"roster/internal/server"
	"roster/internal/sqlstore"
)

// Passwords used throughout the tests. None contains a test username or
// e-mail address, so the identity rule of the password policy never fires
// by accident.
const (
	staffPassword   = "staff-passphrase-for-tests"
	initialPassword = "first-day-passphrase"
	userPassword    = "second-day-passphrase"
)

// testClock is a fixed clock that a test moves forward by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cheapHasher keeps tests fast: argon2id with 64 KiB and one pass.
func cheapHasher() *password.Hasher {
	return password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16})
}

// env is one Roster served over HTTP on one database, bootstrapped, with
// the staff user signed in.
type env struct {
	tb    testing.TB
	db    *sqlstore.DB
	svc   *admin.Service
	clock *testClock
	url   string
	staff *client
	// staffUser is the platform's staff user "admin".
	staffUser userJSON
}

// mustEnv serves the real handler on db and signs its staff user in.
func mustEnv(tb testing.TB, db *sqlstore.DB) *env {
	tb.Helper()
	return mustEnvWith(tb, db, nil)
}

// mustEnvWith is mustEnv with a service configured by configure.
func mustEnvWith(tb testing.TB, db *sqlstore.DB, configure func(*admin.Config)) *env {
	tb.Helper()
	// The clock starts at the real time: cookies expire by it in the client.
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	cfg := admin.Config{Store: db, Clock: clock, Hasher: cheapHasher()}
	if configure != nil {
		configure(&cfg)
	}
	svc := admin.New(cfg)
	if _, err := svc.Bootstrap(context.Background(), staffPassword); err != nil {
		tb.Fatalf("Bootstrap: %v", err)
	}
	discard := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(server.New(server.Config{Service: svc, DB: db, Logger: discard}).Handler())
	tb.Cleanup(srv.Close)
	e := &env{tb: tb, db: db, svc: svc, clock: clock, url: srv.URL}
	e.staff, e.staffUser = e.mustSignIn("", "admin", staffPassword)
	return e
}

// in returns the env for a subtest: its helpers fail tb.
func (e *env) in(tb testing.TB) *env {
	c := *e
	c.tb = tb
	return &c
}

// scenario is a rule checked on a shared env in a tenant of its own.
type scenario struct {
	name string
	run  func(t *testing.T, e *env, slug string)
}

// runScenarios runs each scenario as a subtest on one env (one database),
// each with a fresh tenant whose slug is s1, s2, …; settings configure them.
func runScenarios(t *testing.T, e *env, settings map[string]any, list []scenario) {
	t.Helper()
	for i, sc := range list {
		slug := fmt.Sprintf("s%d", i+1)
		e.mustTenant(slug, settings)
		t.Run(sc.name, func(t *testing.T) { sc.run(t, e.in(t), slug) })
	}
}

// client is one party talking to the server: a browser with its own cookie
// jar, or an API client with a bearer token.
type client struct {
	name   string
	base   string
	hc     *http.Client
	bearer string
}

// client returns a party with an empty cookie jar.
func (e *env) client(name string) *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	return &client{name: name, base: e.url, hc: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// anon is a party that never signed in.
func (e *env) anon() *client { return e.client("anonymous") }

// token returns the session token the client's cookie jar holds.
func (c *client) token() string {
	u, _ := url.Parse(c.base + "/api/v1/")
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "roster_session" {
			return ck.Value
		}
	}
	return ""
}

// reply is an HTTP answer: status, headers, raw body and, when the body is
// a JSON object, that object.
type reply struct {
	method, path string
	status       int
	header       http.Header
	raw          []byte
	obj          map[string]any
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, bytes.TrimSpace(r.raw))
}

// str returns a top-level string member of the JSON body.
func (r reply) str(key string) string {
	s, _ := r.obj[key].(string)
	return s
}

// do sends one request as c and reads the whole answer. body is sent as
// JSON unless it is a string (sent as is) or nil (no body); header holds
// extra header name/value pairs.
func do(tb testing.TB, c *client, method, path string, body any, header ...string) reply {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("encoding the body of %s %s: %v", method, path, err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		tb.Fatalf("%s %s as %s: %v", method, path, c.name, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("reading %s %s: %v", method, path, err)
	}
	r := reply{method: method, path: path, status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.obj)
	return r
}

// decode reads the body of r as a T.
func decode[T any](tb testing.TB, r reply) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(r.raw, &v); err != nil {
		tb.Fatalf("decoding %v: %v", r, err)
	}
	return v
}

// wantStatus fails unless r answered status.
func wantStatus(tb testing.TB, r reply, status int) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("got %v, want status %d", r, status)
	}
}

// wantProblem fails unless r is an application/problem+json answer with
// status and code, and, when field is given, names that field.
func wantProblem(tb testing.TB, r reply, status int, code string, field ...string) {
	tb.Helper()
	if r.status != status || r.str("code") != code {
		tb.Fatalf("got %v, want %d %q", r, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("%v: Content-Type %q, want application/problem+json", r, ct)
	}
	if got := int(r.obj["status"].(float64)); got != status {
		tb.Fatalf("%v: problem status member %d, want %d", r, got, status)
	}
	if len(field) > 0 && r.str("field") != field[0] {
		tb.Fatalf("%v: field %q, want %q", r, r.str("field"), field[0])
	}
}

// Wire shapes of SPEC §3, declared here rather than borrowed from package
// rest so that a renamed field fails these tests.

type userJSON struct {
	ID                    string     `json:"id"`
	Tenant                string     `json:"tenant"`
	Staff                 bool       `json:"staff"`
	Username              string     `json:"username"`
	Email                 string     `json:"email"`
	FirstName             string     `json:"first_name"`
	LastName              string     `json:"last_name"`
	Phone                 string     `json:"phone"`
	Locale                string     `json:"locale"`
	Type                  string     `json:"type"`
	Auth                  string     `json:"auth"`
	Status                string     `json:"status"`
	ExpiresAt             *time.Time `json:"expires_at"`
	Locked                bool       `json:"locked"`
	MustChangePassword    bool       `json:"must_change_password"`
	MFAEnforced           bool       `json:"mfa_enforced"`
	MFAEnrolled           bool       `json:"mfa_enrolled"`
	MFAEnrollmentRequired bool       `json:"mfa_enrollment_required"`
	LockedUntil           *time.Time `json:"locked_until"`
	DeactivatedByLicence  bool       `json:"deactivated_by_licence"`
	NotificationsDisabled bool       `json:"notifications_disabled"`
	OtherRecipients       []string   `json:"other_recipients"`
	RemovedAt             *time.Time `json:"removed_at"`
	RestorableUntil       *time.Time `json:"restorable_until"`
}

type settingsJSON struct {
	MaxUsers           int    `json:"max_users"`
	LockoutThreshold   int    `json:"lockout_threshold"`
	LockoutCooloff     int    `json:"lockout_cooloff_minutes"`
	MFARequired        bool   `json:"mfa_required"`
	PasswordMinLength  int    `json:"password_min_length"`
	SessionIdleMinutes int    `json:"session_idle_minutes"`
	Locale             string `json:"locale"`
}

type tenantJSON struct {
	ID        string `json:"id"`
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	UserCount int    `json:"user_count"`
	settingsJSON
	Settings settingsJSON `json:"settings"`
}

type sessionJSON struct {
	ID      string `json:"id"`
	Current bool   `json:"current"`
}

type auditJSON struct {
	ID    string    `json:"id"`
	At    time.Time `json:"at"`
	Actor *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Staff    bool   `json:"staff"`
	} `json:"actor"`
	Action string `json:"action"`
	Target struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"target"`
	Outcome string         `json:"outcome"`
	Reason  string         `json:"reason"`
	Details map[string]any `json:"details"`
}

type pageJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// signIn posts credentials as c; tenant "" leaves the member out (staff).
func signIn(tb testing.TB, c *client, tenant, login, pw string) reply {
	tb.Helper()
	body := map[string]any{"username": login, "password": pw}
	if tenant != "" {
		body["tenant"] = tenant
	}
	return do(tb, c, "POST", "/api/v1/session", body)
}

// mustSignIn signs in a new party and returns it with its user.
func (e *env) mustSignIn(tenant, login, pw string) (*client, userJSON) {
	e.tb.Helper()
	c := e.client(login)
	r := signIn(e.tb, c, tenant, login, pw)
	wantStatus(e.tb, r, http.StatusOK)
	return c, decode[struct {
		User userJSON `json:"user"`
	}](e.tb, r).User
}

// mustTenant creates a tenant as staff; settings go at the top level.
func (e *env) mustTenant(slug string, settings map[string]any) tenantJSON {
	e.tb.Helper()
	body := map[string]any{"slug": slug, "name": "Tenant " + slug}
	for k, v := range settings {
		body[k] = v
	}
	r := do(e.tb, e.staff, "POST", "/api/v1/tenants", body)
	wantStatus(e.tb, r, http.StatusCreated)
	return decode[tenantJSON](e.tb, r)
}

// mustCreateUser creates a user as c; the e-mail defaults to
// username@example.com.
func (e *env) mustCreateUser(c *client, slug string, fields map[string]any) userJSON {
	e.tb.Helper()
	body := map[string]any{}
	for k, v := range fields {
		body[k] = v
	}
	if body["email"] == nil {
		body["email"] = fmt.Sprint(body["username"]) + "@example.com"
	}
	r := do(e.tb, c, "POST", "/api/v1/tenants/"+slug+"/users", body)
	wantStatus(e.tb, r, http.StatusCreated)
	return decode[userJSON](e.tb, r)
}

// mustMember creates a user of typ with an initial password, signs them in
// (which activates them) and sets their own password, lifting the forced
// change; it returns the signed-in party and the user as staff sees it.
func (e *env) mustMember(slug, username, typ string) (*client, userJSON) {
	e.tb.Helper()
	u := e.mustCreateUser(e.staff, slug, map[string]any{"username": username, "type": typ, "password": initialPassword})
	c, _ := e.mustSignIn(slug, username, initialPassword)
	r := do(e.tb, c, "POST", "/api/v1/me/password", map[string]any{"current_password": initialPassword, "new_password": userPassword})
	wantStatus(e.tb, r, http.StatusOK)
	return c, e.mustGetUser(slug, u.ID)
}

// mustGetUser reads a user as staff.
func (e *env) mustGetUser(slug, id string) userJSON {
	e.tb.Helper()
	r := do(e.tb, e.staff, "GET", "/api/v1/tenants/"+slug+"/users/"+id, nil)
	wantStatus(e.tb, r, http.StatusOK)
	return decode[userJSON](e.tb, r)
}

// usernames lists users of a tenant as c, following next_cursor through
// every page, and returns their usernames in order.
func (e *env) usernames(c *client, slug, query string) []string {
	e.tb.Helper()
	out := []string{}
	path := "/api/v1/tenants/" + slug + "/users?" + query
	for range 1000 {
		r := do(e.tb, c, "GET", path, nil)
		wantStatus(e.tb, r, http.StatusOK)
		p := decode[pageJSON[userJSON]](e.tb, r)
		for _, u := range p.Items {
			out = append(out, u.Username)
		}
		if p.NextCursor == "" {
			return out
		}
		path = "/api/v1/tenants/" + slug + "/users?" + query + "&cursor=" + url.QueryEscape(p.NextCursor)
	}
	e.tb.Fatalf("listing users of %s?%s never ends", slug, query)
	return nil
}

// audit returns a tenant's audit events selected by query, every page, as staff.
func (e *env) audit(slug, query string) []auditJSON {
	e.tb.Helper()
	var out []auditJSON
	path := "/api/v1/tenants/" + slug + "/audit?limit=500&" + query
	for range 1000 {
		r := do(e.tb, e.staff, "GET", path, nil)
		wantStatus(e.tb, r, http.StatusOK)
		p := decode[pageJSON[auditJSON]](e.tb, r)
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		path = "/api/v1/tenants/" + slug + "/audit?limit=500&" + query + "&cursor=" + url.QueryEscape(p.NextCursor)
	}
	e.tb.Fatalf("listing the audit trail of %s never ends", slug)
	return nil
}

// snapshot is what a refused request must not change, as staff reads it:
// the tenant with its seat count, every user who is not removed (a removal
// or a restore changes this list) and the newest audit event (the trail
// is append-only, so any new event replaces it).
func (e *env) snapshot(slug string) string {
	e.tb.Helper()
	var b strings.Builder
	for _, path := range []string{
		"/api/v1/tenants/" + slug,
		"/api/v1/tenants/" + slug + "/users?include_deactivated=true&limit=500",
		"/api/v1/tenants/" + slug + "/audit?limit=1",
	} {
		r := do(e.tb, e.staff, "GET", path, nil)
		wantStatus(e.tb, r, http.StatusOK)
		b.Write(r.raw)
	}
	return b.String()
}

// wantUnchanged fails when a snapshot differs from before.
func (e *env) wantUnchanged(slug, before string, after reply) {
	e.tb.Helper()
	if now := e.snapshot(slug); now != before {
		e.tb.Fatalf("the refused request %v changed tenant %s:\nbefore %s\nafter  %s", after, slug, before, now)
	}
}

var requestIDMember = regexp.MustCompile(`,?"request_id":"[^"]*"`)

// withoutRequestID is a body with its request_id member taken out.
func withoutRequestID(raw []byte) string {
	return requestIDMember.ReplaceAllString(string(raw), "")
}

// acmeAndGlobex starts a server with two tenants, acme and globex, and
// signs in acme's admin, ada.
func acmeAndGlobex(t *testing.T, db *sqlstore.DB) (*env, *client) {
	t.Helper()
	e := mustEnv(t, db)
	e.mustTenant("acme", nil)
	e.mustTenant("globex", nil)
	ada, _ := e.mustMember("acme", "ada", "admin")
	return e, ada
}
