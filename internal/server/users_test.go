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

// userFields are the fields of a user in SPEC §1, as the API names them.
var userFields = []string{"id", "username", "email", "first_name", "last_name", "phone", "locale", "type", "auth",
	"status", "expires_at", "locked", "must_change_password", "mfa_enforced", "mfa_enrolled", "deactivated_by_licence",
	"notifications_disabled", "other_recipients"}

// TestCreateUserWithEveryField covers POST users (R-U1): every field of §1
// is taken and answered, GET answers the same, and defaults apply.
func TestCreateUserWithEveryField(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", map[string]any{"locale": "ja"})
		ada, adaU := e.mustMember("acme", "ada", "admin")

		t.Run("every field", func(t *testing.T) {
			r := do(t, ada, "POST", "/api/v1/tenants/acme/users", map[string]any{
				"username": "Jane.Doe", "email": "jane@example.com", "first_name": "Jane", "last_name": "Doe",
				"phone": "+81 3-1234-5678", "locale": "en", "type": "read_only", "auth": "password",
				"expires_in_days": 30, "mfa_enforced": false, "notifications_disabled": true,
				"other_recipients": []string{"boss@example.com", "BOSS@example.com", "hr@example.com"},
			})
			wantStatus(t, r, http.StatusCreated)
			for _, f := range userFields {
				if _, ok := r.obj[f]; !ok {
					t.Errorf("the created user lacks %q: %v", f, r)
				}
			}
			u := decode[userJSON](t, r)
			wantExpiry := e.clock.Now().Add(30 * 24 * time.Hour)
			if u.ID == "" || u.Tenant != "acme" || u.Staff || u.Username != "Jane.Doe" || u.Email != "jane@example.com" ||
				u.FirstName != "Jane" || u.LastName != "Doe" || u.Phone != "+81 3-1234-5678" || u.Locale != "en" ||
				u.Type != "read_only" || u.Auth != "password" || u.Status != "pending" ||
				u.ExpiresAt == nil || !u.ExpiresAt.Equal(wantExpiry) || u.Locked || u.MustChangePassword ||
				u.MFAEnforced || u.MFAEnrolled || u.DeactivatedByLicence || !u.NotificationsDisabled ||
				!slices.Equal(u.OtherRecipients, []string{"boss@example.com", "hr@example.com"}) {
				t.Fatalf("created %+v, not what was asked (expiry %v)", u, wantExpiry)
			}
			got := do(t, ada, "GET", "/api/v1/tenants/acme/users/"+u.ID, nil)
			wantStatus(t, got, http.StatusOK)
			if string(got.raw) != string(r.raw) {
				t.Fatalf("GET answers\n%s\nbut POST answered\n%s", got.raw, r.raw)
			}
			ev := e.in(t).audit("acme", "action=user.created&target="+u.ID)
			if len(ev) != 1 || ev[0].Actor == nil || ev[0].Actor.ID != adaU.ID || ev[0].Target.Name != "Jane.Doe" {
				t.Fatalf("user.created events for Jane.Doe: %+v, want one by ada", ev)
			}
		})

		t.Run("defaults", func(t *testing.T) {
			u := e.in(t).mustCreateUser(ada, "acme", map[string]any{"username": "plain"})
			if u.Type != "standard" || u.Auth != "password" || u.Locale != "ja" || u.Status != "pending" || !u.MFAEnforced ||
				u.ExpiresAt != nil || u.MustChangePassword || u.OtherRecipients == nil || len(u.OtherRecipients) != 0 {
				t.Fatalf("defaults: %+v, want standard password user in the tenant's locale ja, pending, mfa enforced, no expiry, other_recipients []", u)
			}
		})

		t.Run("single sign-on user", func(t *testing.T) {
			u := e.in(t).mustCreateUser(ada, "acme", map[string]any{"username": "sso-sue", "auth": "sso"})
			if u.Auth != "sso" {
				t.Fatalf("auth = %q, want sso", u.Auth)
			}
		})

		t.Run("explicit expiry and initial password", func(t *testing.T) {
			at := e.clock.Now().Add(48 * time.Hour)
			u := e.in(t).mustCreateUser(e.staff, "acme", map[string]any{"username": "temp", "expires_at": at.Format(time.RFC3339), "password": initialPassword})
			if u.ExpiresAt == nil || !u.ExpiresAt.Equal(at) || !u.MustChangePassword {
				t.Fatalf("created %+v, want expires_at %v and must_change_password", u, at)
			}
		})
	})
}

// TestFindUsers covers GET users (R-U7): the filters of §3 and keyset
// paging through next_cursor.
func TestFindUsers(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		const slug = "find"
		base := "/api/v1/tenants/" + slug + "/users/"
		e.mustTenant(slug, nil)
		ada, _ := e.mustMember(slug, "ada", "admin")
		e.mustCreateUser(ada, slug, map[string]any{"username": "bob", "first_name": "Robert", "last_name": "Builder", "email": "bob@builders.example"})
		e.mustCreateUser(ada, slug, map[string]any{"username": "carol", "type": "read_only"})
		dan := e.mustCreateUser(ada, slug, map[string]any{"username": "dan"})
		wantStatus(t, do(t, ada, "POST", base+dan.ID+"/deactivate", nil), http.StatusOK)
		_, erin := e.mustMember(slug, "erin", "standard")
		wantStatus(t, do(t, ada, "DELETE", base+erin.ID, nil), http.StatusNoContent)
		fay := e.mustCreateUser(ada, slug, map[string]any{"username": "fay", "expires_at": e.clock.Now().Add(time.Minute).Format(time.RFC3339)})
		e.clock.Advance(2 * time.Minute)
		many := []string{"user01", "user02", "user03", "user04", "user05", "user06", "user07"}
		for _, name := range many {
			e.mustCreateUser(ada, slug, map[string]any{"username": name, "type": "standard"})
		}
		if got := e.mustGetUser(slug, fay.ID).Status; got != "expired" {
			t.Fatalf("fay past her expiry has status %q, want expired", got)
		}

		listed := append([]string{"ada", "bob", "carol", "fay"}, many...)
		pending := append([]string{"bob", "carol"}, many...)
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", listed},
			{"limit=3", listed},
			{"limit=1", listed},
			{"include_deactivated=true", append([]string{"ada", "bob", "carol", "dan", "fay"}, many...)},
			{"include_deactivated=true&limit=2", append([]string{"ada", "bob", "carol", "dan", "fay"}, many...)},
			{"status=deactivated", []string{"dan"}},
			{"status=removed", []string{"erin"}},
			{"status=pending", pending},
			{"status=pending&limit=4", pending},
			{"status=active", []string{"ada"}},
			{"status=expired", []string{"fay"}},
			{"type=admin", []string{"ada"}},
			{"type=read_only", []string{"carol"}},
			{"type=standard&status=pending&limit=2", append([]string{"bob"}, many...)},
			{"q=build", []string{"bob"}},
			{"q=ROB", []string{"bob"}},
			{"q=builders.example", []string{"bob"}},
			{"q=user0&limit=2", many},
			{"q=nobody", []string{}},
			{"sort=-username&limit=3", reversed(listed)},
		} {
			t.Run(tc.query, func(t *testing.T) {
				if got := e.in(t).usernames(ada, slug, tc.query); !slices.Equal(got, tc.want) {
					t.Fatalf("GET users?%s = %v, want %v", tc.query, got, tc.want)
				}
			})
		}

		t.Run("pages hold at most limit items and the last has no cursor", func(t *testing.T) {
			r := do(t, ada, "GET", "/api/v1/tenants/"+slug+"/users?limit=3", nil)
			wantStatus(t, r, http.StatusOK)
			p := decode[pageJSON[userJSON]](t, r)
			if len(p.Items) != 3 || p.NextCursor == "" {
				t.Fatalf("first page of 3: %d items, cursor %q", len(p.Items), p.NextCursor)
			}
			r = do(t, ada, "GET", "/api/v1/tenants/"+slug+"/users?limit=500", nil)
			if _, ok := r.obj["next_cursor"]; ok && r.obj["next_cursor"] != "" {
				t.Fatalf("the only page has next_cursor %v", r.obj["next_cursor"])
			}
			if _, ok := r.obj["items"].([]any); !ok {
				t.Fatalf("%v: no items array", r)
			}
			r = do(t, ada, "GET", "/api/v1/tenants/"+slug+"/users?q=nobody", nil)
			if items, ok := r.obj["items"].([]any); !ok || len(items) != 0 {
				t.Fatalf("an empty result: %v, want items []", r)
			}
		})

		t.Run("bad queries", func(t *testing.T) {
			first := decode[pageJSON[userJSON]](t, do(t, ada, "GET", "/api/v1/tenants/"+slug+"/users?limit=1", nil)).NextCursor
			for _, tc := range []struct{ query, code, field string }{
				{"status=bogus", "invalid_status", "status"},
				{"type=boss", "invalid_type", "type"},
				{"limit=501", "out_of_range", "limit"},
				{"limit=-1", "out_of_range", "limit"},
				{"limit=many", "invalid", "limit"},
				{"cursor=garbage", "invalid_cursor", "cursor"},
				{"sort=-username&cursor=" + url.QueryEscape(first), "invalid_cursor", "cursor"},
				{"sort=shoe_size", "invalid_sort", "sort"},
				{"q=" + strings.Repeat("x", 101), "too_long", "q"},
				{"group=" + strings.Repeat("x", 201), "too_long", "group"},
			} {
				t.Run(tc.query, func(t *testing.T) {
					r := do(t, ada, "GET", "/api/v1/tenants/"+slug+"/users?"+tc.query, nil)
					wantProblem(t, r, http.StatusUnprocessableEntity, tc.code, tc.field)
				})
			}
		})
	})
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestRefusedUserRequestsChangeNothing is the table of refusals of
// /api/v1/tenants/{slug}/users: each answers its status, code and field
// (R-O4), and neither tenant, user nor audit trail changes.
func TestRefusedUserRequestsChangeNothing(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := mustEnv(t, db)
		e.mustTenant("acme", nil)
		e.mustTenant("globex", nil)
		ada, adaU := e.mustMember("acme", "ada", "admin")
		sam, samU := e.mustMember("acme", "sam", "standard")
		_, tom := e.mustMember("acme", "tom", "standard")
		pia := e.mustCreateUser(e.staff, "acme", map[string]any{"username": "pia"})
		gil, _ := e.mustMember("globex", "gil", "admin")
		gus := e.mustCreateUser(e.staff, "globex", map[string]any{"username": "gus"})
		anon := e.anon()

		acme, globex := "/api/v1/tenants/acme", "/api/v1/tenants/globex"
		users := acme + "/users"
		valid := map[string]any{"username": "newbie", "email": "newbie@example.com"}
		with := func(k string, v any) map[string]any {
			m := map[string]any{"username": "newbie", "email": "newbie@example.com"}
			m[k] = v
			return m
		}
		type tcase struct {
			name   string
			c      *client
			method string
			path   string
			body   any
			status int
			code   string
			field  string
		}
		cases := []tcase{
			// Bad input: 422 with the field, or 409 for a clash.
			{"username taken in another case", ada, "POST", users, map[string]any{"username": "TOM", "email": "tom2@example.com"}, 409, "username_taken", "username"},
			{"e-mail taken in another case", ada, "POST", users, map[string]any{"username": "tom2", "email": "TOM@example.com"}, 409, "email_taken", "email"},
			{"missing e-mail", ada, "POST", users, map[string]any{"username": "newbie"}, 422, "required", "email"},
			{"missing username", ada, "POST", users, map[string]any{"email": "newbie@example.com"}, 422, "required", "username"},
			{"empty username", ada, "POST", users, with("username", ""), 422, "required", "username"},
			{"bad e-mail", ada, "POST", users, with("email", "not-an-address"), 422, "invalid_email", "email"},
			{"e-mail with a display name", ada, "POST", users, with("email", "New <newbie@example.com>"), 422, "invalid_email", "email"},
			{"username with a leading hyphen", ada, "POST", users, with("username", "-newbie"), 422, "invalid_username", "username"},
			{"username with a space", ada, "POST", users, with("username", "new bie"), 422, "invalid_username", "username"},
			{"unknown type", ada, "POST", users, with("type", "superuser"), 422, "invalid_type", "type"},
			{"unknown auth", ada, "POST", users, with("auth", "ldap"), 422, "invalid_auth", "auth"},
			{"unsupported locale", ada, "POST", users, with("locale", "fr"), 422, "unsupported_locale", "locale"},
			{"bad phone", ada, "POST", users, with("phone", "call me"), 422, "invalid_phone", "phone"},
			{"control character in a name", ada, "POST", users, with("first_name", "New\x07"), 422, "invalid_characters", "first_name"},
			{"bad other recipient", ada, "POST", users, with("other_recipients", []string{"nope"}), 422, "invalid_email", "other_recipients"},
			{"unknown property", ada, "POST", users, with("nickname", "Newt"), 422, "unknown_field", "nickname"},
			{"type of the wrong JSON kind", ada, "POST", users, with("type", 3), 422, "invalid", "type"},
			{"short initial password", ada, "POST", users, with("password", "short"), 422, "password_too_short", "password"},
			{"password for a single sign-on user", ada, "POST", users, map[string]any{"username": "newbie", "email": "newbie@example.com", "auth": "sso", "password": initialPassword}, 422, "sso_user_password", "password"},
			{"expiry in the past", ada, "POST", users, with("expires_at", e.clock.Now().Add(-time.Hour).Format(time.RFC3339)), 422, "in_the_past", "expires_at"},
			{"negative expiry days", ada, "POST", users, with("expires_in_days", -1), 422, "out_of_range", "expires_in_days"},
			{"malformed JSON", ada, "POST", users, `{"username": "newbie", `, 400, "malformed_request", ""},
			{"change username", ada, "PATCH", users + "/" + tom.ID, map[string]any{"username": "tommy"}, 422, "immutable", "username"},
			{"change auth", ada, "PATCH", users + "/" + tom.ID, map[string]any{"auth": "sso"}, 422, "immutable", "auth"},
			{"patch bad e-mail", ada, "PATCH", users + "/" + tom.ID, map[string]any{"email": "tom@"}, 422, "invalid_email", "email"},
			{"patch unknown type", ada, "PATCH", users + "/" + tom.ID, map[string]any{"type": "root"}, 422, "invalid_type", "type"},
			{"patch status removed", ada, "PATCH", users + "/" + tom.ID, map[string]any{"status": "removed"}, 422, "invalid_transition", "status"},
			{"patch pending user active", ada, "PATCH", users + "/" + pia.ID, map[string]any{"status": "active"}, 422, "invalid_transition", "status"},
			{"patch unknown property", ada, "PATCH", users + "/" + tom.ID, map[string]any{"shoe_size": 44}, 422, "unknown_field", "shoe_size"},
			{"patch valid field with a bad one", ada, "PATCH", users + "/" + tom.ID, map[string]any{"first_name": "Thomas", "phone": "call me"}, 422, "invalid_phone", "phone"},
			{"patch e-mail taken", ada, "PATCH", users + "/" + tom.ID, map[string]any{"email": "SAM@example.com"}, 409, "email_taken", "email"},

			// Nobody edits their own e-mail, type or status (R-U2).
			{"admin changes own e-mail", ada, "PATCH", users + "/" + adaU.ID, map[string]any{"email": "ada@elsewhere.example"}, 403, "self_edit_forbidden", "email"},
			{"admin changes own type", ada, "PATCH", users + "/" + adaU.ID, map[string]any{"type": "standard"}, 403, "self_edit_forbidden", "type"},
			{"admin changes own status", ada, "PATCH", users + "/" + adaU.ID, map[string]any{"status": "deactivated"}, 403, "self_edit_forbidden", "status"},
			{"admin deactivates self", ada, "POST", users + "/" + adaU.ID + "/deactivate", nil, 403, "self_edit_forbidden", "status"},
			{"admin removes self", ada, "DELETE", users + "/" + adaU.ID, nil, 403, "self_edit_forbidden", "status"},

			// The last active admin stays (R-U8).
			{"deactivate the last admin", e.staff, "POST", users + "/" + adaU.ID + "/deactivate", nil, 409, "last_admin", ""},
			{"demote the last admin", e.staff, "PATCH", users + "/" + adaU.ID, map[string]any{"type": "standard"}, 409, "last_admin", ""},
			{"patch the last admin deactivated", e.staff, "PATCH", users + "/" + adaU.ID, map[string]any{"status": "deactivated"}, 409, "last_admin", ""},
			{"remove the last admin", e.staff, "DELETE", users + "/" + adaU.ID, nil, 409, "last_admin", ""},

			// Transitions that do not apply.
			{"activate an active user", ada, "POST", users + "/" + tom.ID + "/activate", nil, 409, "invalid_transition", "status"},
			{"restore a user who is not removed", ada, "POST", users + "/" + tom.ID + "/restore", nil, 409, "invalid_transition", "status"},

			// Another tenant's objects do not exist (never 403).
			{"read another tenant's user", ada, "GET", users + "/" + gus.ID, nil, 404, "not_found", ""},
			{"patch another tenant's user", ada, "PATCH", users + "/" + gus.ID, map[string]any{"first_name": "Gus"}, 404, "not_found", ""},
			{"remove another tenant's user", ada, "DELETE", users + "/" + gus.ID, nil, 404, "not_found", ""},
			{"deactivate another tenant's user", ada, "POST", users + "/" + gus.ID + "/deactivate", nil, 404, "not_found", ""},
			{"end another tenant's user's sessions", ada, "DELETE", users + "/" + gus.ID + "/sessions", nil, 404, "not_found", ""},
			{"read a user under another tenant", ada, "GET", globex + "/users/" + gus.ID, nil, 404, "not_found", ""},
			{"list another tenant's users", ada, "GET", globex + "/users", nil, 404, "not_found", ""},
			{"create in another tenant", ada, "POST", globex + "/users", valid, 404, "not_found", ""},
			{"patch another tenant's user there", ada, "PATCH", globex + "/users/" + gus.ID, map[string]any{"first_name": "Gus"}, 404, "not_found", ""},
			{"read another tenant's audit", ada, "GET", globex + "/audit", nil, 404, "not_found", ""},
			{"other admin reads this tenant's user", gil, "GET", users + "/" + tom.ID, nil, 404, "not_found", ""},
			{"other admin deactivates this tenant's user", gil, "POST", users + "/" + tom.ID + "/deactivate", nil, 404, "not_found", ""},
			{"unknown user", ada, "GET", users + "/00000000-0000-0000-0000-000000000000", nil, 404, "not_found", ""},
			{"unknown tenant", e.staff, "GET", "/api/v1/tenants/nope/users", nil, 404, "not_found", ""},
			{"the platform is not a tenant", e.staff, "GET", "/api/v1/tenants/_platform/users", nil, 404, "not_found", ""},
			{"a staff user is in no tenant", e.staff, "GET", users + "/" + e.staffUser.ID, nil, 404, "not_found", ""},

			// A standard user administers nobody.
			{"standard user lists users", sam, "GET", users, nil, 403, "forbidden", ""},
			{"standard user creates a user", sam, "POST", users, valid, 403, "forbidden", ""},
			{"standard user reads another user", sam, "GET", users + "/" + tom.ID, nil, 403, "forbidden", ""},
			{"standard user patches another user", sam, "PATCH", users + "/" + tom.ID, map[string]any{"first_name": "T"}, 403, "forbidden", ""},
			{"standard user patches self", sam, "PATCH", users + "/" + samU.ID, map[string]any{"first_name": "Samuel"}, 403, "forbidden", ""},
			{"standard user deactivates a user", sam, "POST", users + "/" + tom.ID + "/deactivate", nil, 403, "forbidden", ""},
			{"standard user removes a user", sam, "DELETE", users + "/" + tom.ID, nil, 403, "forbidden", ""},
			{"standard user reads sessions", sam, "GET", users + "/" + tom.ID + "/sessions", nil, 403, "forbidden", ""},
			{"standard user ends sessions", sam, "DELETE", users + "/" + tom.ID + "/sessions", nil, 403, "forbidden", ""},
			{"standard user reads the audit trail", sam, "GET", acme + "/audit", nil, 403, "forbidden", ""},

			// Not signed in.
			{"anonymous list", anon, "GET", users, nil, 401, "unauthenticated", ""},
			{"anonymous create", anon, "POST", users, valid, 401, "unauthenticated", ""},
			{"anonymous read", anon, "GET", users + "/" + tom.ID, nil, 401, "unauthenticated", ""},
			{"anonymous patch", anon, "PATCH", users + "/" + tom.ID, map[string]any{"first_name": "T"}, 401, "unauthenticated", ""},
			{"anonymous remove", anon, "DELETE", users + "/" + tom.ID, nil, 401, "unauthenticated", ""},
			{"anonymous deactivate", anon, "POST", users + "/" + tom.ID + "/deactivate", nil, 401, "unauthenticated", ""},
			{"anonymous unlock", anon, "POST", users + "/" + tom.ID + "/unlock", nil, 401, "unauthenticated", ""},
			{"anonymous restore", anon, "POST", users + "/" + tom.ID + "/restore", nil, 401, "unauthenticated", ""},
			{"anonymous sessions", anon, "GET", users + "/" + tom.ID + "/sessions", nil, 401, "unauthenticated", ""},
			{"anonymous audit", anon, "GET", acme + "/audit", nil, 401, "unauthenticated", ""},
		}
		before := map[string]string{"acme": e.snapshot("acme"), "globex": e.snapshot("globex")}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, tc.c, tc.method, tc.path, tc.body)
				if tc.field != "" {
					wantProblem(t, r, tc.status, tc.code, tc.field)
				} else {
					wantProblem(t, r, tc.status, tc.code)
				}
				for slug, snap := range before {
					e.in(t).wantUnchanged(slug, snap, r)
				}
			})
		}

		t.Run("what is allowed still works", func(t *testing.T) {
			for _, tc := range []struct {
				name         string
				c            *client
				method, path string
				body         any
			}{
				{"a user reads themselves", sam, "GET", users + "/" + samU.ID, nil},
				{"a user reads their sessions", sam, "GET", users + "/" + samU.ID + "/sessions", nil},
				{"an admin changes their own name", ada, "PATCH", users + "/" + adaU.ID, map[string]any{"first_name": "Ada", "email": "ada@example.com"}},
				{"an admin edits a user", ada, "PATCH", users + "/" + tom.ID, map[string]any{"first_name": "Thomas", "phone": "+1 555 0100", "locale": "ja"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantStatus(t, do(t, tc.c, tc.method, tc.path, tc.body), http.StatusOK)
				})
			}
			if got := e.in(t).mustGetUser("acme", tom.ID); got.FirstName != "Thomas" || got.Phone != "+1 555 0100" || got.Locale != "ja" || got.Email != "tom@example.com" {
				t.Fatalf("after the edit tom is %+v", got)
			}
		})
	})
}
