package console_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/internal/admin"
)

var nextLink = regexp.MustCompile(`href="([^"]*)" rel="next"`)

// BenchmarkUsersPage measures the Users & Groups page as a browser gets
// it: session check, tenant, a page of 50 users, the Groups panel with a
// selected group and its members, rendering. The store's search at a
// million users is measured in internal/sqlstore.
func BenchmarkUsersPage(b *testing.B) {
	e := mustEnv(b)
	if _, err := e.svc.GetTenant(e.staff(), "benchpage"); err != nil {
		e.mustTenant(b, "benchpage")
		var ids []string
		for i := range 500 {
			u, err := e.svc.CreateUser(e.staff(), "benchpage", admin.NewUser{Username: fmt.Sprintf("user%04d", i), Email: fmt.Sprintf("user%04d@bench.test", i), FirstName: "Bench", LastName: fmt.Sprint(i)})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		for i := range 20 {
			g, err := e.svc.CreateGroup(e.staff(), "benchpage", admin.NewGroup{Name: fmt.Sprintf("Group %02d", i)})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.svc.AddMembers(e.staff(), "benchpage", g.ID, ids[i*20:i*20+20]); err != nil {
				b.Fatal(err)
			}
		}
	}
	groups, _ := e.svc.ListGroups(e.staff(), "benchpage", admin.GroupFilter{Limit: 1})
	c := benchClient(b, e)
	// The third page, reached through Next twice: its URL carries the
	// cursor and the way back (two cursors), as the browser has it.
	page := "/t/benchpage/users"
	for range 2 {
		res, err := c.Get(e.url + page)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := nextLink.FindStringSubmatch(string(body))
		if m == nil {
			b.Fatal("no next page")
		}
		page = html.UnescapeString(m[1])
	}
	// A user with a role, a group and access to all projects, for the dialog.
	p, _ := e.svc.SearchUsers(e.staff(), "benchpage", admin.UserFilter{Q: "user0007"})
	if _, err := e.svc.CreateResource(e.staff(), "benchpage", admin.NewResource{Type: "project", Key: "P1"}); err == nil {
		if err := e.svc.ChangeUserAccess(e.staff(), "benchpage", p.Items[0].ID, admin.UserAccessChange{
			AddGrants: []admin.UserGrant{{Resource: "tenant:benchpage", Role: "auditor"}, {Resource: "collection:project", Role: "auditor"}, {Resource: "project:P1", Role: "auditor"}},
		}); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct{ name, query string }{
		{"first-page", ""},
		{"find-and-group", "?q=user01&group=" + groups.Items[0].ID},
		{"third-page-with-way-back", strings.TrimPrefix(page, "/t/benchpage/users")},
		{"edit-dialog-with-access", "?edit=" + p.Items[0].ID},
		{"effective-permissions", "/" + p.Items[0].ID + "/permissions?resource=project:P1"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := c.Get(e.url + "/t/benchpage/users" + bc.query)
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("GET: %v %v", err, res.Status)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
}

// BenchmarkPermissionPages measures the Project permissions matrix (a page
// of 12 projects with their grants, subjects and misconfigurations) and
// the Folder permissions page of a folder three levels down, over HTTP as
// a browser gets them, in a tenant of 300 users, 20 groups and 30
// projects, each with two teams, ten users granted directly (so the badge
// has problems to list) and a folder chain with a grant on each level.
func BenchmarkPermissionPages(b *testing.B) {
	e := mustEnv(b)
	const slug = "benchmatrix"
	if _, err := e.svc.GetTenant(e.staff(), slug); err != nil {
		e.mustTenant(b, slug)
		var users []string
		for i := range 300 {
			u, err := e.svc.CreateUser(e.staff(), slug, admin.NewUser{Username: fmt.Sprintf("user%04d", i), Email: fmt.Sprintf("user%04d@bench.test", i)})
			if err != nil {
				b.Fatal(err)
			}
			users = append(users, u.ID)
		}
		var groups []string
		for i := range 20 {
			g := e.mustGroup(b, slug, fmt.Sprintf("Group %02d", i), users[i*15:i*15+15]...)
			groups = append(groups, g.ID)
		}
		for p := range 30 {
			key := fmt.Sprintf("P%02d", p)
			e.mustResource(b, slug, "project", key, fmt.Sprintf("Project %02d", p), "")
			parent := "project:" + key
			for d := range 3 {
				f := fmt.Sprintf("%s-F%d", key, d)
				e.mustResource(b, slug, "folder", f, fmt.Sprintf("Folder %d", d), parent)
				e.mustGrant(b, slug, admin.SubjectUser, users[(p*7+d)%300], "auditor", "folder:"+f, "")
				parent = "folder:" + f
			}
			e.mustGrant(b, slug, admin.SubjectGroup, groups[p%20], "auditor", "project:"+key, "")
			e.mustGrant(b, slug, admin.SubjectGroup, groups[(p+7)%20], "auditor", "project:"+key, admin.AccessReadOnly)
			for u := range 10 {
				e.mustGrant(b, slug, admin.SubjectUser, users[(p*10+u)%300], "auditor", "project:"+key, "")
			}
		}
	}
	c := benchClient(b, e)
	for _, bc := range []struct{ name, path string }{
		{"matrix", "/t/" + slug + "/projects"},
		{"folder", "/t/" + slug + "/folders?node=folder:P03-F2"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := c.Get(e.url + bc.path)
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("GET: %v %v", err, res.Status)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
}

// benchClient is an HTTP client signed in as staff.
func benchClient(b *testing.B, e *env) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(e.url + "/sign-in")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := csrfField.FindStringSubmatch(string(body))[1]
	if res, err = c.PostForm(e.url+"/sign-in", url.Values{"csrf": {token}, "username": {"admin"}, "password": {staffPassword}}); err != nil || res.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign-in: %v", err)
	}
	res.Body.Close()
	return c
}
