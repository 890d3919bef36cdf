package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/internal/admin"
	"roster/internal/mail"
	"roster/internal/mail/smtptest"
)

// postman delivers the shared server's outbox to a real SMTP server in the
// test process: the console's server runs no delivery worker of its own,
// so a second service on the same database does the delivering.
type postman struct {
	t    *testing.T
	e    *env
	svc  *admin.Service
	smtp *smtptest.Server
}

func (e *env) postman(t *testing.T) *postman {
	t.Helper()
	srv := smtptest.Start(t)
	sender, err := mail.New(mail.Config{URL: srv.URL(), From: "roster@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return &postman{t: t, e: e, smtp: srv, svc: admin.New(admin.Config{Store: e.db, Mailer: sender, PublicURL: e.url})}
}

// mailTo delivers what is due and returns the newest mail to addr whose
// subject contains subject.
func (p *postman) mailTo(addr, subject string) *smtptest.Message {
	p.t.Helper()
	p.e.svc.WaitBackground() // "forgot password" runs after its answer
	for {
		n, err := p.svc.DeliverMail(context.Background(), "console-test", 50)
		if err != nil {
			p.t.Fatalf("DeliverMail: %v", err)
		}
		if n == 0 {
			break
		}
	}
	var last *smtptest.Message
	for _, m := range p.smtp.Messages() {
		if strings.Contains(m.To, addr) && strings.Contains(m.Subject, subject) {
			last = m
		}
	}
	if last == nil {
		p.t.Fatalf("no mail to %s about %q", addr, subject)
	}
	return last
}

// pathOf is the path and query of a link, to follow it on the test server.
func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func TestConsoleForgotPasswordSaysTheSameAndTheLinkWorksOnce(t *testing.T) {
	e := mustEnv(t)
	pm := e.postman(t)
	e.mustTenant(t, "forgot")
	e.mustAdmin(t, "forgot", "fran", "first passphrase of the reader", "")
	anon := e.client(t)
	known := anon.post("/forgot-password", url.Values{"csrf": {anon.csrf("/forgot-password")}, "tenant": {"forgot"}, "email": {"fran@forgot.test"}})
	unknown := anon.post("/forgot-password", url.Values{"csrf": {anon.csrf("/forgot-password")}, "tenant": {"forgot"}, "email": {"nobody@forgot.test"}})
	if known.status != http.StatusOK || unknown.status != http.StatusOK || !strings.Contains(known.body, `id="forgot-sent"`) ||
		csrfField.ReplaceAllString(known.body, "") != csrfField.ReplaceAllString(unknown.body, "") {
		t.Fatalf("forgot password answers differ or fail: %d and %d", known.status, unknown.status)
	}

	link := pathOf(t, pm.mailTo("fran@forgot.test", "Reset").Link())
	if !strings.HasPrefix(link, "/reset-password?token=") {
		t.Fatalf("reset link %q", link)
	}
	page := anon.get(link)
	token := strings.TrimPrefix(link, "/reset-password?token=")
	if page.status != http.StatusOK || !strings.Contains(page.body, `name="token" value="`+token+`"`) {
		t.Fatalf("reset page: %d\n%.1500s", page.status, page.body)
	}
	form := url.Values{"csrf": {anon.csrf(link)}, "token": {token}, "password": {"new passphrase of the reader"}, "password_confirm": {"something else entirely"}}
	if a := anon.post("/reset-password", form); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="err-password_confirm"`) {
		t.Fatalf("mismatched passwords: %d\n%.1500s", a.status, a.body)
	}
	form.Set("password_confirm", "new passphrase of the reader")
	a := anon.post("/reset-password", form)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/sign-in?done=password_reset&tenant=forgot" {
		t.Fatalf("reset: %d to %q", a.status, a.header.Get("Location"))
	}
	e.client(t).signIn("forgot", "fran", "new passphrase of the reader")
	if a := anon.post("/reset-password", form); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "not valid") {
		t.Fatalf("the link used twice: %d\n%.1500s", a.status, a.body)
	}
}

func TestConsoleUserMenuSendsActivationAndResetLinks(t *testing.T) {
	e := mustEnv(t)
	pm := e.postman(t)
	e.mustTenant(t, "linkmenus")
	e.mustAdmin(t, "linkmenus", "mona", "passphrase of the admin", "")
	pending, err := e.svc.CreateUser(e.staff(), "linkmenus", admin.NewUser{Username: "pete", Email: "pete@linkmenus.test"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.client(t)
	b.signIn("linkmenus", "mona", "passphrase of the admin")
	users := b.get("/t/linkmenus/users")
	if !strings.Contains(users.body, "/users/"+pending.ID+"/resend-activation") || !strings.Contains(users.body, "/users/"+pending.ID+"/reset-password") {
		t.Fatalf("the menu of a pending user offers no activation or reset link")
	}
	a := b.post("/t/linkmenus/users/"+pending.ID+"/resend-activation", url.Values{"csrf": {b.csrf("/t/linkmenus/users")}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=activation_sent") {
		t.Fatalf("resend activation: %d %q", a.status, a.header.Get("Location"))
	}
	link := pathOf(t, pm.mailTo("pete@linkmenus.test", "Activate").Link())
	anon := e.client(t)
	a = anon.post("/activate", url.Values{"csrf": {anon.csrf(link)}, "token": {strings.TrimPrefix(link, "/activate?token=")},
		"password": {"a passphrase chosen by the newcomer"}, "password_confirm": {"a passphrase chosen by the newcomer"}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=account_activated") {
		t.Fatalf("activate: %d %q", a.status, a.header.Get("Location"))
	}
	e.client(t).signIn("linkmenus", "pete", "a passphrase chosen by the newcomer")

	a = b.post("/t/linkmenus/users/"+pending.ID+"/reset-password", url.Values{"csrf": {b.csrf("/t/linkmenus/users")}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=reset_sent") {
		t.Fatalf("send reset link: %d %q", a.status, a.header.Get("Location"))
	}
	pm.mailTo("pete@linkmenus.test", "Reset")
}

func TestConsoleInvitationsPage(t *testing.T) {
	e := mustEnv(t)
	e.mustTenant(t, "invs")
	e.mustTenant(t, "invs-other")
	e.mustAdmin(t, "invs", "ivan", "passphrase of the inviter", "")
	e.mustAdmin(t, "invs-other", "olga", "passphrase of the outsider", "")
	b := e.client(t)
	b.signIn("invs", "ivan", "passphrase of the inviter")
	page := "/t/invs/invitations"
	if a := b.get(page); a.status != http.StatusOK || !strings.Contains(a.body, `id="invite-submit"`) {
		t.Fatalf("invitations page: %d", a.status)
	}
	if a := b.post(page, url.Values{"csrf": {b.csrf(page)}, "email": {"not an address"}}); a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, `id="err-email"`) {
		t.Fatalf("a bad address: %d\n%.1500s", a.status, a.body)
	}
	a := b.post(page, url.Values{"csrf": {b.csrf(page)}, "email": {"gina@invs.test"}, "type": {"standard"}})
	if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=invitation_sent") {
		t.Fatalf("invite: %d %q", a.status, a.header.Get("Location"))
	}
	list, err := e.svc.ListInvitations(e.staff(), "invs", admin.InvitationFilter{})
	if err != nil || len(list.Items) != 1 || !strings.Contains(b.get(page).body, `data-email="gina@invs.test"`) {
		t.Fatalf("the invitation is not listed: %v", err)
	}
	id := list.Items[0].ID
	for _, act := range []string{"resend", "revoke"} {
		a := b.post(page+"/"+id+"/"+act, url.Values{"csrf": {b.csrf(page)}})
		if a.status != http.StatusSeeOther || !strings.Contains(a.header.Get("Location"), "done=invitation_") {
			t.Fatalf("%s: %d %q", act, a.status, a.header.Get("Location"))
		}
	}
	a = b.post(page+"/"+id+"/revoke", url.Values{"csrf": {b.csrf(page)}})
	if !strings.Contains(a.header.Get("Location"), "failed=invitation_closed") {
		t.Fatalf("revoking twice: %d %q", a.status, a.header.Get("Location"))
	}
	other := e.client(t)
	other.signIn("invs-other", "olga", "passphrase of the outsider")
	if a := other.get(page); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's admin sees the invitations: %d", a.status)
	}
	if a := other.post(page+"/"+id+"/resend", url.Values{"csrf": {other.csrf("/t/invs-other/invitations")}}); a.status != http.StatusNotFound {
		t.Fatalf("another tenant's admin resends an invitation: %d", a.status)
	}
}

// TestBrowserAcceptsAnInvitation follows an invitation mail's link in
// Chromium, creates the account there and signs in with it.
func TestBrowserAcceptsAnInvitation(t *testing.T) {
	e := mustEnv(t)
	pm := e.postman(t)
	e.mustTenant(t, "welcome")
	if _, err := e.svc.Invite(e.staff(), "welcome", admin.NewInvitation{Email: "nina@welcome.test", Locale: "ja"}); err != nil {
		t.Fatal(err)
	}
	link := pm.mailTo("nina@welcome.test", "招待").Link()
	ctx := e.tab(t)
	run(t, ctx, "accept the invitation",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#accept-submit")),
		chromedp.SendKeys(chromedp.CSS("#username"), "nina"),
		chromedp.SendKeys(chromedp.CSS("#first_name"), "Nina"),
		chromedp.SendKeys(chromedp.CSS("#password"), "passphrase chosen at last"),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), "passphrase chosen at last"),
		chromedp.Click(chromedp.CSS("#accept-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signin-submit")),
	)
	if got := textOf(t, ctx, ".flash"); !strings.Contains(got, "Welcome") && !strings.Contains(got, "ようこそ") {
		t.Fatalf("after accepting, the sign-in page says %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector("#tenant").value`); got != "welcome" {
		t.Fatalf("the sign-in page's tenant is %q, want welcome", got)
	}
	run(t, ctx, "sign in as the new user",
		chromedp.SendKeys(chromedp.CSS("#username"), "nina"),
		chromedp.SendKeys(chromedp.CSS("#password"), "passphrase chosen at last"),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#signin-submit")),
	)
	if got := textOf(t, ctx, "header .me"); got != "nina" {
		t.Fatalf("signed in as %q, want nina", got)
	}
	// The link worked once.
	run(t, ctx, "follow the link again",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS("#accept-submit")),
		chromedp.SendKeys(chromedp.CSS("#username"), "nina2"),
		chromedp.SendKeys(chromedp.CSS("#password"), "passphrase chosen at last"),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), "passphrase chosen at last"),
		chromedp.Click(chromedp.CSS("#accept-submit")),
		chromedp.WaitVisible(chromedp.CSS("#accept-error")),
	)
}
