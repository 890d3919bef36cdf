package admin_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

func TestCreateUserKeepsEveryField(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		in := admin.NewUser{
			Username: "  Yamada.Taro ", Email: " taro@example.jp ", FirstName: " 太郎 ", LastName: "山田",
			Phone: "+81 (3) 1234-5678", Locale: "ja", Type: admin.TypeReadOnly, Auth: admin.AuthPassword,
			Password: initialPassword, ExpiresInDays: ptr(30), MFAEnforced: ptr(false), NotificationsDisabled: true,
			OtherRecipients: []string{"boss@example.jp", "Boss@Example.jp", "team@example.jp"},
		}
		created, err := f.svc.CreateUser(f.staff, f.slug, in)
		wantOK(t, "CreateUser", err)
		got := f.MustGetUser(f.slug, created.ID)
		if !reflect.DeepEqual(got, created) {
			t.Errorf("stored user differs from the one returned:\nstored   %+v\nreturned %+v", got, created)
		}
		wantExpiry := f.clock.Now().Add(30 * 24 * time.Hour)
		for _, c := range []struct {
			field     string
			got, want any
		}{
			{"username", got.Username, "Yamada.Taro"},
			{"email", got.Email, "taro@example.jp"},
			{"first_name", got.FirstName, "太郎"},
			{"last_name", got.LastName, "山田"},
			{"phone", got.Phone, "+81 (3) 1234-5678"},
			{"locale", got.Locale, "ja"},
			{"type", got.Type, admin.TypeReadOnly},
			{"auth", got.Auth, admin.AuthPassword},
			{"status", got.Status, admin.StatusPending},
			{"expires_at", got.ExpiresAt != nil && got.ExpiresAt.Equal(wantExpiry), true},
			{"mfa_enforced", got.MFAEnforced, false},
			{"notifications_disabled", got.NotificationsDisabled, true},
			{"other_recipients", strings.Join(got.OtherRecipients, ","), "boss@example.jp,team@example.jp"},
			{"must_change_password", got.MustChangePassword, true},
			{"password hashed", strings.HasPrefix(got.PasswordHash, "$argon2id$"), true},
			{"tenant", got.TenantID, f.MustTenant(f.slug).ID},
			{"created_at", got.CreatedAt.Equal(f.clock.Now()), true},
		} {
			if c.got != c.want {
				t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
			}
		}

		e := f.lastAudit(f.slug)
		after, _ := e.Details["after"].(map[string]any)
		if e.Action != "user.created" || e.TargetID != got.ID || e.ActorID != f.staffU.ID || after["username"] != "Yamada.Taro" || after["type"] != "read_only" {
			t.Errorf("audit after CreateUser: %s on %s by %s, details %v; want user.created on the user by staff with after values", e.Action, e.TargetID, e.ActorID, e.Details)
		}
		for k := range after {
			if strings.Contains(k, "password_hash") {
				t.Errorf("audit details carry %s: a password hash never goes into the audit trail", k)
			}
		}
	})
}

func TestCreateUserDefaults(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustCreateTenant("nihon", admin.TenantSettingsPatch{Locale: ptr("ja")})
		u := f.MustCreateUser(f.staff, "nihon", admin.NewUser{Username: "plain"})
		if u.Locale != "ja" || u.Type != admin.TypeStandard || u.Auth != admin.AuthPassword || u.Status != admin.StatusPending ||
			!u.MFAEnforced || u.MustChangePassword || u.PasswordHash != "" || u.ExpiresAt != nil || len(u.OtherRecipients) != 0 {
			t.Errorf("defaults: %+v; want the tenant's locale, standard, password auth, pending, MFA enforced, no password, no expiry", u)
		}
	})
}

func TestCreateUserValidatesEveryField(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustCreateTenant("strict", admin.TenantSettingsPatch{PasswordMinLength: ptr(20)})
		now := f.clock.Now()
		long := func(n int) string { return strings.Repeat("x", n) }
		for _, tc := range []struct {
			name        string
			slug        string // default: acme
			edit        func(*admin.NewUser)
			field, code string // empty: valid
		}{
			{"username missing", "", func(u *admin.NewUser) { u.Username = "" }, "username", "required"},
			{"username blank", "", func(u *admin.NewUser) { u.Username = "   " }, "username", "required"},
			{"username starts with a dot", "", func(u *admin.NewUser) { u.Username = ".hidden" }, "username", "invalid_username"},
			{"username with a space", "", func(u *admin.NewUser) { u.Username = "new user" }, "username", "invalid_username"},
			{"username with a slash", "", func(u *admin.NewUser) { u.Username = "a/b" }, "username", "invalid_username"},
			{"username of 65", "", func(u *admin.NewUser) { u.Username = "u" + long(64) }, "username", "invalid_username"},
			{"username of 64", "", func(u *admin.NewUser) { u.Username = "u" + long(63) }, "", ""},
			{"username like an address", "", func(u *admin.NewUser) { u.Username = "first.last+tag@corp" }, "", ""},
			{"email missing", "", func(u *admin.NewUser) { u.Email = "" }, "email", "required"},
			{"email without at", "", func(u *admin.NewUser) { u.Email = "newbie.example.com" }, "email", "invalid_email"},
			{"email without a dot in the domain", "", func(u *admin.NewUser) { u.Email = "newbie@localhost" }, "email", "invalid_email"},
			{"email with a display name", "", func(u *admin.NewUser) { u.Email = "Newbie <newbie@example.com>" }, "email", "invalid_email"},
			{"email of 255", "", func(u *admin.NewUser) { u.Email = long(243) + "@example.com" }, "email", "invalid_email"},
			{"first name of 101", "", func(u *admin.NewUser) { u.FirstName = long(101) }, "first_name", "too_long"},
			{"first name of 100 runes", "", func(u *admin.NewUser) { u.FirstName = strings.Repeat("é", 100) }, "", ""},
			{"first name with a control character", "", func(u *admin.NewUser) { u.FirstName = "New\x00bie" }, "first_name", "invalid_characters"},
			{"last name of 101", "", func(u *admin.NewUser) { u.LastName = long(101) }, "last_name", "too_long"},
			{"last name with a newline", "", func(u *admin.NewUser) { u.LastName = "Smith\nJones" }, "last_name", "invalid_characters"},
			{"phone with letters", "", func(u *admin.NewUser) { u.Phone = "call me" }, "phone", "invalid_phone"},
			{"phone too short", "", func(u *admin.NewUser) { u.Phone = "12" }, "phone", "invalid_phone"},
			{"locale de", "", func(u *admin.NewUser) { u.Locale = "de" }, "locale", "unsupported_locale"},
			{"type owner", "", func(u *admin.NewUser) { u.Type = "owner" }, "type", "invalid_type"},
			{"auth ldap", "", func(u *admin.NewUser) { u.Auth = "ldap" }, "auth", "invalid_auth"},
			{"other recipient not an address", "", func(u *admin.NewUser) { u.OtherRecipients = []string{"ok@example.com", "nope"} }, "other_recipients", "invalid_email"},
			{"eleven other recipients", "", func(u *admin.NewUser) {
				for i := range 11 {
					u.OtherRecipients = append(u.OtherRecipients, strings.Repeat("r", i+1)+"@example.com")
				}
			}, "other_recipients", "too_many"},
			{"expires in -1 days", "", func(u *admin.NewUser) { u.ExpiresInDays = ptr(-1) }, "expires_in_days", "out_of_range"},
			{"expires in 3651 days", "", func(u *admin.NewUser) { u.ExpiresInDays = ptr(3651) }, "expires_in_days", "out_of_range"},
			{"expires in 3650 days", "", func(u *admin.NewUser) { u.ExpiresInDays = ptr(3650) }, "", ""},
			{"expiry given twice", "", func(u *admin.NewUser) { u.ExpiresInDays = ptr(3); u.ExpiresAt = ptr(now.Add(time.Hour)) }, "expires_in_days", "conflicting_fields"},
			{"expires in the past", "", func(u *admin.NewUser) { u.ExpiresAt = ptr(now.Add(-time.Second)) }, "expires_at", "in_the_past"},
			{"expires now", "", func(u *admin.NewUser) { u.ExpiresAt = ptr(now) }, "expires_at", "in_the_past"},
			{"password shorter than 12", "", func(u *admin.NewUser) { u.Password = "eleven-char" }, "password", "password_too_short"},
			{"password of 12", "", func(u *admin.NewUser) { u.Password = "twelve-chars" }, "", ""},
			{"password of 12 runes", "", func(u *admin.NewUser) { u.Password = "ぱすわーどぱすわーどぱす" }, "", ""},
			{"password shorter than the tenant's 20", "strict", func(u *admin.NewUser) { u.Password = "nineteen-characters" }, "password", "password_too_short"},
			{"password of the tenant's 20", "strict", func(u *admin.NewUser) { u.Password = "twenty-characters-ok" }, "", ""},
			{"password of 129", "", func(u *admin.NewUser) { u.Password = long(129) }, "password", "password_too_long"},
			{"password of 128", "", func(u *admin.NewUser) { u.Password = "y" + long(127) }, "", ""},
			{"password contains the username", "", func(u *admin.NewUser) { u.Password = "i-am-NEWBIE-and-proud" }, "password", "password_contains_identity"},
			{"password contains the e-mail local part", "", func(u *admin.NewUser) { u.Email = "nb.mail@example.com"; u.Password = "secret-nb.mail-123" }, "password", "password_contains_identity"},
			{"password contains the e-mail address", "", func(u *admin.NewUser) { u.Username = "nb"; u.Email = "nb@ex.io"; u.Password = "xx-nb@ex.io-xx" }, "password", "password_contains_identity"},
			{"password is common", "", func(u *admin.NewUser) { u.Password = "password1234" }, "password", "password_common"},
			{"password is common in another case", "", func(u *admin.NewUser) { u.Password = "QwertyUiop123" }, "password", "password_common"},
			{"sso user with a password", "", func(u *admin.NewUser) { u.Auth = admin.AuthSSO; u.Password = initialPassword }, "password", "sso_user_password"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				slug := tc.slug
				if slug == "" {
					slug = f.slug
				}
				in := admin.NewUser{Username: "newbie", Email: "newbie@example.com", FirstName: "New", LastName: "Bie"}
				tc.edit(&in)
				seats, events := f.MustTenant(slug).UserCount, len(f.audit(slug))
				u, err := f.svc.CreateUser(f.staff, slug, in)
				if tc.code == "" {
					wantOK(t, "CreateUser", err)
					// Make room for the next case.
					if _, err := f.svc.DeleteUser(f.staff, slug, u.ID); err != nil {
						t.Fatalf("DeleteUser: %v", err)
					}
					return
				}
				wantFieldErr(t, err, admin.KindInvalid, tc.code, tc.field)
				if u != nil {
					t.Errorf("CreateUser returned a user with its error: %+v", u)
				}
				if got := f.MustTenant(slug).UserCount; got != seats {
					t.Errorf("seats in use went from %d to %d after a refused creation", seats, got)
				}
				if got := f.usernames(slug, admin.UserFilter{IncludeDeactivated: true}); len(got) != 0 {
					t.Errorf("users after a refused creation: %v, want none", got)
				}
				f.wantNoNewAudit(slug, events)
			})
		}
	})
}

func TestUsernameAndEmailAreUniquePerTenantIgnoringCase(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustCreateTenant("globex", admin.TenantSettingsPatch{})
		alice := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "alice", Email: "alice@example.com"})
		removed := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "ghost", Email: "ghost@example.com", Auth: admin.AuthSSO})
		if _, err := f.svc.DeleteUser(f.staff, f.slug, removed.ID); err != nil {
			t.Fatal(err)
		}
		seats := f.MustTenant(f.slug).UserCount

		for _, tc := range []struct {
			name            string
			username, email string
			field, code     string
		}{
			{"same username in capitals", "ALICE", "other@example.com", "username", "username_taken"},
			{"same e-mail in another case", "alice2", "Alice@EXAMPLE.com", "email", "email_taken"},
			{"username of a removed user", "Ghost", "ghost2@example.com", "username", "username_taken"},
			{"e-mail of a removed user", "ghost2", "GHOST@example.com", "email", "email_taken"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				events := len(f.audit(f.slug))
				_, err := f.svc.CreateUser(f.staff, f.slug, admin.NewUser{Username: tc.username, Email: tc.email})
				wantFieldErr(t, err, admin.KindConflict, tc.code, tc.field)
				if got := f.MustTenant(f.slug).UserCount; got != seats {
					t.Errorf("seats went from %d to %d after a refused duplicate", seats, got)
				}
				f.wantNoNewAudit(f.slug, events)
			})
		}

		other := f.MustCreateUser(f.staff, "globex", admin.NewUser{Username: "alice", Email: "alice@example.com"})
		if other.ID == alice.ID {
			t.Errorf("the alice of another tenant has the same id as acme's alice")
		}

		bob := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "bob"})
		before := f.MustGetUser(f.slug, bob.ID)
		_, err := f.svc.UpdateUser(f.staff, f.slug, bob.ID, admin.UserPatch{Email: ptr("ALICE@example.com")})
		wantFieldErr(t, err, admin.KindConflict, "email_taken", "email")
		wantUnchanged(t, before, f.MustGetUser(f.slug, bob.ID))
	})
}

func TestSSOUserHasNoPassword(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "sam", Auth: admin.AuthSSO})
		if u.PasswordHash != "" || u.MustChangePassword || u.Auth != admin.AuthSSO {
			t.Errorf("SSO user %+v: want no password and no forced change", u)
		}
		before := f.MustGetUser(f.slug, u.ID)
		_, err := f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{MustChangePassword: ptr(true)})
		wantFieldErr(t, err, admin.KindInvalid, "sso_user_password", "must_change_password")
		wantUnchanged(t, before, f.MustGetUser(f.slug, u.ID))
	})
}

func TestUsernameAndAuthNeverChange(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustUser("dave", admin.TypeStandard)
		before := f.MustGetUser(f.slug, u.ID)
		events := len(f.audit(f.slug))

		_, err := f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{Username: ptr("david"), FirstName: ptr("David")})
		wantFieldErr(t, err, admin.KindInvalid, "immutable", "username")
		_, err = f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{Username: ptr("DAVE")})
		wantFieldErr(t, err, admin.KindInvalid, "immutable", "username")
		_, err = f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{Auth: ptr(admin.AuthSSO)})
		wantFieldErr(t, err, admin.KindInvalid, "immutable", "auth")
		wantUnchanged(t, before, f.MustGetUser(f.slug, u.ID))
		f.wantNoNewAudit(f.slug, events)

		// Sending the current values is no change at all.
		_, err = f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{Username: ptr("dave"), Auth: ptr(admin.AuthPassword)})
		wantOK(t, "UpdateUser with unchanged username and auth", err)
		wantUnchanged(t, before, f.MustGetUser(f.slug, u.ID))
		f.wantNoNewAudit(f.slug, events)
	})
}

func TestNobodyEditsTheirOwnEmailTypeOrStatus(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		ann := f.MustMember(f.slug, "ann", admin.TypeAdmin)
		ben := f.MustMember(f.slug, "ben", admin.TypeAdmin)

		for _, tc := range []struct {
			field string
			patch admin.UserPatch
		}{
			{"email", admin.UserPatch{Email: ptr("ann.new@example.com")}},
			{"type", admin.UserPatch{Type: ptr(admin.TypeStandard)}},
			{"status", admin.UserPatch{Status: ptr(admin.StatusDeactivated)}},
			{"email", admin.UserPatch{FirstName: ptr("Annie"), Email: ptr("ann.new@example.com")}},
		} {
			t.Run(tc.field, func(t *testing.T) {
				before, events := f.MustGetUser(f.slug, ann.ID), len(f.audit(f.slug))
				_, err := f.svc.UpdateUser(ann.ctx, f.slug, ann.ID, tc.patch)
				wantFieldErr(t, err, admin.KindForbidden, "self_edit_forbidden", tc.field)
				wantUnchanged(t, before, f.MustGetUser(f.slug, ann.ID))
				f.wantNoNewAudit(f.slug, events)
			})
		}
		_, err := f.svc.DeactivateUser(ann.ctx, f.slug, ann.ID)
		wantFieldErr(t, err, admin.KindForbidden, "self_edit_forbidden", "status")
		_, err = f.svc.DeleteUser(ann.ctx, f.slug, ann.ID)
		wantFieldErr(t, err, admin.KindForbidden, "self_edit_forbidden", "status")

		// Their own name and the same address are fine.
		got, err := f.svc.UpdateUser(ann.ctx, f.slug, ann.ID, admin.UserPatch{FirstName: ptr("Annie"), Email: ptr(ann.Email), Type: ptr(admin.TypeAdmin)})
		wantOK(t, "own first name", err)
		if got.FirstName != "Annie" {
			t.Errorf("first name = %q, want Annie", got.FirstName)
		}

		// Another admin, and staff, may change what the user may not.
		got, err = f.svc.UpdateUser(ben.ctx, f.slug, ann.ID, admin.UserPatch{Email: ptr("ann.new@example.com"), Type: ptr(admin.TypeReadOnly)})
		wantOK(t, "another admin edits ann", err)
		if got.Email != "ann.new@example.com" || got.Type != admin.TypeReadOnly {
			t.Errorf("after another admin's edit: email %s, type %s", got.Email, got.Type)
		}
		got, err = f.svc.UpdateUser(f.staff, f.slug, ann.ID, admin.UserPatch{Status: ptr(admin.StatusDeactivated)})
		wantOK(t, "staff deactivates ann", err)
		if got.Status != admin.StatusDeactivated {
			t.Errorf("status = %s after staff deactivated, want deactivated", got.Status)
		}
	})
}

func TestUpdateUserValidatesAndChangesNothingOnBadInput(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		f.MustUser("taken", admin.TypeStandard)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "erin", FirstName: "Erin", Phone: "+1 555 0100"})
		past := f.clock.Now().Add(-time.Hour)
		for _, tc := range []struct {
			name        string
			patch       admin.UserPatch
			kind        admin.Kind
			field, code string
		}{
			{"bad e-mail", admin.UserPatch{FirstName: ptr("Changed"), Email: ptr("erin@")}, admin.KindInvalid, "email", "invalid_email"},
			{"empty e-mail", admin.UserPatch{Email: ptr(" ")}, admin.KindInvalid, "email", "required"},
			{"taken e-mail", admin.UserPatch{FirstName: ptr("Changed"), Email: ptr("TAKEN@example.com")}, admin.KindConflict, "email", "email_taken"},
			{"long first name", admin.UserPatch{FirstName: ptr(strings.Repeat("e", 101))}, admin.KindInvalid, "first_name", "too_long"},
			{"control in last name", admin.UserPatch{LastName: ptr("a\tb")}, admin.KindInvalid, "last_name", "invalid_characters"},
			{"bad phone", admin.UserPatch{FirstName: ptr("Changed"), Phone: ptr("phone")}, admin.KindInvalid, "phone", "invalid_phone"},
			{"bad locale", admin.UserPatch{Locale: ptr("fr")}, admin.KindInvalid, "locale", "unsupported_locale"},
			{"bad type", admin.UserPatch{Type: ptr(admin.UserType("root"))}, admin.KindInvalid, "type", "invalid_type"},
			{"status removed", admin.UserPatch{Status: ptr(admin.StatusRemoved)}, admin.KindInvalid, "status", "invalid_transition"},
			{"pending to active", admin.UserPatch{Status: ptr(admin.StatusActive)}, admin.KindInvalid, "status", "invalid_transition"},
			{"expiry in the past", admin.UserPatch{ExpiresAt: &past}, admin.KindInvalid, "expires_at", "in_the_past"},
			{"expiry out of range", admin.UserPatch{ExpiresInDays: ptr(5000)}, admin.KindInvalid, "expires_in_days", "out_of_range"},
			{"bad other recipient", admin.UserPatch{OtherRecipients: ptr([]string{"x"})}, admin.KindInvalid, "other_recipients", "invalid_email"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, events := f.MustGetUser(f.slug, u.ID), len(f.audit(f.slug))
				_, err := f.svc.UpdateUser(f.staff, f.slug, u.ID, tc.patch)
				wantFieldErr(t, err, tc.kind, tc.code, tc.field)
				wantUnchanged(t, before, f.MustGetUser(f.slug, u.ID))
				f.wantNoNewAudit(f.slug, events)
			})
		}
	})
}

func TestUpdateUserRecordsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		u := f.MustCreateUser(f.staff, f.slug, admin.NewUser{Username: "fay", FirstName: "Fay", Phone: "555 0101"})
		f.clock.Advance(time.Minute)
		got, err := f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{
			FirstName: ptr("Faye"), Phone: ptr("555 0102"), LastName: ptr(""), ExpiresInDays: ptr(7),
			OtherRecipients: ptr([]string{"cc@example.com"}), NotificationsDisabled: ptr(true),
		})
		wantOK(t, "UpdateUser", err)
		if got.FirstName != "Faye" || got.Phone != "555 0102" || got.ExpiresAt == nil || !got.NotificationsDisabled ||
			!got.UpdatedAt.Equal(f.clock.Now()) || !reflect.DeepEqual(got, f.MustGetUser(f.slug, u.ID)) {
			t.Errorf("after UpdateUser: %+v", got)
		}
		e := f.lastAudit(f.slug)
		before, _ := e.Details["before"].(map[string]any)
		after, _ := e.Details["after"].(map[string]any)
		if e.Action != "user.updated" || e.TargetID != u.ID || e.ActorID != f.staffU.ID {
			t.Errorf("audit: %s on %s by %s, want user.updated on fay by staff", e.Action, e.TargetID, e.ActorID)
		}
		wantKeys := []string{"expires_at", "first_name", "notifications_disabled", "other_recipients", "phone"}
		if len(after) != len(wantKeys) || len(before) != len(wantKeys) {
			t.Errorf("audit details name %v → %v, want exactly %v", before, after, wantKeys)
		}
		if before["first_name"] != "Fay" || after["first_name"] != "Faye" || before["phone"] != "555 0101" || after["phone"] != "555 0102" {
			t.Errorf("audit before %v, after %v; want first_name Fay→Faye and phone 555 0101→555 0102", before, after)
		}

		events := len(f.audit(f.slug))
		_, err = f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{FirstName: ptr("Faye")})
		wantOK(t, "UpdateUser without a change", err)
		f.wantNoNewAudit(f.slug, events)

		got, err = f.svc.UpdateUser(f.staff, f.slug, u.ID, admin.UserPatch{ExpiresInDays: ptr(0)})
		wantOK(t, "clear the expiry", err)
		if got.ExpiresAt != nil {
			t.Errorf("expires_at = %v after expires_in_days 0, want none", got.ExpiresAt)
		}
	})
}

func TestChangingTypeEndsTheUsersSessions(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := MustFixture(t, db)
		gus := f.MustMember(f.slug, "gus", admin.TypeStandard)
		_, err := f.svc.UpdateUser(f.staff, f.slug, gus.ID, admin.UserPatch{FirstName: ptr("Gustav")})
		wantOK(t, "rename", err)
		if _, _, err := f.svc.Authenticate(f.anon, gus.token); err != nil {
			t.Fatalf("a change of name ended the session: %v", err)
		}
		_, err = f.svc.UpdateUser(f.staff, f.slug, gus.ID, admin.UserPatch{Type: ptr(admin.TypeReadOnly)})
		wantOK(t, "change type", err)
		_, _, err = f.svc.Authenticate(f.anon, gus.token)
		wantErr(t, err, admin.KindUnauthenticated, "unauthenticated")
	})
}
