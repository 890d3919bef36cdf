package mail

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"

	"roster/internal/admin"
	"roster/internal/mail/smtptest"
)

func sample(tmpl admin.MailTemplate, locale string) *admin.Mail {
	m := &admin.Mail{ID: "m1", Template: tmpl, Locale: locale, To: "ann@example.com",
		Data: map[string]string{"tenant_name": "Acme <Corp>", "tenant_slug": "acme", "username": "ann",
			"first_name": "Ann", "last_name": "Adams", "link_expires_at": "2026-03-02 10:00 UTC",
			"expires_at": "2026-03-09 10:00 UTC", "roles": "Editor", "invited_by": "bob"}}
	if tmpl == admin.MailActivation || tmpl == admin.MailPasswordReset || tmpl == admin.MailInvitation {
		m.Link = "https://roster.example.com/x?token=abc-DEF_123"
	}
	return m
}

func TestEveryTemplateRendersInEveryLocaleAsTextAndHTML(t *testing.T) {
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, tmpl := range admin.MailTemplates {
		for _, loc := range Locales {
			t.Run(string(tmpl)+"."+loc, func(t *testing.T) {
				m := sample(tmpl, loc)
				out, err := r.Render(m)
				if err != nil {
					t.Fatal(err)
				}
				if out.Subject == "" || strings.ContainsAny(out.Subject, "\r\n") {
					t.Errorf("subject %q: want one non-empty line", out.Subject)
				}
				for _, part := range []string{out.Subject, out.Text, out.HTML} {
					if strings.Contains(part, "<no value>") {
						t.Errorf("a template value is missing:\n%s", part)
					}
				}
				if !strings.Contains(out.Text, "Acme <Corp>") || !strings.Contains(out.HTML, "Acme &lt;Corp&gt;") || strings.Contains(out.HTML, "Acme <Corp>") {
					t.Errorf("the tenant name is not shown raw in text and escaped in HTML:\n%s\n%s", out.Text, out.HTML)
				}
				if m.Link != "" && (!strings.Contains(out.Text, m.Link) || !strings.Contains(out.HTML, `href="`+m.Link+`"`)) {
					t.Errorf("the link is missing from text or HTML:\n%s\n%s", out.Text, out.HTML)
				}
				if !strings.Contains(out.HTML, `<html lang="`+loc+`">`) {
					t.Errorf("HTML part not marked as %s", loc)
				}
				isJapanese := strings.ContainsAny(out.Text, "のをにはが")
				if isJapanese != (loc == "ja") {
					t.Errorf("locale %s rendered in the wrong language:\n%s", loc, out.Text)
				}
			})
		}
	}
}

func TestRenderAddressesThePersonByLocale(t *testing.T) {
	r, _ := NewRenderer()
	en, _ := r.Render(sample(admin.MailLocked, "en"))
	ja, _ := r.Render(sample(admin.MailLocked, "ja"))
	fr, _ := r.Render(sample(admin.MailLocked, "fr"))
	if !strings.HasPrefix(en.Text, "Hello Ann,") || !strings.HasPrefix(ja.Text, "Adams Ann 様") || !strings.HasPrefix(fr.Text, "Hello Ann,") {
		t.Errorf("greetings: en %q, ja %q, unknown locale %q", firstLine(en.Text), firstLine(ja.Text), firstLine(fr.Text))
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

func TestSenderDeliversTextAndHTMLWithCopies(t *testing.T) {
	srv := smtptest.Start(t)
	s, err := New(Config{URL: srv.URL(), From: "Roster <roster@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	m := sample(admin.MailDeactivated, "ja")
	m.Cc = []string{"boss@example.com", "hr@example.com"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitTo(t, "ann@example.com", "無効")
	if len(got.Rcpt) != 3 || !strings.Contains(got.Cc, "boss@example.com") || !strings.Contains(got.Cc, "hr@example.com") {
		t.Errorf("recipients %v, Cc %q: want the user and both copies", got.Rcpt, got.Cc)
	}
	if !strings.Contains(got.Text, "ann") || !strings.Contains(got.HTML, "<html") {
		t.Errorf("want a text and an HTML part, got text %q html %q", got.Text, got.HTML)
	}
	if got.Header.Get("Message-Id") != "<m1@example.com>" {
		t.Errorf("Message-Id %q", got.Header.Get("Message-Id"))
	}
}

func TestSenderReportsARefusedRecipientAsFinal(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Reject("ann@example.com")
	s, err := New(Config{URL: srv.URL(), From: "roster@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), sample(admin.MailLocked, "en")); !errors.Is(err, admin.ErrMailRejected) {
		t.Fatalf("Send to a refused recipient: %v, want ErrMailRejected", err)
	}
	srv.Stop()
	if err := s.Send(context.Background(), sample(admin.MailLocked, "en")); err == nil || errors.Is(err, admin.ErrMailRejected) {
		t.Fatalf("Send to a server that is down: %v, want a transient error", err)
	}
}

func TestPlainSMTPToAnotherHostRequiresSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t) // offers no STARTTLS
	s, err := New(Config{URL: "smtp://mail.example.test:2525", From: "roster@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// Reach the plain test server under the remote name: the mandatory
	// STARTTLS must make the delivery fail rather than go out in clear.
	s.opts = append(s.opts, gomail.WithDialContextFunc(func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Addr)
	}))
	err = s.Send(context.Background(), sample(admin.MailLocked, "en"))
	if err == nil || len(srv.Messages()) != 0 {
		t.Fatalf("Send over plain SMTP to a remote host: %v, %d messages; want a refusal and nothing sent", err, len(srv.Messages()))
	}
}

func TestConfigIsCheckedAndNeverEchoesThePassword(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "http://mail.example.com", From: "a@example.com"}, "scheme"},
		{Config{URL: "smtp://", From: "a@example.com"}, "no host"},
		{Config{URL: "smtp://mail.example.com:99999", From: "a@example.com"}, "port"},
		{Config{URL: "smtp://u:s3cret@mail.example.com/x", From: "a@example.com"}, "path"},
		{Config{URL: "smtp://u:s3cret@mail.example.com"}, "ROSTER_MAIL_FROM"},
		{Config{URL: "smtp://mail.example.com", From: "not an address"}, "not an address"},
	} {
		_, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("New(%q, %q) = %v, want an error about %s without the password", c.cfg.URL, c.cfg.From, err, c.want)
		}
	}
	s, err := New(Config{URL: "smtps://user:s3cret@mail.example.com", From: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.String(), "s3cret") || !strings.Contains(s.String(), "user@mail.example.com") {
		t.Errorf("String() = %q: want the URL without its password", s.String())
	}
}
