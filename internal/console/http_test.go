package console_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"roster/internal/admin"
)

// browser is a plain HTTP client with cookies, for the rules that need no
// script: headers, CSRF, redirects, access.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) client(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	res, err := b.c.Get(b.e.url + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(body)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf is the token of the forms of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get(path).body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(body)}
}

func (b *browser) signIn(tenant, login, pw string) {
	b.t.Helper()
	a := b.post("/sign-in", url.Values{"csrf": {b.csrf("/sign-in")}, "tenant": {tenant}, "username": {login}, "password": {pw}})
	if a.status != http.StatusSeeOther {
		b.t.Fatalf("sign-in as %s: status %d\n%.2000s", login, a.status, a.body)
	}
}

func TestConsolePagesCarryStrictSecurityHeaders(t *testing.T) {
	e := mustEnv(t)
	b := e.client(t)
	anon := e.client(t)
	b.signIn("", "admin", staffPassword)
	for _, path := range []string{"/sign-in", "/tenants", "/account"} {
		c := b
		if path == "/sign-in" {
			c = anon
		}
		a := c.get(path)
		if a.status != http.StatusOK {
			t.Fatalf("GET %s = %d", path, a.status)
		}
		csp := a.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(a.body, "<script>") || strings.Contains(a.body, " onclick=") || strings.Contains(a.body, " style=") {
			t.Errorf("%s: inline script or style", path)
		}
		if a.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options = %q", path, a.header.Get("X-Frame-Options"))
		}
	}
}

func TestConsoleFormsWithoutTheCSRFTokenChangeNothing(t *testing.T) {
	e := mustEnv(t)
	b := e.client(t)
	b.signIn("", "admin", staffPassword)
	for _, token := range []string{"", "forged-token"} {
		a := b.post("/tenants", url.Values{"csrf": {token}, "slug": {"csrf-victim"}, "name": {"Victim"}})
		if a.status != http.StatusForbidden {
			t.Errorf("create tenant with csrf %q: status %d, want 403", token, a.status)
		}
	}
	if _, err := e.svc.GetTenant(e.staff(), "csrf-victim"); admin.KindOf(err) != admin.KindNotFound {
		t.Errorf("a forged form created a tenant: %v", err)
	}
	// Another browser's token does not work either: it is bound to the session.
	other := e.client(t)
	other.signIn("", "admin", staffPassword)
	if a := b.post("/tenants", url.Values{"csrf": {other.csrf("/tenants")}, "slug": {"csrf-victim"}, "name": {"Victim"}}); a.status != http.StatusForbidden {
		t.Errorf("another session's token: status %d, want 403", a.status)
	}
	// A sign-in form with no token is refused too (login CSRF).
	anon := e.client(t)
	if a := anon.post("/sign-in", url.Values{"username": {"admin"}, "password": {staffPassword}}); a.status != http.StatusForbidden {
		t.Errorf("sign-in without token: status %d, want 403", a.status)
	}
}

func TestConsoleSignInNeverRedirectsOffSite(t *testing.T) {
	e := mustEnv(t)
	for _, next := range []string{"https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"} {
		b := e.client(t)
		a := b.post("/sign-in", url.Values{"csrf": {b.csrf("/sign-in")}, "username": {"admin"}, "password": {staffPassword}, "next": {next}})
		if loc := a.header.Get("Location"); a.status != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q: status %d, Location %q; want 303 to /", next, a.status, loc)
		}
	}
}

func TestConsoleFailedSignInSaysTheSameWhateverTheReason(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "samesay")
	e.mustUser(t, "samesay", "sam", admin.TypeStandard, "sam's first password")
	var first string
	for _, c := range []struct{ tenant, login, pw string }{{"samesay", "sam", "wrong password!!"}, {"samesay", "nobody", "wrong password!!"}, {"nowhere", "sam", "wrong password!!"}} {
		b := e.client(t)
		a := b.post("/sign-in", url.Values{"csrf": {b.csrf("/sign-in")}, "tenant": {c.tenant}, "username": {c.login}, "password": {c.pw}})
		if a.status != http.StatusUnauthorized {
			t.Fatalf("%+v: status %d, want 401", c, a.status)
		}
		msg := regexp.MustCompile(`(?s)<p class="problem"[^>]*>(.*?)</p>`).FindStringSubmatch(a.body)
		if msg == nil {
			t.Fatalf("%+v: no error shown", c)
		}
		if first == "" {
			first = msg[1]
		} else if msg[1] != first {
			t.Errorf("%+v says %q, the first failure said %q", c, msg[1], first)
		}
	}
}

func TestConsoleHidesOtherTenantsAndRefusesNonAdmins(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "mine")
	e.mustTenant(t, "theirs")
	e.mustAdmin(t, "mine", "meg", "meg is an administrator", "")
	victim := e.mustUser(t, "theirs", "vic", admin.TypeStandard, "")
	e.mustUser(t, "mine", "stan", admin.TypeStandard, "")
	no := false
	stan, _ := e.svc.SearchUsers(e.staff(), "mine", admin.UserFilter{Q: "stan"})
	e.svc.UpdateUser(e.staff(), "mine", stan.Items[0].ID, admin.UserPatch{MustChangePassword: &no})

	meg := e.client(t)
	meg.signIn("mine", "meg", "meg is an administrator")
	for _, path := range []string{"/t/theirs/users", "/t/theirs/audit", "/t/theirs/settings", "/t/theirs/users?edit=" + victim.ID, "/tenants"} {
		a := meg.get(path)
		want := http.StatusNotFound
		if path == "/tenants" {
			want = http.StatusForbidden
		}
		if a.status != want {
			t.Errorf("meg GET %s = %d, want %d", path, a.status, want)
		}
		if strings.Contains(a.body, "vic@theirs.test") {
			t.Errorf("meg GET %s shows the other tenant's user", path)
		}
	}
	token := meg.csrf("/t/mine/users")
	if a := meg.post("/t/theirs/users/"+victim.ID+"/deactivate", url.Values{"csrf": {token}}); a.status != http.StatusNotFound {
		t.Errorf("meg deactivating another tenant's user: %d, want 404", a.status)
	}
	if u, _ := e.svc.GetUser(e.staff(), "theirs", victim.ID); u.Status != admin.StatusPending {
		t.Errorf("the other tenant's user changed: %s", u.Status)
	}
	// The own tenant's users page works; the home page leads there.
	if a := meg.get("/"); a.header.Get("Location") != "/t/mine/users" {
		t.Errorf("meg's home leads to %q", a.header.Get("Location"))
	}
}

func TestConsoleRestrictedSessionOnlyChangesItsPassword(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "restricted")
	e.mustUser(t, "restricted", "rita", admin.TypeAdmin, "a temporary passphrase")
	b := e.client(t)
	b.signIn("restricted", "rita", "a temporary passphrase")
	for _, path := range []string{"/", "/account", "/t/restricted/users", "/t/restricted/audit"} {
		if a := b.get(path); a.status != http.StatusSeeOther || a.header.Get("Location") != "/password" {
			t.Errorf("GET %s = %d to %q, want 303 to /password", path, a.status, a.header.Get("Location"))
		}
	}
	// A mismatched confirmation is caught beside its field and changes nothing.
	a := b.post("/password", url.Values{"csrf": {b.csrf("/password")}, "current_password": {"a temporary passphrase"}, "new_password": {"a brand new passphrase"}, "new_password_confirm": {"another passphrase"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="err-new_password_confirm"`) {
		t.Errorf("mismatch: status %d, error beside the confirmation missing", a.status)
	}
}

// TestCataloguesHaveEveryKey checks that English and Japanese carry the
// same messages and that every key the templates and pages use exists.
func TestCataloguesHaveEveryKey(t *testing.T) {
	load := func(lang string) map[string]string {
		b, err := os.ReadFile("messages/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	en, ja := load("en"), load("ja")
	for k := range en {
		if _, ok := ja[k]; !ok {
			t.Errorf("ja lacks %q", k)
		}
	}
	for k := range ja {
		// Japanese has texts for the domain's error codes, whose English
		// is the domain's own message.
		if _, ok := en[k]; !ok && !strings.HasPrefix(k, "error.") {
			t.Errorf("en lacks %q", k)
		}
	}
	used := regexp.MustCompile(`(?:\.T|T\(|Disable\([^,]+,|Field\("[a-z_]+",|Check\("[a-z_]+",|field\("[a-z_]+",) ?"([a-z_]+\.[a-z_.]+)"`)
	fsys := os.DirFS(".")
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".html") || (strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"))) {
			return err
		}
		b, _ := fs.ReadFile(fsys, p)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses %q, which the English catalogue lacks", p, m[1])
			}
		}
		return nil
	})
}
