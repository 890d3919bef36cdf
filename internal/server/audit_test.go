package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// TestAuditTrail covers GET /api/v1/tenants/{slug}/audit (R-X1): every
// change and sign-in attempt, newest first, with actor, action, target and
// outcome; the filters action, actor and since; cursor paging.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		const slug = "acme"
		users := "/api/v1/tenants/" + slug + "/users/"
		e.mustTenant(slug, nil)
		ada, adaU := e.mustMember(slug, "ada", "admin")

		e.clock.Advance(time.Minute)
		since := e.clock.Now()
		bob := e.mustCreateUser(ada, slug, map[string]any{"username": "bob"})
		wantStatus(t, do(t, ada, "PATCH", users+bob.ID, map[string]any{"first_name": "Bob"}), http.StatusOK)
		wantProblem(t, signIn(t, e.anon(), slug, "ada", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")
		wantStatus(t, do(t, ada, "POST", users+bob.ID+"/deactivate", nil), http.StatusOK)

		all := e.audit(slug, "")
		t.Run("newest first", func(t *testing.T) {
			for i := 1; i < len(all); i++ {
				if all[i].At.After(all[i-1].At) || all[i].ID >= all[i-1].ID {
					t.Fatalf("event %d (%s at %v) comes after the older %s at %v", i, all[i].Action, all[i].At, all[i-1].Action, all[i-1].At)
				}
			}
			var actions []string
			for _, ev := range all {
				actions = append(actions, ev.Action)
			}
			want := []string{"user.deactivated", "session.failed", "user.updated", "user.created"}
			if len(actions) < len(want) || !slices.Equal(actions[:len(want)], want) {
				t.Fatalf("newest actions %v, want %v first", actions, want)
			}
			if actions[len(actions)-1] != "tenant.created" {
				t.Fatalf("the oldest event is %s, want tenant.created", actions[len(actions)-1])
			}
		})

		t.Run("actor, target, outcome and details", func(t *testing.T) {
			d := all[0]
			if d.Actor == nil || d.Actor.ID != adaU.ID || d.Actor.Username != "ada" || d.Actor.Staff ||
				d.Target.Type != "user" || d.Target.ID != bob.ID || d.Target.Name != "bob" || d.Outcome != "success" || d.At.IsZero() {
				t.Fatalf("user.deactivated event %+v, want ada deactivating bob successfully", d)
			}
			if b, a := d.Details["before"].(map[string]any), d.Details["after"].(map[string]any); b["status"] != "pending" || a["status"] != "deactivated" {
				t.Fatalf("details %v, want status pending → deactivated", d.Details)
			}
			f := all[1]
			if f.Actor != nil || f.Outcome != "failure" || f.Reason != "wrong_password" || f.Target.ID != adaU.ID {
				t.Fatalf("session.failed event %+v, want an anonymous failure about ada with reason wrong_password", f)
			}
			c := all[len(all)-1]
			if c.Actor == nil || !c.Actor.Staff || c.Actor.Username != "admin" || c.Target.Type != "tenant" || c.Target.Name != slug {
				t.Fatalf("tenant.created event %+v, want by staff admin about %s", c, slug)
			}
		})

		for _, tc := range []struct {
			name  string
			query string
			want  func(ev auditJSON) bool
			min   int
		}{
			{"action exact", "action=user.created", func(ev auditJSON) bool { return ev.Action == "user.created" }, 2},
			{"action prefix", "action=user.", func(ev auditJSON) bool { return strings.HasPrefix(ev.Action, "user.") }, 4},
			{"actor", "actor=" + adaU.ID, func(ev auditJSON) bool { return ev.Actor != nil && ev.Actor.ID == adaU.ID }, 3},
			{"since", "since=" + url.QueryEscape(since.Format(time.RFC3339Nano)), func(ev auditJSON) bool { return !ev.At.Before(since) }, 4},
			{"target", "target=" + bob.ID, func(ev auditJSON) bool { return ev.Target.ID == bob.ID }, 3},
			{"actor and action", "actor=" + adaU.ID + "&action=user.updated", func(ev auditJSON) bool { return ev.Action == "user.updated" && ev.Actor.ID == adaU.ID }, 1},
		} {
			t.Run("filter "+tc.name, func(t *testing.T) {
				got := e.in(t).audit(slug, tc.query)
				n := 0
				for _, ev := range all {
					if tc.want(ev) {
						n++
					}
				}
				if len(got) != n || n < tc.min {
					t.Fatalf("?%s gives %d events, want the %d (at least %d) that match", tc.query, len(got), n, tc.min)
				}
				for _, ev := range got {
					if !tc.want(ev) {
						t.Fatalf("?%s gives %+v, which does not match", tc.query, ev)
					}
				}
			})
		}
		if got := e.audit(slug, "since="+url.QueryEscape(since.Format(time.RFC3339))); len(got) != 4 {
			t.Fatalf("since=%v gives %d events, want the 4 made after it", since, len(got))
		}

		t.Run("cursor paging", func(t *testing.T) {
			var ids []string
			path := "/api/v1/tenants/" + slug + "/audit?limit=2"
			for range 100 {
				r := do(t, ada, "GET", path, nil)
				wantStatus(t, r, http.StatusOK)
				p := decode[pageJSON[auditJSON]](t, r)
				if len(p.Items) > 2 {
					t.Fatalf("a page of limit 2 has %d events", len(p.Items))
				}
				for _, ev := range p.Items {
					ids = append(ids, ev.ID)
				}
				if p.NextCursor == "" {
					break
				}
				path = "/api/v1/tenants/" + slug + "/audit?limit=2&cursor=" + url.QueryEscape(p.NextCursor)
			}
			var want []string
			for _, ev := range all {
				want = append(want, ev.ID)
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("paging 2 at a time gives %d events, want the same %d as one page", len(ids), len(want))
			}
		})

		t.Run("bad queries", func(t *testing.T) {
			for _, tc := range []struct{ query, code, field string }{
				{"cursor=garbage", "invalid_cursor", "cursor"},
				{"limit=501", "out_of_range", "limit"},
				{"since=yesterday", "invalid", "since"},
			} {
				r := do(t, ada, "GET", "/api/v1/tenants/"+slug+"/audit?"+tc.query, nil)
				wantProblem(t, r, http.StatusUnprocessableEntity, tc.code, tc.field)
			}
		})
	})
}
