package admin_test

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestSearchFindsAnyPartOfUsernameNameOrEmail(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		for _, u := range []struct {
			in     admin.NewUser
			status admin.Status
		}{
			{admin.NewUser{Username: "jdoe", FirstName: "John", LastName: "Doe", Email: "john.doe@example.com", Password: initialPassword}, admin.StatusActive},
			{admin.NewUser{Username: "msmith", FirstName: "Mary", LastName: "Smith", Email: "mary@smithfamily.org", Type: admin.TypeAdmin}, admin.StatusPending},
			{admin.NewUser{Username: "akowalski", FirstName: "Anna", LastName: "Kowalski", Email: "anna.k@corp.test", Type: admin.TypeReadOnly, Password: initialPassword}, admin.StatusActive},
			{admin.NewUser{Username: "zz-bot", Email: "ops@robots.test"}, admin.StatusDeactivated},
			{admin.NewUser{Username: "sato", FirstName: "花子", LastName: "佐藤", Email: "hanako@example.jp"}, admin.StatusPending},
		} {
			created := f.MustCreateUser(f.staff, f.slug, u.in)
			switch u.status {
			case admin.StatusActive:
				f.MustSignIn(f.slug, u.in.Username, initialPassword)
			case admin.StatusDeactivated:
				if _, err := f.svc.DeactivateUser(f.staff, f.slug, created.ID); err != nil {
					t.Fatal(err)
				}
			}
		}

		for _, tc := range []struct {
			filter admin.UserFilter
			want   string
		}{
			// Three characters or more: any substring.
			{admin.UserFilter{Q: "doe"}, "jdoe"},
			{admin.UserFilter{Q: "DOE"}, "jdoe"},
			{admin.UserFilter{Q: "  Doe  "}, "jdoe"},
			{admin.UserFilter{Q: "smith"}, "msmith"},
			{admin.UserFilter{Q: "owals"}, "akowalski"},
			{admin.UserFilter{Q: "ary"}, "msmith"},
			{admin.UserFilter{Q: "corp"}, "akowalski"},
			{admin.UserFilter{Q: "@corp.t"}, "akowalski"},
			{admin.UserFilter{Q: "family.org"}, "msmith"},
			{admin.UserFilter{Q: "n.d"}, "jdoe"},
			{admin.UserFilter{Q: "example"}, "jdoe,sato"},
			{admin.UserFilter{Q: "john doe"}, "jdoe"},
			{admin.UserFilter{Q: "ANNA KOW"}, "akowalski"},
			{admin.UserFilter{Q: "佐藤花"}, ""},
			{admin.UserFilter{Q: "xyz"}, ""},
			{admin.UserFilter{Q: "%%%"}, ""},
			{admin.UserFilter{Q: "___"}, ""},
			{admin.UserFilter{Q: `"o"`}, ""},
			{admin.UserFilter{Q: "bot"}, ""},
			{admin.UserFilter{Q: "bot", IncludeDeactivated: true}, "zz-bot"},
			// One or two characters: the start of a username, name or address.
			{admin.UserFilter{Q: "jo"}, "jdoe"},
			{admin.UserFilter{Q: "Ko"}, "akowalski"},
			{admin.UserFilter{Q: "m"}, "msmith"},
			{admin.UserFilter{Q: "an"}, "akowalski"},
			{admin.UserFilter{Q: "佐藤"}, "sato"},
			{admin.UserFilter{Q: "z", IncludeDeactivated: true}, "zz-bot"},
			{admin.UserFilter{Q: "oe"}, ""},
			{admin.UserFilter{Q: "%"}, ""},
			{admin.UserFilter{Q: "_"}, ""},
			// Filters, alone and with a query.
			{admin.UserFilter{Type: "admin"}, "msmith"},
			{admin.UserFilter{Type: "read_only"}, "akowalski"},
			{admin.UserFilter{Type: "standard", IncludeDeactivated: true}, "jdoe,sato,zz-bot"},
			{admin.UserFilter{Status: "active"}, "akowalski,jdoe"},
			{admin.UserFilter{Status: "pending"}, "msmith,sato"},
			{admin.UserFilter{Status: "deactivated", Q: "ops"}, "zz-bot"},
			{admin.UserFilter{Q: "example", Status: "active"}, "jdoe"},
			{admin.UserFilter{Q: "a", Type: "read_only", Status: "active"}, "akowalski"},
			{admin.UserFilter{Q: "o", Type: "standard"}, ""},
		} {
			if got := strings.Join(f.usernames(f.slug, tc.filter), ","); got != tc.want {
				t.Errorf("SearchUsers(%+v) = [%s], want [%s]", tc.filter, got, tc.want)
			}
		}
	})
}

func TestSearchSortsByEveryOrder(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		for _, u := range []admin.NewUser{
			{Username: "delta", FirstName: "Dan", LastName: "Zeller", Email: "a@zeller.test"},
			{Username: "Alpha", FirstName: "Eve", LastName: "Young", Email: "D@young.test"},
			{Username: "charlie", FirstName: "Ann", LastName: "Young", Email: "b@young.test"},
			{Username: "bravo", FirstName: "Bob", LastName: "adams", Email: "e@adams.test"},
			{Username: "echo", FirstName: "Cy", LastName: "Baker", Email: "c@baker.test"},
		} {
			f.MustCreateUser(f.staff, f.slug, u)
			f.clock.Advance(time.Second)
		}
		for _, tc := range []struct {
			sort, want string
		}{
			{"", "Alpha,bravo,charlie,delta,echo"},
			{"username", "Alpha,bravo,charlie,delta,echo"},
			{"-username", "echo,delta,charlie,bravo,Alpha"},
			{"email", "delta,charlie,echo,Alpha,bravo"},
			{"name", "bravo,echo,charlie,Alpha,delta"},
			{"created_at", "delta,Alpha,charlie,bravo,echo"},
			{"-created_at", "echo,bravo,charlie,Alpha,delta"},
		} {
			for _, limit := range []int{0, 2} {
				got := strings.Join(f.usernames(f.slug, admin.UserFilter{Sort: tc.sort, Limit: limit}), ",")
				if got != tc.want {
					t.Errorf("sort %q, pages of %d: [%s], want [%s]", tc.sort, limit, got, tc.want)
				}
			}
		}
	})
}

func TestKeysetPagingVisitsEveryUserExactlyOnce(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		const n, limit = 120, 25
		f := MustFixture(t, db)
		firsts := []string{"Ann", "bob", "Cid", "dee"}
		lasts := []string{"Lee", "lee", "Moss", "Ng", "Olsen"}
		var users []*admin.User
		for i := range n {
			name := "user"
			if i%3 == 0 {
				name = "User"
			}
			u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{
				Username:  fmt.Sprintf("%s-%03d", name, (i*37)%n), // not in creation order
				Email:     fmt.Sprintf("m%03d@example.com", (i*53)%n),
				FirstName: firsts[i%len(firsts)], LastName: lasts[i%len(lasts)],
			})
			if i%5 == 4 {
				if _, err := f.svc.DeactivateUser(f.staff, f.slug, u.ID); err != nil {
					t.Fatal(err)
				}
				u.Status = admin.StatusDeactivated
			}
			users = append(users, u)
			if i%7 == 6 {
				f.clock.Advance(time.Second) // runs of equal created_at
			}
		}

		for _, sort := range []admin.UserSort{admin.SortUsername, admin.SortUsernameDesc, admin.SortEmail, admin.SortName, admin.SortCreated, admin.SortCreatedDesc} {
			for _, tc := range []struct {
				name   string
				filter admin.UserFilter
				keep   func(*admin.User) bool
			}{
				{"all", admin.UserFilter{IncludeDeactivated: true}, func(*admin.User) bool { return true }},
				{"not deactivated", admin.UserFilter{}, func(u *admin.User) bool { return u.Status != admin.StatusDeactivated }},
				{"q lee", admin.UserFilter{Q: "lee", IncludeDeactivated: true}, func(u *admin.User) bool { return strings.EqualFold(u.LastName, "lee") }},
				{"q user-0", admin.UserFilter{Q: "user-0"}, func(u *admin.User) bool {
					return strings.HasPrefix(strings.ToLower(u.Username), "user-0") && u.Status != admin.StatusDeactivated
				}},
			} {
				t.Run(string(sort)+"/"+tc.name, func(t *testing.T) {
					var want []string
					var keep []*admin.User
					for _, u := range users {
						if tc.keep(u) {
							keep = append(keep, u)
						}
					}
					slices.SortFunc(keep, func(a, b *admin.User) int {
						c := compareKeys(sort, a, b)
						if c == 0 {
							c = strings.Compare(a.ID, b.ID)
						}
						if sort == admin.SortUsernameDesc || sort == admin.SortCreatedDesc {
							c = -c
						}
						return c
					})
					for _, u := range keep {
						want = append(want, u.Username)
					}

					filter := tc.filter
					filter.Sort, filter.Limit = string(sort), limit
					var got []string
					seen := map[string]bool{}
					pages := 0
					for {
						page, err := f.svc.SearchUsers(f.staff, f.slug, filter)
						wantOK(t, "SearchUsers", err)
						pages++
						if len(page.Items) > limit || (page.NextCursor != "" && len(page.Items) != limit) {
							t.Fatalf("page %d has %d users (limit %d) and next cursor %q", pages, len(page.Items), limit, page.NextCursor)
						}
						for _, u := range page.Items {
							if seen[u.ID] {
								t.Fatalf("%s appears twice (page %d)", u.Username, pages)
							}
							seen[u.ID] = true
							got = append(got, u.Username)
						}
						if page.NextCursor == "" {
							break
						}
						if pages > n {
							t.Fatal("paging does not end")
						}
						filter.Cursor = page.NextCursor
					}
					if !slices.Equal(got, want) {
						t.Errorf("paging found %d users in order\n%v\nwant %d\n%v", len(got), got, len(want), want)
					}
					if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
						t.Errorf("%d pages for %d users by %d, want %d", pages, len(want), limit, wantPages)
					}
				})
			}
		}
	})
}

// compareKeys orders two users by a sort order's key, ascending.
func compareKeys(s admin.UserSort, a, b *admin.User) int {
	switch s {
	case admin.SortEmail:
		return strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
	case admin.SortName:
		return strings.Compare(strings.ToLower(a.LastName+"\x1f"+a.FirstName), strings.ToLower(b.LastName+"\x1f"+b.FirstName))
	case admin.SortCreated, admin.SortCreatedDesc:
		return cmp.Compare(a.CreatedAt.UnixMicro(), b.CreatedAt.UnixMicro())
	default:
		return strings.Compare(strings.ToLower(a.Username), strings.ToLower(b.Username))
	}
}

func cursorOf(sort, key, id string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"s":%q,"k":%q,"i":%q}`, sort, key, id))
}

func TestSearchRefusesBadCursorsAndParameters(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		for i := range 3 {
			f.MustUser("p"+strconv.Itoa(i), admin.TypeStandard)
		}
		page, err := f.svc.SearchUsers(f.staff, f.slug, admin.UserFilter{Limit: 1})
		wantOK(t, "first page", err)
		if page.NextCursor == "" || len(page.Items) != 1 {
			t.Fatalf("first page of 1: %d users, cursor %q", len(page.Items), page.NextCursor)
		}
		page0, err := f.svc.SearchUsers(f.staff, f.slug, admin.UserFilter{})
		wantOK(t, "default limit", err)
		if len(page0.Items) != 3 || page0.NextCursor != "" {
			t.Errorf("default page: %d users, cursor %q; want all 3 and no cursor", len(page0.Items), page0.NextCursor)
		}

		for _, tc := range []struct {
			name        string
			filter      admin.UserFilter
			field, code string
		}{
			{"garbage cursor", admin.UserFilter{Cursor: "not a cursor!"}, "cursor", "invalid_cursor"},
			{"cursor of another sort", admin.UserFilter{Cursor: page.NextCursor, Sort: "email"}, "cursor", "invalid_cursor"},
			{"cursor of another direction", admin.UserFilter{Cursor: page.NextCursor, Sort: "-username"}, "cursor", "invalid_cursor"},
			{"cursor without an id", admin.UserFilter{Cursor: base64.RawURLEncoding.EncodeToString([]byte(`{"s":"username","k":"p0"}`))}, "cursor", "invalid_cursor"},
			{"cursor that is not JSON", admin.UserFilter{Cursor: base64.RawURLEncoding.EncodeToString([]byte(`username:p0`))}, "cursor", "invalid_cursor"},
			{"created_at cursor with a text key", admin.UserFilter{Sort: "created_at", Cursor: cursorOf("created_at", "yesterday", "x")}, "cursor", "invalid_cursor"},
			{"huge cursor", admin.UserFilter{Cursor: strings.Repeat("A", 2000)}, "cursor", "invalid_cursor"},
			{"limit -1", admin.UserFilter{Limit: -1}, "limit", "out_of_range"},
			{"limit 501", admin.UserFilter{Limit: 501}, "limit", "out_of_range"},
			{"unknown sort", admin.UserFilter{Sort: "password"}, "sort", "invalid_sort"},
			{"unknown status", admin.UserFilter{Status: "zombie"}, "status", "invalid_status"},
			{"unknown type", admin.UserFilter{Type: "owner"}, "type", "invalid_type"},
			{"query of 101", admin.UserFilter{Q: strings.Repeat("q", 101)}, "q", "too_long"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.SearchUsers(f.staff, f.slug, tc.filter)
				wantFieldErr(t, err, admin.KindInvalid, tc.code, tc.field)
			})
		}

		_, err = f.svc.SearchUsers(f.staff, f.slug, admin.UserFilter{Limit: 500, Q: strings.Repeat("q", 100)})
		wantOK(t, "limit 500 and a query of 100", err)
		// A hand-made cursor of the right shape is just a position.
		page, err = f.svc.SearchUsers(f.staff, f.slug, admin.UserFilter{Cursor: cursorOf("username", "p0", "~")})
		wantOK(t, "hand-made cursor", err)
		if got := len(page.Items); got != 2 {
			t.Errorf("after p0: %d users, want 2", got)
		}
	})
}
