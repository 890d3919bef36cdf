package sqlstore_test

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestSearchPagesMatchAPlainEvaluation pages through searches in every sort
// order and compares each page with the same search done in Go. The tenant
// is large and the queries dense enough that SQLite takes both of its
// strategies: a list of trigram matches, and a walk of the sort order's
// covering index.
func TestSearchPagesMatchAPlainEvaluation(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tid := MustTenant(t, db, "search", 0)
		firsts := []string{"Anna", "Ben", "Carla", "Kim", "Yui"}
		lasts := []string{"Kimura", "Smith", "Tanaka", "Lee", "Joakim"}
		statuses := []admin.Status{admin.StatusActive, admin.StatusActive, admin.StatusPending, admin.StatusDeactivated}
		var users []*admin.User
		err := db.Update(ctx, func(tx admin.Tx) error {
			for i := range 1200 {
				at := t0.Add(time.Duration(i%97) * time.Minute) // shared creation times: the id breaks ties
				u := &admin.User{
					ID: fmt.Sprintf("u-%05d", i), TenantID: tid, Username: fmt.Sprintf("user%04d", (i*7919)%10000),
					Email:     fmt.Sprintf("m%d@%s.test", i, []string{"example", "sample", "acme"}[i%3]),
					FirstName: firsts[i%len(firsts)], LastName: lasts[(i/5)%len(lasts)],
					Locale: "en", Type: admin.TypeStandard, Auth: admin.AuthPassword, Status: statuses[i%len(statuses)],
					CreatedAt: at, UpdatedAt: at,
				}
				if i%10 == 0 {
					u.Type = admin.TypeAdmin
				}
				if err := tx.InsertUser(ctx, u); err != nil {
					return err
				}
				users = append(users, u)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if db.Engine() == "postgres" {
			// With a sample of the search texts, PostgreSQL weighs walking
			// on against sorting by the share of the sample a query
			// matches (below, {30, 300, 400} walks on for "kim").
			if _, err := db.SQL().ExecContext(ctx, `ANALYZE users`); err != nil {
				t.Fatal(err)
			}
			for q, want := range map[string][2]float64{"kim": {0.3, 0.7}, "qqqxqq": {0, 0}, "user0": {0.01, 0.2}} {
				share, err := db.SearchShare(q)
				if err != nil || share < want[0] || share > want[1] {
					t.Errorf("the share of the sample %q matches = %v, %v; want %v", q, share, err, want)
				}
			}
		}
		sorts := []admin.UserSort{admin.SortUsername, admin.SortUsernameDesc, admin.SortEmail, admin.SortName, admin.SortCreated, admin.SortCreatedDesc}
		queries := []admin.UserQuery{
			{Q: "kim"},    // dense: Kim, Kimura, Joakim
			{Q: "ample"},  // dense: example, sample
			{Q: "user0"},  // sparse
			{Q: " ta"},    // a word start
			{Q: "qqqxqq"}, // nothing
			{Q: "kim", Statuses: []admin.Status{admin.StatusActive}},
			{Q: "ample", Type: admin.TypeAdmin},
			{Statuses: []admin.Status{admin.StatusPending}},
		}
		// Each setting of the stage bounds makes the queries end in another
		// stage: the defaults (a short walk sees the whole tenant), the sorted
		// trigram matches, the long walk, the unbounded walk, and a mix.
		for _, lim := range [][3]int{{2000, 20000, 20000}, {1, 1, 5000}, {1, 5000, 1}, {1, 1, 1}, {30, 300, 400}, {100, 2000, 100}} {
			db.SetSearchLimits(lim[0], lim[1], lim[2])
			for _, base := range queries {
				for _, s := range sorts {
					checkSearch(t, db, tid, users, lim, base, s)
				}
			}
		}

		// Renames, new addresses, status and type changes and deletions
		// reach every structure a search reads (SQLite: the trigram index
		// and the sort keys beside it, kept by triggers).
		err = db.Update(ctx, func(tx admin.Tx) error {
			kept := users[:0]
			for i, u := range users {
				rewrite(u, i%7, "Kimberly", "Quist", fmt.Sprintf("moved%d@kimchi.test", i))
				if i%7 == 3 {
					if err := tx.DeleteUser(ctx, tid, u.ID); err != nil {
						return err
					}
					continue
				}
				if i%7 < 3 {
					if err := tx.UpdateUser(ctx, u); err != nil {
						return err
					}
				}
				kept = append(kept, u)
			}
			users = kept
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		check := func(t *testing.T, db *sqlstore.DB) {
			lim := [3]int{1, 1, 5000} // the sorted trigram matches
			db.SetSearchLimits(lim[0], lim[1], lim[2])
			for _, base := range []admin.UserQuery{queries[0], queries[1], queries[5], {Q: "kimchi"}, {Q: "quist", Type: admin.TypeAdmin}} {
				for _, s := range sorts {
					checkSearch(t, db, tid, users, lim, base, s)
				}
			}
		}
		check(t, db)
		if db.Engine() == "sqlite" {
			// A backup (VACUUM INTO) keeps the row ids the trigram index and
			// the sort keys refer to: the copy answers the same.
			dst := filepath.Join(t.TempDir(), "copy.db")
			if err := db.Backup(ctx, dst); err != nil {
				t.Fatal(err)
			}
			cp, err := sqlstore.Open(ctx, dst)
			if err != nil {
				t.Fatal(err)
			}
			defer cp.Close()
			check(t, cp)
		}
	})
}

// checkSearch pages through one search and compares it with plainSearch.
func checkSearch(t *testing.T, db *sqlstore.DB, tid string, users []*admin.User, lim [3]int, base admin.UserQuery, s admin.UserSort) {
	t.Helper()
	ctx := context.Background()
	q := base
	q.Sort, q.Limit, q.Now = s, 37, t0
	want := plainSearch(users, q)
	var got []string
	for page := 0; ; page++ {
		var items []*admin.User
		if err := db.View(ctx, func(tx admin.Tx) (err error) { items, err = tx.SearchUsers(ctx, tid, q); return err }); err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		for _, u := range items {
			got = append(got, u.ID)
		}
		if len(items) < q.Limit || page > 100 {
			break
		}
		last := items[len(items)-1]
		q.After = &admin.UserCursor{Key: last.SortKey(s), ID: last.ID}
	}
	if !slices.Equal(got, want) {
		t.Errorf("limits %v q=%q statuses=%v type=%q sort=%s: got %d users, want %d\n got %v\nwant %v",
			lim, base.Q, base.Statuses, base.Type, s, len(got), len(want), head(got), head(want))
	}
}

// rewrite changes a user by kind: 0 a new name, 1 a new address, 2 a new
// status and type; other kinds leave the user as they are.
func rewrite(u *admin.User, kind int, first, last, email string) {
	switch kind {
	case 0:
		u.FirstName, u.LastName = first, last
	case 1:
		u.Email = email
	case 2:
		u.Status, u.Type = admin.StatusActive, admin.TypeAdmin
	}
}

// plainSearch is the reference: filter, then sort by the key and the id.
func plainSearch(users []*admin.User, q admin.UserQuery) []string {
	var out []*admin.User
	for _, u := range users {
		if q.Q != "" && !strings.Contains(admin.SearchText(u.Username, u.FirstName, u.LastName, u.Email), q.Q) {
			continue
		}
		if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, u.Status) {
			continue
		}
		if q.Type != "" && u.Type != q.Type {
			continue
		}
		out = append(out, u)
	}
	desc := q.Sort == admin.SortUsernameDesc || q.Sort == admin.SortCreatedDesc
	slices.SortFunc(out, func(a, b *admin.User) int {
		var c int
		if q.Sort == admin.SortCreated || q.Sort == admin.SortCreatedDesc {
			c = a.CreatedAt.Compare(b.CreatedAt)
		} else {
			c = strings.Compare(a.SortKey(q.Sort), b.SortKey(q.Sort))
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		return c
	})
	ids := make([]string, len(out))
	for i, u := range out {
		ids[i] = u.ID
	}
	return ids
}

func head(s []string) []string { return s[:min(len(s), 8)] }

// TestSearchBlocksMatchAPlainEvaluation builds small search blocks over a
// tenant whose matches come in runs of the sort orders, and checks every
// page against the plain evaluation: first as built, then after users are
// renamed, added and deleted (searched apart until the next build), then
// with more changes than the blocks take (the ordinary stages answer), and
// built again.
func TestSearchBlocksMatchAPlainEvaluation(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tid := MustTenant(t, db, "blocks", 0)
		firsts := []string{"Ada", "Sam", "Samir", "Yui", "Zoe"}
		lasts := []string{"Kim", "Smith", "Tanaka", "Joakim", "Smithers", "Osamu"}
		var users []*admin.User
		insert := func(tx admin.Tx, i int, first, last string) error {
			at := t0.Add(time.Duration(i%53) * time.Minute)
			u := &admin.User{
				ID: fmt.Sprintf("b-%05d", i), TenantID: tid, Username: fmt.Sprintf("%s.%s.%d", strings.ToLower(first), strings.ToLower(last), i),
				Email:     fmt.Sprintf("%s.%s%d@%s.test", strings.ToLower(first[:1]), strings.ToLower(last), i, []string{"example", "sample"}[i%2]),
				FirstName: first, LastName: last, Locale: "en", Type: admin.TypeStandard, Auth: admin.AuthPassword,
				Status: []admin.Status{admin.StatusActive, admin.StatusPending, admin.StatusDeactivated}[i%3], CreatedAt: at, UpdatedAt: at,
			}
			users = append(users, u)
			return tx.InsertUser(ctx, u)
		}
		err := db.Update(ctx, func(tx admin.Tx) error {
			for i := range 900 {
				if err := insert(tx, i, firsts[(i*7)%len(firsts)], lasts[(i/3)%len(lasts)]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sorts := []admin.UserSort{admin.SortUsername, admin.SortUsernameDesc, admin.SortEmail, admin.SortName, admin.SortCreated, admin.SortCreatedDesc}
		queries := []admin.UserQuery{
			{Q: "sam"}, {Q: "smith"}, {Q: "kim"}, {Q: "osamu"}, {Q: "zzz"}, {Q: "ample"},
			{Q: "smith", Statuses: []admin.Status{admin.StatusPending}}, {Q: "sam", Type: admin.TypeAdmin},
		}
		lim := [3]int{1, 1, 1} // after a one-entry walk, the blocks; else sort nothing, walk all
		db.SetSearchLimits(lim[0], lim[1], lim[2])
		checkAll := func(what string, wantBlocks bool) {
			t.Helper()
			before := db.BlockAnswers()
			for _, base := range queries {
				for _, s := range sorts {
					checkSearch(t, db, tid, users, lim, base, s)
				}
			}
			if answered := db.BlockAnswers() > before; answered != wantBlocks {
				t.Errorf("%s: the blocks answered %v, want %v", what, answered, wantBlocks)
			}
		}
		db.UseSearchBlocks(11, 100, 1000)
		if err := db.BuildSearchBlocks(ctx, tid); err != nil {
			t.Fatal(err)
		}
		checkAll("as built", true)

		// Writes after the build: their users are searched apart.
		err = db.Update(ctx, func(tx admin.Tx) error {
			for i, u := range users[:40] {
				rewrite(u, i%4, "Samantha", "Quist", fmt.Sprintf("smith.moved%d@osamu.test", i))
				if i%4 < 3 {
					if err := tx.UpdateUser(ctx, u); err != nil {
						return err
					}
				}
			}
			for i := 900; i < 920; i++ {
				if err := insert(tx, i, "Sam", "Aaberg"); err != nil {
					return err
				}
			}
			for _, u := range users[100:110] {
				if err := tx.DeleteUser(ctx, tid, u.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		users = slices.DeleteFunc(users, func(u *admin.User) bool { return u.ID >= "b-00100" && u.ID < "b-00110" })
		queries = append(queries, admin.UserQuery{Q: "quist"}, admin.UserQuery{Q: "aaberg"})
		checkAll("after writes", true)

		// More changes than the blocks take: the ordinary stages answer.
		db.UseSearchBlocks(11, 5, 1000)
		if err := db.BuildSearchBlocks(ctx, tid); err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx admin.Tx) error {
			for _, u := range users[200:210] {
				u.LastName = "Smithson"
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		checkAll("after too many writes", false)
		if err := db.BuildSearchBlocks(ctx, tid); err != nil {
			t.Fatal(err)
		}
		checkAll("built again", true)
	})
}

// TestSearchBuildsBlocksInTheBackground: a large enough tenant's first
// search that needs blocks starts their build and is answered without
// them; later searches use them.
func TestSearchBuildsBlocksInTheBackground(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		tid := MustTenant(t, db, "background", 0)
		var users []*admin.User
		err := db.Update(ctx, func(tx admin.Tx) error {
			for i := range 60 {
				u := &admin.User{ID: fmt.Sprintf("g-%03d", i), TenantID: tid, Username: fmt.Sprintf("%s%03d", []string{"ann", "sam"}[i/50], i),
					Email: fmt.Sprintf("u%d@example.test", i), Locale: "en", Type: admin.TypeStandard, Auth: admin.AuthPassword,
					Status: admin.StatusActive, CreatedAt: t0, UpdatedAt: t0}
				users = append(users, u)
				if err := tx.InsertUser(ctx, u); err != nil {
					return err
				}
			}
			return tx.AddSeats(ctx, tid, 60)
		})
		if err != nil {
			t.Fatal(err)
		}
		lim := [3]int{1, 1, 1}
		db.SetSearchLimits(lim[0], lim[1], lim[2])
		db.BuildSearchBlocksOnNeed(50)
		q := admin.UserQuery{Q: "sam"}
		checkSearch(t, db, tid, users, lim, q, admin.SortUsername)
		for deadline := time.Now().Add(10 * time.Second); !db.HasSearchBlocks(tid); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no search blocks 10 s after a search that needed them")
			}
		}
		before := db.BlockAnswers()
		checkSearch(t, db, tid, users, lim, q, admin.SortUsername)
		if db.BlockAnswers() == before {
			t.Error("the search after the build did not use the blocks")
		}
	})
}
