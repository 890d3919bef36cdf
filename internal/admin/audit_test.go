package admin_test

import (
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestEveryWriteAppendsExactlyOneAuditEvent(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		ctx := admin.WithRequestInfo(f.staff, admin.RequestInfo{IP: "203.0.113.7", UserAgent: "audit-test/1", RequestID: "req-42"})
		var userID, pendingID string

		for _, step := range []struct {
			action        string
			do            func() (targetID string, err error)
			before, after bool // which halves of the details the event carries
			changed       string
		}{
			{"user.created", func() (string, error) {
				u, err := f.svc.CreateUser(ctx, f.slug, admin.NewUser{Username: "ada", Email: "ada@example.com", Auth: admin.AuthSSO})
				if u != nil {
					userID = u.ID
				}
				return userID, err
			}, false, true, "username"},
			{"user.updated", func() (string, error) {
				_, err := f.svc.UpdateUser(ctx, f.slug, userID, admin.UserPatch{FirstName: ptr("Ada")})
				return userID, err
			}, true, true, "first_name"},
			{"user.deactivated", func() (string, error) {
				_, err := f.svc.DeactivateUser(ctx, f.slug, userID)
				return userID, err
			}, true, true, "status"},
			{"user.activated", func() (string, error) {
				_, err := f.svc.ActivateUser(ctx, f.slug, userID)
				return userID, err
			}, true, true, "status"},
			{"user.unlocked", func() (string, error) {
				_, err := f.svc.UnlockUser(ctx, f.slug, userID)
				return userID, err
			}, true, true, ""},
			{"user.sessions_ended", func() (string, error) {
				_, err := f.svc.EndUserSessions(ctx, f.slug, userID)
				return userID, err
			}, false, false, ""},
			{"user.removed", func() (string, error) {
				_, err := f.svc.DeleteUser(ctx, f.slug, userID)
				return userID, err
			}, true, true, "status"},
			{"user.restored", func() (string, error) {
				_, err := f.svc.RestoreUser(ctx, f.slug, userID)
				return userID, err
			}, true, true, "status"},
			{"user.created", func() (string, error) {
				u, err := f.svc.CreateUser(ctx, f.slug, admin.NewUser{Username: "brief", Email: "brief@example.com"})
				if u != nil {
					pendingID = u.ID
				}
				return pendingID, err
			}, false, true, "email"},
			{"user.deleted", func() (string, error) {
				_, err := f.svc.DeleteUser(ctx, f.slug, pendingID)
				return pendingID, err
			}, true, false, "username"},
			{"tenant.updated", func() (string, error) {
				tn, err := f.svc.UpdateTenant(ctx, f.slug, admin.TenantPatch{Settings: admin.TenantSettingsPatch{SessionIdleMinutes: ptr(15)}})
				if err != nil {
					return "", err
				}
				return tn.ID, nil
			}, true, true, "session_idle_minutes"},
		} {
			t.Run(step.action, func(t *testing.T) {
				n := len(f.audit(f.slug))
				f.clock.Advance(time.Second)
				target, err := step.do()
				wantOK(t, step.action, err)
				all := f.audit(f.slug)
				if len(all) != n+1 {
					t.Fatalf("%s appended %d audit events, want exactly 1", step.action, len(all)-n)
				}
				e := all[0]
				if e.Action != step.action || e.TargetID != target || e.Outcome != admin.OutcomeSuccess {
					t.Errorf("event %s on %s (%s), want %s on %s", e.Action, e.TargetID, e.Outcome, step.action, target)
				}
				if e.ActorID != f.staffU.ID || e.ActorName != "admin" || e.ActorTenantID != admin.PlatformTenantID {
					t.Errorf("actor %s %s of %s, want the staff user of the platform", e.ActorID, e.ActorName, e.ActorTenantID)
				}
				if e.IP != "203.0.113.7" || e.UserAgent != "audit-test/1" || e.RequestID != "req-42" || !e.At.Equal(f.clock.Now()) {
					t.Errorf("event from %s %s %s at %v, want the request's address, agent, id and the clock's time", e.IP, e.UserAgent, e.RequestID, e.At)
				}
				if _, ok := e.Details["before"]; ok != step.before {
					t.Errorf("details %v: has before = %v, want %v", e.Details, ok, step.before)
				}
				if _, ok := e.Details["after"]; ok != step.after {
					t.Errorf("details %v: has after = %v, want %v", e.Details, ok, step.after)
				}
				if step.changed != "" {
					half := "after"
					if !step.after {
						half = "before"
					}
					if m, _ := e.Details[half].(map[string]any); m[step.changed] == nil {
						t.Errorf("details %v do not show %s", e.Details, step.changed)
					}
				}
			})
		}
	})
}

func TestListAuditFiltersAndPagesNewestFirst(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		boss := f.MustMember(f.slug, "boss", admin.TypeAdmin)
		f.clock.Advance(time.Hour)
		since := f.clock.Now()
		for i, name := range []string{"u1", "u2", "u3", "u4", "u5"} {
			ctx := f.staff
			if i%2 == 1 {
				ctx = boss.ctx
			}
			u := f.MustCreateUser(ctx, f.slug, admin.NewUser{Username: name})
			f.clock.Advance(time.Minute)
			if _, err := f.svc.UpdateUser(ctx, f.slug, u.ID, admin.UserPatch{FirstName: ptr("N" + name)}); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Minute)
		}
		if _, err := f.svc.SignIn(f.anon, admin.Credentials{Tenant: f.slug, Username: "boss", Password: "wrong-password-x"}); err == nil {
			t.Fatal("a wrong password signed in")
		}

		all := f.audit(f.slug)
		for i := 1; i < len(all); i++ {
			if all[i-1].ID <= all[i].ID || all[i-1].At.Before(all[i].At) {
				t.Fatalf("events %d and %d are not newest first: %s@%v then %s@%v", i-1, i, all[i-1].ID, all[i-1].At, all[i].ID, all[i].At)
			}
		}
		count := func(keep func(*admin.AuditEvent) bool) int {
			n := 0
			for _, e := range all {
				if keep(e) {
					n++
				}
			}
			return n
		}

		for _, tc := range []struct {
			name   string
			filter admin.AuditFilter
			keep   func(*admin.AuditEvent) bool
			want   int
		}{
			{"by boss", admin.AuditFilter{ActorID: boss.ID}, func(e *admin.AuditEvent) bool { return e.ActorID == boss.ID }, -1},
			{"by staff", admin.AuditFilter{ActorID: f.staffU.ID}, func(e *admin.AuditEvent) bool { return e.ActorID == f.staffU.ID }, -1},
			{"user.created", admin.AuditFilter{Action: "user.created"}, func(e *admin.AuditEvent) bool { return e.Action == "user.created" }, 6},
			{"user. prefix", admin.AuditFilter{Action: "user."}, func(e *admin.AuditEvent) bool { return len(e.Action) > 5 && e.Action[:5] == "user." }, -1},
			{"session. prefix", admin.AuditFilter{Action: "session."}, func(e *admin.AuditEvent) bool { return len(e.Action) > 8 && e.Action[:8] == "session." }, 2},
			{"no partial action", admin.AuditFilter{Action: "user.creat"}, func(*admin.AuditEvent) bool { return false }, 0},
			{"since", admin.AuditFilter{Since: &since}, func(e *admin.AuditEvent) bool { return !e.At.Before(since) }, 11},
			{"staff since", admin.AuditFilter{Since: &since, ActorID: f.staffU.ID, Action: "user.updated"}, func(e *admin.AuditEvent) bool {
				return !e.At.Before(since) && e.ActorID == f.staffU.ID && e.Action == "user.updated"
			}, 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := f.auditWhere(f.slug, tc.filter)
				want := count(tc.keep)
				if tc.want >= 0 && want != tc.want {
					t.Fatalf("test data has %d matching events, expected %d", want, tc.want)
				}
				if len(got) != want {
					t.Errorf("ListAudit(%s) found %d events, want %d", tc.name, len(got), want)
				}
				for _, e := range got {
					if !tc.keep(e) {
						t.Errorf("ListAudit(%s) returned %s by %s at %v", tc.name, e.Action, e.ActorName, e.At)
					}
				}
			})
		}

		// Pages of 4 walk the whole trail once, newest first.
		var paged []*admin.AuditEvent
		filter := admin.AuditFilter{Limit: 4}
		for {
			page, err := f.svc.ListAudit(f.staff, f.slug, filter)
			wantOK(t, "ListAudit page", err)
			if len(page.Items) > 4 {
				t.Fatalf("a page of %d events, limit 4", len(page.Items))
			}
			paged = append(paged, page.Items...)
			if page.NextCursor == "" {
				break
			}
			filter.Cursor = page.NextCursor
		}
		if len(paged) != len(all) {
			t.Fatalf("paging found %d events, want %d", len(paged), len(all))
		}
		for i := range paged {
			if paged[i].ID != all[i].ID {
				t.Fatalf("event %d of the pages is %s, want %s", i, paged[i].ID, all[i].ID)
			}
		}

		_, err := f.svc.ListAudit(f.staff, f.slug, admin.AuditFilter{Cursor: "%%%"})
		wantFieldErr(t, err, admin.KindInvalid, "invalid_cursor", "cursor")
		for _, limit := range []int{-5, 501} {
			_, err := f.svc.ListAudit(f.staff, f.slug, admin.AuditFilter{Limit: limit})
			wantFieldErr(t, err, admin.KindInvalid, "out_of_range", "limit")
		}
		// A tenant admin reads their own tenant's trail.
		if page, err := f.svc.ListAudit(boss.ctx, f.slug, admin.AuditFilter{Limit: 1}); err != nil || len(page.Items) != 1 {
			t.Errorf("tenant admin ListAudit: %v", err)
		}
	})
}
