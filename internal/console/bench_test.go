package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"roster/internal/admin"
)

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
	for _, bc := range []struct{ name, query string }{
		{"first-page", ""},
		{"find-and-group", "?q=user01&group=" + groups.Items[0].ID},
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
