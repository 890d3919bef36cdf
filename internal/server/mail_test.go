package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster/internal/admin"
	"roster/internal/mail"
	"roster/internal/mail/smtptest"
	"roster/internal/server"
	"roster/internal/sqlstore"
	"roster/internal/sqlstore/sqltest"
)

// mailEnv is an env whose server delivers mail, through its own worker,
// to a real SMTP server inside the test process.
type mailEnv struct {
	*env
	smtp *smtptest.Server
}

func mustMailEnv(t *testing.T, db *sqlstore.DB) *mailEnv {
	t.Helper()
	smtp := smtptest.Start(t)
	sender, err := mail.New(mail.Config{URL: smtp.URL(), From: "Roster <roster@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	svc := admin.New(admin.Config{Store: db, Clock: clock, Hasher: cheapHasher(), Mailer: sender, PublicURL: base})
	if _, err := svc.Bootstrap(context.Background(), staffPassword); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	srv := server.New(server.Config{Service: svc, DB: db, Logger: slog.New(slog.DiscardHandler), MailEvery: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		svc.WaitBackground()
	})
	e := &env{tb: t, db: db, svc: svc, clock: clock, url: base}
	e.staff, e.staffUser = e.mustSignIn("", "admin", staffPassword)
	return &mailEnv{env: e, smtp: smtp}
}

func (m *mailEnv) in(tb testing.TB) *mailEnv { return &mailEnv{env: m.env.in(tb), smtp: m.smtp} }

// advance moves the clock past d and signs staff in again, whose session
// the jump ends.
func (m *mailEnv) advance(d time.Duration) {
	m.tb.Helper()
	m.clock.Advance(d)
	wantStatus(m.tb, signIn(m.tb, m.staff, "", "admin", staffPassword), http.StatusOK)
}

// TestMailAndLinks follows the links of real e-mails, on both databases:
// activation (R-E1), password reset (R-A5), notifications (R-E2) and
// invitations (R-I1, R-I2, R-U9).
func TestMailAndLinks(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		m := mustMailEnv(t, db)
		for i, sc := range []struct {
			name string
			run  func(t *testing.T, m *mailEnv, slug string)
		}{
			{"ActivationLinkSetsThePasswordOnce", testActivationLink},
			{"ResentActivationSupersedesTheOldLink", testResendActivation},
			{"ActivationLinkExpires", testActivationExpires},
			{"ForgotPasswordResetsOnceAndEndsSessions", testForgotPassword},
			{"ResetLinkExpiresAndIsSuperseded", testResetExpires},
			{"ResetRequestsAreThrottledPerUser", testResetThrottle},
			{"AdminSendsAResetLink", testAdminSendsReset},
			{"TokensAreUnreadableInTheDatabase", testTokensUnreadable},
			{"NotificationsHonourSettingsAndCopyOthers", testNotifications},
			{"InvitationAcceptedOnce", testInvitationAccepted},
			{"InvitationResendRevokeAndRefusals", testInvitationResendRevoke},
			{"InvitationSeatLimitAtAcceptance", testInvitationSeatLimit},
			{"InvitationExpires", testInvitationExpires},
		} {
			slug := fmt.Sprintf("m%d", i+1)
			m.mustTenant(slug, nil)
			t.Run(sc.name, func(t *testing.T) { sc.run(t, m.in(t), slug) })
		}
	})
}

// addr is a per-tenant address, so that scenarios sharing the SMTP server
// never read each other's mail.
func addr(slug, name string) string { return name + "@" + slug + ".example.com" }

func redeem(t *testing.T, c *client, path, token, pw string) reply {
	t.Helper()
	return do(t, c, "POST", path, map[string]any{"token": token, "password": pw})
}

func testActivationLink(t *testing.T, m *mailEnv, slug string) {
	ann := m.mustCreateUser(m.staff, slug, map[string]any{"username": "ann", "email": addr(slug, "ann"),
		"other_recipients": []string{addr(slug, "boss")}, "locale": "ja"})
	msg := m.smtp.WaitTo(t, ann.Email, "有効")
	if len(msg.Rcpt) != 1 || msg.Cc != "" {
		t.Fatalf("activation mail went to %v (Cc %q): a mail with a link goes to the user alone", msg.Rcpt, msg.Cc)
	}
	if !strings.HasPrefix(msg.Link(), m.url+"/activate?token=") || !strings.Contains(msg.HTML, msg.Link()) {
		t.Fatalf("link %q: want %s/activate?token=… in text and HTML", msg.Link(), m.url)
	}
	// Before activation there is no password to sign in with.
	wantProblem(t, signIn(t, m.anon(), slug, "ann", userPassword), http.StatusUnauthorized, "invalid_credentials")

	before := m.snapshot(slug)
	r := redeem(t, m.anon(), "/api/v1/activate", msg.Token(), "ann")
	wantProblem(t, r, http.StatusUnprocessableEntity, "password_too_short", "password")
	m.wantUnchanged(slug, before, r)

	r = redeem(t, m.anon(), "/api/v1/activate", msg.Token(), userPassword)
	wantStatus(t, r, http.StatusOK)
	if u := decode[userJSON](t, r); u.ID != ann.ID || u.Tenant != slug || u.MustChangePassword {
		t.Fatalf("activate answered %+v", u)
	}
	m.mustSignIn(slug, "ann", userPassword)
	wantProblem(t, redeem(t, m.anon(), "/api/v1/activate", msg.Token(), "another-passphrase"), http.StatusUnprocessableEntity, "invalid_token", "token")
	// An activation token is no reset token, and garbage is no token.
	wantProblem(t, redeem(t, m.anon(), "/api/v1/password-reset", msg.Token(), "another-passphrase"), http.StatusUnprocessableEntity, "invalid_token")
	wantProblem(t, redeem(t, m.anon(), "/api/v1/activate", "x", "another-passphrase"), http.StatusUnprocessableEntity, "invalid_token")
	if ev := m.audit(slug, "action=user.activation_completed"); len(ev) != 1 || ev[0].Target.ID != ann.ID {
		t.Fatalf("user.activation_completed events: %+v", ev)
	}
	if r := do(t, m.anon(), "GET", "/metrics", nil); !regexp.MustCompile(`(?m)^roster_mail_sent_total [1-9]`).Match(r.raw) {
		t.Fatalf("/metrics does not count the mail sent:\n%s", r.raw)
	}
}

func testResendActivation(t *testing.T, m *mailEnv, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	bea := m.mustCreateUser(m.staff, slug, map[string]any{"username": "bea", "email": addr(slug, "bea")})
	first := m.smtp.WaitTo(t, bea.Email, "Activate")
	wantStatus(t, do(t, m.staff, "POST", users+bea.ID+"/resend-activation", nil), http.StatusAccepted)
	second := m.smtp.WaitFor(t, 15*time.Second, "second activation", func(x *smtptest.Message) bool {
		return strings.Contains(x.To, bea.Email) && x.Token() != "" && x.Token() != first.Token()
	})
	wantProblem(t, redeem(t, m.anon(), "/api/v1/activate", first.Token(), userPassword), http.StatusUnprocessableEntity, "invalid_token")
	// A new address ends the links sent to the old one and gets its own.
	wantStatus(t, do(t, m.staff, "PATCH", users+bea.ID, map[string]any{"email": addr(slug, "bea2")}), http.StatusOK)
	third := m.smtp.WaitTo(t, addr(slug, "bea2"), "Activate")
	wantProblem(t, redeem(t, m.anon(), "/api/v1/activate", second.Token(), userPassword), http.StatusUnprocessableEntity, "invalid_token")
	wantStatus(t, redeem(t, m.anon(), "/api/v1/activate", third.Token(), userPassword), http.StatusOK)

	// Only pending password users get activation links.
	_, act := m.mustMember(slug, "bev", "standard")
	wantProblem(t, do(t, m.staff, "POST", users+act.ID+"/resend-activation", nil), http.StatusConflict, "not_pending")
	sso := m.mustCreateUser(m.staff, slug, map[string]any{"username": "bes", "email": addr(slug, "bes"), "auth": "sso"})
	wantProblem(t, do(t, m.staff, "POST", users+sso.ID+"/resend-activation", nil), http.StatusConflict, "sso_user")
	// A standard user may not send links.
	std, _ := m.mustMember(slug, "bez", "standard")
	wantProblem(t, do(t, std, "POST", users+bea.ID+"/resend-activation", nil), http.StatusForbidden, "forbidden")
}

func testActivationExpires(t *testing.T, m *mailEnv, slug string) {
	cy := m.mustCreateUser(m.staff, slug, map[string]any{"username": "cy", "email": addr(slug, "cy")})
	msg := m.smtp.WaitTo(t, cy.Email, "Activate")
	m.advance(admin.ActivationLinkTTL + time.Minute)
	before := m.snapshot(slug)
	r := redeem(t, m.anon(), "/api/v1/activate", msg.Token(), userPassword)
	wantProblem(t, r, http.StatusUnprocessableEntity, "token_expired", "token")
	m.wantUnchanged(slug, before, r)
}

func testForgotPassword(t *testing.T, m *mailEnv, slug string) {
	dan := m.mustCreateUser(m.staff, slug, map[string]any{"username": "dan", "email": addr(slug, "dan"), "password": initialPassword})
	c1, _ := m.mustSignIn(slug, "dan", initialPassword)
	c2, _ := m.mustSignIn(slug, "dan", initialPassword)

	known := do(t, m.anon(), "POST", "/api/v1/password-reset/request", map[string]any{"tenant": slug, "email": strings.ToUpper(dan.Email)})
	unknown := do(t, m.anon(), "POST", "/api/v1/password-reset/request", map[string]any{"tenant": slug, "email": addr(slug, "nobody")})
	noTenant := do(t, m.anon(), "POST", "/api/v1/password-reset/request", map[string]any{"tenant": "no-such-tenant", "email": dan.Email})
	for _, r := range []reply{known, unknown, noTenant} {
		wantStatus(t, r, http.StatusAccepted)
		if string(r.raw) != string(known.raw) {
			t.Fatalf("answers differ: %v and %v", known, r)
		}
	}
	wantProblem(t, do(t, m.anon(), "POST", "/api/v1/password-reset/request", map[string]any{"tenant": slug, "email": "not-an-address"}),
		http.StatusUnprocessableEntity, "invalid_email", "email")

	msg := m.smtp.WaitTo(t, dan.Email, "Reset")
	if !strings.HasPrefix(msg.Link(), m.url+"/reset-password?token=") {
		t.Fatalf("reset link %q", msg.Link())
	}
	r := redeem(t, m.anon(), "/api/v1/password-reset", msg.Token(), userPassword)
	wantStatus(t, r, http.StatusOK)
	if u := decode[userJSON](t, r); u.MustChangePassword {
		t.Fatalf("after a reset the password is the user's own; got must_change_password")
	}
	for _, c := range []*client{c1, c2} {
		wantProblem(t, do(t, c, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	}
	wantProblem(t, signIn(t, m.anon(), slug, "dan", initialPassword), http.StatusUnauthorized, "invalid_credentials")
	m.mustSignIn(slug, "dan", userPassword)
	wantProblem(t, redeem(t, m.anon(), "/api/v1/password-reset", msg.Token(), "yet-another-passphrase"), http.StatusUnprocessableEntity, "invalid_token")
	if ev := m.audit(slug, "action=user.password_reset"); len(ev) != 1 || ev[0].Details["sessions_ended"] != float64(2) {
		t.Fatalf("user.password_reset events: %+v", ev)
	}
}

func testResetExpires(t *testing.T, m *mailEnv, slug string) {
	eli := m.mustCreateUser(m.staff, slug, map[string]any{"username": "eli", "email": addr(slug, "eli"), "password": initialPassword})
	req := map[string]any{"tenant": slug, "email": eli.Email}
	wantStatus(t, do(t, m.anon(), "POST", "/api/v1/password-reset/request", req), http.StatusAccepted)
	first := m.smtp.WaitTo(t, eli.Email, "Reset")
	wantStatus(t, do(t, m.anon(), "POST", "/api/v1/password-reset/request", req), http.StatusAccepted)
	second := m.smtp.WaitFor(t, 15*time.Second, "second reset", func(x *smtptest.Message) bool {
		return strings.Contains(x.To, eli.Email) && x.Token() != "" && x.Token() != first.Token()
	})
	wantProblem(t, redeem(t, m.anon(), "/api/v1/password-reset", first.Token(), userPassword), http.StatusUnprocessableEntity, "invalid_token")
	m.advance(admin.ResetLinkTTL + time.Second)
	wantProblem(t, redeem(t, m.anon(), "/api/v1/password-reset", second.Token(), userPassword), http.StatusUnprocessableEntity, "token_expired")
	m.mustSignIn(slug, "eli", initialPassword)
}

// outboxCount counts the mails to an address in the outbox, any state.
func outboxCount(t *testing.T, db *sqlstore.DB, to string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM mail_outbox WHERE to_addr = $1`, to).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testResetThrottle(t *testing.T, m *mailEnv, slug string) {
	fay := m.mustCreateUser(m.staff, slug, map[string]any{"username": "fay", "email": addr(slug, "fay"), "password": initialPassword})
	for range 6 {
		wantStatus(t, do(t, m.anon(), "POST", "/api/v1/password-reset/request", map[string]any{"tenant": slug, "email": fay.Email}), http.StatusAccepted)
	}
	m.svc.WaitBackground()
	if n := outboxCount(t, m.db, fay.Email); n != 3 {
		t.Fatalf("6 reset requests within an hour queued %d mails, want 3", n)
	}
	if ev := m.audit(slug, "action=user.password_reset_requested"); len(ev) != 6 || ev[0].Reason != "throttled" {
		t.Fatalf("requests audited as %+v, want 6 with the last throttled", ev)
	}
	// The admin action is throttled too, and says so.
	wantProblem(t, do(t, m.staff, "POST", "/api/v1/tenants/"+slug+"/users/"+fay.ID+"/reset-password", nil), http.StatusTooManyRequests, "too_many_requests")
	m.advance(time.Hour + time.Second)
	wantStatus(t, do(t, m.staff, "POST", "/api/v1/tenants/"+slug+"/users/"+fay.ID+"/reset-password", nil), http.StatusAccepted)
}

func testAdminSendsReset(t *testing.T, m *mailEnv, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	gus := m.mustCreateUser(m.staff, slug, map[string]any{"username": "gus", "email": addr(slug, "gus"), "password": initialPassword})
	ada, _ := m.mustMember(slug, "gada", "admin")
	wantStatus(t, do(t, ada, "POST", users+gus.ID+"/reset-password", nil), http.StatusAccepted)
	msg := m.smtp.WaitTo(t, gus.Email, "Reset")
	wantStatus(t, redeem(t, m.anon(), "/api/v1/password-reset", msg.Token(), userPassword), http.StatusOK)
	m.mustSignIn(slug, "gus", userPassword)

	// Another tenant's admin learns nothing.
	other := slug + "-other"
	m.mustTenant(other, nil)
	outsider, _ := m.mustMember(other, "gout", "admin")
	wantProblem(t, do(t, outsider, "POST", users+gus.ID+"/reset-password", nil), http.StatusNotFound, "not_found")
	// A deactivated user gets no link.
	wantStatus(t, do(t, ada, "POST", users+gus.ID+"/deactivate", nil), http.StatusOK)
	wantProblem(t, do(t, ada, "POST", users+gus.ID+"/reset-password", nil), http.StatusConflict, "invalid_transition")
}

func testTokensUnreadable(t *testing.T, m *mailEnv, slug string) {
	hal := m.mustCreateUser(m.staff, slug, map[string]any{"username": "hal", "email": addr(slug, "hal")})
	act := m.smtp.WaitTo(t, hal.Email, "Activate")
	wantStatus(t, do(t, m.staff, "POST", "/api/v1/tenants/"+slug+"/invitations", map[string]any{"email": addr(slug, "hix")}), http.StatusCreated)
	inv := m.smtp.WaitTo(t, addr(slug, "hix"), "invited")
	tokens := []string{act.Token(), inv.Token()}

	// No column of any mail table holds a token or a link.
	for _, table := range []string{"mail_outbox", "links", "invitations", "audit_events"} {
		rows, err := m.db.SQL().Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				for _, tok := range tokens {
					if strings.Contains(s, tok) || strings.Contains(s, "token=") {
						t.Fatalf("%s.%s holds a token in clear: %q", table, cols[i], s)
					}
				}
			}
		}
		rows.Close()
	}
	// What is kept is the token's SHA-256, on the live link only.
	for _, tok := range tokens {
		sum := sha256.Sum256([]byte(tok))
		var hash []byte
		if err := m.db.SQL().QueryRow(`SELECT token_hash FROM links WHERE token_hash = $1 AND state = 'live'`, sum[:]).Scan(&hash); err != nil || !bytes.Equal(hash, sum[:]) {
			t.Fatalf("no live link stores the SHA-256 of a delivered token: %v", err)
		}
	}
}

func testNotifications(t *testing.T, m *mailEnv, slug string) {
	users := "/api/v1/tenants/" + slug + "/users/"
	wantStatus(t, do(t, m.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"settings": map[string]any{"lockout_threshold": 2}}), http.StatusOK)
	ida := m.mustCreateUser(m.staff, slug, map[string]any{"username": "ida", "email": addr(slug, "ida"), "password": initialPassword,
		"other_recipients": []string{addr(slug, "ida-boss"), addr(slug, "ida-hr")}})
	wantStatus(t, do(t, m.staff, "POST", users+ida.ID+"/deactivate", nil), http.StatusOK)
	msg := m.smtp.WaitTo(t, ida.Email, "deactivated")
	if len(msg.Rcpt) != 3 || !strings.Contains(msg.Cc, addr(slug, "ida-boss")) || !strings.Contains(msg.Cc, addr(slug, "ida-hr")) {
		t.Fatalf("deactivation notice went to %v, Cc %q: want ida with both copies", msg.Rcpt, msg.Cc)
	}
	wantStatus(t, do(t, m.staff, "PATCH", users+ida.ID, map[string]any{"status": "active"}), http.StatusOK)
	m.smtp.WaitTo(t, ida.Email, "active again")

	// Locked after the tenant's threshold of wrong passwords.
	for range 2 {
		wantProblem(t, signIn(t, m.anon(), slug, "ida", "not-the-passphrase"), http.StatusUnauthorized, "invalid_credentials")
	}
	m.smtp.WaitTo(t, ida.Email, "locked")

	// A role granted to or revoked from the user.
	wantStatus(t, do(t, m.staff, "POST", users+ida.ID+"/unlock", nil), http.StatusOK)
	r := do(t, m.staff, "POST", "/api/v1/tenants/"+slug+"/roles", map[string]any{"name": "Reader", "permissions": []string{"roster.users.read"}})
	wantStatus(t, r, http.StatusCreated)
	r = do(t, m.staff, "POST", "/api/v1/tenants/"+slug+"/grants", map[string]any{"subject": map[string]any{"type": "user", "id": ida.ID},
		"role": r.str("id"), "resource": "tenant:" + slug})
	wantStatus(t, r, http.StatusCreated)
	granted := m.smtp.WaitTo(t, ida.Email, "roles")
	wantStatus(t, do(t, m.staff, "DELETE", "/api/v1/tenants/"+slug+"/grants/"+r.str("id"), nil), http.StatusNoContent)
	m.smtp.WaitFor(t, 15*time.Second, "a second roles notice", func(x *smtptest.Message) bool {
		return x != granted && strings.Contains(x.To, ida.Email) && strings.Contains(x.Subject, "roles")
	})

	// notifications_disabled: no notice at all.
	ivo := m.mustCreateUser(m.staff, slug, map[string]any{"username": "ivo", "email": addr(slug, "ivo"), "password": initialPassword,
		"notifications_disabled": true, "other_recipients": []string{addr(slug, "ivo-boss")}})
	wantStatus(t, do(t, m.staff, "POST", users+ivo.ID+"/deactivate", nil), http.StatusOK)
	wantStatus(t, do(t, m.staff, "POST", users+ivo.ID+"/activate", nil), http.StatusOK)
	if n := outboxCount(t, m.db, ivo.Email); n != 0 {
		t.Fatalf("%d notices queued for a user with notifications disabled", n)
	}

	// Expiry coming: told once per expiry date, a week ahead.
	exp := m.mustCreateUser(m.staff, slug, map[string]any{"username": "iex", "email": addr(slug, "iex"), "password": initialPassword, "expires_in_days": 5})
	for range 2 {
		if _, err := m.svc.NotifyExpiringUsers(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	m.smtp.WaitTo(t, exp.Email, "expires soon")
	if n := outboxCount(t, m.db, exp.Email); n != 1 {
		t.Fatalf("%d expiry notices queued, want 1", n)
	}
}

type invitationJSON struct {
	ID             string    `json:"id"`
	Email          string    `json:"email"`
	Status         string    `json:"status"`
	Roles          []string  `json:"roles"`
	Groups         []string  `json:"groups"`
	SentCount      int       `json:"sent_count"`
	AcceptedUserID string    `json:"accepted_user_id"`
	ExpiresAt      time.Time `json:"expires_at"`
}

func accept(t *testing.T, c *client, token, username, pw string) reply {
	t.Helper()
	return do(t, c, "POST", "/api/v1/invitations/accept", map[string]any{"token": token, "username": username, "password": pw})
}

func testInvitationAccepted(t *testing.T, m *mailEnv, slug string) {
	invs := "/api/v1/tenants/" + slug + "/invitations"
	ada, _ := m.mustMember(slug, "jada", "admin")
	r := do(t, ada, "POST", "/api/v1/tenants/"+slug+"/groups", map[string]any{"name": "Team A"})
	wantStatus(t, r, http.StatusCreated)
	group := r.str("id")
	r = do(t, ada, "POST", invs, map[string]any{"email": addr(slug, "jx"), "groups": []string{"no-such-group"}})
	wantProblem(t, r, http.StatusUnprocessableEntity, "unknown_group", "groups")
	base := "/api/v1/tenants/" + slug
	r = do(t, ada, "POST", base+"/roles", map[string]any{"name": "Reader", "permissions": []string{"roster.users.read"}})
	wantStatus(t, r, http.StatusCreated)
	role := r.str("id")
	wantStatus(t, do(t, ada, "POST", base+"/resources", map[string]any{"type": "project", "key": "P1", "name": "Project one"}), http.StatusCreated)
	for _, c := range []struct {
		body        map[string]any
		code, field string
	}{
		{map[string]any{"email": addr(slug, "jx"), "roles": []string{"no-such-role"}}, "unknown_role", "roles"},
		{map[string]any{"email": addr(slug, "jx"), "grants": []map[string]any{{"role": role, "resource": "project:nope"}}}, "unknown_resource", "grants[0].resource"},
	} {
		wantProblem(t, do(t, ada, "POST", invs, c.body), http.StatusUnprocessableEntity, c.code, c.field)
	}
	// Nobody offers more than they hold: an admin holds every roster.*
	// right but not the host product's.
	wantStatus(t, do(t, m.staff, "POST", "/api/v1/permissions", map[string]any{"name": "mailtest.edit", "kind": "write", "description": "x"}), http.StatusCreated)
	r = do(t, m.staff, "POST", base+"/roles", map[string]any{"name": "Editor", "permissions": []string{"mailtest.edit"}})
	wantStatus(t, r, http.StatusCreated)
	wantProblem(t, do(t, ada, "POST", invs, map[string]any{"email": addr(slug, "jx"), "roles": []string{r.str("id")}}), http.StatusForbidden, "escalation")

	r = do(t, ada, "POST", invs, map[string]any{"email": addr(slug, "joy"), "roles": []string{role}, "groups": []string{group},
		"grants": []map[string]any{{"role": role, "resource": "project:P1", "access": "read_only"}}, "locale": "ja"})
	wantStatus(t, r, http.StatusCreated)
	inv := decode[invitationJSON](t, r)
	if inv.Status != "pending" || inv.SentCount != 1 || len(inv.Roles) != 1 || len(inv.Groups) != 1 {
		t.Fatalf("invitation %+v", inv)
	}
	msg := m.smtp.WaitTo(t, inv.Email, "招待")
	if len(msg.Rcpt) != 1 || !strings.HasPrefix(msg.Link(), m.url+"/accept-invitation?token=") {
		t.Fatalf("invitation mail to %v with link %q", msg.Rcpt, msg.Link())
	}
	list := decode[pageJSON[invitationJSON]](t, do(t, ada, "GET", invs, nil))
	if len(list.Items) != 1 || list.Items[0].ID != inv.ID {
		t.Fatalf("pending invitations: %+v", list.Items)
	}

	before := m.snapshot(slug)
	r = accept(t, m.anon(), msg.Token(), "joy", "")
	wantProblem(t, r, http.StatusUnprocessableEntity, "required", "password")
	m.wantUnchanged(slug, before, r)
	r = accept(t, m.anon(), msg.Token(), "bad name!", userPassword)
	wantProblem(t, r, http.StatusUnprocessableEntity, "invalid_username", "username")
	m.wantUnchanged(slug, before, r)

	r = accept(t, m.anon(), msg.Token(), "joy", userPassword)
	wantStatus(t, r, http.StatusCreated)
	u := decode[userJSON](t, r)
	if u.Email != inv.Email || u.Username != "joy" || u.Locale != "ja" || u.MustChangePassword || u.Tenant != slug {
		t.Fatalf("accepted user %+v", u)
	}
	m.mustSignIn(slug, "joy", userPassword)
	wantProblem(t, accept(t, m.anon(), msg.Token(), "joy2", userPassword), http.StatusUnprocessableEntity, "invalid_token")
	groups := decode[pageJSON[struct {
		ID string `json:"id"`
	}]](t, do(t, ada, "GET", "/api/v1/tenants/"+slug+"/users/"+u.ID+"/groups", nil))
	if len(groups.Items) != 1 || groups.Items[0].ID != group {
		t.Fatalf("the invitee's groups after acceptance: %+v, want %s", groups.Items, group)
	}
	grants := decode[pageJSON[struct {
		Resource string `json:"resource"`
		Access   string `json:"access"`
	}]](t, do(t, ada, "GET", base+"/grants?subject="+u.ID, nil))
	if len(grants.Items) != 2 {
		t.Fatalf("the invitee's grants after acceptance: %+v, want the role on the tenant and on project:P1", grants.Items)
	}
	got := decode[invitationJSON](t, do(t, ada, "GET", invs+"/"+inv.ID, nil))
	if got.Status != "accepted" || got.AcceptedUserID != u.ID {
		t.Fatalf("after acceptance: %+v", got)
	}
	if ev := m.audit(slug, "action=invitation.accepted"); len(ev) != 1 || ev[0].Actor == nil || ev[0].Actor.ID != u.ID {
		t.Fatalf("invitation.accepted events: %+v", ev)
	}
}

func testInvitationResendRevoke(t *testing.T, m *mailEnv, slug string) {
	invs := "/api/v1/tenants/" + slug + "/invitations"
	ada, _ := m.mustMember(slug, "kada", "admin")
	inv := decode[invitationJSON](t, do(t, ada, "POST", invs, map[string]any{"email": addr(slug, "kim")}))
	first := m.smtp.WaitTo(t, inv.Email, "invited")

	before := m.snapshot(slug)
	for _, c := range []struct {
		body  map[string]any
		code  string
		field string
	}{
		{map[string]any{"email": "kim@"}, "invalid_email", "email"},
		{map[string]any{"email": addr(slug, "kx"), "type": "boss"}, "invalid_type", "type"},
		{map[string]any{"email": addr(slug, "kx"), "grants": []map[string]any{{"role": "r", "resource": "nocolon"}}}, "invalid_resource", "grants[0].resource"},
	} {
		r := do(t, ada, "POST", invs, c.body)
		wantProblem(t, r, http.StatusUnprocessableEntity, c.code, c.field)
		m.wantUnchanged(slug, before, r)
	}
	wantProblem(t, do(t, ada, "POST", invs, map[string]any{"email": strings.ToUpper(inv.Email)}), http.StatusConflict, "already_invited", "email")
	wantProblem(t, do(t, ada, "POST", invs, map[string]any{"email": "kada@example.com"}), http.StatusConflict, "email_taken", "email")
	// Re-inviting a removed user's address offers their restore (R-U4).
	_, gone := m.mustMember(slug, "kgone", "standard")
	wantStatus(t, do(t, ada, "DELETE", "/api/v1/tenants/"+slug+"/users/"+gone.ID, nil), http.StatusNoContent)
	r := do(t, ada, "POST", invs, map[string]any{"email": gone.Email})
	wantProblem(t, r, http.StatusConflict, "email_taken", "email")
	if !strings.Contains(r.str("detail"), "restore") {
		t.Fatalf("re-inviting a removed user: %v, want the offer to restore them", r)
	}

	r = do(t, ada, "POST", invs+"/"+inv.ID+"/resend", nil)
	wantStatus(t, r, http.StatusOK)
	if got := decode[invitationJSON](t, r); got.SentCount != 2 {
		t.Fatalf("resent invitation: %+v", got)
	}
	second := m.smtp.WaitFor(t, 15*time.Second, "resent invitation", func(x *smtptest.Message) bool {
		return strings.Contains(x.To, inv.Email) && x.Token() != "" && x.Token() != first.Token()
	})
	wantProblem(t, accept(t, m.anon(), first.Token(), "kim", userPassword), http.StatusUnprocessableEntity, "invalid_token")

	// Another tenant's admin cannot see, resend or revoke it.
	other := slug + "-other"
	m.mustTenant(other, nil)
	outsider, _ := m.mustMember(other, "kout", "admin")
	for _, c := range []struct{ method, path string }{{"GET", invs + "/" + inv.ID}, {"POST", invs + "/" + inv.ID + "/resend"},
		{"DELETE", invs + "/" + inv.ID}, {"GET", "/api/v1/tenants/" + other + "/invitations/" + inv.ID}} {
		r := do(t, outsider, c.method, c.path, nil)
		wantProblem(t, r, http.StatusNotFound, "not_found")
	}
	std, _ := m.mustMember(slug, "kstd", "standard")
	wantProblem(t, do(t, std, "GET", invs, nil), http.StatusForbidden, "forbidden")

	wantStatus(t, do(t, ada, "DELETE", invs+"/"+inv.ID, nil), http.StatusNoContent)
	wantProblem(t, accept(t, m.anon(), second.Token(), "kim", userPassword), http.StatusUnprocessableEntity, "invalid_token")
	wantProblem(t, do(t, ada, "DELETE", invs+"/"+inv.ID, nil), http.StatusConflict, "invitation_closed")
	wantProblem(t, do(t, ada, "POST", invs+"/"+inv.ID+"/resend", nil), http.StatusConflict, "invitation_closed")
	if got := decode[pageJSON[invitationJSON]](t, do(t, ada, "GET", invs+"?status=revoked", nil)); len(got.Items) != 1 {
		t.Fatalf("revoked invitations: %+v", got.Items)
	}
	// A revoked invitation makes way for a new one.
	wantStatus(t, do(t, ada, "POST", invs, map[string]any{"email": inv.Email}), http.StatusCreated)
}

func testInvitationSeatLimit(t *testing.T, m *mailEnv, slug string) {
	invs := "/api/v1/tenants/" + slug + "/invitations"
	ada, _ := m.mustMember(slug, "lada", "admin")
	wantStatus(t, do(t, m.staff, "PATCH", "/api/v1/tenants/"+slug, map[string]any{"max_users": 2}), http.StatusOK)
	// Pending invitations take no seat: inviting beyond the limit works.
	inv := decode[invitationJSON](t, do(t, ada, "POST", invs, map[string]any{"email": addr(slug, "lou")}))
	msg := m.smtp.WaitTo(t, inv.Email, "invited")
	filler := m.mustCreateUser(ada, slug, map[string]any{"username": "lfill", "password": initialPassword})

	before := m.snapshot(slug)
	r := accept(t, m.anon(), msg.Token(), "lou", userPassword)
	wantProblem(t, r, http.StatusConflict, "seat_limit")
	m.wantUnchanged(slug, before, r)
	// The link still works once a seat is free.
	wantStatus(t, do(t, ada, "DELETE", "/api/v1/tenants/"+slug+"/users/"+filler.ID, nil), http.StatusNoContent)
	wantStatus(t, accept(t, m.anon(), msg.Token(), "lou", userPassword), http.StatusCreated)
}

func testInvitationExpires(t *testing.T, m *mailEnv, slug string) {
	invs := "/api/v1/tenants/" + slug + "/invitations"
	inv := decode[invitationJSON](t, do(t, m.staff, "POST", invs, map[string]any{"email": addr(slug, "max")}))
	msg := m.smtp.WaitTo(t, inv.Email, "invited")
	m.advance(admin.InvitationTTL + time.Minute)
	wantProblem(t, accept(t, m.anon(), msg.Token(), "max", userPassword), http.StatusUnprocessableEntity, "token_expired")
	if got := decode[pageJSON[invitationJSON]](t, do(t, m.staff, "GET", invs+"?status=expired", nil)); len(got.Items) != 1 || got.Items[0].Status != "expired" {
		t.Fatalf("expired invitations: %+v", got.Items)
	}
	if got := decode[pageJSON[invitationJSON]](t, do(t, m.staff, "GET", invs, nil)); len(got.Items) != 0 {
		t.Fatalf("pending invitations after expiry: %+v", got.Items)
	}
	// An expired invitation makes way for a new one.
	wantStatus(t, do(t, m.staff, "POST", invs, map[string]any{"email": inv.Email}), http.StatusCreated)
}
